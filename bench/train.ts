/**
 * `deno task bench train`: language-model training speed in tokens per
 * second (forward, backward, clipping and Adam, the trainer's step on random
 * tokens at a fixed BPTT), against bench/torch_train.py on the same sizes.
 *
 * @module
 */
import type { Tensor2D } from "@tensorflow/tfjs";
import { initBackend } from "../shared/backend.ts";
import { AwdLstm, type LstmState } from "../shared/model/awd_lstm.ts";
import { encoderPreset, type PresetName } from "../shared/model/config.ts";
import { disposeMasks, sampleEncoderMasks } from "../shared/model/dropout.ts";
import type { Ops } from "../shared/ops/ops.ts";
import { Rng } from "../shared/rng.ts";
import { Adam, ADAM_DEFAULTS } from "../trainer/optim.ts";
import {
  type BenchOptions,
  type BenchRow,
  findTorch,
  kernelsLabel,
  median,
  NO_TORCH,
  runReference,
  withRatio,
} from "./common.ts";

/** Vocabulary size the benchmark uses for each preset. */
export const BENCH_VOCAB: Record<PresetName, number> = { tiny: 1000, small: 5000, paper: 10000 };

/** One LM training setup to time. */
export interface TrainConfig {
  preset: PresetName;
  bs: number;
  bptt: number;
  vocab: number;
}

/**
 * A language model plus optimizer and state that takes training steps the
 * way trainer/lm_train.ts does (fresh dropout masks each step, AR/TAR,
 * clipped Adam, state carried and detached).
 */
export class LmStepper {
  readonly lm: AwdLstm;
  readonly adam: Adam;
  readonly rng = new Rng(1);
  state: LstmState | undefined;
  readonly x: Tensor2D;
  readonly y: Tensor2D;

  constructor(readonly ops: Ops, readonly c: TrainConfig) {
    this.lm = new AwdLstm(ops, encoderPreset(c.preset, c.vocab), 0);
    this.adam = new Adam(ops, ADAM_DEFAULTS);
    this.adam.track(this.lm.params.trainable());
    const ids = (n: number) => Int32Array.from({ length: n }, () => this.rng.int(c.vocab));
    this.x = ops.tensor2d(ids(c.bs * c.bptt), [c.bs, c.bptt], "int32");
    this.y = ops.tensor2d(ids(c.bs * c.bptt), [c.bs, c.bptt], "int32");
  }

  /** One training step; returns the loss. */
  async step(): Promise<number> {
    const { ops, lm } = this;
    const masks = sampleEncoderMasks(ops, this.rng, lm.config, this.c.bs, 1);
    const prev = this.state;
    let next: LstmState | undefined;
    const { value, grads } = ops.variableGrads(() => {
      const r = lm.lmLoss(this.x, this.y, { state: prev, masks, alpha: 2, beta: 1 });
      next = { h: r.state.h.map((t) => ops.keep(t)), c: r.state.c.map((t) => ops.keep(t)) };
      return r.loss;
    });
    const loss = (await value.data())[0];
    await this.adam.step(grads, 1e-3, () => 1);
    ops.dispose([value, ...Object.values(grads)]);
    disposeMasks(ops, masks);
    lm.disposeState(prev);
    this.state = next;
    return loss;
  }

  /** Waits until queued GPU work is done (a read of a small parameter). */
  async sync(): Promise<void> {
    await this.lm.params.get("decoder.bias").data();
  }

  dispose(): void {
    this.lm.disposeState(this.state);
    this.state = undefined;
    this.adam.dispose();
    this.lm.params.dispose();
    this.ops.dispose([this.x, this.y]);
  }
}

/** Times `steps` training steps after `warmup` and returns seconds per step (median). */
export async function timeFitlamTrain(
  ops: Ops,
  c: TrainConfig,
  warmup: number,
  steps: number,
): Promise<{ seconds: number; times: number[]; loss: number }> {
  const s = new LmStepper(ops, c);
  try {
    let loss = NaN;
    for (let i = 0; i < warmup; i++) loss = await s.step();
    await s.sync();
    const times: number[] = [];
    for (let i = 0; i < steps; i++) {
      const t0 = performance.now();
      loss = await s.step();
      await s.sync();
      times.push((performance.now() - t0) / 1000);
    }
    return { seconds: median(times), times, loss };
  } finally {
    s.dispose();
  }
}

/** The configurations `train` runs: the flags', or small at bs 16 and 64. */
export function trainConfigs(o: BenchOptions): TrainConfig[] {
  const bptt = 70;
  if (o.preset || o.bs) {
    const preset = o.preset ?? "small";
    const bs = o.bs ?? (preset === "paper" ? 16 : 64);
    return [{ preset, bs, bptt, vocab: BENCH_VOCAB[preset] }];
  }
  return [16, 64].map((bs) => ({ preset: "small", bs, bptt, vocab: BENCH_VOCAB.small }));
}

/** Runs the training benchmark for every configuration. */
export async function benchTrain(o: BenchOptions): Promise<BenchRow[]> {
  const { ops, description, backend } = await initBackend(o.device);
  const py = o.noReference ? null : await findTorch();
  if (!py && !o.noReference) o.log(NO_TORCH);
  const rows: BenchRow[] = [];
  for (const c of trainConfigs(o)) {
    const paper = c.preset === "paper";
    const warmup = o.quick ? 1 : 2;
    const steps = o.quick ? (paper ? 2 : 3) : (paper ? 3 : 7);
    o.log(`train ${c.preset} bs ${c.bs}: fitlam (${description}), ${warmup}+${steps} steps…`);
    const row: BenchRow = {
      name: "train",
      config: {
        preset: c.preset,
        bs: c.bs,
        bptt: c.bptt,
        vocab: c.vocab,
        backend: description,
        kernels: kernelsLabel(backend),
      },
      unit: "tokens/s",
    };
    try {
      const f = await timeFitlamTrain(ops, c, warmup, steps);
      row.fitlam = (c.bs * c.bptt) / f.seconds;
    } catch (e) {
      row.note = `fitlam failed: ${(e as Error).message.split("\n")[0]}`;
      o.log(row.note);
    }
    if (py) {
      const dev = o.referenceDevice ?? "cpu";
      o.log(`train ${c.preset} bs ${c.bs}: PyTorch ${py.torch} on ${dev}, ${o.threads} threads…`);
      const r = await runReference(py, "torch_train.py", [
        "--device",
        dev,
        "--preset",
        c.preset,
        "--vocab",
        String(c.vocab),
        "--bs",
        String(c.bs),
        "--bptt",
        String(c.bptt),
        "--warmup",
        String(warmup),
        "--steps",
        String(steps),
      ], o.threads).catch((e: Error) => {
        row.note = `${row.note ? row.note + "; " : ""}reference failed: ${
          e.message.split("\n")[0]
        }`;
        o.log(row.note);
        return undefined;
      });
      if (r) {
        row.reference = r.tokens_per_second as number;
        row.referenceName = `PyTorch ${r.torch} ${
          dev === "cpu" ? "CPU" : r.device
        }, ${r.threads} CPU threads (bench/torch_train.py)`;
      }
    }
    rows.push(withRatio(row));
  }
  return rows;
}
