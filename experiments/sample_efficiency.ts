/**
 * `deno task experiment sample-efficiency`: ULMFiT's figure 3. fitlam with
 * its defaults (preset `small`, no `--config`, the shipped LMs unless `--lm`)
 * on IMDb, AG News and TREC-6 with 100, 500, 1,000 and all labelled training
 * documents (`--max-train-docs`; stage 2 still reads all the task's text),
 * several seeds each, beside the bag-of-words baseline the trainer fits on
 * the same documents. This module plans the runs; `sample_efficiency_summary.ts`
 * reads and summarizes them.
 *
 * @module
 */
import { SHIPPED_LMS } from "../trainer/config.ts";
import { agNewsTask, exists, type Options, type RunSpec, trecTask } from "./common.ts";

/** The group (and folder under `--out`) of the sample-efficiency runs. */
export const SAMPLE_EFFICIENCY = "sample-efficiency";

/** Labelled training documents per run; `all` omits `--max-train-docs`. */
export const SIZES: readonly (number | "all")[] = [100, 500, 1000, "all"];

/** Seeds when `--seeds` is not given. */
export const SAMPLE_EFFICIENCY_SEEDS: readonly number[] = [42, 43, 44];

interface DataSet {
  name: string;
  color: string;
  /** Stage 3's training documents with no cap (train file less the seeded 10% valid split), for
   * plotting an `all` run whose test.json does not say. */
  allDocs: number;
  task: (o: Options) => { task: string[]; prepare?: () => Promise<void> };
}

/** The data sets, in the order they run and appear. */
export const DATASETS: Record<string, DataSet> = {
  imdb: {
    name: "IMDb",
    color: "#1f77b4",
    allDocs: 5040,
    task: (o) => ({
      task: [
        "--data",
        `${o.dataDir}/imdb/aclImdb_v1.tar.gz`,
        "--format",
        "imdb",
        "--max-per-class",
        "2800",
        "--max-unlabeled",
        String(o.imdbUnlabeled ?? 10_000),
      ],
    }),
  },
  agnews: { name: "AG News", color: "#2ca02c", allDocs: 5400, task: agNewsTask },
  trec: { name: "TREC-6", color: "#d62728", allDocs: 4907, task: (o) => ({ task: trecTask(o) }) },
};

/** `n100`, `n500`, `n1000`, `all`. */
export function sizeVariant(size: number | "all"): string {
  return size === "all" ? "all" : `n${size}`;
}

/** The variant of a data set's stage-2 run, whose fine-tuned LMs every size of that seed reuses. */
export const STAGE2_VARIANT = "lm";

/** Folder names of stage-2 runs (`<data set>-lm-s<seed>`). */
/** Folder names of the stage-2 runs, which have no classifier to score. */
export const STAGE2_RUN = new RegExp(`-${STAGE2_VARIANT}-s\\d+$`);

/**
 * The runs, seed by seed (so a stopped experiment has a whole figure for its
 * first seed), then data set: first one stage-2 run (`finetune-lm` on all the
 * set's text, variant `lm`), then `classify` for each size on copies of its
 * fine-tuned LMs. Stage 2 never reads the labels and is seeded, so it would
 * be the same in every size's run; sharing it saves three of its four runs.
 */
export function sampleEfficiencySpecs(o: Options): RunSpec[] {
  const sets = o.datasets ?? Object.keys(DATASETS);
  for (const d of sets) {
    if (!(d in DATASETS)) {
      throw new Error(
        `Cannot plan ${SAMPLE_EFFICIENCY}: unknown data set "${d}"; use some of ` +
          Object.keys(DATASETS).join(", "),
      );
    }
  }
  const directions = o.direction === "both" ? ["fwd", "bwd"] : [o.direction];
  const runs: RunSpec[] = [];
  for (const seed of o.seeds) {
    for (const dataset of sets) {
      const { task, prepare } = DATASETS[dataset].task(o);
      const common = [
        "--preset",
        "small",
        ...task,
        "--direction",
        o.direction,
        "--seed",
        String(seed),
      ];
      const lmOut = `${o.out}/${SAMPLE_EFFICIENCY}/${dataset}-${STAGE2_VARIANT}-s${seed}`;
      runs.push({
        group: SAMPLE_EFFICIENCY,
        dataset,
        variant: STAGE2_VARIANT,
        seed,
        out: lmOut,
        args: [
          "finetune-lm",
          ...common,
          ...(o.lmFlag === undefined ? [] : ["--from", o.lmFlag]),
          "--out",
          lmOut,
        ],
        doneFile: `${lmOut}/finetune-${directions.at(-1)}/config.json`,
        ...(prepare ? { prepare } : {}),
      });
      for (const size of SIZES) {
        const e = o.classifyEpochs;
        const variant = sizeVariant(size) + (e === undefined ? "" : `-e${e}`);
        const out = `${o.out}/${SAMPLE_EFFICIENCY}/${dataset}-${variant}-s${seed}`;
        runs.push({
          group: SAMPLE_EFFICIENCY,
          dataset,
          variant,
          seed,
          out,
          args: [
            "classify",
            ...common,
            ...(size === "all" ? [] : ["--max-train-docs", String(size)]),
            ...(e === undefined ? [] : ["--classify-epochs", String(e)]),
            "--out",
            out,
          ],
          doneFile: `${out}/test.json`,
          prepare: async () => {
            await prepare?.();
            await copyFineTunedLms(lmOut, out, directions);
          },
        });
      }
    }
  }
  return runs;
}

/** Copies `from/finetune-{dir}` into `to/` for each direction, or says which stage-2 run is missing. */
export async function copyFineTunedLms(
  from: string,
  to: string,
  directions: string[],
): Promise<void> {
  for (const d of directions) {
    const src = `${from}/finetune-${d}`;
    if (!await exists(`${src}/config.json`)) {
      throw new Error(
        `Cannot prepare ${to}: its stage-2 run left no ${src}; run the \`${STAGE2_VARIANT}\` ` +
          "variant of that data set and seed first (it runs before the sizes unless --variants " +
          "leaves it out)",
      );
    }
    await Deno.mkdir(`${to}/finetune-${d}`, { recursive: true });
    for await (const f of Deno.readDir(src)) {
      if (f.isFile) await Deno.copyFile(`${src}/${f.name}`, `${to}/finetune-${d}/${f.name}`);
    }
  }
}

/**
 * Without `--lm` the runs rely on the trainer's shipped LMs; when those are
 * missing the trainer would quietly pretrain stage 1 on its small default
 * corpus instead, so refuse before the first run.
 */
export async function checkShippedLms(o: Options, dir: string = SHIPPED_LMS): Promise<void> {
  if (o.lmFlag !== undefined) return;
  for (const d of o.direction === "both" ? ["fwd", "bwd"] : [o.direction]) {
    if (!await exists(`${dir}/pretrain-${d}/config.json`)) {
      throw new Error(
        `Cannot run ${SAMPLE_EFFICIENCY}: the shipped LM ${dir}/pretrain-${d} is missing, and ` +
          "without it every run would pretrain on the trainer's default corpus; put the shipped " +
          "LMs there or pass --lm DIR (a folder with pretrain-{fwd,bwd})",
      );
    }
  }
}
