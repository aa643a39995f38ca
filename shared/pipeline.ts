/**
 * The library API: load the trained forward/backward classifiers from a
 * weights folder (or its files in memory) and classify texts on TensorFlow.js, averaging the two directions'
 * probabilities. The HTTP server uses exactly this code path.
 *
 * @module
 */
import type { Tensor2D } from "@tensorflow/tfjs";
import { type Device, runningBackend, startOrReuseBackend } from "./backend.ts";
import { classifierFromLoaded, type Direction } from "./model/io.ts";
import { type ClassifierSource, encodeText, readClassifierSource } from "./model/source.ts";
import { withBlend } from "./blend.ts";
import {
  averageProbabilities,
  type Classifier,
  type ClassifierInfo,
  makeClassifier,
} from "./classify.ts";
import type { TextClassifier } from "./model/classifier.ts";
import type { Ops } from "./ops/ops.ts";
import { Vocab } from "./tokenizer/vocab.ts";

export type { BlendWeights, Classifier, ClassifierInfo, Prediction } from "./classify.ts";
export { type ClassifierSource, encodeText, findClassifierDirs } from "./model/source.ts";

/** Options of {@linkcode loadClassifier}. */
export interface ClassifierLoadOptions {
  /**
   * The TensorFlow.js backend to run on. TensorFlow.js has one backend per
   * process (or worker), shared by every model in it, so this only chooses
   * when none runs yet: then `device` is started (default wasm). When one
   * already runs, it is kept: without `device` the classifier uses it, and a
   * `device` that is another backend is refused rather than switched to,
   * since switching would move every model loaded before.
   */
  device?: Device;
  /** Documents per forward pass (default 32). */
  batchSize?: number;
  /** Load only these directions (default: every one the folder has; an incomplete one is refused). */
  directions?: Direction[];
  /**
   * Blend in the folder's bag-of-words model (`baseline/`) at the weight the trainer chose on
   * validation, when it has one (default true); false: the LSTM classifiers alone.
   */
  blend?: boolean;
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
 * Loads the classifiers in `source` (a trainer output folder, one classifier
 * folder, or each direction's folder files in memory) and returns a classifier.
 * It starts a TensorFlow.js backend only when none runs yet (`opts.device`,
 * default wasm) and never switches a running one: a `device` other than the
 * running backend is refused (see {@linkcode ClassifierLoadOptions.device}),
 * and the classifier refuses to compute if the global backend is switched
 * after it was loaded.
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
  source: ClassifierSource,
  opts: ClassifierLoadOptions = {},
): Promise<Classifier> {
  const { ops, backend } = await startOrReuseBackend(opts.device);
  const loaded = await readClassifierSource(source, opts.directions);
  const models: { direction: Direction; clf: TextClassifier; vocab: Vocab }[] = [];
  const info: ClassifierInfo = { labels: [], directions: [], backend, configs: {}, checksums: {} };
  for (const { direction, where, raw } of loaded) {
    const { clf, config, checksum } = classifierFromLoaded(ops, where, raw);
    info.labels = config.labels!;
    info.directions.push(direction);
    info.configs[direction] = config;
    info.checksums[direction] = checksum;
    models.push({ direction, clf, vocab: Vocab.fromItos(config.vocab) });
  }
  const batchSize = opts.batchSize ?? 32;

  async function probabilities(texts: string[]): Promise<Float32Array[]> {
    const now = runningBackend();
    if (now !== backend) {
      throw new Error(
        `Cannot classify: the models were loaded on the ${backend} backend, but TensorFlow.js ` +
          `now runs ${now}; switch back to ${backend} or load the classifier again`,
      );
    }
    const perModel: Float32Array[][] = [];
    for (const m of models) {
      const seqs = texts.map((t) => encodeText(m.vocab, t, m.direction));
      perModel.push(await predictProbabilities(m.clf, seqs, batchSize));
    }
    return averageProbabilities(perModel);
  }

  const dispose = () => {
    for (const m of models) m.clf.dispose();
  };
  try {
    const blended = await withBlend(source, info, opts.blend ?? true, probabilities);
    return makeClassifier(info, blended, dispose);
  } catch (error) {
    dispose();
    throw error;
  }
}
