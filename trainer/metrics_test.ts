import assert from "node:assert/strict";
import { join } from "node:path";
import { presetConfig } from "./config.ts";
import {
  byType,
  type EventOf,
  isEvent,
  type Logged,
  MetricsLog,
  type MetricsType,
  parseMetricsLines,
} from "./metrics.ts";

const labels = ["a", "b"], confusion = [[2, 1], [0, 1]];

/** One event of every type, as the trainer writes them. */
const SAMPLES: { [T in MetricsType]: EventOf<T> } = {
  "run": {
    type: "run",
    config: presetConfig("tiny"),
    stages: ["classify", "evaluate"],
    machine: "linux-x86_64, 2 cores",
    backend: "wasm",
  },
  "step": {
    type: "step",
    stage: "classify",
    direction: "fwd",
    epoch: 0,
    step: 1,
    loss: 0.69,
    lr: 0.01,
    tokens: 512,
    tokensPerSec: 1234.5,
  },
  "valid": {
    type: "valid",
    stage: "pretrain",
    direction: "bwd",
    epoch: 0,
    loss: 4,
    perplexity: Math.exp(4),
  },
  "test": { type: "test", direction: "avg", accuracy: 0.75, error: 0.25, labels, confusion },
  "baseline": {
    type: "baseline",
    name: "tfidf-lr",
    accuracy: 0.5,
    C: 10,
    seconds: 1.5,
    confusion,
    labels,
    trainDocs: 40,
    features: 300,
  },
  "blend": {
    type: "blend",
    weights: { lm: 0.5, baseline: 1.5 },
    valid: { lm: 0.7, baseline: 0.6, blend: 0.75 },
    accuracy: 0.8,
    error: 0.2,
    labels,
    confusion,
  },
  "held-out": {
    type: "held-out",
    direction: "bwd",
    fold: 2,
    folds: 3,
    trainDocs: 66,
    heldDocs: 34,
    accuracy: 0.7,
  },
  "mistakes": {
    type: "mistakes",
    of: "blend",
    wrong: 3,
    total: 20,
    top: [{
      index: 7,
      label: "ham",
      predicted: "spam",
      p: 0.9,
      pTrue: 0.1,
      text: "win a cruise",
      because: [{ text: "win", weight: 0.2 }],
    }],
  },
  "self-train": {
    type: "self-train",
    unlabelled: 500,
    plainValid: 0.6,
    rounds: [{ round: 0, pseudo: 0, valid: 0.62, wins: 4, losses: 3 }, {
      round: 1,
      pseudo: 100,
      valid: 0.7,
      wins: 30,
      losses: 10,
    }],
    chosen: 1,
    accuracy: 0.68,
    seconds: 3,
  },
  "lm-eval": {
    type: "lm-eval",
    direction: "fwd",
    corpus: "wiki.valid.txt",
    tokens: 1000,
    unknownRate: 0.02,
    loss: 4.5,
    perplexity: Math.exp(4.5),
  },
  "lr-find": {
    type: "lr-find",
    stage: "finetune-lm",
    direction: "fwd",
    points: [{ lr: 1e-4, loss: 3, smoothed: 3 }, { lr: 1e-3, loss: 2, smoothed: 2.5 }],
    suggestion: { minOver10: 1e-4 },
    ended: "steps",
  },
  "warning": { type: "warning", stage: "classify", direction: "bwd", message: "chance" },
  "early-stop": { type: "early-stop", stage: "classify", direction: "fwd", epoch: 3 },
  "end": { type: "end", seconds: 12.5 },
};

const TIME = "2026-01-01T00:00:00.000Z";

Deno.test("MetricsLog: every event type round trips through the file, keys in order", async () => {
  const dir = await Deno.makeTempDir();
  try {
    const path = join(dir, "metrics.jsonl");
    const log = new MetricsLog(path);
    for (const event of Object.values(SAMPLES)) await log.add(event);
    const text = await Deno.readTextFile(path);
    const lines = text.split("\n");
    assert.equal(lines.pop(), "");
    // Byte for byte: the event's own keys in order, then time.
    assert.deepEqual(lines, log.rows.map((r) => JSON.stringify(r)));
    for (const [i, event] of Object.values(SAMPLES).entries()) {
      assert.deepEqual(Object.keys(log.rows[i]), [...Object.keys(event), "time"]);
    }
    const { events, skipped } = parseMetricsLines(text);
    assert.equal(skipped, 0);
    assert.deepEqual(events, log.rows);
    for (const [type, event] of Object.entries(SAMPLES)) {
      const found: Logged[] = byType(events, type as MetricsType);
      assert.equal(found.length, 1, type);
      assert.deepEqual({ ...found[0], time: undefined }, { ...event, time: undefined });
    }
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("parseMetricsLines: a truncated last line is skipped and counted", () => {
  const rows = Object.values(SAMPLES).map((e) => JSON.stringify({ ...e, time: TIME }));
  const text = rows.join("\n") + "\n";
  const cut = text.slice(0, text.length - 10); // a crash mid-write
  const { events, skipped } = parseMetricsLines(cut);
  assert.equal(skipped, 1);
  assert.equal(events.length, rows.length - 1);
  assert.deepEqual(byType(events, "end"), []);
  // Blank lines are not counted; other non-objects are.
  assert.deepEqual(parseMetricsLines("\n  \n[1]\n42\nnull\n").skipped, 3);
});

Deno.test("isEvent: a row with a missing or wrongly typed field is not narrowed", () => {
  const step = { ...SAMPLES.step, time: TIME };
  assert.equal(isEvent(step, "step"), true);
  const { tokens: _, ...noTokens } = step;
  assert.equal(isEvent(noTokens, "step"), true, "tokens is optional (older logs)");
  for (
    const [field, value] of [
      ["loss", "0.69"],
      ["loss", NaN],
      ["loss", undefined],
      ["epoch", null],
      ["stage", "pretrian"],
      ["direction", "both"],
      ["tokens", "512"],
      ["time", undefined],
    ] as const
  ) {
    assert.equal(isEvent({ ...step, [field]: value }, "step"), false, `${field}: ${value}`);
  }
  assert.equal(isEvent(step, "valid"), false);
  const test = { ...SAMPLES.test, time: TIME };
  assert.equal(isEvent({ ...test, confusion: [[1, "2"]] }, "test"), false);
  assert.equal(isEvent({ ...test, labels: "ab" }, "test"), false);
  const lrFind = { ...SAMPLES["lr-find"], time: TIME };
  assert.equal(isEvent({ ...lrFind, points: [{ lr: 1, loss: 2 }] }, "lr-find"), false);
  assert.equal(isEvent({ ...lrFind, ended: "done" }, "lr-find"), false);
  assert.equal(isEvent({ ...SAMPLES.run, time: TIME, config: "tiny" }, "run"), false);
  // byType keeps only the rows that narrow.
  assert.deepEqual(byType([step, { ...step, loss: "x" }, "step", null], "step"), [step]);
});

Deno.test("parseMetricsLines: unknown row types pass through and narrow to nothing", () => {
  const lines = [
    `{"type":"mystery","x":1}`,
    `{"no":"type"}`,
    `{"type":"toString","time":"${TIME}"}`,
    JSON.stringify({ ...SAMPLES.end, time: TIME }),
  ];
  const { events, skipped } = parseMetricsLines(lines.join("\n"));
  assert.equal(skipped, 0);
  assert.deepEqual(events, lines.map((l) => JSON.parse(l)));
  for (const row of events.slice(0, 3)) {
    assert.equal(isEvent(row, row.type as MetricsType), false);
  }
  assert.equal(byType(events, "end").length, 1);
});
