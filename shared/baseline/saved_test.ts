import assert from "node:assert/strict";
import { loadModelFolder, saveModelFolder } from "../weights/folder.ts";
import { trainBaseline } from "./mod.ts";
import { baselineFromLoaded, baselineToSave } from "./saved.ts";
import { selfTrain } from "./self_train.ts";

const doc = (label: string, text: string) => ({ text, label });

Deno.test("baselineToSave: a model with LSA coordinates predicts the same after a save and load", async () => {
  const labelled = [doc("sport", "goal match"), doc("tech", "chip code")];
  const unlabelled = ["goal league", "league match", "chip cpu", "cpu code"];
  const valid = [...Array(5)].flatMap(() => [doc("sport", "league"), doc("tech", "cpu")]);
  const plain = trainBaseline(labelled, { grid: [10] });
  const { baseline } = selfTrain(labelled, unlabelled, valid, plain, {
    rounds: 1,
    lsa: { dims: 2 },
  });
  assert.equal(baseline.lsa?.dims, 2);
  const dir = await Deno.makeTempDir({ prefix: "fitlam-lsa-" });
  await saveModelFolder(`${dir}/baseline`, baselineToSave(baseline, { lm: 0, baseline: 1 }));
  const raw = await loadModelFolder(`${dir}/baseline`);
  const loaded = baselineFromLoaded(raw, dir);
  assert.equal(loaded.features, baseline.features);
  const texts = ["league", "cpu", "goal cpu league", "nothing known"];
  const before = baseline.predictProba(texts), after = loaded.predictProba(texts);
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
