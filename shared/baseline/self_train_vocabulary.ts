/**
 * The vocabulary self-training reads: all the text, labelled and unlabelled, without the n-grams
 * of one text (`SELF_TRAIN_MIN_DF`), within the logistic regression's bound, and the line that
 * says what it kept.
 *
 * @module
 */
import { NoFrequentTermsError, type TfidfOptions, TfidfVectorizer } from "./tfidf.ts";

/**
 * The self-training vocabulary's default `minDf`. An n-gram in one text of thousands links no
 * labelled document to an unlabelled one; measured on IMDb, AG News, TREC-6 and SST-2 (RESULTS.md,
 * twenty-second session), dropping those left every round as accurate or more (TREC-6 +3 to +6
 * points), the vocabulary 3.7–4.5× smaller (SST-2's phrases: 1.1×) and self-training 2–3× faster.
 */
export const SELF_TRAIN_MIN_DF = 2;

/**
 * The self-training vocabulary of all the `texts` with `options` (at most `cap` n-grams), said in
 * a `log` line; every n-gram where none is in `minDf` texts (said so too).
 */
export function selfTrainVocabulary(
  texts: readonly string[],
  options: TfidfOptions,
  cap: number,
  log?: (line: string) => void,
): TfidfVectorizer {
  const v = fitOrKeepAll(texts, options, cap, log);
  log?.(vocabularyLine(v, texts.length, cap));
  return v;
}

/** The vocabulary of `texts`; every n-gram where none is in `minDf` texts (said so). */
function fitOrKeepAll(
  texts: readonly string[],
  options: TfidfOptions,
  cap: number,
  log?: (line: string) => void,
): TfidfVectorizer {
  try {
    return TfidfVectorizer.fit(texts, options, cap);
  } catch (e) {
    if (!(e instanceof NoFrequentTermsError)) throw e;
    log?.(`self-training: no n-gram is in ${options.minDf} or more texts; it keeps every n-gram`);
    return TfidfVectorizer.fit(texts, { ...options, minDf: 1 }, cap);
  }
}

/**
 * What the self-training vocabulary kept of the n-grams in all the text: those in `minDf` or more
 * texts, at most `cap` of them (the weights' bound).
 */
function vocabularyLine(v: TfidfVectorizer, texts: number, cap: number): string {
  const n = (x: number) => x.toLocaleString("en-US");
  const rules = [
    ...v.options.minDf > 1 ? [`those in ${v.options.minDf} or more texts`] : [],
    ...v.size === cap && v.fittedTerms > cap
      ? [`the ${n(cap)} in the most texts (the weights' bound)`]
      : [],
  ];
  return `self-training: a vocabulary of ${n(v.size)} n-grams of the ${n(v.fittedTerms)} in ` +
    `all ${n(texts)} texts` + (rules.length ? ` (${rules.join(", then ")})` : "");
}
