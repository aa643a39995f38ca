/**
 * A made-up bag-of-words model (`baseline/`) beside a benchmark's random classifiers, the size of
 * the default run's: its memory and load time are part of what a deployed folder costs, and the
 * trainer blends one in by default.
 *
 * @module
 */
import { baselineOf } from "../shared/baseline/train.ts";
import { BASELINE_DIR, baselineToSave } from "../shared/baseline/saved.ts";
import { CHAR_PREFIX, TfidfVectorizer } from "../shared/baseline/tfidf.ts";
import { Rng } from "../shared/rng.ts";
import { saveModelFolder } from "../shared/weights/folder.ts";
import { word } from "./serve.ts";

/** The default run's bag of words (SpamAssassin, 2026-12-05): word 1-2-grams and 3-5-character ones. */
export const DEFAULT_RUN_TERMS = { words: 101_820, chars: 50_000 };

/**
 * Writes `folder/baseline/`: `words` word terms (the first `vocab` made-up words of the
 * benchmark's texts, then bigrams of them) and `chars` character n-grams, random weights for
 * `labels`.
 */
export async function writeBagOfWords(
  folder: string,
  labels: string[],
  vocab: number,
  sizes = DEFAULT_RUN_TERMS,
): Promise<void> {
  const rng = new Rng(11);
  const terms = new Set<string>();
  for (let i = 0; i < Math.min(vocab, sizes.words); i++) terms.add(word(i));
  while (terms.size < sizes.words) terms.add(`${word(rng.int(vocab))} ${word(rng.int(vocab))}`);
  const letters = "abcdefghijklmnopqrstuvwxyz ";
  while (terms.size < sizes.words + sizes.chars) {
    const n = 3 + rng.int(3);
    terms.add(CHAR_PREFIX + Array.from({ length: n }, () => letters[rng.int(27)]).join(""));
  }
  const sorted = [...terms].sort();
  const idf = Float64Array.from(sorted, () => 1 + 8 * rng.next());
  const tfidf = { charNgramMin: 3, charNgramMax: 5, charMaxFeatures: sizes.chars };
  const vectorizer = TfidfVectorizer.fromVocabulary(sorted, idf, tfidf);
  const K = labels.length;
  const model = {
    classes: K,
    features: sorted.length,
    weights: Float64Array.from({ length: sorted.length * K }, () => rng.normal(0, 0.5)),
    bias: new Float64Array(K),
    C: 1,
    objective: 0,
    gradMax: 0,
    iterations: 0,
    evaluations: 0,
    stop: "gtol" as const,
  };
  const about = {
    vocabulary: { total: sorted.length, kept: sorted.length },
    seconds: 0,
    grid: [],
  };
  const b = baselineOf(vectorizer, model, labels, about);
  await saveModelFolder(`${folder}/${BASELINE_DIR}`, baselineToSave(b, { lm: 1, baseline: 1 }));
}
