/**
 * The LSTM classifiers' answers on their own training documents, each from a classifier that
 * never trained on it, so the blend with the bag of words can be fitted on every labelled
 * document where validation is too small (under `SMALL_VALIDATION` documents; with 100 labels
 * it holds 12). Stage 3 runs once per fold on the other folds, from the same fine-tuned encoder
 * with the same schedule, and scores the fold it left out. The answers are kept in
 * OUT/checkpoints/held-out-DIR.json, fold by fold, so `--resume` and a later `train evaluate`
 * find them.
 *
 * @module
 */
import { foldSplit, stratifiedFolds } from "../../shared/baseline/cross_val.ts";
import { SMALL_VALIDATION } from "../../shared/confusion.ts";
import type { Direction } from "../../shared/model/io.ts";
import { writeFileAtomic } from "../../shared/weights/atomic.ts";
import { sha256Hex } from "../../shared/weights/sha256.ts";
import type { LabeledDoc } from "../data/mod.ts";

/** A labelled document's held-out class probabilities, or null while its fold has not run. */
export type HeldOutProbs = (Float32Array | null)[];

/** What OUT/checkpoints/held-out-DIR.json holds. */
interface HeldOutFile {
  /** Ties the answers to the documents, folds and seed they came from. */
  fingerprint: string;
  folds: number;
  probs: (number[] | null)[];
}

/**
 * How many folds stage 3 trains for held-out answers: `folds` (`classify.heldOutFolds`) when
 * validation is small and there are at least two labelled documents a fold, else 0.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { heldOutFolds } from "./held_out.ts";
 * assert.equal(heldOutFolds(5, 12, 88), 5); // 100 labels: 12 validation documents
 * assert.equal(heldOutFolds(5, 600, 5400), 0); // validation large enough to fit the blend on
 * assert.equal(heldOutFolds(5, 1, 8), 0); // fewer than two documents a fold
 * assert.equal(heldOutFolds(0, 12, 88), 0); // turned off
 * ```
 */
export function heldOutFolds(folds: number, validDocs: number, labelledDocs: number): number {
  return folds >= 2 && validDocs < SMALL_VALIDATION && labelledDocs >= 2 * folds ? folds : 0;
}

/** Where a direction's held-out answers are kept. */
export function heldOutPath(out: string, dir: Direction): string {
  return `${out}/checkpoints/held-out-${dir}.json`;
}

/** The fingerprint of the documents (in order), fold count, direction and seed. */
export async function heldOutFingerprint(
  docs: readonly LabeledDoc[],
  folds: number,
  dir: Direction,
  seed: number,
): Promise<string> {
  return await sha256Hex(JSON.stringify([dir, folds, seed, docs.map((d) => [d.label, d.text])]));
}

/**
 * The held-out answers saved for this fingerprint (folds not yet run are null), or undefined
 * when there are none or they are for other documents.
 */
export async function readHeldOut(
  path: string,
  fingerprint: string,
): Promise<HeldOutProbs | undefined> {
  let file: HeldOutFile;
  try {
    file = JSON.parse(await Deno.readTextFile(path));
  } catch (error) {
    if (error instanceof Deno.errors.NotFound || error instanceof SyntaxError) return undefined;
    throw error;
  }
  if (file.fingerprint !== fingerprint || !Array.isArray(file.probs)) return undefined;
  return file.probs.map((p) => p && Float32Array.from(p));
}

/** Removes a direction's held-out answers: stage 3 retrained without them. */
export async function removeHeldOut(path: string): Promise<void> {
  try {
    await Deno.remove(path);
  } catch (error) {
    if (!(error instanceof Deno.errors.NotFound)) throw error;
  }
}

/** One fold's job: train on `train` (indices into the documents), answer for `held`. */
export type FoldRun = (fold: number, train: number[], held: number[]) => Promise<Float32Array[]>;

/**
 * Runs the folds not yet answered in `done` (stratified by `labels`, as the bag of words' own
 * out-of-fold check splits them), saving after each; stops early, returning undefined, when
 * `stopped()` says so after a fold.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { crossFit } from "./held_out.ts";
 * // A "model" that answers with the share of its training documents per label.
 * const labels = [0, 1, 0, 1, 0, 1];
 * const seen: number[][] = [];
 * const probs = await crossFit(labels, 3, [], async (_f, train, held) => {
 *   seen.push([...held]);
 *   assert.ok(held.every((i) => !train.includes(i)));
 *   const ones = train.filter((i) => labels[i] === 1).length / train.length;
 *   return held.map(() => Float32Array.of(1 - ones, ones));
 * }, async () => {}, () => false);
 * assert.deepEqual(seen.flat().sort(), [0, 1, 2, 3, 4, 5]); // each document held out once
 * assert.deepEqual(probs!.map((p) => p[1]), [0.5, 0.5, 0.5, 0.5, 0.5, 0.5]);
 * ```
 */
export async function crossFit(
  labels: readonly number[],
  folds: number,
  done: HeldOutProbs,
  run: FoldRun,
  save: (probs: HeldOutProbs) => Promise<void>,
  stopped: () => boolean,
): Promise<Float32Array[] | undefined> {
  const foldOf = stratifiedFolds(labels, folds);
  const probs: HeldOutProbs = labels.map((_, i) => done[i] ?? null);
  for (let f = 0; f < folds; f++) {
    const { held, train } = foldSplit(foldOf, f);
    if (held.every((i) => probs[i])) continue;
    const answers = await run(f, train, held);
    if (stopped()) return undefined;
    held.forEach((i, j) => probs[i] = answers[j]);
    await save(probs);
  }
  return probs as Float32Array[];
}

/** Writes the answers so far, atomically. */
export async function saveHeldOut(
  path: string,
  fingerprint: string,
  folds: number,
  probs: HeldOutProbs,
): Promise<void> {
  const file: HeldOutFile = { fingerprint, folds, probs: probs.map((p) => p && Array.from(p)) };
  await Deno.mkdir(path.slice(0, path.lastIndexOf("/")) || ".", { recursive: true });
  await writeFileAtomic(path, JSON.stringify(file));
}
