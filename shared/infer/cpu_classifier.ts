/**
 * Classifiers on fitlam's own wasm kernels alone: no TensorFlow.js, so the
 * code an edge bundle carries is small and starts fast. Reads the same
 * folders (or the same files in memory) as `loadClassifier`, checked against
 * the same model definition, and gives the same probabilities (within 1e-4).
 * Uses worker threads where `SharedArrayBuffer` and `Worker` exist, one
 * thread on a plain memory otherwise.
 *
 * @module
 */
import {
  averageProbabilities,
  type Classifier,
  type ClassifierInfo,
  makeClassifier,
} from "../classify.ts";
import type { Direction } from "../model/io.ts";
import { type ClassifierSource, encodeText, readClassifierSource } from "../model/source.ts";
import { withBlend } from "../blend.ts";
import { KernelPool, kernelThreads } from "../ops/wasm/pool.ts";
import { Vocab } from "../tokenizer/vocab.ts";
import { ResidentEncoder } from "./encoder.ts";
import { Head } from "./head.ts";

/** Options of {@linkcode loadCpuClassifier}. */
export interface CpuClassifierOptions {
  /** Documents per forward pass (default 32). */
  batchSize?: number;
  /** Load only these directions (default: every one the source has). */
  directions?: Direction[];
  /** Kernel threads (default `kernelThreads()`; always 1 where threads are unsupported). */
  threads?: number;
  /** Wait until the worker threads run before returning (tests; default: they join when ready). */
  waitForThreads?: boolean;
  /** Blend in the source's bag-of-words model when it has one (default true; see `loadClassifier`). */
  blend?: boolean;
}

/** The name {@linkcode ClassifierInfo.backend} reports for this engine. */
export const CPU_BACKEND = "cpu-wasm";

/**
 * Loads a classifier from a folder or from its files in memory and runs it
 * on fitlam's wasm kernels.
 *
 * @example
 * ```ts ignore
 * const clf = await loadCpuClassifier("weights");
 * const [best] = await clf.classify("Win a FREE cruise now!!!");
 * ```
 */
export async function loadCpuClassifier(
  source: ClassifierSource,
  opts: CpuClassifierOptions = {},
): Promise<Classifier> {
  const loaded = await readClassifierSource(source, opts.directions);
  const pool = new KernelPool(opts.threads ?? kernelThreads());
  const info: ClassifierInfo = {
    labels: loaded[0].config.labels!,
    directions: [],
    backend: `${CPU_BACKEND} (${pool.threads} thread${pool.threads > 1 ? "s" : ""})`,
    configs: {},
    checksums: {},
  };
  const models = loaded.map(({ direction, config, raw }) => {
    info.directions.push(direction);
    info.configs[direction] = config;
    info.checksums[direction] = raw.checksum;
    return {
      direction,
      vocab: Vocab.fromItos(config.vocab),
      encoder: new ResidentEncoder(pool, config.encoder, raw.tensors),
      head: new Head(config.head!, raw.tensors),
      poolConfig: config.head!,
    };
  });
  const batchSize = opts.batchSize ?? 32;
  if (opts.waitForThreads) await pool.ready();

  function probabilities(texts: string[]): Promise<Float32Array[]> {
    const C = info.labels.length;
    const perModel = models.map((m) => {
      const seqs = texts.map((t) => encodeText(m.vocab, t, m.direction));
      const out: Float32Array[] = new Array(seqs.length);
      // Shortest first, as loadClassifier batches: little padding per batch.
      const order = seqs.map((_, i) => i).sort((a, b) => seqs[a].length - seqs[b].length);
      for (let s = 0; s < order.length; s += batchSize) {
        const idx = order.slice(s, s + batchSize);
        const pooled = m.encoder.encode(idx.map((i) => seqs[i]), m.poolConfig);
        const probs = m.head.probabilities(pooled, idx.length);
        idx.forEach((i, k) => out[i] = probs.slice(k * C, (k + 1) * C));
      }
      return out;
    });
    return Promise.resolve(averageProbabilities(perModel));
  }

  try {
    const blended = await withBlend(source, info, opts.blend ?? true, probabilities);
    return makeClassifier(info, blended, () => pool.close());
  } catch (error) {
    pool.close();
    throw error;
  }
}
