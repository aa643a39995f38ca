import assert from "node:assert/strict";
import { fitLogReg } from "./logreg.ts";
import { trainBaseline } from "./mod.ts";
import { SELF_TRAIN_MIN_DF, selfTrain } from "./self_train.ts";
import { mostConfident } from "./self_train_rounds.ts";

const row = (j: number, v = 1) => ({ indices: Int32Array.of(j), values: Float64Array.of(v) });

Deno.test("mostConfident: per predicted class, the quota of share · n · prior, most probable first", () => {
  // Feature 0 says class 0, feature 1 class 1; the value sets how sure.
  const model = fitLogReg([row(0), row(1)], Int32Array.of(0, 1), {
    classes: 2,
    features: 2,
    C: 10,
  });
  const rows = [row(0, 0.2), row(0, 0.9), row(1, 0.5), row(0, 0.5), row(1, 0.1), row(1, 1)];
  // 6 rows, share 0.5, prior (2/3, 1/3): 2 of class 0, 1 of class 1.
  const picked = mostConfident(model, rows, [2 / 3, 1 / 3], 0.5);
  assert.deepEqual(picked, [{ index: 1, label: 0 }, { index: 3, label: 0 }, {
    index: 5,
    label: 1,
  }]);
  // A class predicted for fewer rows than its quota gives what it has.
  assert.equal(mostConfident(model, rows, [0, 1], 1).length, 3);
});

const doc = (label: string, text: string) => ({ text, label });

Deno.test("selfTrain: learns n-grams the labels lack, one round per share of the unlabelled text", () => {
  const labelled = [doc("sport", "goal match"), doc("tech", "chip code")];
  const unlabelled = ["goal league", "league match", "chip cpu", "cpu code"];
  const valid = [...Array(5)].flatMap(() => [doc("sport", "league"), doc("tech", "cpu")]);
  const plain = trainBaseline(labelled, { grid: [10] });
  // TF-IDF alone, to see the rounds' own part (LSA alone places "league" too: below).
  const r = selfTrain(labelled, unlabelled, valid, plain, { rounds: 2, lsa: false });
  assert.equal(r.plainValid, 0.5);
  assert.deepEqual(r.rounds.map((x) => x.pseudo), [0, 2, 4]); // half, then all, split 1:1
  // The labels alone cannot tell "league" from "cpu"; the rounds can, on 5 more documents.
  assert.deepEqual(r.rounds.map((x) => [x.valid, x.wins, x.losses]), [[0.5, 0, 0], [1, 5, 0], [
    1,
    5,
    0,
  ]]);
  assert.equal(r.chosen, 2); // of the rounds tied at 100%, the later
  // With 3 validation documents of each, 3 wins are within chance (3 − 0 < 2·√3): plain stays,
  // though onRound hands over a round 1 that tells them apart.
  const seen: [number, number[]][] = [];
  const few = selfTrain(labelled, unlabelled, valid.slice(0, 6), plain, {
    rounds: 2,
    lsa: false,
    onRound: (round, model) => seen.push([round.round, model.predict(["league", "cpu"])]),
  });
  assert.equal(few.rounds[1].wins, 3);
  assert.equal(few.chosen, -1);
  assert.deepEqual(seen.map(([round]) => round), [0, 1, 2]);
  assert.deepEqual(seen[1][1], [0, 1]);
  assert.deepEqual(few.baseline.predict(["league", "cpu"]), plain.predict(["league", "cpu"]));
  assert.equal(r.baseline.C, plain.C);
  assert.deepEqual(r.baseline.predict(["league", "cpu"]), [0, 1]);
});

Deno.test("selfTrain: keeps the plain baseline when no round does better on validation", () => {
  const labelled = [doc("sport", "goal match"), doc("tech", "chip code")];
  // Unlabelled text that ties "league" to tech words, while validation calls it sport.
  const unlabelled = ["chip league", "league code", "goal cpu", "cpu match"];
  const valid = [doc("sport", "league"), doc("tech", "cpu")];
  const plain = trainBaseline(labelled, { grid: [10] });
  const r = selfTrain(labelled, unlabelled, valid, plain, { rounds: 2, lsa: false });
  assert.equal(r.plainValid, 0.5);
  assert.deepEqual(r.rounds.map((x) => x.valid), [0.5, 0, 0]);
  assert.equal(r.chosen, -1);
  assert.equal(r.baseline, plain);
});

Deno.test("selfTrain: with little validation, the labelled documents out of fold decide", () => {
  // Each "w" / "v" word is in one labelled document only: held out of its fold, the labels
  // alone cannot place it, the unlabelled text ties it to "goal" or "chip".
  const ids = [...Array(10).keys()];
  const labelled = [
    ...["goal match", "goal game"].map((t) => doc("sport", t)),
    ...ids.map((i) => doc("sport", `w${i}`)),
    ...["chip code", "chip cpu"].map((t) => doc("tech", t)),
    ...ids.map((i) => doc("tech", `v${i}`)),
  ];
  const unlabelled = ids.flatMap((i) => [`goal w${i}`, `chip v${i}`]);
  const valid = [doc("sport", "goal"), doc("tech", "chip")]; // both models get these right
  const plain = trainBaseline(labelled, { grid: [10] });
  const alone = selfTrain(labelled, unlabelled, valid, plain, { rounds: 1, folds: 0, lsa: false });
  assert.equal(alone.heldOut, 2);
  assert.deepEqual([alone.rounds[1].wins, alone.chosen], [0, -1]); // 2 documents tell nothing
  const r = selfTrain(labelled, unlabelled, valid, plain, { rounds: 1, lsa: false }); // 5 folds
  assert.equal(r.heldOut, 2 + 24);
  // The round places most held-out documents the labels alone could not, and loses none.
  const [before, after] = r.rounds;
  assert.ok(after.valid >= before.valid + 0.15, JSON.stringify(r.rounds));
  assert.ok(after.wins >= 6 && after.losses === 0, JSON.stringify(r.rounds));
  assert.equal(r.chosen, 1);
  assert.deepEqual(r.baseline.predict(["w4", "v7"]), [0, 1]);
  // The kept round's held-out answers: one per labelled document, as right as its check counted
  // (the 2 validation documents are right too).
  const oof = r.outOfFold!;
  assert.equal(oof.length, labelled.length);
  const right = oof.filter((p, i) => p[0] > p[1] === (labelled[i].label === "sport")).length;
  assert.equal(right + 2, Math.round(after.valid * r.heldOut));
  assert.equal(alone.outOfFold, undefined); // no folds ran
  // With LSA the rounds differ, but they are compared with the same plain model out of fold.
  const withLsa = selfTrain(labelled, unlabelled, valid, plain, { rounds: 1, lsa: { dims: 4 } });
  assert.equal(withLsa.heldOut, r.heldOut);
  assert.equal(withLsa.plainValid, r.plainValid);
});

Deno.test("selfTrain: rounds on TF-IDF and with LSA; LSA places words one step further away", () => {
  const labelled = [doc("sport", "goal match"), doc("tech", "chip code")];
  // "arena" and "server" never meet a labelled word: only "league" and "cpu", which do.
  const unlabelled = ["goal league", "league arena", "chip cpu", "cpu server"];
  const valid = [...Array(5)].flatMap(() => [doc("sport", "arena"), doc("tech", "server")]);
  const plain = trainBaseline(labelled, { grid: [10] });
  const lines: string[] = [];
  const r = selfTrain(labelled, unlabelled, valid, plain, {
    rounds: 1,
    lsa: { dims: 2 },
    minDf: 1, // "arena" and "server" are in one text each
    log: (l) => lines.push(l),
  });
  // One round of TF-IDF self-training labels "league arena" by the plain model, which knows
  // neither word; the LSA coordinates put "arena" with "goal" through "league".
  assert.deepEqual(r.rounds.map((x) => [x.lsa, x.round, x.valid]), [
    [false, 0, 0.5],
    [false, 1, 0.5],
    [true, 0, 1],
    [true, 1, 1],
  ]);
  assert.equal(r.chosen, 3); // with LSA, round 1: the later of the two tied
  assert.equal(r.baseline.lsa?.dims, 2);
  assert.equal(r.baseline.features, r.baseline.vectorizer.size + 2);
  assert.deepEqual(r.baseline.predict(["arena", "server"]), [0, 1]);
  assert.equal(lines[0], "self-training: a vocabulary of 14 n-grams of the 14 in all 6 texts");
  assert.match(lines[1], /^self-training: LSA of all the text, 2 coordinates from 14 n-grams/);
  assert.match(lines.at(-1)!, /^self-training with LSA: round 1\/1: 4 unlabelled documents/);
  // A tie between the spaces keeps the later, with LSA: "league" is one step away.
  const near = selfTrain(
    labelled,
    ["goal league", "league match", "chip cpu", "cpu code"],
    [
      ...Array(5),
    ].flatMap(() => [doc("sport", "league"), doc("tech", "cpu")]),
    plain,
    {
      rounds: 1,
      lsa: { dims: 2 },
    },
  );
  assert.deepEqual(near.rounds.map((x) => x.valid), [0.5, 1, 1, 1]);
  assert.equal(near.chosen, 3);
  assert.equal(near.baseline.lsa?.dims, 2);
});

Deno.test("selfTrain: refuses what it cannot use, saying what it needs", () => {
  const labelled = [doc("a", "xx yy"), doc("b", "zz ww")];
  const plain = trainBaseline(labelled, { grid: [1] });
  assert.throws(
    () => selfTrain(labelled, [], labelled, plain),
    /Cannot self-train: .*0 unlabelled/,
  );
  assert.throws(() => selfTrain(labelled, ["xx"], [], plain), /Cannot self-train: 0 validation/);
  assert.throws(
    () => selfTrain(labelled, ["xx"], labelled, plain, { rounds: 0 }),
    /whole number of rounds ≥ 1/,
  );
});

Deno.test("selfTrain: minDf and the weights' bound shape the vocabulary, and the log says so", () => {
  const labelled = [doc("sport", "goal match"), doc("tech", "chip code")];
  // Six words, each in two of the six texts, and six bigrams, each in one.
  const unlabelled = ["goal league", "league match", "chip cpu", "cpu code"];
  const valid = [...Array(5)].flatMap(() => [doc("sport", "league"), doc("tech", "cpu")]);
  const plain = trainBaseline(labelled, { grid: [10] });
  const run = (options: { minDf?: number; maxWeights?: number }) => {
    const lines: string[] = [];
    const r = selfTrain(labelled, unlabelled, valid, plain, {
      rounds: 1,
      lsa: false,
      ...options,
      log: (l) => lines.push(l),
    });
    return { r, line: lines[0] };
  };
  const all = run({ minDf: 1 });
  assert.equal(all.line, "self-training: a vocabulary of 12 n-grams of the 12 in all 6 texts");
  const some = run({}); // the default, SELF_TRAIN_MIN_DF
  assert.equal(SELF_TRAIN_MIN_DF, 2);
  assert.equal(
    some.line,
    "self-training: a vocabulary of 6 n-grams of the 12 in all 6 texts (those in 2 or more texts)",
  );
  const kept = some.r.rounds.at(-1)!;
  assert.equal(kept.valid, 1); // the words that carry the task are all in two texts
  // Where no n-gram is in two texts, it keeps every one rather than fail.
  const lines: string[] = [];
  const apart = selfTrain(
    [doc("sport", "goal"), doc("tech", "chip")],
    ["league", "cpu"],
    [
      doc("sport", "goal"),
    ],
    trainBaseline([doc("sport", "goal"), doc("tech", "chip")], { grid: [10] }),
    {
      rounds: 1,
      lsa: false,
      log: (l) => lines.push(l),
    },
  );
  assert.equal(apart.rounds.length, 2);
  assert.deepEqual(lines.slice(0, 2), [
    "self-training: no n-gram is in 2 or more texts; it keeps every n-gram",
    "self-training: a vocabulary of 4 n-grams of the 4 in all 4 texts",
  ]);
  const both = run({ minDf: 2, maxWeights: 3 });
  assert.equal(
    both.line,
    "self-training: a vocabulary of 3 n-grams of the 12 in all 6 texts (those in 2 or more " +
      "texts, then the 3 in the most texts (the weights' bound))",
  );
});
