/**
 * The library API: load the trained forward/backward classifiers from a
 * weights folder and classify texts, averaging the two directions'
 * probabilities. The HTTP server uses exactly this code path.
 *
 * @module
 */
import type { Tensor2D } from "@tensorflow/tfjs";
import { type Device, initBackend } from "./backend.ts";
import { type Direction, loadClassifierModel, type ModelConfig } from "./model/io.ts";
import type { TextClassifier } from "./model/classifier.ts";
import type { Ops } from "./ops/ops.ts";
import { tokenize } from "./tokenizer/tokenizer.ts";
import { Vocab } from "./tokenizer/vocab.ts";
import { exists } from "./exists.ts";

/** One text's prediction: the best label, its probability, and every label's. */
export interface Prediction {
  /** The most probable label. */
  label: string;
  /** Its probability. */
  score: number;
  /** Every label's probability (they sum to 1). */
  scores: Record<string, number>;
}

/** What was loaded. */
export interface ClassifierInfo {
  /** The labels, in the order of each probability vector. */
  labels: string[];
  /** The reading directions loaded (their probabilities are averaged). */
  directions: Direction[];
  /** The TensorFlow.js backend the models run on. */
  backend: string;
  /** Each direction's `config.json`. */
  configs: Partial<Record<Direction, ModelConfig>>;
  /** SHA-256 of each direction's `model.safetensors`. */
  checksums: Partial<Record<Direction, string>>;
}

/** A loaded classifier. */
export interface Classifier {
  /** Classifies one text or many, in input order. */
  classify(texts: string | string[]): Promise<Prediction[]>;
  /** Probabilities [texts × labels] before picking the best label. */
  probabilities(texts: string[]): Promise<Float32Array[]>;
  /** What was loaded. */
  readonly info: ClassifierInfo;
  /** Frees the models' tensors; the classifier cannot be used afterwards. */
  dispose(): void;
}

/** Options of {@linkcode loadClassifier}. */
export interface ClassifierLoadOptions {
  /** Backend to run on (default wasm). */
  device?: Device;
  /** Documents per forward pass (default 32). */
  batchSize?: number;
  /** Load only these directions (default: every one the folder has; an incomplete one is refused). */
  directions?: Direction[];
}

/**
 * Finds the classifier folders under `dir`: `classifier-fwd/`, `classifier-bwd/`, or `dir` itself.
 * A direction folder that exists without its `config.json` is an incomplete model and refused,
 * rather than quietly serving the other direction alone; `only` loads just the directions named.
 */
export async function findClassifierDirs(
  dir: string,
  only?: readonly Direction[],
): Promise<Partial<Record<Direction, string>>> {
  if (!(await exists(dir))) {
    throw new Error(
      `Cannot load classifier from ${dir}: folder not found; train one with \`deno task train\` or pass --weights DIR`,
    );
  }
  if (await exists(`${dir}/config.json`)) {
    const config = JSON.parse(await Deno.readTextFile(`${dir}/config.json`)) as ModelConfig;
    return { [config.direction ?? "fwd"]: dir };
  }
  const found: Partial<Record<Direction, string>> = {};
  for (const d of only ?? ["fwd", "bwd"] as const) {
    const sub = `${dir}/classifier-${d}`;
    if (await exists(`${sub}/config.json`)) found[d] = sub;
    else if (await exists(sub) || only) {
      throw new Error(
        `Cannot load classifier from ${dir}: ${sub}/config.json is missing, so the ${d} model ` +
          "is incomplete; restore it, train again, or load only the other direction",
      );
    }
  }
  if (!found.fwd && !found.bwd) {
    throw new Error(
      `Cannot load classifier from ${dir}: no classifier-fwd/ or classifier-bwd/ model inside; run \`deno task train\` (or its classify stage) first`,
    );
  }
  return found;
}

/** Encodes a text to ids in one direction (backward models read the tokens reversed). */
export function encodeText(vocab: Vocab, text: string, direction: Direction): Int32Array {
  const ids = vocab.encode(tokenize(text));
  return direction === "bwd" ? ids.reverse() : ids;
}

/** Right-pads id sequences into one [B, T] int32 batch. */
export function padBatch(
  ops: Ops,
  seqs: Int32Array[],
  padId: number,
): { tokens: Tensor2D; lengths: number[] } {
  const T = Math.max(...seqs.map((s) => s.length));
  const flat = new Int32Array(seqs.length * T).fill(padId);
  seqs.forEach((s, b) => flat.set(s, b * T));
  return {
    tokens: ops.tensor2d(flat, [seqs.length, T], "int32"),
    lengths: seqs.map((s) => s.length),
  };
}

/**
 * Softmax probabilities of one model for many id sequences, in input order.
 * `onBatch` hears after each batch how many sequences and tokens are done
 * (for a progress bar).
 */
export async function predictProbabilities(
  clf: TextClassifier,
  seqs: Int32Array[],
  batchSize = 32,
  onBatch?: (done: number, tokens: number) => void,
): Promise<Float32Array[]> {
  const { ops } = clf;
  const order = seqs.map((_, i) => i).sort((a, b) => seqs[a].length - seqs[b].length);
  const out: Float32Array[] = new Array(seqs.length);
  const C = clf.headConfig.numClasses;
  let tokens = 0;
  for (let s = 0; s < order.length; s += batchSize) {
    const idx = order.slice(s, s + batchSize);
    const probs = ops.tidy(() => {
      const { tokens, lengths } = padBatch(ops, idx.map((i) => seqs[i]), clf.encoder.config.padId);
      return ops.softmax(clf.forward(tokens, lengths).logits);
    });
    const data = (await probs.data()) as Float32Array;
    probs.dispose();
    idx.forEach((i, k) => out[i] = data.slice(k * C, (k + 1) * C));
    tokens += idx.reduce((a, i) => a + seqs[i].length, 0);
    onBatch?.(s + idx.length, tokens);
  }
  return out;
}

/**
 * Loads the classifiers in `dir` (a trainer output folder, or one
 * classifier folder) and returns a classifier.
 *
 * @example
 * ```ts ignore
 * import { loadClassifier } from "./pipeline.ts";
 * const clf = await loadClassifier("weights");
 * const [best] = await clf.classify("Win a FREE cruise now!!!");
 * console.log(best.label, best.score);
 * ```
 */
export async function loadClassifier(
  dir: string,
  opts: ClassifierLoadOptions = {},
): Promise<Classifier> {
  const { ops, backend } = await initBackend(opts.device ?? "wasm");
  const dirs = await findClassifierDirs(dir, opts.directions);
  const models: { direction: Direction; clf: TextClassifier; vocab: Vocab }[] = [];
  const info: ClassifierInfo = { labels: [], directions: [], backend, configs: {}, checksums: {} };
  for (const direction of ["fwd", "bwd"] as const) {
    const path = dirs[direction];
    if (!path) continue;
    const { clf, config, checksum } = await loadClassifierModel(ops, path);
    if (info.labels.length && info.labels.join("\n") !== config.labels!.join("\n")) {
      throw new Error(
        `Cannot load classifier from ${dir}: the fwd and bwd models have different labels (${info.labels} vs ${config.labels}); train them together`,
      );
    }
    info.labels = config.labels!;
    info.directions.push(direction);
    info.configs[direction] = config;
    info.checksums[direction] = checksum;
    models.push({ direction, clf, vocab: Vocab.fromItos(config.vocab) });
  }
  const batchSize = opts.batchSize ?? 32;

  async function probabilities(texts: string[]): Promise<Float32Array[]> {
    const sums = texts.map(() => new Float32Array(info.labels.length));
    for (const m of models) {
      const seqs = texts.map((t) => encodeText(m.vocab, t, m.direction));
      const probs = await predictProbabilities(m.clf, seqs, batchSize);
      probs.forEach((p, i) => p.forEach((v, c) => sums[i][c] += v / models.length));
    }
    return sums;
  }

  return {
    info,
    probabilities,
    async classify(texts) {
      const list = typeof texts === "string" ? [texts] : texts;
      const probs = await probabilities(list);
      return probs.map((p) => {
        let best = 0;
        for (let c = 1; c < p.length; c++) if (p[c] > p[best]) best = c;
        const scores = Object.fromEntries(info.labels.map((l, c) => [l, p[c]]));
        return { label: info.labels[best], score: p[best], scores };
      });
    },
    dispose() {
      for (const m of models) m.clf.dispose();
    },
  };
}
