import assert from "node:assert/strict";
import { makeTestWeights } from "../serve/test_weights.ts";
import { trainBaseline } from "./baseline/mod.ts";
import { BASELINE_DIR, baselineToSave } from "./baseline/saved.ts";
import { loadCpuClassifier } from "./infer/cpu_classifier.ts";
import { readClassifierSource } from "./model/source.ts";
import { loadClassifier } from "./pipeline.ts";
import type { BlendWeights } from "./classify.ts";
import { encodeModelFolder, loadModelFolder, saveModelFolder } from "./weights/folder.ts";

const TEXTS = ["win a free cruise now", "meeting at noon tomorrow", "cheap pills", "thanks"];
const TRAIN = [
  ...["win a free cruise", "cheap pills offer", "click here now", "limited time only"].map(
    (text) => ({ text, label: "spam" }),
  ),
  ...["meeting at noon", "the report is attached", "lunch friday", "please reply thanks"].map(
    (text) => ({ text, label: "ham" }),
  ),
];
const WEIGHTS: BlendWeights = { lm: 0.7, baseline: 2.5 };

/** The serve test weights with a bag-of-words model saved beside them with WEIGHTS. */
async function weightsWithBaseline(): Promise<{ dir: string; bow: Float32Array[] }> {
  const dir = await makeTestWeights(["fwd", "bwd"]);
  const b = trainBaseline(TRAIN, { labels: ["ham", "spam"], grid: [10] });
  await saveModelFolder(`${dir}/${BASELINE_DIR}`, baselineToSave(b, WEIGHTS));
  return { dir, bow: b.predictProba(TEXTS) };
}

/** Largest |a − b| over every text and label. */
function maxDiff(a: Float32Array[], b: Float32Array[]): number {
  let d = 0;
  a.forEach((p, i) => p.forEach((v, c) => d = Math.max(d, Math.abs(v - b[i][c]))));
  return d;
}

/** Hand-blended: lm^a · bow^b, normalised, in float64. */
function expected(lm: Float32Array[], bow: Float32Array[]): Float32Array[] {
  return lm.map((p, i) => {
    const u = Array.from(p, (v, c) => v ** WEIGHTS.lm * bow[i][c] ** WEIGHTS.baseline);
    const sum = u.reduce((a, b) => a + b, 0);
    return Float32Array.from(u, (x) => x / sum);
  });
}

Deno.test("both engines blend the folder's bag-of-words model in with its saved weights", async () => {
  const { dir, bow } = await weightsWithBaseline();
  try {
    for (const load of [loadClassifier, loadCpuClassifier]) {
      const alone = await load(dir, { blend: false });
      const blended = await load(dir);
      const lm = await alone.probabilities(TEXTS);
      const got = await blended.probabilities(TEXTS);
      assert.equal(alone.info.blend, undefined);
      assert.deepEqual(blended.info.blend?.weights, WEIGHTS);
      // The LSTM pair is untrained: its answers differ from the bag of words', so a missing or
      // wrong blend shows.
      assert.ok(maxDiff(lm, bow) > 0.05);
      assert.ok(
        maxDiff(got, expected(lm, bow)) < 1e-6,
        `${load.name}: ${maxDiff(got, expected(lm, bow))}`,
      );
      alone.dispose();
      blended.dispose();
    }
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("one direction loaded alone blends with the weights fitted for it", async () => {
  const dir = await makeTestWeights(["fwd", "bwd"]);
  const FWD: BlendWeights = { lm: 0.2, baseline: 3 };
  try {
    const b = trainBaseline(TRAIN, { labels: ["ham", "spam"], grid: [10] });
    await saveModelFolder(`${dir}/${BASELINE_DIR}`, baselineToSave(b, WEIGHTS, { fwd: FWD }));
    for (const load of [loadClassifier, loadCpuClassifier]) {
      const fwd = await load(dir, { directions: ["fwd"] });
      const bwd = await load(dir, { directions: ["bwd"] });
      const both = await load(dir);
      // The backward classifier has no weights of its own: the averaged pair's apply.
      assert.deepEqual(
        [fwd.info.blend?.weights, bwd.info.blend?.weights, both.info.blend?.weights],
        [FWD, WEIGHTS, WEIGHTS],
        load.name,
      );
      const alone = await load(dir, { directions: ["fwd"], blend: false });
      const lm = await alone.probabilities(TEXTS);
      const bow = b.predictProba(TEXTS);
      const hand = lm.map((p, i) => {
        const u = Array.from(p, (v, c) => v ** FWD.lm * bow[i][c] ** FWD.baseline);
        return Float32Array.from(u, (x) => x / u.reduce((a, y) => a + y, 0));
      });
      assert.ok(maxDiff(await fwd.probabilities(TEXTS), hand) < 1e-6, load.name);
      for (const c of [fwd, bwd, both, alone]) c.dispose();
    }
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("a classifier in memory blends its `baseline` files the same way", async () => {
  const { dir } = await weightsWithBaseline();
  try {
    const files: Record<string, Record<string, Uint8Array>> = {};
    for (const { direction, where } of await readClassifierSource(dir)) {
      files[direction] = await encodeModelFolder(await loadModelFolder(where));
    }
    const bowFolder = await loadModelFolder(`${dir}/${BASELINE_DIR}`);
    const baseline = await encodeModelFolder(bowFolder);
    const fromDisk = await loadCpuClassifier(dir);
    const fromMemory = await loadCpuClassifier({ ...files, baseline });
    assert.deepEqual(
      await fromMemory.probabilities(TEXTS),
      await fromDisk.probabilities(TEXTS),
    );
    assert.equal(fromMemory.info.blend?.checksum, fromDisk.info.blend?.checksum);
    fromDisk.dispose();
    fromMemory.dispose();
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("a bag-of-words model with other labels is refused, naming the fix", async () => {
  const dir = await makeTestWeights(["fwd"]);
  try {
    const b = trainBaseline(
      TRAIN.map((d) => ({ ...d, label: d.label === "ham" ? "good" : "bad" })),
      { grid: [10] },
    );
    await saveModelFolder(`${dir}/${BASELINE_DIR}`, baselineToSave(b, WEIGHTS));
    await assert.rejects(
      loadClassifier(dir),
      /Cannot load the bag-of-words model from .*baseline: its labels \["bad","good"\] differ from the classifiers' \["ham","spam"\]; train them together/,
    );
    const alone = await loadClassifier(dir, { blend: false });
    alone.dispose();
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});
