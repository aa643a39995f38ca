import assert from "node:assert/strict";
import { initBackend } from "../shared/backend.ts";
import type { Checkpoint } from "./checkpoint.ts";
import {
  fit,
  type FitOptions,
  type LearnerState,
  type StageLearner,
  type StepInput,
} from "./fit.ts";
import { MetricsLog } from "./metrics.ts";
import { ADAM_DEFAULTS } from "./optim.ts";
import { StopSignal } from "./signals.ts";
import { StopAtStep } from "./test_util.ts";

const { ops } = await initBackend("wasm");

/**
 * A learner with no weights: five batches an epoch, each "loss" a draw of the stage's RNG, so
 * equal losses after a resume show that the RNG, the step count and the position came back.
 */
class DrawLearner implements StageLearner {
  readonly ops = ops;
  readonly variables = [];
  readonly groups = 1;
  readonly work = { unit: "batches" as const, perEpoch: 5 };
  readonly lastLosses: number[] = [];
  position = 0;
  finished = false;

  constructor(readonly resumesMidEpoch: boolean, readonly earlyAfter?: number) {}

  groupOf(): number {
    return 0;
  }
  beginEpoch(): number {
    return 5;
  }
  step(s: StepInput) {
    if (this.position >= 5) return Promise.resolve(undefined);
    this.position++;
    return Promise.resolve({ loss: s.rng.next(), lr: s.scheduledLr, tokens: 10 });
  }
  endEpoch(_epoch: number, lastLoss: number) {
    this.position = 0;
    this.lastLosses.push(lastLoss);
    return Promise.resolve({ loss: lastLoss });
  }
  checkpointState(): Promise<LearnerState> {
    return Promise.resolve({
      tensors: {},
      position: this.position,
      extra: { lastLosses: this.lastLosses },
    });
  }
  restoreState(c: Checkpoint): void {
    this.position = c.loop.position;
    this.lastLosses.push(...(c.loop.extra?.lastLosses as number[]));
  }
  finish(): void {
    this.finished = true;
  }
  dispose(): void {}
}

/** DrawLearner's stopEarly: after `earlyAfter` epochs. */
class EarlyLearner extends DrawLearner {
  stopEarly(): string | undefined {
    return this.lastLosses.length >= this.earlyAfter! ? "enough" : undefined;
  }
}

function options(dir: string, over: Partial<FitOptions> = {}): FitOptions {
  return {
    stage: "finetune-lm",
    direction: "fwd",
    epochs: 3,
    lr: 0.01,
    warmup: false,
    gradualUnfreeze: false,
    cosine: true,
    discriminativeFactor: 1,
    adam: ADAM_DEFAULTS,
    seed: 5,
    checkpointDir: `${dir}/ckpt`,
    ...over,
  };
}

const steps = (log: MetricsLog) =>
  log.rows.flatMap((r) => r.type === "step" ? [[r.step, r.loss, r.lr]] : []);

Deno.test("fit: a mid-epoch learner saves at a stop and resumes at the next step", async () => {
  const dir = await Deno.makeTempDir();
  try {
    const full = new MetricsLog();
    await fit(new DrawLearner(true), options(`${dir}/a`), full, new StopSignal());
    assert.equal(steps(full).length, 15);

    const first = new MetricsLog(), stop = new StopSignal();
    const out = await fit(new DrawLearner(true), options(`${dir}/b`, { maxSteps: 7 }), first, stop);
    assert.deepEqual(out, { stopped: true });
    assert.equal(stop.stoppedAt, `${dir}/b/ckpt`);
    const second = new MetricsLog();
    const resumed = new DrawLearner(true);
    await fit(resumed, options(`${dir}/b`, { resume: true }), second, new StopSignal());
    assert.deepEqual([...steps(first), ...steps(second)], steps(full));
    assert.equal(resumed.lastLosses.length, 3);
    assert.ok(resumed.finished);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("fit: an epoch-end learner validates its partial epoch at a stop and redoes it on resume", async () => {
  const dir = await Deno.makeTempDir();
  try {
    const full = new MetricsLog();
    await fit(new DrawLearner(false), options(`${dir}/a`), full, new StopSignal());

    const stop = new StopSignal();
    const learner = new DrawLearner(false);
    const out = await fit(learner, options(`${dir}/b`), new StopAtStep(stop, 7), stop);
    assert.deepEqual(out, { stopped: true });
    assert.equal(stop.stoppedAt, undefined);
    // Epoch 2 was cut after its second step, validated, and the best kept (finish).
    assert.equal(learner.lastLosses.length, 2);
    assert.ok(learner.finished);
    const second = new MetricsLog();
    await fit(
      new DrawLearner(false),
      options(`${dir}/b`, { resume: true }),
      second,
      new StopSignal(),
    );
    // The checkpoint of epoch 1's end: epoch 2 starts over from step 6, with the same draws.
    assert.deepEqual(steps(second), steps(full).slice(5));
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("fit: stopEarly ends the stage with an early-stop row; a resume trains no more", async () => {
  const dir = await Deno.makeTempDir();
  try {
    const log = new MetricsLog();
    await fit(new EarlyLearner(false, 2), options(dir, { epochs: 5 }), log, new StopSignal());
    assert.equal(steps(log).length, 10);
    assert.deepEqual(
      log.rows.filter((r) => r.type === "early-stop").map((r) =>
        r.type === "early-stop" && r.epoch
      ),
      [1],
    );
    const again = new MetricsLog();
    const resumed = new EarlyLearner(false, 2);
    await fit(resumed, options(dir, { epochs: 5, resume: true }), again, new StopSignal());
    assert.equal(steps(again).length, 0);
    assert.equal(resumed.lastLosses.length, 2);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});
