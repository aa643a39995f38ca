import assert from "node:assert/strict";
import { convertFastaiLm } from "./fastai.ts";
import { TorchStorage, TorchTensor } from "./torch_tensor.ts";

const V1 = "xxunk xxpad xxbos xxeos xxfld xxmaj xxup xxrep xxwrep".split(" ");

/** A float32 TorchTensor of the given shape holding 0.01, 0.02, ... */
function tensor(shape: number[], dtype: "float32" | "int64" = "float32"): TorchTensor {
  const n = shape.reduce((a, b) => a * b, 1);
  const s = new TorchStorage("k", dtype, dtype === "int64" ? 8 : 4, "cpu");
  s.bytes = dtype === "int64"
    ? new Uint8Array(new BigInt64Array(n).buffer)
    : new Uint8Array(Float32Array.from({ length: n }, (_, i) => (i + 1) / 100).buffer);
  const stride = shape.map((_, d) => shape.slice(d + 1).reduce((a, b) => a * b, 1));
  return new TorchTensor(s, 0, shape, stride);
}

function v1Lm(hidden: number[], E = 4, V = 10): Map<string, unknown> {
  const sd = new Map<string, unknown>([["0.encoder.weight", tensor([V, E])]]);
  hidden.forEach((H, l) => {
    const nIn = l === 0 ? E : hidden[l - 1];
    sd.set(`0.rnns.${l}.weight_hh_l0_raw`, tensor([4 * H, H]));
    sd.set(`0.rnns.${l}.module.weight_ih_l0`, tensor([4 * H, nIn]));
    sd.set(`0.rnns.${l}.module.bias_ih_l0`, tensor([4 * H]));
    sd.set(`0.rnns.${l}.module.bias_hh_l0`, tensor([4 * H]));
  });
  return sd;
}

Deno.test("convertFastaiLm: sizes from the shapes; bad layouts are refused", () => {
  const itos = [...V1, "a"];
  const names = { model: "m.pth", itos: "i.pkl" };
  const lm = convertFastaiLm(v1Lm([6, 6, 4]), itos, names);
  assert.deepEqual([lm.encoder.embSize, lm.encoder.hiddenSize, lm.encoder.numLayers], [4, 6, 3]);
  assert.ok(lm.notes.some((n) => n.includes("the decoder has no bias")));
  // fastai's save_encoder: the same keys without "0.".
  const encoderOnly = new Map([...v1Lm([6, 4])].map(([k, v]) => [k.slice(2), v]));
  const enc = convertFastaiLm(encoderOnly, itos, names);
  assert.ok(enc.notes.some((n) => n.includes("encoder only")));
  assert.deepEqual([...enc.params["decoder.bias"].data], new Array(10).fill(0));
  // A single layer: hiddenSize is the embedding size.
  assert.equal(convertFastaiLm(v1Lm([4]), itos, names).encoder.hiddenSize, 4);
  // A wrapped state_dict: {'model': sd}.
  assert.equal(
    convertFastaiLm(new Map([["model", v1Lm([6, 4])]]), itos, names).encoder.numLayers,
    2,
  );

  const fails = (sd: unknown, re: RegExp) =>
    assert.throws(() => convertFastaiLm(sd, itos, names), re);
  fails(v1Lm([6, 5]), /last LSTM layer has 5 units but the embedding has 4/);
  fails(v1Lm([6, 7, 4]), /hidden sizes 6, 7, 4; fitlam's AWD-LSTM has one size/);
  const gap = v1Lm([6, 6, 4]);
  gap.delete("0.rnns.1.module.bias_hh_l0");
  fails(gap, /LSTM layer 1 lacks 0\.rnns\.1\.module\.bias_hh_l0 \(fastai v1\/v2 layout; found: /);
  const ints = v1Lm([4]);
  ints.set("0.encoder.weight", tensor([10, 4], "int64"));
  fails(ints, /"0\.encoder\.weight" holds int64 numbers, not floating-point weights/);
  fails(
    new Map([["0.module.encoder.weight", tensor([10, 4])]]),
    /a fastai text classifier \(keys 0\.module\.\*\)/,
  );
  fails([1, 2], /it holds a list of 2, not a state_dict/);
});
