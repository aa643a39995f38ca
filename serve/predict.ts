/**
 * `deno task predict`: classifies texts offline with trained weights, one JSON
 * line per text, and scores them when the input carries true labels.
 *
 * ```sh
 * deno task predict "Congratulations, you won a prize!"
 * deno task predict --input reviews.jsonl --label-field label --out predictions.jsonl
 * ```
 *
 * @module
 */
import { parseArgs } from "node:util";
import { exitWithError as fail } from "../shared/exit.ts";
import { type Device, parseDevice } from "../shared/backend.ts";
import { formatConfusion, scoreLabels } from "../shared/confusion.ts";
import { classReport, formatClassReport } from "../shared/class_report.ts";
import { LABEL_RULE, labelText, parseJsonObject } from "../shared/jsonl.ts";
import { type Classifier, loadClassifier, type Prediction } from "../shared/pipeline.ts";
import { FASTTEXT_LABEL, fastTextLine, hasLabelWord } from "../shared/fasttext.ts";
import { explain, type Explanation } from "../shared/explain.ts";
import { ProgressBar } from "../shared/progress.ts";
import { decodeUserFile } from "../shared/text_decode.ts";
import { writeFileAtomic } from "../shared/weights/atomic.ts";

const HELP = `Usage: deno task predict [options] [TEXT ...]

Classifies each TEXT, or each record of --input, and prints one JSON line per text:
{"index":0,"label":"spam","score":0.97,"scores":{"ham":0.03,"spam":0.97}}

  --weights DIR       trained weights folder (default weights/)
  --input FILE        texts to classify: .jsonl/.ndjson (one object a line) or any other file
                      with one text a line; - reads stdin. Lines in fastText's format
                      (__label__NAME text) are scored against their label words, which are
                      left out of the text
  --text-field F      JSONL field holding the text (default text)
  --label-field F     JSONL field holding the true label: also reports accuracy and the
                      confusion matrix on stderr
  --out FILE          write the JSON lines to FILE (atomically) instead of stdout
  --device D          wasm (default), webgpu or cpu
  --batch N           texts per forward pass (default 32)
  --explain           also give each word's weight for the answer: how much its probability
                      falls when the word is left out ("pieces" in each line; the text is
                      classified once more per word, per run of words beyond 200 words)
  --help              show this help`;

/** One text to classify, with where it came from and its true label if known. */
export interface PredictInput {
  /** 1-based line in the input file (0 for command-line texts). */
  line: number;
  text: string;
  label?: string;
}

/** Options of {@linkcode parseInputs}. */
export interface InputOptions {
  /** Treat the text as JSON lines (else one text per line). */
  jsonl: boolean;
  textField?: string;
  labelField?: string;
  /** Name for error messages. */
  source?: string;
}

/**
 * Splits an input file into texts: JSON lines (a text field, optionally a label
 * field) or one text per line, in fastText's format (`__label__NAME text`, the
 * label word the true label) when the first line has a label word. Blank lines
 * are skipped; a bad line is an error that names the line and the fix.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { parseInputs } from "./predict.ts";
 * const rows = parseInputs('{"text":"hi","label":"ham"}\n\n{"text":"win!","label":"spam"}\n', {
 *   jsonl: true,
 *   labelField: "label",
 * });
 * assert.equal(rows.length, 2);
 * assert.equal(rows[1].line, 3);
 * assert.equal(rows[1].label, "spam");
 * ```
 */
export function parseInputs(content: string, o: InputOptions): PredictInput[] {
  const source = o.source ?? "input";
  const textField = o.textField ?? "text";
  const out: PredictInput[] = [];
  const lines = content.split(/\r?\n/);
  const firstText = lines.find((l) => l.trim());
  const fastText = !o.jsonl && firstText !== undefined && hasLabelWord(firstText);
  lines.forEach((raw, i) => {
    const line = i + 1;
    if (!raw.trim()) return;
    if (!o.jsonl) {
      out.push(fastText ? fastTextInput(raw, line, source) : { line, text: raw });
      return;
    }
    let r: Record<string, unknown>;
    try {
      r = parseJsonObject(raw);
    } catch (e) {
      throw new Error(
        `Cannot read ${source}:${line}: ${(e as Error).message}; ` +
          "write one JSON object a line, or use a .txt file with one text a line",
      );
    }
    if (typeof r[textField] !== "string") {
      throw new Error(
        `Cannot read ${source}:${line}: no string field "${textField}" (fields: ${
          Object.keys(r).join(", ") || "none"
        }); pass --text-field`,
      );
    }
    const item: PredictInput = { line, text: r[textField] as string };
    if (o.labelField !== undefined) {
      // The trainer's rule, so a label it stored trimmed matches here.
      const label = labelText(r[o.labelField]);
      if (label === undefined) {
        throw new Error(
          `Cannot read ${source}:${line}: no label field "${o.labelField}" (${LABEL_RULE}); ` +
            "give every line a label, or drop --label-field",
        );
      }
      item.label = label;
    }
    out.push(item);
  });
  return out;
}

/** A line of a fastText input: its one label word is the true label, its other words the text. */
function fastTextInput(raw: string, line: number, source: string): PredictInput {
  const { labels, text } = fastTextLine(raw);
  if (labels.length === 1 && labels[0] && text) return { line, text, label: labels[0] };
  throw new Error(
    `Cannot read ${source}:${line}: expected one label word ${FASTTEXT_LABEL}NAME and a text, ` +
      `found ${JSON.stringify(raw.trim().slice(0, 80))} (the file is read as fastText's lines, ` +
      "its first line having a label word); fix the line, or drop every label word to classify " +
      "plain lines",
  );
}

/** Accuracy and confusion counts of predictions against true labels. */
export interface Score {
  accuracy: number;
  counts: number[][];
  /** True labels the classifier does not know (counted as wrong). */
  unknownLabels: string[];
}

/**
 * Scores predictions against the inputs' true labels.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { scorePredictions } from "./predict.ts";
 * const s = scorePredictions(
 *   ["ham", "spam"],
 *   [{ line: 1, text: "a", label: "ham" }, { line: 2, text: "b", label: "spam" }],
 *   [{ label: "ham", score: 0.9, scores: {} }, { label: "ham", score: 0.6, scores: {} }],
 * );
 * assert.equal(s.accuracy, 0.5);
 * assert.equal(s.counts[1][0], 1);
 * ```
 */
export function scorePredictions(
  labels: string[],
  inputs: PredictInput[],
  predictions: Prediction[],
): Score {
  const index = new Map(labels.map((l, i) => [l, i]));
  const known = inputs.flatMap((x, i) => index.has(x.label!) ? [i] : []);
  const { confusion } = scoreLabels(
    known.map((i) => index.get(inputs[i].label!)!),
    known.map((i) => index.get(predictions[i].label)!),
    labels.length,
  );
  // Texts whose true label the classifier does not know count as wrong.
  const correct = confusion.reduce((a, row, t) => a + row[t], 0);
  const unknown = new Set(inputs.filter((x) => !index.has(x.label!)).map((x) => x.label!));
  return {
    accuracy: correct / Math.max(1, inputs.length),
    counts: confusion,
    unknownLabels: [...unknown],
  };
}

/** The input's text, decoded as the trainer decodes its files (shared/text_decode.ts). */
async function readInput(path: string): Promise<string> {
  let bytes: Uint8Array;
  try {
    bytes = path === "-"
      ? await new Response(Deno.stdin.readable).bytes()
      : await Deno.readFile(path);
  } catch (e) {
    if (e instanceof Deno.errors.NotFound) fail(`Cannot read ${path}: no such file`, 1);
    fail(`Cannot read ${path}: ${(e as Error).message}`, 1);
  }
  return decodeUserFile(bytes, path, path === "-" ? "standard input" : path);
}

/** The command line, checked: the flags' values, the texts given as arguments, batch and device. */
interface PredictArgs {
  weights: string;
  input?: string;
  textField?: string;
  labelField?: string;
  out?: string;
  device: Device;
  batch: number;
  explain: boolean;
  texts: string[];
}

/** Parses and checks `args`; undefined after printing --help. Exits with a message on misuse. */
function parseCommandLine(args: string[]): PredictArgs | undefined {
  let parsed;
  try {
    parsed = parseArgs({
      args,
      allowPositionals: true,
      options: {
        weights: { type: "string", default: "weights" },
        input: { type: "string" },
        "text-field": { type: "string" },
        "label-field": { type: "string" },
        out: { type: "string" },
        device: { type: "string", default: "wasm" },
        batch: { type: "string", default: "32" },
        explain: { type: "boolean", default: false },
        help: { type: "boolean" },
      },
    });
  } catch (e) {
    fail(`Cannot predict: ${(e as Error).message}; see --help`);
  }
  const { values: v, positionals } = parsed;
  if (v.help) {
    console.log(HELP);
    return undefined;
  }
  if (!positionals.length && v.input === undefined) {
    fail("Cannot predict: no texts; pass them as arguments or with --input FILE (see --help)");
  }
  if (positionals.length && v.input !== undefined) {
    fail("Cannot predict: both texts and --input given; use one of them");
  }
  const batch = Number(v.batch);
  if (!Number.isInteger(batch) || batch < 1) {
    fail(`Cannot predict: --batch is ${JSON.stringify(v.batch)}; pass an integer >= 1`);
  }
  let device: Device;
  try {
    device = parseDevice(v.device!);
  } catch (e) {
    fail((e as Error).message);
  }
  return {
    weights: v.weights!,
    input: v.input,
    textField: v["text-field"],
    labelField: v["label-field"],
    out: v.out,
    device,
    batch,
    explain: v.explain!,
    texts: positionals,
  };
}

/** The texts to classify: the arguments, or the records of --input. */
async function readInputs(a: PredictArgs): Promise<PredictInput[]> {
  if (a.input === undefined) return a.texts.map((text) => ({ line: 0, text }));
  const jsonl = /\.(jsonl|ndjson)$/i.test(a.input);
  if (!jsonl && (a.textField || a.labelField)) {
    fail(
      `Cannot read ${a.input}: --text-field/--label-field need a .jsonl or .ndjson file; ` +
        "this one is read as one text a line",
    );
  }
  let inputs: PredictInput[];
  try {
    inputs = parseInputs(await readInput(a.input), {
      jsonl,
      textField: a.textField,
      labelField: a.labelField,
      source: a.input,
    });
  } catch (e) {
    fail((e as Error).message, 1);
  }
  if (!inputs.length) fail(`Cannot predict: ${a.input} holds no texts`, 1);
  if (!jsonl && inputs[0].label !== undefined) {
    console.error(
      `${a.input}: read as fastText lines (${FASTTEXT_LABEL}NAME text): the label words are the ` +
        "true labels, scored below, and not part of the texts",
    );
  }
  return inputs;
}

/** Classifies the inputs `batch` at a time, with a progress bar when there is more than one batch. */
async function classifyAll(
  clf: Classifier,
  inputs: PredictInput[],
  batch: number,
): Promise<Prediction[]> {
  const bar = inputs.length > batch
    ? new ProgressBar({ label: "predict", total: inputs.length })
    : undefined;
  const predictions: Prediction[] = [];
  const t0 = performance.now();
  for (let i = 0; i < inputs.length; i += batch) {
    const chunk = inputs.slice(i, i + batch);
    predictions.push(...await clf.classify(chunk.map((x) => x.text)));
    const seconds = (performance.now() - t0) / 1000;
    bar?.update(predictions.length, { "texts/s": predictions.length / Math.max(seconds, 1e-9) });
  }
  bar?.finish();
  return predictions;
}

/** Explains each input's answer (shared/explain.ts), with a progress bar for more than one. */
async function explainAll(clf: Classifier, inputs: PredictInput[], batch: number) {
  const bar = inputs.length > 1
    ? new ProgressBar({ label: "explain", total: inputs.length })
    : undefined;
  const out: Explanation[] = [];
  for (const x of inputs) {
    out.push(await explain(clf, x.text, { chunk: batch }));
    bar?.update(out.length);
  }
  bar?.finish();
  return out;
}

/** One JSON line per prediction (with its pieces when explained), to `out` (atomically) or stdout. */
async function writePredictions(
  inputs: PredictInput[],
  predictions: (Prediction | Explanation)[],
  out: string | undefined,
): Promise<void> {
  const lines = predictions.map((p, i) =>
    JSON.stringify({
      index: i,
      ...(inputs[i].line ? { line: inputs[i].line } : {}),
      ...(inputs[i].label !== undefined ? { true: inputs[i].label } : {}),
      label: p.label,
      score: p.score,
      scores: p.scores,
      ...("pieces" in p ? { wordsPerPiece: p.wordsPerPiece, pieces: p.pieces } : {}),
    })
  );
  const text = lines.join("\n") + "\n";
  if (out) {
    try {
      await writeFileAtomic(out, text);
    } catch (e) {
      fail((e as Error).message, 1);
    }
  } else await Deno.stdout.write(new TextEncoder().encode(text));
}

/** Prints the confusion matrix and accuracy against the inputs' true labels to stderr. */
function reportScore(labels: string[], inputs: PredictInput[], predictions: Prediction[]): void {
  const s = scorePredictions(labels, inputs, predictions);
  console.error(formatConfusion(labels, s.counts));
  console.error(formatClassReport(classReport(labels, s.counts)));
  console.error(`accuracy ${(100 * s.accuracy).toFixed(2)}% on ${inputs.length} texts`);
  if (s.unknownLabels.length) {
    console.error(
      `note: true labels the classifier does not know (counted wrong): ${
        s.unknownLabels.join(", ")
      }; it knows ${labels.join(", ")}`,
    );
  }
}

async function main(): Promise<void> {
  const a = parseCommandLine(Deno.args);
  if (!a) return;
  const inputs = await readInputs(a);
  let clf: Classifier;
  try {
    clf = await loadClassifier(a.weights, { device: a.device, batchSize: a.batch });
  } catch (e) {
    // shared/ names no flags; here the fix is one of these two.
    fail((e as Error).message, 1, "See --weights and --device in --help.");
  }
  const predictions = a.explain
    ? await explainAll(clf, inputs, a.batch)
    : await classifyAll(clf, inputs, a.batch);
  await writePredictions(inputs, predictions, a.out);
  if (inputs.every((x) => x.label !== undefined)) reportScore(clf.info.labels, inputs, predictions);
  clf.dispose();
}

if (import.meta.main) await main();
