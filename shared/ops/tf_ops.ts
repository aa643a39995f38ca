/**
 * The TensorFlow.js functions the model may use, apart from the `Ops`
 * interface that adds fitlam's fused ops to them. The reference kernels
 * (`lstm.ts`, `decoder_loss.ts`) are written against this subset, so they and
 * `ops.ts`, which registers them, do not import each other.
 *
 * @module
 */
import type * as tfNamespace from "@tensorflow/tfjs";

/** The TensorFlow.js namespace type. */
export type Tf = typeof tfNamespace;

/** Names of the tfjs functions the model may use. */
export const TF_OPS = [
  "abs",
  "add",
  "addN",
  "cast",
  "clone",
  "concat",
  "customGrad",
  "dispose",
  "div",
  "equal",
  "exp",
  "expandDims",
  "fill",
  "gather",
  "grads",
  "greater",
  "keep",
  "less",
  "log",
  "logSoftmax",
  "matMul",
  "max",
  "maximum",
  "mean",
  "memory",
  "minimum",
  "moments",
  "mul",
  "neg",
  "oneHot",
  "ones",
  "range",
  "relu",
  "reshape",
  "scalar",
  "sigmoid",
  "slice",
  "softmax",
  "split",
  "sqrt",
  "square",
  "squeeze",
  "stack",
  "sub",
  "sum",
  "tanh",
  "tensor",
  "tensor1d",
  "tensor2d",
  "tensor3d",
  "tidy",
  "transpose",
  "unstack",
  "variable",
  "variableGrads",
  "where",
  "zeros",
  "zerosLike",
] as const;

/** The picked tfjs functions. */
export type TfOps = Pick<Tf, typeof TF_OPS[number]>;
