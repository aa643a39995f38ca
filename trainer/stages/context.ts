/**
 * What every stage of a run reads: the settings, the backend, the metrics log, the stop signal
 * and the target task prepared once (stage 2's text, stage 3's documents, the task vocabulary).
 *
 * @module
 */
import { initBackend } from "../../shared/backend.ts";
import { headConfigProblem } from "../../shared/model/config.ts";
import type { Direction } from "../../shared/model/io.ts";
import type { Ops } from "../../shared/ops/ops.ts";
import { tokenize } from "../../shared/tokenizer/tokenizer.ts";
import { countTokens, Vocab } from "../../shared/tokenizer/vocab.ts";
import type { TrainConfig } from "../config.ts";
import type { LabeledDoc, TaskData } from "../data/mod.ts";
import { capDocs, generalCorpus } from "../lm_data.ts";
import { MetricsLog } from "../metrics.ts";
import { writeReport } from "../report.ts";
import { checkResumeSettings, lmDigests } from "../resume_guard.ts";
import { StopSignal } from "../signals.ts";
import { budgetValidation, classifierDocs, interleave, targetTask } from "../task_prep.ts";

/** The stages a user can run one by one. */
export const STAGES = ["pretrain", "finetune-lm", "classify", "evaluate"] as const;
/** One of {@linkcode STAGES}. */
export type Stage = typeof STAGES[number];

/** The backend, log and stop signal of a run, opened before its task is read. */
export interface RunSession {
  readonly c: TrainConfig;
  readonly ops: Ops;
  readonly log: MetricsLog;
  readonly stop: StopSignal;
}

/** What stage 1 needs: the session, the stages asked for and the general-domain corpus. */
export interface CorpusContext extends RunSession {
  readonly stages: readonly Stage[];
  /** The general-domain corpus, tokenized once for both directions. */
  corpus(): Promise<string[][]>;
}

/** A run's stage-1 context: the corpus is read on first use. */
export function corpusContext(session: RunSession, stages: readonly Stage[]): CorpusContext {
  let corpus: Promise<string[][]> | undefined;
  return { ...session, stages, corpus: () => corpus ??= generalCorpus(session.c) };
}

/** A run's session with its target task prepared. */
export interface RunContext extends CorpusContext {
  readonly task: TaskData;
  /** Stage 2's texts: the labelled training texts taken in turn with the unlabelled ones. */
  readonly taskTexts: string[];
  /** Stage 2's tokens (capped by `finetune.maxTokens`). */
  readonly taskTokens: string[][];
  /** Stage 3's training documents, on which the baseline trains too. */
  readonly stage3Docs: LabeledDoc[];
  /** The task's words, plus any pretrained word the task uses at all: its row carries over. */
  taskVocab(pretrained?: readonly string[]): Vocab;
}

/** The seed of a direction's models and loops: the backward model's differs. */
export function directionSeed(c: TrainConfig, dir: Direction): number {
  return c.seed + (dir === "bwd" ? 1000 : 0);
}

/**
 * Checks `--resume`'s settings, starts the backend, logs the run's `run` row and listens for
 * Ctrl-C (the caller detaches `stop`).
 */
export async function openSession(c: TrainConfig, stages: readonly Stage[]): Promise<RunSession> {
  if (c.resume) await checkResumeSettings(c, stages);
  // A bad stage-3 choice fails now, not after stages 1 and 2 have run.
  const problem = stages.includes("classify") ? headConfigProblem(c.classify) : undefined;
  if (problem) throw new Error(`Cannot start the run: classify.${problem}`);
  const { ops, description } = await initBackend(c.device);
  await Deno.mkdir(c.out, { recursive: true });
  const log = new MetricsLog(`${c.out}/metrics.jsonl`);
  await log.add({
    type: "run",
    config: c,
    stages,
    machine: `${Deno.build.os}-${Deno.build.arch}, ${navigator.hardwareConcurrency} cores`,
    backend: description,
    ...(c.from ? { lms: await lmDigests(c.from, c.directions) } : {}),
  });
  console.error(`fitlam: preset ${c.preset}, backend ${description}, output ${c.out}/`);
  return { c, ops, log, stop: new StopSignal().attach() };
}

/** Reads the target task and prepares what the stages share of it. */
export async function prepareTask(
  session: RunSession,
  stages: readonly Stage[],
): Promise<RunContext> {
  const { c } = session;
  const task = await budgetedTask(c);
  console.error(
    `target task ${task.name}: ${task.train.length} train, ${
      task.valid?.length ?? 0
    } valid, ${task.test.length} test; labels ${task.labels.join(", ")}` +
      (c.data ? "" : `; each message body cut to its first ${c.defaultMaxChars} characters`),
  );
  const taskTexts = interleave(task.train.map((d) => d.text), task.unlabeled ?? []);
  const taskTokens = capDocs(taskTexts.map(tokenize), c.finetune.maxTokens);
  const taskCounts = countTokens(taskTokens);
  return {
    ...corpusContext(session, stages),
    task,
    taskTexts,
    taskTokens,
    stage3Docs: classifierDocs(task.train, c.classify.maxTrainDocs, c.seed),
    taskVocab: (pretrained) =>
      Vocab.build(taskCounts, {
        maxSize: c.maxVocab,
        minFreq: c.minFreq,
        keep: pretrained ? new Set(pretrained) : undefined,
      }),
  };
}

/** The target task, its carved validation split kept to a tenth of a capped label budget. */
async function budgetedTask(c: TrainConfig): Promise<TaskData> {
  const full = await targetTask(c);
  const max = c.classify.maxTrainDocs;
  const task = budgetValidation(full, max, c.seed, Boolean(c.valid));
  const before = full.valid?.length ?? 0, after = task.valid?.length ?? 0;
  if (after < before) {
    console.error(
      `validation: ${after} of the ${before} documents set aside, a tenth of the labels this ` +
        `run uses (classify.maxTrainDocs ${max}); the other ${before - after} join the ` +
        "unlabelled text (`--valid FILE` keeps a validation file whole)",
    );
  }
  return task;
}

/** Logs the run's `end` row and writes its report; returns the run's seconds since `t0`. */
export async function closeRun(session: RunSession, t0: number): Promise<number> {
  const seconds = (performance.now() - t0) / 1000;
  await session.log.add({ type: "end", seconds });
  const { out } = session.c;
  await writeReport(`${out}/metrics.jsonl`, `${out}/report.html`);
  return seconds;
}
