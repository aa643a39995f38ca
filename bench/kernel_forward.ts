/**
 * The LSTM forward task alone, on one or more builds of kernels.c, timed
 * alternately (compare kernel variants on a busy machine): random inputs of
 * [T, B, nIn, H], median ms of `--reps` runs per build.
 *
 * Run: `deno run -A bench/kernel_forward.ts [a.wasm b.wasm …] [--shape 70,32,256,256]
 * [--threads 1,2] [--reps 15]` (no files: the embedded build; every build on every thread
 * count).
 *
 * @module
 */
import { parseArgs } from "node:util";
import { KernelPool, TASK_LSTM_FORWARD } from "../shared/ops/wasm/pool.ts";

const { values: v, positionals } = parseArgs({
  args: Deno.args,
  allowPositionals: true,
  options: {
    shape: { type: "string", default: "70,32,256,256" },
    threads: { type: "string", default: "1" },
    reps: { type: "string", default: "15" },
  },
});
const [T, B, nIn, H] = v.shape!.split(",").map(Number);
const G = 4 * H;
const files = positionals.length ? positionals : [""];
// Every build on every thread count (`--threads 1,2`).
const builds = files.flatMap((f) => v.threads!.split(",").map((n) => ({ f, n: Number(n) })));
const pools = builds.map(({ f, n }) => new KernelPool(n, f ? Deno.readFileSync(f) : undefined));
await new Promise((r) => setTimeout(r, 300)); // workers start
const setup = (p: KernelPool) => {
  const sizes = [T * B * nIn, G * nIn, G * H, G, G, B * H, B * H];
  const ins = sizes.map((n) => {
    const at = p.alloc(n);
    const a = p.f32(at, n);
    for (let i = 0; i < n; i++) a[i] = Math.random() * 0.2 - 0.1;
    return at;
  });
  const scratch = p.alloc(4 * ((H + 7) & ~7) * (nIn + H + 1));
  const outs = [T * B * G, T * B * H, T * B * H, B * H, B * H].map((n) => p.alloc(n));
  return [T, B, nIn, H, ...ins, scratch, ...outs];
};
const args = pools.map(setup);
const times: number[][] = pools.map(() => []);
const flops = 2 * T * B * G * (nIn + H);
for (let r = 0; r < Number(v.reps) + 1; r++) {
  pools.forEach((p, i) => {
    const t0 = performance.now();
    // The pool resets its heap top after each run; the arrays stay where setup put them.
    p.run(TASK_LSTM_FORWARD, args[i], flops);
    if (r > 0) times[i].push(performance.now() - t0);
  });
}
const med = (a: number[]) => [...a].sort((x, y) => x - y)[Math.floor(a.length / 2)];
builds.forEach(({ f, n }, i) => {
  const ms = med(times[i]);
  console.log(
    `${`${f || "embedded"} ×${n}`.padEnd(32)} ${ms.toFixed(1).padStart(8)} ms  min ${
      Math.min(...times[i]).toFixed(1)
    }  ${(flops / ms / 1e6).toFixed(1)} GFLOP/s`,
  );
});

Deno.exit(0);
