import assert from "node:assert/strict";
import { zipSync } from "fflate";
import { readTorchCheckpoint } from "./torch_checkpoint.ts";
import type { TorchTensor } from "./torch_tensor.ts";

const FIXTURES = new URL("../../tests/fixtures/fastai/", import.meta.url).pathname;

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
