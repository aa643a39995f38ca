/**
 * Shared pieces of the speed harness: the result row every benchmark
 * returns, the machine description, medians, and running a PyTorch
 * reference script under `bench/` with the thread settings the comparison
 * uses (2 threads, `OMP_WAIT_POLICY=PASSIVE`).
 *
 * @module
 */
import { cpus } from "node:os";
import { kernelThreads } from "../shared/ops/wasm/pool.ts";
import { fitlamWasmKernelsEnabled } from "../shared/ops/wasm_kernels.ts";
import { fitlamWebgpuKernelsEnabled } from "../shared/ops/webgpu/webgpu_kernels.ts";

/** One measured comparison: fitlam against the reference on the same work. */
export interface BenchRow {
  /** Benchmark name, e.g. "train". */
  name: string;
  /** What was measured: preset, batch size, backend, ... */
  config: Record<string, string | number | boolean>;
  /** fitlam's median; undefined if it could not run. */
  fitlam?: number;
  /** The reference's median; undefined when no reference ran. */
  reference?: number;
  /** Unit of both numbers, e.g. "tokens/s" or "ms". */
  unit: string;
  /** fitlam / reference for rates, reference / fitlam for times: > 1 means fitlam is better. */
  ratio?: number;
  /** What the reference is, in a few words. */
  referenceName?: string;
  /** Why a side is missing, or other remarks. */
  note?: string;
}

/** Which kernels run the LSTM and decoder loss on `backend`, for the config column. */
export function kernelsLabel(backend: string): string {
  if (backend === "webgpu") return fitlamWebgpuKernelsEnabled() ? "fitlam-wgsl" : "tfjs-ops";
  if (backend !== "wasm") return "tfjs-ops";
  return fitlamWasmKernelsEnabled() ? `fitlam-simd-${kernelThreads()}thr` : "tfjs-ops";
}

/** True when a larger number is better for `unit`. */
export function higherIsBetter(unit: string): boolean {
  return unit.includes("/s");
}

/** Fills `ratio` so that > 1 always means fitlam is better. */
export function withRatio(row: BenchRow): BenchRow {
  if (row.fitlam !== undefined && row.reference !== undefined && row.fitlam > 0) {
    row.ratio = higherIsBetter(row.unit) ? row.fitlam / row.reference : row.reference / row.fitlam;
  }
  return row;
}

/**
 * Median of a non-empty list.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { median } from "./common.ts";
 * assert.equal(median([3, 1, 2]), 2);
 * assert.equal(median([1, 2, 3, 4]), 2.5);
 * ```
 */
export function median(xs: number[]): number {
  if (xs.length === 0) throw new Error("Cannot take the median: no measurements");
  const s = xs.slice().sort((a, b) => a - b);
  const m = s.length >> 1;
  return s.length % 2 ? s[m] : (s[m - 1] + s[m]) / 2;
}

/**
 * The p-th percentile (0..100) by nearest rank.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { percentile } from "./common.ts";
 * assert.equal(percentile([1, 2, 3, 4, 5, 6, 7, 8, 9, 10], 90), 9);
 * ```
 */
export function percentile(xs: number[], p: number): number {
  if (xs.length === 0) throw new Error("Cannot take a percentile: no measurements");
  const s = xs.slice().sort((a, b) => a - b);
  const rank = Math.min(s.length, Math.max(1, Math.ceil((p / 100) * s.length)));
  return s[rank - 1];
}

/** The machine, as printed above every table. */
export interface MachineInfo {
  cpu: string;
  cores: number;
  /** 1-minute load average when the benchmark started (a busy machine skews numbers). */
  loadStart?: number;
  os: string;
  deno: string;
}

/** Reads the 1-minute load average, if the system exposes it. */
export function loadAverage(): number | undefined {
  try {
    return Deno.loadavg()[0];
  } catch {
    return undefined;
  }
}

/** Describes this machine (CPU model, cores, load). */
export function machineInfo(): MachineInfo {
  let cpu = "unknown CPU";
  try {
    cpu = cpus()[0]?.model?.trim() || cpu;
  } catch { /* no --allow-sys */ }
  return {
    cpu,
    cores: navigator.hardwareConcurrency,
    loadStart: loadAverage(),
    os: `${Deno.build.os}-${Deno.build.arch}`,
    deno: Deno.version.deno,
  };
}

/** How to reach PyTorch, found once. */
export interface Python {
  /** The interpreter that imports torch. */
  exe: string;
  torch: string;
}

/** Why the reference is missing, with the fix, when no Python has torch. */
export const NO_TORCH =
  "PyTorch not found (tried $FITLAM_PYTHON, /usr/bin/python3, python3): install it with " +
  "`apt-get install -y python3-torch libopenblas0-pthread`, or set FITLAM_PYTHON to a Python that has torch; " +
  "printing fitlam's numbers only";

let python: Python | null | undefined;

/** Finds a Python interpreter that imports torch, or returns null. */
export async function findTorch(): Promise<Python | null> {
  if (python !== undefined) return python;
  const candidates = [Deno.env.get("FITLAM_PYTHON"), "/usr/bin/python3", "python3"].filter(
    (c): c is string => Boolean(c),
  );
  python = null;
  for (const exe of candidates) {
    try {
      const out = await new Deno.Command(exe, {
        args: ["-c", "import torch; print(torch.__version__)"],
        stdout: "piped",
        stderr: "null",
      }).output();
      if (out.success) {
        python = { exe, torch: new TextDecoder().decode(out.stdout).trim() };
        break;
      }
    } catch { /* not installed */ }
  }
  return python;
}

/** The environment every reference runs with: 2 threads, threads sleep when idle. */
export function referenceEnv(threads: number): Record<string, string> {
  return {
    OMP_WAIT_POLICY: "PASSIVE",
    OMP_NUM_THREADS: String(threads),
    OPENBLAS_NUM_THREADS: String(threads),
    MKL_NUM_THREADS: String(threads),
    PYTHONDONTWRITEBYTECODE: "1",
  };
}

/**
 * The folder of the reference scripts: `FITLAM_BENCH_DIR` when set (a
 * bundled harness, see bench/gpu.sh, no longer sits beside them), else this
 * module's folder.
 */
export function benchDir(): string {
  try {
    const dir = Deno.env.get("FITLAM_BENCH_DIR");
    if (dir) return dir.replace(/\/$/, "");
  } catch { /* no --allow-env */ }
  return new URL(".", import.meta.url).pathname.replace(/\/$/, "");
}

/**
 * Runs `bench/<script>` with `args` and returns the last JSON object it
 * printed on stdout; the script's stderr passes through.
 */
export async function runReference(
  py: Python,
  script: string,
  args: string[],
  threads = 2,
): Promise<Record<string, unknown>> {
  const path = `${benchDir()}/${script}`;
  const out = await new Deno.Command(py.exe, {
    args: [path, ...args, "--threads", String(threads)],
    env: referenceEnv(threads),
    stdout: "piped",
    stderr: "inherit",
  }).output();
  const text = new TextDecoder().decode(out.stdout);
  if (!out.success) {
    throw new Error(`Cannot run reference ${script}: it exited with code ${out.code}\n${text}`);
  }
  const lines = text.trim().split("\n").filter((l) => l.startsWith("{"));
  if (!lines.length) throw new Error(`Cannot read reference ${script}: it printed no JSON`);
  return JSON.parse(lines[lines.length - 1]);
}

/** Options every benchmark understands. */
export interface BenchOptions {
  preset?: "tiny" | "small" | "paper";
  bs?: number;
  device: string;
  quick: boolean;
  /** Threads of the PyTorch reference (default 2). */
  threads: number;
  /** Skip the reference even when torch is there. */
  noReference: boolean;
  /** Where the PyTorch reference runs: "cpu" (default) or "cuda". */
  referenceDevice?: string;
  /** Print progress to stderr. */
  log: (line: string) => void;
}

/** Formats a number for the table: 3 significant digits, thousands separated. */
export function fmt(x: number | undefined): string {
  if (x === undefined || !Number.isFinite(x)) return "—";
  if (Math.abs(x) >= 100) return Math.round(x).toLocaleString("en-US");
  return x.toPrecision(3);
}

/** Renders rows as an aligned text table. */
export function table(rows: BenchRow[]): string {
  const head = ["benchmark", "config", "fitlam", "reference", "unit", "ratio"];
  const body = rows.map((r) => [
    r.name,
    Object.entries(r.config).map(([k, v]) => `${k}=${v}`).join(" "),
    fmt(r.fitlam),
    fmt(r.reference),
    r.unit,
    r.ratio === undefined ? "—" : `${r.ratio.toFixed(2)}×`,
  ]);
  const widths = head.map((h, i) => Math.max(h.length, ...body.map((b) => b[i].length)));
  const line = (cells: string[]) =>
    cells.map((c, i) => (i >= 2 && i !== 4 ? c.padStart(widths[i]) : c.padEnd(widths[i])))
      .join("  ");
  return [line(head), line(widths.map((w) => "-".repeat(w))), ...body.map(line)].join("\n");
}
