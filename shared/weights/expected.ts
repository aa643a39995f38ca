/**
 * Comparing a model's tensors with the names, shapes and dtypes its config
 * implies. Every loader checks through {@linkcode tensorMismatch}, so a
 * mismatch reads the same wherever it is found; the caller says once which
 * folder it was loading.
 *
 * @module
 */
import type { DType, NamedTensor } from "./safetensors.ts";

/** The expected shape and dtype (or any of several dtypes) of each tensor, by name. */
export type ExpectedTensors = Record<string, { shape: number[]; dtype: DType | readonly DType[] }>;

function sameShape(a: number[], b: number[]): boolean {
  return a.length === b.length && a.every((dim, i) => dim === b[i]);
}

/** "F32", "F32 or F16", "F32, F16 or BF16". */
function dtypeList(dtype: DType | readonly DType[]): string {
  const all = typeof dtype === "string" ? [dtype] : dtype;
  return all.length < 2 ? all.join("") : `${all.slice(0, -1).join(", ")} or ${all.at(-1)}`;
}

/**
 * The first difference between `tensors` and `expect`, or null when they
 * match: a missing tensor, a shape, a dtype (in `expect`'s order), then a
 * tensor `expect` does not name (in name order). Phrased to follow
 * "Cannot load model from DIR: ".
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { tensorMismatch } from "./expected.ts";
 * const w = { dtype: "F16" as const, shape: [2], data: new Uint16Array(2) };
 * assert.equal(tensorMismatch({ w }, { w: { dtype: ["F32", "F16"], shape: [2] } }), null);
 * assert.equal(
 *   tensorMismatch({ w }, { w: { dtype: "F32", shape: [2] } }),
 *   'tensor "w" has dtype F16, config expects F32',
 * );
 * ```
 */
export function tensorMismatch(
  tensors: Readonly<Record<string, NamedTensor>>,
  expect: ExpectedTensors,
): string | null {
  for (const [name, want] of Object.entries(expect)) {
    if (!Object.hasOwn(tensors, name)) {
      return `tensor "${name}" is missing; config expects ${dtypeList(want.dtype)} ${
        JSON.stringify(want.shape)
      }`;
    }
    const have = tensors[name];
    if (!sameShape(have.shape, want.shape)) {
      return `tensor "${name}" has shape ${JSON.stringify(have.shape)}, config expects ${
        JSON.stringify(want.shape)
      }`;
    }
    if (!(typeof want.dtype === "string" ? [want.dtype] : want.dtype).includes(have.dtype)) {
      return `tensor "${name}" has dtype ${have.dtype}, config expects ${dtypeList(want.dtype)}`;
    }
  }
  for (const name of Object.keys(tensors).sort()) {
    if (!Object.hasOwn(expect, name)) {
      return `tensor "${name}" is present but config does not expect it`;
    }
  }
  return null;
}
