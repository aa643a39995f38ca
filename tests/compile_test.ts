/**
 * The single binary (`deno task compile`, serve/compile.ts), end to end.
 *
 * 1. Always: the esbuild bundle that `deno compile --bundle` embeds, laid
 *    out the way the binary's virtual file system lays it out (bundle at the
 *    project root's image, .wasm files at their node_modules path, weights
 *    at `--embedded-weights`), run with the binary's exact permissions, a
 *    clean environment and a foreign working folder.
 * 2. When denort can be had: the real binary, compiled with tiny weights
 *    embedded, run the same way, on a machine path where the weights no
 *    longer exist.
 *
 * @module
 */
import assert from "node:assert/strict";
import { join } from "node:path";
import {
  EXIT_NO_DENORT,
  planEmbed,
  ROOT,
  RUNTIME_PERMISSIONS,
  RUNTIME_UNSTABLE,
  WASM_FILES,
} from "../serve/compile.ts";
import { makeTestWeights } from "../serve/test_weights.ts";
import { loadClassifier } from "../shared/pipeline.ts";
import { type RunningServer, startServer } from "./server_process.ts";

const TEXTS = ["win a free cruise now", "meeting at noon tomorrow", "cheap pills", "a"];

/** Checks /healthz, /v1/model and /v1/classify against `loadClassifier(weights)` in-process. */
async function checkAnswers(server: RunningServer, weights: string, directions: string[]) {
  const health = await fetch(`${server.base}/healthz`);
  assert.equal((await health.json()).status, "ok");
  const model = await (await fetch(`${server.base}/v1/model`)).json();
  assert.deepEqual(model.directions, directions);
  assert.equal(model.backend, "wasm");

  const res = await fetch(`${server.base}/v1/classify`, {
    method: "POST",
    headers: { "content-type": "application/json" },
    body: JSON.stringify({ texts: TEXTS }),
  });
  assert.equal(res.status, 200);
  const { results } = await res.json();
  const clf = await loadClassifier(weights);
  const want = await clf.classify(TEXTS);
  clf.dispose();
  assert.equal(results.length, TEXTS.length);
  results.forEach((got: { label: string; scores: Record<string, number> }, i: number) => {
    assert.equal(got.label, want[i].label, TEXTS[i]);
    for (const [label, p] of Object.entries(want[i].scores)) {
      assert.ok(
        Math.abs(got.scores[label] - p) < 1e-5,
        `${TEXTS[i]}: ${label} ${got.scores[label]} vs ${p}`,
      );
    }
  });
}

async function copyDir(from: string, to: string): Promise<void> {
  await Deno.mkdir(to, { recursive: true });
  for await (const e of Deno.readDir(from)) {
    if (e.isDirectory) await copyDir(join(from, e.name), join(to, e.name));
    else await Deno.copyFile(join(from, e.name), join(to, e.name));
  }
}

Deno.test("bundled server (what the binary embeds) serves from its embedded layout", async () => {
  const weights = await makeTestWeights(["fwd", "bwd"]);
  const sim = await Deno.makeTempDir({ prefix: "fitlam-bundle-test-" });
  try {
    const project = join(sim, "project");
    const bundle = await new Deno.Command(Deno.execPath(), {
      args: ["bundle", "--platform", "deno", "-o", join(project, "server.mjs"), "serve/main.ts"],
      cwd: ROOT,
      stdout: "piped",
      stderr: "piped",
    }).output();
    assert.ok(bundle.success, new TextDecoder().decode(bundle.stderr));
    for (const file of WASM_FILES) {
      await Deno.mkdir(join(project, file, ".."), { recursive: true });
      await Deno.copyFile(join(ROOT, file), join(project, file));
    }
    // Only the classifier folders travel, as planEmbed picks them.
    for (const dir of planEmbed(weights).include) {
      await copyDir(join(ROOT, dir), join(sim, "embedded", dir.split("/").at(-1)!));
    }
    const cwd = await Deno.makeTempDir({ dir: sim });
    const server = await startServer(Deno.execPath(), [
      "run",
      "--no-prompt",
      ...RUNTIME_PERMISSIONS,
      ...RUNTIME_UNSTABLE,
      join(project, "server.mjs"),
      "--embedded-weights",
      "../embedded",
    ], { cwd, clearEnv: true, env: { NO_COLOR: "1" } });
    let exit;
    try {
      await checkAnswers(server, weights, ["fwd", "bwd"]);
    } finally {
      exit = await server.stop();
    }
    assert.equal(exit.code, 0, exit.stderr);
    assert.match(exit.stdout, /weights: embedded in the binary/);
    assert.equal(exit.stderr, "");
  } finally {
    await Deno.remove(sim, { recursive: true });
    await Deno.remove(weights, { recursive: true });
  }
});

/** Why denort cannot be had here, or undefined when it may be. */
async function denortUnavailable(): Promise<string | undefined> {
  const bin = Deno.env.get("DENORT_BIN");
  if (bin) {
    try {
      Deno.statSync(bin);
      return undefined;
    } catch {
      return `DENORT_BIN=${bin} does not exist`;
    }
  }
  // A denort zip that deno compile downloaded before is reused offline.
  const info = await new Deno.Command(Deno.execPath(), {
    args: ["info", "--json"],
    stdout: "piped",
  })
    .output();
  const denoDir = JSON.parse(new TextDecoder().decode(info.stdout)).denoDir as string;
  const cached = async (dir: string): Promise<boolean> => {
    try {
      for await (const e of Deno.readDir(dir)) {
        if (e.isFile && e.name.startsWith("denort-")) return true;
        if (e.isDirectory && await cached(join(dir, e.name))) return true;
      }
    } catch { /* no such folder */ }
    return false;
  };
  if (await cached(join(denoDir, "dl"))) return undefined;
  try {
    await Deno.resolveDns("dl.deno.land", "A", { signal: AbortSignal.timeout(3000) });
    return undefined;
  } catch (e) {
    return `dl.deno.land is unreachable (${
      (e as Error).message
    }), nothing is cached in ${denoDir}/dl, and DENORT_BIN is unset`;
  }
}

const noDenort = await denortUnavailable();
if (noDenort) {
  console.log(
    `tests/compile_test.ts: skipping the compiled-binary test: deno compile needs denort and ${noDenort}`,
  );
}

Deno.test({
  name: "compiled binary embeds weights and wasm, serves with a clean environment",
  ignore: noDenort !== undefined,
}, async (t) => {
  const weights = await makeTestWeights(["fwd", "bwd"]);
  const fwdOnly = await makeTestWeights(["fwd"]);
  const out = await Deno.makeTempDir({ prefix: "fitlam-compile-test-" });
  try {
    const binary = join(out, "fitlam-serve");
    const started = performance.now();
    const compile = await new Deno.Command(Deno.execPath(), {
      args: [
        "run",
        "--allow-read",
        "--allow-write",
        "--allow-run",
        "serve/compile.ts",
        "--weights",
        weights,
        "--output",
        binary,
      ],
      cwd: ROOT,
      stdout: "piped",
      stderr: "piped",
    }).output();
    const log = new TextDecoder().decode(compile.stdout) +
      new TextDecoder().decode(compile.stderr);
    if (compile.code === EXIT_NO_DENORT) {
      console.log(`skipping: ${log.trim().split("\n").at(-1)}`);
      await t.step({ name: "run the binary (denort unobtainable)", ignore: true, fn() {} });
      return;
    }
    assert.equal(compile.code, 0, log);
    const size = (await Deno.stat(binary)).size;
    console.log(
      `compiled in ${((performance.now() - started) / 1000).toFixed(1)} s, ${
        (size / 1e6).toFixed(1)
      } MB`,
    );

    // The answers to expect, computed before the weights folder goes away.
    const cwd = await Deno.makeTempDir({ dir: out });
    const expected = await Deno.makeTempDir({ dir: out });
    await copyDir(weights, expected);
    await Deno.remove(weights, { recursive: true });

    const server = await startServer(binary, [], { cwd, clearEnv: true });
    let exit;
    try {
      console.log(`binary ready in ${server.readyMs} ms`);
      await checkAnswers(server, expected, ["fwd", "bwd"]);
    } finally {
      exit = await server.stop();
    }
    assert.equal(exit.code, 0, exit.stderr);
    assert.match(exit.stdout, /weights: embedded in the binary/);

    // --weights still picks a folder on disk at run time.
    const other = await startServer(binary, ["--weights", fwdOnly], { cwd, clearEnv: true });
    try {
      await checkAnswers(other, fwdOnly, ["fwd"]);
    } finally {
      exit = await other.stop();
    }
    assert.equal(exit.code, 0, exit.stderr);
  } finally {
    await Deno.remove(out, { recursive: true });
    await Deno.remove(weights, { recursive: true }).catch(() => {});
    await Deno.remove(fwdOnly, { recursive: true });
  }
});
