/**
 * Why a classifier answered as it did: leave-one-out (occlusion) over the text's words. Each
 * piece of the text (a word, or a run of words in a long text) is removed in turn and the text
 * classified again; the piece's weight is how much the answer's probability falls without it
 * (positive: the piece speaks for the answer; negative: against it). It needs nothing but the
 * classifier's probabilities, so it explains what is served (the LSTMs and the bag of words
 * blended), on any engine. No TensorFlow.js.
 *
 * @module
 */
import {
  type Classifier,
  type Prediction,
  type ProbabilitiesFn,
  toPrediction,
} from "./classify.ts";

/** One piece of the explained text and its weight. */
export interface ExplainedPiece {
  /** The piece as it stands in the text. */
  text: string;
  /** Where it starts in the text (UTF-16 index, as `String.prototype.slice` counts). */
  start: number;
  /** Where it ends (exclusive). */
  end: number;
  /** p(target | text) − p(target | text without this piece). */
  weight: number;
}

/** The answer for a text and what each of its pieces contributed to one label. */
export interface Explanation extends Prediction {
  /** The label the weights are about: the answer unless another was asked for. */
  target: string;
  /** Words in each piece: 1, or more where the text has more words than `maxPieces`. */
  wordsPerPiece: number;
  /** The text's pieces in order, each with its weight. */
  pieces: ExplainedPiece[];
}

/** Options of {@linkcode explainText}. */
export interface ExplainOptions {
  /** Explain this label instead of the answer. */
  label?: string;
  /**
   * Most pieces (default 200): a text with more words is cut into runs of consecutive words, each
   * removed as one (reported as `wordsPerPiece`). Each piece costs one more classification.
   */
  maxPieces?: number;
  /** Texts per call of the probabilities function (default 32). */
  chunk?: number;
}

/**
 * The text's pieces: runs of `wordsPerPiece` whitespace-separated words, each with the span that
 * removing it deletes (the piece and the whitespace after it; the last piece takes the whitespace
 * before it instead), so that the text without a piece reads as if it had never been there.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { splitPieces } from "./explain.ts";
 * const p = splitPieces("Win a  free cruise", 200);
 * assert.deepEqual(p.pieces.map((x) => x.text), ["Win", "a", "free", "cruise"]);
 * assert.equal(p.without[2], "Win a  cruise");
 * assert.equal(p.without[3], "Win a  free");
 * assert.deepEqual(splitPieces("a b c d e", 2).pieces.map((x) => x.text), ["a b c", "d e"]);
 * ```
 */
export function splitPieces(
  text: string,
  maxPieces: number,
): { wordsPerPiece: number; pieces: Omit<ExplainedPiece, "weight">[]; without: string[] } {
  if (!Number.isInteger(maxPieces) || maxPieces < 1) {
    throw new Error(`Cannot explain: maxPieces is ${maxPieces}; give a whole number of at least 1`);
  }
  const words = [...text.matchAll(/\S+/g)].map((m) => ({
    start: m.index,
    end: m.index + m[0].length,
  }));
  const wordsPerPiece = Math.max(1, Math.ceil(words.length / maxPieces));
  const pieces: Omit<ExplainedPiece, "weight">[] = [];
  const without: string[] = [];
  for (let w = 0; w < words.length; w += wordsPerPiece) {
    const first = words[w];
    const last = words[Math.min(w + wordsPerPiece, words.length) - 1];
    const next = words[w + wordsPerPiece];
    const prev = words[w - 1];
    // Cut up to the next word, or for the last piece from the previous word's end.
    const cut = next ? [first.start, next.start] : [prev ? prev.end : first.start, last.end];
    pieces.push({ text: text.slice(first.start, last.end), start: first.start, end: last.end });
    without.push(text.slice(0, cut[0]) + text.slice(cut[1]));
  }
  return { wordsPerPiece, pieces, without };
}

/**
 * Explains one text with any probabilities function: the text and each of its variants without
 * one piece are classified (`chunk` at a time), and each piece's weight is the fall of the target
 * label's probability. A text of one piece is compared with the empty text.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { explainText } from "./explain.ts";
 * // A toy model: p(spam) = 0.9 if the text says "free", else 0.2.
 * const probs = (texts: string[]) =>
 *   Promise.resolve(texts.map((t) => /free/.test(t) ? new Float32Array([0.1, 0.9]) : new Float32Array([0.8, 0.2])));
 * const e = await explainText(probs, ["ham", "spam"], "win free cruise");
 * assert.equal(e.label, "spam");
 * assert.deepEqual(e.pieces.map((p) => [p.text, Math.round(p.weight * 10) / 10]), [["win", 0], ["free", 0.7], ["cruise", 0]]);
 * ```
 */
export async function explainText(
  probabilities: ProbabilitiesFn,
  labels: string[],
  text: string,
  opts: ExplainOptions = {},
): Promise<Explanation> {
  const { maxPieces = 200, chunk = 32 } = opts;
  if (opts.label !== undefined && !labels.includes(opts.label)) {
    throw new Error(
      `Cannot explain label "${opts.label}": the classifier's labels are ${labels.join(", ")}; ` +
        "ask for one of those",
    );
  }
  const split = splitPieces(text, maxPieces);
  if (split.pieces.length === 0) {
    throw new Error("Cannot explain: the text has no words; give a text with some words");
  }
  const texts = [text, ...split.without];
  const probs: Float32Array[] = [];
  for (let i = 0; i < texts.length; i += chunk) {
    probs.push(...await probabilities(texts.slice(i, i + chunk)));
  }
  const answer = toPrediction(labels, probs[0]);
  const target = opts.label ?? answer.label;
  const t = labels.indexOf(target);
  const pieces = split.pieces.map((p, i) => ({ ...p, weight: probs[0][t] - probs[i + 1][t] }));
  return { ...answer, target, wordsPerPiece: split.wordsPerPiece, pieces };
}

/**
 * Explains a loaded classifier's answer for `text` (see {@linkcode explainText}).
 *
 * @example
 * ```ts ignore
 * import { loadClassifier } from "./pipeline.ts";
 * import { explain } from "./explain.ts";
 * const clf = await loadClassifier("weights");
 * const e = await explain(clf, "Win a FREE cruise now!!!");
 * const top = e.pieces.toSorted((a, b) => b.weight - a.weight).slice(0, 3);
 * console.log(e.label, top.map((p) => p.text));
 * ```
 */
export function explain(
  clf: Classifier,
  text: string,
  opts?: ExplainOptions,
): Promise<Explanation> {
  return explainText((t) => clf.probabilities(t), clf.info.labels, text, opts);
}
