import assert from "node:assert/strict";
import { presetConfig } from "./config.ts";
import { byType, type MetricsRow, parseMetricsLines } from "./metrics.ts";
import { runTraining } from "./run.ts";
import { unlabelledTexts } from "./stages/baseline.ts";
import { findLearningRates } from "./stages/find_lr.ts";
import { chanceWarning, classifierDocs, interleave, targetTask } from "./task_prep.ts";

Deno.test("interleave: alternates the two lists, then the rest of the longer one", () => {
  assert.deepEqual(interleave([1, 2, 3], [10]), [1, 10, 2, 3]);
  assert.deepEqual(interleave([1], [10, 20, 30]), [1, 10, 20, 30]);
  assert.deepEqual(interleave(["a", "b"], []), ["a", "b"]);
});

/** An `aclImdb` folder with `n` reviews in each of train/pos, train/neg, test/pos, test/neg, unsup. */
async function writeImdb(dir: string, n: number): Promise<void> {
  for (const d of ["train/pos", "train/neg", "test/pos", "test/neg", "train/unsup"]) {
    await Deno.mkdir(`${dir}/aclImdb/${d}`, { recursive: true });
    for (let i = 0; i < n; i++) {
      await Deno.writeTextFile(`${dir}/aclImdb/${d}/${i}_7.txt`, `review ${i} of ${d}`);
    }
  }
}

Deno.test("targetTask: maxPerClass and maxUnlabeled subset IMDb train, test and unsup", async () => {
  const dir = await Deno.makeTempDir({ prefix: "fitlam-imdb-" });
  await writeImdb(dir, 6);
  const c = presetConfig("tiny");
  Object.assign(c, { data: dir, maxPerClass: 4, maxUnlabeled: 3 });
  const task = await targetTask(c);
  assert.equal(task.test.length, 8);
  assert.deepEqual(task.test.filter((d) => d.label === "pos").length, 4);
  assert.equal(task.train.length + (task.valid?.length ?? 0), 8);
  assert.equal(task.unlabeled?.length, 3);
  // The same seed gives the same subset; the test reviews come from test/.
  const again = await targetTask(c);
  assert.deepEqual(again.test.map((d) => d.text), task.test.map((d) => d.text));
  assert.ok(task.test.every((d) => d.text.includes("test/")));

  Object.assign(c, { maxPerClass: 0, maxUnlabeled: 0 });
  const all = await targetTask(c);
  assert.equal(all.test.length, 12);
  assert.equal(all.unlabeled?.length, 6);
  await Deno.remove(dir, { recursive: true });
});

Deno.test("targetTask: maxPerClass on a non-IMDb task is refused with the way out", async () => {
  const dir = await Deno.makeTempDir({ prefix: "fitlam-tsv-" });
  await Deno.writeTextFile(`${dir}/train.tsv`, "good film\tpos\nbad film\tneg\n".repeat(10));
  const c = presetConfig("tiny");
  Object.assign(c, { data: `${dir}/train.tsv`, maxPerClass: 2 });
  await assert.rejects(
    () => targetTask(c),
    /Cannot subset .*train\.tsv: .*IMDb and class folders only.*"tsv".*classify\.maxTrainDocs/,
  );
  await Deno.remove(dir, { recursive: true });
});

Deno.test("targetTask: --unlabeled adds one document a line to the task's unlabelled text", async () => {
  const dir = await Deno.makeTempDir({ prefix: "fitlam-unl-" });
  await writeImdb(dir, 4);
  await Deno.writeTextFile(`${dir}/more.txt`, "an unlabelled review\n\nanother one\n");
  const c = presetConfig("tiny");
  Object.assign(c, { data: dir, unlabeled: `${dir}/more.txt` });
  const task = await targetTask(c);
  assert.equal(task.unlabeled?.length, 6); // IMDb's 4 from train/unsup, then the file's 2
  assert.deepEqual(task.unlabeled?.slice(4), ["an unlabelled review", "another one"]);
  await Deno.writeTextFile(`${dir}/empty.txt`, "\n\n");
  c.unlabeled = `${dir}/empty.txt`;
  await assert.rejects(
    () => targetTask(c),
    /Cannot read the unlabelled text .*empty\.txt: it holds no document; write one document a line, or drop --unlabeled/,
  );
  c.unlabeled = `${dir}/missing.txt`;
  await assert.rejects(() => targetTask(c), /missing\.txt/);
  await Deno.remove(dir, { recursive: true });
});

Deno.test("unlabelledTexts: training documents stage 3 did not take, then the unlabelled ones", () => {
  const train = [0, 1, 2, 3].map((i) => ({ text: `t${i}`, label: "a" }));
  const task = {
    train,
    valid: [{ text: "v", label: "a" }],
    test: [{ text: "x", label: "a" }],
    unlabeled: ["u"],
    labels: ["a"],
    name: "toy",
    source: "memory",
  };
  assert.deepEqual(unlabelledTexts({ task, stage3Docs: [train[2], train[0]] }), ["t1", "t3", "u"]);
  assert.deepEqual(unlabelledTexts({ task, stage3Docs: train }), ["u"]);
});

/** A run's metrics rows, failing on a line that is not a JSON object. */
async function metricsRows(out: string): Promise<MetricsRow[]> {
  const { events, skipped } = parseMetricsLines(await Deno.readTextFile(`${out}/metrics.jsonl`));
  assert.equal(skipped, 0);
  return events;
}

const lmEvalRows = async (out: string) => byType(await metricsRows(out), "lm-eval");

Deno.test({
  name: "runTraining: `pretrain --from DIR --lm-eval F` rescores a saved LM as training scored it",
  sanitizeResources: false,
  sanitizeOps: false,
  async fn() {
    const dir = await Deno.makeTempDir({ prefix: "fitlam-lmeval-" });
    const lines = Array.from(
      { length: 300 },
      (_, i) => `the ${i % 7} cat sat on the mat ${i % 5}.`,
    );
    await Deno.writeTextFile(`${dir}/corpus.txt`, lines.join("\n"));
    await Deno.writeTextFile(`${dir}/eval.txt`, lines.slice(0, 40).join("\n"));
    const c = presetConfig("tiny");
    Object.assign(c, {
      device: "wasm",
      corpus: `${dir}/corpus.txt`,
      corpusMaxTokens: 3000,
      lmEval: [`${dir}/eval.txt`],
      directions: ["fwd"],
      out: `${dir}/a`,
      // Stage 1 alone reads no target task: a missing one is no error.
      data: `${dir}/no-such-task.tsv`,
    });
    c.pretrain.validFraction = 0.02;
    await runTraining(c, ["pretrain"]);
    const trained = await lmEvalRows(`${dir}/a`);
    assert.equal(trained.length, 1);

    const rescored = await runTraining({ ...c, from: `${dir}/a`, out: `${dir}/b` }, ["pretrain"]);
    assert.equal(rescored.stopped, undefined);
    const row = (await lmEvalRows(`${dir}/b`)).find((r) => r.corpus === `${dir}/eval.txt`)!;
    assert.equal(row.tokens, trained[0].tokens);
    assert.ok(
      Math.abs(row.perplexity - trained[0].perplexity) < 1e-3 * trained[0].perplexity,
      `${row.perplexity} vs ${trained[0].perplexity}`,
    );
    // Nothing was trained in the second run.
    await assert.rejects(() => Deno.stat(`${dir}/b/pretrain-fwd`));

    // With --corpus too, the held-out documents score as stage 1's own validation did.
    await runTraining({ ...c, from: `${dir}/a`, out: `${dir}/c`, lmEval: [] }, ["pretrain"]);
    const [held] = await lmEvalRows(`${dir}/c`);
    const valid = byType(await metricsRows(`${dir}/a`), "valid").find((r) =>
      r.stage === "pretrain"
    )!.perplexity!;
    assert.match(held.corpus, /corpus\.txt \(first \d+ documents, held out\)/);
    assert.ok(
      Math.abs(held.perplexity - valid) < 1e-4 * valid,
      `${held.perplexity} vs ${valid}`,
    );
    await Deno.remove(dir, { recursive: true });
  },
});

Deno.test({
  name: "runTraining: a stage 1 hold-out share outside (0, 1) is refused before training",
  sanitizeResources: false,
  sanitizeOps: false,
  async fn() {
    const dir = await Deno.makeTempDir({ prefix: "fitlam-vf-" });
    await Deno.writeTextFile(`${dir}/corpus.txt`, "a b c.\nd e f.\n".repeat(20));
    const c = presetConfig("tiny");
    Object.assign(c, { device: "wasm", corpus: `${dir}/corpus.txt`, out: `${dir}/o` });
    c.directions = ["fwd"];
    c.pretrain.validFraction = 1;
    await assert.rejects(() => runTraining(c, ["pretrain"]), /validFraction is 1; use a share/);
    await Deno.remove(dir, { recursive: true });
  },
});

Deno.test({
  name:
    "runTraining: a bad classify.poolLayers (e.g. from --config) is refused before any stage runs",
  sanitizeResources: false,
  sanitizeOps: false,
  async fn() {
    const dir = await Deno.makeTempDir({ prefix: "fitlam-pool-" });
    const c = presetConfig("tiny");
    Object.assign(c, { device: "wasm", out: `${dir}/o` });
    c.classify.poolLayers = "every" as "all";
    await assert.rejects(
      () => runTraining(c),
      /^Error: Cannot start the run: classify\.poolLayers = "every" must be "last" or "all"$/,
    );
    await assert.rejects(() => Deno.stat(`${dir}/o`), Deno.errors.NotFound);
    await Deno.remove(dir, { recursive: true });
  },
});

Deno.test({
  name: "runTraining --lr-find: one stage tested per direction, plot written, nothing trained",
  sanitizeResources: false,
  sanitizeOps: false,
  async fn() {
    const dir = await Deno.makeTempDir({ prefix: "fitlam-lrfind-" });
    const lines = Array.from(
      { length: 300 },
      (_, i) => `the ${i % 7} cat sat on the mat ${i % 5}.`,
    );
    await Deno.writeTextFile(`${dir}/corpus.txt`, lines.join("\n"));
    const c = presetConfig("tiny");
    Object.assign(c, {
      device: "wasm",
      corpus: `${dir}/corpus.txt`,
      corpusMaxTokens: 3000,
      out: `${dir}/o`,
      lrFind: true,
      lrFindSteps: 12,
    });
    await assert.rejects(() => runTraining(c), /Cannot run --lr-find on pretrain, finetune-lm/);
    const r = await runTraining(c, ["pretrain"]);
    assert.deepEqual(r.lrFind?.map((f) => `${f.stage}/${f.direction}`), [
      "pretrain/fwd",
      "pretrain/bwd",
    ]);
    // The verb (`train lr-find pretrain`) is what the alias runs.
    const verb = await findLearningRates({ ...c, out: `${dir}/verb` }, "pretrain");
    assert.deepEqual(
      verb.map((f) => f.plot),
      r.lrFind!.map((f) => f.plot.replace("/o/", "/verb/")),
    );
    assert.equal(byType(await metricsRows(`${dir}/verb`), "lr-find").length, 2);
    await assert.rejects(
      () => findLearningRates({ ...c, from: "elsewhere" }, "pretrain"),
      /Cannot run lr-find on pretrain: --from elsewhere means stage 1 is not trained here/,
    );
    await assert.rejects(() => Deno.stat(`${dir}/o/pretrain-fwd`));
    const rows = await metricsRows(`${dir}/o`);
    const logged = byType(rows, "lr-find");
    assert.equal(logged.length, 2);
    for (const [i, f] of r.lrFind!.entries()) {
      assert.ok((await Deno.readTextFile(f.plot)).startsWith("<svg"));
      assert.equal(f.configured, c.pretrain.lr);
      // The suggestion is a tenth of the logged curve's lowest point.
      const pts = logged[i].points;
      assert.ok(pts.length >= 2 && pts.length <= 12);
      const lowest = pts.reduce((a, p) => p.smoothed < a.smoothed ? p : a);
      assert.equal(f.suggestion.minOver10, lowest.lr / 10);
    }
    assert.equal(rows.filter((x) => x.type === "step").length, 0);
    await Deno.remove(dir, { recursive: true });
  },
});

Deno.test("chanceWarning: a classifier no better than the majority label is named, a useful one not", () => {
  const valid = [0, 0, 0, 1].map((label) => ({ ids: new Int32Array([5]), label }));
  const labels = ["ham", "spam"];
  const w = chanceWarning("fwd", [0.5, 0.75], valid, labels);
  assert.match(
    w!,
    /fwd classifier is no better than always answering "ham".*75\.0% vs 75\.0%.*--clf-lr/,
  );
  assert.equal(chanceWarning("bwd", [0.75, 1], valid, labels), undefined);
  assert.equal(chanceWarning("bwd", [], valid, labels), undefined);
});

Deno.test("chanceWarning: held-out answers on the labelled documents count beside validation", () => {
  // 4 validation documents at the majority's 75%, as 12 are with 100 labels.
  const valid = [0, 0, 0, 1].map((label) => ({ ids: new Int32Array([5]), label }));
  const labels = ["neg", "pos"];
  const answer = (label: number) => new Float32Array(label ? [0.2, 0.8] : [0.9, 0.1]);
  // 10 held-out documents, 5 of each label: right on 8 of them.
  const truth = [0, 0, 0, 0, 0, 1, 1, 1, 1, 1];
  const good = { probs: truth.map((t, i) => answer(i < 8 ? t : 1 - t)), truth };
  // (3 + 8) / 14 right against the majority's 8 / 14: something was learned.
  assert.equal(chanceWarning("fwd", [0.75], valid, labels, good), undefined);
  // Always "neg": (3 + 5) / 14, no better than the majority's 8 / 14.
  const constant = { probs: truth.map(() => answer(0)), truth };
  assert.match(
    chanceWarning("bwd", [0.75], valid, labels, constant)!,
    /bwd classifier is no better than always answering "neg" on validation and its 10 held-out answers \(57\.1% vs 57\.1%\)/,
  );
});

Deno.test("classifierDocs: a seeded sample that keeps each label's share", () => {
  const docs = [
    ...Array.from({ length: 90 }, (_, i) => ({ text: `a${i}`, label: "a" })),
    ...Array.from({ length: 9 }, (_, i) => ({ text: `b${i}`, label: "b" })),
    { text: "c0", label: "c" },
  ];
  const s = classifierDocs(docs, 20, 7);
  assert.equal(s.length, 20);
  const n = (l: string) => s.filter((d) => d.label === l).length;
  assert.deepEqual([n("a"), n("b"), n("c")], [18, 1, 1]);
  assert.equal(new Set(s.map((d) => d.text)).size, 20);
  assert.deepEqual(classifierDocs(docs, 20, 7), s);
  assert.notDeepEqual(classifierDocs(docs, 20, 8), s);
  assert.equal(classifierDocs(docs, 0, 7).length, 100);
});
