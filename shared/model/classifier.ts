/**
 * The FitLaM classifier: the AWD-LSTM encoder, concat pooling
 * [h_T, max, mean] over each document's last states (padding masked out) of
 * the last layer or of every layer, and linear blocks of BatchNorm → Dropout
 * → Linear with ReLU between them.
 * Long documents run in BPTT-sized chunks with the state carried (BPT3C).
 *
 * @module
 */
import type { Tensor, Tensor2D, Tensor3D, Variable } from "@tensorflow/tfjs";
import type { Ops } from "../ops/ops.ts";
import { Rng } from "../rng.ts";
import { AwdLstm, type EncodeResult, type LstmState } from "./awd_lstm.ts";
import {
  type AwdLstmConfig,
  type HeadConfig,
  pooledFeatureSize,
  type PoolLayers,
  validateHeadConfig,
} from "./config.ts";
import { type EncoderMasks, featureDropout, sampleMask } from "./dropout.ts";
import { type ParamSpec, ParamStore } from "./params.ts";
import { ChunkPooler } from "./pooling.ts";

/** Masks of one classifier forward pass. */
export interface ClassifierMasks {
  encoder?: EncoderMasks;
  /** One [B, n_in] mask per head block. */
  head?: (Tensor2D | undefined)[];
}

/** Options of {@linkcode TextClassifier.forward}. */
export interface ForwardOptions {
  /** BatchNorm from batch statistics (training) or running statistics (inference). */
  training?: boolean;
  masks?: ClassifierMasks;
  /**
   * The encoder's state before `tokens` (from {@linkcode TextClassifier.skipToWindow});
   * the forward pass takes ownership and frees it. Zeros when absent.
   */
  state?: LstmState;
}

/** Result of a forward pass. */
export interface ForwardResult {
  /** Unnormalised class scores [B, C]. */
  logits: Tensor2D;
  /** Pooled features [B, 3F] (or [B, F] without concat pooling), F = `poolStepSize`. */
  pooled: Tensor2D;
  /** Training only: the new running statistics, to apply after the step. */
  runningUpdates: [Variable, Tensor][];
}

/**
 * Parameter declarations of the head: for block k, `head.k.bn.*` and
 * `head.k.linear.*` (PyTorch layouts; running stats are buffers).
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { encoderPreset, headPreset } from "./config.ts";
 * import { headSpecs } from "./classifier.ts";
 * const s = headSpecs(headPreset(2), encoderPreset("paper", 100));
 * assert.equal(s["head.0.linear.weight"].shape.join(), "50,1200");
 * ```
 */
export function headSpecs(h: HeadConfig, encoder: AwdLstmConfig): Record<string, ParamSpec> {
  const sizes = [pooledFeatureSize(encoder, h), ...h.hiddenSizes, h.numClasses];
  if (h.dropouts.length !== sizes.length - 1) {
    throw new Error(
      `Cannot build the classifier head: ${h.dropouts.length} dropouts given for ${
        sizes.length - 1
      } blocks; give one dropout per block`,
    );
  }
  const specs: Record<string, ParamSpec> = {};
  for (let k = 0; k < sizes.length - 1; k++) {
    const [nIn, nOut] = [sizes[k], sizes[k + 1]];
    const one = { kind: "const", value: 1 } as const, zero = { kind: "const", value: 0 } as const;
    const lin = { kind: "uniform", bound: 1 / Math.sqrt(nIn) } as const;
    specs[`head.${k}.bn.weight`] = { shape: [nIn], init: one, trainable: true };
    specs[`head.${k}.bn.bias`] = { shape: [nIn], init: zero, trainable: true };
    specs[`head.${k}.bn.running_mean`] = { shape: [nIn], init: zero, trainable: false };
    specs[`head.${k}.bn.running_var`] = { shape: [nIn], init: one, trainable: false };
    specs[`head.${k}.linear.weight`] = { shape: [nOut, nIn], init: lin, trainable: true };
    specs[`head.${k}.linear.bias`] = { shape: [nOut], init: lin, trainable: true };
  }
  return specs;
}

/**
 * Builds the masks of the pooling window for right-padded documents:
 * `pool` is 1 at t ∈ [max(0, n−maxLen), n), `last` is 1 at t = n−1;
 * both [T, B, 1].
 */
export function poolingMasks(
  lengths: number[],
  T: number,
  maxLen: number,
): { pool: Float32Array; last: Float32Array; counts: Float32Array } {
  const B = lengths.length;
  const pool = new Float32Array(T * B), last = new Float32Array(T * B);
  const counts = new Float32Array(B);
  lengths.forEach((n, b) => {
    if (!(Number.isInteger(n) && n >= 1 && n <= T)) {
      throw new Error(`Cannot pool document ${b}: length ${n} is outside 1..${T}`);
    }
    const start = Math.max(0, n - maxLen);
    for (let t = start; t < n; t++) pool[t * B + b] = 1;
    last[(n - 1) * B + b] = 1;
    counts[b] = n - start;
  });
  return { pool, last, counts };
}

/**
 * The outputs a head pools from one encoder pass: the last layer's (with its
 * output dropout), or with `"all"` every layer's, lowest first (the lower
 * ones raw, as they go into the next layer before its dropout).
 */
export function pooledLayers(enc: EncodeResult, poolLayers: PoolLayers): Tensor3D[] {
  return poolLayers === "all" ? [...enc.layers.slice(0, -1), enc.output] : [enc.output];
}

/**
 * Encoder + pooling head.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import * as tf from "@tensorflow/tfjs";
 * import { createOps } from "../ops/ops.ts";
 * import { encoderPreset, headPreset } from "./config.ts";
 * import { TextClassifier } from "./classifier.ts";
 * await tf.setBackend("cpu");
 * const clf = new TextClassifier(createOps(tf, "cpu"), encoderPreset("tiny", 30), headPreset(2));
 * const { logits } = clf.forward(tf.tensor2d([[2, 3, 4], [5, 6, 1]], undefined, "int32"), [3, 2]);
 * assert.equal(logits.shape.join(), "2,2");
 * ```
 */
export class TextClassifier {
  readonly encoder: AwdLstm;
  readonly head: ParamStore;
  readonly blocks: number;

  constructor(
    readonly ops: Ops,
    encoderConfig: AwdLstmConfig,
    readonly headConfig: HeadConfig,
    seed = 0,
  ) {
    validateHeadConfig(headConfig);
    this.encoder = new AwdLstm(ops, encoderConfig, seed);
    this.head = new ParamStore(ops, headSpecs(headConfig, encoderConfig), new Rng(seed + 1));
    this.blocks = headConfig.hiddenSizes.length + 1;
  }

  /** Samples the head's dropout masks for a batch (probabilities × `scale`). */
  sampleHeadMasks(rng: Rng, batch: number, scale = 1): (Tensor2D | undefined)[] {
    const masks: (Tensor2D | undefined)[] = [];
    for (let k = 0; k < this.blocks; k++) {
      const nIn = this.head.get(`head.${k}.bn.weight`).shape[0];
      masks.push(
        sampleMask(this.ops, rng, [batch, nIn], this.headConfig.dropouts[k] * scale) as Tensor2D,
      );
    }
    return masks;
  }

  /**
   * Runs the encoder over `tokens` [B, T] (right-padded, int32) in chunks of
   * `bptt` with the state carried (from `initial`, which it frees) and
   * concat-pools each document's window chunk by chunk ({@linkcode ChunkPooler}).
   * Chunks that end before every window are run ({@linkcode skipToWindow}) but not pooled.
   */
  encodePooled(
    tokens: Tensor2D,
    lengths: number[],
    masks?: EncoderMasks,
    initial?: LstmState,
  ): Tensor2D {
    const { ops, headConfig: hc } = this;
    const [B, T] = tokens.shape;
    let { state, offset } = this.skipToWindow(tokens, lengths, masks, initial);
    const m = poolingMasks(lengths.map((n) => n - offset), T - offset, hc.maxLen);
    const pooler = new ChunkPooler(ops, m.counts);
    for (let s = offset; s < T; s += hc.bptt) {
      const len = Math.min(hc.bptt, T - s);
      const chunk = ops.slice(tokens, [0, s], [B, len]) as Tensor2D;
      const enc = this.encoder.encode(chunk, state, masks);
      this.encoder.disposeState(state);
      state = enc.state;
      const at = (s - offset) * B;
      const part = (mask: Float32Array) =>
        ops.tensor3d(mask.subarray(at, at + len * B), [len, B, 1]);
      pooler.add(pooledLayers(enc, hc.poolLayers), part(m.pool), part(m.last));
    }
    this.encoder.disposeState(state);
    return pooler.result(hc.concatPool);
  }

  /**
   * Runs the encoder (from `initial`, which it frees) over the whole chunks of
   * `tokens` [B, T] that end before every document's pooling window and
   * returns the state after them and where they end (`offset`). Called
   * outside a gradient scope, this is the paper's BPT3C: gradients reach only
   * the chunks whose states are pooled, and a long document's earlier chunks
   * hold no memory for the backward pass.
   * `forward(tokens[:, offset:], lengths − offset, { state })` then gives the
   * same output as `forward(tokens, lengths)`.
   */
  skipToWindow(
    tokens: Tensor2D,
    lengths: number[],
    masks?: EncoderMasks,
    initial?: LstmState,
  ): { state?: LstmState; offset: number } {
    const { ops } = this;
    const [B, T] = tokens.shape;
    const { bptt, maxLen } = this.headConfig;
    // The first step of any document's window (0 when one is no longer than maxLen).
    const firstPooled = Math.min(...lengths.map((n) => Math.max(0, n - maxLen)));
    let state = initial;
    let offset = 0;
    for (let s = 0; s + bptt <= firstPooled && s < T; s += bptt) {
      const chunk = ops.slice(tokens, [0, s], [B, bptt]) as Tensor2D;
      const enc = this.encoder.encode(chunk, state, masks);
      ops.dispose([chunk, enc.output, enc.raw, ...enc.layers]);
      this.encoder.disposeState(state);
      state = enc.state;
      offset = s + bptt;
    }
    return { state, offset };
  }

  /** Concat pooling of whole outputs `ys` (one [T, B, H_l] per pooled layer) over each window. */
  pool(ys: Tensor3D[], lengths: number[]): Tensor2D {
    const { ops } = this;
    const [T, B] = ys[0].shape;
    const m = poolingMasks(lengths, T, this.headConfig.maxLen);
    const pooler = new ChunkPooler(ops, m.counts);
    pooler.add(ys, ops.tensor3d(m.pool, [T, B, 1]), ops.tensor3d(m.last, [T, B, 1]));
    return pooler.result(this.headConfig.concatPool);
  }

  /** Classifies right-padded `tokens` [B, T] with true `lengths`. */
  forward(tokens: Tensor2D, lengths: number[], opts: ForwardOptions = {}): ForwardResult {
    const { ops, headConfig: hc } = this;
    const pooled = this.encodePooled(tokens, lengths, opts.masks?.encoder, opts.state);
    const runningUpdates: [Variable, Tensor][] = [];
    let x: Tensor2D = pooled;
    for (let k = 0; k < this.blocks; k++) {
      const p = (n: string) => this.head.get(`head.${k}.${n}`);
      let mean: Tensor, variance: Tensor;
      if (opts.training) {
        const mom = ops.moments(x, 0);
        mean = mom.mean, variance = mom.variance;
        const n = x.shape[0];
        const m = hc.bnMomentum;
        const unbiased = ops.mul(variance, n / Math.max(1, n - 1));
        runningUpdates.push(
          [p("bn.running_mean"), ops.add(ops.mul(p("bn.running_mean"), 1 - m), ops.mul(mean, m))],
          [p("bn.running_var"), ops.add(ops.mul(p("bn.running_var"), 1 - m), ops.mul(unbiased, m))],
        );
      } else {
        mean = p("bn.running_mean"), variance = p("bn.running_var");
      }
      const normed = ops.add(
        ops.mul(ops.div(ops.sub(x, mean), ops.sqrt(ops.add(variance, hc.bnEps))), p("bn.weight")),
        p("bn.bias"),
      ) as Tensor2D;
      const dropped = featureDropout(ops, normed, opts.masks?.head?.[k]);
      x = ops.add(
        ops.matMul(dropped, ops.transpose(p("linear.weight"))),
        p("linear.bias"),
      ) as Tensor2D;
      if (k < this.blocks - 1) x = ops.relu(x);
    }
    return { logits: x, pooled, runningUpdates };
  }

  /** Applies the running-statistics updates of a training forward pass. */
  applyRunningUpdates(updates: [Variable, Tensor][]): void {
    for (const [v, t] of updates) v.assign(t);
    this.ops.dispose(updates.map(([, t]) => t));
  }

  /** All trainable variables: encoder (without the decoder bias) and head. */
  trainableVariables(): Variable[] {
    return [
      ...this.encoder.params.trainable((n) => n !== "decoder.bias"),
      ...this.head.trainable(),
    ];
  }

  /** Frees all parameters. */
  dispose(): void {
    this.encoder.params.dispose();
    this.head.dispose();
  }
}

/**
 * Mean softmax cross-entropy of `logits` [B, C] against int32 `labels` [B]; with `weights` [B]
 * the weighted mean Σ wᵢ·ℓᵢ / Σ wᵢ (stage 3's `classify.balanceLabels`).
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import * as tf from "@tensorflow/tfjs";
 * import { createOps } from "../ops/ops.ts";
 * import { crossEntropy } from "./classifier.ts";
 * await tf.setBackend("cpu");
 * const l = crossEntropy(createOps(tf, "cpu"), tf.zeros([1, 2]), tf.tensor1d([1], "int32"));
 * assert.ok(Math.abs(l.dataSync()[0] - Math.log(2)) < 1e-6);
 * // Weighted 3 : 1, by hand: row 1 loses ln 2, row 2 ln(1 + e⁻²).
 * const logits = tf.tensor2d([[0, 0], [2, 0]]);
 * const w = crossEntropy(createOps(tf, "cpu"), logits, tf.tensor1d([1, 0], "int32"), tf.tensor1d([3, 1]));
 * const want = (3 * Math.log(2) + Math.log(1 + Math.exp(-2))) / 4;
 * assert.ok(Math.abs(w.dataSync()[0] - want) < 1e-6);
 * ```
 */
export function crossEntropy(
  ops: Ops,
  logits: Tensor2D,
  labels: Tensor,
  weights?: Tensor,
): Tensor {
  const [, C] = logits.shape;
  const picked = ops.sum(ops.mul(ops.logSoftmax(logits), ops.oneHot(labels as never, C)), 1);
  if (!weights) return ops.neg(ops.mean(picked));
  return ops.neg(ops.div(ops.sum(ops.mul(picked, weights)), ops.sum(weights)));
}
