/**
 * The AWD-LSTM language model (Merity et al.), as used by FitLaM: embedding,
 * a stack of LSTM layers whose last one returns to the embedding size, and a
 * linear decoder tied to the embedding. Parameter names and layouts follow
 * PyTorch (`rnns.N.weight_hh` is [4H, H], gates i, f, g, o).
 *
 * @module
 */
import type { Scalar, Tensor, Tensor1D, Tensor2D, Tensor3D } from "@tensorflow/tfjs";
import type { Ops } from "../ops/ops.ts";
import { Rng } from "../rng.ts";
import { type AwdLstmConfig, layerSizes, validateEncoderConfig } from "./config.ts";
import { dropConnect, embedWithDropout, type EncoderMasks, lockedDropout } from "./dropout.ts";
import { type ParamSpec, ParamStore } from "./params.ts";

/** Per-layer hidden and cell states, [B, h_l] each. */
export interface LstmState {
  h: Tensor2D[];
  c: Tensor2D[];
}

/** What the encoder returns. */
export interface EncodeResult {
  /** Last layer's output after output dropout, time-major [T, B, E]. */
  output: Tensor3D;
  /** Last layer's output before dropout (for temporal activation regularisation). */
  raw: Tensor3D;
  /** Final states, detached: feed them to the next batch or chunk. */
  state: LstmState;
  /** Every layer's output before dropout, [T, B, h_l] (the last one is `raw`), for probes. */
  layers: Tensor3D[];
}

/** Options of {@linkcode AwdLstm.lmLoss}. */
export interface LmLossOptions {
  state?: LstmState;
  masks?: EncoderMasks;
  /** Activation regularisation weight on the dropped last-layer output (AWD-LSTM: 2). */
  alpha?: number;
  /** Temporal activation regularisation weight on the raw last-layer output (AWD-LSTM: 1). */
  beta?: number;
  /** Rows per chunk of the fused decoder loss. */
  chunkRows?: number;
}

/**
 * Parameter declarations of an encoder + tied decoder: the single source of
 * names, shapes and initialisation (embedding U(-0.1, 0.1), LSTM
 * U(-1/√H, 1/√H) as PyTorch, decoder bias 0).
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { encoderPreset } from "./config.ts";
 * import { awdLstmSpecs } from "./awd_lstm.ts";
 * const s = awdLstmSpecs(encoderPreset("paper", 100));
 * assert.equal(s["rnns.0.weight_hh"].shape.join(), "4600,1150");
 * ```
 */
export function awdLstmSpecs(c: AwdLstmConfig): Record<string, ParamSpec> {
  const specs: Record<string, ParamSpec> = {
    "encoder.weight": {
      shape: [c.vocabSize, c.embSize],
      init: { kind: "uniform", bound: 0.1 },
      trainable: true,
    },
  };
  for (let l = 0; l < c.numLayers; l++) {
    const [nIn, nHid] = layerSizes(c, l);
    const init = { kind: "uniform", bound: 1 / Math.sqrt(nHid) } as const;
    specs[`rnns.${l}.weight_ih`] = { shape: [4 * nHid, nIn], init, trainable: true };
    specs[`rnns.${l}.weight_hh`] = { shape: [4 * nHid, nHid], init, trainable: true };
    specs[`rnns.${l}.bias_ih`] = { shape: [4 * nHid], init, trainable: true };
    specs[`rnns.${l}.bias_hh`] = { shape: [4 * nHid], init, trainable: true };
  }
  specs["decoder.bias"] = {
    shape: [c.vocabSize],
    init: { kind: "const", value: 0 },
    trainable: true,
  };
  return specs;
}

/**
 * AWD-LSTM with a tied decoder.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import * as tf from "@tensorflow/tfjs";
 * import { createOps } from "../ops/ops.ts";
 * import { encoderPreset } from "./config.ts";
 * import { AwdLstm } from "./awd_lstm.ts";
 * await tf.setBackend("cpu");
 * const lm = new AwdLstm(createOps(tf, "cpu"), encoderPreset("tiny", 30));
 * const { output } = lm.encode(tf.tensor2d([[2, 3, 4]], undefined, "int32"));
 * assert.equal(lm.logits(output).shape.join(), "1,3,30");
 * ```
 */
export class AwdLstm {
  readonly params: ParamStore;
  readonly config: AwdLstmConfig;

  constructor(readonly ops: Ops, config: AwdLstmConfig, seed = 0) {
    this.config = validateEncoderConfig(config);
    this.params = new ParamStore(ops, awdLstmSpecs(config), new Rng(seed));
  }

  /** Zero states for a batch of `batch` sequences. */
  zeroState(batch: number): LstmState {
    const h: Tensor2D[] = [], c: Tensor2D[] = [];
    for (let l = 0; l < this.config.numLayers; l++) {
      const [, nHid] = layerSizes(this.config, l);
      h.push(this.ops.zeros([batch, nHid]));
      c.push(this.ops.zeros([batch, nHid]));
    }
    return { h, c };
  }

  /**
   * Runs the encoder on `tokens` [B, T] (int32, batch-major) from `state`
   * (zeros when absent). Dropout happens only where `masks` has a mask.
   */
  encode(tokens: Tensor2D, state?: LstmState, masks: EncoderMasks = {}): EncodeResult {
    const { ops, config: c } = this;
    const [B] = tokens.shape;
    const from = state ?? this.zeroState(B);
    const tokensTB = ops.transpose(tokens);
    const embedded = embedWithDropout(
      ops,
      this.params.get("encoder.weight") as Tensor2D,
      tokensTB,
      masks.embedRows,
    );
    let x = lockedDropout(ops, embedded, masks.input);
    const h: Tensor2D[] = [], cs: Tensor2D[] = [];
    let raw = x;
    const layers: Tensor3D[] = [];
    for (let l = 0; l < c.numLayers; l++) {
      const p = (n: string) => this.params.get(`rnns.${l}.${n}`);
      const out = ops.lstm({
        x,
        h0: from.h[l],
        c0: from.c[l],
        wIh: p("weight_ih") as Tensor2D,
        wHh: dropConnect(ops, p("weight_hh") as Tensor2D, masks.weightHh?.[l]),
        bIh: p("bias_ih") as Tensor1D,
        bHh: p("bias_hh") as Tensor1D,
      });
      h.push(out.h), cs.push(out.c);
      raw = out.y;
      layers.push(out.y);
      x = l < c.numLayers - 1 ? lockedDropout(ops, out.y, masks.hidden?.[l]) : out.y;
    }
    return {
      output: lockedDropout(ops, raw, masks.output),
      raw,
      state: { h, c: cs },
      layers,
    };
  }

  /** Decoder logits [B, T, V] for an encoder output [T, B, E] (inference and tests). */
  logits(output: Tensor3D): Tensor3D {
    const { ops } = this;
    const [T, B, E] = output.shape;
    const weight = this.params.get("encoder.weight");
    const flat = ops.add(
      ops.matMul(ops.reshape(output, [T * B, E]), ops.transpose(weight)),
      this.params.get("decoder.bias"),
    );
    return ops.transpose(ops.reshape(flat, [T, B, this.config.vocabSize]), [1, 0, 2]) as Tensor3D;
  }

  /**
   * Language-model loss for `tokens` → `targets` (both [B, T] int32): mean
   * cross-entropy, plus AR and TAR when `alpha`/`beta` are given. Returns the
   * total to minimise, the cross-entropy alone, and the detached next state.
   */
  lmLoss(
    tokens: Tensor2D,
    targets: Tensor2D,
    opts: LmLossOptions = {},
  ): { loss: Scalar; crossEntropy: Scalar; state: LstmState } {
    const { ops } = this;
    const enc = this.encode(tokens, opts.state, opts.masks);
    const [T, B, E] = enc.output.shape;
    const crossEntropy = ops.decoderLoss({
      h: ops.reshape(enc.output, [T * B, E]) as Tensor2D,
      weight: this.params.get("encoder.weight") as Tensor2D,
      bias: this.params.get("decoder.bias") as Tensor1D,
      targets: ops.reshape(ops.transpose(targets), [T * B]) as Tensor1D,
      chunkRows: opts.chunkRows,
    });
    let loss: Tensor = crossEntropy;
    if (opts.alpha) loss = ops.add(loss, ops.mul(opts.alpha, ops.mean(ops.square(enc.output))));
    if (opts.beta && T > 1) {
      const step = ops.sub(
        ops.slice(enc.raw, [1, 0, 0], [T - 1, B, E]),
        ops.slice(enc.raw, [0, 0, 0], [T - 1, B, E]),
      );
      loss = ops.add(loss, ops.mul(opts.beta, ops.mean(ops.square(step))));
    }
    return { loss: loss as Scalar, crossEntropy, state: enc.state };
  }

  /** Frees a state's tensors. */
  disposeState(state: LstmState | undefined): void {
    if (state) this.ops.dispose([...state.h, ...state.c]);
  }
}
