/**
 * Saving and loading language models and classifiers as model folders
 * (`model.safetensors` + `config.json`). The config carries every
 * hyper-parameter, the vocabulary, the labels and the tokenizer rules version,
 * so a folder is all a server needs.
 *
 * @module
 */
import type { Ops } from "../ops/ops.ts";
import { TOKENIZER_RULES_VERSION } from "../tokenizer/tokenizer.ts";
import { type LoadedModel, loadModelFolder, saveModelFolder } from "../weights/folder.ts";
import { f32ArrayToF16 } from "../weights/half.ts";
import { SCALE_SUFFIX, type WeightDtype, widenTensors } from "../weights/quantize.ts";
import { type ExpectedTensors, tensorMismatch } from "../weights/expected.ts";
import type { DType, NamedTensor } from "../weights/safetensors.ts";
import { AwdLstm, awdLstmSpecs } from "./awd_lstm.ts";
import { headSpecs, TextClassifier } from "./classifier.ts";
import {
  type AwdLstmConfig,
  type HeadConfig,
  headConfigProblem,
  validateEncoderConfig,
  withHeadDefaults,
} from "./config.ts";
import type { ParamData, ParamStore } from "./params.ts";

/** Reading direction of a model: backward models read each document reversed. */
export type Direction = "fwd" | "bwd";

/** The `config.json` of a model folder. */
export interface ModelConfig {
  /** Always `"fitlam"`. */
  format: "fitlam";
  /** Format version. */
  version: 1;
  /** A language model (stages 1–2) or a classifier (stage 3). */
  kind: "lm" | "classifier";
  /** Which way the model reads. */
  direction: Direction;
  /** Tokenizer rules the vocabulary was built with. */
  tokenizer: string;
  /** The AWD-LSTM's sizes and dropouts. */
  encoder: AwdLstmConfig;
  /** The classifier head (classifiers only). */
  head?: HeadConfig;
  /** Token of each id. */
  vocab: string[];
  /** Class labels in output order (classifiers only). */
  labels?: string[];
  /** The preset the model was trained with. */
  preset?: string;
  /** Training metrics worth showing to users of the model. */
  metrics?: Record<string, unknown>;
  /** When the folder was written (ISO 8601). */
  createdAt: string;
  /** The precision the weights are stored in (absent: f32); see `deno task quantize`. */
  weightDtype?: WeightDtype;
}

/** What a caller supplies besides the weights. */
export type ModelMeta = Omit<
  ModelConfig,
  "format" | "version" | "kind" | "encoder" | "head" | "tokenizer" | "createdAt"
>;

function toTensors(stores: ParamData[] | Record<string, ParamData>): Record<string, NamedTensor> {
  const out: Record<string, NamedTensor> = {};
  for (const [name, p] of Object.entries(stores)) {
    out[name] = { dtype: "F32", shape: p.shape, data: p.data };
  }
  return out;
}

/** Half precision halves the file; weights are widened back to F32 on load. */
function toHalf(tensors: Record<string, NamedTensor>): Record<string, NamedTensor> {
  const out: Record<string, NamedTensor> = {};
  for (const [name, t] of Object.entries(tensors)) {
    out[name] = { dtype: "F16", shape: t.shape, data: f32ArrayToF16(t.data as Float32Array) };
  }
  return out;
}

async function exportAll(stores: ParamStore[]): Promise<Record<string, NamedTensor>> {
  const all: Record<string, ParamData> = {};
  for (const s of stores) Object.assign(all, await s.export());
  return toTensors(all);
}

/**
 * Whether a classifier tensor may be stored in int8 (with per-row scales):
 * the embedding, the LSTM matrices and the head's linear weights, i.e. every
 * matrix whose rows are output units (or, for the embedding, looked-up rows).
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { isInt8Tensor } from "./io.ts";
 * assert.ok(isInt8Tensor("rnns.2.weight_hh") && isInt8Tensor("head.1.linear.weight"));
 * assert.ok(!isInt8Tensor("rnns.0.bias_ih") && !isInt8Tensor("head.0.bn.weight"));
 * ```
 */
export function isInt8Tensor(name: string): boolean {
  return name === "encoder.weight" || /^rnns\.\d+\.weight_(ih|hh)$/.test(name) ||
    /^head\.\d+\.linear\.weight$/.test(name);
}

/** The dtypes a classifier tensor may be stored in besides I8; widened to F32 on load. */
const LOW_PRECISION: DType[] = ["F32", "F16", "BF16"];

/**
 * What `tensors` must hold for `specs`: F32 everywhere, or with
 * `lowPrecision` also F16 and BF16, and I8 (with an F32 scale per row,
 * `NAME.scale`) for the matrices {@linkcode isInt8Tensor} allows.
 */
function expectedTensors(
  specs: Record<string, { shape: number[] }>,
  tensors: Record<string, NamedTensor>,
  lowPrecision: boolean,
): ExpectedTensors {
  const expect: ExpectedTensors = {};
  for (const [name, { shape }] of Object.entries(specs)) {
    const int8 = lowPrecision && isInt8Tensor(name);
    const dtype: DType[] = !lowPrecision
      ? ["F32"]
      : int8
      ? [...LOW_PRECISION, "I8"]
      : LOW_PRECISION;
    expect[name] = { shape, dtype };
    if (int8 && tensors[name]?.dtype === "I8") {
      expect[name + SCALE_SUFFIX] = { shape: [shape[0]], dtype: "F32" };
    }
  }
  return expect;
}

/** Throws "Cannot <action> <dir>: <the first tensor that does not fit specs>". */
function checkTensors(
  dir: string,
  tensors: Record<string, NamedTensor>,
  specs: Record<string, { shape: number[] }>,
  action = "load model from",
  lowPrecision = false,
): void {
  const problem = tensorMismatch(tensors, expectedTensors(specs, tensors, lowPrecision));
  if (problem !== null) throw new Error(`Cannot ${action} ${dir}: ${problem}`);
}

function checkTokenizer(dir: string, config: ModelConfig) {
  if (config.format !== "fitlam" || config.version !== 1) {
    throw new Error(`Cannot load model from ${dir}: config.json is not a fitlam v1 model config`);
  }
  if (config.tokenizer !== TOKENIZER_RULES_VERSION) {
    throw new Error(
      `Cannot load model from ${dir}: it was trained with tokenizer rules "${config.tokenizer}", this build has "${TOKENIZER_RULES_VERSION}"; retrain or use a matching fitlam version`,
    );
  }
  if (config.vocab.length !== config.encoder.vocabSize) {
    throw new Error(
      `Cannot load model from ${dir}: vocabulary has ${config.vocab.length} words, encoder.vocabSize is ${config.encoder.vocabSize}`,
    );
  }
}

function asParamData(tensors: Record<string, NamedTensor>): Record<string, ParamData> {
  const out: Record<string, ParamData> = {};
  for (const [n, t] of Object.entries(tensors)) {
    out[n] = { shape: t.shape, data: t.data as Float32Array };
  }
  return out;
}

/**
 * Writes a language model folder atomically.
 *
 * @example
 * ```ts ignore
 * await saveLm("runs/lm-fwd", lm, { direction: "fwd", vocab: vocab.itos });
 * ```
 */
export async function saveLm(dir: string, lm: AwdLstm, meta: ModelMeta): Promise<void> {
  await saveLmParams(dir, lm.config, await lm.params.export(), meta);
}

/**
 * Writes a language model folder from plain parameter data named and shaped
 * as {@linkcode awdLstmSpecs} declares (e.g. weights imported from fastai),
 * checking every tensor first; {@linkcode loadLm} reads it back.
 *
 * @example
 * ```ts ignore
 * await saveLmParams("weights/pretrain-fwd", encoder, params, { direction: "fwd", vocab });
 * ```
 */
export async function saveLmParams(
  dir: string,
  encoder: AwdLstmConfig,
  params: Record<string, ParamData>,
  meta: ModelMeta,
  options: { half?: boolean } = {},
): Promise<void> {
  const config: ModelConfig = {
    format: "fitlam",
    version: 1,
    kind: "lm",
    tokenizer: TOKENIZER_RULES_VERSION,
    encoder: validateEncoderConfig(encoder),
    createdAt: new Date().toISOString(),
    ...meta,
  };
  if (meta.vocab.length !== encoder.vocabSize) {
    throw new Error(
      `Cannot save model to ${dir}: vocabulary has ${meta.vocab.length} words, encoder.vocabSize is ${encoder.vocabSize}`,
    );
  }
  const tensors = toTensors(params);
  checkTensors(dir, tensors, awdLstmSpecs(encoder), "save model to");
  await saveModelFolder(dir, { tensors: options.half ? toHalf(tensors) : tensors, config });
}

/**
 * Loads a language-model folder (or the encoder of a classifier folder).
 *
 * @example
 * ```ts ignore
 * const { lm, config } = await loadLm(ops, "weights/finetune-fwd");
 * ```
 */
export async function loadLm(ops: Ops, dir: string): Promise<{ lm: AwdLstm; config: ModelConfig }> {
  const raw = await loadModelFolder(dir, { toFloat32: true });
  const config = raw.config as unknown as ModelConfig;
  checkTokenizer(dir, config);
  const specs = awdLstmSpecs(config.encoder);
  // A classifier folder holds the head too: only the encoder's tensors are read.
  const own = Object.fromEntries(Object.entries(raw.tensors).filter(([n]) => n in specs));
  checkTensors(dir, own, specs);
  const lm = new AwdLstm(ops, config.encoder);
  try {
    lm.params.load(asParamData(own));
  } catch (e) {
    lm.params.dispose();
    throw e;
  }
  return { lm, config };
}

/** Writes a classifier folder atomically. */
export async function saveClassifier(
  dir: string,
  clf: TextClassifier,
  meta: ModelMeta,
): Promise<void> {
  const config: ModelConfig = {
    format: "fitlam",
    version: 1,
    kind: "classifier",
    tokenizer: TOKENIZER_RULES_VERSION,
    encoder: clf.encoder.config,
    head: clf.headConfig,
    createdAt: new Date().toISOString(),
    ...meta,
  };
  await saveModelFolder(dir, { tensors: await exportAll([clf.encoder.params, clf.head]), config });
}

/**
 * Checks a decoded classifier folder against the model definition (the
 * tokenizer rules, its kind, and every tensor's name and shape from
 * {@linkcode awdLstmSpecs} and {@linkcode headSpecs}) and returns its config,
 * the head's settings that older folders lack filled in. Both the
 * TensorFlow.js path and the wasm CPU path load through it.
 */
export function checkClassifierModel(where: string, raw: LoadedModel): ModelConfig {
  const stored = raw.config as unknown as ModelConfig;
  checkTokenizer(where, stored);
  if (stored.kind !== "classifier" || !stored.head || !stored.labels) {
    throw new Error(
      `Cannot load classifier from ${where}: it holds a ${stored.kind} model; train the classifier stage first`,
    );
  }
  const head = withHeadDefaults(stored.head);
  const problem = headConfigProblem(head);
  if (problem) {
    throw new Error(`Cannot load classifier from ${where}: config.json has head.${problem}`);
  }
  const config = { ...stored, head };
  checkTensors(where, raw.tensors, classifierSpecs(config), undefined, true);
  return config;
}

/** Names and shapes of every tensor of a classifier (encoder, tied-decoder bias, head). */
export function classifierSpecs(config: ModelConfig): Record<string, { shape: number[] }> {
  return {
    ...awdLstmSpecs(config.encoder),
    ...headSpecs(config.head!, config.encoder),
  };
}

/**
 * Loads a classifier folder, validating every tensor's name and shape.
 *
 * @example
 * ```ts ignore
 * const { clf, config, checksum } = await loadClassifierModel(ops, "weights/classifier-fwd");
 * ```
 */
export async function loadClassifierModel(
  ops: Ops,
  dir: string,
): Promise<{ clf: TextClassifier; config: ModelConfig; checksum: string }> {
  return classifierFromLoaded(ops, dir, await loadModelFolder(dir));
}

/** Builds the TensorFlow.js classifier of a decoded folder (from disk or memory). */
export function classifierFromLoaded(
  ops: Ops,
  where: string,
  raw: LoadedModel,
): { clf: TextClassifier; config: ModelConfig; checksum: string } {
  const config = checkClassifierModel(where, raw);
  const clf = new TextClassifier(ops, config.encoder, config.head!);
  const data = asParamData(widenTensors(raw.tensors));
  clf.encoder.params.load(data, { partial: true });
  clf.head.load(data, { partial: true });
  return { clf, config, checksum: raw.checksum };
}
