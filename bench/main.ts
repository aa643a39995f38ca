/**
 * `deno task bench <name>`: fitlam's speed harness. Each benchmark measures
 * fitlam and, in the same run, a reference doing the same work (PyTorch
 * scripts under bench/, 2 threads, `OMP_WAIT_POLICY=PASSIVE`), then prints
 * a table (or JSON lines with `--json`) with ratios where > 1 means fitlam is
 * better. Warm-up runs are excluded and every number is a median.
 *
 * @module
 */
import { parseArgs } from "node:util";
import { EXIT_USAGE, exitWithError, reportFailure } from "../shared/exit.ts";
import {
  type BenchOptions,
  type BenchRow,
  findTorch,
  loadAverage,
  machineInfo,
  table,
} from "./common.ts";
import { benchTrain } from "./train.ts";
import { findBlas } from "../shared/ops/wasm/blas.ts";
import { benchInfer } from "./infer.ts";
import { benchServe } from "./serve.ts";
import { benchServeMixed } from "./serve_mixed.ts";
import { benchEdge } from "./edge.ts";
import { benchTokenizeRows } from "./tokenize.ts";

/** The benchmarks, in the order `all` runs them. */
export const BENCHES = ["train", "infer", "tokenize", "serve", "edge"] as const;

const HELP = `Usage: deno task bench <${[...BENCHES, "all"].join("|")}> [options]

  --preset P        tiny, small or paper (train default: small at bs 16 and 64;
                    infer, serve and edge default: small)
  --bs N            batch size (train: sequences per step; infer: throughput batch)
  --device D        fitlam backend: wasm (default), cpu, webgpu or auto
  --quick           short runs (fewer steps and repetitions)
  --json            one JSON object per result line instead of the table
  --threads N       threads of the PyTorch reference (default 2)
  --no-reference    fitlam only
  --reference-device D  cpu (default) or cuda: where PyTorch runs (train, infer)
  --concurrency N   serve: concurrent clients (default 8)
  --duration S      serve: seconds of load per server (default 15, --quick 5)
  --mixed           serve: texts of 4-500 words, half the requests 8 texts, in
                    tokens/s against batch-32 inference (default 64 clients)
  --megabytes N     tokenize: MiB of text (default 10, --quick 2)
  --path FILE       tokenize: gzipped text, one document a line
  --help            show this help

Ratios are fitlam / reference for rates and reference / fitlam for times:
above 1 fitlam is better. The reference needs PyTorch; without it only
fitlam's numbers are printed, with the command that installs it.`;

function fail(message: string): never {
  exitWithError(message, EXIT_USAGE, "Run deno task bench --help for usage.");
}

function positiveInt(name: string, v: string | undefined): number | undefined {
  if (v === undefined) return undefined;
  const n = Number(v);
  if (!Number.isInteger(n) || n < 1) {
    fail(`Cannot run benchmark: --${name} must be a positive integer, got "${v}"`);
  }
  return n;
}

if (import.meta.main) {
  let parsed;
  try {
    parsed = parseArgs({
      args: Deno.args,
      allowPositionals: true,
      options: {
        preset: { type: "string" },
        bs: { type: "string" },
        device: { type: "string", default: "wasm" },
        quick: { type: "boolean", default: false },
        json: { type: "boolean", default: false },
        threads: { type: "string", default: "2" },
        "no-reference": { type: "boolean", default: false },
        "reference-device": { type: "string", default: "cpu" },
        concurrency: { type: "string" },
        mixed: { type: "boolean", default: false },
        duration: { type: "string" },
        megabytes: { type: "string" },
        path: { type: "string" },
        help: { type: "boolean", default: false },
      },
    });
  } catch (e) {
    fail(`Cannot run benchmark: ${(e as Error).message}; see --help`);
  }
  const { values: v, positionals } = parsed;
  if (v.help) {
    console.log(HELP);
    Deno.exit(0);
  }
  const name = positionals[0];
  const names = name === "all" ? [...BENCHES] : [name];
  if (!name || !(BENCHES as readonly string[]).includes(name) && name !== "all") {
    fail(
      `Cannot run benchmark "${name ?? ""}": available benchmarks are ${
        BENCHES.join(", ")
      } and all`,
    );
  }
  if (v.preset && !["tiny", "small", "paper"].includes(v.preset)) {
    fail(`Cannot run benchmark: --preset must be tiny, small or paper, got "${v.preset}"`);
  }
  const opts: BenchOptions = {
    preset: v.preset as BenchOptions["preset"],
    bs: positiveInt("bs", v.bs),
    device: v.device!,
    quick: v.quick!,
    threads: positiveInt("threads", v.threads)!,
    noReference: v["no-reference"]!,
    referenceDevice: v["reference-device"]!,
    log: (line) => console.error(line),
  };
  const machine = machineInfo();
  // Before any reference starts: the OpenBLAS core type fitlam picks (blas.ts) is then
  // inherited by PyTorch's OpenBLAS too, so both run the same BLAS kernels.
  findBlas();
  const py = opts.noReference ? null : await findTorch();
  const rows: BenchRow[] = [];
  try {
    for (const n of names) {
      if (n === "train") rows.push(...await benchTrain(opts));
      if (n === "infer") rows.push(...await benchInfer(opts));
      if (n === "edge") rows.push(...await benchEdge(opts));
      if (n === "tokenize") {
        rows.push(
          ...await benchTokenizeRows(opts, {
            path: v.path,
            megabytes: v.megabytes ? Number(v.megabytes) : (opts.quick ? 2 : undefined),
          }),
        );
      }
      if (n === "serve") {
        const seconds = positiveInt("duration", v.duration) ?? (opts.quick ? 5 : 15);
        const concurrency = positiveInt("concurrency", v.concurrency) ?? (v.mixed ? 64 : 8);
        const bench = v.mixed ? benchServeMixed : benchServe;
        rows.push(...await bench(opts, { concurrency, seconds }));
      }
    }
  } catch (e) {
    // A benchmark that cannot run (e.g. no data on a fresh machine) ends in one line; a bug keeps its stack.
    Deno.exit(reportFailure(e));
  }
  const loadEnd = loadAverage();
  const busy = (machine.loadStart ?? 0) > machine.cores * 0.5 ||
    (loadEnd ?? 0) > machine.cores + 0.5;
  const stamp = new Date().toISOString();
  if (v.json) {
    for (const r of rows) {
      console.log(JSON.stringify({ ...r, machine: { ...machine, loadEnd, busy }, date: stamp }));
    }
  } else {
    console.log(
      `fitlam bench ${stamp}  ${machine.cpu}, ${machine.cores} cores, ${machine.os}, Deno ${machine.deno}`,
    );
    console.log(
      `load average ${machine.loadStart ?? "?"} at start, ${loadEnd ?? "?"} at end` +
        (busy
          ? " (machine busy: other processes were running; compare ratios, not absolutes)"
          : ""),
    );
    console.log(
      py
        ? `reference: PyTorch ${py.torch} (${py.exe}) on ${opts.referenceDevice}, ${opts.threads} CPU threads, OMP_WAIT_POLICY=PASSIVE${coreType()}`
        : opts.noReference
        ? "reference: skipped (--no-reference)"
        : "reference: none (PyTorch not installed: apt-get install -y python3-torch libopenblas0-pthread)",
    );
    console.log("");
    console.log(table(rows));
    const refs = new Map<string, string[]>();
    for (const r of rows) {
      if (r.referenceName) {
        refs.set(r.referenceName, [...(refs.get(r.referenceName) ?? []), r.name]);
      }
    }
    const notes = [...refs].map(([ref, names]) => `${names.join(", ")}: ${ref}`);
    for (const r of rows) if (r.note) notes.push(`${r.name}: ${r.note}`);
    if (notes.length) console.log("\n" + notes.join("\n"));
    console.log("\nratio > 1: fitlam better (rates: fitlam/reference; times: reference/fitlam)");
  }
  // The wasm backend and any server subprocess are done; leave without waiting on timers.
  Deno.exit(0);
}

/** `, OPENBLAS_CORETYPE=…` where set (by the user or by blas.ts), else nothing. */
function coreType(): string {
  try {
    const t = Deno.env.get("OPENBLAS_CORETYPE");
    return t ? `, OPENBLAS_CORETYPE=${t}` : "";
  } catch {
    return "";
  }
}
