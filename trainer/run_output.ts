/**
 * What a finished `deno task train` prints: test accuracy beside the bag-of-words baseline, what
 * the folder serves and how its blend was fitted, or the range tests' suggestions.
 *
 * @module
 */
import { formatConfusion, MATRIX_LABELS } from "../shared/confusion.ts";
import { formatClassReport } from "../shared/class_report.ts";
import type { LrFindReport, RunResult } from "./run.ts";
import { keptRound } from "./stages/baseline.ts";

/** An accuracy as a percentage with two decimals; "-" where there is none. */
const pct = (x?: number) => x === undefined ? "-" : `${(100 * x).toFixed(2)}%`;

/** The baseline beside fitlam's best classifier, so a user sees whether the transfer paid off. */
export function baselineLine(r: RunResult): string {
  if (!r.baseline) return "";
  const ours = r.test.avg ?? r.test.fwd ?? r.test.bwd;
  const b = r.baseline;
  const points = ours === undefined ? 0 : 100 * Math.abs(ours - b.accuracy);
  const diff = ours === undefined
    ? ""
    : points < 0.005
    ? "; fitlam ties it"
    : `; fitlam ${ours > b.accuracy ? "leads" : "trails"} by ${points.toFixed(2)} points`;
  return `\nBag-of-words baseline (TF-IDF 1-2-grams + logistic regression, C ${b.C}, ` +
    `same ${b.trainDocs} training documents): ${pct(b.accuracy)}${diff}`;
}

/** What the folder now serves when the baseline is blended in, and how it was fitted. */
export function blendLine(r: RunResult): string {
  if (!r.blend) return "";
  const b = r.blend;
  const s = r.selfTrain;
  const self = s && s.chosen >= 0
    ? `self-trained on ${s.unlabelled} unlabelled documents (${keptRound(s)}: test ` +
      `${pct(s.accuracy)}), `
    : "";
  // Where the blended bag of words is not the printed baseline, say which it is.
  const own = r.bagOfWords;
  const bowName = own ? "bag of words" : "baseline";
  const bow = own ? `${bowName} (${own.name}, test ${pct(own.accuracy)}) ` : `${bowName} `;
  if (b.bowAlone) {
    return `\nServed: the ${bow}${self}alone (validation too small to fit blend weights on, ` +
      `and the classifiers no better there: ${pct(b.valid.lm)}): test ${pct(b.accuracy)}; ` +
      "`--no-blend` serves the classifiers alone";
  }
  return `\nServed: classifiers and ${bow}${self}blended (log-probability weights ${b.weights.lm} / ` +
    `${b.weights.baseline}, fitted on ${
      b.fittedOn
        ? `${b.fittedOn} documents held out of the models that answered them (validation and ` +
          "the labelled ones, out of fold)"
        : "validation"
    }: classifiers ${pct(b.valid.lm)}, ${bowName} ${pct(b.valid.baseline)}, blend ${
      pct(b.valid.blend)
    }): test ${pct(b.accuracy)}; \`--no-blend\` serves the ` +
    "classifiers alone";
}

/** Prints the range tests' suggestions and where their plots are. */
export function printRangeTests(reports: LrFindReport[]): void {
  for (const f of reports) {
    const s = f.suggestion;
    console.log(
      `${f.stage} ${f.direction}: steepest fall at ${
        s.steepest?.toExponential(1) ?? "- (the loss never fell)"
      }, minimum/10 ${s.minOver10.toExponential(1)}; configured ${f.configured}` +
        (f.ended === "steps" ? " (the loss never blew up: a larger maxLr may help)" : ""),
    );
  }
  console.log(
    "Plots: " + reports.map((f) => f.plot).join(", ") +
      ". Pick a rate on the steep part, below the minimum; set it with --lm-lr or --clf-lr.",
  );
}

/** Prints a finished run's test accuracy beside the baseline, and where its output is. */
export function printResult(r: RunResult): void {
  const minutes = (r.seconds / 60).toFixed(1);
  if (!Object.keys(r.test).length) {
    // Stages 1 or 2 alone, or a rescoring run: no classifier was scored.
    console.log(`\nWall time: ${minutes} min. Output in ${r.out}/; report: ${r.out}/report.html`);
    return;
  }
  if (r.confusion) {
    const { labels, counts } = r.confusion;
    const whole = labels.length > MATRIX_LABELS ? `\n(the whole matrix: ${r.out}/report.html)` : "";
    console.log("\n" + formatConfusion(labels, counts) + whole);
  }
  if (r.served) {
    const whose = r.served.of === "blend" ? "served blend" : "averaged classifiers";
    console.log(`\nPer label, the ${whose} on the test split:\n` + formatClassReport(r.served));
  }
  console.log(
    `\nTest accuracy: forward ${pct(r.test.fwd)}, backward ${pct(r.test.bwd)}, averaged ${
      pct(r.test.avg)
    }` + baselineLine(r) + blendLine(r) +
      `\nWall time: ${minutes} min. Weights in ${r.out}/ (serve them with \`deno task serve\`); report: ${r.out}/report.html`,
  );
  for (const w of r.warnings ?? []) console.log(`warning: ${w}`);
}
