/**
 * The test documents a classifier got wrong with the most confidence: where label noise and
 * the model's blind spots show first (fastai's "top losses"). The evaluation logs them as a
 * `mistakes` row of metrics.jsonl and the report shows them as a table.
 *
 * @module
 */
import { argmax } from "../shared/confusion.ts";

/** One wrongly answered document. */
export interface Mistake {
  /** Its position in the test split. */
  index: number;
  /** Its true label. */
  label: string;
  /** The label answered. */
  predicted: string;
  /** The probability given to the answered label. */
  p: number;
  /** The probability given to the true label. */
  pTrue: number;
  /** Its text, whitespace collapsed, cut to `maxChars` (with "…" where cut). */
  text: string;
}

/** How many were wrong, and the most confident of them. */
export interface Mistakes {
  wrong: number;
  total: number;
  top: Mistake[];
}

/** Mistakes a report lists by default. */
export const TOP_MISTAKES = 20;

/**
 * The wrong answers among `probs` (one distribution per document, against `truth`, indices
 * into `labels`), most confident first (highest probability on the wrong answer; ties: lowest
 * probability on the truth, then test order), at most `n` of them.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { confidentMistakes } from "./mistakes.ts";
 * const probs = [[0.9, 0.1], [0.3, 0.7], [0.2, 0.8]].map((p) => Float32Array.from(p));
 * const m = confidentMistakes(probs, [0, 0, 0], ["ham", "spam"], ["a", "b", "c"]);
 * assert.equal(m.wrong, 2);
 * assert.deepEqual(m.top.map((x) => x.index), [2, 1]);
 * ```
 */
export function confidentMistakes(
  probs: Float32Array[],
  truth: number[],
  labels: string[],
  texts: string[],
  n = TOP_MISTAKES,
  maxChars = 300,
): Mistakes {
  if (probs.length !== truth.length || texts.length !== truth.length) {
    throw new Error(
      `Cannot list mistakes: ${probs.length} answers, ${truth.length} labels and ` +
        `${texts.length} texts; pass one of each per document`,
    );
  }
  const wrong: Mistake[] = [];
  probs.forEach((p, index) => {
    const answer = argmax(p);
    if (answer === truth[index]) return;
    wrong.push({
      index,
      label: labels[truth[index]],
      predicted: labels[answer],
      p: p[answer],
      pTrue: p[truth[index]],
      text: excerpt(texts[index], maxChars),
    });
  });
  wrong.sort((a, b) => b.p - a.p || a.pTrue - b.pTrue || a.index - b.index);
  return { wrong: wrong.length, total: probs.length, top: wrong.slice(0, n) };
}

/** `text` on one line, cut to `maxChars` characters with an ellipsis where cut. */
function excerpt(text: string, maxChars: number): string {
  const line = text.replace(/\s+/g, " ").trim();
  const chars = [...line];
  return chars.length <= maxChars ? line : `${chars.slice(0, maxChars - 1).join("")}…`;
}
