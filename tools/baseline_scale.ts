/**
 * Time, memory and accuracy of the bag-of-words baseline (`shared/baseline`) at scale and under
 * its weight bound (`maxWeights`, 0 for the default):
 *
 *   deno run -A tools/baseline_scale.ts synthetic N K WORDS VOCAB [maxWeights]
 *   deno run -A tools/baseline_scale.ts task TRAIN TEST FORMAT maxWeights...
 *
 * `synthetic`: N training and 2,000 test documents of WORDS words in K classes, drawn from a
 * skewed vocabulary of VOCAB words plus 500 words a class (a fifth of the words). `task`: a
 * task as the trainer reads it (seed 42, its validation split held back), once per bound.
 * Prints one JSON line per model.
 *
 * @module
 */
import { type BaselineDoc, trainBaseline } from "../shared/baseline/mod.ts";
import { Rng } from "../shared/rng.ts";
import { presetConfig } from "../trainer/config.ts";
import { targetTask } from "../trainer/task_prep.ts";

function report(train: BaselineDoc[], test: BaselineDoc[], maxWeights: number, extra: object) {
  const t0 = performance.now();
  const b = trainBaseline(train, { maxWeights: maxWeights || undefined });
  const predicted = b.predict(test.map((d) => d.text));
  const right = predicted.filter((k, i) => b.labels[k] === test[i].label).length;
  console.log(JSON.stringify({
    ...extra,
    maxWeights: maxWeights || "default",
    vocabulary: b.vocabulary,
    C: b.C,
    accuracy: right / test.length,
    seconds: +((performance.now() - t0) / 1000).toFixed(1),
    rssMB: Math.round(Deno.memoryUsage().rss / 2 ** 20),
  }));
}

function synthetic(n: number, K: number, words: number, vocab: number, rng: Rng, from = 0) {
  const word = (k: number) =>
    rng.next() < 0.2
      ? `c${k}w${Math.floor(500 * rng.next() ** 2)}`
      : `w${Math.floor(vocab * rng.next() ** 3)}`;
  return Array.from({ length: n }, (_, j) => {
    const k = (from + j) % K;
    return { text: Array.from({ length: words }, () => word(k)).join(" "), label: `L${k}` };
  });
}

const [mode, ...args] = Deno.args;
if (mode === "synthetic") {
  const [n, K, words, vocab, maxWeights = 0] = args.map(Number);
  const rng = new Rng(1);
  const train = synthetic(n, K, words, vocab, rng), test = synthetic(2000, K, words, vocab, rng, n);
  report(train, test, maxWeights, { n, K, words, vocab });
} else if (mode === "task") {
  const [data, test, format, ...bounds] = args;
  const c = { ...presetConfig("small"), data, test, format, seed: 42 };
  const task = await targetTask(c as Parameters<typeof targetTask>[0]);
  for (const b of bounds.length ? bounds : ["0"]) report(task.train, task.test, Number(b), {});
} else {
  console.error(
    "usage: tools/baseline_scale.ts synthetic N K WORDS VOCAB [maxWeights] | task TRAIN TEST FORMAT maxWeights...",
  );
  Deno.exit(2);
}
