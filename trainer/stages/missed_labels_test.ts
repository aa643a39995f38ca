import assert from "node:assert/strict";
import { classReport } from "../../shared/class_report.ts";
import { missedLabelWarnings } from "./evaluate.ts";

Deno.test("missedLabelWarnings names a label the served classifier seldom finds, and its share", () => {
  // 400 test documents a label; "Sports" found 4 times (the eighteenth session's AG News run
  // with 70 of 4,113 training documents labelled Sports).
  const labels = ["World", "Sports", "Business"];
  const served = classReport(labels, [[368, 0, 32], [312, 4, 84], [24, 0, 376]]);
  const trained = [
    ...Array(2000).fill("World"),
    ...Array(70).fill("Sports"),
    ...Array(2043).fill("Business"),
  ];
  const [w, ...rest] = missedLabelWarnings(served, trained);
  assert.deepEqual(rest, []);
  assert.equal(
    w,
    'the served classifier finds few documents labelled "Sports": 4 of its 400 test documents ' +
      "(recall 1.0%); 70 of the 4113 labelled training documents (1.7%) carry it. Add labelled " +
      'examples of "Sports" before relying on it for that label, or weigh the labels alike in ' +
      'stage 3 (`--config` with {"classify": {"balanceLabels": true}}; RESULTS.md: a label ' +
      "of 1.5% went from 1% to 37% recall)",
  );
  // Already balanced: only the call for examples.
  assert.match(missedLabelWarnings(served, trained, true)[0], /for that label$/);
  // A label missed at its even share (1 of 3 here): examples, not weights, are the fix.
  const even = [
    ...Array(100).fill("World"),
    ...Array(100).fill("Sports"),
    ...Array(100).fill("Business"),
  ];
  assert.match(missedLabelWarnings(served, even)[0], /for that label$/);
  // Found on 25% of its documents: no warning; none without a report.
  assert.deepEqual(missedLabelWarnings(classReport(["a", "b"], [[10, 0], [6, 2]]), ["a", "b"]), []);
  assert.deepEqual(missedLabelWarnings(undefined, trained), []);
});
