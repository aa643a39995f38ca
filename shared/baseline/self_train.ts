/**
 * Self-training of the bag-of-words model on a task's unlabelled text. With few labels, a TF-IDF
 * model knows few of the task's n-grams; unlabelled documents it is sure about, taken as labelled
 * by its own answer, teach it the n-grams that occur beside the ones it knows. Round r of R refits
 * on the labelled documents and the `r / R` most confident share of the unlabelled ones (per
 * predicted class, in the labelled documents' class shares, so the largest class cannot swallow
 * the rest), each round's labels coming from the model before it. The rounds run twice: on
 * TF-IDF rows, and on rows with each document's LSA coordinates in all the text appended
 * (`lsa.ts`: what the unlabelled text says about words no label holds), where round 0, the labels
 * alone, is a candidate of its own.
 *
 * Self-training can also teach a model its own mistakes (it does on some sentiment sets), so a
 * round replaces the plain baseline only where validation says so beyond chance: on the validation
 * documents the two answer differently, the round must be right on clearly more of them than the
 * baseline (a sign test: wins − losses > 2·√(wins + losses), about 95% one-sided). Of the rounds
 * that pass, the one with the best validation accuracy is kept; with ties, the later one (more of
 * the unlabelled text, or its LSA coordinates too), which scored as well or better on test in 12
 * of the 13 tied runs measured (RESULTS.md, twenty-second session).
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
import { argmax, SMALL_VALIDATION } from "../confusion.ts";
import { foldSplit, stratifiedFolds } from "./cross_val.ts";
import { type LogRegFit, predictProba } from "./logreg.ts";
import { fitLsa, type Lsa, type LsaOptions, withLsa } from "./lsa.ts";
import {
  type Baseline,
  type BaselineDoc,
  baselineOf,
  DEFAULT_MAX_WEIGHTS,
  labelIndices,
  maxFeatures,
} from "./train.ts";
import type { SparseRow } from "./tfidf.ts";
import { SELF_TRAIN_MIN_DF, selfTrainVocabulary } from "./self_train_vocabulary.ts";
import { logRegFit, selfTrainRounds } from "./self_train_rounds.ts";

export { SELF_TRAIN_MIN_DF };

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
  /** As the baseline's: L-BFGS iteration cap, tolerance, weight bound (the TF-IDF is `plain`'s). */
  maxIter?: number;
  tol?: number;
  maxWeights?: number;
  /**
   * Folds of the out-of-fold check on the labelled documents (under 2: none). Default
   * {@linkcode defaultFolds}: 5 when `valid` is small, else 0.
   */
  folds?: number;
  /**
   * The LSA of all the text ({@linkcode fitLsa}): the rounds run twice, on TF-IDF rows and on
   * rows with their LSA coordinates appended, and the check chooses among both; `false`: TF-IDF
   * rows alone. Default: LSA with its defaults.
   */
  lsa?: LsaOptions | false;
  /**
   * Fewest documents of all the text (labelled and unlabelled) an n-gram must be in to join the
   * self-training vocabulary (the TF-IDF's `minDf`). Default {@linkcode SELF_TRAIN_MIN_DF}.
   */
  minDf?: number;
  /** A line per round; default: silent. */
  log?: (line: string) => void;
  /** Called with each round and its model, kept or not (probes score them: tools/). */
  onRound?: (round: SelfTrainRound, model: Baseline) => void;
}

/** One candidate: round 0 is the labelled documents alone in the vocabulary of all the text. */
export interface SelfTrainRound {
  round: number;
  /** Whether its rows carry the LSA coordinates (else TF-IDF alone). */
  lsa: boolean;
  /** Unlabelled documents taken with their predicted label. */
  pseudo: number;
  /** Accuracy on the held-out documents (validation, and the labelled ones out of fold). */
  valid: number;
  /** Held-out documents it gets right and the plain baseline wrong, and the other way round. */
  wins: number;
  losses: number;
}

/** What {@linkcode selfTrain} returns. */
export interface SelfTrained {
  /** The model kept: `plain` when no round beat it on validation. */
  baseline: Baseline;
  /** The plain baseline's accuracy on the held-out documents (validation, and out of fold). */
  plainValid: number;
  /** Documents the check held out: validation, plus the labelled ones when folds ran. */
  heldOut: number;
  rounds: SelfTrainRound[];
  /** The round kept (an index into `rounds`); −1 for the plain baseline. */
  chosen: number;
  /**
   * The kept round's class probabilities on each labelled document, from the rounds self-trained
   * without its fold; only when a round was kept and the out-of-fold check ran.
   */
  outOfFold?: Float32Array[];
  seconds: number;
}

/**
 * Self-trains the bag-of-words model with `plain`'s C and labels; of the rounds that beat `plain`
 * on the held-out documents beyond chance ({@linkcode clearlyBetter}), keeps the most accurate
 * there, else `plain`. The held-out documents are `valid` (labelled, non-empty) and, when it is
 * small (under {@linkcode SMALL_VALIDATION} documents, as with 100 labels), each labelled document
 * too, scored by rounds self-trained without its fold (`folds`, default 5): a check on 11
 * documents could tell nothing.
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
  const cap = maxFeatures(options.maxWeights ?? DEFAULT_MAX_WEIGHTS, K);
  const vectorizer = selfTrainVocabulary(
    [...labelled.map((d) => d.text), ...unlabelled],
    { ...plain.vectorizer.options, minDf: options.minDf ?? SELF_TRAIN_MIN_DF },
    cap,
    options.log,
  );
  const tfidfL = vectorizer.transform(labelled.map((d) => d.text));
  const tfidfU = vectorizer.transform(unlabelled), tfidfV = vectorizer.transform(validTexts);
  const lsa = options.lsa === false
    ? undefined
    : timed(() => fitLsa([...tfidfL, ...tfidfU], vectorizer.idf, options.lsa || {}), options.log);
  const V = vectorizer.size;
  const fit = (features: number) => logRegFit({ classes: K, features, C, maxIter, gtol: tol });
  const folds = options.folds ?? defaultFolds(valid.length, labelled.length);
  const rounds: SelfTrainRound[] = [];
  let chosen = -1, held = 0, plainValid = 0;
  let best: { valid: number; model?: LogRegFit; lsa?: Lsa; outOfFold?: Float32Array[] } | undefined;
  // Out of fold, the LSA rounds are compared with the plain model of the same fold: the TF-IDF
  // rounds' round 0, whose answers the first space leaves here.
  let plainOutOfFold: readonly boolean[] | undefined;
  // TF-IDF first, then with LSA; a tie keeps the later round (see the module's note).
  for (const space of lsa ? [undefined, lsa] : [undefined]) {
    const rows = (t: SparseRow[]) => space ? t.map((r) => withLsa(space, r, V)) : t;
    const rowsL = rows(tfidfL), rowsU = rows(tfidfU), rowsV = rows(tfidfV);
    const run = (train: readonly number[]) =>
      selfTrainRounds(
        { rowsL, yL, rowsU, K, R, ratio: labelledRatio, balanced: plain.balanced },
        train,
        fit(V + (space?.dims ?? 0)),
      );
    const tally = outOfFold(rowsL, yL, { folds, R }, run, plainOutOfFold, options.log);
    plainOutOfFold ??= tally.plainRightByDoc;
    held = valid.length + tally.held;
    plainValid = (plainRight.filter(Boolean).length + tally.plainRight) / held;
    best ??= { valid: plainValid };
    for (const { round, pseudo, model } of run([...yL.keys()])) {
      const r = { round, lsa: !!space, pseudo, ...onHeldOut(model, tally.rounds[round], rowsV) };
      rounds.push(r);
      options.onRound?.(r, roundModel(model, space));
      // A round clearly better than the plain baseline is above its accuracy, so ">=" never
      // keeps a round level with the plain model.
      if (clearlyBetter(r) && r.valid >= best.valid) {
        const outOfFold = tally.held ? tally.rounds[round].probs : undefined;
        (best = { valid: r.valid, model, lsa: space, outOfFold }, chosen = rounds.length - 1);
      }
      options.log?.(roundLine(r, R, held));
    }
  }
  const seconds = (performance.now() - start) / 1000;
  const baseline = chosen < 0 ? plain : roundModel(best!.model!, best!.lsa, seconds);
  const keptOutOfFold = chosen < 0 ? undefined : best!.outOfFold;
  return { baseline, plainValid, rounds, chosen, seconds, heldOut: held, outOfFold: keptOutOfFold };

  /** A round's model as a baseline; `spent`: the seconds self-training took (for the kept one). */
  function roundModel(model: LogRegFit, space: Lsa | undefined, spent = 0): Baseline {
    return baselineOf(vectorizer, model, labels, {
      balanced: plain.balanced,
      vocabulary: { total: vectorizer.fittedTerms, kept: vectorizer.size },
      seconds: plain.seconds + spent,
      grid: plain.grid,
    }, space);
  }

  function onHeldOut(
    model: LogRegFit,
    fold: Tally,
    rowsV: readonly SparseRow[],
  ): Pick<SelfTrainRound, "valid" | "wins" | "losses"> {
    let { right, wins, losses } = fold;
    rowsV.forEach((row, i) => {
      const ok = argmax(predictProba(model, row)) === yV[i];
      right += ok ? 1 : 0;
      if (ok !== plainRight[i]) ok ? wins++ : losses++;
    });
    return { valid: right / held, wins, losses };
  }
}

/**
 * Folds of the out-of-fold check by default: 5 when validation has fewer than
 * {@linkcode SMALL_VALIDATION} documents and there are at least two labelled documents a fold,
 * else none.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { defaultFolds } from "./self_train.ts";
 * assert.deepEqual([defaultFolds(12, 100), defaultFolds(600, 100), defaultFolds(12, 8)], [5, 0, 0]);
 * ```
 */
export function defaultFolds(validDocs: number, labelledDocs: number): number {
  return validDocs < SMALL_VALIDATION && labelledDocs >= 10 ? 5 : 0;
}

function timed(fit: () => Lsa, log?: (line: string) => void): Lsa {
  const start = performance.now();
  const lsa = fit();
  log?.(
    `self-training: LSA of all the text, ${lsa.dims} coordinates from ${lsa.columns.length} ` +
      `n-grams (${((performance.now() - start) / 1000).toFixed(1)} s)`,
  );
  return lsa;
}

function roundLine(r: SelfTrainRound, R: number, held: number): string {
  const what = r.round
    ? `${r.pseudo} unlabelled documents with their predicted labels`
    : "the labels alone";
  return `self-training${r.lsa ? " with LSA" : ""}: round ${r.round}/${R}: ${what}, ` +
    `${(r.valid * 100).toFixed(2)}% of ${held} held-out documents right (${r.wins} where the ` +
    `plain baseline is wrong, ${r.losses} the other way)`;
}

/** Held-out counts of one round: right answers, wins/losses against round 0, its answers. */
interface Tally {
  right: number;
  wins: number;
  losses: number;
  /** Class probabilities on each labelled document, held out (out of fold only). */
  probs: Float32Array[];
}

/**
 * The out-of-fold check ({@linkcode stratifiedFolds}): each fold self-trains on the others and
 * scores its documents against the plain model: round 0 (the labels alone), or where round 0 is
 * not the plain model, `plainRightByDoc` (whether it was right on each labelled document, held
 * out) from an earlier call on the same folds.
 */
function outOfFold(
  rowsL: readonly SparseRow[],
  yL: Int32Array,
  { folds, R }: { folds: number; R: number },
  run: (train: readonly number[]) => Generator<{ round: number; model: LogRegFit }>,
  plainRightByDoc?: readonly boolean[],
  log?: (line: string) => void,
): { held: number; plainRight: number; plainRightByDoc: boolean[]; rounds: Tally[] } {
  const rounds: Tally[] = Array.from(
    { length: R + 1 },
    () => ({ right: 0, wins: 0, losses: 0, probs: [] }),
  );
  const n = yL.length;
  const byDoc: boolean[] = [];
  if (folds < 2 || n < 2 * folds) return { held: 0, plainRight: 0, plainRightByDoc: byDoc, rounds };
  const foldOf = stratifiedFolds(yL, folds);
  let plainRight = 0;
  for (let f = 0; f < folds; f++) {
    const { held: out, train } = foldSplit(foldOf, f);
    let base = plainRightByDoc ? out.map((i) => plainRightByDoc[i]) : [];
    for (const { round, model } of run(train)) {
      const t = rounds[round];
      const right = out.map((i) => {
        t.probs[i] = Float32Array.from(predictProba(model, rowsL[i]));
        return argmax(t.probs[i]) === yL[i];
      });
      if (round === 0 && !plainRightByDoc) base = right;
      right.forEach((ok, j) => {
        t.right += ok ? 1 : 0;
        if (ok !== base[j]) ok ? t.wins++ : t.losses++;
      });
    }
    out.forEach((i, j) => byDoc[i] = base[j]);
    plainRight += base.filter(Boolean).length;
    log?.(`self-training: fold ${f + 1}/${folds} of the out-of-fold check done`);
  }
  return { held: n, plainRight, plainRightByDoc: byDoc, rounds };
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
