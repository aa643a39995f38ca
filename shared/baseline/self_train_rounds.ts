/**
 * The rounds of self-training ({@linkcode selfTrainRounds}): round 0 fits the labelled rows
 * alone; round r adds the `r / R` most confident unlabelled rows, per predicted class in the
 * labelled rows' class shares, labelled by the model before it. `self_train.ts` runs them and
 * checks them against the plain baseline.
 *
 * @module
 */
import { argmax } from "../confusion.ts";
import { fitLogReg, type LogRegFit, type LogRegOptions, predictProba } from "./logreg.ts";
import { labelBalancedWeights } from "./train.ts";
import type { SparseRow } from "./tfidf.ts";

/** What every run of rounds shares: the labelled, their labels, the unlabelled rows. */
export interface RoundsInput {
  rowsL: readonly SparseRow[];
  yL: Int32Array;
  rowsU: readonly SparseRow[];
  K: number;
  R: number;
  ratio: number;
  /** Weigh the labelled rows' labels alike (`labelBalancedWeights`), as the plain model did. */
  balanced: boolean;
}

/** Fits a logistic regression on rows and labels, with optional sample weights and warm start. */
export type Fit = (
  rows: SparseRow[],
  y: Int32Array,
  w?: Float64Array,
  init?: LogRegFit,
) => LogRegFit;

/** A {@linkcode Fit} with fixed options, taking sample weights and a warm start per call. */
export function logRegFit(o: LogRegOptions): Fit {
  return (rows, y, w, init) =>
    fitLogReg(rows, y, { ...o, ...(w ? { sampleWeights: w } : {}), ...(init ? { init } : {}) });
}

/**
 * Rounds 0…R of self-training on the labelled rows `train` (indices into `rowsL`): round 0 is
 * those alone; round r adds the `r / R` most confident unlabelled rows, labelled by the model
 * before it, the labelled rows weighted to count at least `ratio` of them all together.
 */
export function* selfTrainRounds(
  on: RoundsInput,
  train: readonly number[],
  fit: Fit,
): Generator<{ round: number; pseudo: number; model: LogRegFit }> {
  const { rowsL, yL, rowsU, K, R, ratio } = on;
  const rows = train.map((i) => rowsL[i]);
  const y = Int32Array.from(train, (i) => yL[i]);
  const prior = classShares(y, K);
  const base = on.balanced ? labelBalancedWeights(y, K) : undefined;
  // Only the last model is held here (the next round's teacher): each can be large.
  let last = fit(rows, y, base);
  yield { round: 0, pseudo: 0, model: last };
  for (let r = 1; r <= R; r++) {
    const picked = mostConfident(last, rowsU, prior, r / R);
    const all = [...rows, ...picked.map((p) => rowsU[p.index])];
    const yAll = Int32Array.from([...y, ...picked.map((p) => p.label)]);
    const wL = Math.max(1, (ratio * picked.length) / rows.length);
    const weight = (i: number) => i < rows.length ? wL * (base?.[i] ?? 1) : 1;
    last = fit(all, yAll, Float64Array.from(all, (_, i) => weight(i)), last);
    yield { round: r, pseudo: picked.length, model: last };
  }
}

function classShares(y: Int32Array, K: number): number[] {
  const counts = new Array<number>(K).fill(0);
  for (const k of y) counts[k]++;
  return counts.map((c) => c / y.length);
}

/**
 * The unlabelled rows to take in a round: for each class k, the `share · n · prior[k]` rows
 * predicted as k with the highest probability (fewer when fewer are predicted as k).
 */
export function mostConfident(
  model: LogRegFit,
  rows: readonly SparseRow[],
  prior: readonly number[],
  share: number,
): { index: number; label: number }[] {
  const byClass: { index: number; p: number }[][] = prior.map(() => []);
  rows.forEach((row, index) => {
    const p = predictProba(model, row), k = argmax(p);
    byClass[k].push({ index, p: p[k] });
  });
  return byClass.flatMap((list, label) => {
    const quota = Math.floor(share * rows.length * prior[label]);
    return list.sort((a, b) => b.p - a.p || a.index - b.index).slice(0, quota)
      .map(({ index }) => ({ index, label }));
  });
}
