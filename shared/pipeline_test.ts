import assert from "node:assert/strict";
import * as tf from "@tensorflow/tfjs";
import { initBackend, runningBackend } from "./backend.ts";
import { loadClassifier } from "./pipeline.ts";
import { makeTestWeights } from "../serve/test_weights.ts";

const TEXTS = ["win a free cruise now", "meeting at noon tomorrow"];

// makeTestWeights starts wasm, as a program that trained or served before loading would.
const dir = await makeTestWeights(["fwd", "bwd"]);

Deno.test("loadClassifier without a device keeps the running backend, whichever it is", async () => {
  for (const device of ["cpu", "wasm"] as const) {
    await initBackend(device);
    const clf = await loadClassifier(dir);
    assert.equal(clf.info.backend, device);
    assert.equal(runningBackend(), device);
    clf.dispose();
  }
});

Deno.test("loadClassifier refuses a device other than the running backend, switching nothing", async () => {
  const before = await loadClassifier(dir);
  const want = await before.probabilities(TEXTS);
  await assert.rejects(
    loadClassifier(dir, { device: "cpu" }),
    /Cannot start the cpu backend: TensorFlow.js already runs the wasm backend, .*load with device "wasm"/,
  );
  assert.equal(runningBackend(), "wasm");
  assert.deepEqual(await before.probabilities(TEXTS), want);
  before.dispose();
});

Deno.test("a classifier refuses to compute after the global backend was switched under it", async () => {
  const clf = await loadClassifier(dir, { device: "wasm" });
  const want = await clf.probabilities(TEXTS);
  await tf.setBackend("cpu");
  try {
    await assert.rejects(
      clf.classify(TEXTS),
      /Cannot classify: the models were loaded on the wasm backend, but TensorFlow.js now runs cpu/,
    );
  } finally {
    await tf.setBackend("wasm");
  }
  assert.deepEqual(await clf.probabilities(TEXTS), want);
  clf.dispose();
});

Deno.test("loadClassifier starts the asked device when no backend runs yet", async () => {
  // A fresh process: no backend has been started in it.
  const script = `
    import { loadClassifier } from "${new URL("./pipeline.ts", import.meta.url)}";
    const clf = await loadClassifier(${JSON.stringify(dir)}, { device: "cpu" });
    const probs = await clf.probabilities(${JSON.stringify(TEXTS)});
    console.log(JSON.stringify({ backend: clf.info.backend, probs: probs.map((p) => [...p]) }));`;
  const out = await new Deno.Command(Deno.execPath(), {
    args: ["eval", "--quiet", script],
    stderr: "inherit",
  }).output();
  assert.ok(out.success, "the child process failed");
  const got = JSON.parse(new TextDecoder().decode(out.stdout));
  assert.equal(got.backend, "cpu");
  const clf = await loadClassifier(dir);
  const want = await clf.probabilities(TEXTS);
  clf.dispose();
  want.forEach((p, i) => p.forEach((v, c) => assert.ok(Math.abs(v - got.probs[i][c]) < 1e-5)));
});
