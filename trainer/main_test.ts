import assert from "node:assert/strict";
import { parseCommandLine } from "./main.ts";

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
