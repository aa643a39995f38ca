/**
 * Builds a small randomly initialised classifier folder for the server tests:
 * no training, yet its answers are deterministic, which is all the routes need.
 *
 * @module
 */
import { initBackend } from "../shared/backend.ts";
import { TextClassifier } from "../shared/model/classifier.ts";
import { encoderPreset, headPreset } from "../shared/model/config.ts";
import type { Direction } from "../shared/model/io.ts";
import { saveClassifier } from "../shared/model/io.ts";
import { tokenize } from "../shared/tokenizer/tokenizer.ts";
import { countTokens, Vocab } from "../shared/tokenizer/vocab.ts";

const CORPUS = "win a free cruise now click here meeting at noon tomorrow please reply " +
  "the report is attached thanks cheap pills offer limited time only lunch friday";

/**
 * Writes `classifier-<direction>/` folders with labels ham/spam into a new
 * temporary folder and returns its path.
 *
 * @example
 * ```ts ignore
 * const dir = await makeTestWeights(["fwd", "bwd"]);
 * const clf = await loadClassifier(dir);
 * ```
 */
export async function makeTestWeights(directions: Direction[] = ["fwd", "bwd"]): Promise<string> {
  const dir = await Deno.makeTempDir({ prefix: "fitlam-serve-test-" });
  const { ops } = await initBackend("wasm");
  const vocab = Vocab.build(countTokens([tokenize(CORPUS)]), { minFreq: 1 });
  for (const direction of directions) {
    const clf = new TextClassifier(ops, encoderPreset("tiny", vocab.size), headPreset(2));
    await saveClassifier(`${dir}/classifier-${direction}`, clf, {
      direction,
      vocab: [...vocab.itos],
      labels: ["ham", "spam"],
      preset: "tiny",
      metrics: { validAccuracy: 0.9 },
    });
    clf.dispose();
  }
  return dir;
}
