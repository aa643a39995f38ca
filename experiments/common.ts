/**
 * What the experiments share: the run description (`RunSpec`), the runner's
 * options, the target-task arguments (TREC-6, the AG News split), and
 * `runOne`, which runs one `deno task train` command and records it in
 * `experiment.json`.
 *
 * @module
 */
import { readCsv } from "../trainer/data/csv.ts";
import { stratifiedSplit } from "../trainer/data/split.ts";
import { exists } from "../shared/exists.ts";

export { exists };

/** The repository root (where `deno task train` runs). */
export const ROOT: string = new URL("..", import.meta.url).pathname;

/** One `deno task train` invocation. */
export interface RunSpec {
  group: string;
  /** The target task of a group that spans several (sample-efficiency); kept in experiment.json. */
  dataset?: string;
  variant: string;
  seed: number;
  out: string;
  args: string[];
  /** Files to prepare (a split; inputs copied into the fresh `out`) before the run. */
  prepare?: () => Promise<void>;
  /** The run counts as done when this file exists. */
  doneFile: string;
}

/** `deno task experiment` options, defaults resolved. */
export interface Options {
  dataDir: string;
  out: string;
  seeds: number[];
  lm: string;
  /** `--lm` as given; undefined when the default (OUT/wiki-lm) applies. */
  lmFlag?: string;
  direction: string;
  corpusMaxTokens: number;
  splitSeed: number;
  /** Override the classifier epochs (adds `--classify-epochs N`; variants get an `-eN` suffix). */
  classifyEpochs?: number;
  variants?: string[];
  /** sample-efficiency: only these data sets. */
  datasets?: string[];
  /** sample-efficiency: IMDb's unlabelled reviews for stage 2 (default 10,000). */
  imdbUnlabeled?: number;
  dryRun: boolean;
  force: boolean;
  resume: boolean;
}

/** `--data`, `--test` and `--format` of TREC-6 (train_5500.label, TREC_10.label). */
export function trecTask(o: Options): string[] {
  return [
    "--data",
    `${o.dataDir}/trec/train_5500.label`,
    "--test",
    `${o.dataDir}/trec/TREC_10.label`,
    "--format",
    "trec",
  ];
}

/**
 * AG News' task arguments: the seeded 6,000/1,600 split of `--split-seed`,
 * written under `--out` by `prepare` before the first run that needs it.
 */
export function agNewsTask(o: Options): { task: string[]; prepare: () => Promise<void> } {
  const dir = `${o.out}/agnews-split-${o.splitSeed}`;
  return {
    task: ["--data", `${dir}/train.csv`, "--test", `${dir}/test.csv`, "--format", "zhang"],
    prepare: () => agNewsSplit(`${o.dataDir}/ag_news/test.csv`, dir, o.splitSeed),
  };
}

/**
 * AG News ships only its test split here: split its 7,600 rows into a seeded,
 * class-stratified 6,000 train / 1,600 test (1,500 / 400 a class), written as
 * Zhang CSVs (with `classes.txt`) under the run folder, never the repo.
 */
export async function agNewsSplit(source: string, dir: string, seed: number): Promise<void> {
  if (await exists(`${dir}/test.csv`)) return;
  const rows: { fields: string[] }[] = [];
  for await (const r of readCsv(source)) rows.push(r);
  const docs = rows.map((r, i) => ({ text: String(i), label: r.fields[0] }));
  const perClass = new Map<string, number>();
  for (const d of docs) perClass.set(d.label, (perClass.get(d.label) ?? 0) + 1);
  const total = docs.length;
  if (total !== 7600 || [...perClass.values()].some((n) => n !== 1900)) {
    throw new Error(
      `Cannot split ${source}: expected AG News test.csv (7,600 rows, 1,900 a class), got ${total}`,
    );
  }
  const [train, test] = stratifiedSplit(docs, [1500 / 1900, 400 / 1900], seed);
  const quote = (f: string) => `"${f.replaceAll('"', '""')}"`;
  const csv = (part: { text: string }[]) =>
    part.map((d) => rows[Number(d.text)].fields.map(quote).join(",")).join("\n") + "\n";
  await Deno.mkdir(dir, { recursive: true });
  await Deno.copyFile(`${source.replace(/[^/]*$/, "")}classes.txt`, `${dir}/classes.txt`);
  await Deno.writeTextFile(`${dir}/train.csv`, csv(train));
  await Deno.writeTextFile(`${dir}/test.csv`, csv(test));
  console.error(`wrote ${dir}/train.csv (${train.length} rows), test.csv (${test.length} rows)`);
}

function shellQuote(a: string): string {
  return /^[\w@%+=:,./-]+$/.test(a) ? a : `'${a.replaceAll("'", "'\\''")}'`;
}

/**
 * Prints the run's command and (unless a dry run, or done already) runs it
 * in a fresh `r.out`, then writes `experiment.json` (command, wall time, load
 * average before/after) there, or `experiment-failed.json` and throws.
 */
export async function runOne(r: RunSpec, o: Options): Promise<void> {
  const args = o.resume ? [...r.args, "--resume"] : r.args;
  const command = `deno task train ${args.map(shellQuote).join(" ")}`;
  if (!o.force && !o.resume && await exists(r.doneFile)) {
    console.error(`done already (${r.doneFile}; --force reruns): ${command}`);
    return;
  }
  console.log(`$ ${command}`);
  if (o.dryRun) return;
  if (!o.resume && await exists(r.out)) await Deno.remove(r.out, { recursive: true });
  await Deno.mkdir(r.out, { recursive: true });
  await r.prepare?.();
  const loadStart = Deno.loadavg();
  const started = new Date();
  const t0 = performance.now();
  const child = new Deno.Command(Deno.execPath(), {
    args: ["task", "train", ...args],
    cwd: ROOT,
    stdin: "null",
    stdout: "inherit",
    stderr: "inherit",
  }).spawn();
  const { code } = await child.status;
  const wallSeconds = (performance.now() - t0) / 1000;
  const record = {
    group: r.group,
    ...(r.dataset === undefined ? {} : { dataset: r.dataset }),
    variant: r.variant,
    seed: r.seed,
    command,
    started: started.toISOString(),
    wallSeconds,
    exitCode: code,
    loadavgStart: loadStart,
    loadavgEnd: Deno.loadavg(),
    cores: navigator.hardwareConcurrency,
  };
  if (code !== 0) {
    await Deno.writeTextFile(`${r.out}/experiment-failed.json`, JSON.stringify(record, null, 2));
    throw new Error(`run failed (exit ${code}) after ${wallSeconds.toFixed(0)} s: ${command}`);
  }
  await Deno.writeTextFile(`${r.out}/experiment.json`, JSON.stringify(record, null, 2));
  console.error(`finished in ${(wallSeconds / 60).toFixed(1)} min: ${r.out}`);
}
