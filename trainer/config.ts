/**
 * Training configuration: presets, JSON config files and command-line
 * flags, merged in that order. Checkpoints and model folders carry the
 * resolved config.
 *
 * @module
 */
import {
  type AwdLstmConfig,
  encoderPreset,
  type PoolLayers,
  type PresetName,
} from "../shared/model/config.ts";
import { fileURLToPath } from "node:url";
import { ADAM_DEFAULTS, type AdamConfig } from "./optim.ts";

/**
 * Whether `stages` is stage 1 alone, which reads a corpus and no target task (nor the shipped
 * LMs).
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { stageOneAlone } from "./config.ts";
 * assert.equal(stageOneAlone(["pretrain"]), true);
 * assert.equal(stageOneAlone(["pretrain", "classify"]), false);
 * assert.equal(stageOneAlone([]), false);
 * ```
 */
export function stageOneAlone(stages: readonly string[]): boolean {
  return stages.length > 0 && stages.every((s) => s === "pretrain");
}

/** The general-English LMs that ship in the repository (`weights/enwiki/pretrain-{fwd,bwd}`). */
export const SHIPPED_LMS: string = fileURLToPath(new URL("../weights/enwiki", import.meta.url));

/**
 * Everything a run needs to know, in the shape of the `--config` files and the `run` row of
 * `metrics.jsonl`, which users already write: there `""` and `0` still mean "not set". Each
 * stage reads its own typed options, with `undefined` for "not set" (`pretrainOptions`,
 * `finetuneOptions` and `classifyOptions` in `stages/`).
 */
export interface TrainConfig {
  preset: PresetName;
  /** Encoder sizes of a model this run creates, each 0 for the preset's (stage 1 or --no-pretrain). */
  model: { embSize: number; hiddenSize: number; numLayers: number };
  device: string;
  seed: number;
  out: string;
  directions: ("fwd" | "bwd")[];
  /** General-domain corpus path; empty: the embedded default (SOTU + Moby Dick). */
  corpus: string;
  /** Cap on general-domain tokens used (0: all). */
  corpusMaxTokens: number;
  /** Folder holding `pretrain-{fwd,bwd}` from another run or an import; empty: `out`. */
  from: string;
  /**
   * The pretrained LMs that ship with fitlam (`pretrain-{fwd,bwd}` inside), used when the run
   * trains no stage 1 of its own and names no `from`; empty: none (stage 1 runs).
   */
  pretrained: string;
  /** Corpora (e.g. WikiText-2 valid/test `.tokens`) on which to report the pretrained LM's perplexity. */
  lmEval: string[];
  /** Target task: train file/folder; empty: the embedded default (SpamAssassin). */
  data: string;
  /** Embedded default task only: keep the first this many characters of each message body. */
  defaultMaxChars: number;
  test: string;
  valid: string;
  /**
   * Unlabelled text of the task (one document a line; `.gz` too): stage 2 reads it, and the
   * bag of words is self-trained on it (`selfTrain`). Empty: none beyond the task's own.
   */
  unlabeled: string;
  format: string;
  textField: string;
  labelField: string;
  /** IMDb only: keep a seeded this-many labelled reviews per class in each of train and test (0: all). */
  maxPerClass: number;
  /** IMDb only: keep a seeded this-many unlabelled (`train/unsup`) reviews for stage 2 (0: all). */
  maxUnlabeled: number;
  maxVocab: number;
  minFreq: number;
  pretrain: {
    epochs: number;
    bs: number;
    bptt: number;
    lr: number;
    /** Share of the corpus's documents (the first ones, in file order) held out for validation. */
    validFraction: number;
  };
  finetune: {
    epochs: number;
    bs: number;
    bptt: number;
    lr: number;
    warmup: boolean;
    gradualUnfreeze: boolean;
    cosine: boolean;
    discriminative: boolean;
    /** Cap on target-task LM tokens (0: all). */
    maxTokens: number;
    /** Token passes the stage may take: fewer epochs for large tasks, never less than 1 (0: none). */
    tokenBudget: number;
    /** Cap on the validation stream scored after each epoch (0: all). */
    validMaxTokens: number;
  };
  classify: {
    epochs: number;
    bs: number;
    lr: number;
    discriminative: boolean;
    gradualUnfreeze: boolean;
    cosine: boolean;
    /** Training documents are cut to their first this many tokens (0: whole documents, BPT3C). */
    trainMaxTokens: number;
    /** Stop when validation accuracy has not improved for this many epochs (0: never). */
    patience: number;
    /** Token passes the stage may take: fewer epochs for large tasks, never less than 2 (0: none). */
    tokenBudget: number;
    /** Share of each epoch's steps over which the rate rises before its cosine fall (0: none). */
    rampShare: number;
    /** Dropout multiplier of this stage (ULMFiT's classifier uses 0.5). */
    dropMult: number;
    /**
     * Weigh each labelled document by n / (labels × its label's count) in the loss, so that every
     * label weighs alike however rare (scikit-learn's "balanced"); off by default.
     */
    balanceLabels: boolean;
    /**
     * Use at most this many training documents, a seeded label-stratified sample (0: all); a
     * validation split carved from the training file then keeps ⌈N / 9⌉ of its documents.
     */
    maxTrainDocs: number;
    /** An epoch of fewer batches repeats the data until it has this many (0: one pass), so a
     * few hundred labelled documents still get enough steps between validations. */
    minEpochBatches: number;
    /**
     * Where validation is small (under 300 documents), stage 3 also trains once per fold of this
     * many on the others, so every labelled document gets an answer from a classifier that never
     * saw it and the blend is fitted on all of them (0: fit on validation alone).
     */
    heldOutFolds: number;
    concatPool: boolean;
    /** Pool the last LSTM layer's outputs (the paper), or every layer's side by side. */
    poolLayers: PoolLayers;
    /** Memory (MB, estimated) one step's backward pass may take: a batch of long documents that
     * needs more runs in parts with their gradients averaged (0: never split). */
    stepMemoryMB: number;
  };
  /** Lower layer group's rate = upper × this (paper 0.3; ULMFiT 1/2.6). */
  discriminativeFactor: number;
  alpha: number;
  beta: number;
  dropMult: number;
  adam: AdamConfig;
  noPretrain: boolean;
  noLmFinetune: boolean;
  /** Train and score the bag-of-words baseline (TF-IDF + logistic regression) beside the test. */
  baseline: boolean;
  /**
   * Blend the baseline's and the classifiers' averaged log-probabilities with weights fitted on
   * validation (`trainer/blend.ts`) and save it as `OUT/baseline/`, which loaders then apply.
   */
  blend: boolean;
  /**
   * Before blending, self-train the bag-of-words model on the task's unlabelled text (its
   * unlabelled documents and the training documents stage 3 did not take), keeping a round only
   * where validation accuracy rises (`shared/baseline/self_train.ts`).
   */
  selfTrain: boolean;
  /**
   * Character n-grams of these lengths within words (`[min, max]`) beside the word 1-2-grams of
   * the bag of words that is blended in, where it is not self-trained (there, measured, they cost
   * self-training its gain); the baseline evaluate prints stays words alone. `[]`: words alone.
   */
  bowCharNgrams: number[];
  /** Most character n-grams the bag of words keeps (those in the most documents; 0: all). */
  bowCharFeatures: number;
  checkpointEvery: number;
  resume: boolean;
  /** Run the learning-rate range test on the one requested stage instead of training it. */
  lrFind: boolean;
  /** Steps of the range test (rates 1e-7 to 10). */
  lrFindSteps: number;
}

const BASE: Omit<TrainConfig, "preset"> = {
  model: { embSize: 0, hiddenSize: 0, numLayers: 0 },
  // The same default as serve, predict, bench and loadClassifier: the measured, tested path.
  device: "wasm",
  seed: 42,
  out: "weights",
  directions: ["fwd", "bwd"],
  corpus: "",
  corpusMaxTokens: 0,
  from: "",
  pretrained: "",
  lmEval: [],
  data: "",
  defaultMaxChars: 20_000,
  test: "",
  valid: "",
  unlabeled: "",
  format: "auto",
  // Empty: "text"/"label" for CSV/JSONL, and a header-less Zhang CSV can still be detected.
  textField: "",
  labelField: "",
  maxPerClass: 0,
  maxUnlabeled: 0,
  maxVocab: 60000,
  minFreq: 2,
  pretrain: { epochs: 1, bs: 64, bptt: 70, lr: 0.002, validFraction: 0.05 },
  finetune: {
    epochs: 5,
    bs: 64,
    bptt: 70,
    lr: 0.002,
    warmup: true,
    gradualUnfreeze: true,
    cosine: true,
    discriminative: true,
    maxTokens: 0,
    tokenBudget: 0,
    validMaxTokens: 0,
  },
  classify: {
    epochs: 3,
    bs: 32,
    lr: 0.01,
    discriminative: true,
    gradualUnfreeze: false,
    cosine: true,
    trainMaxTokens: 0,
    patience: 2,
    tokenBudget: 0,
    rampShare: 0,
    dropMult: 0.5,
    balanceLabels: false,
    maxTrainDocs: 0,
    minEpochBatches: 25,
    heldOutFolds: 3,
    concatPool: true,
    poolLayers: "last",
    // Half the wasm backend's 4 GB heap: the estimate (clf_step.ts) is rough.
    stepMemoryMB: 2048,
  },
  discriminativeFactor: 0.3,
  alpha: 2,
  beta: 1,
  dropMult: 1,
  adam: ADAM_DEFAULTS,
  noPretrain: false,
  noLmFinetune: false,
  baseline: true,
  blend: true,
  selfTrain: true,
  // Measured on five tasks without unlabelled text: served +0.5 points on average (RESULTS.md).
  bowCharNgrams: [3, 5],
  // Uncapped they were 2/3 of the default run's bag of words and doubled the edge entry's memory.
  bowCharFeatures: 50_000,
  checkpointEvery: 200,
  resume: false,
  lrFind: false,
  lrFindSteps: 100,
};

/**
 * The resolved config of a preset.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { presetConfig } from "./config.ts";
 * assert.equal(presetConfig("paper").pretrain.bptt, 70);
 * ```
 */
export function presetConfig(preset: PresetName): TrainConfig {
  const c: TrainConfig = structuredClone({ ...BASE, preset });
  if (preset === "tiny") {
    Object.assign(c, {
      corpusMaxTokens: 20_000,
      maxVocab: 2000,
      checkpointEvery: 0,
      defaultMaxChars: 300,
    });
    Object.assign(c.pretrain, { epochs: 1, bs: 8, bptt: 20, lr: 0.005 });
    Object.assign(c.finetune, {
      epochs: 2,
      bs: 8,
      bptt: 20,
      lr: 0.005,
      maxTokens: 20_000,
      validMaxTokens: 5_000,
    });
    Object.assign(c.classify, {
      epochs: 2,
      bs: 16,
      lr: 0.02,
      trainMaxTokens: 60,
      maxTrainDocs: 300,
      heldOutFolds: 0,
    });
  } else if (preset === "small") {
    // The CPU default. Stage 1 is the shipped general-English LM (weights/enwiki); the settings
    // below apply when a run pretrains its own (--corpus, or `train pretrain`). Stages 2 and 3
    // read all of the task's data; token budgets bound their epochs so the default run (both
    // directions) fits 15 minutes on 2 cores, while small tasks get every configured epoch.
    Object.assign(c, {
      pretrained: SHIPPED_LMS,
      corpusMaxTokens: 200_000,
      maxVocab: 10_000,
      minFreq: 3,
      defaultMaxChars: 300,
      dropMult: 0.5,
    });
    Object.assign(c.pretrain, { epochs: 1, bs: 16, bptt: 70, lr: 0.01 });
    Object.assign(c.finetune, {
      epochs: 3,
      bs: 32,
      bptt: 70,
      lr: 0.002,
      maxTokens: 0,
      tokenBudget: 600_000,
      validMaxTokens: 10_000,
    });
    // Measured on TREC-6 and AG News (RESULTS.md): one rate for every layer learns far faster
    // than discriminative rates or gradual unfreezing here, and with the shipped LM this small
    // model underfits: rate 0.01 with dropout × 0.1 beat 0.003 × 0.5 by 8 points on AG News.
    Object.assign(c.classify, {
      epochs: 10,
      bs: 32,
      lr: 0.01,
      dropMult: 0.1,
      discriminative: false,
      trainMaxTokens: 0,
      maxTrainDocs: 0,
      tokenBudget: 1_250_000,
    });
  }
  return c;
}

/**
 * Why `bowCharNgrams` (or `bowCharFeatures`) cannot be used, or undefined: it must be `[]` or
 * `[min, max]` with 1 ≤ min ≤ max, and the cap a whole number ≥ 0 (checked before any training).
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { bowCharNgramsProblem } from "./config.ts";
 * assert.equal(bowCharNgramsProblem([2, 5]), undefined);
 * assert.equal(bowCharNgramsProblem([]), undefined);
 * assert.match(bowCharNgramsProblem([5, 2])!, /Cannot use bowCharNgrams \[5,2\]/);
 * assert.match(bowCharNgramsProblem([0, 3])!, /1 <= min <= max/);
 * assert.match(bowCharNgramsProblem([3, 5], -1)!, /Cannot use bowCharFeatures -1/);
 * ```
 */
export function bowCharNgramsProblem(r: number[], max = 0): string | undefined {
  if (!(Number.isInteger(max) && max >= 0)) {
    return `Cannot use bowCharFeatures ${max}: give a whole number >= 0 (0: keep every ` +
      "character n-gram)";
  }
  const ok = r.length === 0 ||
    (r.length === 2 && r.every(Number.isInteger) && r[0] >= 1 && r[1] >= r[0]);
  return ok ? undefined : `Cannot use bowCharNgrams ${JSON.stringify(r)}: give [min, max] ` +
    "character n-gram lengths with 1 <= min <= max, e.g. [2, 5], or [] for words alone";
}

/**
 * The encoder a run creates for a vocabulary size: the preset's, with any sizes `model` sets.
 * A model loaded from a folder keeps its own sizes.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { encoderFor, presetConfig } from "./config.ts";
 * const c = presetConfig("small");
 * assert.equal(encoderFor(c, 100).embSize, 64);
 * c.model.embSize = 200;
 * const e = encoderFor(c, 100);
 * assert.deepEqual([e.embSize, e.hiddenSize, e.numLayers, e.vocabSize], [200, 256, 3, 100]);
 * ```
 */
export function encoderFor(c: TrainConfig, vocabSize: number): AwdLstmConfig {
  const e = encoderPreset(c.preset, vocabSize);
  const { embSize, hiddenSize, numLayers } = c.model;
  for (const [k, v] of Object.entries(c.model)) {
    if (!Number.isInteger(v) || v < 0) {
      throw new Error(`Cannot size the model: "model.${k}" must be a whole number ≥ 0, got ${v}`);
    }
  }
  return {
    ...e,
    embSize: embSize || e.embSize,
    hiddenSize: hiddenSize || e.hiddenSize,
    numLayers: numLayers || e.numLayers,
  };
}
