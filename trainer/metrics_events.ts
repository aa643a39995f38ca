/**
 * The rows of `metrics.jsonl`, typed: the {@linkcode MetricsEvent} union,
 * one interface per `type`, with fields in the order they are written, and
 * the one reader, {@linkcode parseMetricsLines} (every JSON object, unknown
 * types included, in file order), with {@linkcode isEvent} and
 * {@linkcode byType} to narrow a row only when every field of its type is
 * there with the right type. `metrics.ts` writes the rows.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { byType, parseMetricsLines } from "./metrics_events.ts";
 * const text = '{"type":"end","seconds":3,"time":"2026-01-01T00:00:00.000Z"}\n{"type":"st';
 * const { events, skipped } = parseMetricsLines(text);
 * assert.equal(skipped, 1);
 * assert.equal(byType(events, "end")[0].seconds, 3);
 * ```
 *
 * @module
 */

import type { BaselineRow } from "../shared/baseline/mod.ts";
import type { Direction } from "../shared/model/io.ts";
import type { TrainConfig } from "./config.ts";
import type { LrSuggestion, RangePoint, RangeResult } from "./lr_find.ts";

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

/** The bag-of-words baseline trained on stage 3's documents. */
export interface BaselineEvent extends BaselineRow {
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
  accuracy: number;
  error: number;
  labels: string[];
  confusion: number[][];
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
  | LmEvalEvent
  | LrFindEvent
  | WarningEvent
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

// ---------------------------------------------------------------------------
// Field checks

type Check<T> = (v: unknown) => v is T;
/** A check for each field but `type`; optional fields' checks also pass `undefined`. */
type Fields<E> = { readonly [K in Exclude<keyof E, "type">]-?: Check<E[K]> };

/**
 * Whether `v` is a plain object (not null, not an array).
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { isRecord } from "./metrics_events.ts";
 * assert.equal(isRecord({}), true);
 * assert.equal(isRecord([]), false);
 * ```
 */
export function isRecord(v: unknown): v is Record<string, unknown> {
  return typeof v === "object" && v !== null && !Array.isArray(v);
}

/**
 * Whether `v` is a finite number (JSON has no NaN or infinities; a row in
 * memory may).
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { isFiniteNumber } from "./metrics_events.ts";
 * assert.equal(isFiniteNumber(1.5), true);
 * assert.equal(isFiniteNumber(NaN), false);
 * assert.equal(isFiniteNumber("1"), false);
 * ```
 */
export function isFiniteNumber(v: unknown): v is number {
  return typeof v === "number" && Number.isFinite(v);
}

const isString = (v: unknown): v is string => typeof v === "string";
const oneOf = <T extends string>(values: readonly T[]): Check<T> => (v): v is T =>
  (values as readonly unknown[]).includes(v);
const arrayOf = <T>(check: Check<T>): Check<T[]> => (v): v is T[] =>
  Array.isArray(v) && v.every(check);
const optional = <T>(check: Check<T>): Check<T | undefined> => (v): v is T | undefined =>
  v === undefined || check(v);
const shaped = <T>(fields: Fields<T>): Check<T> => (v): v is T =>
  isRecord(v) && Object.entries(fields).every(([k, check]) => (check as Check<unknown>)(v[k]));

const stage = oneOf(TRAINING_STAGES);
const direction = oneOf(DIRECTIONS);
const number = isFiniteNumber;
const maybeNumber = optional(number);
const RANGE_FIELDS: Fields<RangeResult> = {
  points: arrayOf(shaped<RangePoint>({ lr: number, loss: number, smoothed: number })),
  suggestion: shaped<LrSuggestion>({ steepest: maybeNumber, minOver10: number }),
  ended: oneOf(["steps", "diverged", "non-finite"]),
};

/**
 * Whether `v` has a range test's `points`, `suggestion` and `ended`, each of
 * the right type (other fields are not looked at).
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { isRangeResult } from "./metrics_events.ts";
 * const points = [{ lr: 1e-3, loss: 2, smoothed: 2 }];
 * assert.equal(isRangeResult({ points, suggestion: { minOver10: 1e-4 }, ended: "steps" }), true);
 * assert.equal(isRangeResult({ points, suggestion: {}, ended: "steps" }), false);
 * ```
 */
export const isRangeResult: Check<RangeResult> = shaped<RangeResult>(RANGE_FIELDS);

const FIELDS: { readonly [T in MetricsType]: Fields<EventOf<T>> } = {
  "run": {
    // Only checked to be an object: an older log holds that version's settings.
    config: (v): v is TrainConfig => isRecord(v),
    stages: arrayOf(isString),
    machine: isString,
    backend: isString,
  },
  "step": {
    stage,
    direction,
    epoch: number,
    step: number,
    loss: number,
    lr: number,
    tokens: maybeNumber,
    tokensPerSec: number,
  },
  "valid": {
    stage,
    direction,
    epoch: number,
    loss: maybeNumber,
    perplexity: maybeNumber,
    accuracy: maybeNumber,
    error: maybeNumber,
  },
  "test": {
    direction: oneOf([...DIRECTIONS, "avg"]),
    accuracy: number,
    error: number,
    labels: arrayOf(isString),
    confusion: arrayOf(arrayOf(number)),
  },
  "baseline": {
    name: oneOf(["tfidf-lr"]),
    accuracy: number,
    C: number,
    seconds: number,
    confusion: arrayOf(arrayOf(number)),
    labels: arrayOf(isString),
    trainDocs: number,
    features: number,
  },
  "blend": {
    weights: (v): v is BlendEvent["weights"] => isRecord(v) && number(v.lm) && number(v.baseline),
    valid: (v): v is BlendEvent["valid"] =>
      isRecord(v) && number(v.lm) && number(v.baseline) && number(v.blend),
    accuracy: number,
    error: number,
    labels: arrayOf(isString),
    confusion: arrayOf(arrayOf(number)),
  },
  "lm-eval": {
    direction,
    corpus: isString,
    tokens: number,
    unknownRate: number,
    loss: number,
    perplexity: number,
  },
  "lr-find": { stage, direction, ...RANGE_FIELDS },
  "warning": { stage, direction, message: isString },
  "early-stop": { stage, direction, epoch: number },
  "end": { seconds: number },
};

// ---------------------------------------------------------------------------
// Reading

/** Result of {@linkcode parseMetricsLines}. */
export interface ParsedMetricsLines {
  /** Lines that parsed as JSON objects, unknown types included, in file order. */
  events: MetricsRow[];
  /** Non-blank lines that were not JSON objects. */
  skipped: number;
}

/**
 * Parses `metrics.jsonl` text, skipping (and counting) lines that are not
 * JSON objects, e.g. a last line cut short by a crash. Rows are not checked
 * against their type: {@linkcode isEvent} and {@linkcode byType} do that.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { parseMetricsLines } from "./metrics_events.ts";
 * const { events, skipped } = parseMetricsLines('{"type":"end","seconds":3}\n[1]\n\n{"type":');
 * assert.deepEqual(events, [{ type: "end", seconds: 3 }]);
 * assert.equal(skipped, 2);
 * ```
 */
export function parseMetricsLines(text: string): ParsedMetricsLines {
  const events: MetricsRow[] = [];
  let skipped = 0;
  for (const line of text.split("\n")) {
    if (line.trim() === "") continue;
    try {
      const value: unknown = JSON.parse(line);
      if (isRecord(value)) events.push(value);
      else skipped++;
    } catch {
      skipped++;
    }
  }
  return { events, skipped };
}

/**
 * Whether `row` is a logged event of `type`: its `time` a string and every
 * field of the type's interface there with the right type (numbers finite,
 * stages and directions known names). Other fields are allowed; a `run`
 * row's `config` is only checked to be an object.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { isEvent } from "./metrics_events.ts";
 * const time = "2026-01-01T00:00:00.000Z";
 * assert.equal(isEvent({ type: "end", seconds: 3, time }, "end"), true);
 * assert.equal(isEvent({ type: "end", seconds: "3", time }, "end"), false);
 * assert.equal(isEvent({ type: "end", seconds: 3, time }, "step"), false);
 * ```
 */
export function isEvent<T extends MetricsType>(
  row: unknown,
  type: T,
): row is Logged<EventOf<T>> {
  return isRecord(row) && row.type === type && Object.hasOwn(FIELDS, type) &&
    isString(row.time) && shaped(FIELDS[type] as Fields<EventOf<T>>)(row);
}

/**
 * The rows that are logged events of `type` ({@linkcode isEvent}), in order.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { byType } from "./metrics_events.ts";
 * import { MetricsLog } from "./metrics.ts";
 * const log = new MetricsLog();
 * await log.add({ type: "early-stop", stage: "classify", direction: "fwd", epoch: 2 });
 * await log.add({ type: "end", seconds: 9 });
 * assert.deepEqual(byType(log.rows, "end").map((r) => r.seconds), [9]);
 * ```
 */
export function byType<T extends MetricsType>(
  rows: readonly unknown[],
  type: T,
): Logged<EventOf<T>>[] {
  return rows.filter((r): r is Logged<EventOf<T>> => isEvent(r, type));
}
