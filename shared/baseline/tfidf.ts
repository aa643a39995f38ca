/**
 * A TF-IDF vectorizer equivalent to scikit-learn's
 * `TfidfVectorizer(ngram_range=(1, 2), sublinear_tf=True)` with its other
 * defaults: lowercase, words are runs of two or more word characters
 * (`(?u)\b\w\w+\b`), word n-grams joined by one space, a vocabulary of every
 * n-gram in the training texts, smooth idf `ln((1 + n) / (1 + df)) + 1`,
 * term frequency `1 + ln(tf)` and rows scaled to unit L2 norm. Optionally a
 * second block of character n-grams within words (`charNgramMin..Max`, as
 * `analyzer="char_wb"`) beside the words. Rows are sparse: sorted feature
 * indices and their values in typed arrays.
 *
 * @module
 */
import { TermTable } from "./term_table.ts";

/** One sparse document vector: `values[i]` belongs to feature `indices[i]`; indices ascend. */
export interface SparseRow {
  indices: Int32Array;
  values: Float64Array;
}

/** Options of {@linkcode TfidfVectorizer.fit}; the defaults are the baseline's. */
export interface TfidfOptions {
  /** Smallest n-gram length. Default 1. */
  ngramMin?: number;
  /** Largest n-gram length. Default 2. */
  ngramMax?: number;
  /** Term frequency `1 + ln(tf)` instead of the raw count. Default true. */
  sublinearTf?: boolean;
  /** Lowercase before tokenizing. Default true. */
  lowercase?: boolean;
  /**
   * Also character n-grams of lengths `charNgramMin..charNgramMax` within each word padded with a
   * space (scikit-learn's `analyzer="char_wb"`), as a second block of features: each block is
   * scaled to unit norm, then both by 1/√2 (scikit-learn's `FeatureUnion` of the two vectorizers,
   * divided by √2). Default 0: words only.
   */
  charNgramMin?: number;
  /** Largest character n-gram length (with `charNgramMin`). Default 0. */
  charNgramMax?: number;
  /**
   * Most character n-grams kept: those in the most documents (ties: the first in term order), so
   * the model stays small. Default 0: all.
   */
  charMaxFeatures?: number;
  /**
   * Fewest training documents an n-gram must be in to join the vocabulary (scikit-learn's
   * integer `min_df`), applied before the feature caps. Default 1: every n-gram.
   */
  minDf?: number;
}

/** Thrown by {@linkcode TfidfVectorizer.fit} when `minDf` leaves no n-gram. */
export class NoFrequentTermsError extends Error {}

/** Character n-gram terms carry this prefix: no word n-gram holds a colon, so none collides. */
export const CHAR_PREFIX = "c:";

// Python's `\w` in Unicode mode: letters, numbers and the underscore. A match of
// `\b\w\w+\b` is a maximal run of two or more of them, and so is one of this.
const WORD = /[\p{L}\p{N}_]{2,}/gu;

/**
 * The words of `text` as scikit-learn's default analyzer sees them:
 * lowercased, runs of two or more letters, digits or underscores.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { tokenize } from "./tfidf.ts";
 * assert.deepEqual(tokenize("A Café's 2 new_menu, TODAY!"), ["café", "new_menu", "today"]);
 * ```
 */
export function tokenize(text: string, lowercase = true): string[] {
  return (lowercase ? text.toLowerCase() : text).match(WORD) ?? [];
}

/**
 * Word n-grams of lengths `min..max`, all unigrams first, then bigrams, …,
 * each joined by one space (scikit-learn's `_word_ngrams`).
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { wordNgrams } from "./tfidf.ts";
 * assert.deepEqual(wordNgrams(["a", "b", "c"], 1, 2), ["a", "b", "c", "a b", "b c"]);
 * ```
 */
export function wordNgrams(tokens: readonly string[], min = 1, max = 2): string[] {
  const out: string[] = [];
  for (let n = min; n <= max; n++) {
    for (let i = 0; i + n <= tokens.length; i++) {
      out.push(n === 1 ? tokens[i] : tokens.slice(i, i + n).join(" "));
    }
  }
  return out;
}

/**
 * Character n-grams of lengths `min..max` of each whitespace-separated word padded with a space
 * on both sides, word by word (scikit-learn's `_char_wb_ngrams`); a padded word no longer than
 * `n` gives itself once. Lengths count code points, as Python's do.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { charWbNgrams } from "./tfidf.ts";
 * assert.deepEqual(charWbNgrams("ab  c", 2, 3), [" a", "ab", "b ", " ab", "ab ", " c", "c ", " c "]);
 * ```
 */
export function charWbNgrams(text: string, min: number, max: number): string[] {
  const out: string[] = [];
  for (const word of text.split(/\s+/)) {
    if (!word) continue;
    const w = [" ", ...word, " "];
    for (let n = min; n <= max; n++) {
      // A padded word no longer than n gives itself once, and no longer n-grams.
      if (w.length <= n) {
        out.push(w.join(""));
        break;
      }
      for (let i = 0; i + n <= w.length; i++) out.push(w.slice(i, i + n).join(""));
    }
  }
  return out;
}

/** The terms a document holds: its word n-grams, then its prefixed character n-grams. */
function analyze(text: string, o: Required<TfidfOptions>): string[] {
  const words = wordNgrams(tokenize(text, o.lowercase), o.ngramMin, o.ngramMax);
  if (!o.charNgramMax) return words;
  const chars = charWbNgrams(
    o.lowercase ? text.toLowerCase() : text,
    o.charNgramMin,
    o.charNgramMax,
  );
  for (const c of chars) words.push(CHAR_PREFIX + c);
  return words;
}

/** The `max` of `terms` (in term order) found in the most documents; ties keep the first. */
function mostFrequent(terms: string[], df: Map<string, number>, max: number): Set<string> {
  if (terms.length <= max) return new Set(terms);
  return new Set(
    terms.map((t, i) => [df.get(t)!, i] as const)
      .sort((a, b) => b[0] - a[0] || a[1] - b[1])
      .slice(0, Math.max(1, max))
      .map(([, i]) => terms[i]),
  );
}

function checkOptions(o: TfidfOptions): Required<TfidfOptions> {
  const r = {
    ngramMin: o.ngramMin ?? 1,
    ngramMax: o.ngramMax ?? 2,
    sublinearTf: o.sublinearTf ?? true,
    lowercase: o.lowercase ?? true,
    charNgramMin: o.charNgramMin ?? 0,
    charNgramMax: o.charNgramMax ?? 0,
    charMaxFeatures: o.charMaxFeatures ?? 0,
    minDf: o.minDf ?? 1,
  };
  if (!Number.isInteger(r.ngramMin) || r.ngramMin < 1 || !(r.ngramMax >= r.ngramMin)) {
    throw new Error(
      `Cannot build the TF-IDF vectorizer: n-gram range ${r.ngramMin}..${r.ngramMax} is invalid; ` +
        "use whole numbers with 1 <= ngramMin <= ngramMax, e.g. 1..2",
    );
  }
  const { charNgramMin: cMin, charNgramMax: cMax } = r;
  if (!(cMin === 0 && cMax === 0) && !(Number.isInteger(cMin) && cMin >= 1 && cMax >= cMin)) {
    throw new Error(
      `Cannot build the TF-IDF vectorizer: character n-gram range ${cMin}..${cMax} is invalid; ` +
        "use whole numbers with 1 <= charNgramMin <= charNgramMax (e.g. 2..5), or 0..0 for none",
    );
  }
  if (!Number.isInteger(r.minDf) || r.minDf < 1) {
    throw new Error(
      `Cannot build the TF-IDF vectorizer: minDf ${r.minDf} is invalid; use a whole number of ` +
        "documents >= 1 (1 keeps every n-gram)",
    );
  }
  return r;
}

/**
 * A fitted TF-IDF vectorizer: the vocabulary (sorted terms) and each term's idf.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { TfidfVectorizer } from "./tfidf.ts";
 * const v = TfidfVectorizer.fit(["good film", "bad film"]);
 * assert.deepEqual(v.terms, ["bad", "bad film", "film", "good", "good film"]);
 * assert.equal(v.idf[v.indexOf("film")!], 1); // in every document: ln(3/3) + 1
 * const [row] = v.transform(["a good film"]);
 * assert.deepEqual([...row.indices], [2, 3, 4]);
 * ```
 */
export class TfidfVectorizer {
  /** The vocabulary: each term's feature index (terms sorted by UTF-16 code units, as Python
   * sorts BMP text). */
  readonly vocabulary: TermTable;
  /** Inverse document frequency per feature. */
  readonly idf: Float64Array;
  /** The options the vocabulary was built with. */
  readonly options: Readonly<Required<TfidfOptions>>;
  /**
   * The n-grams `fit` found, before the `minDf` and `maxFeatures` cuts (the vocabulary's size
   * otherwise).
   */
  readonly fittedTerms: number;
  /** 1 where a feature is a character n-gram (its block is scaled apart), with `charNgramMax`. */
  readonly #isChar?: Uint8Array;

  private constructor(
    vocabulary: TermTable,
    idf: Float64Array,
    options: Required<TfidfOptions>,
    fittedTerms = vocabulary.size,
  ) {
    this.vocabulary = vocabulary;
    this.idf = idf;
    this.options = options;
    this.fittedTerms = fittedTerms;
    if (options.charNgramMax) {
      this.#isChar = new Uint8Array(vocabulary.size);
      for (let i = 0; i < vocabulary.size; i++) {
        this.#isChar[i] = vocabulary.startsWith(i, CHAR_PREFIX) ? 1 : 0;
      }
    }
  }

  /**
   * A vectorizer from a saved vocabulary: its terms in feature order (as {@linkcode fit} sorted
   * them) and their idf.
   */
  static fromVocabulary(
    terms: readonly string[] | TermTable,
    idf: ArrayLike<number>,
    options: TfidfOptions = {},
  ): TfidfVectorizer {
    const size = terms instanceof TermTable ? terms.size : terms.length;
    if (size !== idf.length || size === 0) {
      throw new Error(
        `Cannot build the TF-IDF vectorizer: ${size} terms and ${idf.length} idf values; ` +
          "save the vocabulary and its idf together",
      );
    }
    const table = terms instanceof TermTable ? terms : TermTable.fromTerms(terms);
    return new TfidfVectorizer(table, Float64Array.from(idf), checkOptions(options));
  }

  /**
   * Learns the vocabulary and idf from `texts` (scikit-learn's `fit`), keeping at most
   * `maxFeatures` n-grams: those in the most documents (ties: the first in term order).
   */
  static fit(
    texts: readonly string[],
    options: TfidfOptions = {},
    maxFeatures = Infinity,
  ): TfidfVectorizer {
    const o = checkOptions(options);
    if (texts.length === 0) {
      throw new Error("Cannot fit the TF-IDF vectorizer: no texts; pass the training texts");
    }
    const df = new Map<string, number>();
    for (const text of texts) {
      const seen = new Set(analyze(text, o));
      for (const term of seen) df.set(term, (df.get(term) ?? 0) + 1);
    }
    if (df.size === 0) {
      throw new Error(
        "Cannot fit the TF-IDF vectorizer: the texts hold no word of two or more letters or " +
          "digits; pass real documents",
      );
    }
    let terms = [...df.keys()].sort();
    if (o.minDf > 1) terms = terms.filter((t) => df.get(t)! >= o.minDf);
    if (terms.length === 0) {
      throw new NoFrequentTermsError(
        `Cannot fit the TF-IDF vectorizer: no n-gram is in ${o.minDf} or more of the ` +
          `${texts.length} texts; lower minDf or pass more texts`,
      );
    }
    if (o.charMaxFeatures) {
      const chars = terms.filter((t) => t.startsWith(CHAR_PREFIX));
      const kept = mostFrequent(chars, df, o.charMaxFeatures);
      terms = terms.filter((t) => !t.startsWith(CHAR_PREFIX) || kept.has(t));
    }
    if (terms.length > maxFeatures) {
      const kept = mostFrequent(terms, df, maxFeatures);
      terms = terms.filter((t) => kept.has(t));
    }
    const n = texts.length;
    const idf = new Float64Array(terms.length);
    terms.forEach((t, i) => idf[i] = Math.log((1 + n) / (1 + df.get(t)!)) + 1);
    return new TfidfVectorizer(TermTable.fromTerms(terms), idf, o, df.size);
  }

  /** Number of features. */
  get size(): number {
    return this.vocabulary.size;
  }

  /** Every term in feature order, as a new array. */
  get terms(): string[] {
    return this.vocabulary.toArray();
  }

  /** The feature index of `term`, or undefined when it is not in the vocabulary. */
  indexOf(term: string): number | undefined {
    return this.vocabulary.indexOf(term);
  }

  /** One document's TF-IDF row; terms outside the vocabulary are dropped. */
  transformOne(text: string): SparseRow {
    const o = this.options, isChar = this.#isChar, vocabulary = this.vocabulary;
    const counts = new Map<number, number>();
    for (const term of analyze(text, o)) {
      const j = vocabulary.indexOf(term);
      if (j !== undefined) counts.set(j, (counts.get(j) ?? 0) + 1);
    }
    const indices = Int32Array.from(counts.keys()).sort();
    const values = new Float64Array(indices.length);
    // Squared norms of the word block [0] and the character block [1].
    const norm = [0, 0];
    for (let i = 0; i < indices.length; i++) {
      const tf = counts.get(indices[i])!;
      const v = (o.sublinearTf ? 1 + Math.log(tf) : tf) * this.idf[indices[i]];
      values[i] = v;
      norm[isChar?.[indices[i]] ?? 0] += v * v;
    }
    // An empty block stays all zero, as in scikit-learn.
    const scale = isChar ? Math.SQRT1_2 : 1;
    const inv = norm.map((n) => n > 0 ? scale / Math.sqrt(n) : 0);
    for (let i = 0; i < values.length; i++) values[i] *= inv[isChar?.[indices[i]] ?? 0];
    return { indices, values };
  }

  /** TF-IDF rows of `texts`. */
  transform(texts: readonly string[]): SparseRow[] {
    return texts.map((t) => this.transformOne(t));
  }
}
