/**
 * JSON Lines rows and labels as the trainer's task files and `deno task
 * predict`'s input read them: one object a line, and one rule for what a label
 * is, so a label the trainer stored is the label predict compares with.
 *
 * @module
 */

/**
 * Parses one line as a JSON object; throws an error whose message is the
 * problem alone (`not JSON (…)`, `expected a JSON object`), for the caller to
 * prefix with the file and line.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { parseJsonObject } from "./jsonl.ts";
 * assert.deepEqual(parseJsonObject('{"text":"hi"}'), { text: "hi" });
 * assert.throws(() => parseJsonObject("[1]"), /^Error: expected a JSON object$/);
 * assert.throws(() => parseJsonObject("{"), /^Error: not JSON \(/);
 * ```
 */
export function parseJsonObject(line: string): Record<string, unknown> {
  let value: unknown;
  try {
    value = JSON.parse(line);
  } catch (e) {
    throw new Error(`not JSON (${(e as Error).message})`);
  }
  if (typeof value !== "object" || value === null || Array.isArray(value)) {
    throw new Error("expected a JSON object");
  }
  return value as Record<string, unknown>;
}

/** What {@linkcode labelText} accepts, for error messages. */
export const LABEL_RULE = "a non-empty string, number or boolean";

/**
 * A label value as text: a string trimmed, a number or boolean in its string
 * form; undefined for anything else and for an empty label.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { labelText } from "./jsonl.ts";
 * assert.equal(labelText(" spam "), "spam");
 * assert.equal(labelText(1), "1");
 * assert.equal(labelText(true), "true");
 * assert.equal(labelText("  "), undefined);
 * assert.equal(labelText(null), undefined);
 * ```
 */
export function labelText(value: unknown): string | undefined {
  const kind = typeof value;
  if (kind !== "string" && kind !== "number" && kind !== "boolean") return undefined;
  return String(value).trim() || undefined;
}
