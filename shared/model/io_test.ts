import assert from "node:assert/strict";
import { initBackend } from "../backend.ts";
import { loadModelFolder, saveModelFolder } from "../weights/folder.ts";
import { AwdLstm } from "./awd_lstm.ts";
import { encoderPreset } from "./config.ts";
import { loadLm, saveLm } from "./io.ts";

Deno.test("loadLm: a tensor that does not fit names the folder once", async () => {
  const { ops } = await initBackend("cpu");
  const dir = await Deno.makeTempDir();
  try {
    const vocab = Array.from({ length: 12 }, (_, i) => `w${i}`);
    const lm = new AwdLstm(ops, encoderPreset("tiny", vocab.length));
    await saveLm(`${dir}/lm`, lm, { direction: "fwd", vocab });
    lm.params.dispose();
    const saved = await loadModelFolder(`${dir}/lm`);
    delete saved.tensors["decoder.bias"];
    await saveModelFolder(`${dir}/short`, saved);
    await assert.rejects(
      loadLm(ops, `${dir}/short`),
      (e: Error) => {
        assert.equal(
          e.message,
          `Cannot load model from ${dir}/short: tensor "decoder.bias" is missing; config expects F32 [12]`,
        );
        return true;
      },
    );
    const { lm: back } = await loadLm(ops, `${dir}/lm`);
    back.params.dispose();
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});
