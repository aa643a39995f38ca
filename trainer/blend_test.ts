import assert from "node:assert/strict";
import { Rng } from "../shared/rng.ts";
import { chooseBlendWeights } from "./blend.ts";
import { blendProbabilities } from "../shared/classify.ts";

/** Mean log loss of softmax(a·log p + b·log q), computed plainly. */
function loss(lm: Float32Array[], bow: Float32Array[], y: number[], a: number, b: number) {
  let s = 0;
  lm.forEach((p, i) => {
    const z = Array.from(p, (v, c) => a * Math.log(v) + b * Math.log(bow[i][c]));
    const lse = Math.log(z.reduce((t, x) => t + Math.exp(x), 0));
    s += lse - z[y[i]];
  });
  return s / y.length;
}

/** Random probability vectors that lean towards the truth with a given strength. */
function model(rng: Rng, y: number[], K: number, strength: number): Float32Array[] {
  return y.map((k) => {
    const z = Array.from({ length: K }, (_, c) => (c === k ? strength : 0) + 2 * rng.next());
    const e = z.map(Math.exp), sum = e.reduce((a, b) => a + b, 0);
    return Float32Array.from(e, (v) => v / sum);
  });
}

Deno.test("chooseBlendWeights finds the log-loss minimum a brute-force grid finds", () => {
  const rng = new Rng(3);
  for (const [strengthLm, strengthBow] of [[2, 0.3], [0.5, 1.5], [1, 1]]) {
    const y = Array.from({ length: 200 }, () => rng.int(4));
    const lm = model(rng, y, 4, strengthLm), bow = model(rng, y, 4, strengthBow);
    const { weights } = chooseBlendWeights(lm, bow, y);
    let best = Infinity;
    for (let a = 0; a <= 6; a += 0.1) {
      for (let b = 0; b <= 12; b += 0.1) best = Math.min(best, loss(lm, bow, y, a, b));
    }
    const got = loss(lm, bow, y, weights.lm, weights.baseline);
    assert.ok(got <= best + 1e-4, `fitted ${JSON.stringify(weights)}: ${got} vs grid ${best}`);
    // The weaker model gets the smaller weight.
    if (strengthLm !== strengthBow) {
      assert.equal(
        weights.lm > weights.baseline,
        strengthLm > strengthBow,
        JSON.stringify(weights),
      );
    }
  }
});

Deno.test("chooseBlendWeights refuses predictions that do not match the labels", () => {
  const p = [Float32Array.of(0.5, 0.5)];
  assert.throws(
    () => chooseBlendWeights(p, [], [0]),
    /Cannot fit blend weights: 1 and 0 validation predictions for 1 labels/,
  );
});

Deno.test("chooseBlendWeights: where both models lose to a flat guess, the label is still their joint vote", () => {
  const f = (...p: number[]) => Float32Array.from(p);
  // Three labels; both models confidently wrong on most validation texts, so flat scores have
  // the lowest log loss, but on a new text both still point the same way.
  const lm = [f(0.98, 0.01, 0.01), f(0.01, 0.98, 0.01), f(0.01, 0.01, 0.98), f(0.98, 0.01, 0.01)];
  const bow = [f(0.01, 0.98, 0.01), f(0.98, 0.01, 0.01), f(0.01, 0.98, 0.01), f(0.01, 0.01, 0.98)];
  const c = chooseBlendWeights(lm, bow, [2, 2, 0, 1]);
  assert.deepEqual(c.weights, { lm: 0.01, baseline: 0.01 });
  const [p] = blendProbabilities([f(0.2, 0.7, 0.1)], [f(0.3, 0.6, 0.1)], c.weights);
  assert.equal(p.indexOf(Math.max(...p)), 1); // not the first label
  assert.ok(Math.max(...p) < 0.34, `nearly flat: ${p}`);
});
