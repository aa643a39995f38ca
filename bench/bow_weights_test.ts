import assert from "node:assert/strict";
import { loadModelFolder } from "../shared/weights/folder.ts";
import { baselineFromLoaded } from "../shared/baseline/saved.ts";
import { writeBagOfWords } from "./bow_weights.ts";
import { word } from "./serve.ts";

Deno.test("writeBagOfWords: a loadable bag of words of the asked size that knows the texts' words", async () => {
  const dir = await Deno.makeTempDir({ prefix: "fitlam-bench-bow-" });
  await writeBagOfWords(dir, ["neg", "pos"], 50, { words: 300, chars: 200 });
  const raw = await loadModelFolder(`${dir}/baseline`);
  assert.deepEqual(raw.config.tfidf, {
    ngramMin: 1,
    ngramMax: 2,
    sublinearTf: true,
    lowercase: true,
    charNgramMin: 3,
    charNgramMax: 5,
    charMaxFeatures: 200,
    minDf: 1,
  });
  const b = baselineFromLoaded(raw, dir, ["neg", "pos"]);
  assert.equal(b.features, 500);
  // A known word moves the answer off the bias (zero: one half each); no text, no move.
  const [known, none] = b.predictProba([`${word(3)} ${word(7)}`, ""]);
  assert.ok(Math.abs(known[0] - 0.5) > 1e-3, `${known}`);
  assert.equal(none[0], 0.5);
  await Deno.remove(dir, { recursive: true });
});
