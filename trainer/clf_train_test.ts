import assert from "node:assert/strict";
import { initBackend } from "../shared/backend.ts";
import { TextClassifier } from "../shared/model/classifier.ts";
import { encoderPreset, headPreset } from "../shared/model/config.ts";
import { Rng } from "../shared/rng.ts";
import { predictProbabilities } from "../shared/pipeline.ts";
import { type ClassifierStageOptions, type EncodedDoc, trainClassifier } from "./clf_train.ts";
import { loadCheckpoint } from "./checkpoint.ts";
import { MetricsLog } from "./metrics.ts";
import { ADAM_DEFAULTS } from "./optim.ts";
import { StopSignal } from "./signals.ts";
import { StopAtStep } from "./test_util.ts";

const { ops } = await initBackend("wasm");
const VOCAB = 30;

/** Label 1 documents contain token 20 somewhere; label 0 documents never do. */
function docs(n: number, seed: number): EncodedDoc[] {
  const rng = new Rng(seed);
  return Array.from({ length: n }, (_, i) => {
    const ids = Int32Array.from({ length: 5 + rng.int(20) }, () => 9 + rng.int(10));
    const label = i % 2;
    if (label) ids[rng.int(ids.length)] = 20;
    return { ids, label };
  });
}

function options(dir: string, over: Partial<ClassifierStageOptions> = {}): ClassifierStageOptions {
  return {
    direction: "fwd",
    epochs: 3,
    bs: 8,
    lr: 0.02,
    discriminativeFactor: 0.3,
    gradualUnfreeze: true,
    cosine: true,
    dropMult: 0.5,
    adam: ADAM_DEFAULTS,
    seed: 11,
    trainMaxTokens: 16,
    checkpointDir: `${dir}/ckpt`,
    ...over,
  };
}

const newClassifier = (seed: number) =>
  new TextClassifier(ops, encoderPreset("tiny", VOCAB), headPreset(2, 8), seed);

const losses = (log: MetricsLog) =>
  new Map(log.rows.filter((r) => r.type === "step").map((r) => [r.step, r.loss]));

Deno.test("trainClassifier: an interrupted run resumes from its last epoch with the same losses", async () => {
  const dir = await Deno.makeTempDir();
  try {
    const train = docs(48, 1), valid = docs(16, 2);
    const full = new MetricsLog();
    const a = newClassifier(3);
    const fullAcc = await trainClassifier(
      a,
      train,
      valid,
      options(`${dir}/a`),
      full,
      new StopSignal(),
    );
    const fullWeights = await a.head.export();
    a.dispose();

    // Stopped in the middle of epoch 2 (6 batches per epoch): epoch 2 restarts on resume.
    const stop = new StopSignal();
    const b = newClassifier(3);
    await trainClassifier(b, train, valid, options(`${dir}/b`), new StopAtStep(stop, 9), stop);
    b.dispose();
    const resumed = new MetricsLog();
    const c = newClassifier(77); // other initial weights: everything must come from the checkpoint
    const acc = await trainClassifier(
      c,
      train,
      valid,
      options(`${dir}/b`, { resume: true }),
      resumed,
      new StopSignal(),
    );
    const expected = losses(full), after = losses(resumed);
    assert.equal(expected.size, 18);
    assert.deepEqual([...after.keys()], [...expected.keys()].slice(6));
    for (const [step, loss] of after) assert.equal(loss, expected.get(step), `step ${step}`);
    assert.deepEqual(acc, fullAcc);
    const weights = await c.head.export();
    for (const [name, p] of Object.entries(fullWeights)) {
      assert.deepEqual(weights[name].data, p.data, name);
    }
    c.dispose();
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("trainClassifier: gradual unfreezing trains the head first, then one more layer per epoch", async () => {
  const dir = await Deno.makeTempDir();
  try {
    const clf = newClassifier(5); // tiny: embedding, 2 LSTM layers, head → 4 groups
    const before = await clf.encoder.params.export();
    await trainClassifier(
      clf,
      docs(32, 4),
      docs(8, 5),
      options(dir, { epochs: 2 }),
      new MetricsLog(),
      new StopSignal(),
    );
    clf.dispose();
    // The weights at the end of epoch 2 (the best epoch's are loaded back after training).
    const end = await loadCheckpoint(`${dir}/ckpt`);
    for (const [name, p] of Object.entries(before)) {
      const now = end!.tensors[`param.enc.${name}`].data;
      const same = p.data.every((v, i) => Object.is(v, now[i]));
      // Epoch 1: head only; epoch 2: head + last LSTM layer. Embedding and layer 0 stay frozen.
      if (name.startsWith("rnns.1.")) assert.ok(!same, `${name} must have trained`);
      else assert.ok(same, `${name} must stay frozen`);
    }
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("trainClassifier: stops once validation stops improving, and a resume trains no more", async () => {
  const dir = await Deno.makeTempDir();
  try {
    // No validation documents: accuracy stays 0, so epoch 1 stays the best.
    const log = new MetricsLog();
    const clf = newClassifier(6);
    const acc = await trainClassifier(
      clf,
      docs(16, 7),
      [],
      options(dir, { epochs: 6, patience: 2, gradualUnfreeze: false, selectFrom: 0 }),
      log,
      new StopSignal(),
    );
    assert.deepEqual(acc.accuracies, [0, 0, 0]);
    assert.equal(log.rows.filter((r) => r.type === "early-stop").length, 1);
    const again = new MetricsLog();
    await trainClassifier(
      clf,
      docs(16, 7),
      [],
      options(dir, { epochs: 6, patience: 2, gradualUnfreeze: false, resume: true, selectFrom: 0 }),
      again,
      new StopSignal(),
    );
    assert.equal(again.rows.filter((r) => r.type === "step").length, 0);
    clf.dispose();
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("trainClassifier: too few validation documents to choose on: every epoch runs, the last is kept", async () => {
  const valid = docs(8, 12);
  const clf = newClassifier(9);
  const log = new MetricsLog();
  const scores = await trainClassifier(
    clf,
    docs(16, 13),
    valid,
    { ...options("unused", { epochs: 4, patience: 1 }), checkpointDir: undefined },
    log,
    new StopSignal(),
  );
  assert.equal(scores.accuracies.length, 4);
  assert.equal(scores.kept, 3);
  assert.equal(log.rows.filter((r) => r.type === "early-stop").length, 0);
  // The weights served are the last epoch's: they score validation as its row says.
  const probs = await predictProbabilities(clf, valid.map((d) => d.ids));
  const right = probs.filter((p, i) => p.indexOf(Math.max(...p)) === valid[i].label).length;
  assert.equal(right / valid.length, scores.accuracies[3]);
  clf.dispose();
});

/** Trains a fresh classifier in memory (no checkpoints) and returns its metrics log. */
async function trainInMemory(
  train: EncodedDoc[],
  valid: EncodedDoc[],
  over: Partial<ClassifierStageOptions>,
): Promise<MetricsLog> {
  const log = new MetricsLog();
  const clf = newClassifier(8);
  await trainClassifier(
    clf,
    train,
    valid,
    { ...options("unused", over), checkpointDir: undefined },
    log,
    new StopSignal(),
  );
  clf.dispose();
  return log;
}

Deno.test("trainClassifier: trainMaxTokens 0 trains on whole documents", async () => {
  const train = docs(8, 9);
  const log = await trainInMemory(train, [], { epochs: 1, trainMaxTokens: 0 });
  const whole = train.reduce((a, d) => a + d.ids.length, 0);
  const read = log.rows.filter((r) => r.type === "step").reduce((a, r) => a + Number(r.tokens), 0);
  // One epoch reads every token of every document once, none cut (some are over 16 long).
  assert.equal(read, whole);
  assert.ok(train.some((d) => d.ids.length > 16));
});

Deno.test("trainClassifier: passes 3 makes an epoch read every document three times", async () => {
  const train = docs(12, 9);
  const log = await trainInMemory(train, docs(4, 10), { epochs: 2, trainMaxTokens: 0, passes: 3 });
  const whole = train.reduce((a, d) => a + d.ids.length, 0);
  const steps = log.rows.filter((r) => r.type === "step");
  for (const epoch of [0, 1]) {
    const rows = steps.filter((r) => r.epoch === epoch);
    // 12 documents in batches of 8: 2 batches a pass, 6 an epoch, each token read 3 times.
    assert.equal(rows.length, 6);
    assert.equal(rows.reduce((a, r) => a + Number(r.tokens), 0), 3 * whole);
  }
  // Validation still runs once an epoch.
  assert.equal(log.rows.filter((r) => r.type === "valid").length, 2);
});
