import assert from "node:assert/strict";
import {
  bf16ArrayToF32,
  bf16ToF32,
  f16ArrayToF32,
  f16ToF32,
  f32ArrayToF16,
  f32ToF16,
} from "./half.ts";

Deno.test("f16ToF32 decodes hand-worked values", () => {
  assert.equal(f16ToF32(0x3c00), 1);
  assert.equal(f16ToF32(0xc000), -2);
  assert.equal(f16ToF32(0x7bff), 65504); // largest finite half
  assert.equal(f16ToF32(0x0001), 5.960464477539063e-8); // smallest subnormal, 2^-24
  assert.equal(f16ToF32(0x03ff), 1023 * 2 ** -24); // largest subnormal
  assert.equal(f16ToF32(0x0400), 2 ** -14); // smallest normal
  assert.equal(f16ToF32(0x3555), 0.333251953125);
  assert.equal(f16ToF32(0x7c00), Infinity);
  assert.equal(f16ToF32(0xfc00), -Infinity);
  assert.ok(Number.isNaN(f16ToF32(0x7e00)));
  assert.ok(Number.isNaN(f16ToF32(0x7c01)));
  assert.ok(Number.isNaN(f16ToF32(0xfe00)));
  assert.ok(Object.is(f16ToF32(0x0000), 0));
  assert.ok(Object.is(f16ToF32(0x8000), -0));
  assert.equal(f16ToF32(0x8001), -(2 ** -24));
});

Deno.test("f32ToF16 inverts f16ToF32 for every non-NaN half", () => {
  for (let bits = 0; bits < 0x10000; bits++) {
    const value = f16ToF32(bits);
    if (Number.isNaN(value)) continue;
    assert.equal(f32ToF16(value), bits, `bits 0x${bits.toString(16)}`);
  }
});

Deno.test("f32ToF16 rounds to nearest, ties to even", () => {
  const ulpAtOne = 2 ** -10;
  assert.equal(f32ToF16(1 + ulpAtOne / 2), 0x3c00); // tie, 0x3c00 is even
  assert.equal(f32ToF16(1 + ulpAtOne * 1.5), 0x3c02); // tie, rounds up to even
  assert.equal(f32ToF16(1 + ulpAtOne * 0.75), 0x3c01);
  assert.equal(f32ToF16(65519), 0x7bff); // just under the rounding edge
  assert.equal(f32ToF16(65520), 0x7c00); // tie at the top rounds to infinity
  assert.equal(f32ToF16(-1e9), 0xfc00);
  assert.equal(f32ToF16(2 ** -25), 0x0000); // tie between 0 and the smallest subnormal
  assert.equal(f32ToF16(2 ** -25 * 1.01), 0x0001);
  assert.equal(f32ToF16(2 ** -24 * 1.5), 0x0002); // subnormal tie to even
  assert.equal(f32ToF16(1e-45), 0x0000); // F32 subnormal underflows
  assert.equal(f32ToF16(-1e-30), 0x8000); // sign kept on underflow
  assert.equal(f32ToF16(2 ** -14 - 2 ** -26), 0x0400); // rounds up into the normals
  assert.equal(f32ToF16(NaN), 0x7e00);
  assert.equal(f32ToF16(Infinity), 0x7c00);
});

Deno.test("bf16ToF32 takes the top half of an F32", () => {
  assert.equal(bf16ToF32(0x3f80), 1);
  assert.equal(bf16ToF32(0xc000), -2);
  assert.equal(bf16ToF32(0x0001), 2 ** -133); // smallest BF16 subnormal
  assert.equal(bf16ToF32(0x7f80), Infinity);
  assert.equal(bf16ToF32(0xff80), -Infinity);
  assert.ok(Number.isNaN(bf16ToF32(0x7fc0)));
  assert.ok(Object.is(bf16ToF32(0x8000), -0));
});

Deno.test("array conversions match the scalar ones", () => {
  const bits = new Uint16Array([0x3c00, 0xc000, 0x7bff, 0x0001, 0x7c00, 0x7e00]);
  const viaF16 = f16ArrayToF32(bits);
  const viaBf16 = bf16ArrayToF32(bits);
  for (let i = 0; i < bits.length; i++) {
    assert.ok(Object.is(viaF16[i], Math.fround(f16ToF32(bits[i]))));
    assert.ok(Object.is(viaBf16[i], bf16ToF32(bits[i])));
  }
  assert.deepEqual(
    [...f32ArrayToF16(new Float32Array([1, -2, 65504, 5.960464477539063e-8, Infinity]))],
    [0x3c00, 0xc000, 0x7bff, 0x0001, 0x7c00],
  );
});
