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
