// End to end: all three stages on a tiny config and a synthetic separable
// task, then the library API on the weights the trainer wrote.
import assert from "node:assert/strict";
import { presetConfig } from "../trainer/config.ts";
import { runTraining } from "../trainer/run.ts";
import { loadClassifier } from "../shared/pipeline.ts";
import { Rng } from "../shared/rng.ts";

const POSITIVE = ["wonderful", "great", "excellent", "lovely", "superb", "delightful"];
const NEGATIVE = ["awful", "terrible", "dreadful", "horrible", "poor", "boring"];
const FILLER = [
  "the",
  "film",
  "was",
  "a",
  "story",
  "and",
  "it",
  "with",
  "of",
  "plot",
  "actors",
  "scene",
];

function sentence(rng: Rng, words: string[]): string {
  const out: string[] = [];
  const n = 6 + rng.int(10);
  for (let i = 0; i < n; i++) {
    out.push(rng.next() < 0.3 ? words[rng.int(words.length)] : FILLER[rng.int(FILLER.length)]);
  }
  out.push(words[rng.int(words.length)]);
  return rng.shuffle(out).join(" ") + ".";
}

async function writeTask(dir: string) {
  const rng = new Rng(5);
  const rows = (n: number) =>
    Array.from({ length: n }, (_, i) => {
      const pos = i % 2 === 0;
      return `${sentence(rng, pos ? POSITIVE : NEGATIVE)}\t${pos ? "pos" : "neg"}`;
    }).join("\n");
  await Deno.writeTextFile(`${dir}/train.tsv`, rows(240));
  await Deno.writeTextFile(`${dir}/test.tsv`, rows(80));
  const corpus = Array.from({ length: 400 }, () => sentence(rng, [...POSITIVE, ...NEGATIVE])).join(
    "\n",
  );
  await Deno.writeTextFile(`${dir}/corpus.txt`, corpus);
}

Deno.test({
  name: "trainer: three stages, both directions, on a tiny config reach ≥ 95% on a separable task",
  sanitizeResources: false,
  sanitizeOps: false,
  async fn() {
    const dir = await Deno.makeTempDir({ prefix: "fitlam-e2e-" });
    await writeTask(dir);
    const c = presetConfig("tiny");
    Object.assign(c, {
      device: "wasm",
      out: `${dir}/out`,
      corpus: `${dir}/corpus.txt`,
      data: `${dir}/train.tsv`,
      test: `${dir}/test.tsv`,
      format: "tsv",
    });
    c.classify.epochs = 8;
    c.discriminativeFactor = 1;
    const result = await runTraining(c);
    assert.ok(result.test.avg! >= 0.95, `averaged test accuracy ${result.test.avg}`);
    assert.ok(result.test.fwd !== undefined && result.test.bwd !== undefined);

    const rows = (await Deno.readTextFile(`${dir}/out/metrics.jsonl`)).trim().split("\n").map((l) =>
      JSON.parse(l)
    );
    const ftValid = rows.filter((r) =>
      r.type === "valid" && r.stage === "finetune-lm" && r.direction === "fwd"
    );
    assert.ok(ftValid.length >= 2);
    assert.ok(ftValid.at(-1).loss < ftValid[0].loss, "fine-tuning lowers the LM validation loss");
    for (
      const f of [
        "pretrain-fwd",
        "finetune-bwd",
        "classifier-fwd",
        "classifier-bwd",
        "report.html",
        "test.json",
      ]
    ) {
      await Deno.stat(`${dir}/out/${f}`);
    }

    const clf = await loadClassifier(`${dir}/out`, { device: "wasm" });
    assert.deepEqual(clf.info.directions, ["fwd", "bwd"]);
    const [p, n] = await clf.classify([
      "a wonderful superb film, lovely actors",
      "an awful boring plot, terrible",
    ]);
    assert.equal(p.label, "pos");
    assert.equal(n.label, "neg");
    assert.ok(Math.abs(p.scores.pos + p.scores.neg - 1) < 1e-5);
    clf.dispose();
    await Deno.remove(dir, { recursive: true });
  },
});
