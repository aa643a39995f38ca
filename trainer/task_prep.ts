/**
 * The target task as the stages use it: loading it, stage 2's text order,
 * stage 3's (optionally sampled) documents encoded per direction, and the
 * plain warning for a classifier at chance level.
 *
 * @module
 */
import { argmax } from "../shared/confusion.ts";
import type { Direction } from "../shared/model/io.ts";
import { Rng } from "../shared/rng.ts";
import { tokenize } from "../shared/tokenizer/tokenizer.ts";
import type { Vocab } from "../shared/tokenizer/vocab.ts";
import type { EncodedDoc } from "./clf_train.ts";
import type { TrainConfig } from "./config.ts";
import {
  detectTaskFormat,
  loadDefaultTask,
  loadTask,
  readCorpus,
  type TaskData,
  type TaskFormat,
} from "./data/mod.ts";

/** Loads the target task named by the config (or the embedded default) and any `--unlabeled` text. */
export async function targetTask(c: TrainConfig): Promise<TaskData> {
  const task = await labelledTask(c);
  if (!c.unlabeled) return task;
  const extra: string[] = [];
  for await (const doc of readCorpus(c.unlabeled, { format: "lines" })) extra.push(doc);
  if (!extra.length) {
    throw new Error(
      `Cannot read the unlabelled text ${c.unlabeled}: it holds no document; ` +
        "write one document a line, or drop --unlabeled",
    );
  }
  console.error(
    `unlabelled text: ${extra.length.toLocaleString("en-US")} documents from ${c.unlabeled} ` +
      "(stage 2 and the self-trained bag of words read them)",
  );
  return { ...task, unlabeled: [...task.unlabeled ?? [], ...extra] };
}

async function labelledTask(c: TrainConfig): Promise<TaskData> {
  if (!c.data) return await loadDefaultTask({ seed: c.seed, maxChars: c.defaultMaxChars });
  const format = c.format === "auto" ? await detectTaskFormat(c.data) : c.format;
  if ((c.maxPerClass || c.maxUnlabeled) && format !== "imdb" && format !== "folders") {
    throw new Error(
      `Cannot subset ${c.data}: maxPerClass/maxUnlabeled (--max-per-class, --max-unlabeled) ` +
        `apply to IMDb and class folders only, and this task reads as "${format}"; ` +
        "use classify.maxTrainDocs to train on fewer documents",
    );
  }
  return await loadTask({
    format: format as TaskFormat,
    train: c.data,
    test: c.test || undefined,
    valid: c.valid || undefined,
    textField: c.textField || undefined,
    labelField: c.labelField || undefined,
    maxPerClass: c.maxPerClass || undefined,
    maxUnlabeled: c.maxUnlabeled || undefined,
    seed: c.seed,
  });
}

/**
 * Stage 2's documents: labelled and unlabelled texts taken in turn, so a token cap
 * (`finetune.maxTokens`) keeps a share of both (IMDb's `train/unsup`), not only the first kind.
 */
export function interleave<T>(a: readonly T[], b: readonly T[]): T[] {
  const out: T[] = [];
  for (let i = 0; i < Math.max(a.length, b.length); i++) {
    if (i < a.length) out.push(a[i]);
    if (i < b.length) out.push(b[i]);
  }
  return out;
}

/**
 * Stage 3's training documents: all of them, or a seeded sample of `max` that keeps each label's
 * share (every label keeps at least one document), for learning curves and quick runs.
 */
export function classifierDocs<T extends { label: string }>(
  docs: readonly T[],
  max: number,
  seed: number,
): T[] {
  if (!max || docs.length <= max) return docs.slice();
  const byLabel = new Map<string, T[]>();
  for (const d of docs) {
    const group = byLabel.get(d.label);
    if (group) group.push(d);
    else byLabel.set(d.label, [d]);
  }
  // Largest remainders: the shares sum to exactly `max` (at least one document a label).
  const groups = [...byLabel.values()];
  const exact = groups.map((g) => (max * g.length) / docs.length);
  const take = exact.map((x) => Math.max(1, Math.floor(x)));
  const order = exact.map((x, i) => [x - Math.floor(x), i]).sort((a, b) => b[0] - a[0]);
  for (let k = 0, left = max - take.reduce((a, b) => a + b, 0); left > 0; k++, left--) {
    take[order[k % order.length][1]]++;
  }
  const rng = new Rng(seed);
  return rng.shuffle(groups.flatMap((g, i) => rng.shuffle(g.slice()).slice(0, take[i])));
}

/**
 * With stage 3 capped at `max` labelled documents (`classify.maxTrainDocs`) and a validation
 * split carved from the training file, keeps validation at a tenth of the labels the run uses
 * (⌈max / 9⌉ documents, seeded, each label's share kept) and turns the rest into unlabelled
 * text: a learning-curve point with 100 labels must not pick its epochs, blend weights and
 * self-training rounds on hundreds more. A validation file (`--valid`) is kept whole.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { budgetValidation } from "./task_prep.ts";
 * const doc = (i: number) => ({ text: `doc ${i}`, label: i % 2 ? "a" : "b" });
 * const task = {
 *   train: [], test: [], labels: ["a", "b"], name: "t", source: "s",
 *   valid: Array.from({ length: 60 }, (_, i) => doc(i)),
 * };
 * const t = budgetValidation(task, 90, 42, false);
 * assert.equal(t.valid!.length, 10);
 * assert.equal(t.unlabeled!.length, 50);
 * assert.equal(budgetValidation(task, 90, 42, true), task); // --valid FILE: kept
 * ```
 */
export function budgetValidation(
  task: TaskData,
  max: number,
  seed: number,
  validFromFile: boolean,
): TaskData {
  const valid = task.valid ?? [];
  const keep = Math.ceil(max / 9);
  if (!max || validFromFile || valid.length <= keep) return task;
  const kept = classifierDocs(valid, keep, seed);
  const taken = new Set(kept);
  const rest = valid.filter((d) => !taken.has(d)).map((d) => d.text);
  return { ...task, valid: kept, unlabeled: [...task.unlabeled ?? [], ...rest] };
}

/** Stage 3's held-out answers (one per labelled document, `held_out.ts`) and the true labels. */
export interface HeldOutAnswers {
  probs: readonly Float32Array[];
  truth: readonly number[];
}

/**
 * A plain warning when the best validation accuracy is no better than always answering the most
 * frequent validation label: such a classifier learned nothing worth deploying. Where stage 3
 * also answered every labelled document from folds that never trained on it (`heldOut`), those
 * answers count too: with 12 validation documents (100 labels) a classifier at 50% there may
 * still be right on 64 of 100 held-out ones.
 */
export function chanceWarning(
  dir: Direction,
  accuracies: readonly number[],
  valid: readonly EncodedDoc[],
  labels: readonly string[],
  heldOut?: HeldOutAnswers,
): string | undefined {
  if (!valid.length || !accuracies.length) return undefined;
  const truth = [...valid.map((d) => d.label), ...heldOut?.truth ?? []];
  const counts = new Array(labels.length).fill(0);
  for (const label of truth) counts[label]++;
  const top = counts.indexOf(Math.max(...counts));
  const majority = counts[top] / truth.length;
  const heldRight = heldOut?.probs.filter((p, i) => argmax(p) === heldOut.truth[i]).length ?? 0;
  const best = (Math.round(Math.max(...accuracies) * valid.length) + heldRight) / truth.length;
  if (best > majority + 0.005) return undefined;
  const pct = (x: number) => `${(100 * x).toFixed(1)}%`;
  const where = heldOut?.probs.length
    ? `validation and its ${heldOut.probs.length} held-out answers`
    : "validation";
  return `the ${dir} classifier is no better than always answering "${labels[top]}" on ` +
    `${where} (${pct(best)} vs ${pct(majority)}): it learned nothing from the text. ` +
    "Try a lower classifier rate (--clf-lr, or `deno task train classify --lr-find`), " +
    "more epochs (--classify-epochs), or more labelled data";
}

/** Documents as token ids (reversed for the backward model) with their label index. */
export function encodeDocs(
  vocab: Vocab,
  docs: { text: string; label: string }[],
  labels: string[],
  dir: Direction,
): EncodedDoc[] {
  const index = new Map(labels.map((l, i) => [l, i]));
  return docs.map((d) => {
    const ids = vocab.encode(tokenize(d.text));
    return { ids: dir === "bwd" ? ids.reverse() : ids, label: index.get(d.label)! };
  });
}
