/**
 * Self-training of the bag-of-words model on a task's unlabelled text. With few labels, a TF-IDF
 * model knows few of the task's n-grams; unlabelled documents it is sure about, taken as labelled
 * by its own answer, teach it the n-grams that occur beside the ones it knows. Round r of R refits
 * on the labelled documents and the `r / R` most confident share of the unlabelled ones (per
 * predicted class, in the labelled documents' class shares, so the largest class cannot swallow
 * the rest), each round's labels coming from the model before it.
 *
 * Self-training can also teach a model its own mistakes (it does on some sentiment sets), so a
 * round replaces the plain baseline only where validation says so beyond chance: on the validation
 * documents the two answer differently, the round must be right on clearly more of them than the
 * baseline (a sign test: wins − losses > 2·√(wins + losses), about 95% one-sided). Of the rounds
 * that pass, the one with the best validation accuracy is kept (with ties, the earlier).
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { trainBaseline } from "./mod.ts";
 * import { selfTrain } from "./self_train.ts";
 * const doc = (label: string, words: string) => ({ text: words, label });
 * const labelled = [doc("sport", "goal match"), doc("tech", "chip code")];
 * // The unlabelled text ties "league" to "goal" and "cpu" to "chip".
 * const unlabelled = ["goal league", "league match", "chip cpu", "cpu code", "goal match league"];
 * const valid = [..."12345"].flatMap((i) => [doc("sport", `league ${i}`), doc("tech", `cpu ${i}`)]);
 * const plain = trainBaseline(labelled, { grid: [10] });
 * assert.equal(plain.predict(["league"])[0], plain.predict(["cpu"])[0]); // it cannot tell
 * const r = selfTrain(labelled, unlabelled, valid, plain, { rounds: 2 });
 * assert.ok(r.chosen > 0);
 * assert.deepEqual(r.baseline.predict(["league", "cpu"]), [0, 1]);
 * ```
 *
 * @module
 */
import { argmax } from "../confusion.ts";
import { fitLogReg, type LogRegFit, predictProba } from "./logreg.ts";
import {
  type Baseline,
  type BaselineDoc,
  baselineOf,
  DEFAULT_MAX_WEIGHTS,
  labelIndices,
  maxFeatures,
} from "./mod.ts";
import { type SparseRow, TfidfVectorizer } from "./tfidf.ts";

/** Options of {@linkcode selfTrain}; every field has a default. */
export interface SelfTrainOptions {
  /** Rounds R; round r uses the r / R most confident share of the unlabelled text. Default 5. */
  rounds?: number;
  /**
   * The labelled documents' least weight, all together, against the pseudo-labelled ones all
   * together, however many of those join: each labelled row weighs
   * max(1, ratio · pseudo / labelled). Default 0.3.
   */
  labelledRatio?: number;
  /** As the baseline's: L-BFGS iteration cap, tolerance, n-gram length, weight bound. */
  maxIter?: number;
  tol?: number;
  ngramMax?: number;
  maxWeights?: number;
  /** A line per round; default: silent. */
  log?: (line: string) => void;
}

/** One candidate: round 0 is the labelled documents alone in the vocabulary of all the text. */
export interface SelfTrainRound {
  round: number;
  /** Unlabelled documents taken with their predicted label. */
  pseudo: number;
  /** Accuracy on the validation documents. */
  valid: number;
  /** Validation documents it gets right and the plain baseline wrong, and the other way round. */
  wins: number;
  losses: number;
}

/** What {@linkcode selfTrain} returns. */
export interface SelfTrained {
  /** The model kept: `plain` when no round beat it on validation. */
  baseline: Baseline;
  /** The plain baseline's validation accuracy. */
  plainValid: number;
  rounds: SelfTrainRound[];
  /** The round kept; −1 for the plain baseline. */
  chosen: number;
  seconds: number;
}

/**
 * Self-trains the bag-of-words model with `plain`'s C and labels; of the rounds that beat `plain`
 * on `valid` beyond chance ({@linkcode clearlyBetter}), keeps the most accurate there, else
 * `plain`. `valid` must be labelled and non-empty.
 */
export function selfTrain(
  labelled: readonly BaselineDoc[],
  unlabelled: readonly string[],
  valid: readonly BaselineDoc[],
  plain: Baseline,
  options: SelfTrainOptions = {},
): SelfTrained {
  const start = performance.now();
  const { rounds: R = 5, labelledRatio = 0.3, maxIter = 1000, tol = 1e-4 } = options;
  if (!valid.length || !unlabelled.length || !(Number.isInteger(R) && R >= 1)) {
    throw new Error(
      `Cannot self-train: ${valid.length} validation and ${unlabelled.length} unlabelled ` +
        `documents, ${R} rounds; it needs some of each and a whole number of rounds ≥ 1`,
    );
  }
  const { labels, C } = plain, K = labels.length;
  const yL = labelIndices(labelled, labels, "self-train");
  const yV = labelIndices(valid, labels, "self-train");
  const validTexts = valid.map((d) => d.text);
  const plainRight = plain.predict(validTexts).map((p, i) => p === yV[i]);
  const plainValid = plainRight.filter(Boolean).length / yV.length;
  const vectorizer = TfidfVectorizer.fit(
    [...labelled.map((d) => d.text), ...unlabelled],
    { ngramMax: options.ngramMax ?? 2 },
    maxFeatures(options.maxWeights ?? DEFAULT_MAX_WEIGHTS, K),
  );
  const rowsL = vectorizer.transform(labelled.map((d) => d.text));
  const rowsU = vectorizer.transform(unlabelled);
  const rowsV = vectorizer.transform(validTexts);
  const fit = (rows: SparseRow[], y: Int32Array, w: Float64Array | undefined, init?: LogRegFit) =>
    fitLogReg(rows, y, {
      classes: K,
      features: vectorizer.size,
      C,
      maxIter,
      gtol: tol,
      ...(w ? { sampleWeights: w } : {}),
      ...(init ? { init } : {}),
    });
  const prior = classShares(yL, K);
  // Only the last model (the next round's teacher) and the best so far are kept: each can be
  // large (up to `maxWeights` float64s).
  let last = fit(rowsL, yL, undefined);
  const rounds: SelfTrainRound[] = [{ round: 0, pseudo: 0, ...onValid(last) }];
  let chosen = -1, best = { valid: plainValid, model: last };
  const consider = (round: SelfTrainRound, model: LogRegFit) => {
    if (clearlyBetter(round) && round.valid > best.valid) {
      (best = { valid: round.valid, model }, chosen = round.round);
    }
  };
  consider(rounds[0], last);
  for (let r = 1; r <= R; r++) {
    const picked = mostConfident(last, rowsU, prior, r / R);
    const rows = [...rowsL, ...picked.map((p) => rowsU[p.index])];
    const y = Int32Array.from([...yL, ...picked.map((p) => p.label)]);
    const wL = Math.max(1, (labelledRatio * picked.length) / labelled.length);
    const w = Float64Array.from(rows, (_, i) => (i < rowsL.length ? wL : 1));
    last = fit(rows, y, w, last);
    rounds.push({ round: r, pseudo: picked.length, ...onValid(last) });
    consider(rounds[r], last);
    options.log?.(
      `self-training: round ${r}/${R}: ${picked.length} unlabelled documents with their ` +
        `predicted labels, validation ${(rounds[r].valid * 100).toFixed(2)}% ` +
        `(${rounds[r].wins} right where the plain baseline is wrong, ${
          rounds[r].losses
        } the other way)`,
    );
  }
  const seconds = (performance.now() - start) / 1000;
  const baseline = chosen < 0 ? plain : baselineOf(vectorizer, best.model, labels, {
    vocabulary: { total: vectorizer.fittedTerms, kept: vectorizer.size },
    seconds: plain.seconds + seconds,
    grid: plain.grid,
  });
  return { baseline, plainValid, rounds, chosen, seconds };

  function onValid(model: LogRegFit): Pick<SelfTrainRound, "valid" | "wins" | "losses"> {
    let right = 0, wins = 0, losses = 0;
    rowsV.forEach((row, i) => {
      const ok = argmax(predictProba(model, row)) === yV[i];
      right += ok ? 1 : 0;
      if (ok !== plainRight[i]) ok ? wins++ : losses++;
    });
    return { valid: right / yV.length, wins, losses };
  }
}

/**
 * Whether a round beats the plain baseline beyond chance on validation: of the documents where
 * exactly one of the two is right, the round wins clearly more (wins − losses > 2·√(wins + losses)).
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { clearlyBetter } from "./self_train.ts";
 * assert.ok(clearlyBetter({ wins: 30, losses: 10 })); // 20 > 2·√40 ≈ 12.6
 * assert.ok(!clearlyBetter({ wins: 25, losses: 16 })); // 9 < 2·√41 ≈ 12.8
 * ```
 */
export function clearlyBetter(r: { wins: number; losses: number }): boolean {
  return r.wins - r.losses > 2 * Math.sqrt(r.wins + r.losses);
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
