/**
 * Training checkpoints: parameters, optimizer moments, carried LSTM state
 * and the loop's position (epoch, step, stream position, RNG state) in one
 * model folder, written atomically so a kill never leaves half a checkpoint.
 *
 * @module
 */
import type { NamedTensor } from "../shared/weights/safetensors.ts";
import { loadModelFolder, saveModelFolder } from "../shared/weights/folder.ts";
import type { RngState } from "../shared/rng.ts";
import type { ParamData } from "../shared/model/params.ts";
import type { MomentData } from "./optim.ts";

/** Where a loop stood when the checkpoint was taken. */
export interface LoopState {
  stage: string;
  direction: string;
  epoch: number;
  /** Steps done within the epoch. */
  stepInEpoch: number;
  /** Steps done in the whole stage. */
  globalStep: number;
  /** Stream position (LM) within the epoch. */
  position: number;
  rng: RngState;
  adamT: number;
  /** True once the stage finished. */
  done: boolean;
  /** Best validation value so far (classifier). */
  best?: number;
  extra?: Record<string, unknown>;
}

/** What an LM checkpoint carries besides the weights, to be exported as a model folder. */
export interface CheckpointModel {
  vocab: readonly string[];
  preset: string;
}

/** Tensors are keyed `param.*`, `adam.m.*`, `adam.v.*`, `state.*`, `best.*`. */
export interface Checkpoint {
  loop: LoopState;
  tensors: Record<string, NamedTensor>;
}

/**
 * Writes a checkpoint folder atomically.
 *
 * @example
 * ```ts ignore
 * await saveCheckpoint("weights/checkpoints/pretrain-fwd", checkpoint);
 * ```
 */
export async function saveCheckpoint(dir: string, c: Checkpoint): Promise<void> {
  await saveModelFolder(dir, { tensors: c.tensors, config: { kind: "checkpoint", loop: c.loop } });
}

/** Reads a checkpoint, or returns undefined when there is none. */
export async function loadCheckpoint(dir: string): Promise<Checkpoint | undefined> {
  try {
    await Deno.stat(`${dir}/config.json`);
  } catch {
    return undefined;
  }
  const raw = await loadModelFolder(dir);
  const loop = (raw.config as { loop?: LoopState }).loop;
  if (!loop) throw new Error(`Cannot resume from ${dir}: config.json holds no loop state`);
  return { loop, tensors: raw.tensors };
}

/**
 * Checkpoint tensors `prefix + name` for exported parameters.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { paramSection, paramTensors } from "./checkpoint.ts";
 * const t = paramTensors("param.", { w: { shape: [1], data: new Float32Array([2]) } });
 * assert.equal(paramSection(t, "param.").w.data[0], 2);
 * ```
 */
export function paramTensors(
  prefix: string,
  data: Record<string, ParamData>,
): Record<string, NamedTensor> {
  const out: Record<string, NamedTensor> = {};
  for (const [n, p] of Object.entries(data)) {
    out[prefix + n] = { dtype: "F32", shape: p.shape, data: p.data };
  }
  return out;
}

/** The parameters stored under `prefix` (the inverse of {@linkcode paramTensors}). */
export function paramSection(
  tensors: Record<string, NamedTensor>,
  prefix: string,
): Record<string, ParamData> {
  const out: Record<string, ParamData> = {};
  for (const [k, t] of Object.entries(tensors)) {
    if (k.startsWith(prefix)) {
      out[k.slice(prefix.length)] = { shape: t.shape, data: t.data as Float32Array };
    }
  }
  return out;
}

/**
 * Checkpoint tensors `adam.m.*` and `adam.v.*` for exported Adam moments.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { momentSection, momentTensors } from "./checkpoint.ts";
 * const m = { w: { m: new Float32Array([1]), v: new Float32Array([2]), shape: [1] } };
 * assert.equal(momentSection(momentTensors(m)).w.v[0], 2);
 * ```
 */
export function momentTensors(moments: Record<string, MomentData>): Record<string, NamedTensor> {
  const out: Record<string, NamedTensor> = {};
  for (const [n, m] of Object.entries(moments)) {
    out[`adam.m.${n}`] = { dtype: "F32", shape: m.shape, data: m.m };
    out[`adam.v.${n}`] = { dtype: "F32", shape: m.shape, data: m.v };
  }
  return out;
}

/** The Adam moments of a checkpoint (the inverse of {@linkcode momentTensors}). */
export function momentSection(tensors: Record<string, NamedTensor>): Record<string, MomentData> {
  const out: Record<string, MomentData> = {};
  for (const [k, t] of Object.entries(tensors)) {
    if (!k.startsWith("adam.m.")) continue;
    const n = k.slice(7);
    out[n] = {
      m: t.data as Float32Array,
      v: tensors[`adam.v.${n}`].data as Float32Array,
      shape: t.shape,
    };
  }
  return out;
}
