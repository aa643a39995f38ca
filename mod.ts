/**
 * fitlam: FitLaM (ULMFiT) text classifiers for Deno. Train with
 * `deno task train`; then load the averaged forward and backward classifiers
 * from the output folder and classify texts.
 *
 * @example
 * ```ts ignore
 * import { loadClassifier } from "./mod.ts";
 * const clf = await loadClassifier("weights", { device: "wasm" });
 * const [p] = await clf.classify("Win a FREE cruise now!"); // { label, score, scores }
 * clf.dispose();
 * ```
 *
 * @module
 */
export { findClassifierDirs, loadClassifier } from "./shared/pipeline.ts";
export type {
  BlendWeights,
  Classifier,
  ClassifierInfo,
  ClassifierLoadOptions,
  Prediction,
} from "./shared/pipeline.ts";
export type { ClassifierFiles, ClassifierSource, ModelFiles } from "./shared/model/source.ts";
export { explain, explainText } from "./shared/explain.ts";
export type { ExplainedPiece, ExplainOptions, Explanation } from "./shared/explain.ts";
export type { ProbabilitiesFn } from "./shared/classify.ts";
export { loadCpuClassifier } from "./shared/infer/cpu_classifier.ts";
export type { CpuClassifierOptions } from "./shared/infer/cpu_classifier.ts";
export { DEVICES } from "./shared/backend.ts";
export type { Device } from "./shared/backend.ts";
export {
  countTokens,
  SPECIAL_TOKENS,
  tokenize,
  tokenizeBatch,
  TOKENIZER_RULES_VERSION,
  Vocab,
} from "./shared/tokenizer/mod.ts";
export type { SpecialToken, VocabBuildOptions } from "./shared/tokenizer/mod.ts";
export { loadModelFolder, saveModelFolder } from "./shared/weights/mod.ts";
export type {
  DType,
  ExpectedTensors,
  FolderLoadOptions,
  LoadedModel,
  ModelToSave,
  NamedTensor,
} from "./shared/weights/mod.ts";
export type { Direction, ModelConfig } from "./shared/model/io.ts";
export { WEIGHT_DTYPES } from "./shared/weights/quantize.ts";
export type { WeightDtype } from "./shared/weights/quantize.ts";
export { POOL_LAYERS } from "./shared/model/config.ts";
export type { AwdLstmConfig, HeadConfig, PoolLayers } from "./shared/model/config.ts";
