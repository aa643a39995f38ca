/**
 * The weight format shared by trainer and server: safetensors files, model
 * folders (`model.safetensors` + `config.json`) and the crash-safe writes
 * behind them. Plain typed arrays only, no TensorFlow.js.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { loadModelFolder, saveModelFolder } from "./mod.ts";
 * const dir = await Deno.makeTempDir();
 * await saveModelFolder(`${dir}/fwd`, {
 *   tensors: { w: { dtype: "F32", shape: [2], data: new Float32Array([1, 2]) } },
 *   config: { hidden: 2 },
 * });
 * const { tensors } = await loadModelFolder(`${dir}/fwd`, {
 *   expect: { w: { dtype: "F32", shape: [2] } },
 * });
 * assert.equal(tensors.w.data[1], 2);
 * await Deno.remove(dir, { recursive: true });
 * ```
 *
 * @module
 */

export {
  type DType,
  dtypeBytes,
  isDType,
  type NamedTensor,
  toFloat32Tensor,
} from "./safetensors.ts";
export {
  type DecodedSafetensors,
  type DecodeOptions,
  decodeSafetensors,
  SafetensorsError,
} from "./safetensors_read.ts";
export { encodeSafetensors } from "./safetensors_write.ts";
export {
  bf16ArrayToF32,
  bf16ToF32,
  f16ArrayToF32,
  f16ToF32,
  f32ArrayToF16,
  f32ToF16,
} from "./half.ts";
export { readDirAtomic, recoverDir, writeDirAtomic, writeFileAtomic } from "./atomic.ts";
export type { ExpectedTensors } from "./expected.ts";
export {
  CONFIG_FILE,
  type FolderLoadOptions,
  type LoadedModel,
  loadModelFolder,
  MODEL_FILE,
  MODEL_FORMAT,
  type ModelToSave,
  saveModelFolder,
} from "./folder.ts";
export { sha256Hex } from "./sha256.ts";
