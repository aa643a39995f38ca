import assert from "node:assert/strict";
import { makeTestWeights } from "../serve/test_weights.ts";
import { trainBaseline } from "../shared/baseline/mod.ts";
import { BASELINE_DIR, baselineToSave } from "../shared/baseline/saved.ts";
import { loadModelFolder, saveModelFolder } from "../shared/weights/folder.ts";
import { main } from "./quantize.ts";

Deno.test("deno task quantize writes both directions in int8 or f16, and refuses bad usage", async () => {
  const dir = await makeTestWeights(["fwd", "bwd"]);
  const train = ["free cruise", "cheap pills", "meeting at noon", "report attached"].map((
    text,
    i,
  ) => ({
    text,
    label: i < 2 ? "spam" : "ham",
  }));
  const bow = baselineToSave(trainBaseline(train, { labels: ["ham", "spam"], grid: [10] }), {
    lm: 0.5,
    baseline: 1.5,
  });
  await saveModelFolder(`${dir}/${BASELINE_DIR}`, bow);
  const out = await Deno.makeTempDir({ prefix: "fitlam-quantize-test-" });
  try {
    assert.equal(await main([dir, "--out", `${out}/q8`]), 0);
    for (const d of ["fwd", "bwd"]) {
      const q = await loadModelFolder(`${out}/q8/classifier-${d}`);
      assert.equal(q.tensors["rnns.0.weight_ih"].dtype, "I8");
      assert.equal(q.config.weightDtype, "int8");
    }
    // The blend travels unchanged, byte for byte.
    const [a, b] = [`${dir}/${BASELINE_DIR}`, `${out}/q8/${BASELINE_DIR}`].map((d) =>
      Deno.readFile(`${d}/model.safetensors`)
    );
    assert.deepEqual(await b, await a);
    assert.equal(await main([dir, "--out", `${out}/h`, "--dtype", "f16"]), 0);
    const h = await loadModelFolder(`${out}/h/classifier-fwd`);
    assert.equal(h.tensors["rnns.0.bias_ih"].dtype, "F16");
    assert.equal(await main([dir, "--out", `${out}/x`, "--dtype", "int4"]), 2);
    assert.equal(await main([dir]), 2);
    assert.equal(await main([`${dir}/missing`, "--out", `${out}/y`]), 1);
  } finally {
    await Deno.remove(dir, { recursive: true });
    await Deno.remove(out, { recursive: true });
  }
});
