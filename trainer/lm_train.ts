/**
 * The language-model training loop for stage 1 (general-domain pretraining)
 * and stage 2 (target-task fine-tuning): stateful batches, dropout masks,
 * AR/TAR, Adam with discriminative rates, the FitLaM schedule, validation
 * perplexity, checkpoints and exact resume.
 *
 * @module
 */
import type { Tensor2D, Variable } from "@tensorflow/tfjs";
import type { AwdLstm, LstmState } from "../shared/model/awd_lstm.ts";
import { disposeMasks, sampleEncoderMasks } from "../shared/model/dropout.ts";
import { paramName } from "../shared/model/params.ts";
import { Rng } from "../shared/rng.ts";
import type { NamedTensor } from "../shared/weights/safetensors.ts";
import {
  type Checkpoint,
  type CheckpointModel,
  loadCheckpoint,
  type LoopState,
  momentSection,
  momentTensors,
  paramSection,
  paramTensors,
  saveCheckpoint,
} from "./checkpoint.ts";
import {
  batchAt,
  drawSeqLen,
  expectedBatches,
  type LmBatch,
  type LmRows,
  toRows,
} from "./lm_batches.ts";
import type { MetricsLog } from "./metrics.ts";
import { Adam, type AdamConfig } from "./optim.ts";
import { ProgressBar } from "../shared/progress.ts";
import { discriminativeRates, epochPlan } from "./schedule.ts";
import { type StopSignal, TrainingDiverged } from "./signals.ts";
import { announce, StageEstimate } from "./estimate.ts";

/** Settings of one LM stage. */
export interface LmStageOptions {
  stage: "pretrain" | "finetune-lm";
  direction: "fwd" | "bwd";
  epochs: number;
  bs: number;
  bptt: number;
  lr: number;
  warmup: boolean;
  gradualUnfreeze: boolean;
  cosine: boolean;
  /** Lower group rate = upper × factor; 1 disables discriminative rates. */
  discriminativeFactor: number;
  alpha: number;
  beta: number;
  dropMult: number;
  adam: AdamConfig;
  seed: number;
  /** Save a checkpoint every this many steps (0: only per epoch). */
  checkpointEvery: number;
  checkpointDir: string;
  resume: boolean;
  /** Stop after this many steps in total (tests of resume); undefined: run all. */
  maxSteps?: number;
  /** Vocabulary and preset stored in each checkpoint, so one can be exported as a model folder. */
  model?: CheckpointModel;
}

/** Layer group of an LM parameter: rnns.l → l; embedding and decoder on top. */
export function lmGroupOf(name: string, numLayers: number): number {
  const m = /^rnns\.(\d+)\./.exec(name);
  return m ? Number(m[1]) : numLayers;
}

/** Mean cross-entropy over a validation stream (no dropout, fixed BPTT). */
export async function lmValidationLoss(
  lm: AwdLstm,
  stream: Int32Array,
  bs: number,
  bptt: number,
): Promise<number> {
  const { ops } = lm;
  const rows = toRows(stream, Math.max(1, Math.min(bs, Math.floor(stream.length / 2))));
  let state: LstmState | undefined;
  let total = 0, count = 0;
  for (let pos = 0;;) {
    const b = batchAt(rows, pos, bptt);
    if (!b) break;
    const prev: LstmState | undefined = state;
    const { loss, h, c } = ops.tidy(() => {
      const r = lm.lmLoss(
        ops.tensor2d(b.x, [b.bs, b.len], "int32"),
        ops.tensor2d(b.y, [b.bs, b.len], "int32"),
        { state: prev },
      );
      return { loss: r.crossEntropy, h: r.state.h, c: r.state.c };
    });
    const next: LstmState = { h, c };
    lm.disposeState(prev);
    state = next;
    total += (await loss.data())[0] * b.bs * b.len;
    count += b.bs * b.len;
    loss.dispose();
    pos = b.next;
  }
  lm.disposeState(state);
  return total / Math.max(1, count);
}

function stateTensors(s: LstmState | undefined, out: Record<string, NamedTensor>) {
  if (!s) return Promise.resolve();
  return Promise.all(
    [...s.h.map((t, l) => ["h", l, t] as const), ...s.c.map((t, l) => ["c", l, t] as const)]
      .map(async ([k, l, t]) => {
        out[`state.${k}.${l}`] = {
          dtype: "F32",
          shape: t.shape,
          data: (await t.data()) as Float32Array,
        };
      }),
  );
}

/** What {@linkcode lmStep} returns. */
export interface LmStepResult {
  /** The batch's loss; not finite when the step diverged (then nothing was updated). */
  loss: number;
  /** The hidden state to carry into the next batch (undefined after a diverged step). */
  state?: LstmState;
}

/**
 * One optimizer step of an LM on batch `b` (fresh dropout masks from `rng`),
 * carrying the hidden state `prev` over (and disposing it). Shared by the
 * training loop and the learning-rate range test.
 */
export async function lmStep(
  lm: AwdLstm,
  adam: Adam,
  rng: Rng,
  b: LmBatch,
  prev: LstmState | undefined,
  active: Variable[],
  lr: number,
  rateOf: (name: string) => number,
  o: { alpha: number; beta: number; dropMult: number },
): Promise<LmStepResult> {
  const { ops } = lm;
  const masks = sampleEncoderMasks(ops, rng, lm.config, b.bs, o.dropMult);
  const x = ops.tensor2d(b.x, [b.bs, b.len], "int32");
  const y = ops.tensor2d(b.y, [b.bs, b.len], "int32");
  let next: LstmState | undefined;
  const { value, grads } = ops.variableGrads(() => {
    const r = lm.lmLoss(x, y, { state: prev, masks, alpha: o.alpha, beta: o.beta });
    next = { h: r.state.h.map((t) => ops.keep(t)), c: r.state.c.map((t) => ops.keep(t)) };
    return r.loss;
  }, active);
  const loss = (await value.data())[0];
  if (Number.isFinite(loss)) await adam.step(grads, lr, rateOf);
  ops.dispose([value, x, y, ...Object.values(grads)]);
  disposeMasks(ops, masks);
  lm.disposeState(prev);
  if (Number.isFinite(loss)) return { loss, state: next };
  lm.disposeState(next);
  return { loss };
}

/**
 * Trains `lm` on `train` (a token-id stream) for one stage, validating on
 * `valid` each epoch. Resumes from the stage's checkpoint when asked.
 * Returns the validation losses per epoch.
 */
export async function trainLm(
  lm: AwdLstm,
  train: Int32Array,
  valid: Int32Array | undefined,
  o: LmStageOptions,
  log: MetricsLog,
  stop: StopSignal,
): Promise<number[]> {
  const { ops } = lm;
  const L = lm.config.numLayers;
  const groups = L + 1;
  const rows: LmRows = toRows(train, o.bs);
  const perEpoch = expectedBatches(rows, o.bptt);
  const groupRates = discriminativeRates(groups, 1, o.discriminativeFactor);
  const vars = lm.params.trainable();
  const adam = new Adam(ops, o.adam);
  adam.track(vars);
  const rng = new Rng(o.seed);
  let loop: LoopState = {
    stage: o.stage,
    direction: o.direction,
    epoch: 0,
    stepInEpoch: 0,
    globalStep: 0,
    position: 0,
    rng: rng.state,
    adamT: 0,
    done: false,
  };
  let state: LstmState | undefined;
  const validLosses: number[] = [];

  if (o.resume) {
    const c = await loadCheckpoint(o.checkpointDir);
    if (c && c.loop.stage === o.stage && c.loop.direction === o.direction) {
      loop = c.loop;
      rng.state = loop.rng;
      restore(c);
      console.error(
        `Resumed ${o.stage} ${o.direction} at epoch ${loop.epoch + 1}, step ${loop.globalStep}`,
      );
      if (loop.done) return (loop.extra?.validLosses as number[]) ?? [];
      validLosses.push(...((loop.extra?.validLosses as number[]) ?? []));
    }
  }

  function restore(c: Checkpoint) {
    const params = paramSection(c.tensors, "param.");
    const moments = momentSection(c.tensors);
    lm.params.load(params);
    const scope = lm.params.scope;
    adam.import({ t: c.loop.adamT, moments }, (k) => scope + k);
    if (c.tensors["state.h.0"]) {
      state = {
        h: Array.from({ length: L }, (_, l) => tensorOf(c.tensors[`state.h.${l}`])),
        c: Array.from({ length: L }, (_, l) => tensorOf(c.tensors[`state.c.${l}`])),
      };
    }
  }

  function tensorOf(t: NamedTensor): Tensor2D {
    return ops.tensor2d(t.data as Float32Array, t.shape as [number, number]);
  }

  async function checkpoint() {
    const tensors: Record<string, NamedTensor> = {
      ...paramTensors("param.", await lm.params.export()),
      ...momentTensors((await adam.export(paramName)).moments),
    };
    await stateTensors(state, tensors);
    loop.rng = rng.state;
    loop.adamT = adam.t;
    loop.extra = {
      validLosses,
      ...(o.model ? { model: { ...o.model, encoder: lm.config } } : {}),
    };
    await saveCheckpoint(o.checkpointDir, { loop, tensors });
  }

  const estimate = new StageEstimate(
    `${o.stage} ${o.direction}, ${o.epochs - loop.epoch} epoch(s)`,
    perEpoch * (o.epochs - loop.epoch) - loop.stepInEpoch,
    "batches",
  );
  let stageBatches = 0;
  try {
    for (; loop.epoch < o.epochs; loop.epoch++) {
      const plan = epochPlan(loop.epoch, {
        groups,
        maxLr: o.lr,
        warmup: o.warmup,
        gradualUnfreeze: o.gradualUnfreeze,
        cosine: o.cosine,
      });
      const rateOf = (name: string) => {
        const g = lmGroupOf(paramName(name), L);
        return g < plan.lowestTrainable ? 0 : groupRates[g];
      };
      const active = vars.filter((v) => rateOf(v.name) > 0);
      const bar = new ProgressBar({
        label: `${o.stage} ${o.direction} epoch ${loop.epoch + 1}/${o.epochs}`,
        total: perEpoch,
        initial: Math.min(loop.stepInEpoch, perEpoch),
      });
      const started = performance.now();
      let tokens = 0;
      let lastLoss = NaN;
      while (true) {
        const seqLen = drawSeqLen(rng, o.bptt, true);
        const b = batchAt(rows, loop.position, seqLen);
        if (!b) break;
        // AWD-LSTM scales the rate with the window length.
        const lr = plan.rate(Math.min(loop.stepInEpoch, perEpoch), perEpoch) * b.len / o.bptt;
        const r = await lmStep(lm, adam, rng, b, state, active, lr, rateOf, o);
        if (!Number.isFinite(r.loss)) {
          throw new TrainingDiverged(o.stage, loop.globalStep, o.checkpointDir);
        }
        const loss = r.loss;
        state = r.state;
        loop.position = b.next;
        loop.stepInEpoch++, loop.globalStep++;
        stageBatches++;
        announce(estimate.after(stageBatches, stageBatches));
        tokens += b.bs * b.len;
        lastLoss = loss;
        const tps = tokens / ((performance.now() - started) / 1000);
        bar.update(Math.min(loop.stepInEpoch, perEpoch), { loss, lr, "tok/s": Math.round(tps) });
        await log.add({
          type: "step",
          stage: o.stage,
          direction: o.direction,
          epoch: loop.epoch,
          step: loop.globalStep,
          loss,
          lr,
          tokensPerSec: tps,
        });
        if (o.checkpointEvery > 0 && loop.globalStep % o.checkpointEvery === 0) await checkpoint();
        if (stop.requested || (o.maxSteps !== undefined && loop.globalStep >= o.maxSteps)) {
          await checkpoint();
          stop.stoppedAt = o.checkpointDir;
          return validLosses;
        }
      }
      const fields: Record<string, number> = { loss: lastLoss };
      if (valid && valid.length > 2) {
        const v = await lmValidationLoss(lm, valid, o.bs, o.bptt);
        validLosses.push(v);
        fields["val loss"] = v;
        fields["val ppl"] = Math.exp(v);
        await log.add({
          type: "valid",
          stage: o.stage,
          direction: o.direction,
          epoch: loop.epoch,
          loss: v,
          perplexity: Math.exp(v),
        });
      }
      bar.finish(fields);
      loop.position = 0, loop.stepInEpoch = 0;
      lm.disposeState(state);
      state = undefined;
      if (loop.epoch + 1 < o.epochs) {
        loop.epoch++;
        await checkpoint();
        loop.epoch--;
      }
    }
    loop.done = true;
    loop.epoch = o.epochs;
    await checkpoint();
    return validLosses;
  } finally {
    adam.dispose();
    lm.disposeState(state);
  }
}
