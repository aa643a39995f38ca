/**
 * Measures what one stage-3 step of a `small` classifier takes on the wasm backend: a batch of
 * 32 random documents whose lengths run evenly from 300 to MAX tokens, split by
 * `classify.stepMemoryMB` (0: one piece). Prints the parts, the wasm heap afterwards (it only
 * grows, so this is the peak) and the seconds. Run each setting in a fresh process:
 *
 *   deno run -A tools/step_memory.ts 2048 last 8000
 *
 * @module
 */
import * as tf from "@tensorflow/tfjs";
import { initBackend } from "../shared/backend.ts";
import { TextClassifier } from "../shared/model/classifier.ts";
import { encoderPreset, headPreset, type PoolLayers } from "../shared/model/config.ts";
import { Rng } from "../shared/rng.ts";
import { classifierStep, maxDocSteps } from "../trainer/clf_step.ts";
import { Adam, ADAM_DEFAULTS } from "../trainer/optim.ts";

const [memoryMB, poolLayers, maxTokens] = [
  Number(Deno.args[0] ?? 2048),
  (Deno.args[1] ?? "last") as PoolLayers,
  Number(Deno.args[2] ?? 8000),
];
const { ops } = await initBackend("wasm");
const head = { ...headPreset(2), poolLayers };
const clf = new TextClassifier(ops, encoderPreset("small", 10000), head, 1);
const rng = new Rng(1);
const batch = Array.from({ length: 32 }, (_, i) => ({
  ids: Int32Array.from(
    { length: 300 + Math.round((maxTokens - 300) * i / 31) },
    () => 5 + rng.int(9000),
  ),
  label: i % 2,
}));
const adam = new Adam(ops, ADAM_DEFAULTS);
const vars = clf.trainableVariables();
adam.track(vars);
const limit = maxDocSteps(clf, memoryMB);
const t0 = performance.now();
const r = await classifierStep(clf, adam, rng, batch, vars, 1e-3, () => 1, 0.1, limit);
// The backend's Emscripten heap: its size never shrinks.
const heap = (tf.backend() as unknown as { wasm: { HEAPU8: Uint8Array } }).wasm.HEAPU8.length;
console.log(JSON.stringify({
  memoryMB,
  poolLayers,
  maxTokens,
  maxDocSteps: limit,
  parts: r.parts,
  loss: r.loss,
  heapMB: Math.round(heap / 2 ** 20),
  seconds: +((performance.now() - t0) / 1000).toFixed(1),
}));
