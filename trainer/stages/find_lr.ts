/**
 * `deno task train lr-find STAGE`: the learning-rate range test on one stage's model and data,
 * prepared as training would prepare them, for each direction; nothing is trained or saved
 * but the plots and the `lr-find` rows of `metrics.jsonl`.
 *
 * @module
 */
import type { Direction } from "../../shared/model/io.ts";
import { writeFileAtomic } from "../../shared/weights/atomic.ts";
import type { TrainConfig } from "../config.ts";
import { concatStreams } from "../lm_data.ts";
import {
  classifierRangeTest,
  lmRangeTest,
  type LrSuggestion,
  type RangeResult,
  rangeTestSvg,
} from "../lr_find.ts";
import { classifierInputs, classifierStart } from "./classify.ts";
import { closeRun, directionSeed, openSession, prepareTask, type RunContext } from "./context.ts";
import { finetuneStream, groupFactor, startingLm } from "./finetune.ts";
import { pretrainInputs } from "./pretrain.ts";

/** The stages a range test can run on. */
export const RANGE_TEST_STAGES = ["pretrain", "finetune-lm", "classify"] as const;
/** One of {@linkcode RANGE_TEST_STAGES}. */
export type RangeTestStage = typeof RANGE_TEST_STAGES[number];

/** One learning-rate range test of an `lr-find` run. */
export interface LrFindReport {
  stage: RangeTestStage;
  direction: Direction;
  suggestion: LrSuggestion;
  /** The rate the config would train this stage with, for comparison. */
  configured: number;
  ended: RangeResult["ended"];
  plot: string;
}

/** The range tests of `stage`, one per direction of the config, with their plots in OUT/. */
export async function findLearningRates(
  c: TrainConfig,
  stage: RangeTestStage,
): Promise<LrFindReport[]> {
  if (stage === "pretrain" && (c.noPretrain || c.from)) {
    throw new Error(
      `Cannot run lr-find on pretrain: ${c.noPretrain ? "--no-pretrain" : `--from ${c.from}`} ` +
        "means stage 1 is not trained here; drop it, or test finetune-lm or classify",
    );
  }
  const t0 = performance.now();
  const session = await openSession(c, [stage]);
  try {
    const ctx = await prepareTask(session, [stage]);
    const reports: LrFindReport[] = [];
    for (const dir of c.directions) reports.push(await saveRangeTest(ctx, stage, dir));
    await closeRun(ctx, t0);
    return reports;
  } finally {
    session.stop.detach();
  }
}

/** The rate a stage is configured to train with. */
function configuredRate(c: TrainConfig, stage: RangeTestStage): number {
  return { pretrain: c.pretrain.lr, "finetune-lm": c.finetune.lr, classify: c.classify.lr }[stage];
}

/** Runs one range test, writes its plot, logs it and returns its report. */
async function saveRangeTest(
  ctx: RunContext,
  stage: RangeTestStage,
  dir: Direction,
): Promise<LrFindReport> {
  const r = await rangeTestOn(ctx, stage, dir);
  const base = `${ctx.c.out}/lr-find-${stage}-${dir}`;
  await writeFileAtomic(
    `${base}.svg`,
    rangeTestSvg(`${stage} ${dir}: learning-rate range test`, r),
  );
  await ctx.log.add({ type: "lr-find", stage, direction: dir, ...r });
  const s = r.suggestion, configured = configuredRate(ctx.c, stage);
  console.error(
    `lr-find ${stage} ${dir}: steepest fall at ${s.steepest?.toExponential(1) ?? "-"}, ` +
      `minimum/10 ${s.minOver10.toExponential(1)} (configured ${configured}); plot ${base}.svg`,
  );
  return { stage, direction: dir, suggestion: s, configured, ended: r.ended, plot: `${base}.svg` };
}

/** Prepares the stage's model and data as training would, and runs the range test on them. */
async function rangeTestOn(
  ctx: RunContext,
  stage: RangeTestStage,
  dir: Direction,
): Promise<RangeResult> {
  const { c } = ctx;
  const common = {
    steps: c.lrFindSteps,
    adam: c.adam,
    dropMult: c.dropMult,
    alpha: c.alpha,
    beta: c.beta,
    seed: directionSeed(c, dir),
    label: `lr-find ${stage} ${dir}`,
  };
  if (stage === "pretrain") {
    const { lm, encoded, heldOut } = await pretrainInputs(ctx, dir);
    const stream = concatStreams(encoded.slice(heldOut), dir === "bwd");
    const o = { ...common, bs: c.pretrain.bs, bptt: c.pretrain.bptt, discriminativeFactor: 1 };
    return await lmRangeTest(lm, stream, o).finally(() => lm.params.dispose());
  }
  // A classifier with --no-lm-finetune starts from the pretrained LM, as in training.
  const start = stage === "finetune-lm" || c.noLmFinetune
    ? await startingLm(ctx, dir, false)
    : undefined;
  if (stage === "finetune-lm") {
    const { lm, vocab } = start!;
    const o = {
      ...common,
      bs: c.finetune.bs,
      bptt: c.finetune.bptt,
      discriminativeFactor: groupFactor(c, c.finetune.discriminative),
    };
    return await lmRangeTest(lm, finetuneStream(ctx, vocab, dir), o)
      .finally(() => lm.params.dispose());
  }
  const { lm, vocab } = await classifierStart(ctx, dir, start);
  const { clf, train } = await classifierInputs(ctx, dir, lm, vocab);
  const o = {
    ...common,
    bs: c.classify.bs,
    dropMult: c.classify.dropMult,
    discriminativeFactor: groupFactor(c, c.classify.discriminative),
    trainMaxTokens: c.classify.trainMaxTokens,
    stepMemoryMB: c.classify.stepMemoryMB,
  };
  return await classifierRangeTest(clf, train, o).finally(() => clf.dispose());
}
