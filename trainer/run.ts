/**
 * The three FitLaM stages, run in order for each direction, with each
 * stage's output written to its own folder under `out/`:
 * `pretrain-{fwd,bwd}`, `finetune-{fwd,bwd}`, `classifier-{fwd,bwd}`, plus
 * `metrics.jsonl`, `test.json` and `report.html`. Each stage is a function of
 * its own in `stages/`; this module runs the ones asked for.
 *
 * @module
 */
import type { Direction } from "../shared/model/io.ts";
import { stageOneAlone, type TrainConfig } from "./config.ts";
import { classifierStart, classify } from "./stages/classify.ts";
import {
  closeRun,
  type CorpusContext,
  corpusContext,
  openSession,
  prepareTask,
  type RunContext,
  type Stage,
  STAGES,
} from "./stages/context.ts";
import {
  missedLabelWarnings,
  scoreTest,
  type SplitProbabilities,
  splitProbabilities,
  type TestScores,
  writeTestJson,
} from "./stages/evaluate.ts";
import { findLearningRates, type LrFindReport, type RangeTestStage } from "./stages/find_lr.ts";
import { finetuneLm, type StartingLm, startingLm } from "./stages/finetune.ts";
import { pretrain, rescorePretrained } from "./stages/pretrain.ts";

export { type Stage, STAGES };
export type { LrFindReport };

/** What a whole run reports at the end. */
export interface RunResult extends TestScores {
  seconds: number;
  out: string;
  stopped?: string;
  /** Problems a user should know of before deploying, e.g. a classifier at chance level. */
  warnings?: string[];
  /** Runs with `lrFind` set (the `--lr-find` alias): the range test of each direction. */
  lrFind?: LrFindReport[];
}

/**
 * Runs the requested stages. `stages` defaults to all of them. With `c.lrFind` set (the
 * `--lr-find` alias of `train lr-find STAGE`), runs the range test of the one training stage
 * named instead.
 */
export async function runTraining(
  c: TrainConfig,
  stages: readonly Stage[] = STAGES,
): Promise<RunResult> {
  if (c.lrFind) return await rangeTestAlias(c, stages);
  const t0 = performance.now();
  const session = await openSession(c, stages);
  const result: RunResult = { test: {}, seconds: 0, out: c.out };
  try {
    // Stage 1 alone reads the corpus, not the target task.
    if (stageOneAlone(stages)) {
      const ctx = corpusContext(session, stages);
      for (const dir of c.directions) {
        if (!await stageOne(ctx, dir)) return { ...result, stopped: session.stop.stoppedAt! };
      }
      result.seconds = await closeRun(ctx, t0);
      return result;
    }
    const ctx = await prepareTask(session, stages);
    const probs: Partial<Record<Direction, SplitProbabilities>> = {};
    for (const dir of c.directions) {
      const r = await runDirection(ctx, dir, result);
      if ("stopped" in r) return { ...result, stopped: r.stopped };
      if (r.probs) probs[dir] = r.probs;
    }
    if (Object.keys(probs).length) {
      Object.assign(result, await scoreTest(ctx, probs));
      const trained = ctx.stage3Docs.map((d) => d.label);
      for (const w of missedLabelWarnings(result.served, trained, c.classify.balanceLabels)) {
        (result.warnings ??= []).push(w);
      }
      await writeTestJson(ctx, result, result.warnings);
    }
    result.seconds = await closeRun(ctx, t0);
    return result;
  } catch (e) {
    throw session.ops.backend === "webgpu" ? gpuFailure(e, c.out) : e;
  } finally {
    session.stop.detach();
  }
}

/**
 * A WebGPU failure mid-run (seen on an NVIDIA H200 after 92 steps: "Buffer with '' label is
 * invalid") as an error that says what broke and what is kept; fitlam's own "Cannot" errors
 * pass unchanged.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { gpuFailure } from "./run.ts";
 * const e = gpuFailure(new Error("Buffer with '' label is invalid"), "runs/a") as Error;
 * assert.match(e.message,
 *   /^Cannot continue on webgpu: the GPU reported "Buffer .*runs\/a\/checkpoints.*--resume/);
 * const own = new Error("Cannot read x: missing");
 * assert.equal(gpuFailure(own, "runs/a"), own);
 * ```
 */
export function gpuFailure(e: unknown, out: string): unknown {
  const message = (e as Error)?.message;
  if (typeof message !== "string" || message.startsWith("Cannot")) return e;
  return new Error(
    `Cannot continue on webgpu: the GPU reported "${message}". The last checkpoint saved is in ` +
      `${out}/checkpoints: rerun the same command with --resume to go on from it (with ` +
      "--device wasm to go on without the GPU)",
    { cause: e },
  );
}

/** `--lr-find` on a stage list: the range test of its one training stage. */
async function rangeTestAlias(c: TrainConfig, stages: readonly Stage[]): Promise<RunResult> {
  const training = stages.filter((s): s is RangeTestStage => s !== "evaluate");
  if (training.length !== 1) {
    throw new Error(
      `Cannot run --lr-find on ${training.join(", ") || "no stage"}: name the one stage ` +
        "to test, e.g. `deno task train lr-find classify`",
    );
  }
  const t0 = performance.now();
  const lrFind = await findLearningRates(c, training[0]);
  return { test: {}, seconds: (performance.now() - t0) / 1000, out: c.out, lrFind };
}

/**
 * Stage 1 for a direction: trained here, or, with --from (another run or an import) and only
 * stage 1 asked for, the saved LM rescored. False when a stop interrupted training.
 */
async function stageOne(ctx: CorpusContext, dir: Direction): Promise<boolean> {
  const { c, stages } = ctx;
  const has = (s: Stage) => stages.includes(s);
  if (pretrainsHere(c, stages)) return await pretrain(ctx, dir);
  if (c.from && (c.lmEval.length || c.corpus) && !has("finetune-lm") && !has("classify")) {
    await rescorePretrained(ctx, dir);
  }
  return true;
}

/** Whether this run trains stage 1 itself; with --from, stage 1 comes from elsewhere. */
function pretrainsHere(c: TrainConfig, stages: readonly Stage[]): boolean {
  return stages.includes("pretrain") && !c.noPretrain && !c.from;
}

/** What one direction's stages leave: test probabilities, or where a stop saved its state. */
type DirectionOutcome = { probs?: SplitProbabilities } | { stopped: string };

/** Runs the requested stages for one direction, stage after stage. */
async function runDirection(
  ctx: RunContext,
  dir: Direction,
  result: RunResult,
): Promise<DirectionOutcome> {
  const { c, stages, stop } = ctx;
  const has = (s: Stage) => stages.includes(s);
  if (!await stageOne(ctx, dir)) return { stopped: stop.stoppedAt! };
  const pretrainHere = pretrainsHere(c, stages);

  // A classifier alone starts from this run's fine-tuned LM, read below, not from stage 1.
  let finetuned: StartingLm | undefined;
  if (has("finetune-lm") || (has("classify") && c.noLmFinetune)) {
    finetuned = await startingLm(ctx, dir, pretrainHere);
    if (has("finetune-lm") && !c.noLmFinetune && !await finetuneLm(ctx, dir, finetuned)) {
      return { stopped: stop.stoppedAt! };
    }
  }

  let trained;
  if (has("classify")) {
    const start = await classifierStart(ctx, dir, finetuned);
    const r = await classify(ctx, dir, start);
    if (r.warning) (result.warnings ??= []).push(r.warning);
    if ("stopped" in r) return { stopped: r.stopped };
    trained = { clf: r.clf, vocab: start.vocab };
  } else {
    finetuned?.lm.params.dispose();
  }

  if (!has("evaluate") && !has("classify")) return {};
  return { probs: await splitProbabilities(ctx, dir, trained) };
}
