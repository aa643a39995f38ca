import assert from "node:assert/strict";
import { SPECIAL_TOKENS } from "../tokenizer/special_tokens.ts";
import { convertFastaiLm, mapFastaiVocab, parseItos } from "./fastai.ts";
import { TorchStorage, TorchTensor } from "./torch_checkpoint.ts";

const V1 = "xxunk xxpad xxbos xxeos xxfld xxmaj xxup xxrep xxwrep".split(" ");
const V2 = "xxunk xxpad xxbos xxeos xxfld xxrep xxwrep xxup xxmaj".split(" ");

Deno.test("vocabulary: fastai v1 and v2 special tokens land on fitlam's ids by string", () => {
  for (const specials of [V1, V2]) {
    const { vocab, rowOf, renamed } = mapFastaiVocab([...specials, "the", "."]);
    assert.deepEqual(vocab, [...SPECIAL_TOKENS, "the", "."]);
    assert.deepEqual(rowOf.map((r) => [...specials, "the", "."][r]), vocab);
    assert.deepEqual(renamed, []);
  }
});

Deno.test("vocabulary: fastai 0.7 names are renamed, missing specials marked, repeats dropped", () => {
  const itos = [
    "_unk_",
    "_pad_",
    "the",
    "xbos",
    "t_up",
    "tk_rep",
    "the",
    "t_mx",
    "xxfake",
    "xxfake",
  ];
  const { vocab, rowOf, renamed, duplicates } = mapFastaiVocab(itos);
  assert.deepEqual(vocab, [...SPECIAL_TOKENS, "the", "t_mx", "xxfake"]);
  assert.deepEqual(rowOf, [0, 1, 3, -1, -1, -1, 4, 5, -1, 2, 7, 8]);
  assert.deepEqual(renamed, [
    "_unk_ → xxunk",
    "_pad_ → xxpad",
    "xbos → xxbos",
    "t_up → xxup",
    "tk_rep → xxrep",
  ]);
  assert.deepEqual([...duplicates], [["the", 1], ["xxfake", 1]]);
  // Without 0.7's _unk_/_pad_, "xbos" is an ordinary word.
  assert.deepEqual(mapFastaiVocab(["xxunk", "xbos"]).vocab.slice(9), ["xbos"]);
});

Deno.test("parseItos: lists, dicts and objects with itos; errors", () => {
  // pickle.dumps(("a",), 2): a tuple is a list too.
  assert.deepEqual(
    parseItos(new Uint8Array([0x80, 2, 0x58, 1, 0, 0, 0, 0x61, 0x85, 0x2e]), "t.pkl"),
    ["a"],
  );
  // {'itos': ['a']}: EMPTY_DICT, 'itos', EMPTY_LIST, 'a', APPEND, SETITEM
  const dict = new Uint8Array([
    0x80,
    2,
    0x7d,
    0x58,
    4,
    0,
    0,
    0,
    0x69,
    0x74,
    0x6f,
    0x73,
    0x5d,
    0x58,
    1,
    0,
    0,
    0,
    0x61,
    0x61,
    0x73,
    0x2e,
  ]);
  assert.deepEqual(parseItos(dict, "d.pkl"), ["a"]);
  assert.throws(
    () => parseItos(new Uint8Array([0x80, 2, 0x4b, 5, 0x2e]), "n.pkl"),
    /^Error: Cannot import n\.pkl: it holds an int; expected the vocabulary as a pickled list of strings/,
  );
  assert.throws(
    () => parseItos(new Uint8Array([0x80, 2, 0x5d, 0x4b, 5, 0x61, 0x2e]), "n.pkl"),
    /vocabulary entry 0 is an int, not a str/,
  );
  assert.throws(
    () => parseItos(new Uint8Array([0x80, 2, 0x5d, 0x2e]), "e.pkl"),
    /the vocabulary is empty/,
  );
  assert.throws(
    () => parseItos(new TextEncoder().encode("the\nof\n"), "v.txt"),
    /not a readable Python pickle/,
  );
});

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
