/**
 * The three FitLaM stages, run in order for each direction, with each
 * stage's output written to its own folder under `out/`:
 * `pretrain-{fwd,bwd}`, `finetune-{fwd,bwd}`, `classifier-{fwd,bwd}`, plus
 * `metrics.jsonl`, `test.json` and `report.html`.
 *
 * @module
 */
import { initBackend } from "../shared/backend.ts";
import { AwdLstm } from "../shared/model/awd_lstm.ts";
import { TextClassifier } from "../shared/model/classifier.ts";
import { encoderPreset, headPreset } from "../shared/model/config.ts";
import {
  type Direction,
  loadClassifierModel,
  loadLm,
  saveClassifier,
  saveLm,
} from "../shared/model/io.ts";
import { predictProbabilities } from "../shared/pipeline.ts";
import { writeFileAtomic } from "../shared/weights/atomic.ts";
import { ProgressBar } from "../shared/progress.ts";
import { tokenize } from "../shared/tokenizer/tokenizer.ts";
import { countTokens, Vocab } from "../shared/tokenizer/vocab.ts";
import { scoreProbabilities, trainClassifier, trainingDocs } from "./clf_train.ts";
import type { TrainConfig } from "./config.ts";
import {
  capDocs,
  concatStreams,
  count,
  generalCorpus,
  heldOutCount,
  remapVocab,
  reportPerplexity,
} from "./lm_data.ts";
import { trainLm } from "./lm_train.ts";
import { epochsWithin, passesPerEpoch } from "./schedule.ts";
import {
  type BaselineSummary,
  chanceWarning,
  classifierDocs,
  encodeDocs,
  interleave,
  scoreBaseline,
  targetTask,
} from "./task_prep.ts";
import {
  classifierRangeTest,
  lmRangeTest,
  type LrSuggestion,
  type RangeResult,
  rangeTestSvg,
} from "./lr_find.ts";
import { MetricsLog, type TrainingStage } from "./metrics.ts";
import { writeReport } from "./report.ts";
import { checkResumeSettings } from "./resume_guard.ts";
import { StopSignal } from "./signals.ts";

/** "N epochs", and why when a token budget chose fewer than the configured number. */
function epochsNote(epochs: number, configured: number, stage: "finetune" | "classify"): string {
  const n = `${epochs} epoch${epochs === 1 ? "" : "s"}`;
  return epochs < configured
    ? `${n} (of ${configured}: the ${stage}.tokenBudget fits no more over this data)`
    : n;
}

/** The stages a user can run one by one. */
export const STAGES = ["pretrain", "finetune-lm", "classify", "evaluate"] as const;
/** One of {@linkcode STAGES}. */
export type Stage = typeof STAGES[number];

/** What a whole run reports at the end. */
export interface RunResult {
  test: Partial<Record<Direction | "avg", number>>;
  /** Confusion matrix of the averaged classifier on the test split: rows true, columns predicted. */
  confusion?: { labels: string[]; counts: number[][] };
  seconds: number;
  out: string;
  stopped?: string;
  /** The bag-of-words baseline on the same split (TF-IDF 1-2-grams + logistic regression). */
  baseline?: BaselineSummary;
  /** Problems a user should know of before deploying, e.g. a classifier at chance level. */
  warnings?: string[];
  /** `--lr-find` runs: the range test of each direction (nothing was trained). */
  lrFind?: LrFindReport[];
}

/** One learning-rate range test of a `--lr-find` run. */
export interface LrFindReport {
  stage: Stage;
  direction: Direction;
  suggestion: LrSuggestion;
  /** The rate the config would train this stage with, for comparison. */
  configured: number;
  ended: RangeResult["ended"];
  plot: string;
}

/** Writes a range test's plot and points, logs it, and adds its report to `result`. */
async function saveRangeTest(
  c: TrainConfig,
  result: RunResult,
  stage: TrainingStage,
  direction: Direction,
  configured: number,
  r: RangeResult,
  log: MetricsLog,
): Promise<void> {
  const base = `${c.out}/lr-find-${stage}-${direction}`;
  const title = `${stage} ${direction}: learning-rate range test`;
  await writeFileAtomic(`${base}.svg`, rangeTestSvg(title, r));
  await log.add({ type: "lr-find", stage, direction, ...r });
  const s = r.suggestion;
  console.error(
    `lr-find ${stage} ${direction}: steepest fall at ${s.steepest?.toExponential(1) ?? "-"}, ` +
      `minimum/10 ${s.minOver10.toExponential(1)} (configured ${configured}); plot ${base}.svg`,
  );
  (result.lrFind ??= []).push({
    stage,
    direction,
    suggestion: s,
    configured,
    ended: r.ended,
    plot: `${base}.svg`,
  });
}

/**
 * Runs the requested stages. `stages` defaults to all of them.
 */
export async function runTraining(
  c: TrainConfig,
  stages: readonly Stage[] = STAGES,
): Promise<RunResult> {
  const trainingStages = stages.filter((s) => s !== "evaluate");
  if (c.lrFind && trainingStages.length !== 1) {
    throw new Error(
      `Cannot run --lr-find on ${trainingStages.join(", ") || "no stage"}: name the one stage ` +
        "to test, e.g. `deno task train classify --lr-find`",
    );
  }
  const t0 = performance.now();
  if (c.resume) await checkResumeSettings(c, stages);
  const { ops, description } = await initBackend(c.device);
  await Deno.mkdir(c.out, { recursive: true });
  const log = new MetricsLog(`${c.out}/metrics.jsonl`);
  await log.add({
    type: "run",
    config: c,
    stages,
    machine: `${Deno.build.os}-${Deno.build.arch}, ${navigator.hardwareConcurrency} cores`,
    backend: description,
  });
  console.error(`fitlam: preset ${c.preset}, backend ${description}, output ${c.out}/`);
  const stop = new StopSignal().attach();
  const result: RunResult = { test: {}, seconds: 0, out: c.out };
  const rangeOptions = {
    steps: c.lrFindSteps,
    adam: c.adam,
    dropMult: c.dropMult,
    alpha: c.alpha,
    beta: c.beta,
  };
  try {
    const task = await targetTask(c);
    console.error(
      `target task ${task.name}: ${task.train.length} train, ${
        task.valid?.length ?? 0
      } valid, ${task.test.length} test; labels ${task.labels.join(", ")}` +
        (c.data ? "" : `; each message body cut to its first ${c.defaultMaxChars} characters`),
    );
    const taskTexts = interleave(task.train.map((d) => d.text), task.unlabeled ?? []);
    const taskTokens = capDocs(taskTexts.map(tokenize), c.finetune.maxTokens);
    const taskCounts = countTokens(taskTokens);
    // The task's words, plus any pretrained word the task uses at all: its row carries over.
    const taskVocab = (pretrained?: readonly string[]) =>
      Vocab.build(taskCounts, {
        maxSize: c.maxVocab,
        minFreq: c.minFreq,
        keep: pretrained ? new Set(pretrained) : undefined,
      });
    const testProbs: Partial<Record<Direction, Float32Array[]>> = {};
    // Stage 3 and the baseline train on the same documents.
    const stage3Docs = classifierDocs(task.train, c.classify.maxTrainDocs, c.seed);
    const testLabels = task.test.map((d) => task.labels.indexOf(d.label));

    let corpusDocs: string[][] | undefined;
    for (const dir of c.directions) {
      const seed = c.seed + (dir === "bwd" ? 1000 : 0);
      const lmOpts = (stage: "pretrain" | "finetune-lm") => ({
        stage,
        direction: dir,
        alpha: c.alpha,
        beta: c.beta,
        dropMult: c.dropMult,
        adam: c.adam,
        seed,
        checkpointEvery: c.checkpointEvery,
        checkpointDir: `${c.out}/checkpoints/${stage}-${dir}`,
        resume: c.resume,
      });

      // Stage 1: general-domain LM.
      // With --from, stage 1 comes from elsewhere (another run or an import).
      const pretrainHere = stages.includes("pretrain") && !c.noPretrain && !c.from;
      if (pretrainHere) {
        corpusDocs ??= await generalCorpus(c);
        const vocab = Vocab.build(countTokens(corpusDocs), {
          maxSize: c.maxVocab,
          minFreq: c.minFreq,
        });
        const encoded = corpusDocs.map((d) => vocab.encode(d));
        const nValid = heldOutCount(c, encoded.length);
        const lm = new AwdLstm(ops, encoderPreset(c.preset, vocab.size), seed);
        if (c.lrFind) {
          const r = await lmRangeTest(lm, concatStreams(encoded.slice(nValid), dir === "bwd"), {
            ...rangeOptions,
            bs: c.pretrain.bs,
            bptt: c.pretrain.bptt,
            seed,
            discriminativeFactor: 1,
            label: `lr-find pretrain ${dir}`,
          });
          await saveRangeTest(c, result, "pretrain", dir, c.pretrain.lr, r, log);
          lm.params.dispose();
          continue;
        }
        console.error(
          `stage 1 pretrain ${dir}: ${count(encoded)} tokens, vocab ${vocab.size}`,
        );
        await trainLm(
          lm,
          concatStreams(encoded.slice(nValid), dir === "bwd"),
          concatStreams(encoded.slice(0, nValid), dir === "bwd"),
          {
            ...lmOpts("pretrain"),
            model: { vocab: vocab.itos, preset: c.preset },
            ...c.pretrain,
            warmup: false,
            gradualUnfreeze: false,
            cosine: true,
            discriminativeFactor: 1,
          },
          log,
          stop,
        );
        if (stop.stoppedAt) return { ...result, stopped: stop.stoppedAt };
        await reportPerplexity(c, lm, vocab.itos, dir, log);
        await saveLm(`${c.out}/pretrain-${dir}`, lm, {
          direction: dir,
          vocab: [...vocab.itos],
          preset: c.preset,
        });
        lm.params.dispose();
      } else if (
        c.from && (c.lmEval.length || c.corpus) && !stages.includes("finetune-lm") &&
        !stages.includes("classify")
      ) {
        // `pretrain --from DIR [--lm-eval F] [--corpus C]`: score an existing (or imported) LM
        // without training, on F and on the documents stage 1 would hold out of C.
        const pre = await loadLm(ops, `${c.from}/pretrain-${dir}`);
        let heldOut;
        if (c.corpus) {
          corpusDocs ??= await generalCorpus(c);
          const n = heldOutCount(c, corpusDocs.length);
          heldOut = {
            name: `${c.corpus} (first ${n} documents, held out)`,
            docs: corpusDocs.slice(0, n),
          };
        }
        await reportPerplexity(c, pre.lm, pre.config.vocab, dir, log, heldOut);
        pre.lm.params.dispose();
      }

      // Stage 2: target-task LM fine-tuning.
      let finetuned: AwdLstm | undefined;
      // The vocabulary of this direction's fine-tuned LM and classifier.
      let targetVocab: Vocab | undefined;
      // A classifier alone starts from this run's fine-tuned LM, read below, not from stage 1.
      const needStart = stages.includes("finetune-lm") ||
        (stages.includes("classify") && c.noLmFinetune);
      if (needStart) {
        let start: AwdLstm;
        if (c.noPretrain) {
          targetVocab = taskVocab();
          start = new AwdLstm(ops, encoderPreset(c.preset, targetVocab.size), seed);
        } else {
          const pre = await loadLm(ops, `${c.from || c.out}/pretrain-${dir}`);
          if (!pretrainHere) {
            await reportPerplexity(c, pre.lm, pre.config.vocab, dir, log);
          }
          targetVocab = taskVocab(pre.config.vocab);
          start = await remapVocab(ops, pre.lm, pre.config.vocab, targetVocab);
          pre.lm.params.dispose();
        }
        if (stages.includes("finetune-lm") && c.lrFind) {
          const ids = taskTokens.map((d) => targetVocab!.encode(d));
          const r = await lmRangeTest(start, concatStreams(ids, dir === "bwd"), {
            ...rangeOptions,
            bs: c.finetune.bs,
            bptt: c.finetune.bptt,
            seed,
            discriminativeFactor: c.finetune.discriminative ? c.discriminativeFactor : 1,
            label: `lr-find finetune-lm ${dir}`,
          });
          await saveRangeTest(c, result, "finetune-lm", dir, c.finetune.lr, r, log);
          start.params.dispose();
          continue;
        }
        if (stages.includes("finetune-lm") && !c.noLmFinetune) {
          const ids = taskTokens.map((d) => targetVocab!.encode(d));
          const validIds = capDocs(
            (task.valid ?? []).map((d) => tokenize(d.text)),
            c.finetune.validMaxTokens,
          ).map((d) => targetVocab!.encode(d));
          const ftTokens = count(ids), validTokens = count(validIds);
          const ftEpochs = epochsWithin(c.finetune.tokenBudget, ftTokens, c.finetune.epochs);
          console.error(
            `stage 2 fine-tune LM ${dir}: ${ftTokens} tokens of ${taskTexts.length} texts` +
              (c.finetune.maxTokens && ftTokens >= c.finetune.maxTokens
                ? " (capped by finetune.maxTokens)"
                : " (all of them)") +
              `, ${epochsNote(ftEpochs, c.finetune.epochs, "finetune")}, vocab ${
                targetVocab!.size
              }; validation ${validTokens} tokens` +
              (validTokens >= c.finetune.validMaxTokens && c.finetune.validMaxTokens
                ? " (capped by finetune.validMaxTokens)"
                : ""),
          );
          await trainLm(
            start,
            concatStreams(ids, dir === "bwd"),
            validIds.length ? concatStreams(validIds, dir === "bwd") : undefined,
            {
              ...lmOpts("finetune-lm"),
              model: { vocab: targetVocab!.itos, preset: c.preset },
              epochs: ftEpochs,
              bs: c.finetune.bs,
              bptt: c.finetune.bptt,
              lr: c.finetune.lr,
              // A single epoch anneals from the top rate: a warm-up epoch alone would end there.
              warmup: c.finetune.warmup && ftEpochs > 1,
              gradualUnfreeze: c.finetune.gradualUnfreeze,
              cosine: c.finetune.cosine,
              discriminativeFactor: c.finetune.discriminative ? c.discriminativeFactor : 1,
            },
            log,
            stop,
          );
          if (stop.stoppedAt) {
            return { ...result, stopped: stop.stoppedAt };
          }
          await saveLm(`${c.out}/finetune-${dir}`, start, {
            direction: dir,
            vocab: [...targetVocab!.itos],
            preset: c.preset,
          });
        }
        finetuned = start;
      }

      // Stage 3: classifier (kept in memory for the test evaluation below).
      let trained: TextClassifier | undefined;
      if (stages.includes("classify")) {
        let lm = finetuned;
        if (!lm || (!stages.includes("finetune-lm") && !c.noLmFinetune)) {
          lm?.params.dispose();
          const ft = await loadLm(ops, `${c.out}/finetune-${dir}`);
          lm = ft.lm;
          targetVocab = Vocab.fromItos(ft.config.vocab);
        }
        const head = {
          ...headPreset(task.labels.length, c.finetune.bptt),
          concatPool: c.classify.concatPool,
        };
        const clf = new TextClassifier(ops, lm.config, head, seed);
        clf.encoder.params.load(await lm.params.export());
        lm.params.dispose();
        const train = encodeDocs(targetVocab!, stage3Docs, task.labels, dir);
        if (c.lrFind) {
          const r = await classifierRangeTest(clf, train, {
            ...rangeOptions,
            bs: c.classify.bs,
            dropMult: c.classify.dropMult,
            seed,
            discriminativeFactor: c.classify.discriminative ? c.discriminativeFactor : 1,
            trainMaxTokens: c.classify.trainMaxTokens,
            label: `lr-find classify ${dir}`,
          });
          await saveRangeTest(c, result, "classify", dir, c.classify.lr, r, log);
          clf.dispose();
          continue;
        }
        const valid = encodeDocs(targetVocab!, task.valid ?? [], task.labels, dir);
        const passes = passesPerEpoch(train.length, c.classify.bs, c.classify.minEpochBatches);
        const clfTokens = count(trainingDocs(train, c.classify.trainMaxTokens).map((d) => d.ids));
        const clfEpochs = epochsWithin(
          c.classify.tokenBudget,
          passes * clfTokens,
          c.classify.epochs,
          2,
        );
        console.error(
          `stage 3 classifier ${dir}: ${train.length} of ${task.train.length} train documents` +
            (train.length < task.train.length ? " (classify.maxTrainDocs)" : "") +
            `, ${count(train.map((d) => d.ids))} tokens` +
            (c.classify.trainMaxTokens
              ? `, each cut to its first ${c.classify.trainMaxTokens} (classify.trainMaxTokens)`
              : ", whole documents") +
            `; ${valid.length} valid; ${
              passes > 1
                ? `${passes} passes over them an epoch (at least ${c.classify.minEpochBatches} ` +
                  "batches: classify.minEpochBatches); "
                : ""
            }up to ${epochsNote(clfEpochs, c.classify.epochs, "classify")}` +
            (c.classify.patience ? `, stopping after ${c.classify.patience} without gain` : ""),
        );
        const acc = await trainClassifier(
          clf,
          train,
          valid,
          {
            direction: dir,
            epochs: clfEpochs,
            bs: c.classify.bs,
            lr: c.classify.lr,
            discriminativeFactor: c.classify.discriminative ? c.discriminativeFactor : 1,
            gradualUnfreeze: c.classify.gradualUnfreeze,
            cosine: c.classify.cosine,
            dropMult: c.classify.dropMult,
            adam: c.adam,
            seed,
            trainMaxTokens: c.classify.trainMaxTokens,
            patience: c.classify.patience,
            rampShare: c.classify.rampShare,
            passes,
            checkpointDir: `${c.out}/checkpoints/classify-${dir}`,
            resume: c.resume,
          },
          log,
          stop,
        );
        const warning = chanceWarning(dir, acc, valid, task.labels);
        if (warning) {
          console.error(`warning: ${warning}`);
          (result.warnings ??= []).push(warning);
          await log.add({ type: "warning", stage: "classify", direction: dir, message: warning });
        }
        await saveClassifier(`${c.out}/classifier-${dir}`, clf, {
          direction: dir,
          vocab: [...targetVocab!.itos],
          labels: task.labels,
          preset: c.preset,
          metrics: { validAccuracy: Math.max(...acc, 0), task: task.name },
        });
        if (stop.requested) {
          clf.dispose();
          return { ...result, stopped: `${c.out}/classifier-${dir}` };
        }
        trained = clf;
      } else {
        finetuned?.params.dispose();
      }

      // Evaluate this direction on the test split.
      if (stages.includes("evaluate") || stages.includes("classify")) {
        let clf = trained;
        if (!clf) {
          const loaded = await loadClassifierModel(ops, `${c.out}/classifier-${dir}`);
          clf = loaded.clf;
          targetVocab = Vocab.fromItos(loaded.config.vocab);
        }
        const docs = encodeDocs(targetVocab!, task.test, task.labels, dir);
        // Progress in tokens: the batches run shortest first, so documents would mislead the ETA.
        const ids = docs.map((d) => d.ids);
        const bar = new ProgressBar({
          label: `test ${dir}`,
          total: count(ids),
        });
        const started = performance.now();
        testProbs[dir] = await predictProbabilities(clf, ids, 32, (n, tok) =>
          bar.update(tok, {
            docs: n,
            "tok/s": Math.round(tok / ((performance.now() - started) / 1000)),
          }));
        bar.finish();
        clf.dispose();
      }
    }

    // Test report: each direction and their average.
    const dirs = Object.keys(testProbs) as Direction[];
    if (dirs.length) {
      const avg = task.test.map((_, i) => {
        const p = new Float32Array(task.labels.length);
        for (const d of dirs) testProbs[d]![i].forEach((v, k) => p[k] += v / dirs.length);
        return p;
      });
      const rows: [Direction | "avg", Float32Array[]][] = [
        ...dirs.map((d) => [d, testProbs[d]!] as [Direction, Float32Array[]]),
        ["avg", avg],
      ];
      for (const [name, probs] of rows) {
        const { accuracy, confusion } = scoreProbabilities(probs, testLabels, task.labels.length);
        result.test[name] = accuracy;
        if (name === "avg") result.confusion = { labels: task.labels, counts: confusion };
        await log.add({
          type: "test",
          direction: name,
          accuracy,
          error: 1 - accuracy,
          labels: task.labels,
          confusion,
        });
      }
      if (c.baseline) result.baseline = await scoreBaseline(stage3Docs, task, log);
      await writeFileAtomic(
        `${c.out}/test.json`,
        JSON.stringify(
          {
            task: task.name,
            n: task.test.length,
            accuracy: result.test,
            ...(result.baseline ? { baseline: result.baseline } : {}),
            ...(result.warnings ? { warnings: result.warnings } : {}),
          },
          null,
          2,
        ),
      );
    }
    result.seconds = (performance.now() - t0) / 1000;
    await log.add({ type: "end", seconds: result.seconds });
    await writeReport(`${c.out}/metrics.jsonl`, `${c.out}/report.html`);
    return result;
  } finally {
    stop.detach();
  }
}
