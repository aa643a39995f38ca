import assert from "node:assert/strict";
import { type ExpectedTensors, tensorMismatch } from "./expected.ts";
import type { NamedTensor } from "./safetensors.ts";

const f32 = (shape: number[]): NamedTensor => ({
  dtype: "F32",
  shape,
  data: new Float32Array(shape.reduce((a, b) => a * b, 1)),
});

Deno.test("tensorMismatch: alternatives of dtype are listed in the message", () => {
  const expect: ExpectedTensors = { w: { dtype: ["F32", "F16", "BF16"], shape: [2, 3] } };
  assert.equal(tensorMismatch({ w: f32([2, 3]) }, expect), null);
  const i8: NamedTensor = { dtype: "I8", shape: [2, 3], data: new Int8Array(6) };
  assert.equal(
    tensorMismatch({ w: i8 }, expect),
    'tensor "w" has dtype I8, config expects F32, F16 or BF16',
  );
  assert.equal(
    tensorMismatch({}, { w: { dtype: ["F32", "F16"], shape: [2, 3] } }),
    'tensor "w" is missing; config expects F32 or F16 [2,3]',
  );
});

Deno.test("tensorMismatch: the shape is checked before the dtype, extras in name order last", () => {
  const i8: NamedTensor = { dtype: "I8", shape: [4], data: new Int8Array(4) };
  assert.equal(
    tensorMismatch({ b: i8 }, { b: { dtype: "F32", shape: [5] } }),
    'tensor "b" has shape [4], config expects [5]',
  );
  assert.equal(
    tensorMismatch({ z: f32([1]), y: f32([1]), a: f32([1]) }, { a: { dtype: "F32", shape: [1] } }),
    'tensor "y" is present but config does not expect it',
  );
});
