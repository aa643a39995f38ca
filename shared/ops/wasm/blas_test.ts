// The host's BLAS in the kernels: found and self-checked, products equal to
// a plain JavaScript reference on a one-thread pool before and after its
// memory grows, the kernels' own tests passing with it (this process) and
// without it (FITLAM_BLAS=0, a second process), and what a run is told when
// none loads. `.ci/run` installs OpenBLAS
// and sets FITLAM_REQUIRE_BLAS=1, so there a missing library fails.
import assert from "node:assert/strict";
import { Rng } from "../../rng.ts";
import { relError } from "../test_util.ts";
import { findBlas } from "./blas.ts";
import { KernelPool } from "./pool.ts";

const blas = findBlas();
const required = Deno.env.get("FITLAM_REQUIRE_BLAS") === "1";

Deno.test("blas: OpenBLAS is found where required", () => {
  if (required) {
    assert.ok(blas, "FITLAM_REQUIRE_BLAS=1 but no BLAS loaded (apt-get install libopenblas0)");
  }
  if (blas) assert.match(blas.core, /\w/);
});

const TASK_MATMUL = 3;

/** C = op(A)·B by the pool's task, and by plain JavaScript. */
function product(pool: KernelPool, rng: Rng, M: number, N: number, K: number, ta: boolean) {
  const [a, b, c] = [M * K, K * N, M * N].map((n) => pool.alloc(n));
  const A = Float32Array.from({ length: M * K }, () => rng.normal());
  const B = Float32Array.from({ length: K * N }, () => rng.normal());
  pool.f32(a, M * K).set(A);
  pool.f32(b, K * N).set(B);
  pool.run(TASK_MATMUL, [M, N, K, ta ? 1 : 0, 0, a, b, c], M * N * K, K);
  const got = pool.f32(c, M * N).slice();
  const want = new Float32Array(M * N);
  for (let i = 0; i < M; i++) {
    for (let j = 0; j < N; j++) {
      let s = 0;
      for (let k = 0; k < K; k++) s += A[ta ? k * M + i : i * K + k] * B[k * N + j];
      want[i * N + j] = s;
    }
  }
  return { got, want };
}

Deno.test({
  name: "blas: products on one thread, plain memory, before and after it grows (a new buffer)",
  ignore: !blas,
  fn() {
    const pool = new KernelPool(1, undefined, blas);
    const rng = new Rng(7);
    for (const ta of [false, true]) {
      const before = product(pool, rng, 37, 45, 29, ta);
      assert.ok(relError(before.got, before.want) < 1e-5);
      pool.alloc(1 << 24); // 64 MB more: the old ArrayBuffer is detached (V8 may keep the address)
      pool.keep();
      const after = product(pool, rng, 40, 33, 50, ta);
      assert.ok(relError(after.got, after.want) < 1e-5);
    }
    pool.close();
  },
});

Deno.test({
  name: "blas: the kernels' tests pass with every product in WebAssembly (FITLAM_BLAS=0)",
  ignore: !blas,
  async fn() {
    const here = new URL(".", import.meta.url);
    const files = ["../lstm_wasm_test.ts", "../decoder_loss_wasm_test.ts"]
      .map((f) => new URL(f, here).pathname);
    const out = await new Deno.Command(Deno.execPath(), {
      args: ["test", "--allow-ffi", "--allow-read", "--allow-env", "--allow-sys", ...files],
      env: { FITLAM_BLAS: "0", NO_COLOR: "1" },
    }).output();
    const text = new TextDecoder().decode(out.stdout);
    assert.equal(out.code, 0, text.slice(-2000));
    assert.match(text, /ok \| [1-9]\d* passed \| 0 failed/);
  },
});

/** findBlas() and blasHint() in a fresh process with `env`. */
async function freshFind(env: Record<string, string>) {
  const blasTs = new URL("./blas.ts", import.meta.url).href;
  const code = `import { blasHint, findBlas } from "${blasTs}";
console.log(JSON.stringify({ found: findBlas() ?? null, hint: blasHint() }));`;
  const out = await new Deno.Command(Deno.execPath(), {
    args: ["eval", code],
    env: { ...env, NO_COLOR: "1" },
  }).output();
  const text = new TextDecoder();
  return { ...JSON.parse(text.decode(out.stdout)), stderr: text.decode(out.stderr) };
}

Deno.test("blas: FITLAM_BLAS=0 loads nothing and suggests nothing", async () => {
  const r = await freshFind({ FITLAM_BLAS: "0" });
  assert.equal(r.found, null);
  assert.equal(r.hint, "");
});

Deno.test({
  name: "blas: a FITLAM_BLAS that does not load is said, and the run line says how to get one",
  ignore: Deno.build.os !== "linux",
  async fn() {
    const r = await freshFind({ FITLAM_BLAS: "/nonexistent/libcblas.so" });
    assert.equal(r.found, null);
    assert.match(r.stderr, /cannot load FITLAM_BLAS=\/nonexistent\/libcblas\.so/);
    assert.match(r.hint, /no OpenBLAS found \(`apt-get install libopenblas0`/);
  },
});
