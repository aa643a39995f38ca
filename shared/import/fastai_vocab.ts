/**
 * fastai's vocabularies in fitlam's terms: reading the pickled `itos` list
 * and mapping its tokens onto fitlam's ids, special tokens first (fastai
 * 0.7's spellings renamed), the other tokens in fastai's order.
 *
 * @module
 */
import { SPECIAL_TOKENS, type SpecialToken } from "../tokenizer/special_tokens.ts";
import { describePy, PickleError, PyObject, unpickle } from "./pickle.ts";

/**
 * fastai 0.7's special tokens and the fitlam tokens they become. fastai v1
 * and v2 spell theirs as fitlam does (`xxunk` ... `xxwrep`).
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { FASTAI_07_SPECIALS } from "./fastai_vocab.ts";
 * assert.equal(FASTAI_07_SPECIALS._unk_, "xxunk");
 * assert.equal(FASTAI_07_SPECIALS.t_up, "xxup");
 * ```
 */
export const FASTAI_07_SPECIALS: Readonly<Record<string, SpecialToken>> = {
  _unk_: "xxunk",
  _pad_: "xxpad",
  xbos: "xxbos",
  xfld: "xxfld",
  t_up: "xxup",
  tk_rep: "xxrep",
  tk_wrep: "xxwrep",
};

/**
 * Reads a pickled fastai vocabulary: a list of strings (`itos_wt103.pkl`),
 * or a pickled object or dict with an `itos` list (fastai v1's `Vocab`).
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { parseItos } from "./fastai_vocab.ts";
 * // pickle.dumps(["xxunk", "the"], protocol=2)
 * const bytes = new Uint8Array([
 *   0x80, 2, 0x5d, 0x28, 0x58, 5, 0, 0, 0, ...new TextEncoder().encode("xxunk"),
 *   0x58, 3, 0, 0, 0, ...new TextEncoder().encode("the"), 0x65, 0x2e,
 * ]);
 * assert.equal(parseItos(bytes, "itos.pkl").join(), "xxunk,the");
 * ```
 */
export function parseItos(data: Uint8Array, name: string): string[] {
  const fail = (problem: string): never => {
    throw new Error(`Cannot import ${name}: ${problem}`);
  };
  if (data.length >= 4 && data[0] === 0x50 && data[1] === 0x4b) {
    fail(
      "it is a zip file (a PyTorch checkpoint?), not the vocabulary; pass the model first, then the itos .pkl",
    );
  }
  let value: unknown;
  try {
    value = unpickle(data, { label: name }).value;
  } catch (e) {
    if (!(e instanceof PickleError)) throw e;
    fail(`it is not a readable Python pickle (${e.problem} at byte ${e.offset})`);
  }
  if (typeof value === "bigint") {
    fail(
      "it is a legacy PyTorch checkpoint, not the vocabulary; pass the model first, then the itos .pkl",
    );
  }
  let list = value;
  const itosOf = (m: unknown) => (m instanceof Map ? m.get("itos") : undefined);
  if (value instanceof Map) list = itosOf(value);
  else if (value instanceof PyObject) list = itosOf(value.state) ?? itosOf(value.entries);
  if (!Array.isArray(list)) {
    return fail(
      `it holds ${describePy(value)}; expected the vocabulary as a pickled list of strings ` +
        "(fastai's itos_wt103.pkl)",
    );
  }
  list.forEach((t, i) => {
    if (typeof t !== "string") fail(`vocabulary entry ${i} is ${describePy(t)}, not a str`);
  });
  if (list.length === 0) fail("the vocabulary is empty");
  return list as string[];
}

/**
 * Builds fitlam's vocabulary from fastai's `itos`: fitlam's special tokens
 * first, then fastai's other tokens in order (a repeated token keeps its
 * first row). `rowOf[i]` is the fastai row of fitlam id `i`, or -1 for a
 * special token fastai's vocabulary lacks.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { mapFastaiVocab } from "./fastai_vocab.ts";
 * const m = mapFastaiVocab(["_unk_", "_pad_", "the", "xbos"]);
 * assert.equal(m.vocab[9], "the");
 * assert.equal(m.rowOf[2], 3);
 * assert.equal(m.rowOf[3], -1);
 * ```
 */
export function mapFastaiVocab(
  itos: readonly string[],
): { vocab: string[]; rowOf: number[]; renamed: string[]; duplicates: Map<string, number> } {
  const v07 = itos.includes("_unk_") || itos.includes("_pad_");
  const special = new Map<string, number>(SPECIAL_TOKENS.map((t, i) => [t, i]));
  const vocab: string[] = [...SPECIAL_TOKENS];
  const rowOf: number[] = SPECIAL_TOKENS.map(() => -1);
  const seen = new Set<string>(SPECIAL_TOKENS);
  const renamed: string[] = [];
  const duplicates = new Map<string, number>();
  itos.forEach((tok, row) => {
    const target = v07 && Object.hasOwn(FASTAI_07_SPECIALS, tok) ? FASTAI_07_SPECIALS[tok] : tok;
    const id = special.get(target);
    if (id !== undefined && rowOf[id] === -1) {
      rowOf[id] = row;
      if (target !== tok) renamed.push(`${tok} → ${target}`);
    } else if (id !== undefined || seen.has(tok)) {
      duplicates.set(tok, (duplicates.get(tok) ?? 0) + 1);
    } else {
      seen.add(tok);
      vocab.push(tok);
      rowOf.push(row);
    }
  });
  return { vocab, rowOf, renamed, duplicates };
}
