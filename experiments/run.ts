/**
 * `deno task experiment <name> [options]`: runs the experiments of issue #7
 * ("Evidence on real data") as plain `deno task train` command lines, one
 * training process at a time, and collects their results.
 *
 * Every command it runs is printed first, so each row of RESULTS.md can be
 * reproduced by hand from a clean clone. Data paths come from `--data-dir`
 * (or `FITLAM_DATA`); nothing is read from or written to the repository
 * except `experiments/results.json` and `experiments/plots/` by `summary`.
 *
 * @module
 */
import { parseArgs } from "node:util";
import { EXIT_USAGE, exitWithError } from "../shared/exit.ts";
import { agNewsTask, exists, type Options, runOne, type RunSpec, trecTask } from "./common.ts";
import {
  checkShippedLms,
  SAMPLE_EFFICIENCY,
  SAMPLE_EFFICIENCY_SEEDS,
  sampleEfficiencySpecs,
  STAGE2_VARIANT,
} from "./sample_efficiency.ts";
import { readSampleEfficiencyRuns, sampleEfficiencySummary } from "./sample_efficiency_summary.ts";
import { summarize } from "./summary.ts";

export { agNewsSplit } from "./common.ts";
export type { Options, RunSpec } from "./common.ts";

const HERE = new URL(".", import.meta.url).pathname;

const NAMES = [
  "wiki-lm",
  "wiki-lm-eval",
  "trec",
  "trec-ablations",
  "agnews",
  "agnews-ablations",
  "imdb",
  "imdb-ablations",
  "sample-efficiency",
  "summary",
  "sample-efficiency-summary",
] as const;
type Name = typeof NAMES[number];

const USAGE = `Usage: deno task experiment <name> [options]

Names:
  wiki-lm          stage 1 on enwiki_clean.txt.gz (both directions) + perplexity on WikiText-2
                   valid/test; its pretrain-{fwd,bwd} feed every "full" run below
  wiki-lm-eval     rescore the --lm LMs on WikiText-2 valid/test without training (\`train pretrain
                   --from\`), e.g. after a change in how perplexity is counted
  trec             TREC-6: full method (--from the wiki LM) vs from scratch, per seed
  trec-ablations   TREC-6 full method without LM fine-tuning / discriminative rates / gradual
                   unfreezing / concat pooling, and without pretraining
  agnews           AG News: seeded 6,000/1,600 split of test.csv (written under --out), full vs scratch
  agnews-ablations AG News ablations as for TREC-6
  imdb             IMDb (seeded 2,800 reviews a class in train and in test, 10,000 unsup for
                   stage 2; experiments/configs/imdb.json): full vs scratch
  imdb-ablations   IMDb ablations as for TREC-6
  sample-efficiency
                   ULMFiT's figure 3: IMDb (2,800 reviews a class, 10,000 unsup), AG News (the
                   agnews split) and TREC-6 with 100, 500, 1,000 and all labelled training
                   documents (\`train --max-train-docs\`), seeds 42,43,44; fitlam's defaults
                   (preset small, no --config, the shipped LMs unless --lm is given) and the
                   bag-of-words baseline of each run's test.json; one stage-2 run (variant lm)
                   per data set and seed, whose fine-tuned LMs every size's classify run copies
  summary          collect every run under --out into experiments/results.json, SVG learning
                   curves in experiments/plots/, and print markdown tables; then, if there are
                   any, the sample-efficiency runs as below
  sample-efficiency-summary
                   test error per data set and size (fitlam and baseline, mean ± std over seeds)
                   as a table, experiments/plots/sample-efficiency.svg (log x) and .json

Options:
  --data-dir DIR         folder holding enwiki/, wikitext-2/, trec/, ag_news/, imdb/ (or env FITLAM_DATA)
  --out DIR              where runs go (default runs/exp; keep it out of git)
  --seeds LIST           comma-separated seeds (default 42, sample-efficiency 42,43,44; ablations
                         use the first)
  --lm DIR               folder with pretrain-{fwd,bwd} for full runs (default OUT/wiki-lm;
                         sample-efficiency: the trainer's shipped LMs in weights/enwiki)
  --direction D          fwd | bwd | both (default both)
  --corpus-max-tokens N  wiki-lm: corpus tokens used for stage 1 (default 1200000)
  --split-seed N         agnews: seed of the 6,000/1,600 split (default 42)
  --classify-epochs N    classifier epochs for every run (default: the config's); variant names get -eN
  --variants LIST        only these variants (e.g. full,scratch or no-lm-finetune; n100,n500,
                         n1000,all)
  --datasets LIST        sample-efficiency: only these data sets (default imdb,agnews,trec)
  --imdb-unlabeled N     sample-efficiency: IMDb unsup reviews for stage 2 (default 10000)
  --dry-run              print the commands, run nothing
  --force                rerun runs that already have results
  --resume               pass --resume to the trainer (continue from OUT/checkpoints)
  -h, --help             this text

Each run writes OUT/<group>/<variant>-s<seed>/ (sample-efficiency:
OUT/sample-efficiency/<data set>-<variant>-s<seed>/; metrics.jsonl, test.json, report.html) and
experiment.json (command, wall time, load average before/after). sample-efficiency runs seed by
seed, so its first seed's figure is whole before the second seed starts.`;

function fail(message: string): never {
  exitWithError(message, EXIT_USAGE, "Run deno task experiment --help for usage.");
}

function parse(args: string[]): { name: Name; o: Options } | "help" {
  const { values, positionals } = parseArgs({
    args,
    allowPositionals: true,
    strict: true,
    options: {
      help: { type: "boolean", short: "h" },
      "data-dir": { type: "string" },
      out: { type: "string" },
      seeds: { type: "string" },
      lm: { type: "string" },
      direction: { type: "string" },
      "corpus-max-tokens": { type: "string" },
      "split-seed": { type: "string" },
      "classify-epochs": { type: "string" },
      variants: { type: "string" },
      datasets: { type: "string" },
      "imdb-unlabeled": { type: "string" },
      "dry-run": { type: "boolean" },
      force: { type: "boolean" },
      resume: { type: "boolean" },
    },
  });
  if (values.help || positionals.length === 0) {
    console.log(USAGE);
    if (!values.help) Deno.exit(2);
    return "help";
  }
  if (positionals.length > 1) fail(`one experiment at a time; got ${positionals.join(" ")}`);
  const name = positionals[0] as Name;
  if (!NAMES.includes(name)) fail(`unknown experiment "${name}"; use one of ${NAMES.join(", ")}`);
  const int = (flag: string, v: string | undefined, dflt: number): number => {
    if (v === undefined) return dflt;
    const n = Number(v);
    if (!Number.isInteger(n) || n < 0) fail(`--${flag} ${v}: expected a non-negative integer`);
    return n;
  };
  const out = values.out ?? "runs/exp";
  const dataDir = values["data-dir"] ?? Deno.env.get("FITLAM_DATA") ?? "";
  if (!dataDir && !name.endsWith("summary")) {
    fail(
      "no data folder: pass --data-dir DIR or set FITLAM_DATA (the folder holding enwiki/, " +
        "wikitext-2/, trec/, ag_news/, imdb/; e.g. ../shared/data)",
    );
  }
  const defaultSeeds = name === SAMPLE_EFFICIENCY ? SAMPLE_EFFICIENCY_SEEDS.join(",") : "42";
  const seeds = (values.seeds ?? defaultSeeds).split(",").map((s) => int("seeds", s.trim(), 0));
  const direction = values.direction ?? "both";
  if (!["fwd", "bwd", "both"].includes(direction)) fail(`--direction ${direction}: fwd|bwd|both`);
  return {
    name,
    o: {
      dataDir: dataDir.replace(/\/$/, ""),
      out: out.replace(/\/$/, ""),
      seeds,
      lm: values.lm ?? `${out.replace(/\/$/, "")}/wiki-lm`,
      lmFlag: values.lm,
      direction,
      corpusMaxTokens: int("corpus-max-tokens", values["corpus-max-tokens"], 1_200_000),
      splitSeed: int("split-seed", values["split-seed"], 42),
      classifyEpochs: values["classify-epochs"] === undefined
        ? undefined
        : int("classify-epochs", values["classify-epochs"], 0),
      variants: values.variants?.split(",").map((v) => v.trim()),
      datasets: values.datasets?.split(",").map((v) => v.trim()),
      imdbUnlabeled: int("imdb-unlabeled", values["imdb-unlabeled"], 10_000),
      dryRun: !!values["dry-run"],
      force: !!values.force,
      resume: !!values.resume,
    },
  };
}

const CONFIGS = "experiments/configs";

/** Ablation variants: the trainer flags each adds to the full method. */
const ABLATIONS: Record<string, string[]> = {
  "no-lm-finetune": ["--no-lm-finetune"],
  "no-discriminative": ["--no-discriminative"],
  "no-gradual-unfreeze": ["--no-gradual-unfreeze"],
  "last-state-pool": ["--concat-pool=false"],
  "no-pretrain": ["--no-pretrain"],
};

/** Full method (stage 1 from `--lm`) and from scratch (no stage 1, no stage 2). */
function fullAndScratch(
  o: Options,
  group: string,
  task: string[],
  config: string,
  extra: { seed: number; variant: string; flags: string[] }[] = [],
): RunSpec[] {
  const runs: RunSpec[] = [];
  const common = (seed: number) => [
    "--preset",
    "small",
    "--config",
    `${CONFIGS}/${config}`,
    ...task,
    "--direction",
    o.direction,
    "--seed",
    String(seed),
  ];
  const add = (base: string, seed: number, flags: string[]) => {
    const e = o.classifyEpochs;
    const variant = e === undefined ? base : `${base}-e${e}`;
    if (e !== undefined) flags = [...flags, "--classify-epochs", String(e)];
    const out = `${o.out}/${group}/${variant}-s${seed}`;
    runs.push({
      group,
      variant,
      seed,
      out,
      args: ["all", ...common(seed), ...flags, "--out", out],
      doneFile: `${out}/test.json`,
    });
  };
  if (!extra.length) {
    for (const seed of o.seeds) {
      add("full", seed, ["--from", o.lm]);
      add("scratch", seed, ["--no-pretrain", "--no-lm-finetune"]);
    }
  }
  for (const e of extra) add(e.variant, e.seed, e.flags);
  return runs;
}

function ablations(o: Options): { seed: number; variant: string; flags: string[] }[] {
  return Object.entries(ABLATIONS).map(([variant, flags]) => ({
    seed: o.seeds[0],
    variant,
    flags: flags.includes("--no-pretrain") ? flags : ["--from", o.lm, ...flags],
  }));
}

/** `--lm-eval` on WikiText-2 valid and test, as both LM experiments score them. */
function wikiText2Evals(o: Options): string[] {
  return ["valid", "test"].flatMap((
    s,
  ) => ["--lm-eval", `${o.dataDir}/wikitext-2/wiki.${s}.tokens`]);
}

function specs(name: Name, o: Options): RunSpec[] {
  switch (name) {
    case "wiki-lm": {
      const out = `${o.out}/wiki-lm`;
      return [{
        group: "wiki-lm",
        variant: "pretrain",
        seed: o.seeds[0],
        out,
        args: [
          "pretrain",
          "--preset",
          "small",
          "--config",
          `${CONFIGS}/wiki-lm.json`,
          "--corpus",
          `${o.dataDir}/enwiki/enwiki_clean.txt.gz`,
          "--corpus-max-tokens",
          String(o.corpusMaxTokens),
          ...wikiText2Evals(o),
          "--direction",
          o.direction,
          "--seed",
          String(o.seeds[0]),
          "--out",
          out,
        ],
        doneFile: `${out}/experiment.json`,
      }];
    }
    case "wiki-lm-eval": {
      const out = `${o.out}/wiki-lm-eval`;
      return [{
        group: "wiki-lm-eval",
        variant: "rescore",
        seed: o.seeds[0],
        out,
        args: [
          "pretrain",
          "--preset",
          "small",
          "--from",
          o.lm,
          ...wikiText2Evals(o),
          "--direction",
          o.direction,
          "--out",
          out,
        ],
        doneFile: `${out}/experiment.json`,
      }];
    }
    case "trec":
      return fullAndScratch(o, "trec", trecTask(o), "trec.json");
    case "trec-ablations":
      return fullAndScratch(o, "trec-ablations", trecTask(o), "trec.json", ablations(o));
    case "agnews":
    case "agnews-ablations": {
      const { task, prepare } = agNewsTask(o);
      const runs = name === "agnews"
        ? fullAndScratch(o, "agnews", task, "agnews.json")
        : fullAndScratch(o, "agnews-ablations", task, "agnews.json", ablations(o));
      return runs.map((r) => ({ ...r, prepare }));
    }
    case "imdb":
    case "imdb-ablations": {
      const task = ["--data", `${o.dataDir}/imdb/aclImdb_v1.tar.gz`, "--format", "imdb"];
      return name === "imdb"
        ? fullAndScratch(o, "imdb", task, "imdb.json")
        : fullAndScratch(o, "imdb-ablations", task, "imdb.json", ablations(o));
    }
    case "sample-efficiency":
      return sampleEfficiencySpecs(o);
    case "summary":
    case "sample-efficiency-summary":
      return [];
  }
}

/** `summary` (every group, then sample-efficiency if it has runs) or `sample-efficiency-summary`. */
async function summaries(name: Name, o: Options): Promise<void> {
  const plots = `${HERE}plots`;
  if (name === "summary") {
    const withSampleEfficiency = (await readSampleEfficiencyRuns(o.out)).length > 0;
    await summarize(o.out, `${HERE}results.json`, plots, {
      skip: [SAMPLE_EFFICIENCY],
      allowEmpty: withSampleEfficiency,
    });
    if (!withSampleEfficiency) return;
  }
  await sampleEfficiencySummary(o.out, plots);
}

if (import.meta.main) {
  const parsed = parse(Deno.args);
  if (parsed !== "help") {
    const { name, o } = parsed;
    try {
      if (name.endsWith("summary")) {
        await summaries(name, o);
      } else {
        let runs = specs(name, o);
        if (o.variants) {
          runs = runs.filter((r) =>
            // A sample-efficiency size needs its data set's stage-2 run.
            r.variant === STAGE2_VARIANT ||
            o.variants!.some((v) => r.variant === v || r.variant.startsWith(`${v}-e`))
          );
        }
        if (runs.some((r) => r.args.includes("--from")) && !o.dryRun) {
          for (const d of o.direction === "both" ? ["fwd", "bwd"] : [o.direction]) {
            if (!await exists(`${o.lm}/pretrain-${d}`)) {
              throw new Error(
                `full runs need ${o.lm}/pretrain-${d}: run \`deno task experiment wiki-lm\` first ` +
                  "or pass --lm DIR",
              );
            }
          }
        }
        if (name === SAMPLE_EFFICIENCY && !o.dryRun) await checkShippedLms(o);
        for (const r of runs) await runOne(r, o);
      }
    } catch (e) {
      console.error(`error: ${(e as Error).message}`);
      Deno.exit(1);
    }
  }
}
