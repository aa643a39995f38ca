import assert from "node:assert/strict";
import { zipSync } from "fflate";
import { readTorchCheckpoint, TorchStorage, TorchTensor } from "./torch_checkpoint.ts";

const FIXTURES = new URL("../../tests/fixtures/fastai/", import.meta.url).pathname;

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

Deno.test("reads zip and legacy checkpoints; tied tensors share one storage", async () => {
  const zip = readTorchCheckpoint(await Deno.readFile(`${FIXTURES}v1_lstm_fwd.pth`));
  assert.equal(zip.format, "zip");
  const sd = zip.value as Map<string, TorchTensor>;
  assert.equal(sd.get("0.encoder.weight")!.storage, sd.get("1.decoder.weight")!.storage);
  assert.equal(sd.get("1.decoder.bias")!.offset, 3);
  assert.deepEqual(sd.get("0.rnns.1.module.weight_ih_l0")!.stride, [1, 48]);

  const legacy = readTorchCheckpoint(await Deno.readFile(`${FIXTURES}v1_half.pth`));
  assert.equal(legacy.format, "legacy");
  const t = (legacy.value as Map<string, TorchTensor>).get("0.encoder.weight")!;
  assert.equal(t.dtype, "float16");
  assert.deepEqual(t.shape, [20, 8]);
  assert.ok(t.toFloat32().every(Number.isFinite));
});

Deno.test("refuses what is not a checkpoint, saying what it is", () => {
  const read = (bytes: number[] | Uint8Array) => () =>
    readTorchCheckpoint(new Uint8Array(bytes), { errorPrefix: "Cannot import m.pth" });
  assert.throws(read([1, 2]), /^Error: Cannot import m\.pth: it is only 2 bytes long$/);
  assert.throws(read([0x1f, 0x8b, 8, 0]), /gzip-compressed/);
  assert.throws(read([...new TextEncoder().encode("hello world")]), /not a PyTorch checkpoint/);
  // pickle.dumps([], 2): a pickle, but no torch.save magic number.
  assert.throws(read([0x80, 2, 0x5d, 0x2e]), /a Python pickle holding a list of 0, not a PyTorch/);
  assert.throws(
    read(zipSync({ "a.txt": new Uint8Array([1]) })),
    /zip file without data\.pkl.*\(it holds a\.txt\)/,
  );
  // A storage entry missing from the archive.
  const pkl = new Uint8Array([
    0x80,
    2,
    0x28,
    0x58,
    7,
    0,
    0,
    0,
    ...new TextEncoder().encode("storage"),
    0x63,
    ...new TextEncoder().encode("torch\nFloatStorage\n"),
    0x58,
    1,
    0,
    0,
    0,
    0x30,
    0x58,
    3,
    0,
    0,
    0,
    0x63,
    0x70,
    0x75,
    0x4b,
    1,
    0x74,
    0x51,
    0x2e,
  ]);
  assert.throws(read(zipSync({ "m/data.pkl": pkl })), /storage 0 is missing from the archive/);
  // An unsupported storage type.
  const complex = String.fromCharCode(...pkl).replace("FloatStorage", "ComplexFloatStorage");
  assert.throws(
    read(zipSync({ "m/data.pkl": Uint8Array.from(complex, (c) => c.charCodeAt(0)) })),
    /storage type torch\.ComplexFloatStorage, which fitlam cannot read/,
  );
});
