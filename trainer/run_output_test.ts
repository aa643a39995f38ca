import assert from "node:assert/strict";
import { baselineLine, blendLine } from "./run_output.ts";

Deno.test("baselineLine: the baseline's accuracy and fitlam's lead or gap, in points", () => {
  const base = { name: "tfidf-lr", accuracy: 0.9, C: 10, seconds: 1, trainDocs: 500 };
  const run = { test: { fwd: 0.91, bwd: 0.92, avg: 0.935 }, seconds: 1, out: "o", baseline: base };
  assert.equal(
    baselineLine(run),
    "\nBag-of-words baseline (TF-IDF 1-2-grams + logistic regression, C 10, same 500 training " +
      "documents): 90.00%; fitlam leads by 3.50 points",
  );
  assert.match(baselineLine({ ...run, test: { fwd: 0.8 } }), /fitlam trails by 10\.00 points/);
  assert.match(baselineLine({ ...run, test: { avg: 0.9 } }), /fitlam ties it$/);
  assert.equal(baselineLine({ ...run, baseline: undefined }), "");
});

Deno.test("blendLine: says what the weights were fitted on", () => {
  const blend = {
    weights: { lm: 1.2, baseline: 3 },
    valid: { lm: 0.6, baseline: 0.7, blend: 0.75 },
    accuracy: 0.8,
    features: 100,
  };
  const run = { test: { avg: 0.7 }, seconds: 1, out: "o", blend };
  assert.match(blendLine(run), /fitted on validation: classifiers 60\.00%, baseline 70\.00%/);
  const held = blendLine({ ...run, blend: { ...blend, fittedOn: 112 } });
  assert.match(held, /fitted on 112 documents held out of the models that answered them/);
  assert.match(held, /blend 75\.00%\): test 80\.00%/);
  // A bag of words other than the printed baseline is named as such.
  const own = { name: "tfidf-lr+chars3-5", accuracy: 0.72, C: 10, seconds: 1, trainDocs: 500 };
  assert.match(
    blendLine({ ...run, bagOfWords: own }),
    /Served: classifiers and bag of words \(tfidf-lr\+chars3-5, test 72\.00%\) blended .*classifiers 60\.00%, bag of words 70\.00%/,
  );
});
