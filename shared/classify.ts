/**
 * What every loaded classifier offers, whichever engine runs it
 * (TensorFlow.js in `pipeline.ts`, fitlam's wasm kernels in `infer/`): the
 * types, and turning averaged probabilities into predictions. No
 * TensorFlow.js.
 *
 * @module
 */
import type { Direction, ModelConfig } from "./model/io.ts";

/** One text's prediction: the best label, its probability, and every label's. */
export interface Prediction {
  /** The most probable label. */
  label: string;
  /** Its probability. */
  score: number;
  /** Every label's probability (they sum to 1). */
  scores: Record<string, number>;
}

/** What was loaded. */
export interface ClassifierInfo {
  /** The labels, in the order of each probability vector. */
  labels: string[];
  /** The reading directions loaded (their probabilities are averaged). */
  directions: Direction[];
  /** The engine the models run on (a TensorFlow.js backend, or `cpu-wasm`). */
  backend: string;
  /** Each direction's `config.json`. */
  configs: Partial<Record<Direction, ModelConfig>>;
  /** SHA-256 of each direction's `model.safetensors`. */
  checksums: Partial<Record<Direction, string>>;
  /** The bag-of-words model blended in, when the folder has one (`baseline/`), and the weights. */
  blend?: { weights: BlendWeights; features: number; checksum: string };
}

/** A function from texts to probabilities [texts × labels], in input order. */
export type ProbabilitiesFn = (texts: string[]) => Promise<Float32Array[]>;

/** A loaded classifier. */
export interface Classifier {
  /** Classifies one text or many, in input order. */
  classify(texts: string | string[]): Promise<Prediction[]>;
  /** Probabilities [texts × labels] before picking the best label. */
  probabilities(texts: string[]): Promise<Float32Array[]>;
  /** What was loaded. */
  readonly info: ClassifierInfo;
  /** Frees the models' memory; the classifier cannot be used afterwards. */
  dispose(): void;
}

/**
 * The prediction of one probability vector: the first most probable label.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { toPrediction } from "./classify.ts";
 * const p = toPrediction(["ham", "spam"], new Float32Array([0.25, 0.75]));
 * assert.deepEqual(p, { label: "spam", score: 0.75, scores: { ham: 0.25, spam: 0.75 } });
 * ```
 */
export function toPrediction(labels: string[], p: Float32Array): Prediction {
  let best = 0;
  for (let c = 1; c < p.length; c++) if (p[c] > p[best]) best = c;
  const scores = Object.fromEntries(labels.map((l, c) => [l, p[c]]));
  return { label: labels[best], score: p[best], scores };
}

/**
 * The mean of several models' probabilities per text (the forward and
 * backward classifiers'), summed in model order as `p / models` so every
 * caller gets the same bits.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { averageProbabilities } from "./classify.ts";
 * const fwd = [new Float32Array([0.25, 0.75])];
 * const bwd = [new Float32Array([0.75, 0.25])];
 * assert.deepEqual(averageProbabilities([fwd, bwd]), [new Float32Array([0.5, 0.5])]);
 * ```
 */
export function averageProbabilities(perModel: Float32Array[][]): Float32Array[] {
  const n = perModel.length;
  return (perModel[0] ?? []).map((_, i) => {
    const sum = new Float32Array(perModel[0][i].length);
    for (const probs of perModel) probs[i].forEach((v, c) => sum[c] += v / n);
    return sum;
  });
}

/**
 * How the LSTM classifiers' averaged probabilities and a bag-of-words model's are combined: each
 * model's log-probabilities times its weight, then a softmax. Fitted on validation by the trainer,
 * the weights also calibrate: a bag-of-words model trained on few documents answers with nearly
 * flat probabilities, and a weight above 1 sharpens them.
 */
export interface BlendWeights {
  /** Weight of the LSTM classifiers' averaged log-probabilities. */
  lm: number;
  /** Weight of the bag-of-words model's log-probabilities. */
  baseline: number;
}

/**
 * Log of a probability, floored so that a probability that underflowed to 0 stays finite; the
 * blend and its fit both take logs through here.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { safeLog } from "./classify.ts";
 * assert.equal(safeLog(1), 0);
 * assert.ok(Number.isFinite(safeLog(0)));
 * ```
 */
export function safeLog(p: number): number {
  return Math.log(Math.max(p, 1e-12));
}

/**
 * `softmax(w.lm · log lm + w.baseline · log bow)` per text.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { blendProbabilities } from "./classify.ts";
 * const lm = [new Float32Array([0.2, 0.8])];
 * const bow = [new Float32Array([0.8, 0.2])];
 * // Equal weights: the two opinions cancel.
 * assert.deepEqual(blendProbabilities(lm, bow, { lm: 1, baseline: 1 }), [new Float32Array([0.5, 0.5])]);
 * // The LSTMs alone at weight 1 are unchanged (within float rounding).
 * const [p] = blendProbabilities(lm, bow, { lm: 1, baseline: 0 });
 * assert.ok(Math.abs(p[1] - 0.8) < 1e-6);
 * ```
 */
export function blendProbabilities(
  lm: readonly Float32Array[],
  bow: readonly Float32Array[],
  w: BlendWeights,
): Float32Array[] {
  if (lm.length !== bow.length) {
    throw new Error(
      `Cannot blend probabilities: ${lm.length} texts from the classifiers, ${bow.length} ` +
        "from the bag-of-words model; score the same texts with both",
    );
  }
  return lm.map((p, i) => {
    const z = Array.from(p, (v, c) => w.lm * safeLog(v) + w.baseline * safeLog(bow[i][c]));
    const max = Math.max(...z);
    let sum = 0;
    for (let c = 0; c < z.length; c++) sum += z[c] = Math.exp(z[c] - max);
    return Float32Array.from(z, (e) => e / sum);
  });
}

/** A {@linkcode Classifier} from its probabilities function. */
export function makeClassifier(
  info: ClassifierInfo,
  probabilities: ProbabilitiesFn,
  dispose: () => void,
): Classifier {
  return {
    info,
    probabilities,
    async classify(texts) {
      const list = typeof texts === "string" ? [texts] : texts;
      return (await probabilities(list)).map((p) => toPrediction(info.labels, p));
    },
    dispose,
  };
}
