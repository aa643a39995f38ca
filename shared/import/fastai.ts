/**
 * Converts fastai's AWD-LSTM language models into fitlam's parameters and
 * vocabulary: fastai v1/v2 (`lstm_fwd.pth`, `lstm_bwd.pth`) and fastai 0.7,
 * the original FitLaM release (`fwd_wt103.h5`), with their pickled
 * vocabularies (`itos_wt103.pkl`).
 *
 * Both generations store PyTorch `nn.LSTM` weights (gate order i, f, g, o,
 * as fitlam's LSTM) under their own key names; the sizes are read from the
 * shapes. Vocabulary rows are matched by string: fastai's special tokens
 * become fitlam's (ids 0–8), the other tokens keep their order after them.
 *
 * @module
 */
import { type AwdLstmConfig, encoderPreset } from "../model/config.ts";
import type { ParamData } from "../model/params.ts";
import { transferVocabRows } from "../model/vocab_transfer.ts";
import { SPECIAL_TOKENS, type SpecialToken } from "../tokenizer/special_tokens.ts";
import { describePy, PickleError, PyObject, unpickle } from "./pickle.ts";
import { TorchTensor } from "./torch_checkpoint.ts";

/** Which fastai release's key layout a checkpoint has. */
export type FastaiGeneration = "fastai v1/v2" | "fastai 0.7";

/**
 * fastai 0.7's special tokens and the fitlam tokens they become. fastai v1
 * and v2 spell theirs as fitlam does (`xxunk` ... `xxwrep`).
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { FASTAI_07_SPECIALS } from "./fastai.ts";
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

/** A fastai language model in fitlam's terms. */
export interface ImportedLm {
  generation: FastaiGeneration;
  /** Encoder settings: sizes from the checkpoint, dropouts from fitlam's paper preset. */
  encoder: AwdLstmConfig;
  /** Parameters by fitlam name (`encoder.weight`, `rnns.N.weight_ih`, ..., `decoder.bias`). */
  params: Record<string, ParamData>;
  /** fitlam vocabulary: the special tokens, then fastai's other tokens in their order. */
  vocab: string[];
  /** What the conversion changed or left out, one line each, for the user. */
  notes: string[];
}

/** Names of the files being imported, for error messages. */
export interface ImportNames {
  /** The checkpoint, e.g. `lstm_fwd.pth`. */
  model: string;
  /** The vocabulary pickle, e.g. `itos_wt103.pkl`. */
  itos: string;
}

/**
 * Reads a pickled fastai vocabulary: a list of strings (`itos_wt103.pkl`),
 * or a pickled object or dict with an `itos` list (fastai v1's `Vocab`).
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { parseItos } from "./fastai.ts";
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

/** Unwraps `{'model': state_dict, 'opt': ...}` and checks for a dict of tensors. */
function findStateDict(
  value: unknown,
  fail: (p: string) => never,
  notes: string[],
): Map<string, unknown> {
  let sd = value;
  if (sd instanceof Map && !sd.has("0.encoder.weight")) {
    for (const key of ["model", "state_dict"]) {
      if (sd.get(key) instanceof Map) {
        notes.push(
          `read the checkpoint's "${key}" entry (other entries, e.g. optimizer state, are ignored)`,
        );
        sd = sd.get(key);
        break;
      }
    }
  }
  if (sd instanceof PyObject) {
    fail(
      `it holds a pickled ${sd.cls.qualname} object, not a state_dict; in Python, ` +
        "save `model.state_dict()` (or fastai's learn.save) and import that",
    );
  }
  if (!(sd instanceof Map) || ![...sd.values()].some((v) => v instanceof TorchTensor)) {
    fail(
      `it holds ${describePy(sd)}, not a state_dict (a dict of tensors) or {'model': state_dict}`,
    );
  }
  return sd as Map<string, unknown>;
}

interface Layout {
  generation: FastaiGeneration;
  /** Keys relative to the encoder prefix. */
  ih: (l: number) => string;
  hh: (l: number) => string;
  bih: (l: number) => string;
  bhh: (l: number) => string;
}

const LAYOUTS: Layout[] = [
  {
    generation: "fastai v1/v2",
    ih: (l) => `rnns.${l}.module.weight_ih_l0`,
    hh: (l) => `rnns.${l}.weight_hh_l0_raw`,
    bih: (l) => `rnns.${l}.module.bias_ih_l0`,
    bhh: (l) => `rnns.${l}.module.bias_hh_l0`,
  },
  {
    generation: "fastai 0.7",
    ih: (l) => `rnns.${l}.module.weight_ih_l0`,
    hh: (l) => `rnns.${l}.module.weight_hh_l0_raw`,
    bih: (l) => `rnns.${l}.module.bias_ih_l0`,
    bhh: (l) => `rnns.${l}.module.bias_hh_l0`,
  },
];

function keyList(keys: string[], max = 12): string {
  const shown = keys.slice(0, max).join(", ");
  return keys.length > max ? `${shown}, ... (${keys.length} in all)` : shown || "none";
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
 * import { mapFastaiVocab } from "./fastai.ts";
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

/**
 * Converts an unpickled fastai language-model checkpoint (`value` from
 * {@linkcode readTorchCheckpoint}) and its vocabulary into fitlam's
 * parameters, encoder config and vocabulary. Errors read
 * "Cannot import <file>: <problem>; <fix>".
 *
 * @example
 * ```ts ignore
 * import { readTorchCheckpoint } from "./torch_checkpoint.ts";
 * import { convertFastaiLm, parseItos } from "./fastai.ts";
 * const { value } = readTorchCheckpoint(await Deno.readFile("lstm_fwd.pth"));
 * const itos = parseItos(await Deno.readFile("itos_wt103.pkl"), "itos_wt103.pkl");
 * const lm = convertFastaiLm(value, itos, { model: "lstm_fwd.pth", itos: "itos_wt103.pkl" });
 * console.log(lm.encoder.hiddenSize, lm.vocab.length, lm.notes);
 * ```
 */
export function convertFastaiLm(
  value: unknown,
  itos: readonly string[],
  names: ImportNames,
): ImportedLm {
  const fail = (problem: string): never => {
    throw new Error(`Cannot import ${names.model}: ${problem}`);
  };
  const notes: string[] = [];
  const sd = findStateDict(value, fail, notes);
  const keys = [...sd.keys()].map(String);

  // Key layout: an LM (`0.` encoder, `1.` decoder) or a bare encoder (save_encoder).
  let found: { layout: Layout; prefix: string } | undefined;
  for (const prefix of ["0.", ""]) {
    for (const layout of LAYOUTS) {
      if (sd.has(`${prefix}encoder.weight`) && sd.has(prefix + layout.hh(0))) {
        found ??= { layout, prefix };
      }
    }
  }
  if (!found) {
    if (keys.some((k) => k.startsWith("0.module.encoder"))) {
      fail(
        "it is a fastai text classifier (keys 0.module.*), not a language model; import the " +
          "language model it was fine-tuned from (lstm_fwd.pth / fwd_wt103.h5)",
      );
    }
    fail(
      `its keys match no fastai AWD-LSTM language model (found: ${keyList(keys)}); expected ` +
        "0.encoder.weight with 0.rnns.N.weight_hh_l0_raw (fastai v1/v2) or " +
        "0.rnns.N.module.weight_hh_l0_raw (fastai 0.7)",
    );
  }
  const { layout, prefix } = found!;
  const used = new Set<string>();
  let widened: string | undefined;
  const tensor = (key: string, rank: number): { shape: number[]; data: Float32Array } => {
    const t = sd.get(key);
    if (!(t instanceof TorchTensor)) {
      return fail(`"${key}" holds ${describePy(t)}, not a tensor`);
    }
    if (t.shape.length !== rank) {
      fail(`"${key}" has shape [${t.shape}], expected ${rank} dimensions`);
    }
    if (t.dtype !== "float32") {
      if (!["float16", "bfloat16", "float64"].includes(t.dtype)) {
        fail(`"${key}" holds ${t.dtype} numbers, not floating-point weights`);
      }
      widened = t.dtype;
    }
    used.add(key);
    try {
      return { shape: t.shape.slice(), data: t.toFloat32() };
    } catch (e) {
      return fail(`"${key}": ${(e as Error).message}`);
    }
  };

  const emb = tensor(`${prefix}encoder.weight`, 2);
  const [V, E] = emb.shape;
  if (V !== itos.length) {
    fail(
      `${prefix}encoder.weight has ${V} rows but ${names.itos} lists ${itos.length} tokens; ` +
        "use the itos .pkl that was saved with this model",
    );
  }

  // LSTM layers: sizes from the shapes.
  const params: Record<string, ParamData> = {};
  const hidden: number[] = [];
  for (let l = 0; sd.has(prefix + layout.hh(l)) || sd.has(prefix + layout.ih(l)); l++) {
    const k = { ih: layout.ih(l), hh: layout.hh(l), bih: layout.bih(l), bhh: layout.bhh(l) };
    const missing = Object.values(k).filter((n) => !sd.has(prefix + n));
    if (missing.length) {
      fail(
        `LSTM layer ${l} lacks ${missing.map((n) => prefix + n).join(", ")} ` +
          `(${layout.generation} layout; found: ${
            keyList(keys.filter((n) => n.includes(`rnns.${l}.`)))
          })`,
      );
    }
    const ih = tensor(prefix + k.ih, 2), hh = tensor(prefix + k.hh, 2);
    const bih = tensor(prefix + k.bih, 1), bhh = tensor(prefix + k.bhh, 1);
    const H = hh.shape[1];
    const nIn = l === 0 ? E : hidden[l - 1];
    const want = [[4 * H, nIn], [4 * H, H], [4 * H], [4 * H]];
    [ih, hh, bih, bhh].forEach((t, i) => {
      if (t.shape.join() !== want[i].join()) {
        fail(
          `${prefix}${Object.values(k)[i]} has shape [${t.shape}], expected [${want[i]}] ` +
            `(layer ${l}: input ${nIn}, hidden ${H})`,
        );
      }
    });
    hidden.push(H);
    params[`rnns.${l}.weight_ih`] = ih;
    params[`rnns.${l}.weight_hh`] = hh;
    params[`rnns.${l}.bias_ih`] = bih;
    params[`rnns.${l}.bias_hh`] = bhh;
  }
  const numLayers = hidden.length;
  if (hidden[numLayers - 1] !== E) {
    fail(
      `its last LSTM layer has ${hidden[numLayers - 1]} units but the embedding has ${E}; ` +
        "fitlam ties the decoder to the embedding, so they must be equal",
    );
  }
  const inner = hidden.slice(0, -1);
  if (inner.some((h) => h !== inner[0])) {
    fail(
      `its LSTM layers have hidden sizes ${
        hidden.join(", ")
      }; fitlam's AWD-LSTM has one size for ` +
        "every layer but the last",
    );
  }

  // Decoder: tied to the embedding; its bias, when there is one.
  let bias: Float32Array = new Float32Array(V);
  if (prefix === "0.") {
    if (sd.has("1.decoder.weight")) {
      const dec = tensor("1.decoder.weight", 2);
      if (dec.shape.join() !== emb.shape.join()) {
        fail(`1.decoder.weight has shape [${dec.shape}], the embedding [${emb.shape}]`);
      }
      let diff = 0, scale = 0;
      for (let i = 0; i < dec.data.length; i++) {
        diff = Math.max(diff, Math.abs(dec.data[i] - emb.data[i]));
        scale = Math.max(scale, Math.abs(emb.data[i]));
      }
      if (diff > 1e-6 * Math.max(1, scale)) {
        fail(
          `1.decoder.weight differs from 0.encoder.weight (by up to ${diff.toPrecision(3)}): the ` +
            "decoder is not tied to the embedding, and fitlam's AWD-LSTM always ties them",
        );
      }
    }
    if (sd.has("1.decoder.bias")) {
      const b = tensor("1.decoder.bias", 1);
      if (b.shape[0] !== V) fail(`1.decoder.bias has ${b.shape[0]} entries, the vocabulary ${V}`);
      bias = b.data;
    } else {
      notes.push("the decoder has no bias (as in fastai 0.7): it starts at zero");
    }
  } else {
    notes.push(
      "the file holds the encoder only (fastai's save_encoder): the decoder bias starts at zero",
    );
  }
  if (widened) notes.push(`converted ${widened} weights to float32`);
  const ignored = keys.filter((k) => !used.has(k));
  if (ignored.length) {
    notes.push(
      `ignored ${ignored.length} ${ignored.length === 1 ? "entry" : "entries"} ` +
        `(dropout copies of the weights, ...): ${keyList(ignored, 4)}`,
    );
  }

  // Vocabulary rows in fitlam's order; missing special tokens get the mean row.
  const { vocab, rowOf, renamed, duplicates } = mapFastaiVocab(itos);
  params["encoder.weight"] = emb;
  params["decoder.bias"] = { shape: [V], data: bias };
  Object.assign(params, transferVocabRows(params, rowOf));
  const missing = rowOf.flatMap((row, id) => (row < 0 ? [vocab[id]] : []));
  if (renamed.length) notes.push(`special tokens renamed: ${renamed.join(", ")}`);
  if (missing.length) {
    notes.push(
      `special tokens missing from ${names.itos} start as the mean embedding: ${
        missing.join(", ")
      }`,
    );
  }
  if (duplicates.size) {
    const list = [...duplicates].map(([t, n]) => (n > 1 ? `${t} ×${n}` : t));
    notes.push(`dropped repeated vocabulary entries (the first row is kept): ${keyList(list, 6)}`);
  }

  const encoder: AwdLstmConfig = {
    ...encoderPreset("paper", vocab.length),
    embSize: E,
    hiddenSize: numLayers > 1 ? hidden[0] : E,
    numLayers,
  };
  notes.unshift(
    `${layout.generation} language model: ${numLayers} LSTM layers, hidden ${encoder.hiddenSize}, ` +
      `embedding ${E}, ${V} tokens → ${vocab.length} in fitlam's vocabulary`,
  );
  return { generation: layout.generation, encoder, params, vocab, notes };
}
