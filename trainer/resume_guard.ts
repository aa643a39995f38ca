/**
 * `--resume` continues a run only with the settings it was started with: a
 * changed seed re-splits the data (and the vocabulary with it), a changed
 * rate or epoch count silently mixes two schedules. The settings of the run
 * being resumed are the last `run` row of its `metrics.jsonl`.
 *
 * @module
 */
import { MODEL_FILE } from "../shared/weights/folder.ts";
import { sha256Hex } from "../shared/weights/sha256.ts";
import type { Direction } from "../shared/model/io.ts";
import { stageOneAlone, type TrainConfig } from "./config.ts";
import { settingEntries } from "./settings.ts";
import { byType, parseMetricsLines } from "./metrics.ts";

/** Settings that may change on resume: where and how it runs, not what it learns. */
const FREE = new Set([
  "resume",
  "device",
  "out",
  "lmEval",
  "lrFind",
  "lrFindSteps",
  "baseline",
  "blend",
  "selfTrain",
  "bowCharNgrams",
  "bowCharFeatures",
  "checkpointEvery",
]);

/**
 * Settings added after runs were made, with the value such runs had in effect, so that a run
 * started before a setting existed still resumes with it at that value.
 */
const ADDED: Record<string, unknown> = {
  "unlabeled": "",
  "classify.poolLayers": "last",
  "classify.balanceLabels": false,
  "model.embSize": 0,
  "model.hiddenSize": 0,
  "model.numLayers": 0,
};

/** Settings that say which target task a run reads and how: stage 1 alone reads none. */
const TASK_SETTINGS = [
  "data",
  "test",
  "valid",
  "unlabeled",
  "format",
  "textField",
  "labelField",
  "defaultMaxChars",
  "maxPerClass",
  "maxUnlabeled",
];

/** The config section of each stage's own settings. */
const STAGE_SECTIONS: Record<string, string> = {
  pretrain: "pretrain",
  "finetune-lm": "finetune",
  classify: "classify",
};

/**
 * The settings that differ, as `name old → new`, ignoring {@linkcode FREE}
 * ones and, when `stages` is given, the sections of stages not in it (a
 * `pretrain` run resumes although stage 3's defaults changed meanwhile).
 * With `sameLms` (the LMs the run starts from have the checksums they had), their paths
 * (`from`, `pretrained`) may differ: a checkout that moved still resumes.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { changedSettings } from "./resume_guard.ts";
 * assert.deepEqual(
 *   changedSettings({ seed: 42, classify: { lr: 0.01 }, device: "wasm" },
 *     { seed: 43, classify: { lr: 0.01 }, device: "cpu" }),
 *   ["seed 42 → 43"],
 * );
 * // A stage-1 run resumes from another checkout, whose shipped LMs lie elsewhere.
 * assert.deepEqual(
 *   changedSettings({ pretrained: "/a/weights/enwiki" }, { pretrained: "/b/weights/enwiki" }, [
 *     "pretrain",
 *   ]),
 *   [],
 * );
 * ```
 */
export function changedSettings(
  before: object,
  now: object,
  stages?: readonly string[],
  sameLms = false,
): string[] {
  const skipped = new Set(
    Object.entries(STAGE_SECTIONS)
      .filter(([stage]) => stages && !stages.includes(stage))
      .map(([, section]) => section),
  );
  // Stage 1 trains its own LM and never reads the shipped ones, whose path moves with the
  // checkout: a stage-1 run resumes from another clone.
  // It reads no target task either, so the task's settings may differ too.
  if (stages && stageOneAlone(stages)) {
    for (const key of ["pretrained", ...TASK_SETTINGS]) skipped.add(key);
  }
  if (sameLms) { for (const path of ["from", "pretrained"]) skipped.add(path); }
  const json = (c: object) =>
    new Map(settingEntries(c).map(([k, v]): [string, string] => [k, JSON.stringify(v)]));
  const a = json(before), b = json(now);
  for (const [key, value] of Object.entries(ADDED)) {
    for (const m of [a, b]) if (!m.has(key)) m.set(key, JSON.stringify(value));
  }
  const changed: string[] = [];
  for (const key of new Set([...a.keys(), ...b.keys()])) {
    const head = key.split(".")[0];
    if (FREE.has(head) || skipped.has(head)) continue;
    if (a.get(key) !== b.get(key)) {
      changed.push(`${key} ${a.get(key) ?? "(unset)"} → ${b.get(key) ?? "(unset)"}`);
    }
  }
  return changed;
}

/**
 * Each direction's LM checksum under `root` (the SHA-256 of `pretrain-<direction>`'s weights file,
 * which holds its config's checksum too); directions without one are left out.
 */
export async function lmDigests(
  root: string,
  directions: readonly Direction[],
): Promise<Partial<Record<Direction, string>>> {
  const digests: Partial<Record<Direction, string>> = {};
  for (const dir of directions) {
    try {
      digests[dir] = await sha256Hex(await Deno.readFile(`${root}/pretrain-${dir}/${MODEL_FILE}`));
    } catch (e) {
      if (!(e instanceof Deno.errors.NotFound)) throw e;
    }
  }
  return digests;
}

/**
 * Refuses `--resume` in `c.out` when the run being resumed was started with
 * other settings for the `stages` it runs; a folder with no metrics yet has
 * nothing to compare. The LMs it starts from are compared by checksum where the
 * log has them, so a moved checkout still resumes.
 */
export async function checkResumeSettings(
  c: TrainConfig,
  stages?: readonly string[],
): Promise<void> {
  let text: string;
  try {
    text = await Deno.readTextFile(`${c.out}/metrics.jsonl`);
  } catch (e) {
    if (e instanceof Deno.errors.NotFound) return;
    throw e;
  }
  const last = byType(parseMetricsLines(text).events, "run").at(-1);
  if (!last) return;
  const sameLms = !!last.lms && !!c.from &&
    JSON.stringify(last.lms) === JSON.stringify(await lmDigests(c.from, c.directions));
  const changed = changedSettings(last.config, c, stages, sameLms);
  if (changed.length) {
    throw new Error(
      `Cannot resume in ${c.out}: the settings differ from the run being resumed (${
        changed.join(", ")
      }); resume with the same settings, or start afresh in another --out`,
    );
  }
}
