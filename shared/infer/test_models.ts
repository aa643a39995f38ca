/**
 * Test helper: writes classifier folders with awkward sizes (hidden sizes
 * that are not multiples of 4 or 8, three layers, short BPTT chunks and
 * pooling windows) and non-trivial BatchNorm statistics, so the CPU path's
 * tails, chunking and pooling window are all exercised. Random weights:
 * deterministic answers, no training.
 *
 * @module
 */
import { initBackend } from "../backend.ts";
import { TextClassifier } from "../model/classifier.ts";
import { type AwdLstmConfig, encoderPreset, type HeadConfig, headPreset } from "../model/config.ts";
import { type Direction, saveClassifier } from "../model/io.ts";
import { Rng } from "../rng.ts";
import { tokenize } from "../tokenizer/tokenizer.ts";
import { countTokens, Vocab } from "../tokenizer/vocab.ts";
import { loadModelFolder, saveModelFolder } from "../weights/folder.ts";

const CORPUS = "win a free cruise now click here meeting at noon tomorrow please reply " +
  "the report is attached thanks cheap pills offer limited time only lunch friday";

/**
 * Sizes whose kernel calls are big enough (≥ 2^22 multiply-adds) for the
 * pool to use a second thread on 14 texts, with W_hh small enough for the
 * batch-rows split: pass to {@linkcode makeOddModels} to test threads.
 */
export const THREADED_SIZES: [Partial<AwdLstmConfig>, Direction[], Partial<HeadConfig>] = [
  { embSize: 36, hiddenSize: 101, numLayers: 3 },
  ["fwd", "bwd"],
  { bptt: 24 },
];

/** Texts of many lengths, some longer than the test models' BPTT and pooling window. */
export const TEST_TEXTS: string[] = [
  "win",
  "meeting at noon tomorrow",
  "cheap pills offer limited time only, click here now!!!",
  "the report is attached thanks " + "please reply ".repeat(9),
  "lunch friday? " + CORPUS,
  "Win a FREE cruise NOW",
  CORPUS + " " + CORPUS,
];

/** Twice as many texts: enough rows for two threads to split a batch (4 each at least). */
export const MORE_TEXTS: string[] = [...TEST_TEXTS, ...TEST_TEXTS.map((t) => `${t} and again`)];

/**
 * Writes `classifier-fwd/` and `classifier-bwd/` with the given encoder
 * sizes into a new temporary folder and returns its path.
 */
export async function makeOddModels(
  sizes: Partial<AwdLstmConfig> = { embSize: 18, hiddenSize: 37, numLayers: 3 },
  directions: Direction[] = ["fwd", "bwd"],
  headSizes: Partial<HeadConfig> = {},
): Promise<string> {
  const dir = await Deno.makeTempDir({ prefix: "fitlam-infer-test-" });
  const { ops } = await initBackend("wasm");
  const vocab = Vocab.build(countTokens([tokenize(CORPUS)]), { minFreq: 1 });
  const rng = new Rng(7);
  for (const [i, direction] of directions.entries()) {
    const encoder = { ...encoderPreset("tiny", vocab.size), ...sizes };
    const head = { ...headPreset(3, 6), hiddenSizes: [11], maxLen: 9, ...headSizes };
    const clf = new TextClassifier(ops, encoder, head, 10 + i);
    const path = `${dir}/classifier-${direction}`;
    await saveClassifier(path, clf, {
      direction,
      vocab: [...vocab.itos],
      labels: ["ham", "spam", "eggs"],
      preset: "tiny",
    });
    clf.dispose();
    // Running statistics other than 0 and 1, so BatchNorm really normalises.
    const saved = await loadModelFolder(path);
    for (const [name, t] of Object.entries(saved.tensors)) {
      const data = t.data as Float32Array;
      if (name.endsWith("running_mean")) data.forEach((_, k) => data[k] = rng.next() * 0.6 - 0.3);
      if (name.endsWith("running_var")) data.forEach((_, k) => data[k] = 0.2 + rng.next() * 1.8);
      if (name.endsWith("bn.weight")) data.forEach((_, k) => data[k] = 0.5 + rng.next() * 2.5);
    }
    await saveModelFolder(path, { tensors: saved.tensors, config: saved.config });
  }
  return dir;
}
