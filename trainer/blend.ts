/**
 * Choosing how much of the bag-of-words model to blend into the LSTM classifiers' averaged
 * probabilities: the weight with the best validation accuracy. Small tasks and topic-like
 * labels favour the bag of words, long documents and subtle labels the language model; the
 * validation split, held out from both, decides per task instead of a fixed rule.
 *
 * @module
 */
import { argmax } from "../shared/confusion.ts";
import { blendProbabilities } from "../shared/classify.ts";

/** The weights tried: 0, 0.1, …, 1 (0 is the LSTM classifiers alone). */
export const BLEND_GRID: readonly number[] = Array.from({ length: 11 }, (_, i) => i / 10);

/** The chosen weight and the validation accuracies it was chosen on. */
export interface BlendChoice {
  weight: number;
  valid: { lm: number; baseline: number; blend: number };
}

function accuracy(probs: readonly Float32Array[], truth: readonly number[]): number {
  let right = 0;
  probs.forEach((p, i) => right += argmax(p) === truth[i] ? 1 : 0);
  return right / probs.length;
}

function logLoss(probs: readonly Float32Array[], truth: readonly number[]): number {
  let sum = 0;
  probs.forEach((p, i) => sum -= Math.log(Math.max(p[truth[i]], 1e-12)));
  return sum / probs.length;
}

/**
 * The blend weight with the best validation accuracy; ties go to the lower validation log loss,
 * then to the smaller weight.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { chooseBlendWeight } from "./blend.ts";
 * const f = (...p: number[]) => Float32Array.from(p);
 * // The LM is right on the first two texts, the bag of words on the last two. Blended with
 * // weights 0.4 to 0.6 all four are right; 0.5 has the lowest log loss of those.
 * const lm = [f(0.9, 0.1), f(0.6, 0.4), f(0.6, 0.4), f(0.55, 0.45)];
 * const bow = [f(0.4, 0.6), f(0.45, 0.55), f(0.3, 0.7), f(0.2, 0.8)];
 * const c = chooseBlendWeight(lm, bow, [0, 0, 1, 1]);
 * assert.deepEqual(c, { weight: 0.5, valid: { lm: 0.5, baseline: 0.5, blend: 1 } });
 * ```
 */
export function chooseBlendWeight(
  lm: readonly Float32Array[],
  bow: readonly Float32Array[],
  truth: readonly number[],
  grid: readonly number[] = BLEND_GRID,
): BlendChoice {
  if (!lm.length || lm.length !== truth.length) {
    throw new Error(
      `Cannot choose a blend weight: ${lm.length} validation predictions for ${truth.length} ` +
        "labels; score the validation split with both models",
    );
  }
  let best = { weight: 0, acc: -1, loss: Infinity };
  for (const weight of grid) {
    const p = blendProbabilities(lm, bow, weight);
    const acc = accuracy(p, truth), loss = logLoss(p, truth);
    if (acc > best.acc || (acc === best.acc && loss < best.loss)) best = { weight, acc, loss };
  }
  return {
    weight: best.weight,
    valid: { lm: accuracy(lm, truth), baseline: accuracy(bow, truth), blend: best.acc },
  };
}
