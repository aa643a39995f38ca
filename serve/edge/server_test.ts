import { explain } from "../../shared/explain.ts";
import assert from "node:assert/strict";
import { loadClassifier } from "../../shared/pipeline.ts";
import { makeOddModels, TEST_TEXTS } from "../../shared/infer/test_models.ts";
import { trainBaseline } from "../../shared/baseline/mod.ts";
import { BASELINE_DIR, baselineToSave } from "../../shared/baseline/saved.ts";
import { saveModelFolder } from "../../shared/weights/folder.ts";
import { bundleEdge, writeEdgeEntry } from "./build.ts";
import { edgeServer, fetchWeights } from "./server.ts";

const ROOT = new URL("../..", import.meta.url).pathname;
const NO_THREADS = new URL("./no_threads.ts", import.meta.url).href;

/**
 * An entry that first removes `Worker` and `SharedArrayBuffer` (`deno serve`
 * ignores `--preload`; modules evaluate in import order, so this runs first).
 */
async function withoutThreads(entry: string): Promise<string> {
  const path = `${entry}.no-threads.ts`;
  await Deno.writeTextFile(
    path,
    `import ${JSON.stringify(NO_THREADS)};\nexport { default } from ${
      JSON.stringify(new URL(`file://${entry}`).href)
    };\n`,
  );
  return path;
}

/** Starts `deno serve` on `entry` with the edge permissions; returns its URL and a stopper. */
async function serve(entry: string) {
  const child = new Deno.Command(Deno.execPath(), {
    args: [
      "serve",
      "--port",
      "0",
      "--host",
      "127.0.0.1",
      "--deny-write",
      "--deny-run",
      "--deny-ffi",
      "--unstable-raw-imports", // for the bytes-embedded entry
      "--deny-read",
      "--deny-sys",
      "--allow-env=FITLAM_API_KEY",
      entry,
    ],
    cwd: ROOT,
    env: { FITLAM_API_KEY: "edge-key", NO_COLOR: "1" },
    stdout: "piped",
    stderr: "piped",
  }).spawn();
  const lines = child.stderr.pipeThrough(new TextDecoderStream()).getReader();
  let seen = "";
  while (!/Listening on (http:\/\/\S+?)\/?\s/.test(seen)) {
    const { value, done } = await lines.read();
    if (done) throw new Error(`deno serve exited before listening:\n${seen}`);
    seen += value;
  }
  const url = seen.match(/Listening on (http:\/\/\S+?)\/?\s/)![1];
  const stop = async () => {
    child.kill();
    await lines.cancel();
    await child.stdout.cancel();
    await child.status;
  };
  return { url, stop };
}

async function classify(url: string, texts: string[], key = "edge-key") {
  const res = await fetch(`${url}/v1/classify`, {
    method: "POST",
    headers: { "content-type": "application/json", authorization: `Bearer ${key}` },
    body: JSON.stringify({ texts }),
  });
  return { status: res.status, body: await res.json() };
}

const dir = await makeOddModels();
// A bag-of-words model blended in: the bundle must carry it to answer as loadClassifier.
const BOW = ["free cruise now", "meeting tomorrow", "spam and eggs"].map((text, i) => ({
  text,
  label: ["spam", "ham", "eggs"][i],
}));
await saveModelFolder(
  `${dir}/${BASELINE_DIR}`,
  baselineToSave(trainBaseline(BOW, { labels: ["ham", "spam", "eggs"], grid: [10] }), {
    lm: 0.7,
    baseline: 2,
  }),
);
const out = await Deno.makeTempDir({ prefix: "fitlam-edge-test-" });
await writeEdgeEntry({ weights: dir, out, embed: "base64", threads: 2 });
const reference = await loadClassifier(dir);
const want = await reference.probabilities(TEST_TEXTS);
const wantWhy = await explain(reference, TEST_TEXTS[0]);
reference.dispose();

async function checkServer(entry: string, threads: RegExp) {
  const { url, stop } = await serve(entry);
  try {
    const { status, body } = await classify(url, TEST_TEXTS);
    assert.equal(status, 200, JSON.stringify(body));
    body.results.forEach((r: { scores: Record<string, number> }, i: number) => {
      ["ham", "spam", "eggs"].forEach((l, c) => {
        assert.ok(Math.abs(r.scores[l] - want[i][c]) < 1e-4, `text ${i} ${l}`);
      });
    });
    assert.equal((await classify(url, ["hi"], "wrong")).status, 401);
    const why = await (await fetch(`${url}/v1/explain`, {
      method: "POST",
      headers: { "content-type": "application/json", authorization: "Bearer edge-key" },
      body: JSON.stringify({ text: TEST_TEXTS[0] }),
    })).json();
    assert.equal(why.pieces.length, wantWhy.pieces.length);
    why.pieces.forEach((p: { weight: number }, i: number) =>
      assert.ok(Math.abs(p.weight - wantWhy.pieces[i].weight) < 1e-4, `piece ${i}`)
    );
    const model = await (await fetch(`${url}/v1/model`, {
      headers: { authorization: "Bearer edge-key" },
    })).json();
    assert.match(model.backend, threads);
    assert.deepEqual(model.blend.weights, { lm: 0.7, baseline: 2 });
  } finally {
    await stop();
  }
}

Deno.test("edge entry under deno serve (no write, run, ffi, read, sys) answers as loadClassifier", async () => {
  await checkServer(`${out}/main.ts`, /^cpu-wasm \(\d threads?\)$/);
});

Deno.test("edge entry without Worker and SharedArrayBuffer runs on one thread", async () => {
  await checkServer(await withoutThreads(`${out}/main.ts`), /^cpu-wasm \(1 thread\)$/);
});

Deno.test("the bundled edge.js (code and weights in one file) serves the same answers", async () => {
  const bundle = await bundleEdge(out);
  await checkServer(await withoutThreads(bundle), /^cpu-wasm \(1 thread\)$/);
});

Deno.test("the bytes-embedded bundle (edge.js beside weights.bin) serves the same answers", async () => {
  const bytesOut = `${out}/bytes`;
  await writeEdgeEntry({ weights: dir, out: bytesOut, embed: "bytes" });
  const bundle = await bundleEdge(bytesOut);
  assert.ok((await Deno.stat(bundle)).size < 1 << 20, "the code bundle stays under 1 MB");
  await checkServer(bundle, /^cpu-wasm \(1 thread\)$/);
});

Deno.test("edgeServer fetches packed weights from a URL once; a failed fetch answers 503", async () => {
  const models = await makeOddModels();
  const dist = await Deno.makeTempDir({ prefix: "fitlam-edge-url-" });
  await writeEdgeEntry({ weights: models, out: dist, embed: "base64", url: "unused" });
  const packed = await Deno.readFile(`${dist}/weights.bin`);
  let served = 0;
  const host = Deno.serve({ port: 0, hostname: "127.0.0.1", onListen() {} }, (req) => {
    served++;
    return new URL(req.url).pathname === "/w.bin"
      ? new Response(packed)
      : new Response("no", { status: 404 });
  });
  const base = `http://127.0.0.1:${host.addr.port}`;
  try {
    const edge = edgeServer(() => fetchWeights(`${base}/w.bin`), { apiKey: undefined });
    for (let i = 0; i < 2; i++) {
      const res = await edge.fetch(
        new Request("http://edge/v1/classify", {
          method: "POST",
          headers: { "content-type": "application/json" },
          body: JSON.stringify({ texts: TEST_TEXTS }),
        }),
      );
      assert.equal(res.status, 200);
      assert.equal((await res.json()).results.length, TEST_TEXTS.length);
    }
    assert.equal(served, 1);
    (await edge.classifier).dispose();
    const broken = edgeServer(() => fetchWeights(`${base}/missing.bin`));
    const res = await broken.fetch(new Request("http://edge/v1/model"));
    assert.equal(res.status, 503);
    assert.match((await res.json()).error.message, /Cannot load classifier from .*HTTP 404/);
  } finally {
    await host.shutdown();
    await Deno.remove(models, { recursive: true });
    await Deno.remove(dist, { recursive: true });
  }
});

Deno.test("cleanup", async () => {
  await Deno.remove(dir, { recursive: true });
  await Deno.remove(out, { recursive: true });
});
