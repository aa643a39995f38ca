// End to end: all three stages on a tiny config and a synthetic separable
// task, then the library API on the weights the trainer wrote.
import assert from "node:assert/strict";
import { presetConfig } from "../trainer/config.ts";
import { runTraining } from "../trainer/run.ts";
import { loadClassifier } from "../shared/pipeline.ts";
import { explain } from "../shared/explain.ts";
import { classReport } from "../shared/class_report.ts";
import { scoreLabels } from "../shared/confusion.ts";
import { loadCpuClassifier } from "../shared/infer/cpu_classifier.ts";
import { loadModelFolder } from "../shared/weights/folder.ts";
import { createApp } from "../serve/app.ts";
import { post } from "../serve/test_http.ts";
import { Rng } from "../shared/rng.ts";
import { SELF_TRAIN_MIN_DF } from "../shared/baseline/self_train.ts";

const POSITIVE = ["wonderful", "great", "excellent", "lovely", "superb", "delightful"];
const NEGATIVE = ["awful", "terrible", "dreadful", "horrible", "poor", "boring"];
const FILLER = [
  "the",
  "film",
  "was",
  "a",
  "story",
  "and",
  "it",
  "with",
  "of",
  "plot",
  "actors",
  "scene",
];

function sentence(rng: Rng, words: string[]): string {
  const out: string[] = [];
  const n = 6 + rng.int(10);
  for (let i = 0; i < n; i++) {
    out.push(rng.next() < 0.3 ? words[rng.int(words.length)] : FILLER[rng.int(FILLER.length)]);
  }
  out.push(words[rng.int(words.length)]);
  return rng.shuffle(out).join(" ") + ".";
}

async function writeTask(dir: string) {
  const rng = new Rng(5);
  const rows = (n: number) =>
    Array.from({ length: n }, (_, i) => {
      const pos = i % 2 === 0;
      return `${sentence(rng, pos ? POSITIVE : NEGATIVE)}\t${pos ? "pos" : "neg"}`;
    }).join("\n");
  await Deno.writeTextFile(`${dir}/train.tsv`, rows(240));
  await Deno.writeTextFile(`${dir}/test.tsv`, rows(80));
  const corpus = Array.from({ length: 400 }, () => sentence(rng, [...POSITIVE, ...NEGATIVE])).join(
    "\n",
  );
  await Deno.writeTextFile(`${dir}/corpus.txt`, corpus);
}

Deno.test({
  name: "trainer: three stages, both directions, on a tiny config reach ≥ 95% on a separable task",
  sanitizeResources: false,
  sanitizeOps: false,
  async fn() {
    const dir = await Deno.makeTempDir({ prefix: "fitlam-e2e-" });
    await writeTask(dir);
    const c = presetConfig("tiny");
    Object.assign(c, {
      device: "wasm",
      out: `${dir}/out`,
      corpus: `${dir}/corpus.txt`,
      data: `${dir}/train.tsv`,
      test: `${dir}/test.tsv`,
      format: "tsv",
    });
    c.classify.epochs = 8;
    c.classify.heldOutFolds = 3; // the tiny preset has none; 24 validation documents call for them
    c.discriminativeFactor = 1;
    const result = await runTraining(c);
    assert.ok(result.test.avg! >= 0.95, `averaged test accuracy ${result.test.avg}`);
    assert.ok(result.test.fwd !== undefined && result.test.bwd !== undefined);

    const rows = (await Deno.readTextFile(`${dir}/out/metrics.jsonl`)).trim().split("\n").map((l) =>
      JSON.parse(l)
    );
    const ftValid = rows.filter((r) =>
      r.type === "valid" && r.stage === "finetune-lm" && r.direction === "fwd"
    );
    assert.ok(ftValid.length >= 2);
    assert.ok(ftValid.at(-1).loss < ftValid[0].loss, "fine-tuning lowers the LM validation loss");
    // Validation is small here: stage 3 first trained its held-out folds, each logged with its
    // accuracy on the documents it left out, which together are every labelled document.
    for (const dir of ["fwd", "bwd"]) {
      const folds = rows.filter((r) => r.type === "held-out" && r.direction === dir);
      assert.equal(folds.length, c.classify.heldOutFolds, dir);
      const labelled = folds[0].trainDocs + folds[0].heldDocs;
      assert.equal(folds.reduce((a, r) => a + r.heldDocs, 0), labelled);
      assert.ok(folds.every((r) => r.accuracy >= 0.5 && r.accuracy <= 1), JSON.stringify(folds));
    }
    for (
      const f of [
        "pretrain-fwd",
        "finetune-bwd",
        "classifier-fwd",
        "classifier-bwd",
        "report.html",
        "test.json",
      ]
    ) {
      await Deno.stat(`${dir}/out/${f}`);
    }

    const clf = await loadClassifier(`${dir}/out`, { device: "wasm" });
    assert.deepEqual(clf.info.directions, ["fwd", "bwd"]);
    const [p, n] = await clf.classify([
      "a wonderful superb film, lovely actors",
      "an awful boring plot, terrible",
    ]);
    assert.equal(p.label, "pos");
    assert.equal(n.label, "neg");
    assert.ok(Math.abs(p.scores.pos + p.scores.neg - 1) < 1e-5);

    // The folder serves the blend the evaluation scored: the same test accuracy through the API.
    const scored = JSON.parse(await Deno.readTextFile(`${dir}/out/test.json`));
    const { weights } = scored.blend;
    assert.ok(weights.lm >= 0 && weights.baseline >= 0, JSON.stringify(scored.blend));
    assert.deepEqual(clf.info.blend?.weights, weights);
    // Each direction's own weights, for a classifier loaded with one direction.
    const bowConfig = JSON.parse(await Deno.readTextFile(`${dir}/out/baseline/config.json`));
    assert.deepEqual(Object.keys(bowConfig.blendByDirection).sort(), ["bwd", "fwd"]);
    // No unlabelled text: the blended bag of words reads character 3-5-grams beside the words,
    // the printed baseline words alone.
    assert.deepEqual([bowConfig.tfidf.charNgramMin, bowConfig.tfidf.charNgramMax], [3, 5]);
    const bow = await loadModelFolder(`${dir}/out/baseline`);
    const terms = new TextDecoder().decode(bow.tensors.terms.data).split("\n");
    assert.ok(terms.some((t) => t.startsWith("c:")) && terms.some((t) => !t.startsWith("c:")));
    assert.equal(scored.bagOfWords.name, "tfidf-lr+chars3-5");
    // The report lists it beside the baseline, under its own name.
    assert.match(
      await Deno.readTextFile(`${dir}/out/report.html`),
      /tfidf-lr\+chars3-5/,
    );
    assert.equal(scored.baseline.name, "tfidf-lr");
    const rows2 = (await Deno.readTextFile(`${dir}/test.tsv`)).trim().split("\n").map((l) =>
      l.split("\t")
    );
    const answers = await clf.classify(rows2.map((r) => r[0]));
    const right = answers.filter((a, i) => a.label === rows2[i][1]).length;
    assert.equal(right / rows2.length, scored.blend.accuracy);
    // Per label, test.json scores what the folder answers.
    const labelsOf = scored.served.perLabel.map((l: { label: string }) => l.label);
    const { confusion } = scoreLabels(
      rows2.map((r) => labelsOf.indexOf(r[1])),
      answers.map((a) => labelsOf.indexOf(a.label)),
      labelsOf.length,
    );
    assert.equal(scored.served.of, "blend");
    assert.deepEqual(scored.served, { of: "blend", ...classReport(labelsOf, confusion) });
    // The mistakes row and the report list the served answers that are wrong.
    const listed = rows.findLast((r) => r.type === "mistakes");
    assert.equal(listed.of, "blend");
    assert.equal(listed.wrong, rows2.length - right);
    for (const m of listed.top) assert.notEqual(answers[m.index].label, rows2[m.index][1]);
    const report = await Deno.readTextFile(`${dir}/out/report.html`);
    assert.match(report, /Most confident mistakes/);
    assert.match(report, /Stage 3's held-out folds/);
    clf.dispose();

    // --no-blend: evaluate again, and the folder serves the classifiers alone.
    await runTraining({ ...c, blend: false }, ["evaluate"]);
    await assert.rejects(Deno.stat(`${dir}/out/baseline`), Deno.errors.NotFound);
    const alone = JSON.parse(await Deno.readTextFile(`${dir}/out/test.json`));
    assert.equal(alone.blend, undefined);
    assert.equal(alone.accuracy.avg, scored.accuracy.avg);
    const last = (await Deno.readTextFile(`${dir}/out/metrics.jsonl`)).trim().split("\n")
      .map((l) => JSON.parse(l)).findLast((r) => r.type === "mistakes");
    assert.equal(last.of, "avg");
    assert.equal(last.wrong, Math.round((1 - alone.accuracy.avg) * last.total));

    // With 2 labelled documents the other 238 training documents are unlabelled text: evaluate
    // self-trains the bag of words on them, and the folder serves the blend with the model kept.
    // (The 80 test rows as validation too: enough documents to tell a round from chance.)
    // Its test labels are swapped on 6 rows, so that there are mistakes to explain.
    const swapped = rows2.map(([, l], i) => i < 6 ? (l === "pos" ? "neg" : "pos") : l);
    await Deno.writeTextFile(
      `${dir}/swapped.tsv`,
      rows2.map(([t], i) => `${t}\t${swapped[i]}`).join("\n"),
    );
    const few = {
      ...c,
      valid: c.test,
      test: `${dir}/swapped.tsv`,
      classify: { ...c.classify, maxTrainDocs: 2 },
    };
    await runTraining(few, ["evaluate"]);
    const self = JSON.parse(await Deno.readTextFile(`${dir}/out/test.json`));
    assert.equal(self.baseline.trainDocs, 2);
    assert.equal(self.selfTrain.unlabelled, 238);
    // Self-trained, the bag of words reads words alone (characters cost self-training its gain).
    assert.equal(self.bagOfWords, undefined);
    const selfBow = JSON.parse(await Deno.readTextFile(`${dir}/out/baseline/config.json`));
    assert.equal(selfBow.tfidf.charNgramMax, 0);
    // Its vocabulary is of all the text, without the n-grams in one text only (a round was kept).
    assert.equal(selfBow.tfidf.minDf, SELF_TRAIN_MIN_DF);
    // Its mistakes list the words that spoke most for each wrong answer, as explain() finds them.
    const fewMistakes = (await Deno.readTextFile(`${dir}/out/metrics.jsonl`)).trim().split("\n")
      .map((l) => JSON.parse(l)).findLast((r) => r.type === "mistakes");
    assert.ok(fewMistakes.top.length > 0, "no mistakes to explain");
    const fewServed = await loadClassifier(`${dir}/out`);
    for (const m of fewMistakes.top) {
      const e = await explain(fewServed, rows2[m.index][0], { label: m.predicted, maxPieces: 40 });
      const want = e.pieces.filter((p) => p.weight > 0).sort((a, b) => b.weight - a.weight);
      assert.deepEqual(
        m.because.map((b: { text: string }) => b.text),
        want.slice(0, 3).map((p) => p.text),
      );
      m.because.forEach((b: { weight: number }, i: number) =>
        assert.ok(Math.abs(b.weight - want[i].weight) < 1e-5)
      );
    }
    fewServed.dispose();
    const fewReport = await Deno.readTextFile(`${dir}/out/report.html`);
    assert.match(fewReport, /<th>words behind the answer<\/th>/);
    // Rounds on TF-IDF, then with LSA: each takes more of the 238 (per predicted class, at most
    // its labelled share).
    const rounds = self.selfTrain.rounds as { lsa: boolean; round: number; pseudo: number }[];
    assert.deepEqual(
      rounds.map((r) => [r.lsa, r.round]),
      [false, true].flatMap((lsa) => [0, 1, 2, 3, 4, 5].map((round) => [lsa, round])),
    );
    for (const r of rounds) {
      const before = rounds.find((q) => q.lsa === r.lsa && q.round === r.round - 1);
      assert.ok(r.round === 0 ? r.pseudo === 0 : r.pseudo > before!.pseudo, JSON.stringify(r));
      assert.ok(r.pseudo <= 238);
    }
    assert.ok(self.selfTrain.chosen >= 0, JSON.stringify(self.selfTrain));
    const served = await loadClassifier(`${dir}/out`, { device: "wasm" });
    const got = await served.classify(rows2.map((r) => r[0]));
    assert.equal(
      got.filter((a, i) => a.label === swapped[i]).length / rows2.length,
      self.blend.accuracy,
    );
    served.dispose();
    // --no-self-train blends the baseline as trained on the 2 labels.
    await runTraining({ ...few, selfTrain: false }, ["evaluate"]);
    const plain = JSON.parse(await Deno.readTextFile(`${dir}/out/test.json`));
    assert.equal(plain.selfTrain, undefined);
    assert.equal(plain.baseline.accuracy, self.baseline.accuracy);

    // 20 labels and no validation file: validation keeps ⌈20/9⌉ = 3 of the carved documents
    // (the rest join the unlabelled text), too few to decide on, so self-training also scores
    // the 20 labelled documents out of fold, and the blend leans on that check: where the
    // classifiers do no better on the 3 than the bag of words held out, it serves alone.
    await runTraining({ ...c, classify: { ...c.classify, maxTrainDocs: 20 } }, ["evaluate"]);
    const twenty = JSON.parse(await Deno.readTextFile(`${dir}/out/test.json`));
    const check = twenty.selfTrain;
    assert.equal(check.heldOut, 3 + 20);
    assert.equal(check.unlabelled, 240 - 24 - 20 + (24 - 3));
    const bowHeldOut = check.chosen >= 0 ? check.rounds[check.chosen].valid : check.plainValid;
    const bowAlone = twenty.blend.valid.lm <= bowHeldOut;
    assert.equal(twenty.blend.bowAlone ?? false, bowAlone);
    if (bowAlone) assert.deepEqual(twenty.blend.weights, { lm: 0, baseline: 1 });
    assert.equal(twenty.blend.fittedOn, undefined);

    // With held-out folds, stage 3 also trains once per fold of the 20 on the other one, so each
    // labelled document has the classifiers' answer from a model that never saw it: the blend
    // is fitted on those 20 and the 3 validation documents, not judged on the 3 alone.
    const folded = { ...c, classify: { ...c.classify, maxTrainDocs: 20, heldOutFolds: 2 } };
    await runTraining(folded, ["classify", "evaluate"]);
    const fitted = JSON.parse(await Deno.readTextFile(`${dir}/out/test.json`));
    assert.equal(fitted.blend.fittedOn, 20 + 3);
    assert.equal(fitted.blend.bowAlone, undefined);
    for (const d of ["fwd", "bwd"]) {
      const held = JSON.parse(await Deno.readTextFile(`${dir}/out/checkpoints/held-out-${d}.json`));
      assert.equal(held.probs.length, 20);
      for (const p of held.probs) assert.ok(p.length === 2 && Math.abs(p[0] + p[1] - 1) < 1e-5);
    }
    // Evaluated without folds configured, the saved answers are not used.
    await runTraining({ ...folded, classify: { ...folded.classify, heldOutFolds: 0 } }, [
      "evaluate",
    ]);
    assert.equal(
      JSON.parse(await Deno.readTextFile(`${dir}/out/test.json`)).blend.fittedOn,
      undefined,
    );

    // Stage 3 drops the blend fitted for the old classifiers: while the backward one trains
    // (the forward one already new), no baseline folder sits beside them; evaluate refits it.
    await runTraining(c, ["evaluate"]);
    await Deno.stat(`${dir}/out/baseline`);
    const before = (await Deno.readTextFile(`${dir}/out/metrics.jsonl`)).length;
    let done = false;
    const rerun = runTraining({ ...c, classify: { ...c.classify, epochs: 2 } }, ["classify"])
      .finally(() => done = true);
    for (;;) {
      await new Promise((r) => setTimeout(r, 10));
      assert.ok(!done, "the backward classifier's training was never seen");
      const log = (await Deno.readTextFile(`${dir}/out/metrics.jsonl`)).slice(before);
      if (!/"stage":"classify","direction":"bwd","epoch":\d+,"step"/.test(log)) continue;
      await assert.rejects(Deno.stat(`${dir}/out/baseline`), Deno.errors.NotFound);
      break;
    }
    await rerun;
    await Deno.stat(`${dir}/out/baseline`);
    await Deno.remove(dir, { recursive: true });
  },
});

/** Step losses by (stage, direction, step) from a run's metrics.jsonl. */
async function stepLosses(out: string): Promise<Map<string, number[]>> {
  const rows = (await Deno.readTextFile(`${out}/metrics.jsonl`)).trim().split("\n").map((l) =>
    JSON.parse(l)
  );
  const byKey = new Map<string, number[]>();
  for (const r of rows.filter((r) => r.type === "step")) {
    const key = `${r.stage}/${r.direction}/${r.step}`;
    byKey.set(key, [...(byKey.get(key) ?? []), r.loss]);
  }
  return byKey;
}

function trainCommand(args: string[]): Deno.Command {
  return new Deno.Command(Deno.execPath(), {
    args: ["run", "--allow-all", "trainer/main.ts", ...args],
    cwd: new URL("..", import.meta.url),
    stdout: "null",
    stderr: "piped",
  });
}

Deno.test({
  name: "trainer CLI: a run killed with SIGKILL resumes with --resume and repeats the same losses",
  sanitizeResources: false,
  sanitizeOps: false,
  async fn() {
    const dir = await Deno.makeTempDir({ prefix: "fitlam-kill-" });
    await writeTask(dir);
    await Deno.writeTextFile(`${dir}/config.json`, JSON.stringify({ checkpointEvery: 4 }));
    const args = (out: string) => [
      "--preset=tiny",
      "--device=wasm",
      "--direction=fwd",
      `--config=${dir}/config.json`,
      `--corpus=${dir}/corpus.txt`,
      `--data=${dir}/train.tsv`,
      `--test=${dir}/test.tsv`,
      `--out=${out}`,
    ];
    const whole = await trainCommand(args(`${dir}/whole`)).output();
    assert.equal(whole.code, 0, new TextDecoder().decode(whole.stderr));

    // Kill without warning once stage 2 is under way (past a periodic checkpoint).
    const killed = trainCommand(args(`${dir}/killed`)).spawn();
    for (let waited = 0;; waited += 50) {
      assert.ok(waited < 120_000, "the run never reached stage 2");
      await new Promise((r) => setTimeout(r, 50));
      const text = await Deno.readTextFile(`${dir}/killed/metrics.jsonl`).catch(() => "");
      if (/"stage":"finetune-lm","direction":"fwd","epoch":\d+,"step":(9|1\d)\b/.test(text)) break;
    }
    killed.kill("SIGKILL");
    await killed.status;
    await killed.stderr.cancel();
    const resumed = await trainCommand([...args(`${dir}/killed`), "--resume"]).output();
    const log = new TextDecoder().decode(resumed.stderr);
    assert.equal(resumed.code, 0, log);
    // From a periodic checkpoint (every 4 steps) or, on a fast machine that got further before
    // the kill landed, the one at the end of stage 2's first epoch: either way inside stage 2.
    assert.match(log, /Resumed finetune-lm fwd at epoch \d+, step \d+\b/);

    // Every logged step of the killed-and-resumed run, including the steps it redid after
    // the kill, has the uninterrupted run's loss, and no step is missing.
    const expected = await stepLosses(`${dir}/whole`), got = await stepLosses(`${dir}/killed`);
    assert.deepEqual([...got.keys()].sort(), [...expected.keys()].sort());
    for (const [key, losses] of got) {
      for (const loss of losses) assert.equal(loss, expected.get(key)![0], key);
    }
    const test = async (out: string) => JSON.parse(await Deno.readTextFile(`${out}/test.json`));
    assert.deepEqual((await test(`${dir}/killed`)).accuracy, (await test(`${dir}/whole`)).accuracy);
    await Deno.remove(dir, { recursive: true });
  },
});

Deno.test({
  name:
    "trainer CLI: --pool-layers all trains a classifier on every layer's outputs that both engines and serve answer with",
  sanitizeResources: false,
  sanitizeOps: false,
  async fn() {
    const dir = await Deno.makeTempDir({ prefix: "fitlam-pool-all-" });
    await writeTask(dir);
    const out = `${dir}/out`;
    const run = await trainCommand([
      "--preset=tiny",
      "--device=wasm",
      "--direction=fwd",
      "--pool-layers",
      "all",
      "--classify-epochs=6",
      `--corpus=${dir}/corpus.txt`,
      `--data=${dir}/train.tsv`,
      `--test=${dir}/test.tsv`,
      `--out=${out}`,
    ]).output();
    const log = new TextDecoder().decode(run.stderr);
    assert.equal(run.code, 0, log);
    assert.match(log, /pooling every layer's outputs \(classify\.poolLayers\)/);
    const config = JSON.parse(await Deno.readTextFile(`${out}/classifier-fwd/config.json`));
    assert.equal(config.head.poolLayers, "all");
    // tiny: layers of 32 and 16 units, [last, max, mean] of each.
    const saved = await loadModelFolder(`${out}/classifier-fwd`);
    assert.deepEqual(saved.tensors["head.0.linear.weight"].shape, [50, 3 * (32 + 16)]);
    const test = JSON.parse(await Deno.readTextFile(`${out}/test.json`));
    assert.ok(test.accuracy.fwd >= 0.9, `test accuracy ${test.accuracy.fwd}`);

    const texts = ["a wonderful superb film, lovely actors", "an awful boring plot, terrible"];
    const cpu = await loadCpuClassifier(out), tfjs = await loadClassifier(out);
    const [a, b] = [await cpu.probabilities(texts), await tfjs.probabilities(texts)];
    a.forEach((p, i) => p.forEach((v, c) => assert.ok(Math.abs(v - b[i][c]) < 1e-4)));
    const res = await createApp(cpu).request("/v1/classify", post(JSON.stringify({ texts })));
    assert.equal(res.status, 200);
    const { results } = await res.json();
    assert.deepEqual(results.map((r: { label: string }) => r.label), ["pos", "neg"]);
    cpu.dispose();
    tfjs.dispose();

    const bad = await trainCommand(["--pool-layers", "every", `--out=${dir}/bad`]).output();
    assert.equal(bad.code, 2);
    assert.match(
      new TextDecoder().decode(bad.stderr),
      /Cannot use --pool-layers every: use last or all/,
    );
    await Deno.remove(dir, { recursive: true });
  },
});
