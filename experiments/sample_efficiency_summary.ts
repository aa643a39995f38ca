/**
 * The summary of `deno task experiment sample-efficiency`: reads the finished
 * runs, prints test error per data set and size (mean ± std over seeds,
 * beside the bag-of-words baseline), plots it against the number of labelled
 * examples (log scale) and writes the numbers beside the plot.
 *
 * @module
 */
import type { Series } from "../trainer/report/chart.ts";
import { chartFile } from "../trainer/report/chart_file.ts";
import {
  DATASETS,
  SAMPLE_EFFICIENCY,
  SIZES,
  sizeVariant,
  STAGE2_RUN,
} from "./sample_efficiency.ts";

/** One finished run: accuracies in [0, 1]. */
export interface SampleEfficiencyRun {
  dataset: string;
  variant: string;
  seed: number;
  out: string;
  /** Stage 3's training documents (test.json `trainDocs` or `baseline.trainDocs`, else the cap). */
  trainDocs?: number;
  testDocs?: number;
  /** Test accuracy of the averaged classifiers (of the one direction when only one was trained). */
  fitlam?: number;
  baseline?: number;
  baselineName?: string;
  /** Test accuracy of the bag of words blended in after self-training (the baseline's where no round was kept). */
  selfTrained?: number;
  /** Test accuracy of what the folder serves: the average with the baseline blended in. */
  served?: number;
  wallSeconds?: number;
}

const num = (x: unknown): number | undefined => typeof x === "number" ? x : undefined;

/** Reads `OUT/sample-efficiency/<run>/` (experiment.json and test.json). */
export async function readSampleEfficiencyRun(dir: string): Promise<SampleEfficiencyRun> {
  const exp = JSON.parse(await Deno.readTextFile(`${dir}/experiment.json`));
  let test: Record<string, unknown>;
  try {
    test = JSON.parse(await Deno.readTextFile(`${dir}/test.json`));
  } catch (e) {
    throw new Error(
      `Cannot read ${dir}/test.json: ${(e as Error).message}; rerun that run with ` +
        `\`deno task experiment ${SAMPLE_EFFICIENCY} --force\` or remove its folder`,
    );
  }
  const variant = String(exp.variant);
  const name = dir.split("/").pop()!;
  const dataset = String(exp.dataset ?? name.slice(0, name.lastIndexOf(`-${variant}-s`)));
  const acc = (test.accuracy ?? {}) as Record<string, unknown>;
  const baseline = (test.baseline ?? {}) as Record<string, unknown>;
  const cap = /^n(\d+)(-e\d+)?$/.exec(variant);
  return {
    dataset,
    variant,
    seed: Number(exp.seed),
    out: dir,
    trainDocs: num(test.trainDocs) ?? num(baseline.trainDocs) ?? (cap ? Number(cap[1]) : undefined),
    testDocs: num(test.n),
    fitlam: num(acc.avg) ??
      (Object.keys(acc).length === 1 ? num(Object.values(acc)[0]) : undefined),
    baseline: num(baseline.accuracy),
    baselineName: typeof baseline.name === "string" ? baseline.name : undefined,
    selfTrained: num((test.selfTrain as Record<string, unknown> | undefined)?.accuracy),
    served: num((test.blend as Record<string, unknown> | undefined)?.accuracy),
    wallSeconds: num(exp.wallSeconds),
  };
}

/**
 * Every finished run (one with experiment.json) under `OUT/sample-efficiency/`,
 * in folder order; none when the folder does not exist. A run may be a link
 * to a folder elsewhere, so runs made under several `--out` folders can be
 * gathered into one summary.
 */
export async function readSampleEfficiencyRuns(out: string): Promise<SampleEfficiencyRun[]> {
  const root = `${out}/${SAMPLE_EFFICIENCY}`;
  const dirs: string[] = [];
  try {
    for await (const e of Deno.readDir(root)) {
      const dir = `${root}/${e.name}`;
      // Unfinished and failed runs (experiment-failed.json) have no experiment.json; stage-2
      // runs have no classifier to score.
      if (STAGE2_RUN.test(e.name)) continue;
      if ((e.isDirectory || e.isSymlink) && await isFile(`${dir}/experiment.json`)) dirs.push(dir);
    }
  } catch (e) {
    if (!(e instanceof Deno.errors.NotFound)) throw e;
  }
  dirs.sort();
  return await Promise.all(dirs.map(readSampleEfficiencyRun));
}

async function isFile(path: string): Promise<boolean> {
  try {
    return (await Deno.stat(path)).isFile;
  } catch {
    return false;
  }
}

/** Mean and sample standard deviation (null for one value) of `n` values. */
export interface Stat {
  mean: number;
  std: number | null;
  n: number;
}

function stat(xs: number[]): Stat | null {
  if (!xs.length) return null;
  const mean = xs.reduce((a, b) => a + b, 0) / xs.length;
  const std = xs.length > 1
    ? Math.sqrt(xs.reduce((a, b) => a + (b - mean) ** 2, 0) / (xs.length - 1))
    : null;
  return { mean, std, n: xs.length };
}

/** One data set and size over its seeds. */
export interface SampleEfficiencyCell {
  dataset: string;
  variant: string;
  trainDocs?: number;
  testDocs?: number;
  seeds: number[];
  /** Test accuracy of fitlam and of the baseline, and fitlam − baseline per seed (paired). */
  fitlam: Stat | null;
  baseline: Stat | null;
  difference: Stat | null;
  /** Test accuracy of the self-trained bag of words (runs that self-trained). */
  selfTrained: Stat | null;
  /** Test accuracy of the blend the folder serves (runs that have one). */
  served: Stat | null;
}

const SIZE_ORDER = SIZES.map(sizeVariant);

/** `-eN` of a variant run with `--classify-epochs N`, else "". */
function epochsOf(variant: string): string {
  return variant.match(/-e\d+$/)?.[0] ?? "";
}

function cellOrder(a: SampleEfficiencyCell, b: SampleEfficiencyCell): number {
  const keys = Object.keys(DATASETS);
  const ds = (d: string) => keys.includes(d) ? keys.indexOf(d) : keys.length;
  const size = (v: string) => SIZE_ORDER.indexOf(v.slice(0, v.length - epochsOf(v).length));
  return ds(a.dataset) - ds(b.dataset) || a.dataset.localeCompare(b.dataset) ||
    epochsOf(a.variant).localeCompare(epochsOf(b.variant)) || size(a.variant) - size(b.variant);
}

/** Groups runs by data set and size: mean ± std over seeds. */
export function sampleEfficiencyCells(runs: SampleEfficiencyRun[]): SampleEfficiencyCell[] {
  const byKey = new Map<string, SampleEfficiencyRun[]>();
  for (const r of runs) {
    const k = `${r.dataset}\n${r.variant}`;
    byKey.set(k, [...byKey.get(k) ?? [], r]);
  }
  const cells = [...byKey.values()].map((rs): SampleEfficiencyCell => {
    rs.sort((a, b) => a.seed - b.seed);
    const values = (f: (r: SampleEfficiencyRun) => number | undefined) =>
      rs.map(f).filter((x): x is number => x !== undefined);
    const docs = values((r) => r.trainDocs);
    return {
      dataset: rs[0].dataset,
      variant: rs[0].variant,
      trainDocs: docs.length
        ? Math.round(docs.reduce((a, b) => a + b, 0) / docs.length)
        : undefined,
      testDocs: rs.find((r) => r.testDocs !== undefined)?.testDocs,
      seeds: rs.map((r) => r.seed),
      fitlam: stat(values((r) => r.fitlam)),
      baseline: stat(values((r) => r.baseline)),
      selfTrained: stat(values((r) => r.selfTrained)),
      served: stat(values((r) => r.served)),
      difference: stat(
        values((r) =>
          r.fitlam !== undefined && r.baseline !== undefined ? r.fitlam - r.baseline : undefined
        ),
      ),
    };
  });
  return cells.sort(cellOrder);
}

/** `12.3 ± 0.4` in percentage points; `12.3` for one seed; `-` for none. */
function pct(s: Stat | null, transform = (m: number) => m): string {
  if (!s) return "-";
  const m = (100 * transform(s.mean)).toFixed(1);
  return s.std === null ? m : `${m} ± ${(100 * s.std).toFixed(1)}`;
}

function displayName(dataset: string): string {
  return DATASETS[dataset]?.name ?? dataset;
}

function sizeLabel(c: SampleEfficiencyCell): string {
  const docs = c.trainDocs?.toLocaleString("en-US");
  const label = c.variant.startsWith("all") ? `all${docs ? ` (${docs})` : ""}` : docs ?? c.variant;
  return label + epochsOf(c.variant);
}

/**
 * Markdown table: test error % of fitlam and of the baseline (mean ± sample
 * std over seeds) and fitlam − baseline in error points per seed (below 0:
 * fitlam is better), the error of the bag of words self-trained on the task's unlabelled text,
 * then the error of what the folder serves (the average with that bag of words blended in at
 * the weights chosen on validation); `-` where a run has no baseline, self-training or blend.
 */
export function sampleEfficiencyTable(cells: SampleEfficiencyCell[], baselineName: string): string {
  const lines = [
    `| data set | labelled examples | seeds | test docs | fitlam error % | ${baselineName} error % | fitlam − ${baselineName} (error points) | ${baselineName} self-trained error % | served (blend) error % |`,
    "| --- | --- | --- | --- | --- | --- | --- | --- | --- |",
  ];
  for (const c of cells) {
    lines.push(
      `| ${displayName(c.dataset)} | ${sizeLabel(c)} | ${c.seeds.join(", ")} | ${
        c.testDocs ?? "-"
      } | ${pct(c.fitlam, (m) => 1 - m)} | ${pct(c.baseline, (m) => 1 - m)} | ${
        pct(c.difference, (m) => -m)
      } | ${pct(c.selfTrained, (m) => 1 - m)} | ${pct(c.served, (m) => 1 - m)} |`,
    );
  }
  return lines.join("\n");
}

/**
 * The figure: test error % against log10(labelled examples): fitlam's LSTMs solid, the baseline
 * dashed, what the folder serves (the blend) dotted.
 */
export function sampleEfficiencyChart(cells: SampleEfficiencyCell[], baselineName: string): string {
  const series: Series[] = [];
  const keys = [...new Set(cells.map((c) => `${c.dataset}\n${epochsOf(c.variant)}`))];
  for (const key of keys) {
    const [dataset, epochs] = key.split("\n");
    const inKey = cells.filter((c) => c.dataset === dataset && epochsOf(c.variant) === epochs);
    const color = DATASETS[dataset]?.color ?? "#7f7f7f";
    const x = (c: SampleEfficiencyCell) =>
      Math.log10(
        c.trainDocs ?? (c.variant.startsWith("all") ? DATASETS[dataset]?.allDocs : 0) ?? 0,
      );
    const line = (pick: (c: SampleEfficiencyCell) => Stat | null) =>
      inKey.filter((c) => pick(c) && x(c) > 0)
        .map((c) => [x(c), 100 * (1 - pick(c)!.mean)] as [number, number])
        .sort((a, b) => a[0] - b[0]);
    const name = `${displayName(dataset)}${epochs}`;
    const f = line((c) => c.fitlam), b = line((c) => c.baseline), s = line((c) => c.served);
    if (f.length) series.push({ label: `${name} fitlam LSTMs`, color, segments: [f], dots: true });
    if (b.length) {
      const label = `${name} ${baselineName}`;
      series.push({ label, color, segments: [b], dots: true, dash: "5 3" });
    }
    if (s.length) {
      series.push({ label: `${name} served`, color, segments: [s], dots: true, dash: "1 3" });
    }
  }
  return chartFile({
    title: "Test error vs labelled training examples (mean over seeds)",
    xLabel: "labelled training examples (log scale)",
    yLabel: "test error %",
    series,
    xIntegers: true,
    xFormat: (t) => (10 ** t).toLocaleString("en-US"),
    legend: "right",
  });
}

/**
 * Reads every run under `OUT/sample-efficiency/`, prints the table, and
 * writes `plotDir/sample-efficiency.svg` and `.json` (formatted by `deno
 * fmt`, as the repository's check expects). Returns the cells.
 */
export async function sampleEfficiencySummary(
  out: string,
  plotDir: string,
): Promise<SampleEfficiencyCell[]> {
  const runs = await readSampleEfficiencyRuns(out);
  if (!runs.length) {
    throw new Error(
      `Cannot summarize ${SAMPLE_EFFICIENCY}: no finished runs (experiment.json) under ` +
        `${out}/${SAMPLE_EFFICIENCY}; run \`deno task experiment ${SAMPLE_EFFICIENCY}\` first ` +
        "or pass --out DIR",
    );
  }
  const names = [...new Set(runs.map((r) => r.baselineName).filter((n) => n))];
  const baselineName = names.length === 1 ? names[0]! : "baseline";
  const cells = sampleEfficiencyCells(runs);
  console.log(`\n### ${SAMPLE_EFFICIENCY}\n\n${sampleEfficiencyTable(cells, baselineName)}\n`);
  console.log(
    "Test error %, mean ± sample std over seeds; the difference is taken per seed (below 0: " +
      `fitlam beats ${baselineName}); "-": no baseline in test.json.`,
  );
  await Deno.mkdir(plotDir, { recursive: true });
  const svg = `${plotDir}/${SAMPLE_EFFICIENCY}.svg`, json = `${plotDir}/${SAMPLE_EFFICIENCY}.json`;
  await Deno.writeTextFile(svg, sampleEfficiencyChart(cells, baselineName));
  const numbers = {
    metric: "test accuracy; fitlam: the averaged fwd+bwd classifiers",
    baseline: baselineName,
    cells,
    runs,
  };
  await Deno.writeTextFile(json, JSON.stringify(numbers, null, 2) + "\n");
  const fmt = await new Deno.Command(Deno.execPath(), {
    args: ["fmt", "--quiet", svg, json],
    stdout: "inherit",
    stderr: "inherit",
  }).output();
  if (!fmt.success) throw new Error(`Cannot format ${svg} and ${json}: deno fmt failed (above)`);
  console.error(`wrote ${svg}, ${json} (${runs.length} runs)`);
  return cells;
}
