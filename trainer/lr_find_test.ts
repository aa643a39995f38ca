import assert from "node:assert/strict";
import { initBackend } from "../shared/backend.ts";
import { AwdLstm } from "../shared/model/awd_lstm.ts";
import { TextClassifier } from "../shared/model/classifier.ts";
import { encoderPreset, headPreset } from "../shared/model/config.ts";
import type { ParamData } from "../shared/model/params.ts";
import { Rng } from "../shared/rng.ts";
import type { EncodedDoc } from "./clf_train.ts";
import {
  classifierRangeTest,
  lmRangeTest,
  rangeLr,
  rangeTest,
  rangeTestSvg,
  suggestLr,
} from "./lr_find.ts";
import { ADAM_DEFAULTS } from "./optim.ts";

const { ops } = await initBackend("wasm");

Deno.test("rangeLr: exponential from min to max", () => {
  const lrs = Array.from({ length: 5 }, (_, i) => rangeLr(i, 5, 1e-6, 1e-2));
  lrs.forEach((lr, i) => assert.ok(Math.abs(Math.log10(lr) - (-6 + i)) < 1e-12));
});

Deno.test("rangeTest: SGD on a noisy quadratic blows up only once the rate passes 1", async () => {
  // Loss (w - x)^2 with x ~ 3 ± 0.5: the update w -= lr * 2 (w - x) is stable iff lr < 1.
  const rng = new Rng(3);
  let w = 0;
  const r = await rangeTest((lr) => {
    const x = 3 + (rng.next() - 0.5);
    const loss = (w - x) ** 2;
    w -= lr * 2 * (w - x);
    return Promise.resolve(loss);
  }, { minLr: 1e-3, maxLr: 100, steps: 100 });
  assert.equal(r.ended, "diverged");
  const last = r.points.at(-1)!.lr;
  assert.ok(last > 1 && last < 10, `stopped at ${last}`);
  assert.ok(r.suggestion.minOver10 < 1 && r.suggestion.minOver10 > 1e-3);
  assert.ok(r.suggestion.steepest! > 1e-3 && r.suggestion.steepest! < 1);
  // Smoothing is a bias-corrected EMA: the first point is the first loss itself.
  assert.equal(r.points[0].smoothed, r.points[0].loss);
});

Deno.test("suggestLr: steepest fall per decade before the minimum; min/10", () => {
  const at = (lrs: number[], sm: number[]) =>
    lrs.map((lr, i) => ({ lr, loss: sm[i], smoothed: sm[i] }));
  // Falls of 0.1, 1.0, 0.5 per decade, then the minimum at 1e-1 and a rise.
  const s = suggestLr(at([1e-4, 1e-3, 1e-2, 1e-1, 1], [3, 2.9, 1.9, 1.4, 5]));
  assert.equal(s.steepest, 1e-2);
  assert.ok(Math.abs(s.minOver10 - 1e-2) < 1e-15);
  // Rising from the start: no steepest, min/10 of the first rate.
  const up = suggestLr(at([1e-4, 1e-3], [1, 2]));
  assert.equal(up.steepest, undefined);
  assert.ok(Math.abs(up.minOver10 - 1e-5) < 1e-18);
});

Deno.test("suggestLr: early noise and a flat curve do not make a steepest point", () => {
  const lrs = Array.from({ length: 40 }, (_, i) => rangeLr(i, 40, 1e-7, 10));
  // A spurious drop at the start, flat until index 20, a real fall to index 30, then a blow-up.
  const sm = lrs.map((_, i) => i === 0 ? 2.6 : i < 20 ? 2 : i <= 30 ? 2 - (i - 20) * 0.1 : 3);
  const s = suggestLr(lrs.map((lr, i) => ({ lr, loss: sm[i], smoothed: sm[i] })));
  assert.ok(s.steepest! > lrs[20] && s.steepest! < lrs[30], `steepest ${s.steepest}`);
  // Flat but for a 0.5% dip: nothing to suggest but min/10.
  const flat = lrs.map((lr, i) => ({ lr, loss: 1, smoothed: i === 25 ? 0.995 : 1 }));
  assert.equal(suggestLr(flat).steepest, undefined);
  assert.ok(Math.abs(suggestLr(flat).minOver10 - lrs[25] / 10) < 1e-15);
});

Deno.test("rangeTest: bad settings and a non-finite first loss are reported", async () => {
  await assert.rejects(
    () => rangeTest(() => Promise.resolve(1), { minLr: 1, maxLr: 0.1 }),
    /0 < min < max/,
  );
  await assert.rejects(
    () => rangeTest(() => Promise.resolve(NaN)),
    /first step's loss was not finite/,
  );
  const r = await rangeTest((lr) => Promise.resolve(lr > 1e-3 ? Infinity : 1), { steps: 20 });
  assert.equal(r.ended, "non-finite");
  assert.ok(r.points.every((p) => p.lr <= 1e-3));
  assert.ok(rangeTestSvg("t", r).includes("min/10"));
});

function sameParams(a: Record<string, ParamData>, b: Record<string, ParamData>) {
  assert.deepEqual(Object.keys(a).sort(), Object.keys(b).sort());
  for (const k of Object.keys(a)) assert.deepEqual(a[k].data, b[k].data, k);
}

const COMMON = { bs: 4, dropMult: 1, adam: ADAM_DEFAULTS, seed: 5, discriminativeFactor: 0.3 };

Deno.test("lmRangeTest: the loss first falls, then blows up; weights come back bit-identical", async () => {
  const lm = new AwdLstm(ops, encoderPreset("tiny", 30), 1);
  const before = await lm.params.export();
  const stream = Int32Array.from({ length: 2000 }, (_, i) => 9 + (i % 7) * 3);
  const r = await lmRangeTest(lm, stream, {
    ...COMMON,
    bptt: 10,
    alpha: 2,
    beta: 1,
    minLr: 1e-5,
    // Up to 1,000: how soon rates near 100 wreck the model depends on rounding (the
    // smoothed loss crossed 4× its best by step 80 or not as the kernels changed).
    maxLr: 1000,
    steps: 80,
  });
  const first = r.points[0].smoothed;
  const lowest = Math.min(...r.points.map((p) => p.smoothed));
  // Starts near uniform over 30 words, learns the cycle, then the huge rates wreck it.
  assert.ok(Math.abs(first - Math.log(30)) < 0.5, `first loss ${first}`);
  assert.ok(lowest < first - 0.5, `lowest ${lowest} vs first ${first}`);
  assert.notEqual(r.ended, "steps");
  sameParams(await lm.params.export(), before);
  lm.params.dispose();
});

/** `n` documents of 4-11 tokens whose words tell the two labels apart. */
function twoClassDocs(n: number, seed: number): EncodedDoc[] {
  const rng = new Rng(seed);
  return Array.from({ length: n }, (_, i) => ({
    ids: Int32Array.from({ length: 4 + rng.int(8) }, () => 9 + rng.int(10) + (i % 2) * 10),
    label: i % 2,
  }));
}

Deno.test("classifierRangeTest: weights and BatchNorm statistics come back bit-identical", async () => {
  const docs = twoClassDocs(40, 2);
  const clf = new TextClassifier(ops, encoderPreset("tiny", 30), headPreset(2, 8), 4);
  const enc = await clf.encoder.params.export(), head = await clf.head.export();
  const r = await classifierRangeTest(clf, docs, {
    ...COMMON,
    trainMaxTokens: 8,
    minLr: 1e-5,
    maxLr: 10,
    steps: 30,
  });
  assert.ok(r.points.length >= 2);
  assert.equal(r.points[0].lr, 1e-5);
  assert.ok(r.points.every((p) => Number.isFinite(p.loss) && p.loss > 0));
  sameParams(await clf.encoder.params.export(), enc);
  sameParams(await clf.head.export(), head);
  clf.dispose();
});

Deno.test("classifierRangeTest: trainMaxTokens 0 (the default) tests on whole documents", async () => {
  const docs = twoClassDocs(24, 3);
  const clf = new TextClassifier(ops, encoderPreset("tiny", 30), headPreset(2, 8), 4);
  const r = await classifierRangeTest(clf, docs, {
    ...COMMON,
    trainMaxTokens: 0,
    minLr: 1e-5,
    maxLr: 1e-2,
    steps: 6,
  });
  // At small rates the loss starts near ln 2 for two balanced classes, as on real text.
  assert.ok(r.points.length >= 2);
  assert.ok(Math.abs(r.points[0].loss - Math.log(2)) < 0.5, `first loss ${r.points[0].loss}`);
  clf.dispose();
});
