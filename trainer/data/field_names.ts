/**
 * Which columns (CSV) or keys (JSON Lines) hold the text and the label: the ones named with
 * `--text-field` / `--label-field`, else `text` and `label`, else the first of the names common
 * data sets use (`review`/`sentiment`, `sentence`/`label`, `content`/`category`, …), matched
 * without regard to case. A guess is returned with a note saying what was read.
 *
 * @module
 */

/** Text column names tried in this order when there is no `text` column. */
export const TEXT_NAMES = [
  "text",
  "sentence",
  "phrase",
  "review",
  "content",
  "document",
  "body",
  "message",
  "comment",
  "tweet",
  "question",
  "utterance",
  "description",
  "abstract",
  "headline",
  "title",
];

/** Label column names tried in this order when there is no `label` column. */
export const LABEL_NAMES = [
  "label",
  "labels",
  "sentiment",
  "class",
  "category",
  "topic",
  "target",
  "polarity",
  "intent",
  "emotion",
  "rating",
  "stars",
  "y",
];

/** The fields to read, and a note when they were guessed. */
export interface ChosenFields {
  text: string[];
  label: string;
  note?: string;
}

/**
 * Picks the text and label fields among `names`, or throws an error (for the caller to place
 * in its file) listing them and the flags that choose. `given` holds what the user asked for.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { chooseFields } from "./field_names.ts";
 * assert.deepEqual(chooseFields(["id", "Review", "sentiment"], {}), {
 *   text: ["Review"],
 *   label: "sentiment",
 *   note: 'text from "Review", label from "sentiment" (--text-field, --label-field choose others)',
 * });
 * assert.deepEqual(chooseFields(["text", "label"], {}), { text: ["text"], label: "label" });
 * assert.throws(() => chooseFields(["a", "b"], {}), /no text field by a usual name among/);
 * ```
 */
export function chooseFields(
  names: readonly string[],
  given: { textField?: string | string[]; labelField?: string },
): ChosenFields {
  const text = given.textField ? [given.textField].flat() : pick(names, TEXT_NAMES);
  const label = given.labelField ?? pick(names, LABEL_NAMES)?.[0];
  const missing = [...(text ?? []), ...(label === undefined ? [] : [label])]
    .filter((n) => !names.includes(n));
  if (!text || label === undefined || missing.length) {
    const what = missing.length
      ? `no ${missing.map((n) => JSON.stringify(n)).join(" or ")}`
      : `no ${text ? "label" : "text"} field by a usual name`;
    throw new Error(
      `${what} among its fields (${names.join(", ")}); name them with ` +
        "--text-field NAME and --label-field NAME",
    );
  }
  const guessed = (!given.textField && text[0] !== "text") ||
    (!given.labelField && label !== "label");
  if (!guessed) return { text, label };
  const note = `text from ${text.map((n) => JSON.stringify(n)).join(" + ")}, label ` +
    `from ${JSON.stringify(label)} (--text-field, --label-field choose others)`;
  return { text, label, note };
}

/** The first of `candidates` that some name equals, ignoring case, as that name. */
function pick(names: readonly string[], candidates: readonly string[]): string[] | undefined {
  const lower = names.map((n) => n.trim().toLowerCase());
  for (const c of candidates) {
    const at = lower.indexOf(c);
    if (at >= 0) return [names[at]];
  }
  return undefined;
}
