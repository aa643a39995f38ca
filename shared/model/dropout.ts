/**
 * The four AWD-LSTM dropouts, each as a mask sampler plus a one-line apply.
 * Masks use inverted dropout (kept entries scaled by 1/(1-p)) and are drawn
 * from fitlam's seeded {@linkcode Rng}, so runs and resumes are repeatable
 * and tests can hand in masks of their own.
 *
 * @module
 */
import type { Tensor, Tensor1D, Tensor2D, Tensor3D } from "@tensorflow/tfjs";
import type { Rng } from "../rng.ts";
import type { Ops } from "../ops/ops.ts";
import { type AwdLstmConfig, layerSizes } from "./config.ts";

/** Masks for one forward pass of the encoder; an absent mask means no dropout there. */
export interface EncoderMasks {
  /** [V]: embedding dropout, one entry per vocabulary row. */
  embedRows?: Tensor1D;
  /** [B, E]: locked dropout on the embedding output, shared by all time steps. */
  input?: Tensor2D;
  /** [B, h_l] for l < L-1: locked dropout on each inner layer's output. */
  hidden?: (Tensor2D | undefined)[];
  /** [B, E]: locked dropout on the last layer's output. */
  output?: Tensor2D;
  /** [4h_l, h_l]: DropConnect masks on each hidden-to-hidden matrix. */
  weightHh?: (Tensor2D | undefined)[];
}

/**
 * Samples `count` inverted-dropout entries as a tensor of `shape`, or returns
 * undefined when `p` is 0 (no mask, no cost).
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import * as tf from "@tensorflow/tfjs";
 * import { createOps } from "../ops/ops.ts";
 * import { Rng } from "../rng.ts";
 * import { sampleMask } from "./dropout.ts";
 * await tf.setBackend("cpu");
 * const m = sampleMask(createOps(tf, "cpu"), new Rng(1), [2, 3], 0.5)!;
 * assert.ok(m.dataSync().every((v) => v === 0 || v === 2));
 * ```
 */
export function sampleMask(ops: Ops, rng: Rng, shape: number[], p: number): Tensor | undefined {
  if (p <= 0) return undefined;
  const size = shape.reduce((a, b) => a * b, 1);
  return ops.tensor(rng.dropoutMask(new Float32Array(size), p), shape);
}

/**
 * Samples all encoder masks for a batch of `batch` sequences; `scale`
 * multiplies every probability (fastai's drop_mult).
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import * as tf from "@tensorflow/tfjs";
 * import { createOps } from "../ops/ops.ts";
 * import { Rng } from "../rng.ts";
 * import { encoderPreset } from "./config.ts";
 * import { sampleEncoderMasks } from "./dropout.ts";
 * await tf.setBackend("cpu");
 * const m = sampleEncoderMasks(createOps(tf, "cpu"), new Rng(1), encoderPreset("tiny", 50), 4);
 * assert.equal(m.input!.shape.join(), "4,16");
 * ```
 */
export function sampleEncoderMasks(
  ops: Ops,
  rng: Rng,
  c: AwdLstmConfig,
  batch: number,
  scale = 1,
): EncoderMasks {
  const hidden: (Tensor2D | undefined)[] = [];
  const weightHh: (Tensor2D | undefined)[] = [];
  for (let l = 0; l < c.numLayers; l++) {
    const [, nHid] = layerSizes(c, l);
    weightHh.push(sampleMask(ops, rng, [4 * nHid, nHid], c.weightDropout * scale) as Tensor2D);
    if (l < c.numLayers - 1) {
      hidden.push(sampleMask(ops, rng, [batch, nHid], c.hiddenDropout * scale) as Tensor2D);
    }
  }
  return {
    embedRows: sampleMask(ops, rng, [c.vocabSize], c.embedDropout * scale) as Tensor1D,
    input: sampleMask(ops, rng, [batch, c.embSize], c.inputDropout * scale) as Tensor2D,
    hidden,
    output: sampleMask(ops, rng, [batch, c.embSize], c.outputDropout * scale) as Tensor2D,
    weightHh,
  };
}

/** Frees every tensor of a mask set. */
export function disposeMasks(ops: Ops, m: EncoderMasks | undefined): void {
  if (!m) return;
  const all: (Tensor | undefined)[] = [
    m.embedRows,
    m.input,
    m.output,
    ...(m.hidden ?? []),
    ...(m.weightHh ?? []),
  ];
  ops.dispose(all.filter((t): t is Tensor => t !== undefined));
}

/**
 * Embedding lookup with embedding dropout: a dropped vocabulary row is zero
 * wherever that word occurs in the batch (same as masking the matrix rows,
 * without touching the whole matrix).
 */
export function embedWithDropout(
  ops: Ops,
  weight: Tensor2D,
  tokens: Tensor,
  rowMask?: Tensor1D,
): Tensor3D {
  const embedded = ops.gather(weight, tokens) as unknown as Tensor3D;
  if (!rowMask) return embedded;
  return ops.mul(embedded, ops.expandDims(ops.gather(rowMask, tokens), -1)) as Tensor3D;
}

/** Locked (variational) dropout: one [B, n] mask for every time step of [T, B, n]. */
export function lockedDropout(ops: Ops, x: Tensor3D, mask?: Tensor2D): Tensor3D {
  return mask ? ops.mul(x, mask) as Tensor3D : x;
}

/** DropConnect: the mask multiplies the weights in use; the stored weights stay as they are. */
export function dropConnect(ops: Ops, weight: Tensor2D, mask?: Tensor2D): Tensor2D {
  return mask ? ops.mul(weight, mask) as Tensor2D : weight;
}

/** Plain dropout on [B, n] features given a [B, n] mask. */
export function featureDropout(ops: Ops, x: Tensor2D, mask?: Tensor2D): Tensor2D {
  return mask ? ops.mul(x, mask) as Tensor2D : x;
}
