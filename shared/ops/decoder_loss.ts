/**
 * Mean softmax cross-entropy of a linear decoder, `h·Wᵀ + b`, fused so the
 * full [N, V] logits never exist at once: the forward pass and the gradient
 * both walk the rows in chunks. For a 60k vocabulary this is what keeps
 * language-model training inside the wasm heap.
 *
 * @module
 */
import type { Scalar, Tensor, Tensor1D, Tensor2D } from "@tensorflow/tfjs";
import type { TfOps } from "./tf_ops.ts";

/** Inputs of the fused decoder loss. */
export interface DecoderLossInputs {
  /** Decoder inputs [N, E]. */
  h: Tensor2D;
  /** Decoder weights [V, E] (tied to the embedding in AWD-LSTM). */
  weight: Tensor2D;
  /** Decoder bias [V]. */
  bias: Tensor1D;
  /** Target ids [N], int32. */
  targets: Tensor1D;
  /** Rows per chunk; default keeps a chunk's logits near 16M floats. */
  chunkRows?: number;
}

/**
 * Reference implementation from tfjs ops, with a hand-written gradient
 * (softmax − one-hot, per chunk).
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import * as tf from "@tensorflow/tfjs";
 * import { createOps } from "./ops.ts";
 * await tf.setBackend("cpu");
 * const ops = createOps(tf, "cpu");
 * const loss = ops.decoderLoss({
 *   h: tf.zeros([2, 3]), weight: tf.zeros([4, 3]), bias: tf.zeros([4]),
 *   targets: tf.tensor1d([0, 3], "int32"),
 * });
 * assert.ok(Math.abs(loss.dataSync()[0] - Math.log(4)) < 1e-6);
 * ```
 */
export function decoderLossGeneric(ops: TfOps, inputs: DecoderLossInputs): Scalar {
  const { targets } = inputs;
  const [N, E] = inputs.h.shape;
  const V = inputs.weight.shape[0];
  const chunk = Math.max(1, Math.min(N, inputs.chunkRows ?? Math.floor(16_000_000 / V)));
  const starts: number[] = [];
  for (let s = 0; s < N; s += chunk) starts.push(s);
  const rowsOf = (s: number) => Math.min(chunk, N - s);
  const run = ops.customGrad(
    // deno-lint-ignore no-explicit-any
    ((h: Tensor2D, weight: Tensor2D, bias: Tensor1D, save: any) => {
      // Targets are saved too: the forward scope frees tensors not saved.
      save([h, weight, bias, targets]);
      const wT = ops.transpose(weight);
      const parts = starts.map((s) =>
        ops.tidy(() => {
          const logits = ops.add(ops.matMul(ops.slice(h, [s, 0], [rowsOf(s), E]), wT), bias);
          const logp = ops.logSoftmax(logits);
          const picked = ops.mul(logp, ops.oneHot(ops.slice(targets, [s], [rowsOf(s)]), V));
          return ops.sum(picked);
        })
      );
      const value = ops.div(ops.neg(ops.addN(parts)), N) as Scalar;
      return {
        value,
        gradFunc: (dy: Tensor, saved: Tensor[]) => {
          const [hS, wS, bS, tS] = saved as [Tensor2D, Tensor2D, Tensor1D, Tensor1D];
          const scale = ops.div(dy, N);
          const wTS = ops.transpose(wS);
          let dW = ops.zeros([V, E]) as Tensor2D;
          let dB = ops.zeros([V]) as Tensor1D;
          const dHs: Tensor2D[] = [];
          for (const s of starts) {
            const [dHc, dWn, dBn] = ops.tidy(() => {
              const hc = ops.slice(hS, [s, 0], [rowsOf(s), E]);
              const probs = ops.softmax(ops.add(ops.matMul(hc, wTS), bS));
              const oneHot = ops.oneHot(ops.slice(tS, [s], [rowsOf(s)]), V);
              const dLogits = ops.mul(ops.sub(probs, oneHot), scale) as Tensor2D;
              return [
                ops.matMul(dLogits, wS),
                ops.add(dW, ops.matMul(ops.transpose(dLogits), hc)),
                ops.add(dB, ops.sum(dLogits, 0)),
              ] as Tensor[];
            });
            ops.dispose([dW, dB]);
            dHs.push(dHc as Tensor2D), dW = dWn as Tensor2D, dB = dBn as Tensor1D;
          }
          return [ops.concat(dHs, 0), dW, dB];
        },
      };
      // deno-lint-ignore no-explicit-any
    }) as any,
  );
  return run(inputs.h, inputs.weight, inputs.bias) as Scalar;
}
