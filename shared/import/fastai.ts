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
import { mapFastaiVocab } from "./fastai_vocab.ts";
import { describePy, PyObject } from "./pickle.ts";
import { TorchTensor } from "./torch_tensor.ts";

/** Which fastai release's key layout a checkpoint has. */
export type FastaiGeneration = "fastai v1/v2" | "fastai 0.7";

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

type Fail = (problem: string) => never;

/**
 * Reads float tensors out of a state dict as fitlam parameters, remembering
 * which keys were read (the rest are reported as ignored) and whether any
 * had to be widened to float32.
 */
class StateDictReader {
  /** The state dict's keys, in its order. */
  readonly keys: string[];
  /** Keys read so far. */
  readonly used = new Set<string>();
  /** The last non-float32 dtype read, if any. */
  widened: string | undefined;

  constructor(readonly sd: Map<string, unknown>, readonly fail: Fail) {
    this.keys = [...sd.keys()].map(String);
  }

  has(key: string): boolean {
    return this.sd.has(key);
  }

  /** The tensor at `key` as float32, refused unless it is a floating-point tensor of `rank`. */
  tensor(key: string, rank: number): ParamData {
    const { fail } = this;
    const t = this.sd.get(key);
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
      this.widened = t.dtype;
    }
    this.used.add(key);
    try {
      return { shape: t.shape.slice(), data: t.toFloat32() };
    } catch (e) {
      return fail(`"${key}": ${(e as Error).message}`);
    }
  }
}

/** The key layout: an LM (`0.` encoder, `1.` decoder) or a bare encoder (save_encoder). */
function findLayout(r: StateDictReader): { layout: Layout; prefix: string } {
  for (const prefix of ["0.", ""]) {
    for (const layout of LAYOUTS) {
      if (r.has(`${prefix}encoder.weight`) && r.has(prefix + layout.hh(0))) {
        return { layout, prefix };
      }
    }
  }
  if (r.keys.some((k) => k.startsWith("0.module.encoder"))) {
    r.fail(
      "it is a fastai text classifier (keys 0.module.*), not a language model; import the " +
        "language model it was fine-tuned from (lstm_fwd.pth / fwd_wt103.h5)",
    );
  }
  return r.fail(
    `its keys match no fastai AWD-LSTM language model (found: ${keyList(r.keys)}); expected ` +
      "0.encoder.weight with 0.rnns.N.weight_hh_l0_raw (fastai v1/v2) or " +
      "0.rnns.N.module.weight_hh_l0_raw (fastai 0.7)",
  );
}

/** Every LSTM layer's four tensors under fitlam's names, with each layer's hidden size. */
function readLstmLayers(
  r: StateDictReader,
  layout: Layout,
  prefix: string,
  E: number,
): { params: Record<string, ParamData>; hidden: number[] } {
  const params: Record<string, ParamData> = {};
  const hidden: number[] = [];
  for (let l = 0; r.has(prefix + layout.hh(l)) || r.has(prefix + layout.ih(l)); l++) {
    const k = { ih: layout.ih(l), hh: layout.hh(l), bih: layout.bih(l), bhh: layout.bhh(l) };
    const missing = Object.values(k).filter((n) => !r.has(prefix + n));
    if (missing.length) {
      r.fail(
        `LSTM layer ${l} lacks ${missing.map((n) => prefix + n).join(", ")} ` +
          `(${layout.generation} layout; found: ${
            keyList(r.keys.filter((n) => n.includes(`rnns.${l}.`)))
          })`,
      );
    }
    const ih = r.tensor(prefix + k.ih, 2), hh = r.tensor(prefix + k.hh, 2);
    const bih = r.tensor(prefix + k.bih, 1), bhh = r.tensor(prefix + k.bhh, 1);
    // Sizes come from the shapes: the hidden size from W_hh, the input from the layer below.
    const H = hh.shape[1];
    const nIn = l === 0 ? E : hidden[l - 1];
    const want = [[4 * H, nIn], [4 * H, H], [4 * H], [4 * H]];
    [ih, hh, bih, bhh].forEach((t, i) => {
      if (t.shape.join() !== want[i].join()) {
        r.fail(
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
  return { params, hidden };
}

/** Refuses layer sizes fitlam's AWD-LSTM cannot hold: one inner size, the last one E. */
function checkHiddenSizes(hidden: number[], E: number, fail: Fail): void {
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
}

/**
 * The decoder's bias (zeros when the file has none), after checking that the
 * decoder, if stored, is tied to the embedding `emb`.
 */
function readDecoderBias(
  r: StateDictReader,
  prefix: string,
  emb: ParamData,
  notes: string[],
): Float32Array {
  const V = emb.shape[0];
  if (prefix !== "0.") {
    notes.push(
      "the file holds the encoder only (fastai's save_encoder): the decoder bias starts at zero",
    );
    return new Float32Array(V);
  }
  if (r.has("1.decoder.weight")) {
    const dec = r.tensor("1.decoder.weight", 2);
    if (dec.shape.join() !== emb.shape.join()) {
      r.fail(`1.decoder.weight has shape [${dec.shape}], the embedding [${emb.shape}]`);
    }
    let diff = 0, scale = 0;
    for (let i = 0; i < dec.data.length; i++) {
      diff = Math.max(diff, Math.abs(dec.data[i] - emb.data[i]));
      scale = Math.max(scale, Math.abs(emb.data[i]));
    }
    if (diff > 1e-6 * Math.max(1, scale)) {
      r.fail(
        `1.decoder.weight differs from 0.encoder.weight (by up to ${diff.toPrecision(3)}): the ` +
          "decoder is not tied to the embedding, and fitlam's AWD-LSTM always ties them",
      );
    }
  }
  if (!r.has("1.decoder.bias")) {
    notes.push("the decoder has no bias (as in fastai 0.7): it starts at zero");
    return new Float32Array(V);
  }
  const b = r.tensor("1.decoder.bias", 1);
  if (b.shape[0] !== V) r.fail(`1.decoder.bias has ${b.shape[0]} entries, the vocabulary ${V}`);
  return b.data;
}

/** What the vocabulary mapping changed: renamed, missing and repeated special tokens. */
function vocabularyNotes(
  names: ImportNames,
  missing: string[],
  { renamed, duplicates }: { renamed: string[]; duplicates: Map<string, number> },
): string[] {
  const notes: string[] = [];
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
  return notes;
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
 * import { convertFastaiLm } from "./fastai.ts";
 * import { parseItos } from "./fastai_vocab.ts";
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
  const reader = new StateDictReader(findStateDict(value, fail, notes), fail);
  const { layout, prefix } = findLayout(reader);
  const emb = reader.tensor(`${prefix}encoder.weight`, 2);
  const [V, E] = emb.shape;
  if (V !== itos.length) {
    fail(
      `${prefix}encoder.weight has ${V} rows but ${names.itos} lists ${itos.length} tokens; ` +
        "use the itos .pkl that was saved with this model",
    );
  }
  const { params, hidden } = readLstmLayers(reader, layout, prefix, E);
  checkHiddenSizes(hidden, E, fail);
  const bias = readDecoderBias(reader, prefix, emb, notes);
  if (reader.widened) notes.push(`converted ${reader.widened} weights to float32`);
  const ignored = reader.keys.filter((k) => !reader.used.has(k));
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
  notes.push(...vocabularyNotes(names, rowOf.flatMap((row, id) => (row < 0 ? [vocab[id]] : [])), {
    renamed,
    duplicates,
  }));

  const numLayers = hidden.length;
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
