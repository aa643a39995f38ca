/**
 * The test documents a classifier got wrong with the most confidence: where label noise and
 * the model's blind spots show first (fastai's "top losses"). The evaluation logs them as a
 * `mistakes` row of metrics.jsonl and the report shows them as a table.
 *
 * @module
 */
import type { Classifier } from "../shared/classify.ts";
import { argmax } from "../shared/confusion.ts";
import { explain } from "../shared/explain.ts";

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
  /**
   * The pieces of the whole text that spoke most for the wrong answer (shared/explain.ts: how far
   * its probability falls without each), strongest first; absent where none was worked out.
   */
  because?: { text: string; weight: number }[];
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

/** Pieces a mistake's `because` lists, and the most pieces its text is cut into to find them. */
export const BECAUSE = { pieces: 3, maxPieces: 40 };

/**
 * Adds to each mistake the pieces of its whole text (`texts[index]`) that spoke most for the
 * wrong answer under `clf` (the served classifier), strongest first, where they did speak for it.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { makeClassifier } from "../shared/classify.ts";
 * import { explainMistakes } from "./mistakes.ts";
 * const info = { labels: ["ham", "spam"], directions: [], backend: "t", configs: {}, checksums: {} };
 * const p = (t: string) => t.includes("free") ? [0.1, 0.9] : [0.4, 0.6];
 * const clf = makeClassifier(info, (ts) => Promise.resolve(ts.map((t) => Float32Array.from(p(t)))), () => {});
 * const m = { index: 0, label: "ham", predicted: "spam", p: 0.9, pTrue: 0.1, text: "a free lunch" };
 * const [e] = await explainMistakes(clf, [m], ["a free lunch"]);
 * assert.deepEqual(e.because?.map((b) => b.text), ["free"]);
 * ```
 */
export async function explainMistakes(
  clf: Classifier,
  top: Mistake[],
  texts: string[],
): Promise<Mistake[]> {
  const out: Mistake[] = [];
  for (const m of top) {
    const e = await explain(clf, texts[m.index], {
      label: m.predicted,
      maxPieces: BECAUSE.maxPieces,
    });
    const because = e.pieces.filter((p) => p.weight > 0)
      .sort((a, b) => b.weight - a.weight)
      .slice(0, BECAUSE.pieces)
      .map((p) => ({ text: p.text, weight: p.weight }));
    out.push({ ...m, because });
  }
  return out;
}

/** `text` on one line, cut to `maxChars` characters with an ellipsis where cut. */
function excerpt(text: string, maxChars: number): string {
  const line = text.replace(/\s+/g, " ").trim();
  const chars = [...line];
  return chars.length <= maxChars ? line : `${chars.slice(0, maxChars - 1).join("")}…`;
}
