import assert from "node:assert/strict";
import { loadModelFolder, saveModelFolder } from "../weights/folder.ts";
import { fitLsa, withLsa } from "./lsa.ts";
import { baselineOf, fitLogReg, TfidfVectorizer, trainBaseline } from "./mod.ts";
import { baselineFromLoaded, baselineToSave } from "./saved.ts";

Deno.test("baselineToSave: a model with LSA coordinates predicts the same after a save and load", async () => {
  const texts = ["goal match", "chip code", "goal league", "league match", "chip cpu", "cpu code"];
  const v = TfidfVectorizer.fit(texts);
  const lsa = fitLsa(v.transform(texts), v.idf, { dims: 2 });
  const rows = v.transform(texts.slice(0, 2)).map((r) => withLsa(lsa, r, v.size));
  const model = fitLogReg(rows, Int32Array.of(0, 1), { classes: 2, features: v.size + 2, C: 10 });
  const about = { vocabulary: { total: v.size, kept: v.size }, seconds: 0, grid: [] };
  const baseline = baselineOf(v, model, ["sport", "tech"], about, lsa);
  assert.deepEqual(baseline.predict(["league", "cpu"]), [0, 1]); // from the LSA coordinates
  const dir = await Deno.makeTempDir({ prefix: "fitlam-lsa-" });
  await saveModelFolder(`${dir}/baseline`, baselineToSave(baseline, { lm: 0, baseline: 1 }));
  const raw = await loadModelFolder(`${dir}/baseline`);
  const loaded = baselineFromLoaded(raw, dir);
  assert.equal(loaded.features, baseline.features);
  const probe = ["league", "cpu", "goal cpu league", "nothing known"];
  const before = baseline.predictProba(probe), after = loaded.predictProba(probe);
  before.forEach((p, i) => p.forEach((x, k) => assert.ok(Math.abs(x - after[i][k]) < 1e-5)));
  // A folder whose LSA columns leave the vocabulary is refused, naming the tensor.
  const bad = structuredClone(raw);
  (bad.tensors.lsaColumns.data as Int32Array)[0] = 999;
  assert.throws(
    () => baselineFromLoaded(bad, "bad"),
    /Cannot load the bag-of-words model from bad: lsaColumns is not an ascending list/,
  );
  const noDims = { ...raw, config: { ...raw.config, lsa: { dims: 0 } } };
  assert.throws(() => baselineFromLoaded(noDims, "x"), /lsa\.dims is 0; it must be a whole number/);
  await Deno.remove(dir, { recursive: true });
});

Deno.test("baselineToSave: character n-grams beside the words survive a save and load", async () => {
  const train = ["football match", "footballer scores", "chipset code", "chipmaker server"]
    .map((text, i) => ({ text, label: i < 2 ? "sport" : "tech" }));
  const tfidf = { charNgramMin: 2, charNgramMax: 5 };
  const b = trainBaseline(train, { grid: [10], tfidf });
  // "footballs" and "chips" are no words of the training text: their characters decide.
  assert.deepEqual(b.predict(["footballs", "chips"]), [0, 1]);
  const dir = await Deno.makeTempDir({ prefix: "fitlam-chars-" });
  await saveModelFolder(`${dir}/baseline`, baselineToSave(b, { lm: 0, baseline: 1 }));
  const loaded = baselineFromLoaded(await loadModelFolder(`${dir}/baseline`), dir);
  const probe = ["footballs", "chips", "a match of chipmakers", "nothing known"];
  const before = b.predictProba(probe), after = loaded.predictProba(probe);
  before.forEach((p, i) => p.forEach((x, k) => assert.ok(Math.abs(x - after[i][k]) < 1e-5)));
  await Deno.remove(dir, { recursive: true });
});

Deno.test("baselineToSave: the vocabulary is a terms tensor; folders with config.json's list still load", async () => {
  const train = ["good fun", "good film", "bad film", "bad plot"].map((text) => ({
    text,
    label: text.startsWith("good") ? "pos" : "neg",
  }));
  const b = trainBaseline(train, { grid: [10] });
  const toSave = baselineToSave(b, { lm: 1, baseline: 1 });
  assert.equal("terms" in toSave.config, false);
  assert.equal(
    new TextDecoder().decode(toSave.tensors.terms.data),
    "bad\nbad film\nbad plot\nfilm\nfun\ngood\ngood film\ngood fun\nplot",
  );
  const dir = await Deno.makeTempDir({ prefix: "fitlam-terms-" });
  const probe = ["good plot", "bad fun", "nothing known"];
  const expected = b.predictProba(probe);
  const same = (loaded: { predictProba(t: string[]): Float32Array[] }) =>
    loaded.predictProba(probe).forEach((p, i) =>
      p.forEach((x, k) => assert.ok(Math.abs(x - expected[i][k]) < 1e-6))
    );
  await saveModelFolder(`${dir}/new`, toSave);
  same(baselineFromLoaded(await loadModelFolder(`${dir}/new`), dir));
  // The layout written before the terms tensor: the list in config.json.
  const { terms: _, ...tensors } = toSave.tensors;
  const old = { config: { ...toSave.config, terms: b.vectorizer.terms }, tensors };
  await saveModelFolder(`${dir}/old`, old);
  same(baselineFromLoaded(await loadModelFolder(`${dir}/old`), dir));
  // Neither, both, or bytes of another type: refused, naming the problem.
  const load = (config: object, t: object) =>
    baselineFromLoaded({
      config: config as Record<string, unknown>,
      tensors: t as typeof tensors,
      checksum: "",
    }, "x");
  assert.throws(
    () => load(toSave.config, tensors),
    /from x: it has no vocabulary \(no terms tensor\)/,
  );
  assert.throws(() => load(old.config, toSave.tensors), /tensor "terms" is present but config/);
  const asI8 = { ...toSave.tensors, terms: { ...toSave.tensors.terms, dtype: "I8" } };
  assert.throws(
    () => load(toSave.config, asI8),
    /terms tensor is I8 of shape \[\d+\], not U8 bytes/,
  );
  await Deno.remove(dir, { recursive: true });
});
