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
