import assert from "node:assert/strict";
import { initBackend } from "../shared/backend.ts";
import { AwdLstm } from "../shared/model/awd_lstm.ts";
import { encoderPreset } from "../shared/model/config.ts";
import { loadLm } from "../shared/model/io.ts";
import { Rng } from "../shared/rng.ts";
import { checkpointFromLm, exportLm, main } from "./export_lm.ts";
import { loadCheckpoint } from "./checkpoint.ts";
import { type LmStageOptions, trainLm } from "./lm_train.ts";
import { MetricsLog } from "./metrics.ts";
import { ADAM_DEFAULTS } from "./optim.ts";
import { StopSignal } from "./signals.ts";

const { ops } = await initBackend("wasm");
const VOCAB = Array.from({ length: 24 }, (_, i) => `w${i}`);

function stream(): Int32Array {
  const rng = new Rng(5);
  return Int32Array.from({ length: 600 }, (_, i) => 2 + ((i * 5 + rng.int(3)) % 22));
}

function stageOptions(dir: string): LmStageOptions {
  return {
    stage: "pretrain",
    direction: "bwd",
    epochs: 2,
    bs: 4,
    bptt: 10,
    lr: 0.01,
    warmup: false,
    gradualUnfreeze: false,
    cosine: true,
    discriminativeFactor: 1,
    alpha: 2,
    beta: 1,
    dropMult: 1,
    adam: ADAM_DEFAULTS,
    seed: 1,
    checkpointEvery: 0,
    checkpointDir: dir,
    resume: false,
  };
}

/** Trains a tiny LM for 4 steps, leaving its mid-epoch checkpoint in `dir`. */
async function checkpointed(dir: string, withModel: boolean): Promise<AwdLstm> {
  const lm = new AwdLstm(ops, encoderPreset("tiny", VOCAB.length), 3);
  await trainLm(
    lm,
    stream(),
    undefined,
    {
      ...stageOptions(dir),
      maxSteps: 4,
      ...(withModel ? { model: { vocab: VOCAB, preset: "tiny" } } : {}),
    },
    new MetricsLog(),
    new StopSignal(),
  );
  return lm;
}

Deno.test("exportLm: a mid-run checkpoint becomes a model folder with the same weights", async () => {
  const dir = await Deno.makeTempDir();
  try {
    const lm = await checkpointed(`${dir}/ckpt`, true);
    const r = await exportLm(`${dir}/ckpt`, `${dir}/out`);
    assert.deepEqual([r.direction, r.stage, r.step, r.done], ["bwd", "pretrain", 4, false]);
    const back = await loadLm(ops, `${dir}/out`);
    assert.deepEqual(back.config.vocab, VOCAB);
    assert.deepEqual(back.config.encoder, lm.config);
    const a = await lm.params.export(), b = await back.lm.params.export();
    for (const name of Object.keys(a)) assert.deepEqual(b[name].data, a[name].data, name);
    // Half precision: half the bytes, each weight within fp16 rounding of the original.
    await exportLm(`${dir}/ckpt`, `${dir}/half`, { half: true });
    const size = async (d: string) => (await Deno.stat(`${d}/model.safetensors`)).size;
    assert.ok((await size(`${dir}/half`)) < 0.55 * (await size(`${dir}/out`)));
    const h = await (await loadLm(ops, `${dir}/half`)).lm.params.export();
    for (const name of Object.keys(a)) {
      a[name].data.forEach((v, i) => {
        assert.ok(Math.abs(h[name].data[i] - v) <= 1e-3 * Math.max(1, Math.abs(v)), name);
      });
    }
    lm.params.dispose(), back.lm.params.dispose();
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("exportLm: an older checkpoint needs --vocab, and says so", async () => {
  const dir = await Deno.makeTempDir();
  try {
    (await checkpointed(`${dir}/ckpt`, false)).params.dispose();
    await assert.rejects(
      exportLm(`${dir}/ckpt`, `${dir}/out`),
      /does not carry its vocabulary.*--vocab/,
    );
    await Deno.writeTextFile(`${dir}/vocab.json`, JSON.stringify(VOCAB));
    const code = await main([`${dir}/ckpt`, "--out", `${dir}/out`, "--vocab", `${dir}/vocab.json`]);
    assert.equal(code, 0);
    const back = await loadLm(ops, `${dir}/out`);
    assert.equal(back.config.encoder.embSize, encoderPreset("tiny", 24).embSize);
    assert.equal(back.config.encoder.numLayers, encoderPreset("tiny", 24).numLayers);
    back.lm.params.dispose();
    assert.equal(await main([`${dir}/nothing`, "--out", `${dir}/x`]), 1);
    assert.equal(await main([`${dir}/ckpt`]), 2);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("checkpointFromLm: an exported LM goes on training where its run stood", async () => {
  const dir = await Deno.makeTempDir();
  try {
    (await checkpointed(`${dir}/ckpt`, true)).params.dispose();
    await exportLm(`${dir}/ckpt`, `${dir}/lm`, { half: true });
    assert.equal(await main(["--to-checkpoint", `${dir}/lm`, "--out", `${dir}/again`]), 0);
    const before = (await loadCheckpoint(`${dir}/ckpt`))!.loop;
    const after = (await loadCheckpoint(`${dir}/again`))!.loop;
    for (const k of ["stage", "direction", "epoch", "stepInEpoch", "globalStep", "position"]) {
      assert.deepEqual(after[k as keyof typeof after], before[k as keyof typeof before], k);
    }
    assert.deepEqual(after.rng, before.rng);
    assert.equal(after.adamT, 0);
    // Resumed from it, training continues at step 5 with the exported weights.
    const log = new MetricsLog();
    const lm = new AwdLstm(ops, encoderPreset("tiny", VOCAB.length), 99);
    await trainLm(
      lm,
      stream(),
      undefined,
      {
        ...stageOptions(`${dir}/again`),
        resume: true,
      },
      log,
      new StopSignal(),
    );
    const steps = log.rows.filter((r) => r.type === "step").map((r) => r.step);
    assert.equal(steps[0], 5);
    lm.params.dispose();
    // A folder that was not exported from a checkpoint is refused with the way out.
    await assert.rejects(checkpointFromLm(`${dir}/nothing`, `${dir}/x`), /Cannot/);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("checkpointFromLm --reopen: a finished run trains another epoch from the top rate", async () => {
  const dir = await Deno.makeTempDir();
  try {
    const one = {
      ...stageOptions(`${dir}/ckpt`),
      epochs: 1,
      model: { vocab: VOCAB, preset: "tiny" },
    };
    const first = new MetricsLog();
    const lm = new AwdLstm(ops, encoderPreset("tiny", VOCAB.length), 3);
    await trainLm(lm, stream(), undefined, one, first, new StopSignal());
    lm.params.dispose();
    const steps = (log: MetricsLog) => log.rows.filter((r) => r.type === "step");
    const lastStep = steps(first).at(-1)!.step as number;
    await exportLm(`${dir}/ckpt`, `${dir}/lm`, { half: true });
    const more = async (args: string[]) => {
      assert.equal(
        await main(["--to-checkpoint", `${dir}/lm`, "--out", `${dir}/again`, ...args]),
        0,
      );
      const log = new MetricsLog();
      const next = new AwdLstm(ops, encoderPreset("tiny", VOCAB.length), 99);
      await trainLm(
        next,
        stream(),
        undefined,
        {
          ...stageOptions(`${dir}/again`),
          epochs: 2,
          resume: true,
        },
        log,
        new StopSignal(),
      );
      next.params.dispose();
      return steps(log);
    };
    // Without --reopen the finished run stays finished.
    assert.equal((await more([])).length, 0);
    // With it, a second epoch runs (BPTT lengths vary, so its step count differs a little),
    // its cosine again from the top rate.
    const again = await more(["--reopen"]);
    const ratio = again.length / steps(first).length;
    assert.ok(ratio > 0.6 && ratio < 1.6, `${again.length} steps against ${steps(first).length}`);
    assert.equal(again[0].step, lastStep + 1);
    assert.equal(again[0].epoch, 1);
    // Each step's rate is scaled by its BPTT length over the mean (0.01 is the top rate).
    assert.ok((again[0].lr as number) > 0.005, `first rate ${again[0].lr}`);
    assert.ok((again.at(-1)!.lr as number) < 0.001, `last rate ${again.at(-1)!.lr}`);
    // --reopen alone is a usage error.
    assert.equal(await main([`${dir}/ckpt`, "--out", `${dir}/x`, "--reopen"]), 2);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});
