import assert from "node:assert/strict";
import { accuracyTable, lmEvalTable, readRun } from "./summary.ts";

/** A finished run folder as the runner and the trainer leave it. */
async function writeRun(dir: string, seed: number, fwd: number, bwd: number, avg: number) {
  await Deno.mkdir(dir, { recursive: true });
  await Deno.writeTextFile(
    `${dir}/experiment.json`,
    JSON.stringify({
      group: "g",
      variant: "full",
      seed,
      command: "deno task train all",
      wallSeconds: 120,
      loadavgStart: [1, 1, 1],
      loadavgEnd: [2, 2, 2],
    }),
  );
  const rows = [
    { type: "run", machine: "linux-x86_64, 2 cores", backend: "wasm" },
    { type: "step", stage: "classify", direction: "fwd", step: 1, loss: 0.7 },
    { type: "step", stage: "classify", direction: "fwd", step: 2, loss: 0.6 },
    { type: "valid", stage: "classify", direction: "fwd", accuracy: 0.5 },
    { type: "valid", stage: "classify", direction: "fwd", accuracy: 0.75 },
    { type: "test", direction: "fwd", accuracy: fwd },
    { type: "test", direction: "bwd", accuracy: bwd },
    { type: "test", direction: "avg", accuracy: avg },
    {
      type: "lm-eval",
      direction: "fwd",
      corpus: "/data/wiki.valid.tokens",
      tokens: 1000,
      unknownRate: 0.125,
      perplexity: 42.25,
    },
  ];
  await Deno.writeTextFile(`${dir}/metrics.jsonl`, rows.map((r) => JSON.stringify(r)).join("\n"));
  await Deno.writeTextFile(`${dir}/test.json`, JSON.stringify({ n: 500 }));
}

Deno.test("readRun + accuracyTable: per-run results and mean ± sample std over seeds", async () => {
  const dir = await Deno.makeTempDir({ prefix: "fitlam-summary-" });
  await writeRun(`${dir}/a`, 42, 0.8, 0.7, 0.9);
  await writeRun(`${dir}/b`, 43, 0.9, 0.7, 0.7);
  const a = await readRun(`${dir}/a`);
  assert.deepEqual(a.run.test, { fwd: 0.8, bwd: 0.7, avg: 0.9 });
  assert.deepEqual(a.run.validAccuracy, { fwd: [0.5, 0.75] });
  assert.equal(a.run.steps["classify-fwd"], 2);
  assert.equal(a.run.testDocs, 500);
  assert.equal(a.run.lmEval[0].corpus, "wiki.valid.tokens");
  const b = await readRun(`${dir}/b`);
  const table = accuracyTable([a.run, b.run]).split("\n");
  // fwd 80, 90: mean 85.0, sample std sqrt(50) = 7.07; bwd 70 ± 0; avg 90, 70: 80.0 ± 14.1,
  // error 20.0; wall 120 s = 2.0 min.
  assert.equal(
    table[2],
    "| full | 42, 43 | 500 | 85.0 ± 7.1 | 70.0 ± 0.0 | 80.0 ± 14.1 | 20.0 | 2.0 |",
  );
  assert.equal(
    lmEvalTable(a.run).split("\n")[2],
    "| fwd | wiki.valid.tokens | 1000 | 12.5 | 42.3 |",
  );
  await Deno.remove(dir, { recursive: true });
});
