/**
 * Reading `metrics.jsonl` back: the one reader, {@linkcode parseMetricsLines}
 * (every JSON object, unknown types included, in file order), with
 * {@linkcode isEvent} and {@linkcode byType} to narrow a row only when every
 * field of its type (`metrics_events.ts`) is there with the right type.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { byType, parseMetricsLines } from "./metrics_read.ts";
 * const text = '{"type":"end","seconds":3,"time":"2026-01-01T00:00:00.000Z"}\n{"type":"st';
 * const { events, skipped } = parseMetricsLines(text);
 * assert.equal(skipped, 1);
 * assert.equal(byType(events, "end")[0].seconds, 3);
 * ```
 *
 * @module
 */

import type { Direction } from "../shared/model/io.ts";
import type { TrainConfig } from "./config.ts";
import type { LrSuggestion, RangePoint, RangeResult } from "./lr_find.ts";
import type { Mistake } from "./mistakes.ts";
import {
  type BlendEvent,
  DIRECTIONS,
  type EventOf,
  type Logged,
  type MetricsRow,
  type MetricsType,
  type SelfTrainEvent,
  TRAINING_STAGES,
} from "./metrics_events.ts";

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
 * import { isRecord } from "./metrics_read.ts";
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
 * import { isFiniteNumber } from "./metrics_read.ts";
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
 * import { isRangeResult } from "./metrics_read.ts";
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
    lms: optional((v): v is Partial<Record<Direction, string>> =>
      isRecord(v) && Object.entries(v).every(([k, d]) => direction(k) && isString(d))
    ),
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
    name: isString,
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
    fittedOn: maybeNumber,
    accuracy: number,
    error: number,
    labels: arrayOf(isString),
    confusion: arrayOf(arrayOf(number)),
  },
  "mistakes": {
    of: oneOf(["blend", "avg"]),
    wrong: number,
    total: number,
    top: arrayOf((v): v is Mistake =>
      isRecord(v) && number(v.index) && isString(v.label) && isString(v.predicted) &&
      number(v.p) && number(v.pTrue) && isString(v.text) &&
      optional(
        arrayOf(shaped<{ text: string; weight: number }>({ text: isString, weight: number })),
      )(
        v.because,
      )
    ),
  },
  "self-train": {
    unlabelled: number,
    plainValid: number,
    heldOut: maybeNumber,
    rounds: (v): v is SelfTrainEvent["rounds"] =>
      Array.isArray(v) &&
      v.every((r) =>
        isRecord(r) && number(r.round) && number(r.pseudo) && number(r.valid) &&
        number(r.wins) && number(r.losses)
      ),
    chosen: number,
    accuracy: number,
    seconds: number,
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
  "held-out": {
    direction,
    fold: number,
    folds: number,
    trainDocs: number,
    heldDocs: number,
    accuracy: number,
  },
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
 * import { parseMetricsLines } from "./metrics_read.ts";
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
 * import { isEvent } from "./metrics_read.ts";
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
 * import { byType } from "./metrics_read.ts";
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
