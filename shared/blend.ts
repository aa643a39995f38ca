/**
 * Blending a trained folder's bag-of-words model (`baseline/`) into a loaded classifier's
 * probabilities, the same way for every engine (TensorFlow.js and the wasm CPU path).
 *
 * @module
 */
import { blendProbabilities, type ClassifierInfo, type ProbabilitiesFn } from "./classify.ts";
import { blendWeightsFor } from "./baseline/saved.ts";
import { type ClassifierSource, readBaselineSource } from "./model/source.ts";

/**
 * `probabilities` with the source's bag-of-words model blended in with its saved weights for the
 * loaded directions (`blendWeightsFor`), noting them in `info.blend`; `probabilities` itself when
 * the source has none or `enabled` is false.
 */
export async function withBlend(
  source: ClassifierSource,
  info: ClassifierInfo,
  enabled: boolean,
  probabilities: ProbabilitiesFn,
): Promise<ProbabilitiesFn> {
  const found = enabled ? await readBaselineSource(source, info.labels) : undefined;
  if (!found) return probabilities;
  const { baseline, checksum } = found;
  // One direction loaded alone gets the weights fitted for it, where the folder has them.
  const weights = blendWeightsFor(baseline, info.directions);
  info.blend = { weights, features: baseline.features, checksum };
  return async (texts) =>
    blendProbabilities(await probabilities(texts), baseline.predictProba(texts), weights);
}
