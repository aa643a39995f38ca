/**
 * `deno run -A bench/baseline_vs_sklearn.ts`: fitlam's bag-of-words baseline
 * (`shared/baseline/`) against scikit-learn (`tools/sklearn_baseline.py`) on
 * real tasks, same rows, same held-out rows for choosing C, same C grid.
 * Prints both accuracies, chosen C, vocabulary sizes, seconds (training with
 * the C grid plus test prediction, measured inside each process) and how often
 * the two agree; exits 1 when the accuracies differ by more than a point.
 *
 * Tasks read with the trainer's readers (`loadTask`): TREC-6 (train_5500 /
 * TREC_10), AG News (the experiments' seeded 6,000 / 1,600 split of
 * `test.csv`) and IMDb (a seeded `--imdb-per-class` reviews a class in train
 * and in test). Every training row is used (no separate validation split):
 * the baseline holds out its own 10% to choose C.
 *
 * @module
 */
import { parseArgs } from "node:util";
import { join } from "node:path";
import { agNewsSplit } from "../experiments/run.ts";
import { loadTask } from "../trainer/data/tasks.ts";
import type { TaskData } from "../trainer/data/types.ts";
import { DEFAULT_GRID, heldOutMask, trainBaseline } from "../shared/baseline/mod.ts";

const HELP = `Usage: deno run -A bench/baseline_vs_sklearn.ts [options]

  --tasks LIST          comma-separated: trec, agnews, imdb (default all three)
  --trec-train FILE     default ../shared/data/trec/train_5500.label
  --trec-test FILE      default ../shared/data/trec/TREC_10.label
  --ag FILE             AG News test.csv to split (default ../shared/data/ag_news/test.csv)
  --imdb FILE           default ../shared/data/imdb/aclImdb_v1.tar.gz
  --imdb-per-class N    IMDb reviews a class in train and in test (default 2800)
  --seed N              seed of the IMDb subset, the AG split and the held-out rows (default 42)
  --python PATH         Python with scikit-learn (default /usr/bin/python3)
  --no-reference        fitlam's baseline only
  --json                one JSON object per task instead of the table
  -h, --help            this text`;

/** One task's comparison. */
export interface Comparison {
  task: string;
  train: number;
  test: number;
  fitlam: { accuracy: number; C: number; seconds: number; features: number };
  sklearn?: { accuracy: number; C: number; seconds: number; features: number; version: string };
  /** Share of test rows where both predict the same class. */
  agreement?: number;
}

interface Options {
  tasks: string[];
  trecTrain: string;
  trecTest: string;
  ag: string;
  imdb: string;
  imdbPerClass: number;
  seed: number;
  python: string;
  reference: boolean;
  json: boolean;
}

const SCRIPT = new URL("../tools/sklearn_baseline.py", import.meta.url).pathname;

async function load(task: string, o: Options, tmp: string): Promise<TaskData> {
  const common = { seed: o.seed, validFraction: 0 };
  switch (task) {
    case "trec":
      return await loadTask({ ...common, format: "trec", train: o.trecTrain, test: o.trecTest });
    case "agnews": {
      const dir = join(tmp, "agnews");
      await agNewsSplit(o.ag, dir, o.seed);
      const [train, test] = [join(dir, "train.csv"), join(dir, "test.csv")];
      return await loadTask({ ...common, format: "zhang", train, test, name: "agnews" });
    }
    case "imdb":
      return await loadTask({
        ...common,
        format: "imdb",
        train: o.imdb,
        maxPerClass: o.imdbPerClass,
        unlabeled: false,
      });
    default:
      throw new Error(
        `Cannot run the comparison: unknown task "${task}"; use trec, agnews or imdb`,
      );
  }
}

/** Runs scikit-learn on the task's rows, passed through a JSONL file. */
async function sklearnRun(task: TaskData, mask: Uint8Array, o: Options, tmp: string) {
  const path = join(tmp, `${task.name}.jsonl`);
  const meta = { type: "meta", labels: task.labels, grid: DEFAULT_GRID, maxIter: 1000, tol: 1e-4 };
  const lines = [
    JSON.stringify(meta),
    ...task.train.map((d, i) =>
      JSON.stringify({ type: "doc", set: "train", heldOut: mask[i] === 1, ...d })
    ),
    ...task.test.map((d) => JSON.stringify({ type: "doc", set: "test", ...d })),
  ];
  await Deno.writeTextFile(path, lines.join("\n") + "\n");
  const threads = { OMP_NUM_THREADS: "1", OPENBLAS_NUM_THREADS: "1", MKL_NUM_THREADS: "1" };
  let out;
  try {
    out = await new Deno.Command(o.python, {
      args: [SCRIPT, "run", "--data", path],
      env: threads,
      stdout: "piped",
      stderr: "inherit",
    }).output();
  } catch (e) {
    throw new Error(
      `Cannot run scikit-learn: ${o.python}: ${(e as Error).message}; ` +
        "pass --python with a Python that has scikit-learn, or --no-reference",
    );
  }
  if (!out.success) {
    throw new Error(`Cannot run scikit-learn: ${SCRIPT} exited with ${out.code}; see above`);
  }
  return JSON.parse(new TextDecoder().decode(out.stdout)) as {
    sklearn: string;
    accuracy: number;
    C: number;
    seconds: number;
    features: number;
    predictions: number[];
  };
}

async function compare(name: string, o: Options, tmp: string): Promise<Comparison> {
  const task = await load(name, o, tmp);
  task.name = name;
  console.error(
    `${name}: ${task.train.length} train, ${task.test.length} test, labels ` +
      task.labels.join(", "),
  );
  const start = performance.now();
  const b = trainBaseline(task.train, { labels: task.labels, seed: o.seed, log: console.error });
  const predicted = b.predict(task.test.map((d) => d.text));
  const seconds = (performance.now() - start) / 1000;
  const truth = task.test.map((d) => task.labels.indexOf(d.label));
  const accuracyOf = (p: number[]) => p.filter((k, i) => k === truth[i]).length / p.length;
  const row: Comparison = {
    task: name,
    train: task.train.length,
    test: task.test.length,
    fitlam: { accuracy: accuracyOf(predicted), C: b.C, seconds, features: b.features },
  };
  if (o.reference) {
    const mask = heldOutMask(task.train.length, 0.1, o.seed);
    const s = await sklearnRun(task, mask, o, tmp);
    row.sklearn = {
      accuracy: s.accuracy,
      C: s.C,
      seconds: s.seconds,
      features: s.features,
      version: s.sklearn,
    };
    row.agreement = s.predictions.filter((k, i) => k === predicted[i]).length / predicted.length;
  }
  return row;
}

function table(rows: Comparison[]): string {
  const pct = (v?: number) => v === undefined ? "—" : `${(v * 100).toFixed(2)}%`;
  const sec = (v?: number) => v === undefined ? "—" : `${v.toFixed(1)} s`;
  const head = ["task", "train/test", "fitlam acc", "C", "features", "time", "sklearn acc", "C"];
  const cells = [
    [...head, "features", "time", "agree", "Δ points"],
    ...rows.map((r) => [
      r.task,
      `${r.train}/${r.test}`,
      pct(r.fitlam.accuracy),
      String(r.fitlam.C),
      String(r.fitlam.features),
      sec(r.fitlam.seconds),
      pct(r.sklearn?.accuracy),
      String(r.sklearn?.C ?? "—"),
      String(r.sklearn?.features ?? "—"),
      sec(r.sklearn?.seconds),
      pct(r.agreement),
      r.sklearn ? ((r.fitlam.accuracy - r.sklearn.accuracy) * 100).toFixed(2) : "—",
    ]),
  ];
  const widths = cells[0].map((_, j) => Math.max(...cells.map((c) => c[j].length)));
  return cells.map((c) => c.map((v, j) => j ? v.padStart(widths[j]) : v.padEnd(widths[j])))
    .map((c) => c.join("  ")).join("\n");
}

function parse(args: string[]): Options | undefined {
  const { values: v } = parseArgs({
    args,
    strict: true,
    options: {
      help: { type: "boolean", short: "h" },
      tasks: { type: "string", default: "trec,agnews,imdb" },
      "trec-train": { type: "string", default: "../shared/data/trec/train_5500.label" },
      "trec-test": { type: "string", default: "../shared/data/trec/TREC_10.label" },
      ag: { type: "string", default: "../shared/data/ag_news/test.csv" },
      imdb: { type: "string", default: "../shared/data/imdb/aclImdb_v1.tar.gz" },
      "imdb-per-class": { type: "string", default: "2800" },
      seed: { type: "string", default: "42" },
      python: { type: "string", default: "/usr/bin/python3" },
      "no-reference": { type: "boolean", default: false },
      json: { type: "boolean", default: false },
    },
  });
  if (v.help) return undefined;
  const int = (flag: string, s: string) => {
    const n = Number(s);
    if (!Number.isInteger(n) || n < 1) {
      throw new Error(`Cannot run the comparison: --${flag} ${s}: use a positive whole number`);
    }
    return n;
  };
  return {
    tasks: v.tasks.split(",").map((t) => t.trim()).filter(Boolean),
    trecTrain: v["trec-train"],
    trecTest: v["trec-test"],
    ag: v.ag,
    imdb: v.imdb,
    imdbPerClass: int("imdb-per-class", v["imdb-per-class"]),
    seed: int("seed", v.seed),
    python: v.python,
    reference: !v["no-reference"],
    json: v.json,
  };
}

if (import.meta.main) {
  const o = parse(Deno.args);
  if (!o) {
    console.log(HELP);
    Deno.exit(0);
  }
  const tmp = await Deno.makeTempDir({ prefix: "fitlam-baseline-" });
  const rows: Comparison[] = [];
  try {
    for (const name of o.tasks) {
      const row = await compare(name, o, tmp);
      rows.push(row);
      if (o.json) console.log(JSON.stringify(row));
    }
  } finally {
    await Deno.remove(tmp, { recursive: true });
  }
  if (!o.json) console.log(table(rows));
  const off = rows.filter((r) =>
    r.sklearn && Math.abs(r.fitlam.accuracy - r.sklearn.accuracy) > 0.01
  );
  if (off.length) {
    console.error(
      `accuracy differs from scikit-learn by more than a point: ${off.map((r) => r.task)}`,
    );
    Deno.exit(1);
  }
}
