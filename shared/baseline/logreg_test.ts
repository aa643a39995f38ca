import assert from "node:assert/strict";
import { Rng } from "../rng.ts";
import { argmax, fitLogReg, predictProba, softmaxObjective, sumZeroBasis } from "./logreg.ts";
import type { SparseRow } from "./tfidf.ts";

/** Random sparse rows with 1–5 distinct features each, and random labels. */
function randomData(rng: Rng, n: number, features: number, classes: number) {
  const rows: SparseRow[] = [];
  for (let i = 0; i < n; i++) {
    const picked = [...new Set(Array.from({ length: 1 + rng.int(5) }, () => rng.int(features)))];
    const indices = Int32Array.from(picked.sort((a, b) => a - b));
    rows.push({ indices, values: Float64Array.from(indices, () => rng.normal()) });
  }
  return { rows, y: Int32Array.from({ length: n }, () => rng.int(classes)) };
}

/** scikit-learn's objective over all K classes, written out directly: Σ logloss + ‖W‖²/(2C). */
function fullObjective(
  rows: SparseRow[],
  y: Int32Array,
  W: Float64Array,
  b: Float64Array,
  C: number,
): number {
  const K = b.length;
  let f = W.reduce((a, w) => a + w * w, 0) / (2 * C);
  rows.forEach((row, i) => {
    const z = Array.from(b);
    row.indices.forEach((j, t) => {
      for (let k = 0; k < K; k++) z[k] += row.values[t] * W[j * K + k];
    });
    f += Math.log(z.reduce((a, v) => a + Math.exp(v), 0)) - z[y[i]];
  });
  return f;
}

Deno.test("sumZeroBasis: orthonormal rows that sum to zero", () => {
  for (let K = 2; K <= 6; K++) {
    const B = sumZeroBasis(K);
    for (let m = 0; m < K - 1; m++) {
      let sum = 0;
      for (let k = 0; k < K; k++) sum += B[m * K + k];
      assert.ok(Math.abs(sum) < 1e-12);
      for (let m2 = 0; m2 < K - 1; m2++) {
        let d = 0;
        for (let k = 0; k < K; k++) d += B[m * K + k] * B[m2 * K + k];
        assert.ok(Math.abs(d - (m === m2 ? 1 : 0)) < 1e-12, `K ${K}: rows ${m}, ${m2}`);
      }
    }
  }
});

for (const K of [2, 3, 5]) {
  Deno.test(`softmaxObjective (K = ${K}): the full objective at W = V B, and a gradient that matches finite differences`, () => {
    const rng = new Rng(100 + K);
    const features = 12, C = 0.7, M = K - 1;
    const { rows, y } = randomData(rng, 30, features, K);
    const obj = softmaxObjective(rows, y, K, features, C);
    const x = Float64Array.from({ length: features * M + M }, () => rng.normal(0, 0.8));
    const g = new Float64Array(x.length);
    const f = obj(x, g);

    const B = sumZeroBasis(K);
    const lift = (v: Float64Array, rowsOf: number) =>
      Float64Array.from({ length: rowsOf * K }, (_, i) => {
        const j = Math.floor(i / K), k = i % K;
        let w = 0;
        for (let m = 0; m < M; m++) w += v[j * M + m] * B[m * K + k];
        return w;
      });
    const W = lift(x.subarray(0, features * M), features);
    const b = lift(x.subarray(features * M), 1);
    const full = fullObjective(rows, y, W, b, C);
    assert.ok(Math.abs(f - full) < 1e-10 * Math.abs(full), `${f} vs ${full}`);

    const h = 1e-6, scratch = new Float64Array(x.length);
    for (let i = 0; i < x.length; i++) {
      const keep = x[i];
      x[i] = keep + h;
      const up = obj(x, scratch);
      x[i] = keep - h;
      const down = obj(x, scratch);
      x[i] = keep;
      const fd = (up - down) / (2 * h);
      assert.ok(
        Math.abs(fd - g[i]) < 1e-6 * Math.max(1, Math.abs(g[i])),
        `∂f/∂x${i}: ${g[i]} vs ${fd}`,
      );
    }
  });
}

Deno.test("fitLogReg: the fit is a stationary point of scikit-learn's full objective", () => {
  const rng = new Rng(7);
  const K = 4, features = 20, C = 3;
  const { rows, y } = randomData(rng, 80, features, K);
  const fit = fitLogReg(rows, y, { classes: K, features, C, gtol: 1e-6, ftol: 0 });
  assert.equal(fit.stop, "gtol");
  // ∇W = Xᵀ(P − Y) + W / C and ∇b = Σ (P − Y), over all K classes, written out here.
  const gW = Float64Array.from(fit.weights, (w) => w / C), gb = new Float64Array(K);
  rows.forEach((row, i) => {
    const p = predictProba(fit, row);
    const sum = p.reduce((a, v) => a + v, 0);
    assert.ok(Math.abs(sum - 1) < 1e-12);
    p[y[i]] -= 1;
    for (let k = 0; k < K; k++) gb[k] += p[k];
    row.indices.forEach((j, t) => {
      for (let k = 0; k < K; k++) gW[j * K + k] += row.values[t] * p[k];
    });
  });
  for (const g of [...gW, ...gb]) assert.ok(Math.abs(g) < 2e-6, `gradient entry ${g}`);
  // Each feature's weights (and the intercepts) sum to zero over the classes.
  for (let j = 0; j <= features; j++) {
    const w = j < features ? fit.weights.subarray(j * K, j * K + K) : fit.bias;
    assert.ok(Math.abs(w.reduce((a, v) => a + v, 0)) < 1e-9);
  }
  assert.ok(Math.abs(fit.objective - fullObjective(rows, y, fit.weights, fit.bias, C)) < 1e-9);
});

Deno.test("fitLogReg: a warm start from the solution ends at once; a larger C fits more closely", () => {
  const rng = new Rng(8);
  const { rows, y } = randomData(rng, 60, 15, 3);
  const opts = { classes: 3, features: 15, gtol: 1e-6 };
  const small = fitLogReg(rows, y, { ...opts, C: 0.1 });
  const again = fitLogReg(rows, y, { ...opts, C: 0.1, init: small });
  assert.ok(again.iterations <= 1, `${again.iterations} iterations`);
  const big = fitLogReg(rows, y, { ...opts, C: 100, init: small });
  const train = (m: typeof big) =>
    rows.filter((r, i) => argmax(predictProba(m, r)) === y[i]).length;
  assert.ok(train(big) >= train(small));
  assert.ok(
    big.weights.reduce((a, w) => a + w * w, 0) > small.weights.reduce((a, w) => a + w * w, 0),
  );
});

Deno.test("fitLogReg: errors say what to do", () => {
  const row = { indices: Int32Array.of(0), values: Float64Array.of(1) };
  const base = { classes: 2, features: 1 };
  assert.throws(
    () => fitLogReg([], new Int32Array(0), base),
    /Cannot fit logistic regression: no training rows/,
  );
  assert.throws(() => fitLogReg([row], Int32Array.of(0, 1), base), /1 rows but 2 labels/);
  assert.throws(
    () => fitLogReg([row], Int32Array.of(2), base),
    /label 2 of row 0 is not in 0\.\.1/,
  );
  assert.throws(() => fitLogReg([row], Int32Array.of(0), { ...base, classes: 1 }), /at least 2/);
  assert.throws(() => fitLogReg([row], Int32Array.of(0), { ...base, C: 0 }), /C is 0/);
  assert.throws(
    () => fitLogReg([row], Int32Array.of(0), { ...base, features: 0 }),
    /feature 0 is not in/,
  );
  const other = fitLogReg([row], Int32Array.of(0), { ...base, classes: 3 });
  assert.throws(
    () => fitLogReg([row], Int32Array.of(0), { ...base, init: other }),
    /warm start has 1 features × 3 classes/,
  );
});

Deno.test("fitLogReg: a row of weight w fits as w copies of it, and weight 0 as no row", () => {
  const rng = new Rng(7);
  const features = 10, K = 3;
  const { rows, y } = randomData(rng, 24, features, K);
  const weights = Float64Array.from(rows, (_, i) => i % 3);
  const copies: SparseRow[] = [], yCopies: number[] = [];
  rows.forEach((r, i) => {
    for (let c = 0; c < weights[i]; c++) (copies.push(r), yCopies.push(y[i]));
  });
  const o = { classes: K, features, C: 2, gtol: 1e-10, maxIter: 2000 };
  const weighted = fitLogReg(rows, y, { ...o, sampleWeights: weights });
  const copied = fitLogReg(copies, Int32Array.from(yCopies), o);
  assert.ok(Math.abs(weighted.objective - copied.objective) < 1e-9);
  weighted.weights.forEach((w, i) => assert.ok(Math.abs(w - copied.weights[i]) < 1e-5, `w${i}`));
  assert.throws(
    () => fitLogReg(rows, y, { ...o, sampleWeights: new Float64Array(3) }),
    /sampleWeights must be 24 finite numbers/,
  );
});
