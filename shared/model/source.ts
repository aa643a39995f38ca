/**
 * Where a classifier comes from: a trainer output folder on disk (with
 * `classifier-fwd/` and `classifier-bwd/`, or one classifier folder), or the
 * same files held in memory (what an edge bundle or a binary carries). Both
 * inference paths (TensorFlow.js and the wasm CPU path) read through here,
 * so they accept exactly the same models. No TensorFlow.js.
 *
 * @module
 */
import { BASELINE_DIR, baselineFromLoaded, type BlendBaseline } from "../baseline/saved.ts";
import { exists } from "../exists.ts";
import { tokenize } from "../tokenizer/tokenizer.ts";
import type { Vocab } from "../tokenizer/vocab.ts";
import { decodeModelFolder, type LoadedModel, loadModelFolder } from "../weights/folder.ts";
import { checkClassifierModel, type Direction, type ModelConfig } from "./io.ts";

/** One classifier folder's files in memory: `model.safetensors` and `config.json`. */
export type ModelFiles = Record<string, Uint8Array>;

/**
 * A folder path, or each direction's folder files in memory (and, under `baseline`, the files of
 * the bag-of-words model blended in, when the trained folder has one).
 */
export type ClassifierSource = string | ClassifierFiles;

/** Each direction's folder files in memory, and the bag-of-words model's under `baseline`. */
export type ClassifierFiles = Partial<Record<Direction | "baseline", ModelFiles>>;

/** One direction, decoded and checked against the model definition. */
export interface LoadedDirection {
  direction: Direction;
  /** The folder, or `memory (fwd)`, for messages. */
  where: string;
  config: ModelConfig;
  raw: LoadedModel;
}

/**
 * Finds the classifier folders under `dir`: `classifier-fwd/`, `classifier-bwd/`, or `dir` itself.
 * A direction folder that exists without its `config.json` is an incomplete model and refused,
 * rather than quietly serving the other direction alone; `only` loads just the directions named.
 */
export async function findClassifierDirs(
  dir: string,
  only?: readonly Direction[],
): Promise<Partial<Record<Direction, string>>> {
  if (!(await exists(dir))) {
    throw new Error(
      `Cannot load classifier from ${dir}: folder not found; train one with \`deno task train\` or name the folder that holds it`,
    );
  }
  if (await exists(`${dir}/config.json`)) {
    const config = JSON.parse(await Deno.readTextFile(`${dir}/config.json`)) as ModelConfig;
    return { [config.direction ?? "fwd"]: dir };
  }
  const found: Partial<Record<Direction, string>> = {};
  for (const d of only ?? ["fwd", "bwd"] as const) {
    const sub = `${dir}/classifier-${d}`;
    if (await exists(`${sub}/config.json`)) found[d] = sub;
    else if (await exists(sub) || only) {
      throw new Error(
        `Cannot load classifier from ${dir}: ${sub}/config.json is missing, so the ${d} model ` +
          "is incomplete; restore it, train again, or load only the other direction",
      );
    }
  }
  if (!found.fwd && !found.bwd) {
    throw new Error(
      `Cannot load classifier from ${dir}: no classifier-fwd/ or classifier-bwd/ model inside; run \`deno task train\` (or its classify stage) first`,
    );
  }
  return found;
}

/**
 * Reads every direction of a classifier source, fwd first, checks each
 * against the model definition, and refuses directions whose labels differ.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { readClassifierSource } from "./source.ts";
 * await assert.rejects(readClassifierSource({}), /Cannot load classifier from memory: no fwd or bwd/);
 * ```
 */
export async function readClassifierSource(
  source: ClassifierSource,
  only?: readonly Direction[],
): Promise<LoadedDirection[]> {
  const out: LoadedDirection[] = [];
  if (typeof source === "string") {
    const dirs = await findClassifierDirs(source, only);
    for (const direction of ["fwd", "bwd"] as const) {
      const where = dirs[direction];
      if (where) out.push(check(direction, where, await loadModelFolder(where)));
    }
  } else {
    for (const direction of only ?? ["fwd", "bwd"] as const) {
      const files = source[direction];
      const where = `memory (${direction})`;
      // Views, not copies: the caller keeps these bytes (an edge bundle's import) anyway.
      const decode = () => decodeModelFolder(files!, where, { views: true });
      if (files) out.push(check(direction, where, await decode()));
      else if (only) {
        throw new Error(
          `Cannot load classifier from memory: no ${direction} files given; pass them or load only the other direction`,
        );
      }
    }
    if (!out.length) {
      throw new Error(
        "Cannot load classifier from memory: no fwd or bwd files given; pass " +
          '{ fwd: { "model.safetensors": ..., "config.json": ... } }',
      );
    }
  }
  const [first, second] = out;
  if (second && first.config.labels!.join("\n") !== second.config.labels!.join("\n")) {
    const where = typeof source === "string" ? source : "memory";
    throw new Error(
      `Cannot load classifier from ${where}: the fwd and bwd models have different labels (${first.config.labels} vs ${second.config.labels}); train them together`,
    );
  }
  return out;
}

/**
 * The bag-of-words model of a classifier source (`DIR/baseline/`, or `baseline` files in memory),
 * checked against the classifiers' `labels`; undefined when the source has none.
 */
export async function readBaselineSource(
  source: ClassifierSource,
  labels: readonly string[],
): Promise<{ baseline: BlendBaseline; checksum: string } | undefined> {
  let raw: LoadedModel, where: string;
  if (typeof source === "string") {
    where = `${source}/${BASELINE_DIR}`;
    // One classifier folder (config.json inside) never has one: only a trainer's output does.
    if (await exists(`${source}/config.json`) || !(await exists(where))) return undefined;
    raw = await loadModelFolder(where);
  } else {
    if (!source.baseline) return undefined;
    where = "memory (baseline)";
    // Views, as for the classifiers: the caller keeps these bytes anyway.
    raw = await decodeModelFolder(source.baseline, where, { views: true });
  }
  return { baseline: baselineFromLoaded(raw, where, labels), checksum: raw.checksum };
}

function check(direction: Direction, where: string, raw: LoadedModel): LoadedDirection {
  return { direction, where, config: checkClassifierModel(where, raw), raw };
}

/** Encodes a text to ids in one direction (backward models read the tokens reversed). */
export function encodeText(vocab: Vocab, text: string, direction: Direction): Int32Array {
  const ids = vocab.encode(tokenize(text));
  return direction === "bwd" ? ids.reverse() : ids;
}
