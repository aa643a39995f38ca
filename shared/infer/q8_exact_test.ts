// The int8 LSTM kernel against a hand-built case where its 7-bit activation
// codes are exact, so it must agree with plain arithmetic on the dequantized
// weights to float rounding: token A's embedding row is 63 everywhere (codes
// 127 = 63 + the offset 64) and saturates every gate of step 1, so every h₁ is
// ±tanh(1) and codes as ±63 exactly; token B's row holds codes in [-63, 63]
// with 63 among them. Step 2 then tests the input and recurrent products, the
// row sums that remove the offset, padding (36 and 101 are not multiples of
// 16) and both ways of splitting the work between two threads.
import assert from "node:assert/strict";
import { type AwdLstmConfig, encoderPreset } from "../model/config.ts";
import { KernelPool } from "../ops/wasm/pool.ts";
import { Rng } from "../rng.ts";
import type { NamedTensor } from "../weights/safetensors.ts";
import { ResidentEncoder } from "./encoder.ts";

const E = 36, A = 0, B = 2;
const SCALE_A = 1, SCALE_B = 0.01, SCALE_IH = 0.01, SCALE_HH = 0.005;

const i8 = (shape: number[], data: Int8Array): NamedTensor => ({ dtype: "I8", shape, data });
const f32 = (data: number[]): NamedTensor => ({
  dtype: "F32",
  shape: [data.length],
  data: new Float32Array(data),
});

/** Layer 0's int8 matrices and biases; layer 1 (not checked) random. */
function buildCase(H: number, rng: Rng) {
  const G = 4 * H, int = (lo: number, hi: number) => lo + rng.int(hi - lo + 1);
  const rowB = Int8Array.from({ length: E }, () => int(-63, 63));
  rowB[int(0, E - 1)] = 63;
  const emb = new Int8Array(4 * E);
  emb.fill(63, A * E, A * E + E);
  emb.set(rowB, B * E);
  // Gates i, f, o all positive and g of alternating sign for token A: saturated.
  const wIh = Int8Array.from({ length: G * E }, (_, q) => {
    const g = Math.floor(q / E), sign = g >= 2 * H && g < 3 * H && g % 2 ? -1 : 1;
    return sign * int(1, 127);
  });
  const wHh = Int8Array.from({ length: G * H }, () => int(-127, 127));
  const bIh = Array.from({ length: G }, () => rng.next() * 0.2 - 0.1);
  const bHh = Array.from({ length: G }, () => rng.next() * 0.2 - 0.1);
  const random = (n: number) => Int8Array.from({ length: n }, () => int(-127, 127));
  const tensors: Record<string, NamedTensor> = {
    "encoder.weight": i8([4, E], emb),
    "encoder.weight.scale": f32([SCALE_A, 0, SCALE_B, 0]),
    "rnns.0.weight_ih": i8([G, E], wIh),
    "rnns.0.weight_ih.scale": f32(Array(G).fill(SCALE_IH)),
    "rnns.0.weight_hh": i8([G, H], wHh),
    "rnns.0.weight_hh.scale": f32(Array(G).fill(SCALE_HH)),
    "rnns.0.bias_ih": f32(bIh),
    "rnns.0.bias_hh": f32(bHh),
    "rnns.1.weight_ih": i8([4 * E, H], random(4 * E * H)),
    "rnns.1.weight_ih.scale": f32(Array(4 * E).fill(0.01)),
    "rnns.1.weight_hh": i8([4 * E, E], random(4 * E * E)),
    "rnns.1.weight_hh.scale": f32(Array(4 * E).fill(0.01)),
    "rnns.1.bias_ih": f32(Array(4 * E).fill(0)),
    "rnns.1.bias_hh": f32(Array(4 * E).fill(0)),
  };
  return { tensors, rowB, wIh, wHh, bIh, bHh };
}

/** h after tokens A then B, in float64 on the dequantized weights. */
function reference(H: number, c: ReturnType<typeof buildCase>): number[] {
  const sig = (v: number) => 1 / (1 + Math.exp(-v));
  const step = (x: number[], h: number[], cPrev: number[]) => {
    const z = Array.from({ length: 4 * H }, (_, g) => {
      let ih = 0, hh = 0;
      for (let k = 0; k < E; k++) ih += c.wIh[g * E + k] * x[k];
      for (let k = 0; k < H; k++) hh += c.wHh[g * H + k] * h[k];
      return c.bIh[g] + c.bHh[g] + SCALE_IH * ih + SCALE_HH * hh;
    });
    const cNew = cPrev.map((cp, k) => sig(z[H + k]) * cp + sig(z[k]) * Math.tanh(z[2 * H + k]));
    return [cNew.map((cn, k) => sig(z[3 * H + k]) * Math.tanh(cn)), cNew];
  };
  const zeros = Array(H).fill(0);
  const [h1, c1] = step(Array(E).fill(63 * SCALE_A), zeros, zeros);
  return step([...c.rowB].map((q) => q * SCALE_B), h1, c1)[0];
}

// Documents a case runs: 40 go in blocks of 6 code rows with 8 left as 4 + 4, 9 (one thread) as
// 4 + 4 + 1, 7 as 6 + 1.
const CASES = [
  [101, 40, "batch rows"],
  [300, 7, "hidden units"],
  [64, 9, "batch rows"],
] as const;

for (const [H, docs, split] of CASES) {
  Deno.test(`int8 LSTM kernel: exact codes give plain arithmetic (H ${H}, ${docs} documents, ${split} split)`, async () => {
    const c = buildCase(H, new Rng(H));
    const want = reference(H, c);
    assert.ok(want.some((v) => Math.abs(v) > 0.3), "step 2 must not be saturated");
    const config: AwdLstmConfig = { ...encoderPreset("tiny", 4), embSize: E, hiddenSize: H };
    for (const threads of [1, 2]) {
      const pool = new KernelPool(threads);
      try {
        assert.equal(await pool.ready(), threads);
        const enc = new ResidentEncoder(pool, config, c.tensors);
        const seqs = Array.from({ length: docs }, () => Int32Array.from([A, B]));
        const pc = { maxLen: 10, bptt: 10, concatPool: false, poolLayers: "all" as const };
        const got = enc.encode(seqs, pc); // per document: layer 0's h (H), then layer 1's (E)
        for (let d = 0; d < docs; d++) {
          for (let k = 0; k < H; k++) {
            const diff = Math.abs(got[d * (H + E) + k] - want[k]);
            assert.ok(diff < 1e-5, `threads ${threads}, doc ${d}, unit ${k}: |Δh| = ${diff}`);
          }
        }
      } finally {
        pool.close();
      }
    }
  });
}
