/**
 * Collects the experiment runs under a folder (each with `experiment.json`
 * and the trainer's `metrics.jsonl`) into one JSON summary, small SVG
 * learning curves, and markdown tables with mean ± std over seeds.
 *
 * @module
 */
import type { Series } from "../trainer/report/chart.ts";
import { chartFile } from "../trainer/report/chart_file.ts";

type Row = Record<string, unknown>;

/** What one run contributed. */
export interface RunSummary {
  group: string;
  variant: string;
  seed: number;
  out: string;
  command: string;
  wallSeconds: number;
  loadavgStart: number[];
  loadavgEnd: number[];
  machine: string;
  backend: string;
  /** Test accuracy per direction and averaged. */
  test: Record<string, number>;
  testDocs?: number;
  /** Best validation accuracy of the classifier per direction, and per epoch. */
  validAccuracy: Record<string, number[]>;
  /** Stage 1 validation perplexity per direction (held-out corpus documents). */
  pretrainValidPerplexity: Record<string, number>;
  /** Stage 2 validation perplexity per direction (last epoch). */
  finetuneValidPerplexity: Record<string, number>;
  lmEval: {
    direction: string;
    corpus: string;
    tokens: number;
    unknownRate: number;
    perplexity: number;
  }[];
  steps: Record<string, number>;
}

/** A run's summary with its metrics rows. */
export type RunWithRows = { run: RunSummary; rows: Row[] };

async function* walk(dir: string, skip: string[] = []): AsyncGenerator<string> {
  for await (const e of Deno.readDir(dir)) {
    const p = `${dir}/${e.name}`;
    if (skip.includes(e.name)) continue;
    if (e.isDirectory) yield* walk(p);
    else if (e.name === "experiment.json") yield dir;
  }
}

async function readRows(path: string): Promise<Row[]> {
  const text = await Deno.readTextFile(path);
  return text.split("\n").filter((l) => l.trim()).map((l) => JSON.parse(l));
}

/** Reads one run folder. */
export async function readRun(dir: string): Promise<RunWithRows> {
  const exp = JSON.parse(await Deno.readTextFile(`${dir}/experiment.json`));
  const rows = await readRows(`${dir}/metrics.jsonl`);
  // A resumed run appends; the last "run" row describes the last process.
  const runRow = rows.filter((r) => r.type === "run").at(-1) ?? {};
  const run: RunSummary = {
    group: exp.group,
    variant: exp.variant,
    seed: exp.seed,
    out: dir,
    command: exp.command,
    wallSeconds: exp.wallSeconds,
    loadavgStart: exp.loadavgStart,
    loadavgEnd: exp.loadavgEnd,
    machine: String(runRow.machine ?? ""),
    backend: String(runRow.backend ?? ""),
    test: {},
    validAccuracy: {},
    pretrainValidPerplexity: {},
    finetuneValidPerplexity: {},
    lmEval: [],
    steps: {},
  };
  for (const r of rows) {
    const dir = String(r.direction);
    if (r.type === "test") run.test[dir] = r.accuracy as number;
    else if (r.type === "valid" && r.stage === "classify") {
      (run.validAccuracy[dir] ??= []).push(r.accuracy as number);
    } else if (r.type === "valid" && r.stage === "pretrain") {
      run.pretrainValidPerplexity[dir] = r.perplexity as number;
    } else if (r.type === "valid" && r.stage === "finetune-lm") {
      run.finetuneValidPerplexity[dir] = r.perplexity as number;
    } else if (r.type === "lm-eval") {
      run.lmEval.push({
        direction: dir,
        corpus: String(r.corpus).split("/").pop()!,
        tokens: r.tokens as number,
        unknownRate: r.unknownRate as number,
        perplexity: r.perplexity as number,
      });
    } else if (r.type === "step") {
      const k = `${r.stage}-${dir}`;
      run.steps[k] = Math.max(run.steps[k] ?? 0, r.step as number);
    }
  }
  try {
    run.testDocs = JSON.parse(await Deno.readTextFile(`${dir}/test.json`)).n;
  } catch { /* stage 1 only */ }
  return { run, rows };
}

function meanStd(xs: number[]): string {
  if (!xs.length) return "–";
  const m = xs.reduce((a, b) => a + b, 0) / xs.length;
  if (xs.length === 1) return `${(100 * m).toFixed(1)}`;
  const s = Math.sqrt(xs.reduce((a, b) => a + (b - m) ** 2, 0) / (xs.length - 1));
  return `${(100 * m).toFixed(1)} ± ${(100 * s).toFixed(1)}`;
}

/** Markdown table of test accuracy (%) per variant, mean ± sample std over seeds. */
export function accuracyTable(runs: RunSummary[]): string {
  const variants = [...new Set(runs.map((r) => r.variant))];
  const lines = [
    "| variant | seeds | test docs | forward acc % | backward acc % | averaged acc % | error % (avg) | wall min / run |",
    "| --- | --- | --- | --- | --- | --- | --- | --- |",
  ];
  for (const v of variants) {
    const rs = runs.filter((r) => r.variant === v);
    const pick = (d: string) => rs.map((r) => r.test[d]).filter((x) => x !== undefined);
    const avg = pick("avg");
    const err = avg.length
      ? (100 * (1 - avg.reduce((a, b) => a + b, 0) / avg.length)).toFixed(1)
      : "–";
    const wall = rs.reduce((a, r) => a + r.wallSeconds, 0) / rs.length / 60;
    lines.push(
      `| ${v} | ${rs.map((r) => r.seed).join(", ")} | ${rs[0].testDocs ?? "–"} | ${
        meanStd(pick("fwd"))
      } | ${meanStd(pick("bwd"))} | ${meanStd(avg)} | ${err} | ${wall.toFixed(1)} |`,
    );
  }
  return lines.join("\n");
}

/** Markdown table of the general-domain LM's perplexities. */
export function lmTable(run: RunSummary): string {
  const lines = [
    "| direction | steps | held-out enwiki ppl | WikiText-2 valid ppl (unk %) | WikiText-2 test ppl (unk %) |",
    "| --- | --- | --- | --- | --- |",
  ];
  for (const d of Object.keys(run.pretrainValidPerplexity)) {
    const ev = (name: string) => {
      const e = run.lmEval.find((x) => x.direction === d && x.corpus === name);
      return e ? `${e.perplexity.toFixed(1)} (${(100 * e.unknownRate).toFixed(1)})` : "–";
    };
    lines.push(
      `| ${d} | ${run.steps[`pretrain-${d}`] ?? "–"} | ${
        run.pretrainValidPerplexity[d].toFixed(1)
      } | ${ev("wiki.valid.tokens")} | ${ev("wiki.test.tokens")} |`,
    );
  }
  return lines.join("\n");
}

/** Markdown table of `--lm-eval` perplexities alone (a rescoring run: no training steps). */
export function lmEvalTable(run: RunSummary): string {
  const lines = [
    "| direction | corpus | tokens scored | unknown % | perplexity |",
    "| --- | --- | --- | --- | --- |",
  ];
  for (const e of run.lmEval) {
    lines.push(
      `| ${e.direction} | ${e.corpus} | ${e.tokens} | ${(100 * e.unknownRate).toFixed(1)} | ${
        e.perplexity.toFixed(1)
      } |`,
    );
  }
  return lines.join("\n");
}

function smooth(points: [number, number][], k: number): [number, number][] {
  const out: [number, number][] = [];
  let sum = 0;
  for (let i = 0; i < points.length; i++) {
    sum += points[i][1];
    if (i >= k) sum -= points[i - k][1];
    const n = Math.min(i + 1, k);
    if (i % Math.max(1, Math.floor(k / 4)) === 0 || i === points.length - 1) {
      out.push([points[i][0], sum / n]);
    }
  }
  return out;
}

const COLORS: Record<string, string> = {
  full: "#1f77b4",
  scratch: "#d62728",
  "no-lm-finetune": "#2ca02c",
  "no-discriminative": "#9467bd",
  "no-gradual-unfreeze": "#8c564b",
  "last-state-pool": "#e377c2",
  "no-pretrain": "#ff7f0e",
  fwd: "#1f77b4",
  bwd: "#d62728",
};

/** The backward direction's lines. */
const DASH = "5 3";

function colorOf(variant: string): string {
  return COLORS[variant.replace(/-e\d+$/, "")] ?? "#7f7f7f";
}

function stepSeries(rows: Row[], stage: string, dir: string, name: string, color: string): Series {
  const pts = rows.filter((r) => r.type === "step" && r.stage === stage && r.direction === dir)
    .map((r, i) => [i + 1, r.loss as number] as [number, number]);
  return {
    label: name,
    color,
    segments: [smooth(pts, 25)],
    dash: dir === "bwd" ? DASH : undefined,
  };
}

/** Stage 1 on enwiki: the LM table and the training-loss plot. */
async function summarizeWikiLm({ run, rows }: RunWithRows, plotDir: string): Promise<void> {
  console.log(lmTable(run));
  const series = Object.keys(run.pretrainValidPerplexity).map((d) =>
    stepSeries(rows, "pretrain", d, d, COLORS[d])
  );
  await Deno.writeTextFile(
    `${plotDir}/wiki-lm-pretrain.svg`,
    chartFile({
      legend: "right",
      title: "Stage 1 on enwiki: training loss (25-step moving mean)",
      xLabel: "step",
      yLabel: "cross-entropy",
      series,
    }),
  );
}

/** Each run's classifier validation accuracy per epoch, one line per run and direction. */
async function writeValidationPlot(g: string, inGroup: RunWithRows[], plotDir: string) {
  const acc: Series[] = [];
  for (const { run } of inGroup) {
    for (const [d, xs] of Object.entries(run.validAccuracy)) {
      acc.push({
        label: `${run.variant} s${run.seed} ${d}`,
        color: colorOf(run.variant),
        dash: d === "bwd" ? DASH : undefined,
        dots: true,
        segments: [xs.map((x, i) => [i + 1, 100 * x])],
      });
    }
  }
  await Deno.writeTextFile(
    `${plotDir}/${g}-classifier-valid.svg`,
    chartFile({
      legend: "right",
      title: `${g}: classifier validation accuracy (solid fwd, dashed bwd)`,
      xLabel: "epoch",
      yLabel: "accuracy %",
      series: acc,
      xIntegers: true,
    }),
  );
}

/** Stage 2 and classifier training loss of the first seed of each variant, a plot per stage. */
async function writeLossPlots(g: string, inGroup: RunWithRows[], plotDir: string) {
  for (const stage of ["finetune-lm", "classify"]) {
    const series: Series[] = [];
    const seen = new Set<string>();
    for (const { run, rows } of inGroup) {
      if (seen.has(run.variant)) continue;
      seen.add(run.variant);
      for (const d of ["fwd", "bwd"]) {
        const label = `${run.variant} s${run.seed} ${d}`;
        const s = stepSeries(rows, stage, d, label, colorOf(run.variant));
        if (s.segments[0].length) series.push(s);
      }
    }
    if (!series.length) continue;
    const what = stage === "classify" ? "classifier" : "stage 2 LM";
    await Deno.writeTextFile(
      `${plotDir}/${g}-${stage}-loss.svg`,
      chartFile({
        legend: "right",
        title: `${g}: ${what} training loss (25-step moving mean)`,
        xLabel: "step",
        yLabel: "cross-entropy",
        series,
      }),
    );
  }
}

/** One group's table, and its plots. */
async function summarizeGroup(g: string, inGroup: RunWithRows[], plotDir: string) {
  console.log(`\n### ${g}\n`);
  if (g === "wiki-lm-eval") {
    console.log(lmEvalTable(inGroup[0].run));
  } else if (g === "wiki-lm") {
    await summarizeWikiLm(inGroup[0], plotDir);
  } else {
    console.log(accuracyTable(inGroup.map((a) => a.run)));
    await writeValidationPlot(g, inGroup, plotDir);
    await writeLossPlots(g, inGroup, plotDir);
  }
}

/**
 * Writes the summary JSON and the SVG plots; prints the markdown tables.
 * `options.skip`: folders directly under `out` left out (summarized on their
 * own, as sample-efficiency); `options.allowEmpty`: no runs is no error.
 */
export async function summarize(
  out: string,
  jsonPath: string,
  plotDir: string,
  options: { skip?: string[]; allowEmpty?: boolean } = {},
): Promise<void> {
  const all: RunWithRows[] = [];
  for await (const dir of walk(out, options.skip)) all.push(await readRun(dir));
  all.sort((a, b) => a.run.out < b.run.out ? -1 : 1);
  if (!all.length && options.allowEmpty) return;
  if (!all.length) throw new Error(`no finished runs (experiment.json) under ${out}`);
  await Deno.mkdir(plotDir, { recursive: true });
  const runs = all.map((a) => a.run);
  await Deno.writeTextFile(jsonPath, JSON.stringify(runs, null, 2) + "\n");
  console.error(`wrote ${jsonPath} (${runs.length} runs)`);
  for (const g of new Set(runs.map((r) => r.group))) {
    await summarizeGroup(g, all.filter((a) => a.run.group === g), plotDir);
  }
  // The repository's `deno fmt --check` covers JSON and SVG: leave both formatted.
  const fmt = await new Deno.Command(Deno.execPath(), {
    args: ["fmt", "--quiet", jsonPath, plotDir],
    stdout: "inherit",
    stderr: "inherit",
  }).output();
  if (!fmt.success) throw new Error(`deno fmt ${jsonPath} ${plotDir} failed`);
  console.error(`wrote plots under ${plotDir}/`);
}
