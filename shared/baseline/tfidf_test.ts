import assert from "node:assert/strict";
import {
  CHAR_PREFIX,
  NoFrequentTermsError,
  TfidfVectorizer,
  tokenize,
  wordNgrams,
} from "./tfidf.ts";

const close = (a: number, b: number, tol = 1e-12) =>
  assert.ok(Math.abs(a - b) <= tol, `${a} vs ${b}`);

Deno.test("tokenize: runs of two or more word characters, lowercased", () => {
  assert.deepEqual(tokenize("I don't like state-of-the-art x_y 7 42!"), [
    "don",
    "like",
    "state",
    "of",
    "the",
    "art",
    "x_y",
    "42",
  ]);
  // Letters and digits of any script; combining marks break words as in Python's \w.
  assert.deepEqual(tokenize("Zürich ΛΟΓΟΣ x² ٣٣ noe\u0308l"), [
    "zürich",
    "λογος",
    "x²",
    "٣٣",
    "noe",
  ]);
  assert.deepEqual(tokenize("Keep CASE", false), ["Keep", "CASE"]);
  assert.deepEqual(tokenize("a . b"), []);
});

Deno.test("wordNgrams: unigrams then bigrams, joined by a space", () => {
  assert.deepEqual(wordNgrams(["x", "y", "z"], 1, 2), ["x", "y", "z", "x y", "y z"]);
  assert.deepEqual(wordNgrams(["x", "y", "z"], 2, 3), ["x y", "y z", "x y z"]);
  assert.deepEqual(wordNgrams(["x"], 1, 2), ["x"]);
});

Deno.test("TfidfVectorizer: a three-document example worked by hand", () => {
  // Documents and their 1- and 2-grams ("a" is one letter: dropped):
  //   d1 "The cat sat."      the, cat, sat, the cat, cat sat
  //   d2 "the cat THE cat"   the ×2, cat ×2, the cat ×2, cat the
  //   d3 "a dog"             dog
  const v = TfidfVectorizer.fit(["The cat sat.", "the cat THE cat", "a dog"]);
  assert.deepEqual(v.terms, ["cat", "cat sat", "cat the", "dog", "sat", "the", "the cat"]);
  // n = 3; smooth idf = ln((1 + n) / (1 + df)) + 1.
  const idf2 = Math.log(4 / 3) + 1; // df 2: the, cat, the cat  (1.2876820724517808)
  const idf1 = Math.log(4 / 2) + 1; // df 1: cat sat, cat the, dog, sat  (1.6931471805599454)
  const want = [idf2, idf1, idf1, idf1, idf1, idf2, idf2];
  want.forEach((x, j) => close(v.idf[j], x));
  close(idf2, 1.2876820724517808);

  // d2: tf 2 → 1 + ln 2 for the, cat, the cat; tf 1 → 1 for cat the.
  const big = (1 + Math.log(2)) * idf2; // 2.1802325
  const norm = Math.sqrt(3 * big * big + idf1 * idf1);
  const d2 = v.transformOne("the cat THE cat");
  assert.deepEqual([...d2.indices], [0, 2, 5, 6]);
  [big, idf1, big, big].forEach((x, i) => close(d2.values[i], x / norm));
  close(d2.values.reduce((a, x) => a + x * x, 0), 1);

  // Unseen words are dropped; a text of unseen words is an empty row.
  const d = v.transformOne("zebra cat");
  assert.deepEqual([...d.indices], [0]);
  close(d.values[0], 1);
  assert.equal(v.transformOne("zebra! ?").indices.length, 0);
});

Deno.test("TfidfVectorizer: maxFeatures keeps the n-grams in the most documents, idf unchanged", () => {
  // df: the 2, cat 2, the cat 2; cat sat, cat the, dog, sat 1 (the example above).
  const texts = ["The cat sat.", "the cat THE cat", "a dog"];
  const all = TfidfVectorizer.fit(texts);
  const v = TfidfVectorizer.fit(texts, {}, 4);
  // The three of df 2, then the first of df 1 in term order ("cat sat"); kept in term order.
  assert.deepEqual(v.terms, ["cat", "cat sat", "the", "the cat"]);
  assert.equal(v.fittedTerms, 7);
  assert.equal(all.fittedTerms, 7);
  for (const t of v.terms) assert.equal(v.idf[v.indexOf(t)!], all.idf[all.indexOf(t)!]);
  assert.deepEqual([...v.transformOne("the dog").indices], [2]);
});

Deno.test("TfidfVectorizer: minDf drops the n-grams in fewer documents, idf unchanged", () => {
  // df: the 2, cat 2, the cat 2; cat sat, cat the, dog, sat 1 (the example above).
  const texts = ["The cat sat.", "the cat THE cat", "a dog"];
  const v = TfidfVectorizer.fit(texts, { minDf: 2 });
  assert.deepEqual(v.terms, ["cat", "the", "the cat"]);
  assert.equal(v.fittedTerms, 7);
  close(v.idf[0], Math.log(4 / 3) + 1);
  // Applied before maxFeatures: two of the three left.
  assert.deepEqual(TfidfVectorizer.fit(texts, { minDf: 2 }, 2).terms, ["cat", "the"]);
  // "cat sat" is out of the vocabulary, so d1's row holds cat, the, the cat alone.
  assert.deepEqual([...v.transformOne("The cat sat.").indices], [0, 1, 2]);
  assert.throws(() => TfidfVectorizer.fit(texts, { minDf: 4 }), /no n-gram is in 4 or more/);
  assert.throws(() => TfidfVectorizer.fit(texts, { minDf: 4 }), NoFrequentTermsError);
  assert.throws(() => TfidfVectorizer.fit(texts, { minDf: 0.5 }), /minDf 0\.5 is invalid/);
});

Deno.test("TfidfVectorizer: raw term frequency when sublinearTf is false", () => {
  const v = TfidfVectorizer.fit(["aa aa aa bb", "bb cc"], { sublinearTf: false, ngramMax: 1 });
  assert.deepEqual(v.terms, ["aa", "bb", "cc"]);
  const row = v.transformOne("aa aa aa bb");
  const a = 3 * (Math.log(3 / 2) + 1), b = 1 * (Math.log(3 / 3) + 1);
  close(row.values[0], a / Math.hypot(a, b));
  close(row.values[1], b / Math.hypot(a, b));
  // Sublinear (the default) gives 1 + ln 3 instead of 3.
  const s = TfidfVectorizer.fit(["aa aa aa bb", "bb cc"], { ngramMax: 1 }).transformOne("aa aa aa");
  close(s.values[0], 1);
  assert.equal(v.indexOf("zz"), undefined);
  assert.equal(v.size, 3);
});

Deno.test("TfidfVectorizer: errors say what to do", () => {
  assert.throws(() => TfidfVectorizer.fit([]), /Cannot fit the TF-IDF vectorizer: no texts/);
  assert.throws(() => TfidfVectorizer.fit(["a b", "!"]), /no word of two or more/);
  assert.throws(
    () => TfidfVectorizer.fit(["aa bb"], { ngramMin: 2, ngramMax: 1 }),
    /Cannot build the TF-IDF vectorizer: n-gram range 2\.\.1/,
  );
});

Deno.test("TfidfVectorizer with character n-grams: two blocks, each at norm 1/√2", () => {
  const v = TfidfVectorizer.fit(["good film", "bad film", "a b"], {
    charNgramMin: 2,
    charNgramMax: 3,
  });
  const terms = v.terms;
  const norms = (text: string) => {
    const r = v.transformOne(text), sums = [0, 0];
    r.indices.forEach((j, i) => sums[terms[j].startsWith(CHAR_PREFIX) ? 1 : 0] += r.values[i] ** 2);
    return sums;
  };
  const [words, chars] = norms("good bad film");
  assert.ok(Math.abs(words - 0.5) < 1e-12 && Math.abs(chars - 0.5) < 1e-12);
  // One-letter words are no word terms, but they have characters: the word block stays empty.
  assert.deepEqual(norms("a b").map((x) => Math.round(x * 1e12) / 1e12), [0, 0.5]);
  assert.ok(v.indexOf(`${CHAR_PREFIX} go`) !== undefined && v.indexOf("good") !== undefined);
  assert.throws(
    () => TfidfVectorizer.fit(["x y"], { charNgramMin: 3, charNgramMax: 2 }),
    /Cannot build the TF-IDF vectorizer: character n-gram range 3\.\.2 is invalid/,
  );
});

Deno.test("TfidfVectorizer charMaxFeatures keeps the character n-grams in the most documents", () => {
  const texts = ["abc abd", "abc xyz", "abc"];
  const all = TfidfVectorizer.fit(texts, { charNgramMin: 3, charNgramMax: 3 });
  const capped = TfidfVectorizer.fit(texts, {
    charNgramMin: 3,
    charNgramMax: 3,
    charMaxFeatures: 2,
  });
  const chars = (v: TfidfVectorizer) => v.terms.filter((t) => t.startsWith(CHAR_PREFIX));
  // " ab", "abc" and "bc " are in all three documents, the rest in one: the cap of 2 keeps the
  // first two of the three in term order.
  assert.deepEqual(chars(all), [
    "c: ab",
    "c: xy",
    "c:abc",
    "c:abd",
    "c:bc ",
    "c:bd ",
    "c:xyz",
    "c:yz ",
  ]);
  assert.deepEqual(chars(capped), ["c: ab", "c:abc"]);
  // The word n-grams are not capped.
  assert.deepEqual(
    capped.terms.filter((t) => !t.startsWith(CHAR_PREFIX)),
    all.terms.filter((t) => !t.startsWith(CHAR_PREFIX)),
  );
});
