import assert from "node:assert/strict";
import { initBackend } from "../shared/backend.ts";
import { AwdLstm } from "../shared/model/awd_lstm.ts";
import { encoderPreset } from "../shared/model/config.ts";
import { Rng } from "../shared/rng.ts";
import { type LmStageOptions, lmValidationLoss, trainLm } from "./lm_train.ts";
import { MetricsLog } from "./metrics.ts";
import { ADAM_DEFAULTS } from "./optim.ts";
import { StopSignal } from "./signals.ts";

const { ops } = await initBackend("wasm");
const VOCAB = 40;

/** A stream with structure an LM can learn: short repeated phrases plus noise. */
function stream(n: number, seed: number): Int32Array {
  const rng = new Rng(seed);
  const out = new Int32Array(n);
  for (let i = 0; i < n; i++) out[i] = 9 + ((i % 7) * 3 + (rng.next() < 0.2 ? rng.int(5) : 0)) % 31;
  return out;
}

function options(dir: string, over: Partial<LmStageOptions> = {}): LmStageOptions {
  return {
    stage: "finetune-lm",
    direction: "fwd",
    epochs: 2,
    bs: 4,
    bptt: 12,
    lr: 0.01,
    warmup: false,
    gradualUnfreeze: false,
    cosine: true,
    discriminativeFactor: 0.3,
    alpha: 2,
    beta: 1,
    dropMult: 1,
    adam: ADAM_DEFAULTS,
    seed: 7,
    checkpointEvery: 0,
    checkpointDir: `${dir}/ckpt`,
    resume: false,
    ...over,
  };
}

function stepLosses(log: MetricsLog): Map<number, number> {
  const out = new Map<number, number>();
  for (const r of log.rows) if (r.type === "step") out.set(r.step, r.loss);
  return out;
}

Deno.test("trainLm: resuming from a mid-epoch checkpoint gives the same next losses", async () => {
  const dir = await Deno.makeTempDir();
  try {
    const train = stream(1200, 1), valid = stream(200, 2);
    const full = new MetricsLog();
    const a = new AwdLstm(ops, encoderPreset("tiny", VOCAB), 3);
    const fullValid = await trainLm(a, train, valid, options(`${dir}/a`), full, new StopSignal());
    a.params.dispose();

    // Interrupted in the first epoch (the checkpoint a kill or Ctrl-C leaves behind), then
    // resumed by a fresh process-like start: a model with other initial weights.
    const first = new MetricsLog();
    const b = new AwdLstm(ops, encoderPreset("tiny", VOCAB), 3);
    const stop = new StopSignal();
    await trainLm(b, train, valid, options(`${dir}/b`, { maxSteps: 9 }), first, stop);
    assert.equal(stop.stoppedAt, `${dir}/b/ckpt`);
    b.params.dispose();
    const second = new MetricsLog();
    const c = new AwdLstm(ops, encoderPreset("tiny", VOCAB), 99);
    const resumedValid = await trainLm(
      c,
      train,
      valid,
      options(`${dir}/b`, { resume: true }),
      second,
      new StopSignal(),
    );
    const expected = stepLosses(full), before = stepLosses(first), after = stepLosses(second);
    assert.equal(before.size, 9);
    assert.equal(before.size + after.size, expected.size);
    for (const [step, loss] of [...before, ...after]) {
      assert.equal(loss, expected.get(step), `loss at step ${step}`);
    }
    assert.deepEqual(resumedValid, fullValid);
    // A finished stage resumes as done, returning its validation losses without training.
    const again = new MetricsLog();
    assert.deepEqual(
      await trainLm(
        c,
        train,
        valid,
        options(`${dir}/b`, { resume: true }),
        again,
        new StopSignal(),
      ),
      fullValid,
    );
    assert.equal(stepLosses(again).size, 0);
    c.params.dispose();
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("trainLm: gradual unfreezing leaves frozen layers bit-identical", async () => {
  const dir = await Deno.makeTempDir();
  try {
    const lm = new AwdLstm(ops, encoderPreset("tiny", VOCAB), 5); // 2 LSTM layers
    const before = await lm.params.export();
    // No warm-up: epoch 1 trains only the top group (tied embedding/decoder), epoch 2 adds
    // the last LSTM layer; the first LSTM layer stays frozen throughout.
    await trainLm(
      lm,
      stream(800, 4),
      undefined,
      options(dir, { gradualUnfreeze: true }),
      new MetricsLog(),
      new StopSignal(),
    );
    const after = await lm.params.export();
    for (const [name, p] of Object.entries(before)) {
      const same = p.data.every((v, i) => Object.is(v, after[name].data[i]));
      if (name.startsWith("rnns.0.")) assert.ok(same, `${name} must stay frozen`);
      else assert.ok(!same, `${name} must have trained`);
    }
    lm.params.dispose();
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("trainLm: the fine-tuned LM's validation loss falls below the untrained one", async () => {
  const dir = await Deno.makeTempDir();
  try {
    const lm = new AwdLstm(ops, encoderPreset("tiny", VOCAB), 6);
    const valid = stream(300, 9);
    const untrained = await lmValidationLoss(lm, valid, 4, 12);
    assert.ok(Math.abs(untrained - Math.log(VOCAB)) < 0.5, `untrained ${untrained} ≈ ln V`);
    const losses = await trainLm(
      lm,
      stream(2000, 8),
      valid,
      options(dir, { epochs: 3, lr: 0.02 }),
      new MetricsLog(),
      new StopSignal(),
    );
    assert.equal(losses.length, 3);
    assert.ok(losses[2] < untrained - 0.5, `${losses} vs untrained ${untrained}`);
    lm.params.dispose();
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});
