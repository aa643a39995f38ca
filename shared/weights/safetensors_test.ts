import assert from "node:assert/strict";
import {
  type DType,
  dtypeBytes,
  isDType,
  type NamedTensor,
  toFloat32Tensor,
} from "./safetensors.ts";
import { decodeSafetensors, SafetensorsError } from "./safetensors_read.ts";
import { encodeSafetensors } from "./safetensors_write.ts";

/** The raw bytes behind a typed array, for bit-exact comparisons (NaN, -0). */
function rawBytes(data: NamedTensor["data"]): Uint8Array {
  return new Uint8Array(data.buffer, data.byteOffset, data.byteLength);
}

function assertSameTensor(actual: NamedTensor, expected: NamedTensor, name: string): void {
  assert.equal(actual.dtype, expected.dtype, name);
  assert.deepEqual(actual.shape, expected.shape, name);
  assert.equal(actual.data.constructor, expected.data.constructor, name);
  assert.deepEqual(rawBytes(actual.data), rawBytes(expected.data), name);
}

/** Assembles a file from a header (object or raw text) and data bytes. */
function rawFile(header: unknown, data: number[] = [], declaredLength?: number): Uint8Array {
  const json = new TextEncoder().encode(
    typeof header === "string" ? header : JSON.stringify(header),
  );
  const out = new Uint8Array(8 + json.length + data.length);
  new DataView(out.buffer).setBigUint64(0, BigInt(declaredLength ?? json.length), true);
  out.set(json, 8);
  out.set(data, 8 + json.length);
  return out;
}

const ALL_DTYPES: Record<string, NamedTensor> = {
  f32: {
    dtype: "F32",
    shape: [2, 3],
    data: new Float32Array([1.5, -0, NaN, Infinity, -Infinity, 3.4028234663852886e38]),
  },
  f16: { dtype: "F16", shape: [3], data: new Uint16Array([0x3c00, 0xc000, 0x7e00]) },
  bf16: { dtype: "BF16", shape: [1, 2], data: new Uint16Array([0x3f80, 0xff80]) },
  i32: { dtype: "I32", shape: [3], data: new Int32Array([-2147483648, 0, 2147483647]) },
  i64: {
    dtype: "I64",
    shape: [2],
    data: new BigInt64Array([-9223372036854775808n, 9223372036854775807n]),
  },
  u8: { dtype: "U8", shape: [5], data: new Uint8Array([0, 1, 127, 128, 255]) },
};

const SCALARS: Record<string, NamedTensor> = {
  "scalar.f32": { dtype: "F32", shape: [], data: new Float32Array([0.25]) },
  "scalar.f16": { dtype: "F16", shape: [], data: new Uint16Array([0x3555]) },
  "scalar.bf16": { dtype: "BF16", shape: [], data: new Uint16Array([0x4049]) },
  "scalar.i32": { dtype: "I32", shape: [], data: new Int32Array([-7]) },
  "scalar.i64": { dtype: "I64", shape: [], data: new BigInt64Array([123456789012345n]) },
  "scalar.u8": { dtype: "U8", shape: [], data: new Uint8Array([9]) },
};

const EMPTIES: Record<string, NamedTensor> = {
  "empty.f32": { dtype: "F32", shape: [0], data: new Float32Array(0) },
  "empty.f16": { dtype: "F16", shape: [2, 0], data: new Uint16Array(0) },
  "empty.bf16": { dtype: "BF16", shape: [0, 4], data: new Uint16Array(0) },
  "empty.i32": { dtype: "I32", shape: [0], data: new Int32Array(0) },
  "empty.i64": { dtype: "I64", shape: [3, 0, 2], data: new BigInt64Array(0) },
  "empty.u8": { dtype: "U8", shape: [0], data: new Uint8Array(0) },
};

Deno.test("round trip keeps every dtype, scalars and empty tensors bit for bit", () => {
  const tensors = { ...ALL_DTYPES, ...SCALARS, ...EMPTIES };
  const metadata = { format: "fitlam", note: "ünïcode ✓" };
  const decoded = decodeSafetensors(encodeSafetensors(tensors, metadata));
  assert.deepEqual(decoded.metadata, metadata);
  assert.deepEqual(Object.keys(decoded.tensors).sort(), Object.keys(tensors).sort());
  for (const [name, tensor] of Object.entries(tensors)) {
    assertSameTensor(decoded.tensors[name], tensor, name);
  }
});

Deno.test("round trip of no tensors and no metadata", () => {
  const bytes = encodeSafetensors({});
  assert.equal(bytes.length, 8 + 8); // "{}" padded to 8 bytes
  assert.deepEqual(decodeSafetensors(bytes), { tensors: {}, metadata: {} });
});

Deno.test("encoding is deterministic whatever the key order", () => {
  const a = encodeSafetensors({ x: SCALARS["scalar.u8"], y: ALL_DTYPES.f32 }, { b: "1", a: "2" });
  const b = encodeSafetensors({ y: ALL_DTYPES.f32, x: SCALARS["scalar.u8"] }, { a: "2", b: "1" });
  assert.deepEqual(a, b);
});

Deno.test("encoding reads only the typed array's own window", () => {
  const backing = new Float32Array([9, 1, 2, 9]);
  const bytes = encodeSafetensors({
    w: { dtype: "F32", shape: [2], data: backing.subarray(1, 3) },
  });
  assert.deepEqual([...decodeSafetensors(bytes).tensors.w.data], [1, 2]);
});

Deno.test("a tensor named __proto__ survives the round trip", () => {
  const tensors = JSON.parse('{"__proto__": 0}');
  tensors["__proto__"] = SCALARS["scalar.u8"];
  const decoded = decodeSafetensors(encodeSafetensors(tensors));
  assert.ok(Object.hasOwn(decoded.tensors, "__proto__"));
  assertSameTensor(decoded.tensors["__proto__"], SCALARS["scalar.u8"], "__proto__");
});

Deno.test("encoded bytes match a hand-built file byte by byte", () => {
  const bytes = encodeSafetensors({
    b: { dtype: "U8", shape: [3], data: new Uint8Array([1, 2, 3]) },
    a: { dtype: "F32", shape: [], data: new Float32Array([1.5]) },
  }, { k: "v" });
  const header = '{"__metadata__":{"k":"v"},' +
    '"a":{"dtype":"F32","shape":[],"data_offsets":[0,4]},' +
    '"b":{"dtype":"U8","shape":[3],"data_offsets":[4,7]}}';
  assert.equal(header.length, 130); // padded with 6 spaces to 136, a multiple of 8
  const expected = [
    ...[136, 0, 0, 0, 0, 0, 0, 0], // u64 little-endian header length
    ...new TextEncoder().encode(header),
    ...[0x20, 0x20, 0x20, 0x20, 0x20, 0x20],
    ...[0x00, 0x00, 0xc0, 0x3f], // 1.5 as little-endian F32 (0x3fc00000)
    ...[1, 2, 3],
  ];
  assert.deepEqual([...bytes], expected);
});

Deno.test("decoding copies unaligned data from an offset view into aligned arrays", () => {
  const file = rawFile({
    b: { dtype: "U8", shape: [1], data_offsets: [0, 1] },
    f: { dtype: "F32", shape: [1], data_offsets: [1, 5] },
    i: { dtype: "I64", shape: [1], data_offsets: [5, 13] },
  }, [9, 0x00, 0x00, 0xc0, 0x3f, 0xfe, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff]);
  const padded = new Uint8Array(file.length + 3);
  padded.set(file, 1);
  const view = padded.subarray(1, 1 + file.length);
  const { tensors } = decodeSafetensors(view);
  assert.deepEqual([...tensors.b.data], [9]);
  assert.deepEqual([...tensors.f.data], [1.5]);
  assert.deepEqual([...tensors.i.data], [-2n]);
  for (const tensor of Object.values(tensors)) assert.equal(tensor.data.byteOffset, 0);
  // The result must not alias the input.
  view.fill(0);
  assert.deepEqual([...tensors.f.data], [1.5]);
});

Deno.test("toFloat32 widens F16 and BF16 and leaves other dtypes alone", () => {
  const bytes = encodeSafetensors({
    h: {
      dtype: "F16",
      shape: [7],
      data: new Uint16Array([0x3c00, 0xc000, 0x7bff, 0x0001, 0x7c00, 0x7e00, 0x8000]),
    },
    b: { dtype: "BF16", shape: [2], data: new Uint16Array([0x3f80, 0xc000]) },
    i: { dtype: "I32", shape: [1], data: new Int32Array([5]) },
  });
  const { tensors } = decodeSafetensors(bytes, { toFloat32: true });
  assert.equal(tensors.h.dtype, "F32");
  assert.ok(tensors.h.data instanceof Float32Array);
  assert.deepEqual([...tensors.h.data].slice(0, 5), [1, -2, 65504, 5.960464477539063e-8, Infinity]);
  assert.ok(Number.isNaN(tensors.h.data[5]));
  assert.ok(Object.is(tensors.h.data[6], -0));
  assert.deepEqual(tensors.b, { dtype: "F32", shape: [2], data: new Float32Array([1, -2]) });
  assert.deepEqual(tensors.i, { dtype: "I32", shape: [1], data: new Int32Array([5]) });
  // Without the option the raw bits come back.
  assert.equal(decodeSafetensors(bytes).tensors.h.dtype, "F16");
});

Deno.test("toFloat32Tensor returns non-half tensors unchanged", () => {
  const tensor = ALL_DTYPES.i32;
  assert.equal(toFloat32Tensor(tensor), tensor);
});

Deno.test("dtype helpers", () => {
  const sizes: Record<DType, number> = { F32: 4, F16: 2, BF16: 2, I32: 4, I64: 8, U8: 1, I8: 1 };
  for (const [dtype, size] of Object.entries(sizes)) {
    assert.ok(isDType(dtype));
    assert.equal(dtypeBytes(dtype as DType), size);
  }
  assert.ok(!isDType("F64"));
  assert.ok(!isDType("toString"));
});

Deno.test("decode refuses a file shorter than 8 bytes", () => {
  assert.throws(
    () => decodeSafetensors(new Uint8Array(5)),
    /^SafetensorsError: Cannot decode safetensors: the file is 5 bytes, shorter than the 8-byte header length$/,
  );
  assert.throws(() => decodeSafetensors(new Uint8Array(5)), (error: unknown) => {
    assert.ok(error instanceof SafetensorsError);
    assert.equal(error.problem, "the file is 5 bytes, shorter than the 8-byte header length");
    return true;
  });
});

Deno.test("decode refuses a header length beyond the file", () => {
  const good = encodeSafetensors({ w: ALL_DTYPES.f32 });
  const huge = good.slice();
  new DataView(huge.buffer).setBigUint64(0, 0xffffffffffffffffn, true);
  assert.throws(
    () => decodeSafetensors(huge),
    /the header length 18446744073709551615 runs past the end of the \d+-byte file/,
  );
  // A file cut inside its header reads the same way.
  assert.throws(() => decodeSafetensors(good.subarray(0, 20)), /runs past the end of the 20-byte/);
});

Deno.test("decode refuses a header that is not a JSON object", () => {
  assert.throws(() => decodeSafetensors(rawFile("{not json")), /the header is not valid JSON/);
  const badUtf8 = rawFile("{}   ");
  badUtf8[10] = 0xff;
  assert.throws(() => decodeSafetensors(badUtf8), /the header is not valid JSON/);
  assert.throws(() => decodeSafetensors(rawFile("[]")), /the header is not a JSON object/);
  assert.throws(() => decodeSafetensors(rawFile("null")), /the header is not a JSON object/);
});

Deno.test("decode refuses malformed header entries", () => {
  assert.throws(() => decodeSafetensors(rawFile({ w: 3 })), /tensor "w" has a header entry/);
  assert.throws(
    () => decodeSafetensors(rawFile({ w: { dtype: "F32", shape: [-1], data_offsets: [0, 0] } })),
    /tensor "w" has shape \[-1\], not a list of non-negative integers/,
  );
  assert.throws(
    () => decodeSafetensors(rawFile({ w: { dtype: "F32", shape: [1], data_offsets: [4, 0] } })),
    /tensor "w" has data_offsets \[4,0\], not \[begin, end\]/,
  );
  assert.throws(
    () => decodeSafetensors(rawFile({ w: { dtype: "F32", shape: [1] } }, [0, 0, 0, 0])),
    /tensor "w" has data_offsets undefined/,
  );
  assert.throws(
    () => decodeSafetensors(rawFile({ __metadata__: { n: 1 } })),
    /metadata "n" is not a string/,
  );
  assert.throws(
    () => decodeSafetensors(rawFile({ __metadata__: [] })),
    /"__metadata__" is not an object of strings/,
  );
});

Deno.test("decode refuses an unknown dtype", () => {
  const file = rawFile({ w: { dtype: "F64", shape: [1], data_offsets: [0, 8] } }, Array(8).fill(0));
  assert.throws(
    () => decodeSafetensors(file),
    /^SafetensorsError: Cannot decode safetensors: tensor "w" has unknown dtype "F64" \(supported: /,
  );
});

Deno.test("decode refuses offsets that disagree with the shape", () => {
  const file = rawFile({ w: { dtype: "F32", shape: [2], data_offsets: [0, 4] } }, [0, 0, 0, 0]);
  assert.throws(
    () => decodeSafetensors(file),
    /tensor "w" has 4 data bytes, but F32 with shape \[2\] needs 8$/,
  );
});

Deno.test("decode refuses offsets past the data section", () => {
  const file = rawFile(
    { w: { dtype: "F32", shape: [2], data_offsets: [4, 12] } },
    Array(8).fill(0),
  );
  assert.throws(
    () => decodeSafetensors(file),
    /tensor "w" has data_offsets \[4, 12\] past the end of the 8-byte data section; the file is truncated/,
  );
});

Deno.test("decode refuses overlapping tensors", () => {
  const file = rawFile({
    a: { dtype: "F32", shape: [2], data_offsets: [0, 8] },
    b: { dtype: "F32", shape: [2], data_offsets: [4, 12] },
  }, Array(12).fill(0));
  assert.throws(() => decodeSafetensors(file), /tensors "a" and "b" overlap \(bytes 4 to 8\)/);
});

Deno.test("decode refuses gaps between or before tensors", () => {
  const between = rawFile({
    a: { dtype: "F32", shape: [1], data_offsets: [0, 4] },
    b: { dtype: "F32", shape: [1], data_offsets: [8, 12] },
  }, Array(12).fill(0));
  assert.throws(
    () => decodeSafetensors(between),
    /tensor "b" starts at byte 8, leaving a 4-byte gap after tensor "a"/,
  );
  const before = rawFile({ a: { dtype: "U8", shape: [1], data_offsets: [2, 3] } }, [0, 0, 0]);
  assert.throws(() => decodeSafetensors(before), /leaving a 2-byte gap after the header/);
});

Deno.test("decode refuses trailing bytes", () => {
  const good = encodeSafetensors({ w: ALL_DTYPES.f32 });
  const longer = new Uint8Array(good.length + 1);
  longer.set(good);
  assert.throws(
    () => decodeSafetensors(longer),
    /the data section has 1 bytes after the last tensor/,
  );
});

Deno.test("decode refuses a truncated file", () => {
  const good = encodeSafetensors({ a: ALL_DTYPES.u8, w: ALL_DTYPES.f32 });
  assert.throws(
    () => decodeSafetensors(good.subarray(0, good.length - 2)),
    /tensor "w" has data_offsets \[5, 29\] past the end of the 27-byte data section; the file is truncated/,
  );
});

Deno.test("encode refuses inconsistent tensors", () => {
  const cases: [NamedTensor, RegExp][] = [
    [
      { dtype: "F32", shape: [2], data: new Int32Array(2) },
      /^Error: Cannot encode tensor "t": dtype F32 needs a Float32Array, got Int32Array$/,
    ],
    [
      { dtype: "F16", shape: [2], data: new Float32Array(2) },
      /dtype F16 needs a Uint16Array, got Float32Array/,
    ],
    [
      { dtype: "I32", shape: [2, 3], data: new Int32Array(5) },
      /shape \[2,3\] needs 6 elements, data has 5$/,
    ],
    [
      { dtype: "U8", shape: [1.5], data: new Uint8Array(1) },
      /shape \[1.5\] is not a list of non-negative integers/,
    ],
    [
      { dtype: "F64" as DType, shape: [1], data: new Float32Array(1) },
      /unknown dtype "F64"; use one of F32, F16, BF16, I32, I64, U8/,
    ],
  ];
  for (const [tensor, error] of cases) {
    assert.throws(() => encodeSafetensors({ t: tensor }), error);
  }
  assert.throws(
    () => encodeSafetensors({ __metadata__: SCALARS["scalar.u8"] }),
    /Cannot encode tensor "__metadata__": the name is reserved for metadata/,
  );
  assert.throws(
    () => encodeSafetensors({}, { n: 1 as unknown as string }),
    /Cannot encode safetensors: metadata "n" is number; metadata values must be strings/,
  );
});

Deno.test("decode with views shares aligned tensors' bytes and copies misaligned ones", () => {
  const bytes = encodeSafetensors({
    a: { dtype: "I8", shape: [3], data: new Int8Array([1, 2, 3]) },
    b: { dtype: "F32", shape: [1], data: new Float32Array([4]) },
  });
  const { tensors } = decodeSafetensors(bytes, { views: true });
  assert.equal(tensors.a.data.buffer, bytes.buffer); // I8 is always aligned
  assert.notEqual(tensors.b.data.buffer, bytes.buffer); // F32 at an odd offset: copied
  assert.equal(tensors.b.data[0], 4);
  assert.notEqual(decodeSafetensors(bytes).tensors.a.data.buffer, bytes.buffer);
});
