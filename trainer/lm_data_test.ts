import assert from "node:assert/strict";
import { initBackend } from "../shared/backend.ts";
import { AwdLstm } from "../shared/model/awd_lstm.ts";
import { encoderPreset } from "../shared/model/config.ts";
import { SPECIAL_TOKENS } from "../shared/tokenizer/special_tokens.ts";
import { Vocab } from "../shared/tokenizer/vocab.ts";
import { remapVocab } from "./lm_data.ts";

const { ops } = await initBackend("cpu");

Deno.test("remapVocab: shared words keep their rows and bias, new words the means, LSTM unchanged", async () => {
  const fromItos = [...SPECIAL_TOKENS, "the", "cat", "sat"];
  const from = new AwdLstm(ops, encoderPreset("tiny", fromItos.length), 5);
  const before = await from.params.export();
  before["decoder.bias"].data.forEach((_, i, b) => b[i] = i / 10);
  from.params.load(before);
  const to = Vocab.fromItos([...SPECIAL_TOKENS, "sat", "dog", "the"]);
  const lm = await remapVocab(ops, from, fromItos, to);
  const after = await lm.params.export();
  const E = from.config.embSize, rows = fromItos.length;
  const row = (d: Float32Array, r: number) => [...d.subarray(r * E, (r + 1) * E)];
  const emb = before["encoder.weight"].data, got = after["encoder.weight"].data;
  for (let i = 0; i < SPECIAL_TOKENS.length; i++) assert.deepEqual(row(got, i), row(emb, i));
  assert.deepEqual(row(got, 9), row(emb, 11)); // sat
  assert.deepEqual(row(got, 11), row(emb, 9)); // the
  for (let e = 0; e < E; e++) {
    let mean = 0;
    for (let r = 0; r < rows; r++) mean += emb[r * E + e];
    assert.ok(Math.abs(got[10 * E + e] - mean / rows) < 1e-6); // dog
  }
  const bias = after["decoder.bias"].data;
  assert.ok(Math.abs(bias[9] - 1.1) < 1e-6 && Math.abs(bias[11] - 0.9) < 1e-6);
  assert.ok(Math.abs(bias[10] - 0.55) < 1e-6); // (0 + 0.1 + ... + 1.1) / 12
  assert.deepEqual(after["rnns.0.weight_hh"].data, before["rnns.0.weight_hh"].data);
  assert.equal(lm.config.vocabSize, to.size);
  from.params.dispose();
  lm.params.dispose();
});
