import assert from "node:assert/strict";
import { makeTestWeights } from "../serve/test_weights.ts";

function freePort(): number {
  const l = Deno.listen({ hostname: "127.0.0.1", port: 0 });
  const { port } = l.addr as Deno.NetAddr;
  l.close();
  return port;
}

const MAIN = new URL("../serve/main.ts", import.meta.url).pathname;

Deno.test("serve/main.ts answers real HTTP requests and exits 0 on SIGTERM", async () => {
  const weights = await makeTestWeights(["fwd", "bwd"]);
  const port = freePort();
  const base = `http://127.0.0.1:${port}`;
  const child = new Deno.Command(Deno.execPath(), {
    args: [
      "run",
      "--allow-read",
      "--allow-env",
      "--allow-net",
      "--allow-sys",
      MAIN,
      "--port",
      String(port),
      "--weights",
      weights,
    ],
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
    args: [
      "run",
      "--allow-read",
      "--allow-env",
      "--allow-net",
      "--allow-sys",
      MAIN,
      "--port",
      String(freePort()),
      "--weights",
      "/nonexistent-fitlam",
    ],
    stdout: "piped",
    stderr: "piped",
  }).output();
  const stderr = new TextDecoder().decode(out.stderr);
  assert.equal(out.code, 1);
  assert.match(stderr, /^Cannot load classifier from \/nonexistent-fitlam/);
  assert.doesNotMatch(stderr, /\n\s+at /);
});

Deno.test("serve/main.ts --direction: a bad value exits 2; an incomplete direction exits 1", async () => {
  const weights = await makeTestWeights(["fwd", "bwd"]);
  await Deno.remove(`${weights}/classifier-bwd/config.json`);
  const serve = async (...flags: string[]) => {
    const out = await new Deno.Command(Deno.execPath(), {
      args: ["run", "--allow-read", "--allow-env", "--allow-net", "--allow-sys", MAIN, ...flags],
      stdout: "piped",
      stderr: "piped",
    }).output();
    return { code: out.code, stderr: new TextDecoder().decode(out.stderr) };
  };
  const port = ["--port", String(freePort()), "--weights", weights];
  const bad = await serve(...port, "--direction", "up");
  assert.equal(bad.code, 2);
  assert.match(bad.stderr, /Cannot start server: --direction is "up"; pass fwd, bwd or both/);
  const incomplete = await serve(...port);
  assert.equal(incomplete.code, 1);
  assert.match(incomplete.stderr, /classifier-bwd\/config\.json is missing, so the bwd model/);
  await Deno.remove(weights, { recursive: true });
});
