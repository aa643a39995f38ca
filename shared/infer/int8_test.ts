import assert from "node:assert/strict";
import { loadClassifier } from "../pipeline.ts";
import { quantizeClassifier } from "../../trainer/quantize.ts";
import { loadModelFolder, saveModelFolder } from "../weights/folder.ts";
import { loadCpuClassifier } from "./cpu_classifier.ts";
import { makeOddModels, MORE_TEXTS, THREADED_SIZES } from "./test_models.ts";

function maxDiff(a: Float32Array[], b: Float32Array[]): number {
  let d = 0;
  a.forEach((p, i) => p.forEach((v, c) => d = Math.max(d, Math.abs(v - b[i][c]))));
  return d;
}

async function probs(source: string, cpu: boolean, threads = 1, batchSize = 32) {
  const clf = cpu
    ? await loadCpuClassifier(source, { threads, batchSize, waitForThreads: true })
    : await loadClassifier(source, { batchSize });
  try {
    return await clf.probabilities(MORE_TEXTS);
  } finally {
    clf.dispose();
  }
}

const dir = await makeOddModels();
const out = await Deno.makeTempDir({ prefix: "fitlam-int8-test-" });
await quantizeClassifier(dir, `${out}/int8`, "int8");
await quantizeClassifier(dir, `${out}/f16`, "f16");

Deno.test("an int8 folder records I8 tensors with F32 row scales, and is 3x smaller even for a tiny model", async () => {
  const q = await loadModelFolder(`${out}/int8/classifier-fwd`);
  assert.equal(q.tensors["rnns.1.weight_hh"].dtype, "I8");
  assert.equal(q.tensors["rnns.1.weight_hh.scale"].dtype, "F32");
  assert.deepEqual(q.tensors["rnns.1.weight_hh.scale"].shape, [4 * 37]);
  assert.equal(q.tensors["encoder.weight"].dtype, "I8");
  assert.equal(q.tensors["head.1.linear.weight"].dtype, "I8");
  assert.equal(q.tensors["rnns.1.bias_hh"].dtype, "F32");
  assert.equal(q.config.weightDtype, "int8");
  const size = async (d: string) => (await Deno.stat(`${d}/classifier-fwd/model.safetensors`)).size;
  const ratio = await size(dir) / await size(`${out}/int8`);
  assert.ok(ratio > 2.9, `fp32/int8 size ratio ${ratio}`);
});

Deno.test("int8 kernels compute what the dequantized model computes (activation rounding only)", async () => {
  // loadClassifier widens the int8 weights to fp32: the same model in fp32 arithmetic.
  const want = await probs(`${out}/int8`, false);
  for (const [threads, batch] of [[1, 32], [2, 32], [2, 3], [1, 1]]) {
    const d = maxDiff(await probs(`${out}/int8`, true, threads, batch), want);
    assert.ok(d < 2e-4, `threads ${threads} batch ${batch}: max |Δp| = ${d}`);
  }
});

Deno.test("int8 kernels on two threads (hidden units split, then batch rows split) agree", async () => {
  const big = await makeOddModels(...THREADED_SIZES);
  try {
    await quantizeClassifier(big, `${big}/int8`, "int8");
    const want = await probs(`${big}/int8`, false);
    for (const [threads, batch] of [[2, 32], [2, 5], [1, 32]]) {
      const d = maxDiff(await probs(`${big}/int8`, true, threads, batch), want);
      assert.ok(d < 2e-4, `threads ${threads} batch ${batch}: max |Δp| = ${d}`);
    }
  } finally {
    await Deno.remove(big, { recursive: true });
  }
});

Deno.test("int8 kernels agree with the dequantized model when the head pools every layer", async () => {
  const all = await makeOddModels(undefined, ["fwd"], { poolLayers: "all" });
  try {
    await quantizeClassifier(all, `${all}/int8`, "int8");
    const q = await loadModelFolder(`${all}/int8/classifier-fwd`);
    // [last, max, mean] of 37 + 37 + 18 features.
    assert.deepEqual(q.tensors["head.0.linear.weight"].shape, [11, 3 * 92]);
    const want = await probs(`${all}/int8`, false);
    for (const [threads, batch] of [[1, 32], [2, 3]]) {
      const d = maxDiff(await probs(`${all}/int8`, true, threads, batch), want);
      assert.ok(d < 2e-4, `threads ${threads} batch ${batch}: max |Δp| = ${d}`);
    }
  } finally {
    await Deno.remove(all, { recursive: true });
  }
});

Deno.test("int8 probabilities stay within 0.01 of fp32", async () => {
  const d = maxDiff(await probs(`${out}/int8`, true), await probs(dir, true));
  assert.ok(d < 0.01, `max |Δp| = ${d}`);
});

Deno.test("an f16 folder gives the same probabilities on both paths, near fp32", async () => {
  const cpu = await probs(`${out}/f16`, true);
  assert.ok(maxDiff(cpu, await probs(`${out}/f16`, false)) < 1e-4);
  assert.ok(maxDiff(cpu, await probs(dir, true)) < 1e-3);
});

Deno.test("an int8 tensor without its scales, or where int8 is not allowed, is refused", async () => {
  const q = await loadModelFolder(`${out}/int8/classifier-fwd`);
  const { "rnns.0.weight_ih.scale": _, ...noScale } = q.tensors;
  await saveModelFolder(`${out}/bad/classifier-fwd`, { tensors: noScale, config: q.config });
  await assert.rejects(
    loadCpuClassifier(`${out}/bad`),
    /Cannot load model from .*classifier-fwd: tensor "rnns.0.weight_ih.scale" is missing; config expects F32 \[148\]$/,
  );
  const bias = { dtype: "I8" as const, shape: [148], data: new Int8Array(148) };
  const tensors = { ...q.tensors, "rnns.0.bias_ih": bias };
  await saveModelFolder(`${out}/bad/classifier-fwd`, { tensors, config: q.config });
  await assert.rejects(
    loadClassifier(`${out}/bad`),
    /Cannot load model from .*classifier-fwd: tensor "rnns.0.bias_ih" has dtype I8, config expects F32, F16 or BF16$/,
  );
});

Deno.test("cleanup", async () => {
  await Deno.remove(dir, { recursive: true });
  await Deno.remove(out, { recursive: true });
});
