/**
 * Model hyper-parameters and presets. Every size and probability of the
 * AWD-LSTM and the classifier head is a value here; checkpoints carry them.
 *
 * @module
 */

/** AWD-LSTM language-model encoder settings. */
export interface AwdLstmConfig {
  /** Rows of the embedding (and of the tied decoder). */
  vocabSize: number;
  /** Embedding size; also the last LSTM layer's hidden size (tied decoder). */
  embSize: number;
  /** Hidden size of every LSTM layer but the last. */
  hiddenSize: number;
  /** LSTM layers (paper 3). */
  numLayers: number;
  /** Id of `xxpad`. */
  padId: number;
  /** Embedding dropout: whole vocabulary rows (paper 0.05). */
  embedDropout: number;
  /** Locked dropout on the embedding output (paper 0.4). */
  inputDropout: number;
  /** Locked dropout between LSTM layers (paper 0.3). */
  hiddenDropout: number;
  /** Locked dropout on the last layer's output (paper 0.4). */
  outputDropout: number;
  /** DropConnect on every hidden-to-hidden matrix (paper 0.5). */
  weightDropout: number;
}

/** Classifier head settings (concat pooling + linear blocks). */
export interface HeadConfig {
  /** Hidden sizes between the pooled features and the output (paper [50]). */
  hiddenSizes: number[];
  /** Dropout before each linear block; one more entry than hiddenSizes. */
  dropouts: number[];
  /** Output classes. */
  numClasses: number;
  /** BatchNorm epsilon (PyTorch convention). */
  bnEps: number;
  /** BatchNorm running-statistics momentum (PyTorch convention). */
  bnMomentum: number;
  /** Pool over at most this many final states of a document (BPT3C). */
  maxLen: number;
  /** Chunk length when running long documents (BPT3C). */
  bptt: number;
  /** Concat pooling [h_T, max, mean]; false pools the last state only. */
  concatPool: boolean;
  /**
   * Which LSTM layers' outputs are pooled: the last one (the paper), or every
   * layer's concatenated per step, lowest first (the lower layers are wider).
   */
  poolLayers: PoolLayers;
}

/** The choices of {@linkcode HeadConfig.poolLayers}. */
export const POOL_LAYERS = ["last", "all"] as const;
/** One of {@linkcode POOL_LAYERS}. */
export type PoolLayers = typeof POOL_LAYERS[number];

/** Names of the built-in presets. */
export const PRESETS = ["tiny", "small", "paper"] as const;
/** One of {@linkcode PRESETS}. */
export type PresetName = typeof PRESETS[number];

const DROPOUTS = {
  embedDropout: 0.05,
  inputDropout: 0.4,
  hiddenDropout: 0.3,
  outputDropout: 0.4,
  weightDropout: 0.5,
};

/**
 * The encoder of a preset for a given vocabulary size.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { encoderPreset } from "./config.ts";
 * const c = encoderPreset("paper", 60000);
 * assert.equal(c.embSize, 400);
 * assert.equal(c.hiddenSize, 1150);
 * assert.equal(c.numLayers, 3);
 * ```
 */
export function encoderPreset(name: PresetName, vocabSize: number): AwdLstmConfig {
  const sizes = {
    tiny: { embSize: 16, hiddenSize: 32, numLayers: 2 },
    small: { embSize: 64, hiddenSize: 256, numLayers: 3 },
    paper: { embSize: 400, hiddenSize: 1150, numLayers: 3 },
  }[name];
  if (!sizes) throw new Error(`Cannot use preset "${name}": use one of ${PRESETS.join(", ")}`);
  return { vocabSize, padId: 1, ...sizes, ...DROPOUTS };
}

/**
 * The classifier head for a number of classes (paper: hidden 50; dropouts as
 * fastai's defaults, 0.4 before the hidden block and 0.1 before the output).
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { headPreset } from "./config.ts";
 * assert.equal(headPreset(2).hiddenSizes[0], 50);
 * ```
 */
export function headPreset(numClasses: number, bptt = 70): HeadConfig {
  return {
    hiddenSizes: [50],
    dropouts: [0.4, 0.1],
    numClasses,
    bnEps: 1e-5,
    bnMomentum: 0.1,
    maxLen: 1400,
    bptt,
    concatPool: true,
    poolLayers: "last",
  };
}

/** Sizes of layer l of an encoder: [input size, hidden size]. */
export function layerSizes(c: AwdLstmConfig, l: number): [number, number] {
  const nIn = l === 0 ? c.embSize : c.hiddenSize;
  const nHid = l === c.numLayers - 1 ? c.embSize : c.hiddenSize;
  return [nIn, nHid];
}

/**
 * Features per time step that the head pools: the last layer's (embSize), or
 * with `poolLayers` "all" every layer's side by side.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { encoderPreset, headPreset, poolStepSize } from "./config.ts";
 * const small = encoderPreset("small", 100);
 * assert.equal(poolStepSize(small, headPreset(2)), 64);
 * assert.equal(poolStepSize(small, { ...headPreset(2), poolLayers: "all" }), 256 + 256 + 64);
 * ```
 */
export function poolStepSize(c: AwdLstmConfig, h: Pick<HeadConfig, "poolLayers">): number {
  if (h.poolLayers !== "all") return c.embSize;
  let n = 0;
  for (let l = 0; l < c.numLayers; l++) n += layerSizes(c, l)[1];
  return n;
}

/**
 * Width of the pooled features, the head's input: [h_T, max, mean] of
 * {@linkcode poolStepSize} features each, or h_T alone without concat pooling.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { encoderPreset, headPreset, pooledFeatureSize } from "./config.ts";
 * const small = encoderPreset("small", 100);
 * assert.equal(pooledFeatureSize(small, headPreset(2)), 3 * 64);
 * assert.equal(pooledFeatureSize(small, { ...headPreset(2), poolLayers: "all" }), 1728);
 * assert.equal(pooledFeatureSize(small, { ...headPreset(2), concatPool: false }), 64);
 * ```
 */
export function pooledFeatureSize(
  c: AwdLstmConfig,
  h: Pick<HeadConfig, "concatPool" | "poolLayers">,
): number {
  return (h.concatPool ? 3 : 1) * poolStepSize(c, h);
}

/**
 * A head config as stored in a model folder, with what older folders lack
 * filled in: `poolLayers` came later, and they pooled the last layer.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { headPreset, withHeadDefaults } from "./config.ts";
 * const { poolLayers: _, ...old } = headPreset(2);
 * assert.equal(withHeadDefaults(old).poolLayers, "last");
 * assert.equal(withHeadDefaults({ ...old, poolLayers: "all" }).poolLayers, "all");
 * ```
 */
export function withHeadDefaults(
  h: Omit<HeadConfig, "poolLayers"> & Partial<HeadConfig>,
): HeadConfig {
  return { ...h, poolLayers: h.poolLayers ?? "last" };
}

/**
 * What is wrong with a head config's choices, naming the field, if anything.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { headConfigProblem, headPreset } from "./config.ts";
 * assert.equal(headConfigProblem(headPreset(2)), undefined);
 * assert.equal(
 *   headConfigProblem({ ...headPreset(2), poolLayers: "every" as "all" }),
 *   'poolLayers = "every" must be "last" or "all"',
 * );
 * ```
 */
export function headConfigProblem(h: Pick<HeadConfig, "poolLayers">): string | undefined {
  if (!(POOL_LAYERS as readonly unknown[]).includes(h.poolLayers)) {
    return `poolLayers = ${JSON.stringify(h.poolLayers)} must be "last" or "all"`;
  }
}

/** Checks the head's choices, throwing an error that names the bad field. */
export function validateHeadConfig(h: HeadConfig): HeadConfig {
  const problem = headConfigProblem(h);
  if (problem) throw new Error(`Cannot build the classifier head: ${problem}`);
  return h;
}

/** Checks a config, throwing an error that names the first bad field. */
export function validateEncoderConfig(c: AwdLstmConfig): AwdLstmConfig {
  const ints = ["vocabSize", "embSize", "hiddenSize", "numLayers"] as const;
  for (const k of ints) {
    if (!Number.isInteger(c[k]) || c[k] < 1) {
      throw new Error(`Cannot build the model: config.${k} = ${c[k]} must be a positive integer`);
    }
  }
  const ps = [
    "embedDropout",
    "inputDropout",
    "hiddenDropout",
    "outputDropout",
    "weightDropout",
  ] as const;
  for (const k of ps) {
    if (!(c[k] >= 0 && c[k] < 1)) {
      throw new Error(`Cannot build the model: config.${k} = ${c[k]} must be in [0, 1)`);
    }
  }
  return c;
}
