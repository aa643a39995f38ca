import assert from "node:assert/strict";
import { loadClassifier } from "../pipeline.ts";
import { makeTestWeights } from "../../serve/test_weights.ts";
import { CONFIG_FILE, MODEL_FILE } from "../weights/folder.ts";
import { CPU_BACKEND, loadCpuClassifier } from "./cpu_classifier.ts";
import { makeOddModels, MORE_TEXTS, TEST_TEXTS, THREADED_SIZES } from "./test_models.ts";

/** Largest absolute difference between two lists of probability vectors. */
function maxDiff(a: Float32Array[], b: Float32Array[]): number {
  assert.equal(a.length, b.length);
  let d = 0;
  a.forEach((p, i) => p.forEach((v, c) => d = Math.max(d, Math.abs(v - b[i][c]))));
  return d;
}

async function compare(dir: string, threads: number, batchSize: number) {
  const want = await loadClassifier(dir, { batchSize });
  const got = await loadCpuClassifier(dir, { threads, batchSize, waitForThreads: true });
  try {
    assert.ok(got.info.backend.startsWith(`${CPU_BACKEND} (`), got.info.backend);
    assert.deepEqual(got.info.labels, want.info.labels);
    assert.deepEqual(got.info.checksums, want.info.checksums);
    const d = maxDiff(
      await got.probabilities(MORE_TEXTS),
      await want.probabilities(MORE_TEXTS),
    );
    assert.ok(d < 1e-4, `max |Δp| = ${d}`);
    return d;
  } finally {
    got.dispose();
    want.dispose();
  }
}

Deno.test("CPU path matches loadClassifier on the serve test weights", async () => {
  const dir = await makeTestWeights(["fwd", "bwd"]);
  try {
    await compare(dir, 1, 32);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("CPU path matches loadClassifier with odd sizes, chunks and windows, 1 and 2 threads", async () => {
  const dir = await makeOddModels();
  try {
    for (const [threads, batch] of [[1, 32], [2, 3], [2, 32], [1, 1]]) {
      await compare(dir, threads, batch);
    }
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("CPU path matches loadClassifier when the head pools every layer (3 layers: 37 + 37 + 18)", async () => {
  const dir = await makeOddModels(undefined, ["fwd", "bwd"], { poolLayers: "all" });
  try {
    const cpu = await loadCpuClassifier(dir);
    assert.equal(cpu.info.configs.fwd!.head!.poolLayers, "all");
    cpu.dispose();
    for (const [threads, batch] of [[1, 32], [2, 3], [1, 1]]) {
      await compare(dir, threads, batch);
    }
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("CPU path matches loadClassifier on two threads (units split and batch rows split)", async () => {
  const dir = await makeOddModels(...THREADED_SIZES);
  try {
    for (const [threads, batch] of [[2, 32], [2, 5]]) await compare(dir, threads, batch);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("CPU path loads a classifier from bytes in memory, like loadClassifier", async () => {
  const dir = await makeOddModels();
  const read = async (d: string) => ({
    [MODEL_FILE]: await Deno.readFile(`${dir}/classifier-${d}/${MODEL_FILE}`),
    [CONFIG_FILE]: await Deno.readFile(`${dir}/classifier-${d}/${CONFIG_FILE}`),
  });
  const files = { fwd: await read("fwd"), bwd: await read("bwd") };
  const fromDisk = await loadCpuClassifier(dir);
  const fromBytes = await loadCpuClassifier(files);
  const tfFromBytes = await loadClassifier(files);
  const [a, b, c] = [fromDisk, fromBytes, tfFromBytes].map((m) => m.probabilities(TEST_TEXTS));
  assert.deepEqual(await b, await a);
  assert.ok(maxDiff(await c, await a) < 1e-4);
  assert.deepEqual(fromBytes.info.checksums, fromDisk.info.checksums);
  for (const m of [fromDisk, fromBytes, tfFromBytes]) m.dispose();
  await Deno.remove(dir, { recursive: true });
});

Deno.test("loading from bytes refuses a corrupt or missing file with the fix", async () => {
  await assert.rejects(
    loadCpuClassifier({ fwd: { [MODEL_FILE]: new Uint8Array(8) } }),
    /Cannot load model from memory \(fwd\): config.json is missing; .*save or train the model again/,
  );
  await assert.rejects(
    loadCpuClassifier({ bwd: { [MODEL_FILE]: new Uint8Array(8) } }, { directions: ["fwd"] }),
    /Cannot load classifier from memory: no fwd files given; pass them/,
  );
});
