import assert from "node:assert/strict";
import { readSampleEfficiencyRuns, sampleEfficiencySummary } from "./sample_efficiency_summary.ts";
import { summarize } from "./summary.ts";

/** A finished sample-efficiency run folder as the runner and the trainer leave it. */
async function writeRun(
  out: string,
  name: string,
  exp: Record<string, unknown>,
  test: Record<string, unknown>,
) {
  const dir = `${out}/sample-efficiency/${name}`;
  await Deno.mkdir(dir, { recursive: true });
  await Deno.writeTextFile(
    `${dir}/experiment.json`,
    JSON.stringify({ group: "sample-efficiency", wallSeconds: 60, ...exp }),
  );
  await Deno.writeTextFile(`${dir}/test.json`, JSON.stringify({ task: "t", n: 500, ...test }));
}

const baseline = (accuracy: number, trainDocs: number) => ({
  name: "tfidf-lr",
  accuracy,
  C: 10,
  seconds: 1.2,
  trainDocs,
});

Deno.test("sampleEfficiencySummary: mean ± std over seeds, missing baseline, SVG and JSON", async () => {
  const out = await Deno.makeTempDir({ prefix: "fitlam-se-" });
  const plots = `${out}/plots`;
  const trec = { dataset: "trec", variant: "n100" };
  const acc = (avg: number) => ({ accuracy: { fwd: avg - 0.05, bwd: avg, avg } });
  await writeRun(out, "trec-n100-s42", { ...trec, seed: 42 }, {
    ...acc(0.6),
    baseline: baseline(0.5, 100),
  });
  await writeRun(out, "trec-n100-s43", { ...trec, seed: 43 }, {
    ...acc(0.8),
    baseline: baseline(0.6, 100),
  });
  await writeRun(out, "trec-n100-s44", { ...trec, seed: 44 }, acc(0.7)); // no baseline
  // No dataset field: taken from the folder name.
  await writeRun(out, "trec-all-s42", { variant: "all", seed: 42 }, {
    ...acc(0.9),
    baseline: baseline(0.85, 4907),
    blend: { weights: { lm: 1, baseline: 0.5 }, accuracy: 0.92 },
    selfTrain: { chosen: 2, accuracy: 0.87 },
  });
  await writeRun(out, "imdb-n100-s42", { dataset: "imdb", variant: "n100", seed: 42 }, acc(0.75));
  // A failed run leaves experiment-failed.json only.
  await Deno.mkdir(`${out}/sample-efficiency/imdb-n500-s42`);
  await Deno.writeTextFile(`${out}/sample-efficiency/imdb-n500-s42/experiment-failed.json`, "{}");

  // A stage-2 run has experiment.json but no classifier.
  await Deno.mkdir(`${out}/sample-efficiency/trec-lm-s42`);
  await Deno.writeTextFile(`${out}/sample-efficiency/trec-lm-s42/experiment.json`, "{}");

  // A run made under another --out folder, linked in.
  const other = await Deno.makeTempDir({ prefix: "fitlam-se-other-" });
  await writeRun(other, "trec-n500-s42", { dataset: "trec", variant: "n500", seed: 42 }, acc(0.85));
  await Deno.symlink(
    `${other}/sample-efficiency/trec-n500-s42`,
    `${out}/sample-efficiency/trec-n500-s42`,
  );
  // A link to nothing is skipped like an unfinished run.
  await Deno.symlink(`${other}/missing`, `${out}/sample-efficiency/trec-n1000-s42`);

  assert.equal((await readSampleEfficiencyRuns(out)).length, 6);
  const log: string[] = [];
  const original = console.log;
  console.log = (...xs: unknown[]) => log.push(xs.join(" "));
  let cells;
  try {
    cells = await sampleEfficiencySummary(out, plots);
  } finally {
    console.log = original;
  }
  const n100 = cells.find((c) => c.dataset === "trec" && c.variant === "n100")!;
  assert.deepEqual(n100.seeds, [42, 43, 44]);
  assert.ok(Math.abs(n100.fitlam!.mean - 0.7) < 1e-12);
  assert.ok(Math.abs(n100.fitlam!.std! - 0.1) < 1e-12);
  assert.equal(n100.baseline!.n, 2);
  assert.ok(Math.abs(n100.baseline!.mean - 0.55) < 1e-12);
  assert.ok(Math.abs(n100.baseline!.std! - Math.sqrt(0.005)) < 1e-12);
  assert.ok(Math.abs(n100.difference!.mean - 0.15) < 1e-12); // per seed: 0.1, 0.2
  const imdb = cells.find((c) => c.dataset === "imdb")!;
  assert.equal(imdb.baseline, null);
  assert.equal(imdb.fitlam!.std, null);

  const table = log.join("\n").split("\n").filter((l) => l.startsWith("| "));
  assert.deepEqual(table, [
    "| data set | labelled examples | seeds | test docs | fitlam error % | tfidf-lr error % | fitlam − tfidf-lr (error points) | tfidf-lr self-trained error % | served (blend) error % |",
    "| --- | --- | --- | --- | --- | --- | --- | --- | --- |",
    "| IMDb | 100 | 42 | 500 | 25.0 | - | - | - | - |",
    "| TREC-6 | 100 | 42, 43, 44 | 500 | 30.0 ± 10.0 | 45.0 ± 7.1 | -15.0 ± 7.1 | - | - |",
    "| TREC-6 | 500 | 42 | 500 | 15.0 | - | - | - | - |",
    "| TREC-6 | all (4,907) | 42 | 500 | 10.0 | 15.0 | -5.0 | 13.0 | 8.0 |",
  ]);

  const svg = await Deno.readTextFile(`${plots}/sample-efficiency.svg`);
  assert.ok(svg.trimStart().startsWith("<svg"));
  for (
    const name of ["TREC-6 fitlam LSTMs", "TREC-6 tfidf-lr", "TREC-6 served", "IMDb fitlam LSTMs"]
  ) {
    assert.ok(svg.includes(`>${name}<`), name);
  }
  // IMDb's run has no baseline and no blend: no line for either.
  assert.ok(!svg.includes("IMDb tfidf-lr") && !svg.includes("IMDb served"));
  assert.match(svg, />1,000</); // log axis labelled in examples
  assert.ok(svg.includes("stroke-dasharray"));
  // The served line is dotted, and so is its legend sample (not the baseline's dashes).
  assert.ok((svg.match(/stroke-dasharray="1 3"/g) ?? []).length >= 2);
  const json = JSON.parse(await Deno.readTextFile(`${plots}/sample-efficiency.json`));
  assert.equal(json.baseline, "tfidf-lr");
  assert.equal(json.cells.length, 4);
  assert.equal(json.runs.length, 6);
  assert.equal(
    json.runs.find((r: { out: string }) => r.out.endsWith("trec-all-s42")).dataset,
    "trec",
  );
  await Deno.remove(out, { recursive: true });
  // Removing `out` removes the links, not the folder they point into.
  await Deno.remove(other, { recursive: true });
});

Deno.test("sampleEfficiencySummary: no runs is an error; summarize skips the folder", async () => {
  const out = await Deno.makeTempDir({ prefix: "fitlam-se-" });
  await assert.rejects(
    () => sampleEfficiencySummary(out, `${out}/plots`),
    /Cannot summarize sample-efficiency: no finished runs \(experiment\.json\) under .*; run/,
  );
  await writeRun(out, "trec-all-s42", { dataset: "trec", variant: "all", seed: 42 }, {});
  await Deno.writeTextFile(`${out}/sample-efficiency/trec-all-s42/metrics.jsonl`, "");
  const options = { skip: ["sample-efficiency"] };
  await assert.rejects(
    () => summarize(out, `${out}/r.json`, `${out}/plots`, options),
    /no finished/,
  );
  await summarize(out, `${out}/r.json`, `${out}/plots`, { ...options, allowEmpty: true });
  await assert.rejects(() => Deno.stat(`${out}/r.json`), Deno.errors.NotFound);
  await Deno.remove(out, { recursive: true });
});
