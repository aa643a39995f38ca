import assert from "node:assert/strict";
import type { Options } from "./common.ts";
import {
  checkShippedLms,
  copyFineTunedLms,
  SAMPLE_EFFICIENCY_SEEDS,
  sampleEfficiencySpecs,
} from "./sample_efficiency.ts";

function options(patch: Partial<Options> = {}): Options {
  return {
    dataDir: "/data",
    out: "/runs",
    seeds: [...SAMPLE_EFFICIENCY_SEEDS],
    lm: "/runs/wiki-lm",
    direction: "both",
    corpusMaxTokens: 1_200_000,
    splitSeed: 42,
    dryRun: true,
    force: false,
    resume: false,
    ...patch,
  };
}

/** The value after `flag` in `args`, or undefined when the flag is absent. */
function flag(args: string[], name: string): string | undefined {
  const i = args.indexOf(name);
  return i < 0 ? undefined : args[i + 1];
}

Deno.test("sampleEfficiencySpecs: per seed and data set one stage 2, then 4 sizes' classifiers", () => {
  const runs = sampleEfficiencySpecs(options());
  assert.equal(runs.length, 3 * 5 * 3);
  assert.deepEqual(
    runs.slice(0, 15).map((r) => `${r.dataset}-${r.variant}-s${r.seed}`),
    ["imdb", "agnews", "trec"].flatMap((d) =>
      ["lm", "n100", "n500", "n1000", "all"].map((v) => `${d}-${v}-s42`)
    ),
  );
  assert.deepEqual([...new Set(runs.map((r) => r.seed))], [42, 43, 44]);
  for (const r of runs) {
    assert.equal(r.group, "sample-efficiency");
    assert.equal(r.out, `/runs/sample-efficiency/${r.dataset}-${r.variant}-s${r.seed}`);
    const stage2 = r.variant === "lm";
    assert.equal(r.doneFile, stage2 ? `${r.out}/finetune-bwd/config.json` : `${r.out}/test.json`);
    assert.deepEqual(r.args.slice(0, 3), [
      stage2 ? "finetune-lm" : "classify",
      "--preset",
      "small",
    ]);
    assert.equal(flag(r.args, "--seed"), String(r.seed));
    assert.equal(flag(r.args, "--direction"), "both");
    assert.equal(flag(r.args, "--out"), r.out);
    assert.equal(r.args.at(-1), r.out);
    for (const absent of ["--config", "--from", "--classify-epochs", "--no-pretrain"]) {
      assert.ok(!r.args.includes(absent), `${absent} in ${r.args.join(" ")}`);
    }
    const docs = flag(r.args, "--max-train-docs");
    assert.equal(docs, stage2 || r.variant === "all" ? undefined : r.variant.slice(1));
    assert.equal(typeof r.prepare, stage2 && r.dataset !== "agnews" ? "undefined" : "function");
  }
  const imdb = runs.find((r) => r.dataset === "imdb")!;
  assert.equal(flag(imdb.args, "--data"), "/data/imdb/aclImdb_v1.tar.gz");
  assert.equal(flag(imdb.args, "--format"), "imdb");
  assert.equal(flag(imdb.args, "--max-per-class"), "2800");
  assert.equal(flag(imdb.args, "--max-unlabeled"), "10000");
  const fewer = sampleEfficiencySpecs({ ...options(), imdbUnlabeled: 2000 });
  assert.equal(flag(fewer.find((r) => r.dataset === "imdb")!.args, "--max-unlabeled"), "2000");
  const ag = runs.find((r) => r.dataset === "agnews")!;
  assert.equal(flag(ag.args, "--data"), "/runs/agnews-split-42/train.csv");
  assert.equal(flag(ag.args, "--test"), "/runs/agnews-split-42/test.csv");
  assert.equal(flag(ag.args, "--format"), "zhang");
  assert.equal(typeof ag.prepare, "function");
  const trec = runs.find((r) => r.dataset === "trec")!;
  assert.equal(flag(trec.args, "--data"), "/data/trec/train_5500.label");
  assert.equal(flag(trec.args, "--test"), "/data/trec/TREC_10.label");
  assert.equal(flag(trec.args, "--format"), "trec");
  for (const r of [ag, trec]) {
    assert.ok(!r.args.includes("--max-per-class") && !r.args.includes("--max-unlabeled"));
  }
});

Deno.test("sampleEfficiencySpecs: --lm, --classify-epochs, --datasets, --seeds", () => {
  const runs = sampleEfficiencySpecs(
    options({ lmFlag: "/lm", classifyEpochs: 3, datasets: ["trec"], seeds: [7], direction: "fwd" }),
  );
  assert.deepEqual(runs.map((r) => r.variant), ["lm", "n100-e3", "n500-e3", "n1000-e3", "all-e3"]);
  assert.equal(runs[0].doneFile, "/runs/sample-efficiency/trec-lm-s7/finetune-fwd/config.json");
  assert.equal(flag(runs[0].args, "--from"), "/lm");
  assert.equal(flag(runs[0].args, "--classify-epochs"), undefined);
  for (const r of runs.slice(1)) {
    assert.equal(flag(r.args, "--from"), undefined);
    assert.equal(flag(r.args, "--classify-epochs"), "3");
    assert.equal(flag(r.args, "--seed"), "7");
    assert.equal(flag(r.args, "--direction"), "fwd");
  }
  assert.throws(
    () => sampleEfficiencySpecs(options({ datasets: ["sst"] })),
    /Cannot plan sample-efficiency: unknown data set "sst"; use some of imdb, agnews, trec/,
  );
});

Deno.test("deno task experiment sample-efficiency --dry-run: 45 commands; --help lists it", async () => {
  const out = await Deno.makeTempDir({ prefix: "fitlam-se-dry-" });
  const run = async (...args: string[]) => {
    const r = await new Deno.Command(Deno.execPath(), {
      args: ["run", "--allow-all", new URL("./run.ts", import.meta.url).pathname, ...args],
      stdout: "piped",
      stderr: "piped",
    }).output();
    assert.ok(r.success, new TextDecoder().decode(r.stderr));
    return new TextDecoder().decode(r.stdout).split("\n").filter((l) => l);
  };
  const lines = await run("sample-efficiency", "--dry-run", "--data-dir", "/d", "--out", out);
  assert.equal(lines.length, 45);
  const stage2 = lines.filter((l) => l.startsWith("$ deno task train finetune-lm --preset small "));
  assert.equal(stage2.length, 9);
  assert.ok(
    lines.every((l) =>
      stage2.includes(l) || l.startsWith("$ deno task train classify --preset small ")
    ),
  );
  assert.equal(lines.filter((l) => l.includes("--max-train-docs")).length, 27);
  assert.deepEqual(
    ["42", "43", "44"].map((s) => lines.filter((l) => l.includes(` --seed ${s} `)).length),
    [15, 15, 15],
  );
  const some = await run(
    "sample-efficiency",
    "--dry-run",
    "--data-dir=/d",
    `--out=${out}`,
    "--seeds=5",
    "--datasets=agnews",
    "--variants=n100,all",
  );
  assert.deepEqual(
    some.map((l) => l.split(" --out ")[1]),
    ["lm", "n100", "all"].map((v) => `${out}/sample-efficiency/agnews-${v}-s5`),
  );
  const help = (await run("--help")).join("\n");
  assert.match(help, /sample-efficiency\n/);
  assert.match(help, /sample-efficiency-summary\n/);
  assert.match(help, /--datasets LIST/);
  await Deno.remove(out, { recursive: true });
});

Deno.test("checkShippedLms: refuses missing shipped LMs unless --lm is given", async () => {
  const dir = await Deno.makeTempDir({ prefix: "fitlam-se-lms-" });
  await Deno.mkdir(`${dir}/pretrain-fwd`);
  await Deno.writeTextFile(`${dir}/pretrain-fwd/config.json`, "{}");
  await checkShippedLms(options({ direction: "fwd" }), dir);
  await assert.rejects(
    () => checkShippedLms(options(), dir),
    /Cannot run sample-efficiency: the shipped LM .*pretrain-bwd is missing.*pass --lm DIR/,
  );
  await checkShippedLms(options({ lmFlag: "/lm" }), dir);
  await Deno.remove(dir, { recursive: true });
});

Deno.test("copyFineTunedLms: a size's run gets its stage-2 LMs, or an error naming the run", async () => {
  const out = await Deno.makeTempDir({ prefix: "fitlam-se-copy-" });
  const lm = `${out}/trec-lm-s42`;
  for (const d of ["fwd", "bwd"]) {
    await Deno.mkdir(`${lm}/finetune-${d}`, { recursive: true });
    await Deno.writeTextFile(`${lm}/finetune-${d}/config.json`, `{"d":"${d}"}`);
    await Deno.writeTextFile(`${lm}/finetune-${d}/model.safetensors`, d);
  }
  await copyFineTunedLms(lm, `${out}/trec-n100-s42`, ["fwd", "bwd"]);
  assert.equal(
    await Deno.readTextFile(`${out}/trec-n100-s42/finetune-bwd/model.safetensors`),
    "bwd",
  );
  assert.equal(
    await Deno.readTextFile(`${out}/trec-n100-s42/finetune-fwd/config.json`),
    '{"d":"fwd"}',
  );
  await assert.rejects(
    () => copyFineTunedLms(`${out}/agnews-lm-s42`, `${out}/agnews-n100-s42`, ["fwd"]),
    /Cannot prepare .*agnews-n100-s42: its stage-2 run left no .*agnews-lm-s42\/finetune-fwd; run the `lm` variant/,
  );
  await Deno.remove(out, { recursive: true });
});
