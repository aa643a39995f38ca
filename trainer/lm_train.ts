/**
 * The language-model training loop for stage 1 (general-domain pretraining)
 * and stage 2 (target-task fine-tuning): stateful batches, dropout masks,
 * AR/TAR and validation perplexity, driven by the epoch runner of `fit.ts`
 * (Adam with discriminative rates, the FitLaM schedule, checkpoints and exact
 * resume mid-epoch: the stream position and the carried hidden state).
 *
 * @module
 */
import type { Tensor2D, Variable } from "@tensorflow/tfjs";
import type { Ops } from "../shared/ops/ops.ts";
import type { AwdLstm, LstmState } from "../shared/model/awd_lstm.ts";
import { disposeMasks, sampleEncoderMasks } from "../shared/model/dropout.ts";
import { paramName } from "../shared/model/params.ts";
import type { Rng } from "../shared/rng.ts";
import type { NamedTensor } from "../shared/weights/safetensors.ts";
import { type Checkpoint, type CheckpointModel, paramSection, paramTensors } from "./checkpoint.ts";
import {
  fit,
  type LearnerState,
  type StageLearner,
  type StepInput,
  type StepOutcome,
} from "./fit.ts";
import {
  batchAt,
  drawSeqLen,
  expectedBatches,
  type LmBatch,
  type LmRows,
  toRows,
} from "./lm_batches.ts";
import type { MetricsLog } from "./metrics.ts";
import type { Adam, AdamConfig } from "./optim.ts";
import type { StopSignal } from "./signals.ts";

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
  /** Save a checkpoint every this many steps too (0 or undefined: only per epoch). */
  checkpointEvery?: number;
  checkpointDir: string;
  /** Continue from the checkpoint in `checkpointDir`. */
  resume?: boolean;
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

/** Stages 1 and 2 as a {@linkcode StageLearner}: the stream, the carried state, validation. */
class LmLearner implements StageLearner {
  readonly ops: Ops;
  readonly variables: Variable[];
  readonly groups: number;
  readonly work: { unit: "batches"; perEpoch: number };
  readonly resumesMidEpoch = true;
  readonly validLosses: number[] = [];
  #rows: LmRows;
  #position = 0;
  #state?: LstmState;

  constructor(
    readonly lm: AwdLstm,
    train: Int32Array,
    readonly valid: Int32Array | undefined,
    readonly o: LmStageOptions,
    readonly log: MetricsLog,
  ) {
    this.ops = lm.ops;
    this.variables = lm.params.trainable();
    this.groups = lm.config.numLayers + 1;
    this.#rows = toRows(train, o.bs);
    this.work = { unit: "batches", perEpoch: expectedBatches(this.#rows, o.bptt) };
  }

  groupOf(name: string): number {
    return lmGroupOf(paramName(name), this.lm.config.numLayers);
  }

  beginEpoch(): number {
    return this.work.perEpoch;
  }

  async step(s: StepInput): Promise<StepOutcome | undefined> {
    const seqLen = drawSeqLen(s.rng, this.o.bptt, true);
    const b = batchAt(this.#rows, this.#position, seqLen);
    if (!b) return undefined;
    // AWD-LSTM scales the rate with the window length.
    const lr = s.scheduledLr * b.len / this.o.bptt;
    const r = await lmStep(this.lm, s.adam, s.rng, b, this.#state, s.active, lr, s.rateOf, this.o);
    this.#state = r.state;
    this.#position = b.next;
    return { loss: r.loss, lr, tokens: b.bs * b.len };
  }

  async endEpoch(epoch: number, lastLoss: number): Promise<Record<string, number>> {
    const fields: Record<string, number> = { loss: lastLoss };
    if (this.valid && this.valid.length > 2) {
      const v = await lmValidationLoss(this.lm, this.valid, this.o.bs, this.o.bptt);
      this.validLosses.push(v);
      fields["val loss"] = v;
      fields["val ppl"] = Math.exp(v);
      await this.log.add({
        type: "valid",
        stage: this.o.stage,
        direction: this.o.direction,
        epoch,
        loss: v,
        perplexity: Math.exp(v),
      });
    }
    // Each epoch reads the stream from its start with a fresh state.
    this.#position = 0;
    this.dispose();
    return fields;
  }

  async checkpointState(): Promise<LearnerState> {
    const tensors = paramTensors("param.", await this.lm.params.export());
    await stateTensors(this.#state, tensors);
    const { model } = this.o;
    return {
      tensors,
      position: this.#position,
      extra: {
        validLosses: this.validLosses,
        ...(model ? { model: { ...model, encoder: this.lm.config } } : {}),
      },
    };
  }

  restoreState(c: Checkpoint): void {
    const L = this.lm.config.numLayers;
    this.lm.params.load(paramSection(c.tensors, "param."));
    this.#position = c.loop.position;
    this.validLosses.push(...((c.loop.extra?.validLosses as number[]) ?? []));
    const tensorOf = (t: NamedTensor): Tensor2D =>
      this.ops.tensor2d(t.data as Float32Array, t.shape as [number, number]);
    if (c.tensors["state.h.0"]) {
      this.#state = {
        h: Array.from({ length: L }, (_, l) => tensorOf(c.tensors[`state.h.${l}`])),
        c: Array.from({ length: L }, (_, l) => tensorOf(c.tensors[`state.c.${l}`])),
      };
    }
  }

  finish(): void {}

  dispose(): void {
    this.lm.disposeState(this.#state);
    this.#state = undefined;
  }
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
  const learner = new LmLearner(lm, train, valid, o, log);
  await fit(learner, o, log, stop);
  return learner.validLosses;
}
