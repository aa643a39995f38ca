import assert from "node:assert/strict";
import { Rng } from "../rng.ts";
import {
  type BaselineDoc,
  baselineRow,
  evaluateBaseline,
  fitLogReg,
  heldOutMask,
  predictProba,
  trainBaseline,
} from "./mod.ts";

/**
 * Three topics with noisy words: each document takes a third of its words
 * from its topic and the rest from all topics and fillers.
 */
function topicDocs(seed: number, n: number): BaselineDoc[] {
  const topics: Record<string, string[]> = {
    sport: ["goal", "team", "coach", "league", "match"],
    food: ["sauce", "bake", "oven", "garlic", "recipe"],
    tech: ["chip", "code", "server", "cloud", "robot"],
  };
  const names = Object.keys(topics);
  const all = Object.values(topics).flat().concat(["the", "of", "and", "news", "today"]);
  const rng = new Rng(seed);
  return Array.from({ length: n }, (_, i) => {
    const label = names[i % names.length];
    const words = Array.from(
      { length: 8 },
      () => rng.next() < 0.33 ? topics[label][rng.int(5)] : all[rng.int(all.length)],
    );
    return { text: words.join(" "), label };
  });
}

Deno.test("heldOutMask: a seeded tenth, at least one row, never all", () => {
  const a = heldOutMask(95, 0.1, 1);
  assert.equal(a.reduce((s, v) => s + v, 0), 10); // round(9.5)
  assert.deepEqual(a, heldOutMask(95, 0.1, 1));
  assert.notDeepEqual(a, heldOutMask(95, 0.1, 2));
  assert.equal(heldOutMask(3, 0.1, 1).reduce((s, v) => s + v, 0), 1);
  assert.equal(heldOutMask(2, 0.9, 1).reduce((s, v) => s + v, 0), 1);
  assert.throws(() => heldOutMask(1, 0.1, 1), /Cannot hold out rows to choose C: 1 row/);
  assert.throws(() => heldOutMask(10, 0, 1), /fraction 0/);
});

Deno.test("trainBaseline: C by held-out accuracy, a refit on all rows, probabilities in label order", () => {
  const train = topicDocs(1, 300);
  const lines: string[] = [];
  const b = trainBaseline(train, { log: (l) => lines.push(l) });
  assert.deepEqual(b.labels, ["food", "sport", "tech"]); // default: sorted
  assert.deepEqual(b.grid.map((p) => p.C), [0.1, 1, 10, 100]);
  const best = Math.max(...b.grid.map((p) => p.accuracy));
  assert.equal(b.C, b.grid.find((p) => p.accuracy === best)!.C);
  assert.equal(lines.length, 5); // four grid fits and the refit
  assert.match(lines[4], new RegExp(`C ${b.C} on 300 documents`));
  assert.equal(b.features, b.vectorizer.size);
  assert.ok(b.seconds > 0);
  const [p] = b.predictProba(["garlic sauce in the oven"]);
  assert.ok(p instanceof Float32Array && p.length === 3);
  assert.ok(Math.abs(p.reduce((a, v) => a + v, 0) - 1) < 1e-6);
  assert.equal(b.predict(["garlic sauce in the oven"])[0], 0); // food
  // A caller's label order is kept: the same text, food now last.
  const c = trainBaseline(train, { labels: ["sport", "tech", "food"], grid: [b.C] });
  const q = c.predictProba(["garlic sauce in the oven"])[0];
  assert.equal(c.predict(["garlic sauce in the oven"])[0], 2);
  assert.ok(Math.abs(q[2] - p[0]) < 1e-4, `${q[2]} vs ${p[0]}`);
});

Deno.test("trainBaseline: maxWeights bounds n-grams × (classes − 1), and says so", () => {
  const train = topicDocs(1, 90);
  const whole = trainBaseline(train, { grid: [10] });
  assert.equal(whole.vocabulary.kept, whole.vocabulary.total);
  // Three classes: two weights an n-gram, so 100 weights keep 50 n-grams.
  const bounded = trainBaseline(train, { grid: [10], maxWeights: 100 });
  assert.deepEqual(bounded.vocabulary, { total: whole.vocabulary.total, kept: 50 });
  assert.equal(bounded.features, 50);
  assert.ok(whole.vocabulary.total > 50);
  // The kept n-grams still carry the topics.
  const test = topicDocs(2, 60);
  const right = bounded.predict(test.map((d) => d.text))
    .filter((k, i) => bounded.labels[k] === test[i].label).length;
  assert.ok(right / test.length > 0.6, `${right} of ${test.length}`);
});

Deno.test("trainBaseline: ties go to the smaller C, whatever the grid's order", () => {
  // Two words that name the class: every C gets every held-out row right.
  const train = Array.from({ length: 40 }, (_, i) => ({
    text: i % 2 ? `yes item${i}` : `no item${i}`,
    label: i % 2 ? "y" : "n",
  }));
  const b = trainBaseline(train, { grid: [100, 10, 0.5] });
  assert.deepEqual(b.grid.map((p) => p.accuracy), [1, 1, 1]);
  assert.equal(b.C, 0.5);
  // One value: no selection at all.
  assert.deepEqual(trainBaseline(train, { grid: [3] }).grid, []);
});

Deno.test("trainBaseline: the held-out rows follow the seed", () => {
  const train = topicDocs(2, 120);
  const a = trainBaseline(train, { seed: 1 }).grid.map((p) => p.accuracy);
  assert.deepEqual(trainBaseline(train, { seed: 1 }).grid.map((p) => p.accuracy), a);
  const others = [2, 3, 4].map((seed) =>
    trainBaseline(train, { seed }).grid.map((p) => p.accuracy)
  );
  assert.ok(others.some((o) => o.join() !== a.join()), "other seeds hold out other rows");
});

Deno.test("evaluateBaseline: accuracy and a confusion matrix in the given label order", () => {
  const train = topicDocs(3, 300), test = topicDocs(4, 90);
  const labels = ["tech", "sport", "food"];
  const r = evaluateBaseline(train, test, labels);
  assert.equal(r.name, "tfidf-lr");
  assert.deepEqual(r.labels, labels);
  assert.equal(r.confusion.flat().reduce((a, v) => a + v, 0), 90);
  // Rows are true labels: 30 test documents of each topic.
  for (const row of r.confusion) assert.equal(row.reduce((a, v) => a + v, 0), 30);
  const trace = r.confusion.reduce((a, row, i) => a + row[i], 0);
  assert.equal(r.accuracy, trace / 90);
  assert.ok(r.accuracy > 0.6, `accuracy ${r.accuracy}`);
  assert.ok([0.1, 1, 10, 100].includes(r.C));
  const row = baselineRow(r);
  assert.deepEqual(JSON.parse(JSON.stringify(row)), {
    type: "baseline",
    name: "tfidf-lr",
    accuracy: r.accuracy,
    C: r.C,
    seconds: r.seconds,
    confusion: r.confusion,
    labels,
  });
});

Deno.test("trainBaseline and evaluateBaseline: errors say what to do", () => {
  const train = topicDocs(5, 30);
  assert.throws(
    () => trainBaseline(train, { labels: ["food", "sport"] }),
    /Cannot train the baseline: label "tech" is not among the labels \["food","sport"\]/,
  );
  assert.throws(
    () => evaluateBaseline(train, [{ text: "x", label: "other" }], ["food", "sport", "tech"]),
    /Cannot evaluate the baseline: label "other"/,
  );
  assert.throws(() => evaluateBaseline(train, [], ["food", "sport", "tech"]), /no test documents/);
  assert.throws(
    () => trainBaseline(train.filter((d) => d.label === "food")),
    /Cannot train the baseline: 1 class\(es\)/,
  );
  assert.throws(() => trainBaseline(train, { grid: [] }), /C grid \[\] is not a list/);
  assert.throws(() => trainBaseline(train, { grid: [1, -1] }), /C grid \[1,-1\]/);
});

Deno.test("trainBaseline balanced: the fit on copies, each label's documents weighing alike", () => {
  // 3 sport, 1 tech: balanced weights 4/6 and 2, i.e. (× 3) 2 copies of each sport document and
  // 6 of the tech one, at C / 3 (the objective is C · Σ weight · loss + ½‖W‖²).
  const train = ["goal team", "team coach", "goal match", "chip team"].map((text, i) => ({
    text,
    label: i < 3 ? "sport" : "tech",
  }));
  const C = 3;
  const b = trainBaseline(train, { grid: [C], balanced: true, tol: 1e-10 });
  assert.equal(b.balanced, true);
  const copies = [2, 2, 2, 6];
  const texts = train.flatMap((d, i) => Array(copies[i]).fill(d.text));
  const y = Int32Array.from(
    train.flatMap((d, i) => Array(copies[i]).fill(d.label === "tech" ? 1 : 0)),
  );
  const v = b.vectorizer;
  const dup = fitLogReg(v.transform(texts), y, {
    classes: 2,
    features: v.size,
    C: C / 3,
    gtol: 1e-10,
  });
  for (const probe of ["team", "goal chip", "coach"]) {
    const got = b.predictProba([probe])[0], want = predictProba(dup, v.transformOne(probe));
    assert.ok(Math.abs(got[1] - want[1]) < 1e-6, `${probe}: ${got[1]} vs ${want[1]}`);
  }
  // Unweighted, the shared word "team" leans to sport; weighed alike, the lone tech document
  // counts as much as the three sport ones, and "team" leans less to sport.
  const plain = trainBaseline(train, { grid: [C], tol: 1e-10 });
  assert.ok(b.predictProba(["team"])[0][1] > plain.predictProba(["team"])[0][1]);
});
