/**
 * The rows of `metrics.jsonl`, typed: the {@linkcode MetricsEvent} union, one
 * interface per `type`, with fields in the order they are written.
 * `metrics.ts` writes the rows; `metrics_read.ts` reads them back and checks
 * each against its type.
 *
 * @module
 */

import type { BaselineRow } from "../shared/baseline/mod.ts";
import type { Direction } from "../shared/model/io.ts";
import type { TrainConfig } from "./config.ts";
import type { RangeResult } from "./lr_find.ts";
import type { Mistake } from "./mistakes.ts";

/** The stages that train, in run order. */
export const TRAINING_STAGES = ["pretrain", "finetune-lm", "classify"] as const;
/** A stage that trains: LM pretraining, LM fine-tuning or the classifier. */
export type TrainingStage = typeof TRAINING_STAGES[number];
/** The model directions, forward first. */
export const DIRECTIONS = ["fwd", "bwd"] as const satisfies readonly Direction[];

// ---------------------------------------------------------------------------
// Events, in the field order they are written

/** The first row of each process: its settings and machine. */
export interface RunEvent {
  type: "run";
  /** The settings (an older log holds that version's settings). */
  config: TrainConfig;
  /** The stages asked for. */
  stages: readonly string[];
  /** OS, architecture and core count. */
  machine: string;
  /** The compute backend's description. */
  backend: string;
  /**
   * SHA-256 of each direction's LM the run starts from (`--from` or the shipped LMs), so that
   * `--resume` knows the same LMs in a moved checkout (absent in older logs).
   */
  lms?: Partial<Record<Direction, string>>;
}

/** One training step (batch) of a stage and direction. */
export interface StepEvent {
  type: "step";
  stage: TrainingStage;
  direction: Direction;
  epoch: number;
  /** The stage's step count after this step. */
  step: number;
  loss: number;
  lr: number;
  /** Tokens in the batch (classifier steps; older logs lack it). */
  tokens?: number;
  /** Tokens a second over the epoch so far. */
  tokensPerSec: number;
}

/**
 * End of an epoch: the language-model stages write `loss` and `perplexity`,
 * the classifier `accuracy` and `error`.
 */
export interface ValidEvent {
  type: "valid";
  stage: TrainingStage;
  direction: Direction;
  epoch: number;
  loss?: number;
  perplexity?: number;
  accuracy?: number;
  error?: number;
}

/** The test split scored by one direction or by their average. */
export interface TestEvent {
  type: "test";
  direction: Direction | "avg";
  accuracy: number;
  error: number;
  /** Class names, in the confusion matrix's order. */
  labels: string[];
  /** Counts: rows the true class, columns the predicted one. */
  confusion: number[][];
}

/**
 * The bag-of-words baseline trained on stage 3's documents ("tfidf-lr"), or the bag of words
 * blended in where it differs from it ("tfidf-lr+chars3-5", "+balanced").
 */
export interface BaselineEvent extends Omit<BaselineRow, "name"> {
  name: string;
  /** Documents it trained on. */
  trainDocs: number;
  /** Size of its TF-IDF vocabulary. */
  features: number;
}

/**
 * The deployed classifier when the bag-of-words model is blended in: the weights fitted on
 * validation, the validation accuracies, and the blend's test score.
 */
export interface BlendEvent {
  type: "blend";
  /** Weights of the LSTMs' and the bag of words' log-probabilities (`blendProbabilities`). */
  weights: { lm: number; baseline: number };
  valid: { lm: number; baseline: number; blend: number };
  /** Documents the weights were fitted on, where stage 3's held-out folds added to validation. */
  fittedOn?: number;
  accuracy: number;
  error: number;
  labels: string[];
  confusion: number[][];
}

/** The served classifier's most confident test mistakes (`mistakes.ts`). */
export interface MistakesEvent {
  type: "mistakes";
  /** Whose answers: the blend the folder serves, or the averaged classifiers without one. */
  of: "blend" | "avg";
  wrong: number;
  total: number;
  top: Mistake[];
}

/** The baseline self-trained on the task's unlabelled text before the blend (`selfTrain`). */
export interface SelfTrainEvent {
  type: "self-train";
  /** Unlabelled documents read. */
  unlabelled: number;
  /** Held-out accuracy of the plain baseline (validation, and the labels out of fold). */
  plainValid: number;
  /** The documents held out for that check (absent in runs before the out-of-fold check). */
  heldOut?: number;
  /**
   * Each round's pseudo-labelled documents and held-out accuracy (round 0: labels alone), on
   * TF-IDF and then with LSA (`lsa`, absent in runs before it).
   */
  rounds: {
    round: number;
    lsa?: boolean;
    pseudo: number;
    valid: number;
    wins: number;
    losses: number;
  }[];
  /** The round blended in, an index into `rounds`; −1: the plain baseline. */
  chosen: number;
  /** Test accuracy of the bag of words blended in. */
  accuracy: number;
  seconds: number;
}

/** A pretrained LM's perplexity on a held-out or `--lm-eval` corpus. */
export interface LmEvalEvent {
  type: "lm-eval";
  direction: Direction;
  corpus: string;
  tokens: number;
  /** Share of the tokens outside the LM's vocabulary. */
  unknownRate: number;
  loss: number;
  perplexity: number;
}

/** A `--lr-find` learning-rate range test. */
export interface LrFindEvent extends RangeResult {
  type: "lr-find";
  stage: TrainingStage;
  direction: Direction;
}

/** Something the run did that deserves a second look (e.g. a classifier no better than chance). */
export interface WarningEvent {
  type: "warning";
  stage: TrainingStage;
  direction: Direction;
  message: string;
}

/**
 * One of stage 3's held-out folds (`held_out.ts`): trained on the other folds, its accuracy on
 * the labelled documents it left out.
 */
export interface HeldOutEvent {
  type: "held-out";
  direction: Direction;
  /** 1-based. */
  fold: number;
  folds: number;
  trainDocs: number;
  heldDocs: number;
  accuracy: number;
}

/** A stage stopped before its last epoch because validation stopped improving. */
export interface EarlyStopEvent {
  type: "early-stop";
  stage: TrainingStage;
  direction: Direction;
  epoch: number;
}

/** The last row of a finished run. */
export interface EndEvent {
  type: "end";
  seconds: number;
}

/** One row of `metrics.jsonl`, as `MetricsLog.add` (`metrics.ts`) takes it. */
export type MetricsEvent =
  | RunEvent
  | StepEvent
  | ValidEvent
  | TestEvent
  | BaselineEvent
  | BlendEvent
  | MistakesEvent
  | SelfTrainEvent
  | LmEvalEvent
  | LrFindEvent
  | WarningEvent
  | HeldOutEvent
  | EarlyStopEvent
  | EndEvent;

/** The row types: `"run"`, `"step"`, … */
export type MetricsType = MetricsEvent["type"];

/** The event interface of one row type. */
export type EventOf<T extends MetricsType> = Extract<MetricsEvent, { type: T }>;

/** An event as logged: with the ISO time `MetricsLog.add` appends. */
export type Logged<E extends MetricsEvent = MetricsEvent> = E & { time: string };

/** One parsed line of `metrics.jsonl`: any JSON object, not yet checked. */
export type MetricsRow = Record<string, unknown>;
