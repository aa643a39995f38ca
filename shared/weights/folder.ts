/**
 * The model folder shared by trainer and server: `model.safetensors` (the
 * weights) plus `config.json` (the hyperparameters that give them meaning).
 * The weights' metadata records the SHA-256 of the config text, so a folder
 * whose two files come from different saves is refused, and the SHA-256 of
 * every tensor's name, type, shape and bytes, so flipped bytes or a header
 * that points a name at another tensor's data are refused too.
 *
 * @module
 */

import { readDirAtomic, writeDirAtomic } from "./atomic.ts";
import { type ExpectedTensors, tensorMismatch } from "./expected.ts";
import { type NamedTensor, toFloat32Tensor } from "./safetensors.ts";
import { decodeSafetensors, SafetensorsError } from "./safetensors_read.ts";
import { encodeSafetensors } from "./safetensors_write.ts";
import { sha256Hex } from "./sha256.ts";

/** File name of the weights inside a model folder. */
export const MODEL_FILE = "model.safetensors";

/** File name of the configuration inside a model folder. */
export const CONFIG_FILE = "config.json";

/** Value of the `format` metadata key that marks this project's files. */
export const MODEL_FORMAT = "fitlam";

/** What {@linkcode saveModelFolder} writes. */
export interface ModelToSave {
  /** The tensors of `model.safetensors`, by name. */
  tensors: Record<string, NamedTensor>;
  /** Any JSON object; written pretty-printed. */
  config: object;
}

/** Options for {@linkcode loadModelFolder}. */
export interface FolderLoadOptions {
  /**
   * Exactly the tensors the caller needs: a missing, extra or differently
   * shaped or typed tensor is refused. Compared with the tensors as returned,
   * so with `toFloat32` an F16 file meets an F32 expectation.
   */
  expect?: ExpectedTensors;
  /** Widen F16 and BF16 tensors to F32. */
  toFloat32?: boolean;
  /** Tensors as views into the file's bytes where aligned (see `DecodeOptions.views`). */
  views?: boolean;
}

/** What {@linkcode loadModelFolder} returns. */
export interface LoadedModel {
  /** The tensors of `model.safetensors`, by name. */
  tensors: Record<string, NamedTensor>;
  /** The parsed `config.json`. */
  config: Record<string, unknown>;
  /** Hex SHA-256 of `model.safetensors`, to identify the weights in logs. */
  checksum: string;
}

/**
 * One SHA-256 over every tensor (name, dtype, shape and bytes as stored), in name order.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { tensorsDigest } from "./folder.ts";
 * const a = { dtype: "F32" as const, shape: [1], data: new Float32Array([1]) };
 * const b = { dtype: "F32" as const, shape: [1], data: new Float32Array([2]) };
 * assert.notEqual(await tensorsDigest({ a, b }), await tensorsDigest({ a: b, b: a }));
 * assert.equal(await tensorsDigest({ a, b }), await tensorsDigest({ b, a }));
 * ```
 */
export async function tensorsDigest(tensors: Record<string, NamedTensor>): Promise<string> {
  const parts: Uint8Array[] = [];
  const text = new TextEncoder();
  for (const name of Object.keys(tensors).sort()) {
    const t = tensors[name];
    parts.push(text.encode(`${JSON.stringify([name, t.dtype, t.shape])}\n`));
    parts.push(new Uint8Array(t.data.buffer, t.data.byteOffset, t.data.byteLength));
  }
  const all = new Uint8Array(parts.reduce((n, p) => n + p.length, 0));
  let at = 0;
  for (const p of parts) all.set(p, at), at += p.length;
  return await sha256Hex(all);
}

function isJsonObject(value: unknown): value is Record<string, unknown> {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}

/**
 * Writes `dir` as a model folder, atomically (a reader sees the old folder or
 * the new one, never a mix). Returns the checksum that
 * {@linkcode loadModelFolder} will report. Invalid tensors are refused with
 * the encoder's error, before anything is written.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { loadModelFolder, saveModelFolder } from "./folder.ts";
 * const dir = await Deno.makeTempDir();
 * const tensors = { bias: { dtype: "F32" as const, shape: [2], data: new Float32Array([1, 2]) } };
 * const { checksum } = await saveModelFolder(`${dir}/fwd`, { tensors, config: { hidden: 2 } });
 * const loaded = await loadModelFolder(`${dir}/fwd`);
 * assert.equal(loaded.checksum, checksum);
 * assert.equal(loaded.config.hidden, 2);
 * await Deno.remove(dir, { recursive: true });
 * ```
 */
export async function saveModelFolder(
  dir: string,
  model: ModelToSave,
): Promise<{ checksum: string }> {
  const files = await encodeModelFolder(model, dir);
  await writeDirAtomic(dir, files);
  return { checksum: await sha256Hex(files[MODEL_FILE]) };
}

/**
 * The two files of a model folder as bytes, as {@linkcode saveModelFolder}
 * writes them (for a folder kept in memory or embedded in a bundle);
 * `where` names the destination in errors.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { encodeModelFolder } from "./folder.ts";
 * const files = await encodeModelFolder({ tensors: {}, config: { a: 1 } });
 * assert.equal(new TextDecoder().decode(files["config.json"]), '{\n  "a": 1\n}\n');
 * ```
 */
export async function encodeModelFolder(
  model: ModelToSave,
  where = "memory",
): Promise<Record<string, Uint8Array>> {
  const fail = `Cannot save model to ${where}`;
  if (!isJsonObject(model.config)) {
    const got = model.config === null
      ? "null"
      : Array.isArray(model.config)
      ? "an array"
      : typeof model.config;
    throw new Error(`${fail}: config must be a JSON object, got ${got}`);
  }
  let configText: string;
  try {
    configText = JSON.stringify(model.config, null, 2) + "\n";
  } catch (error) {
    throw new Error(`${fail}: config cannot be written as JSON (${(error as Error).message})`);
  }
  const weights = encodeSafetensors(model.tensors, {
    format: MODEL_FORMAT,
    config_sha256: await sha256Hex(configText),
    tensors_sha256: await tensorsDigest(model.tensors),
  });
  return { [MODEL_FILE]: weights, [CONFIG_FILE]: new TextEncoder().encode(configText) };
}

/**
 * Reads and checks a model folder written by {@linkcode saveModelFolder}. It
 * refuses, with an error naming the folder and the first problem found: a
 * missing folder or file, a config.json that is not a JSON object, a corrupt
 * or truncated model.safetensors, a config that does not belong to the
 * weights, and (with `expect`) any tensor that differs from the expectation.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { loadModelFolder, saveModelFolder } from "./folder.ts";
 * const dir = await Deno.makeTempDir();
 * const tensors = { w: { dtype: "F32" as const, shape: [1, 2], data: new Float32Array(2) } };
 * await saveModelFolder(dir, { tensors, config: {} });
 * await assert.rejects(
 *   loadModelFolder(dir, { expect: { w: { dtype: "F32", shape: [2, 2] } } }),
 *   /tensor "w" has shape \[1,2\]/,
 * );
 * await Deno.remove(dir, { recursive: true });
 * ```
 */
export async function loadModelFolder(
  dir: string,
  options: FolderLoadOptions = {},
): Promise<LoadedModel> {
  let files: Record<string, Uint8Array> = {};
  try {
    files = await readDirAtomic(dir, [MODEL_FILE, CONFIG_FILE]);
  } catch (error) {
    if (error instanceof Deno.errors.NotFound) {
      throw new Error(
        `Cannot load model from ${dir}: folder not found; train one with \`deno task train\`, ` +
          "or name the folder that holds it",
        { cause: error },
      );
    }
    throw error;
  }
  return await decodeModelFolder(files, dir, options);
}

/**
 * Checks and decodes a model folder's two files held in memory (what an edge
 * bundle or a binary carries), with every check of {@linkcode loadModelFolder};
 * `where` names the source in errors.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { decodeModelFolder, encodeModelFolder } from "./folder.ts";
 * const tensors = { w: { dtype: "F32" as const, shape: [2], data: new Float32Array([1, 2]) } };
 * const files = await encodeModelFolder({ tensors, config: { hidden: 2 } });
 * const { tensors: back, config } = await decodeModelFolder(files, "memory");
 * assert.deepEqual([...back.w.data], [1, 2]);
 * assert.equal(config.hidden, 2);
 * await assert.rejects(decodeModelFolder({}, "memory"), /model.safetensors is missing/);
 * ```
 */
export async function decodeModelFolder(
  files: Record<string, Uint8Array>,
  where: string,
  options: FolderLoadOptions = {},
): Promise<LoadedModel> {
  const fail = (problem: string, cause?: unknown): never => {
    throw new Error(`Cannot load model from ${where}: ${problem}`, { cause });
  };
  for (const name of [MODEL_FILE, CONFIG_FILE]) {
    if (!(name in files)) {
      fail(`${name} is missing; the folder is incomplete, so save or train the model again`);
    }
  }
  const weights = files[MODEL_FILE];
  const configBytes = files[CONFIG_FILE];

  let config: unknown;
  try {
    config = JSON.parse(new TextDecoder("utf-8", { fatal: true }).decode(configBytes));
  } catch (error) {
    fail(`${CONFIG_FILE} is not valid JSON (${(error as Error).message})`, error);
  }
  if (!isJsonObject(config)) fail(`${CONFIG_FILE} does not hold a JSON object`);

  let decoded: ReturnType<typeof decodeSafetensors> = { tensors: {}, metadata: {} };
  try {
    decoded = decodeSafetensors(weights, { views: options.views });
  } catch (error) {
    if (!(error instanceof SafetensorsError)) throw error;
    fail(`${MODEL_FILE} is corrupt: ${error.problem}`, error);
  }
  const { tensors, metadata } = decoded;
  if (metadata.format !== MODEL_FORMAT) {
    fail(
      `${MODEL_FILE} is not a ${MODEL_FORMAT} model (metadata format is ${
        JSON.stringify(metadata.format ?? null)
      }); re-save it with saveModelFolder`,
    );
  }
  const configHash = await sha256Hex(configBytes);
  if (metadata.config_sha256 !== configHash) {
    fail(
      `${CONFIG_FILE} does not belong to ${MODEL_FILE} (its sha256 is ${configHash}, the ` +
        `weights expect ${metadata.config_sha256 ?? "none"}); the files come from different ` +
        "saves, so save the model again",
    );
  }
  // Folders saved before the digest existed have none; every save since records it.
  if (metadata.tensors_sha256 !== undefined) {
    const digest = await tensorsDigest(decoded.tensors);
    if (digest !== metadata.tensors_sha256) {
      fail(
        `${MODEL_FILE} is corrupt: its tensors do not match the SHA-256 recorded when it was ` +
          `saved (${digest}, expected ${metadata.tensors_sha256}); restore it from a copy or ` +
          "train and save the model again",
      );
    }
  }
  if (options.toFloat32) {
    for (const name of Object.keys(tensors)) tensors[name] = toFloat32Tensor(tensors[name]);
  }
  if (options.expect !== undefined) {
    const mismatch = tensorMismatch(tensors, options.expect);
    if (mismatch !== null) fail(mismatch);
  }
  return {
    tensors,
    config: config as Record<string, unknown>,
    checksum: await sha256Hex(weights),
  };
}
