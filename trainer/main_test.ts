import assert from "node:assert/strict";
import { parseCommandLine, withShippedLms } from "./main.ts";
import { presetConfig } from "./config.ts";
import { STAGES } from "./run.ts";

Deno.test("parseCommandLine: stage, --from, repeated --lm-eval, ablations", async () => {
  const r = await parseCommandLine([
    "finetune-lm",
    "--from",
    "wt103",
    "--lm-eval",
    "a.tokens",
    "--lm-eval=b.tokens",
    "--no-discriminative",
    "--concat-pool=false",
    "--bs",
    "8",
  ]);
  assert.ok(r !== "help");
  assert.deepEqual(r.stages, ["finetune-lm"]);
  assert.equal(r.config.from, "wt103");
  assert.deepEqual(r.config.lmEval, ["a.tokens", "b.tokens"]);
  assert.equal(r.config.finetune.discriminative, false);
  assert.equal(r.config.classify.discriminative, false);
  assert.equal(r.config.classify.concatPool, false);
  assert.equal(r.config.pretrain.bs, 8);
});

Deno.test("parseCommandLine: --pool-layers, or classify.poolLayers in --config; last by default", async () => {
  const parsed = async (args: string[]) => {
    const r = await parseCommandLine(args);
    assert.ok(r !== "help");
    return r.config.classify.poolLayers;
  };
  assert.equal(await parsed([]), "last");
  assert.equal(await parsed(["classify", "--pool-layers", "all"]), "all");
  assert.equal(await parsed(["--pool-layers=last"]), "last");
  const dir = await Deno.makeTempDir({ prefix: "fitlam-cli-" });
  await Deno.writeTextFile(`${dir}/c.json`, JSON.stringify({ classify: { poolLayers: "all" } }));
  assert.equal(await parsed(["--config", `${dir}/c.json`]), "all");
  await Deno.remove(dir, { recursive: true });
});

Deno.test("parseCommandLine: IMDb subsets from flags, hold-out share from --config", async () => {
  const dir = await Deno.makeTempDir({ prefix: "fitlam-cli-" });
  await Deno.writeTextFile(`${dir}/c.json`, JSON.stringify({ pretrain: { validFraction: 0.02 } }));
  const r = await parseCommandLine([
    "--config",
    `${dir}/c.json`,
    "--max-per-class",
    "2800",
    "--max-unlabeled=100",
  ]);
  assert.ok(r !== "help");
  assert.equal(r.config.maxPerClass, 2800);
  assert.equal(r.config.maxUnlabeled, 100);
  assert.equal(r.config.pretrain.validFraction, 0.02);
  // The rest of the preset's stage-1 settings survive the partial patch.
  assert.equal(r.config.pretrain.bs, 16);
  await Deno.remove(dir, { recursive: true });
});

Deno.test("withShippedLms: a whole run starts from the shipped LMs unless it brings its own", async () => {
  const dir = await Deno.makeTempDir({ prefix: "fitlam-shipped-" });
  try {
    const config = () => ({ ...presetConfig("small"), pretrained: dir });
    // Missing: stage 1 runs on the default corpus.
    let c = config();
    assert.deepEqual(await withShippedLms(c), [...STAGES]);
    assert.equal(c.from, "");
    for (const d of ["fwd", "bwd"]) {
      await Deno.mkdir(`${dir}/pretrain-${d}`);
      await Deno.writeTextFile(`${dir}/pretrain-${d}/config.json`, "{}");
    }
    c = config();
    assert.deepEqual(await withShippedLms(c), ["finetune-lm", "classify", "evaluate"]);
    assert.equal(c.from, dir);
    // A corpus, another LM or training from scratch each keep stage 1 as asked.
    for (const over of [{ corpus: "wiki.txt" }, { from: "elsewhere" }, { noPretrain: true }]) {
      c = { ...config(), ...over };
      assert.deepEqual(await withShippedLms(c), [...STAGES]);
      assert.equal(c.from, over.from ?? "");
    }
    // Presets that ship no LM (tiny, paper) pretrain as before.
    assert.equal(presetConfig("tiny").pretrained, "");
    assert.equal(presetConfig("paper").pretrained, "");
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("parseCommandLine: finetune-lm alone reads OUT/pretrain-* if there, else the shipped LMs", async () => {
  const dir = await Deno.makeTempDir({ prefix: "fitlam-stage2-" });
  try {
    const lms = async (root: string) => {
      for (const d of ["fwd", "bwd"]) {
        await Deno.mkdir(`${root}/pretrain-${d}`, { recursive: true });
        await Deno.writeTextFile(`${root}/pretrain-${d}/config.json`, "{}");
      }
    };
    await lms(`${dir}/shipped`);
    await Deno.writeTextFile(`${dir}/c.json`, JSON.stringify({ pretrained: `${dir}/shipped` }));
    const args = ["finetune-lm", "--config", `${dir}/c.json`, "--out", `${dir}/out`];
    let r = await parseCommandLine(args);
    assert.ok(r !== "help");
    assert.equal(r.config.from, `${dir}/shipped`);
    await lms(`${dir}/out`);
    r = await parseCommandLine(args);
    assert.ok(r !== "help");
    assert.equal(r.config.from, "");
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("parseCommandLine: `lr-find STAGE` is the range test of that stage, as `STAGE --lr-find`", async () => {
  const verb = await parseCommandLine(["lr-find", "classify", "--preset", "tiny"]);
  const alias = await parseCommandLine(["classify", "--lr-find", "--preset", "tiny"]);
  assert.ok(verb !== "help" && alias !== "help");
  assert.deepEqual(verb, alias);
  assert.deepEqual(verb.stages, ["classify"]);
  assert.equal(verb.config.lrFind, true);
});

Deno.test("parseCommandLine: the default device is wasm, as for serve, predict and loadClassifier", async () => {
  const r = await parseCommandLine(["classify"]);
  assert.ok(r !== "help");
  assert.equal(r.config.device, "wasm");
  const gpu = await parseCommandLine(["classify", "--device", "auto"]);
  assert.ok(gpu !== "help");
  assert.equal(gpu.config.device, "auto");
});
