import assert from "node:assert/strict";
import { SPECIAL_TOKENS } from "../tokenizer/special_tokens.ts";
import { mapFastaiVocab, parseItos } from "./fastai_vocab.ts";

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
