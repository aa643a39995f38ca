import assert from "node:assert/strict";
import { makeTestWeights } from "../serve/test_weights.ts";
import { freePort, startServer } from "./server_process.ts";
import { SERVE_MAIN, serveArgs } from "../serve/command.ts";

Deno.test("serve/main.ts answers real HTTP requests and exits 0 on SIGTERM", async () => {
  const weights = await makeTestWeights(["fwd", "bwd"]);
  const port = freePort();
  const base = `http://127.0.0.1:${port}`;
  const child = new Deno.Command(Deno.execPath(), {
    args: serveArgs("--port", String(port), "--weights", weights, "--max-explain-chars", "40"),
    stdout: "piped",
    stderr: "piped",
    env: { FITLAM_API_KEY: "" },
  }).spawn();
  const output = Promise.all([
    new Response(child.stdout).text(),
    new Response(child.stderr).text(),
  ]);
  try {
    let healthy = false;
    for (let i = 0; i < 150 && !healthy; i++) {
      try {
        const res = await fetch(`${base}/healthz`, { signal: AbortSignal.timeout(1000) });
        healthy = res.status === 200;
        await res.body?.cancel();
      } catch { /* not listening yet */ }
      if (!healthy) await new Promise((r) => setTimeout(r, 100));
    }
    assert.ok(healthy, "server never became healthy");

    const classify = (body: string) =>
      fetch(`${base}/v1/classify`, {
        method: "POST",
        headers: { "content-type": "application/json" },
        body,
        signal: AbortSignal.timeout(10_000),
      });
    const single = await (await classify('{"text": "win a free cruise"}')).json();
    assert.equal(single.results.length, 1);
    assert.ok(["ham", "spam"].includes(single.results[0].label));

    const batch = await (await classify('{"texts": ["a b", "meeting at noon"]}')).json();
    assert.equal(batch.results.length, 2);

    const many = await Promise.all(
      Array.from({ length: 16 }, (_, i) => classify(JSON.stringify({ text: `offer ${i} now` }))),
    );
    for (const res of many) {
      assert.equal(res.status, 200);
      assert.equal((await res.json()).results.length, 1);
    }

    // Explained through the model's worker; --max-explain-chars bounds the text.
    const explain = (text: string) =>
      fetch(`${base}/v1/explain`, {
        method: "POST",
        headers: { "content-type": "application/json" },
        body: JSON.stringify({ text }),
        signal: AbortSignal.timeout(10_000),
      });
    const why = await (await explain("win a free cruise")).json();
    assert.deepEqual(why.pieces.map((p: { text: string }) => p.text), [
      "win",
      "a",
      "free",
      "cruise",
    ]);
    const long = await explain("win a free cruise ".repeat(3));
    assert.equal(long.status, 413);
    assert.match((await long.json()).error.message, /the limit is 40/);

    const bad = await classify("{oops");
    assert.equal(bad.status, 400);
    assert.equal((await bad.json()).error.code, "malformed_json");
  } finally {
    child.kill("SIGTERM");
  }
  const timer = setTimeout(() => child.kill("SIGKILL"), 10_000);
  const status = await child.status;
  clearTimeout(timer);
  const [stdout, stderr] = await output;
  assert.equal(status.code, 0, stderr);
  assert.match(stdout, /fitlam serving on http:\/\/127\.0\.0\.1:/);
  assert.match(stdout, /API is open/);
  assert.match(stdout, /"path":"\/v1\/classify"/);
  await Deno.remove(weights, { recursive: true });
});

Deno.test("serve/main.ts exits 1 with the loader's message for a bad weights folder", async () => {
  const out = await new Deno.Command(Deno.execPath(), {
    args: serveArgs("--port", String(freePort()), "--weights", "/nonexistent-fitlam"),
    stdout: "piped",
    stderr: "piped",
  }).output();
  const stderr = new TextDecoder().decode(out.stderr);
  assert.equal(out.code, 1);
  assert.match(stderr, /^error: Cannot load classifier from \/nonexistent-fitlam/);
  assert.match(stderr, /\nSee --weights and --device in --help\.\n/);
  assert.doesNotMatch(stderr, /\n\s+at /);
});

/** Runs serve/main.ts with `flags` until it exits (for start-up errors). */
async function serveUntilExit(...flags: string[]): Promise<{ code: number; stderr: string }> {
  const out = await new Deno.Command(Deno.execPath(), {
    args: serveArgs(...flags),
    stdout: "piped",
    stderr: "piped",
  }).output();
  const stderr = new TextDecoder().decode(out.stderr);
  assert.doesNotMatch(stderr, /\n\s+at /, "no stack trace");
  return { code: out.code, stderr };
}

Deno.test("serve/main.ts --direction: a bad value exits 2; an incomplete direction exits 1", async () => {
  const weights = await makeTestWeights(["fwd", "bwd"]);
  await Deno.remove(`${weights}/classifier-bwd/config.json`);
  const port = ["--port", String(freePort()), "--weights", weights];
  const bad = await serveUntilExit(...port, "--direction", "up");
  assert.equal(bad.code, 2);
  assert.match(bad.stderr, /Cannot start server: --direction is "up"; pass fwd, bwd or both/);
  const incomplete = await serveUntilExit(...port);
  assert.equal(incomplete.code, 1);
  assert.match(incomplete.stderr, /classifier-bwd\/config\.json is missing, so the bwd model/);
  await Deno.remove(weights, { recursive: true });
});

Deno.test("serve/main.ts: a port in use or out of range is one clear line, no stack", async () => {
  const weights = await makeTestWeights(["fwd"]);
  const busy = Deno.listen({ hostname: "127.0.0.1", port: 0 });
  const taken = String((busy.addr as Deno.NetAddr).port);
  const inUse = await serveUntilExit("--port", taken, "--weights", weights);
  busy.close();
  assert.equal(inUse.code, 1);
  assert.match(
    inUse.stderr,
    new RegExp(
      `^error: Cannot start server on 127\\.0\\.0\\.1:${taken}: the address is already in use; stop the other server or pass another --port`,
    ),
  );
  const range = await serveUntilExit("--port", "70000", "--weights", weights);
  assert.equal(range.code, 2);
  assert.match(range.stderr, /--port is "70000"; pass an integer from 0 to 65535/);
  await Deno.remove(weights, { recursive: true });
});

Deno.test("serve/main.ts trims an API key pasted with a trailing newline, and says so", async () => {
  const weights = await makeTestWeights(["fwd"]);
  const server = await startServer(
    Deno.execPath(),
    ["run", "-A", SERVE_MAIN, "--weights", weights],
    {
      env: { FITLAM_API_KEY: "s3cret\n" },
    },
  );
  const classify = (key: string) =>
    fetch(`${server.base}/v1/classify`, {
      method: "POST",
      headers: { "Content-Type": "application/json", Authorization: `Bearer ${key}` },
      body: '{"text": "win a free cruise"}',
    });
  const ok = await classify("s3cret");
  assert.equal(ok.status, 200);
  await ok.body?.cancel();
  const wrong = await classify("other");
  assert.equal(wrong.status, 401);
  await wrong.body?.cancel();
  const exit = await server.stop();
  assert.match(exit.stdout, /FITLAM_API_KEY had leading or trailing whitespace; it was trimmed/);
  await Deno.remove(weights, { recursive: true });
});

Deno.test("serve/main.ts refuses --max-connections beyond what the open-file limit allows", async () => {
  const out = await new Deno.Command("bash", {
    args: [
      "-c",
      `ulimit -n 256 && exec "${Deno.execPath()}" run -A "${SERVE_MAIN}" --weights /nonexistent-fitlam ` +
      "--max-connections 1000",
    ],
    stdout: "piped",
    stderr: "piped",
  }).output();
  const stderr = new TextDecoder().decode(out.stderr);
  assert.equal(out.code, 2);
  assert.match(
    stderr,
    /^error: Cannot start server: --max-connections 1000 needs more open files than the limit of 256 allows \(at most 64 connections\); raise it with ulimit -n or pass --max-connections 64 or less/,
  );
});
