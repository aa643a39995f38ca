// Tensor leaks: 200 language-model steps and a few dozen classifier steps of
// the real training loops (trainer/lm_train.ts, trainer/clf_train.ts) on a
// tiny model, with tf.memory() read at every step through the metrics log.
// After the first steps (which create Adam's moments) the live tensor count
// and bytes must not move, and everything the loops made must be freed after.
import assert from "node:assert/strict";
import { initBackend } from "../shared/backend.ts";
import { AwdLstm } from "../shared/model/awd_lstm.ts";
import { TextClassifier } from "../shared/model/classifier.ts";
import { encoderPreset, headPreset } from "../shared/model/config.ts";
import { Rng } from "../shared/rng.ts";
import { trainClassifier } from "../trainer/clf_train.ts";
import { trainLm } from "../trainer/lm_train.ts";
import { type MetricsEvent, MetricsLog } from "../trainer/metrics.ts";
import { ADAM_DEFAULTS } from "../trainer/optim.ts";
import { StopSignal } from "../trainer/signals.ts";

const { ops } = await initBackend("wasm");

/** A metrics log that also samples the engine's live tensors at every step. */
class MemoryLog extends MetricsLog {
  readonly samples: { tensors: number; bytes: number }[] = [];
  override add(row: MetricsEvent): Promise<void> {
    if (row.type === "step") {
      const m = ops.memory();
      this.samples.push({ tensors: m.numTensors, bytes: m.numBytes });
    }
    return super.add(row);
  }
}

function assertFlat(samples: { tensors: number; bytes: number }[], warmup: number, what: string) {
  const ref = samples[warmup];
  for (let i = warmup; i < samples.length; i++) {
    assert.equal(samples[i].tensors, ref.tensors, `${what}: live tensors moved at step ${i + 1}`);
    assert.equal(samples[i].bytes, ref.bytes, `${what}: live bytes moved at step ${i + 1}`);
  }
}

Deno.test({
  name: "leaks: 200 LM training steps keep tf.memory() flat and free everything after",
  sanitizeResources: false,
  sanitizeOps: false,
  async fn() {
    const dir = await Deno.makeTempDir({ prefix: "fitlam-leak-" });
    const vocab = 40;
    const lm = new AwdLstm(ops, encoderPreset("tiny", vocab), 1);
    const rng = new Rng(3);
    const stream = Int32Array.from({ length: 12_000 }, () => 2 + rng.int(vocab - 2));
    const before = ops.memory();
    const log = new MemoryLog();
    await trainLm(
      lm,
      stream,
      stream.subarray(0, 400),
      {
        stage: "pretrain",
        direction: "fwd",
        epochs: 1,
        bs: 4,
        bptt: 10,
        lr: 1e-3,
        warmup: false,
        gradualUnfreeze: false,
        cosine: true,
        discriminativeFactor: 1 / 2.6,
        alpha: 2,
        beta: 1,
        dropMult: 1,
        adam: ADAM_DEFAULTS,
        seed: 4,
        checkpointEvery: 0,
        checkpointDir: `${dir}/ckpt`,
        resume: false,
        maxSteps: 200,
      },
      log,
      new StopSignal(),
    );
    assert.equal(log.samples.length, 200);
    assertFlat(log.samples, 2, "LM");
    const after = ops.memory();
    assert.equal(after.numTensors, before.numTensors, "LM: tensors left after training");
    assert.equal(after.numBytes, before.numBytes, "LM: bytes left after training");
    lm.params.dispose();
    await Deno.remove(dir, { recursive: true });
  },
});

Deno.test({
  name: "leaks: classifier training steps and validation keep tf.memory() flat",
  sanitizeResources: false,
  sanitizeOps: false,
  async fn() {
    const vocab = 40;
    const clf = new TextClassifier(ops, encoderPreset("tiny", vocab), headPreset(2, 8), 2);
    const rng = new Rng(6);
    const doc = (i: number) => ({
      ids: Int32Array.from({ length: 5 + rng.int(20) }, () => 2 + rng.int(vocab - 2)),
      label: i % 2,
    });
    const train = Array.from({ length: 64 }, (_, i) => doc(i));
    const valid = Array.from({ length: 12 }, (_, i) => doc(i));
    const before = ops.memory();
    const log = new MemoryLog();
    await trainClassifier(
      clf,
      train,
      valid,
      {
        direction: "fwd",
        epochs: 3,
        bs: 4,
        lr: 1e-3,
        discriminativeFactor: 1 / 2.6,
        gradualUnfreeze: false,
        cosine: true,
        dropMult: 1,
        adam: ADAM_DEFAULTS,
        seed: 7,
        trainMaxTokens: 400,
      },
      log,
      new StopSignal(),
    );
    assert.equal(log.samples.length, 48);
    assertFlat(log.samples, 2, "classifier");
    const after = ops.memory();
    assert.equal(after.numTensors, before.numTensors, "classifier: tensors left after training");
    assert.equal(after.numBytes, before.numBytes, "classifier: bytes left after training");
    clf.dispose();
  },
});
