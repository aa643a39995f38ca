/**
 * The AWD-LSTM encoder and concat pooling on fitlam's wasm kernels alone (no
 * TensorFlow.js): the LSTM weights stay resident in the kernel pool's memory,
 * each batch runs in BPTT-sized chunks with every layer's state carried, and
 * the pooled features [h_T, max, mean] over each document's last `maxLen`
 * states are accumulated chunk by chunk, so no [T, B, E] output is kept.
 * The same computation as `TextClassifier.encodeChunks` + `pool`.
 *
 * @module
 */
import { type AwdLstmConfig, type HeadConfig, layerSizes } from "../model/config.ts";
import { forwardWork, type KernelPool, TASK_LSTM_FORWARD } from "../ops/wasm/pool.ts";
import type { NamedTensor } from "../weights/safetensors.ts";

/** One LSTM layer's sizes and the byte offsets of its weights in the pool. */
interface Layer {
  nIn: number;
  H: number;
  wIh: number;
  wHh: number;
  bIh: number;
  bHh: number;
}

/** What pooling needs of the head's config. */
export type PoolConfig = Pick<HeadConfig, "maxLen" | "bptt" | "concatPool">;

/** The encoder of one direction, its weights copied once into `pool`'s memory. */
export class ResidentEncoder {
  readonly layers: Layer[] = [];
  readonly emb: Float32Array;

  constructor(
    readonly pool: KernelPool,
    readonly config: AwdLstmConfig,
    tensors: Record<string, NamedTensor>,
  ) {
    this.emb = tensors["encoder.weight"].data as Float32Array;
    const put = (name: string) => {
      const data = tensors[name].data as Float32Array;
      const at = pool.alloc(data.length);
      pool.f32(at, data.length).set(data);
      return at;
    };
    for (let l = 0; l < config.numLayers; l++) {
      const [nIn, H] = layerSizes(config, l);
      const w = (n: string) => put(`rnns.${l}.${n}`);
      this.layers.push({
        nIn,
        H,
        wIh: w("weight_ih"),
        wHh: w("weight_hh"),
        bIh: w("bias_ih"),
        bHh: w("bias_hh"),
      });
    }
    pool.keep();
  }

  /**
   * Pooled features [B × 3E] (or [B × E] without concat pooling) of the
   * documents `seqs` (token ids, each at least one long).
   */
  encode(seqs: Int32Array[], pc: PoolConfig): Float32Array {
    const p = this.pool, B = seqs.length, E = this.config.embSize;
    const T = Math.max(...seqs.map((s) => s.length));
    const L = Math.min(pc.bptt, T);
    const mark = p.top;
    try {
      const width = Math.max(...this.layers.map((l) => Math.max(l.nIn, l.H)));
      const hMax = Math.max(...this.layers.map((l) => l.H));
      const scratchN = Math.max(
        ...this.layers.map((l) => 4 * ((l.H + 7) & ~7) * (l.nIn + l.H + 1)),
      );
      let x = p.alloc(L * B * width), y = p.alloc(L * B * width);
      const gates = p.alloc(L * B * 4 * hMax), cs = p.alloc(L * B * hMax);
      const scratch = p.alloc(scratchN);
      // Per layer: [h, c] in and [h, c] out, swapped after every chunk.
      const states = this.layers.map((l) => [0, 1, 2, 3].map(() => p.alloc(B * l.H)));
      states.forEach((s, i) => p.f32(s[0], 2 * B * this.layers[i].H).fill(0));
      states.forEach((s, i) => p.f32(s[1], B * this.layers[i].H).fill(0));
      const top = p.top;
      const acc = new PoolAccumulator(seqs, E, pc.maxLen);
      for (let s = 0; s < T; s += pc.bptt) {
        const len = Math.min(pc.bptt, T - s);
        this.embed(seqs, s, len, p.f32(x, len * B * E));
        for (let l = 0; l < this.layers.length; l++) {
          const { nIn, H, wIh, wHh, bIh, bHh } = this.layers[l];
          const [h0, c0, hT, cT] = states[l];
          p.run(
            TASK_LSTM_FORWARD,
            [len, B, nIn, H, x, wIh, wHh, bIh, bHh, h0, c0, scratch, gates, y, cs, hT, cT],
            forwardWork(p.threads, len, B, nIn, H),
          );
          p.top = top;
          states[l] = [hT, cT, h0, c0];
          [x, y] = [y, x];
        }
        acc.add(p.f32(x, len * B * E), s, len);
      }
      return acc.result(pc.concatPool);
    } finally {
      p.top = mark;
    }
  }

  /** Writes the embeddings of steps [s, s + len) time-major into `x` [len, B, E]. */
  private embed(seqs: Int32Array[], s: number, len: number, x: Float32Array): void {
    const E = this.config.embSize, B = seqs.length, pad = this.config.padId;
    for (let t = 0; t < len; t++) {
      for (let b = 0; b < B; b++) {
        const tok = s + t < seqs[b].length ? seqs[b][s + t] : pad;
        x.set(this.emb.subarray(tok * E, tok * E + E), (t * B + b) * E);
      }
    }
  }
}

/** Running last state, maximum and sum of each document's pooling window. */
class PoolAccumulator {
  readonly last: Float32Array;
  readonly max: Float32Array;
  readonly sum: Float32Array;

  constructor(readonly seqs: Int32Array[], readonly E: number, readonly maxLen: number) {
    const n = seqs.length * E;
    this.last = new Float32Array(n);
    this.max = new Float32Array(n).fill(-Infinity);
    this.sum = new Float32Array(n);
  }

  /** Adds the outputs `out` [len, B, E] of steps [s, s + len). */
  add(out: Float32Array, s: number, len: number): void {
    const { E, seqs } = this, B = seqs.length;
    for (let b = 0; b < B; b++) {
      const n = seqs[b].length, start = Math.max(s, n - this.maxLen, 0);
      const o = b * E;
      for (let pos = start; pos < Math.min(n, s + len); pos++) {
        const at = ((pos - s) * B + b) * E;
        for (let e = 0; e < E; e++) {
          const v = out[at + e];
          if (v > this.max[o + e]) this.max[o + e] = v;
          this.sum[o + e] += v;
        }
        if (pos === n - 1) this.last.set(out.subarray(at, at + E), o);
      }
    }
  }

  /** [last, max, mean] per document, or the last state alone. */
  result(concat: boolean): Float32Array {
    const { E, seqs } = this, B = seqs.length;
    if (!concat) return this.last;
    const out = new Float32Array(B * 3 * E);
    for (let b = 0; b < B; b++) {
      const count = Math.min(seqs[b].length, this.maxLen);
      const o = b * 3 * E;
      out.set(this.last.subarray(b * E, (b + 1) * E), o);
      out.set(this.max.subarray(b * E, (b + 1) * E), o + E);
      for (let e = 0; e < E; e++) out[o + 2 * E + e] = this.sum[b * E + e] / count;
    }
    return out;
  }
}
