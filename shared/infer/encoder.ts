/**
 * The AWD-LSTM encoder and concat pooling on fitlam's wasm kernels alone (no
 * TensorFlow.js): the LSTM weights stay resident in the kernel pool's memory,
 * each batch runs in BPTT-sized chunks with every layer's state carried, and
 * the pooled features [h_T, max, mean] over each document's last `maxLen`
 * states (of the last layer, or of every layer side by side) are accumulated
 * chunk by chunk, so no [T, B, F] output is kept.
 * The same computation as `TextClassifier.encodePooled`.
 *
 * @module
 */
import { type AwdLstmConfig, type HeadConfig, layerSizes, poolStepSize } from "../model/config.ts";
import {
  forwardWork,
  type KernelPool,
  TASK_LSTM_FORWARD,
  TASK_LSTM_FORWARD_Q8,
} from "../ops/wasm/pool.ts";
import { type NamedTensor, toFloat32Tensor } from "../weights/safetensors.ts";
import { SCALE_SUFFIX } from "../weights/quantize.ts";

/**
 * One LSTM layer's sizes and the byte offsets of its weights in the pool;
 * with `q8`, the matrices are int8 (rows padded to 16) with row scales sIh,
 * sHh and row sums rsIh, rsHh (int32: the kernel's codes carry an offset).
 */
interface Layer {
  nIn: number;
  H: number;
  q8: boolean;
  wIh: number;
  wHh: number;
  sIh: number;
  sHh: number;
  rsIh: number;
  rsHh: number;
  bIh: number;
  bHh: number;
}

/** The embedding: fp32 rows, or int8 rows with one scale each. */
interface Embedding {
  data: Float32Array | Int8Array;
  scale?: Float32Array;
}

/**
 * Floats of the gates buffer a kernel call may use (see `encode`): 1 MB on one
 * thread; 4 MB with more, where each call wakes and waits for the others
 * (32 steps a call instead of 8 made `small` int8 at batch 32 ~9% faster on 2
 * threads, and changed nothing on one).
 */
const gateBudget = (threads: number) => threads > 1 ? 1 << 20 : 1 << 18;

/** What pooling needs of the head's config. */
export type PoolConfig = Pick<HeadConfig, "maxLen" | "bptt" | "concatPool" | "poolLayers">;

/** The encoder of one direction, its weights copied once into `pool`'s memory. */
export class ResidentEncoder {
  readonly layers: Layer[] = [];
  readonly emb: Embedding;

  constructor(
    readonly pool: KernelPool,
    readonly config: AwdLstmConfig,
    tensors: Record<string, NamedTensor>,
  ) {
    const emb = tensors["encoder.weight"];
    this.emb = emb.dtype === "I8"
      ? { data: emb.data as Int8Array, scale: scaleOf(tensors, "encoder.weight") }
      : { data: toFloat32Tensor(emb).data as Float32Array };
    for (let l = 0; l < config.numLayers; l++) {
      const [nIn, H] = layerSizes(config, l);
      const name = (n: string) => `rnns.${l}.${n}`;
      const q8 = tensors[name("weight_ih")].dtype === "I8";
      if (q8 !== (tensors[name("weight_hh")].dtype === "I8")) {
        throw new Error(
          `Cannot load layer ${l}: weight_ih and weight_hh differ in dtype; quantize both with deno task quantize`,
        );
      }
      const matrix = (n: string, K: number) =>
        q8
          ? putInt8Rows(pool, tensors[name(n)].data as Int8Array, K)
          : { at: putF32(pool, tensors[name(n)]), sum: 0 };
      const [wIh, wHh] = [matrix("weight_ih", nIn), matrix("weight_hh", H)];
      this.layers.push({
        nIn,
        H,
        q8,
        wIh: wIh.at,
        wHh: wHh.at,
        sIh: q8 ? putF32(pool, tensors[name("weight_ih") + SCALE_SUFFIX]) : 0,
        sHh: q8 ? putF32(pool, tensors[name("weight_hh") + SCALE_SUFFIX]) : 0,
        rsIh: wIh.sum,
        rsHh: wHh.sum,
        bIh: putF32(pool, tensors[name("bias_ih")]),
        bHh: putF32(pool, tensors[name("bias_hh")]),
      });
    }
    pool.keep();
  }

  /**
   * Pooled features [B × 3F] (or [B × F] without concat pooling; F is
   * `poolStepSize`) of the documents `seqs` (token ids, each at least one long).
   */
  encode(seqs: Int32Array[], pc: PoolConfig): Float32Array {
    const p = this.pool, B = seqs.length, E = this.config.embSize;
    const T = Math.max(...seqs.map((s) => s.length));
    const hMax = Math.max(...this.layers.map((l) => l.H));
    // Steps per kernel call: the state is carried, so any length gives the same
    // result; capping the gates buffer keeps a batch's memory small.
    const steps = Math.min(
      pc.bptt,
      T,
      Math.max(8, Math.floor(gateBudget(p.threads) / (B * 4 * hMax))),
    );
    const mark = p.top;
    try {
      const width = Math.max(...this.layers.map((l) => Math.max(l.nIn, l.H)));
      const scratchN = Math.max(...this.layers.map((l) => scratchFloats(l, steps, B, p.threads)));
      let x = p.alloc(steps * B * width), y = p.alloc(steps * B * width);
      const gates = p.alloc(steps * B * 4 * hMax), cs = p.alloc(steps * B * hMax);
      const scratch = p.alloc(scratchN);
      // Per layer: [h, c] in and [h, c] out, swapped after every chunk.
      const states = this.layers.map((l) => [0, 1, 2, 3].map(() => p.alloc(B * l.H)));
      states.forEach((s, i) => p.f32(s[0], 2 * B * this.layers[i].H).fill(0));
      states.forEach((s, i) => p.f32(s[1], B * this.layers[i].H).fill(0));
      const top = p.top;
      const acc = new PoolAccumulator(seqs, poolStepSize(this.config, pc), pc.maxLen);
      const offsets = this.poolOffsets(pc);
      for (let s = 0; s < T; s += steps) {
        const len = Math.min(steps, T - s);
        this.embed(seqs, s, len, p.f32(x, len * B * E));
        for (let l = 0; l < this.layers.length; l++) {
          const { nIn, H, q8, wIh, wHh, sIh, sHh, rsIh, rsHh, bIh, bHh } = this.layers[l];
          const [h0, c0, hT, cT] = states[l];
          const work = forwardWork(p.threads, len, B, nIn, H);
          if (q8) {
            p.run(TASK_LSTM_FORWARD_Q8, [
              ...[len, B, nIn, H, x, wIh, sIh, wHh, sHh, bIh, bHh, h0, c0, scratch, gates, y, cs],
              ...[rsIh, rsHh, hT, cT],
            ], work);
          } else {
            p.run(
              TASK_LSTM_FORWARD,
              [len, B, nIn, H, x, wIh, wHh, bIh, bHh, h0, c0, scratch, gates, y, cs, hT, cT],
              work,
            );
          }
          p.top = top;
          states[l] = [hT, cT, h0, c0];
          [x, y] = [y, x];
          if (offsets[l] >= 0) acc.add(p.f32(x, len * B * H), s, len, offsets[l], H);
        }
      }
      return acc.result(pc.concatPool);
    } finally {
      p.top = mark;
    }
  }

  /** Where each layer's outputs start within a pooled step (-1: not pooled). */
  private poolOffsets(pc: PoolConfig): number[] {
    const last = this.layers.length - 1;
    if (pc.poolLayers !== "all") return this.layers.map((_, l) => l === last ? 0 : -1);
    let at = 0;
    return this.layers.map((l) => (at += l.H) - l.H);
  }

  /** Writes the embeddings of steps [s, s + len) time-major into `x` [len, B, E]. */
  private embed(seqs: Int32Array[], s: number, len: number, x: Float32Array): void {
    const E = this.config.embSize, B = seqs.length, pad = this.config.padId;
    const { data, scale } = this.emb;
    for (let t = 0; t < len; t++) {
      for (let b = 0; b < B; b++) {
        const tok = s + t < seqs[b].length ? seqs[b][s + t] : pad;
        const at = (t * B + b) * E;
        if (!scale) x.set(data.subarray(tok * E, tok * E + E), at);
        else for (let e = 0; e < E; e++) x[at + e] = data[tok * E + e] * scale[tok];
      }
    }
  }
}

/** Floats of scratch one layer's forward task needs (see kernels.c and kernels_q8.c). */
function scratchFloats(l: Layer, T: number, B: number, threads: number): number {
  const H8 = (l.H + 7) & ~7;
  if (!l.q8) return 4 * H8 * (l.nIn + l.H + 1);
  const codes = T * B * pad16(l.nIn) + threads * B * pad16(l.H); // bytes, a multiple of 16
  return codes / 4 + ((T * B + 3) & ~3) + threads * ((B + 3) & ~3) + 4 * l.H + 8;
}

const pad16 = (n: number) => (n + 15) & ~15;

/** Copies an F32 (or F16) tensor into the pool; returns its offset. */
function putF32(pool: KernelPool, t: NamedTensor): number {
  const data = toFloat32Tensor(t).data as Float32Array;
  const at = pool.alloc(data.length);
  pool.f32(at, data.length).set(data);
  return at;
}

/**
 * Copies int8 rows of length K into the pool, padded with zeros to a multiple
 * of 16, and each row's sum (int32) after them; returns both offsets.
 */
function putInt8Rows(pool: KernelPool, q: Int8Array, K: number): { at: number; sum: number } {
  const KP = pad16(K), rows = q.length / K;
  const at = pool.alloc(Math.ceil((rows * KP) / 4));
  const view = new Int8Array(pool.memory.buffer, at, rows * KP);
  view.fill(0);
  for (let r = 0; r < rows; r++) view.set(q.subarray(r * K, (r + 1) * K), r * KP);
  const sum = pool.alloc(rows);
  const sums = new Int32Array(pool.memory.buffer, sum, rows);
  for (let r = 0; r < rows; r++) {
    let t = 0;
    for (let k = r * K; k < (r + 1) * K; k++) t += q[k];
    sums[r] = t;
  }
  return { at, sum };
}

function scaleOf(tensors: Record<string, NamedTensor>, name: string): Float32Array {
  return tensors[name + SCALE_SUFFIX].data as Float32Array;
}

/**
 * Running last state, maximum and sum of each document's pooling window, over
 * `F` features per step that one or more layers fill.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { PoolAccumulator } from "./encoder.ts";
 * // One document of 2 steps; a 1-wide and a 2-wide layer fill features [0] and [1, 2].
 * const acc = new PoolAccumulator([new Int32Array(2)], 3, 10);
 * acc.add(new Float32Array([1, 5]), 0, 2, 0, 1);
 * acc.add(new Float32Array([2, 3, 4, -1]), 0, 2, 1, 2);
 * assert.deepEqual([...acc.result(true)], [5, 4, -1, 5, 4, 3, 3, 3, 1]);
 * ```
 */
export class PoolAccumulator {
  readonly last: Float32Array;
  readonly max: Float32Array;
  readonly sum: Float32Array;

  constructor(readonly seqs: Int32Array[], readonly F: number, readonly maxLen: number) {
    const n = seqs.length * F;
    this.last = new Float32Array(n);
    this.max = new Float32Array(n).fill(-Infinity);
    this.sum = new Float32Array(n);
  }

  /**
   * Adds one layer's outputs `out` [len, B, W] of steps [s, s + len) as
   * features [offset, offset + W) of each step (default: all F).
   */
  add(out: Float32Array, s: number, len: number, offset = 0, W = this.F): void {
    const { F, seqs } = this, B = seqs.length;
    for (let b = 0; b < B; b++) {
      const n = seqs[b].length, start = Math.max(s, n - this.maxLen, 0);
      const o = b * F + offset;
      for (let pos = start; pos < Math.min(n, s + len); pos++) {
        const at = ((pos - s) * B + b) * W;
        for (let e = 0; e < W; e++) {
          const v = out[at + e];
          if (v > this.max[o + e]) this.max[o + e] = v;
          this.sum[o + e] += v;
        }
        if (pos === n - 1) this.last.set(out.subarray(at, at + W), o);
      }
    }
  }

  /** [last, max, mean] per document, or the last state alone. */
  result(concat: boolean): Float32Array {
    const { F, seqs } = this, B = seqs.length;
    if (!concat) return this.last;
    const out = new Float32Array(B * 3 * F);
    for (let b = 0; b < B; b++) {
      const count = Math.min(seqs[b].length, this.maxLen);
      const o = b * 3 * F;
      out.set(this.last.subarray(b * F, (b + 1) * F), o);
      out.set(this.max.subarray(b * F, (b + 1) * F), o + F);
      for (let e = 0; e < F; e++) out[o + 2 * F + e] = this.sum[b * F + e] / count;
    }
    return out;
  }
}
