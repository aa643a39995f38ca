import assert from "node:assert/strict";
import { join } from "node:path";
import { type MetricsRow, parseMetrics, renderReport, writeReport } from "./report.ts";

/** Deterministic noise in [-1, 1) for the sample curves. */
function noise(seed: number): () => number {
  let s = seed >>> 0;
  return () => {
    s = (Math.imul(s, 1664525) + 1013904223) >>> 0;
    return s / 2147483648 - 1;
  };
}

/**
 * A realistic run: three stages for both directions, warm-up then per-epoch
 * cosine learning rates, validation per epoch and test rows with confusions.
 */
function sampleRows(opts: { stepsPerEpoch?: number } = {}): MetricsRow[] {
  const per = opts.stepsPerEpoch ?? 120;
  const rows: MetricsRow[] = [{
    type: "run",
    startedAt: "2026-11-26T03:00:00.000Z",
    machine: "linux x86_64, 16 cores, backend wasm",
    config: {
      dataset: "spam-assassin",
      model: { embSize: 400, hidden: 1150, layers: 3, dropMult: 0.5 },
      bptt: 70,
      batchSize: 64,
      lrMax: { pretrain: 3e-3, "finetune-lm": 4e-3, classify: 1e-2 },
      discriminativeFactor: 2.6,
      seed: 42,
    },
  }];
  const stages = [
    { stage: "pretrain", epochs: 3, steps: per, lr: 3e-3, base: 4.0, start: 9.5, scale: 0.2 },
    {
      stage: "finetune-lm",
      epochs: 2,
      steps: Math.round(per * 0.6),
      lr: 4e-3,
      base: 3.5,
      start: 4.4,
    },
    {
      stage: "classify",
      epochs: 3,
      steps: Math.round(per * 0.3),
      lr: 1e-2,
      base: 0.12,
      start: 0.69,
    },
  ];
  let t = Date.parse("2026-11-26T03:00:05.000Z");
  for (const direction of ["fwd", "bwd"]) {
    const rnd = noise(direction === "fwd" ? 1 : 2);
    const shift = direction === "fwd" ? 0 : 0.08;
    let step = 0;
    for (const s of stages) {
      const total = s.epochs * s.steps;
      for (let epoch = 0; epoch < s.epochs; epoch++) {
        for (let i = 0; i < s.steps; i++, step++) {
          const k = epoch * s.steps + i;
          const p = i / s.steps;
          // Epoch 0: reverse cosine warm-up to lrMax; later epochs: cosine decay.
          const lr = epoch === 0
            ? s.lr * (0.01 + 0.99 * (1 - Math.cos(Math.PI * p)) / 2)
            : s.lr * (0.01 + 0.99 * (1 + Math.cos(Math.PI * p)) / 2);
          const clean = s.base + shift + (s.start - s.base) * Math.exp(-5 * k / total);
          const loss = Math.max(0.01, clean + rnd() * (s.stage === "classify" ? 0.12 : 0.25));
          t += 850 + Math.round(rnd() * 100);
          rows.push({
            type: "step",
            stage: s.stage,
            direction,
            epoch,
            step,
            loss,
            lr,
            tokensPerSec: s.stage === "classify" ? 900 + rnd() * 50 : 1500 + rnd() * 120,
            time: new Date(t).toISOString(),
          });
        }
        const validLoss = s.base + shift +
          (s.start - s.base) * Math.exp(-5 * (epoch + 1) / s.epochs) +
          0.05;
        rows.push(
          s.stage === "classify"
            ? {
              type: "valid",
              stage: s.stage,
              direction,
              epoch,
              loss: validLoss,
              accuracy: 0.86 + 0.035 * epoch - shift / 4,
            }
            : {
              type: "valid",
              stage: s.stage,
              direction,
              epoch,
              loss: validLoss,
              perplexity: Math.exp(validLoss),
            },
        );
      }
    }
  }
  rows.push(
    {
      type: "test",
      direction: "fwd",
      accuracy: 0.9548,
      error: 0.0452,
      labels: ["ham", "spam"],
      confusion: [[812, 21], [29, 244]],
    },
    {
      type: "test",
      direction: "bwd",
      accuracy: 0.9439,
      error: 0.0561,
      labels: ["ham", "spam"],
      confusion: [[806, 27], [35, 238]],
    },
    {
      type: "test",
      direction: "avg",
      accuracy: 0.9620,
      error: 0.0380,
      labels: ["ham", "spam"],
      confusion: [[816, 17], [25, 248]],
    },
    { type: "end", seconds: 812 },
  );
  return rows;
}

Deno.test("renders every kind of row", () => {
  const html = renderReport(sampleRows({ stepsPerEpoch: 30 }), { title: "spam run" });
  assert.ok(html.startsWith("<!doctype html>"));
  assert.ok(html.trimEnd().endsWith("</html>"));
  assert.match(html, /<title>spam run<\/title>/);
  // loss, learning rate and three validation panels
  assert.equal(html.match(/<svg /g)?.length, 5);
  assert.match(html, /95\.48%/); // fwd test accuracy
  assert.match(html, /96\.20%/); // avg
  assert.match(html, /13 min 32 s/); // end.seconds = 812
  assert.match(html, /LM pretraining/);
  assert.match(html, /LM fine-tuning/);
  assert.match(html, /classifier: accuracy/);
  assert.match(html, /LM pretraining: perplexity/);
  assert.match(html, /model\.hidden/); // flattened config
  assert.match(html, /<table class="confusion">/);
  assert.equal(html.match(/<table class="confusion">/g)?.length, 3);
  assert.match(html, /fwd \(EMA\)/);
  assert.doesNotMatch(html, /No (step|validation|test) rows/);
  assert.doesNotMatch(html, /NaN|undefined|Infinity/);
});

Deno.test("page references no network assets and runs no script", () => {
  const html = renderReport(sampleRows({ stepsPerEpoch: 20 }));
  assert.doesNotMatch(html, /https?:\/\//);
  assert.doesNotMatch(html, /<script|<link|<img|@import|url\((?!#)/i);
  assert.match(html, /Content-Security-Policy/);
});

Deno.test("escapes user text", () => {
  const evil = `<script>alert("x")</script>`;
  const html = renderReport([
    { type: "run", config: { [evil]: evil }, machine: evil },
    { type: "step", stage: evil, direction: evil, step: 0, loss: 1, lr: 1e-3 },
    { type: "step", stage: evil, direction: evil, step: 1, loss: 0.9, lr: 1e-3 },
    { type: "valid", stage: evil, direction: evil, epoch: 0, loss: 1, accuracy: 0.5 },
    { type: "test", direction: evil, labels: [evil, "ok & <b>"], confusion: [[1, 0], [0, 1]] },
  ], { title: evil });
  assert.doesNotMatch(html, /<script/i);
  assert.doesNotMatch(html, /<b>/);
  assert.match(html, /&#60;script&#62;alert\(&#34;x&#34;\)&#60;\/script&#62;/);
  assert.match(html, /ok &#38; &#60;b&#62;/);
});

Deno.test("empty input renders a valid page with placeholders", () => {
  const html = renderReport([]);
  assert.ok(html.startsWith("<!doctype html>"));
  assert.match(html, /<title>FitLaM training report<\/title>/);
  assert.match(html, /No step rows\./);
  assert.match(html, /No validation rows\./);
  assert.match(html, /No test rows\./);
  assert.match(html, /No run row with a config\./);
  assert.doesNotMatch(html, /<svg/);
  assert.doesNotMatch(html, /NaN|undefined/);
  // Tags balance for the block elements used.
  for (const tag of ["section", "table", "div", "main", "svg"]) {
    const open = html.match(new RegExp(`<${tag}[ >]`, "g"))?.length ?? 0;
    const close = html.match(new RegExp(`</${tag}>`, "g"))?.length ?? 0;
    assert.equal(open, close, tag);
  }
});

Deno.test("odd and partial rows do not break the page", () => {
  const html = renderReport([
    { type: "step", loss: 2 }, // no stage, direction, lr
    { type: "step", loss: "high", lr: null },
    { type: "step", direction: "fwd", stage: "pretrain", loss: NaN, lr: 1e-3 },
    { type: "valid", stage: "pretrain", direction: "fwd", loss: 4 }, // perplexity from loss
    { type: "test", direction: "fwd", confusion: [[1, 2, 3], [4, 5]] }, // not square
    { type: "test", direction: "bwd", confusion: [[3, 1], [0, 4]] }, // no labels, no accuracy
    { type: "run", config: "not an object" },
    { type: "end" },
    { type: "something else", x: 1 },
  ]);
  assert.match(html, /not square/);
  assert.match(html, /class 0/);
  assert.match(html, /87\.50%/); // bwd accuracy from the confusion trace: 7 / 8
  assert.match(html, /54\.6/); // exp(4) = 54.6
  assert.match(html, /no end row/);
  assert.doesNotMatch(html, /NaN|undefined/);
  // Long runs are thinned but keep the full x range.
  const big = renderReport(sampleRows({ stepsPerEpoch: 2000 }));
  assert.ok(big.length < 600_000, `report is ${big.length} bytes`);
});

Deno.test("parseMetrics skips and counts malformed lines", () => {
  const { rows, skipped } = parseMetrics(
    [`{"type":"end","seconds":1}`, `not json`, `[1,2]`, `42`, ``, `  `, `{"type":"run"`].join("\n"),
  );
  assert.equal(rows.length, 1);
  assert.equal(skipped, 4);
});

Deno.test("writeReport writes atomically and notes skipped lines", async () => {
  const dir = await Deno.makeTempDir();
  try {
    const metrics = join(dir, "metrics.jsonl");
    const html = join(dir, "report.html");
    const lines = sampleRows({ stepsPerEpoch: 120 }).map((r) => JSON.stringify(r));
    lines.splice(5, 0, `{"type":"step","loss":`); // a torn write
    await Deno.writeTextFile(metrics, lines.join("\n") + "\n");
    await writeReport(metrics, html);
    const page = await Deno.readTextFile(html);
    assert.match(page, /malformed lines skipped<\/th><td>1</);
    assert.deepEqual(
      [...Deno.readDirSync(dir)].map((e) => e.name).sort(),
      ["metrics.jsonl", "report.html"],
    );
    // Set REPORT_SAMPLE_OUT to keep a copy for looking at in a browser.
    const keep = Deno.env.get("REPORT_SAMPLE_OUT");
    if (keep) await Deno.copyFile(html, keep);
    await assert.rejects(
      writeReport(join(dir, "missing.jsonl"), html),
      /Cannot read metrics: .*missing\.jsonl/,
    );
    await assert.rejects(
      writeReport(metrics, join(dir, "no-such-dir", "r.html")),
      /Cannot write report: /,
    );
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("renderReport: lr-find rows become range-test charts; none, no section", () => {
  const points = [1e-4, 1e-3, 1e-2, 1e-1].map((lr, i) => ({
    lr,
    loss: 3 - i,
    smoothed: 3 - i / 2,
  }));
  const row = {
    type: "lr-find",
    stage: "classify",
    direction: "fwd",
    points,
    suggestion: { steepest: 1e-2, minOver10: 1e-2 },
    ended: "steps",
  };
  const html = renderReport([row]);
  assert.ok(html.includes("<h2>Learning-rate range tests</h2>"));
  assert.ok(html.includes("classify fwd: learning-rate range test"));
  assert.ok(!renderReport([]).includes("Learning-rate range tests"));
});

Deno.test("renderReport: a baseline row sits beside the test accuracies with its confusion", () => {
  const baseline = {
    type: "baseline",
    name: "tfidf-lr",
    accuracy: 0.9123,
    C: 10,
    seconds: 4.25,
    labels: ["ham", "spam"],
    confusion: [[800, 33], [64, 209]],
  };
  const html = renderReport([...sampleRows({ stepsPerEpoch: 10 }), baseline]);
  const summary = html.slice(html.indexOf("<h2>Summary</h2>"), html.indexOf("<h3>Run</h3>"));
  // The fitlam rows first, then the baseline, in the same table.
  assert.match(summary, /96\.20%[\s\S]*<tr class="baseline">[\s\S]*tfidf-lr/);
  assert.match(summary, /bag-of-words baseline, C = 10, 4\.3 s/);
  // Macro F1 by hand: ham 2·(800/864)(800/833)/(800/864 + 800/833) = 0.94283, spam 0.81166.
  assert.match(
    summary,
    /<td class="num big">91\.23%<\/td><td class="num">0\.877<\/td><td class="num">8\.77%<\/td>/,
  );
  assert.match(summary, /1,106<\/td><\/tr>/); // examples: the confusion's total
  // Its confusion matrix joins the three fitlam ones.
  assert.equal(html.match(/<table class="confusion">/g)?.length, 4);
  assert.match(html, /tfidf-lr <small class="baseline">[^<]*<\/small> — accuracy 91\.23%/);
  // Without a baseline row nothing of it shows.
  assert.doesNotMatch(
    renderReport(sampleRows({ stepsPerEpoch: 10 })),
    /class="baseline"|bag-of-words/,
  );
});

Deno.test("renderReport: a self-trained bag of words shows as a baseline of its own, only when kept", () => {
  const row = (chosen: number) => ({
    type: "self-train",
    unlabelled: 5400,
    plainValid: 0.64,
    rounds: [{ round: 0, pseudo: 0, valid: 0.65, wins: 9, losses: 3 }, {
      round: 1,
      pseudo: 1080,
      valid: 0.7,
      wins: 40,
      losses: 4,
    }],
    chosen,
    accuracy: 0.8213,
    seconds: 12,
  });
  const kept = renderReport([...sampleRows({ stepsPerEpoch: 10 }), row(1)]);
  assert.match(
    kept,
    /tfidf-lr self-trained on 5,400 unlabelled documents <small class="baseline">\(bag-of-words baseline, 12\.0 s\)[\s\S]*82\.13%/,
  );
  const dropped = renderReport([...sampleRows({ stepsPerEpoch: 10 }), row(-1)]);
  assert.doesNotMatch(dropped, /self-trained/);
});

Deno.test("renderReport: baseline rows alone, escaped, partial or repeated", () => {
  const evil = `<i>bow</i>`;
  const html = renderReport([
    { type: "baseline", name: "tfidf-lr", accuracy: 0.5, confusion: [[1, 1], [1, 1]] },
    { type: "baseline", name: "tfidf-lr", confusion: [[3, 1], [0, 4]], labels: ["a", "b"] },
    { type: "baseline", name: evil, accuracy: 0.75 }, // no confusion, no C, no seconds
    { type: "baseline", name: "empty" }, // nothing to show: skipped
  ]);
  assert.doesNotMatch(html, /<i>bow/);
  assert.match(
    html,
    /&#60;i&#62;bow&#60;\/i&#62; <small class="baseline">\(bag-of-words baseline\)/,
  );
  // The last tfidf-lr row wins; its accuracy comes from the confusion trace (7 / 8).
  assert.match(html, /87\.50%/);
  assert.doesNotMatch(html, /50\.00%/);
  assert.doesNotMatch(html, />empty </);
  assert.match(html, /No confusion matrix/); // the evil-named row has none
  assert.match(html, /No test rows\./); // still no fitlam test rows
  assert.doesNotMatch(html, /NaN|undefined/);
});
