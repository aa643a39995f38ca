/**
 * The bag-of-words baseline against scikit-learn: `tests/fixtures/baseline_sklearn.json`
 * was written by `tools/sklearn_baseline.py fixture` (synthetic texts, scikit-learn's
 * TfidfVectorizer and multinomial LogisticRegression at a fixed C, converged to the
 * optimum); this test needs no Python.
 */
import assert from "node:assert/strict";
import {
  argmax,
  fitLogReg,
  predictProba,
  type TfidfOptions,
  TfidfVectorizer,
} from "../shared/baseline/mod.ts";
import { trainBaseline } from "../shared/baseline/mod.ts";

interface Case {
  name: string;
  labels: string[];
  C: number;
  /** Character n-grams beside the words, where the case has them. */
  tfidf?: TfidfOptions;
  train: { text: string; label: string }[];
  test: { text: string; label: string }[];
  features: number;
  firstTerms: string[];
  idf: Record<string, number>;
  testRow0: Record<string, number>;
  probabilities: number[][];
  accuracy: number;
}

const fixture: { sklearn: string; cases: Case[] } = JSON.parse(
  await Deno.readTextFile(new URL("./fixtures/baseline_sklearn.json", import.meta.url)),
);

for (const c of fixture.cases) {
  Deno.test(`baseline parity (${c.name}): vocabulary, idf and one TF-IDF row`, () => {
    const v = TfidfVectorizer.fit(c.train.map((d) => d.text), c.tfidf);
    assert.equal(v.size, c.features);
    assert.deepEqual(v.terms.slice(0, c.firstTerms.length), c.firstTerms);
    assert.ok(Object.keys(c.idf).length >= 8);
    for (const [term, idf] of Object.entries(c.idf)) {
      const j = v.indexOf(term);
      assert.ok(j !== undefined, `"${term}" missing from the vocabulary`);
      assert.ok(Math.abs(v.idf[j] - idf) < 1e-6, `idf("${term}") ${v.idf[j]} vs sklearn ${idf}`);
    }
    const row = v.transformOne(c.test[0].text);
    const ours = Object.fromEntries(
      [...row.indices].map((j, i) => [v.vocabulary.term(j), row.values[i]]),
    );
    assert.deepEqual(Object.keys(ours).sort(), Object.keys(c.testRow0).sort());
    for (const [term, x] of Object.entries(c.testRow0)) {
      assert.ok(Math.abs(ours[term] - x) < 1e-9, `tf-idf("${term}") ${ours[term]} vs ${x}`);
    }
  });

  Deno.test(`baseline parity (${c.name}): test probabilities at C = ${c.C}`, () => {
    const v = TfidfVectorizer.fit(c.train.map((d) => d.text), c.tfidf);
    const y = Int32Array.from(c.train, (d) => c.labels.indexOf(d.label));
    const model = fitLogReg(v.transform(c.train.map((d) => d.text)), y, {
      classes: c.labels.length,
      features: v.size,
      C: c.C,
      gtol: 1e-6,
      ftol: 0,
    });
    // Converged: the gradient test, or (more features, flatter optimum) no further fall at all.
    assert.ok(model.stop === "gtol" || model.stop === "ftol", model.stop);
    let right = 0, worst = 0;
    c.test.forEach((d, i) => {
      const p = predictProba(model, v.transformOne(d.text));
      const want = c.probabilities[i];
      for (let k = 0; k < want.length; k++) worst = Math.max(worst, Math.abs(p[k] - want[k]));
      assert.equal(argmax(p), argmax(want), `test row ${i}: argmax`);
      if (argmax(p) === c.labels.indexOf(d.label)) right++;
    });
    // scikit-learn's fixture is at the optimum within ~1e-8; so is this fit.
    assert.ok(worst < 1e-5, `largest probability gap ${worst}`);
    assert.equal(right / c.test.length, c.accuracy);
  });

  Deno.test(`baseline parity (${c.name}): the high-level API at scikit-learn's defaults`, () => {
    // Default tolerance (1e-4 on the gradient, as sklearn's tol) and a one-value grid.
    const b = trainBaseline(c.train, { labels: c.labels, grid: [c.C], tfidf: c.tfidf });
    const p = b.predictProba(c.test.map((d) => d.text));
    let worst = 0;
    p.forEach((row, i) => {
      row.forEach((x, k) => worst = Math.max(worst, Math.abs(x - c.probabilities[i][k])));
      assert.equal(argmax(row), argmax(c.probabilities[i]));
    });
    assert.ok(worst < 1e-3, `largest probability gap ${worst}`);
  });
}
