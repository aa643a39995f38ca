/**
 * The ops interface the model is written against: a fixed subset of
 * TensorFlow.js functions plus fitlam's own fused ops (the LSTM layer and the
 * tied-decoder softmax loss). The model never imports a backend or calls the
 * global engine's backend switch; it only sees an {@linkcode Ops}.
 *
 * @module
 */
import type * as tfNamespace from "@tensorflow/tfjs";
import type { Tensor } from "@tensorflow/tfjs";
import { lstmGeneric, type LstmInputs, type LstmOutputs } from "./lstm.ts";
import { decoderLossGeneric, type DecoderLossInputs } from "./decoder_loss.ts";
import { type Tf, TF_OPS, type TfOps } from "./tf_ops.ts";

export { type Tf, TF_OPS, type TfOps } from "./tf_ops.ts";

/** A replaceable implementation of the LSTM layer op. */
export type LstmKernel = (ops: Ops, inputs: LstmInputs) => LstmOutputs;

/** A replaceable implementation of the tied-decoder cross-entropy op. */
export type DecoderLossKernel = (ops: Ops, inputs: DecoderLossInputs) => tfNamespace.Scalar;

/** Everything the model computes with. */
export interface Ops extends TfOps {
  /** Name of the tfjs backend these ops run on. */
  readonly backend: string;
  /** Runs one LSTM layer over all time steps (one op, own gradient). */
  lstm(inputs: LstmInputs): LstmOutputs;
  /** Mean cross-entropy of `h·Wᵀ + b` against targets, computed in row chunks. */
  decoderLoss(inputs: DecoderLossInputs): tfNamespace.Scalar;
}

const lstmKernels = new Map<string, LstmKernel>();
const decoderLossKernels = new Map<string, DecoderLossKernel>();

/**
 * Registers a faster LSTM kernel for one backend; ops created afterwards for
 * that backend use it instead of the generic one.
 *
 * @example
 * ```ts
 * import { registerLstmKernel } from "./ops.ts";
 * import { lstmGeneric } from "./lstm.ts";
 * registerLstmKernel("cpu", lstmGeneric);
 * ```
 */
export function registerLstmKernel(backend: string, kernel: LstmKernel): void {
  lstmKernels.set(backend, kernel);
}

/** Like {@linkcode registerLstmKernel}, for the decoder loss. */
export function registerDecoderLossKernel(backend: string, kernel: DecoderLossKernel): void {
  decoderLossKernels.set(backend, kernel);
}

/** At most this many tensors go into one tfjs `addN`. */
export const ADD_N_GROUP = 4;

/**
 * `tf.addN` in groups of at most {@linkcode ADD_N_GROUP} tensors. tfjs-webgpu binds each input
 * of `addN` as a storage buffer, and past the device's limit (8 per shader unless raised) it
 * silently returns a stale buffer instead of the sum (seen with 8 or more inputs: a stage-1 loss
 * of 0 at batch 96 and a 20k vocabulary, whose decoder loss sums 9 chunks, and a wrong gradient
 * norm, summed over 14 weights, at any batch).
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import * as tf from "@tensorflow/tfjs";
 * import { addNInGroups } from "./ops.ts";
 * await tf.setBackend("cpu");
 * const xs = Array.from({ length: 11 }, (_, i) => tf.scalar(i + 1));
 * assert.equal(addNInGroups(tf, xs).dataSync()[0], 66);
 * ```
 */
export function addNInGroups<T extends Tensor>(tf: Tf, xs: T[]): T {
  if (xs.length <= ADD_N_GROUP) return tf.addN(xs);
  return tf.tidy(() => {
    let level: Tensor[] = xs;
    while (level.length > ADD_N_GROUP) {
      const next: Tensor[] = [];
      for (let i = 0; i < level.length; i += ADD_N_GROUP) {
        const group = level.slice(i, i + ADD_N_GROUP);
        next.push(group.length === 1 ? group[0] : tf.addN(group));
      }
      level = next;
    }
    return tf.addN(level) as T;
  });
}

/**
 * Builds the ops for a started tfjs backend.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import * as tf from "@tensorflow/tfjs";
 * import { createOps } from "./ops.ts";
 * await tf.setBackend("cpu");
 * const ops = createOps(tf, "cpu");
 * assert.equal(ops.add(ops.scalar(1), ops.scalar(2)).dataSync()[0], 3);
 * ```
 */
export function createOps(tf: Tf, backend: string): Ops {
  const picked = {} as Record<string, unknown>;
  for (const name of TF_OPS) picked[name] = tf[name];
  const ops = picked as unknown as Ops;
  Object.assign(ops, {
    backend,
    addN: (xs: Tensor[]) => addNInGroups(tf, xs),
    lstm: (inputs: LstmInputs) => (lstmKernels.get(backend) ?? lstmGeneric)(ops, inputs),
    decoderLoss: (inputs: DecoderLossInputs) =>
      (decoderLossKernels.get(backend) ?? decoderLossGeneric)(ops, inputs),
  });
  return ops;
}
