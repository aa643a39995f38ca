import assert from "node:assert/strict";
import { TorchStorage, TorchTensor } from "./torch_tensor.ts";

function storage(dtype: TorchStorage["dtype"], itemSize: number, bytes: Uint8Array) {
  const s = new TorchStorage("0", dtype, itemSize, "cpu");
  s.bytes = bytes;
  return s;
}
const f32 = (xs: number[]) => new Uint8Array(new Float32Array(xs).buffer);

Deno.test("TorchTensor honours storage offset and strides", () => {
  const s = storage("float32", 4, f32([-1, 0, 1, 2, 3, 4, 5, 6]));
  // Contiguous 2×3 from element 2.
  assert.deepEqual([...new TorchTensor(s, 2, [2, 3], [3, 1]).toFloat32()], [1, 2, 3, 4, 5, 6]);
  // Its transpose (3×2, strides [1, 3]).
  assert.deepEqual([...new TorchTensor(s, 2, [3, 2], [1, 3]).toFloat32()], [1, 4, 2, 5, 3, 6]);
  // A 3-D permutation and a broadcast (stride 0) dimension.
  assert.deepEqual(
    [...new TorchTensor(s, 0, [2, 2, 2], [1, 4, 2]).toFloat32()],
    [0, 2, 4, 6, 1, 3, 5, 7].map((i) => i - 1),
  );
  assert.deepEqual([...new TorchTensor(s, 3, [2, 2], [0, 1]).toFloat32()], [2, 3, 2, 3]);
  assert.deepEqual([...new TorchTensor(s, 7, [], []).toFloat32()], [6]);
  assert.throws(
    () => new TorchTensor(s, 4, [2, 3], [3, 1]).toFloat32(),
    /reaches past its storage of 8/,
  );
});

Deno.test("TorchStorage converts every dtype to float32, aligned or not", () => {
  const f64 = new Uint8Array(new Float64Array([1.5, -2]).buffer);
  assert.deepEqual([...storage("float64", 8, f64).float32()], [1.5, -2]);
  const i64 = new Uint8Array(new BigInt64Array([-3n, 1n << 40n]).buffer);
  assert.deepEqual([...storage("int64", 8, i64).float32()], [-3, 2 ** 40]);
  const half = new Uint8Array(new Uint16Array([0x3c00, 0xc000]).buffer); // 1, -2
  assert.deepEqual([...storage("float16", 2, half).float32()], [1, -2]);
  const bf16 = new Uint8Array(new Uint16Array([0x3fc0]).buffer); // 1.5
  assert.deepEqual([...storage("bfloat16", 2, bf16).float32()], [1.5]);
  // Float32 bytes starting at an odd offset inside a larger buffer.
  const odd = new Uint8Array(9);
  odd.set(f32([0.25, 4]), 1);
  assert.deepEqual([...storage("float32", 4, odd.subarray(1)).float32()], [0.25, 4]);
});
