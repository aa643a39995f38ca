import assert from "node:assert/strict";
import { presetConfig } from "./config.ts";
import { MetricsLog } from "./metrics.ts";
import { changedSettings, checkResumeSettings, lmDigests } from "./resume_guard.ts";

Deno.test("checkResumeSettings: refuses changed seed and rate, allows device and --resume", async () => {
  const out = await Deno.makeTempDir({ prefix: "fitlam-resume-" });
  const started = { ...presetConfig("tiny"), out, seed: 42 };
  // Nothing to compare yet.
  await checkResumeSettings({ ...started, resume: true });
  await new MetricsLog(`${out}/metrics.jsonl`).add({
    type: "run",
    config: started,
    stages: ["classify"],
    machine: "test",
    backend: "wasm",
  });
  await checkResumeSettings({ ...started, resume: true, device: "cpu" });
  const changed = structuredClone(started);
  changed.seed = 43;
  changed.classify.lr = 0.5;
  await assert.rejects(
    checkResumeSettings({ ...changed, resume: true }),
    new RegExp(
      `^Error: Cannot resume in ${out}: the settings differ from the run being resumed ` +
        `\\(seed 42 → 43, classify\\.lr ${started.classify.lr} → 0\\.5\\); resume with the same ` +
        "settings, or start afresh in another --out$",
    ),
  );
  // Stage 3's settings do not matter to a run that resumes stage 1 only.
  const stage1Only = structuredClone(started);
  stage1Only.classify.lr = 0.5;
  await checkResumeSettings({ ...stage1Only, resume: true }, ["pretrain"]);
  await assert.rejects(
    checkResumeSettings({ ...stage1Only, resume: true }, ["pretrain", "classify"]),
    /classify\.lr/,
  );
  await Deno.remove(out, { recursive: true });
});

Deno.test("changedSettings: classify.poolLayers is a stage-3 setting; runs from before it had last", () => {
  const now = presetConfig("tiny");
  const { poolLayers: _, ...oldClassify } = now.classify;
  const before = { ...now, classify: oldClassify };
  assert.deepEqual(changedSettings(before, now), []);
  const all = { ...now, classify: { ...now.classify, poolLayers: "all" } };
  assert.deepEqual(changedSettings(before, all), ['classify.poolLayers "last" → "all"']);
  assert.deepEqual(changedSettings(now, all, ["classify"]), ['classify.poolLayers "last" → "all"']);
  assert.deepEqual(changedSettings(now, all, ["pretrain", "finetune-lm"]), []);
});

Deno.test("changedSettings: the shipped LMs' path matters only to runs that read them", () => {
  const here = { ...presetConfig("small"), pretrained: "/work/a/weights/enwiki" };
  const moved = { ...here, pretrained: "/work/b/weights/enwiki" };
  assert.deepEqual(changedSettings(here, moved, ["pretrain"]), []);
  const change = ['pretrained "/work/a/weights/enwiki" → "/work/b/weights/enwiki"'];
  assert.deepEqual(changedSettings(here, moved, ["pretrain", "finetune-lm"]), change);
  assert.deepEqual(changedSettings(here, moved), change);
});

Deno.test("changedSettings: stage 1 alone reads no task, so the task's settings may change", () => {
  const before = { ...presetConfig("small"), data: "", seed: 42 };
  const now = { ...before, data: "tiny.tsv", format: "tsv", maxPerClass: 10 };
  assert.deepEqual(changedSettings(before, now, ["pretrain"]), []);
  assert.deepEqual(changedSettings(before, { ...now, seed: 43 }, ["pretrain"]), ["seed 42 → 43"]);
  assert.deepEqual(changedSettings(before, now, ["pretrain", "finetune-lm"]), [
    'data "" → "tiny.tsv"',
    'format "auto" → "tsv"',
    "maxPerClass 0 → 10",
  ]);
});

Deno.test("checkResumeSettings: the same LMs in a moved checkout resume, other LMs do not", async () => {
  const root = await Deno.makeTempDir({ prefix: "fitlam-resume-lms-" });
  const lm = async (at: string, bytes: number[]) => {
    await Deno.mkdir(`${root}/${at}/pretrain-fwd`, { recursive: true });
    await Deno.writeFile(`${root}/${at}/pretrain-fwd/model.safetensors`, new Uint8Array(bytes));
  };
  await lm("a", [1, 2, 3]);
  await lm("moved", [1, 2, 3]);
  await lm("other", [1, 2, 4]);
  const out = `${root}/run`;
  await Deno.mkdir(out);
  const started = { ...presetConfig("small"), out, directions: ["fwd" as const] };
  const from = (at: string) => ({ ...started, from: `${root}/${at}`, pretrained: `${root}/${at}` });
  const lms = await lmDigests(`${root}/a`, ["fwd", "bwd"]);
  assert.deepEqual(Object.keys(lms), ["fwd"]); // no bwd folder: left out
  assert.notDeepEqual(lms, await lmDigests(`${root}/other`, ["fwd"]));
  const row = {
    type: "run" as const,
    config: from("a"),
    stages: ["classify"],
    machine: "",
    backend: "",
  };
  await new MetricsLog(`${out}/metrics.jsonl`).add({ ...row, lms });
  await checkResumeSettings({ ...from("moved"), resume: true }, ["classify"]);
  await assert.rejects(
    checkResumeSettings({ ...from("other"), resume: true }, ["classify"]),
    /the settings differ from the run being resumed \(from ".*\/a" → ".*\/other", pretrained/,
  );
  // A log from before checksums were kept: the path decides.
  await Deno.writeTextFile(`${out}/metrics.jsonl`, "");
  await new MetricsLog(`${out}/metrics.jsonl`).add(row);
  await assert.rejects(
    checkResumeSettings({ ...from("moved"), resume: true }, ["classify"]),
    /from/,
  );
  await Deno.remove(root, { recursive: true });
});
