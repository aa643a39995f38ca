/**
 * The one epoch runner of the trainer, after fastai's `Learner.fit`: Adam with discriminative
 * rates per layer group, the FitLaM epoch plan (warm-up, gradual unfreezing, cosine), the
 * progress bar, the time estimate, the step log, divergence, stopping, checkpoints and exact
 * resume. What differs between the language model (stages 1 and 2) and the classifier
 * (stage 3) — batches, the step itself, validation, extra checkpoint state — comes from a
 * {@linkcode StageLearner}.
 *
 * @module
 */
import type { Variable } from "@tensorflow/tfjs";
import { paramName } from "../shared/model/params.ts";
import type { Ops } from "../shared/ops/ops.ts";
import { ProgressBar } from "../shared/progress.ts";
import { Rng } from "../shared/rng.ts";
import type { NamedTensor } from "../shared/weights/safetensors.ts";
import {
  type Checkpoint,
  loadCheckpoint,
  type LoopState,
  momentSection,
  momentTensors,
  saveCheckpoint,
} from "./checkpoint.ts";
import { announce, StageEstimate } from "./estimate.ts";
import type { MetricsLog, TrainingStage } from "./metrics.ts";
import { Adam, type AdamConfig } from "./optim.ts";
import { discriminativeRates, type EpochPlan, epochPlan } from "./schedule.ts";
import { type StopSignal, TrainingDiverged } from "./signals.ts";

/** What one step may use: the optimizer, the stage's RNG and this epoch's rates. */
export interface StepInput {
  adam: Adam;
  rng: Rng;
  /** The variables with a rate above 0 this epoch (gradual unfreezing freezes the rest). */
  active: Variable[];
  /** Each variable's multiplier of the rate, by tfjs variable name. */
  rateOf: (name: string) => number;
  /** The rate the epoch plan gives this step; the learner may scale it (BPTT length). */
  scheduledLr: number;
}

/** What one step did. */
export interface StepOutcome {
  /** The batch's loss; not finite when the step diverged (then nothing was updated). */
  loss: number;
  /** The rate the step used. */
  lr: number;
  /** Tokens the step read, for the throughput. */
  tokens: number;
}

/** What a learner adds to a checkpoint besides the optimizer and the loop counters. */
export interface LearnerState {
  /** Weights and any state the learner carries (`param.*`, `state.*`, `best.*`). */
  tensors: Record<string, NamedTensor>;
  /** Where in its epoch's data the learner stands (the LM's stream position). */
  position: number;
  /** Best validation score so far, for learners that keep their best epoch. */
  best?: number;
  extra: Record<string, unknown>;
}

/** The part of a stage that {@linkcode fit} drives: its model, data, step and validation. */
export interface StageLearner {
  readonly ops: Ops;
  /** The variables Adam tracks. */
  readonly variables: Variable[];
  /** Layer groups, bottom to top; discriminative rates fall by a factor per group down. */
  readonly groups: number;
  /** Layer group of a tfjs variable. */
  groupOf(variableName: string): number;
  /** What the time estimate counts, and how much of it one epoch holds. */
  readonly work: { unit: "batches" | "tokens"; perEpoch: number };
  /**
   * True when a checkpoint between any two steps resumes exactly (the LM's stream position):
   * then checkpoints may come every `checkpointEvery` steps and a stop saves one at once.
   * Otherwise checkpoints come at epoch ends and a stop first validates the partial epoch.
   */
  readonly resumesMidEpoch: boolean;
  /** Prepares an epoch and returns its number of batches (the schedule's and the bar's length). */
  beginEpoch(epoch: number, rng: Rng): number;
  /** Trains the next batch; undefined when the epoch has no batch left. */
  step(input: StepInput): Promise<StepOutcome | undefined>;
  /** Validates after an epoch; returns the progress bar's closing fields. */
  endEpoch(epoch: number, lastLoss: number): Promise<Record<string, number>>;
  /** Why to stop before the planned epochs, after this epoch's validation; undefined: go on. */
  stopEarly?(): string | undefined;
  checkpointState(): Promise<LearnerState>;
  restoreState(c: Checkpoint): void;
  /** After the last epoch or a stop (the classifier loads its best epoch's weights back). */
  finish(): void;
  /** Frees what the learner holds between steps. */
  dispose(): void;
}

/** Settings of {@linkcode fit}. */
export interface FitOptions {
  stage: TrainingStage;
  direction: "fwd" | "bwd";
  epochs: number;
  /** Top rate of the epoch plan. */
  lr: number;
  warmup: boolean;
  gradualUnfreeze: boolean;
  cosine: boolean;
  /** Share of each epoch's steps with the rate rising before its fall (undefined: none). */
  rampShare?: number;
  /** Lower group rate = upper × factor; 1 disables discriminative rates. */
  discriminativeFactor: number;
  adam: AdamConfig;
  seed: number;
  /** Where checkpoints go (none when undefined). */
  checkpointDir?: string;
  /** Continue from the checkpoint in `checkpointDir`. */
  resume?: boolean;
  /** Mid-epoch learners: a checkpoint every this many steps too (0 or undefined: epoch ends). */
  checkpointEvery?: number;
  /** Stop, as on Ctrl-C, after this many steps in total (tests of resume). */
  maxSteps?: number;
}

/** How {@linkcode fit} ended. */
export interface FitOutcome {
  /** Stopped by a signal or `maxSteps` before the planned epochs. */
  stopped: boolean;
}

/** The loop counters, the RNG and the optimizer of one stage, and their checkpoints. */
class FitState {
  loop: LoopState;
  readonly rng: Rng;
  readonly adam: Adam;

  constructor(readonly learner: StageLearner, readonly o: FitOptions) {
    this.rng = new Rng(o.seed);
    this.adam = new Adam(learner.ops, o.adam);
    this.adam.track(learner.variables);
    this.loop = {
      stage: o.stage,
      direction: o.direction,
      epoch: 0,
      stepInEpoch: 0,
      globalStep: 0,
      position: 0,
      rng: this.rng.state,
      adamT: 0,
      done: false,
    };
  }

  /** Restores the stage's checkpoint if asked to and there is one; returns the first epoch. */
  async resume(): Promise<number> {
    const { o } = this;
    if (!o.resume || !o.checkpointDir) return 0;
    const c = await loadCheckpoint(o.checkpointDir);
    if (!c || c.loop.stage !== o.stage || c.loop.direction !== o.direction) return 0;
    this.loop = c.loop;
    this.rng.state = c.loop.rng;
    this.learner.restoreState(c);
    const scopes = new Map(this.learner.variables.map((v) => [paramName(v.name), v.name]));
    this.adam.import(
      { t: c.loop.adamT, moments: momentSection(c.tensors) },
      (k) => scopes.get(k) ?? k,
    );
    // A finished stage (all epochs, or stopped early) trains no further.
    const first = c.loop.done ? o.epochs : c.loop.epoch;
    console.error(
      `Resumed ${o.stage} ${o.direction} at epoch ${first + 1}, step ${c.loop.globalStep}`,
    );
    return first;
  }

  /** Saves the learner's state with the optimizer's and the loop's. */
  async save(): Promise<void> {
    if (!this.o.checkpointDir) return;
    const s = await this.learner.checkpointState();
    const tensors = {
      ...s.tensors,
      ...momentTensors((await this.adam.export(paramName)).moments),
    };
    Object.assign(this.loop, {
      position: s.position,
      rng: this.rng.state,
      adamT: this.adam.t,
      ...(s.best !== undefined ? { best: s.best } : {}),
      extra: s.extra,
    });
    await saveCheckpoint(this.o.checkpointDir, { loop: this.loop, tensors });
  }

  /** The checkpoint of an epoch's end: the next epoch at its first step. */
  async saveEpochEnd(epoch: number, done: boolean): Promise<void> {
    Object.assign(this.loop, { epoch: epoch + 1, stepInEpoch: 0, done });
    await this.save();
  }
}

/** This epoch's rate multiplier of each variable under the plan (0: frozen). */
function rateFunction(learner: StageLearner, plan: EpochPlan, factor: number) {
  const rates = discriminativeRates(learner.groups, 1, factor);
  return (name: string) => {
    const g = learner.groupOf(name);
    return g < plan.lowestTrainable ? 0 : rates[g];
  };
}

/**
 * Trains `learner` for `o.epochs` epochs from where its checkpoint left off, logging every step
 * and validation to `log`. A stop request (or `maxSteps`) ends the run: a mid-epoch learner
 * saves a checkpoint at once and sets `stop.stoppedAt`; another validates its partial epoch.
 */
export async function fit(
  learner: StageLearner,
  o: FitOptions,
  log: MetricsLog,
  stop: StopSignal,
): Promise<FitOutcome> {
  const s = new FitState(learner, o);
  try {
    const first = await s.resume();
    const estimate = new StageEstimate(
      `${o.stage} ${o.direction}, ${learner.stopEarly ? "up to " : ""}${o.epochs - first} epoch(s)`,
      learner.work.perEpoch * Math.max(0, o.epochs - first) -
        (learner.work.unit === "batches" ? s.loop.stepInEpoch : 0),
      learner.work.unit,
    );
    const counts = { batches: 0, tokens: 0 };
    let stopped = false;
    for (let epoch = first; epoch < o.epochs; epoch++) {
      s.loop.epoch = epoch;
      stopped = await runEpoch(s, epoch, estimate, counts, log, stop) === "stopped";
      if (stopped) break;
      const last = epoch + 1 === o.epochs;
      const why = last ? undefined : learner.stopEarly?.();
      await s.saveEpochEnd(epoch, last || why !== undefined);
      if (why !== undefined) {
        console.error(why);
        await log.add({ type: "early-stop", stage: o.stage, direction: o.direction, epoch });
        break;
      }
    }
    learner.finish();
    return { stopped };
  } finally {
    s.adam.dispose();
    learner.dispose();
  }
}

/**
 * One epoch: steps until the learner's data runs out, then validation. Returns "stopped" when a
 * stop request ended it (after a checkpoint, or after validating, as the learner resumes).
 */
async function runEpoch(
  s: FitState,
  epoch: number,
  estimate: StageEstimate,
  counts: { batches: number; tokens: number },
  log: MetricsLog,
  stop: StopSignal,
): Promise<"done" | "stopped"> {
  const { learner, o, loop } = s;
  const plan = epochPlan(epoch, {
    groups: learner.groups,
    maxLr: o.lr,
    warmup: o.warmup,
    gradualUnfreeze: o.gradualUnfreeze,
    cosine: o.cosine,
    rampShare: o.rampShare,
  });
  const rateOf = rateFunction(learner, plan, o.discriminativeFactor);
  const active = learner.variables.filter((v) => rateOf(v.name) > 0);
  const total = learner.beginEpoch(epoch, s.rng);
  const bar = new ProgressBar({
    label: `${o.stage} ${o.direction} epoch ${epoch + 1}/${o.epochs}`,
    total,
    initial: Math.min(loop.stepInEpoch, total),
  });
  const started = performance.now();
  let tokens = 0, lastLoss = NaN, halted = false;
  while (true) {
    const scheduledLr = plan.rate(Math.min(loop.stepInEpoch, total), total);
    const r = await learner.step({ adam: s.adam, rng: s.rng, active, rateOf, scheduledLr });
    if (!r) break;
    if (!Number.isFinite(r.loss)) {
      throw new TrainingDiverged(o.stage, loop.globalStep, o.checkpointDir ?? "memory");
    }
    loop.stepInEpoch++, loop.globalStep++;
    counts.batches++, counts.tokens += r.tokens;
    announce(estimate.after(counts[learner.work.unit], counts.batches));
    tokens += r.tokens;
    lastLoss = r.loss;
    const tps = tokens / ((performance.now() - started) / 1000);
    bar.update(Math.min(loop.stepInEpoch, total), {
      loss: r.loss,
      lr: r.lr,
      "tok/s": Math.round(tps),
    });
    await log.add({
      type: "step",
      stage: o.stage,
      direction: o.direction,
      epoch,
      step: loop.globalStep,
      loss: r.loss,
      lr: r.lr,
      // A classifier batch's size in tokens varies; an LM batch's is its rows × window.
      ...(learner.work.unit === "tokens" ? { tokens: r.tokens } : {}),
      tokensPerSec: tps,
    });
    if (learner.resumesMidEpoch && o.checkpointEvery && loop.globalStep % o.checkpointEvery === 0) {
      await s.save();
    }
    const stopNow = stop.requested || (o.maxSteps !== undefined && loop.globalStep >= o.maxSteps);
    if (stopNow && learner.resumesMidEpoch) {
      await s.save();
      stop.stoppedAt = o.checkpointDir;
      return "stopped";
    }
    if (stopNow) {
      halted = true;
      break;
    }
  }
  bar.finish(await learner.endEpoch(epoch, lastLoss));
  loop.stepInEpoch = 0;
  // A stop that came during validation ends here too, before the epoch's checkpoint.
  return (halted || stop.requested) && !learner.resumesMidEpoch ? "stopped" : "done";
}
