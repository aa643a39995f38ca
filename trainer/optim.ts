/**
 * Adam with per-variable learning-rate multipliers (discriminative
 * fine-tuning), decoupled weight decay and global gradient-norm clipping.
 * Its state exports to plain arrays so checkpoints can resume it exactly.
 *
 * @module
 */
import type { NamedTensorMap, Tensor, Variable } from "@tensorflow/tfjs";
import type { Ops } from "../shared/ops/ops.ts";

/** Adam settings (FitLaM: β1 0.7, β2 0.99). */
export interface AdamConfig {
  beta1: number;
  beta2: number;
  eps: number;
  /** Decoupled weight decay, per unit learning rate. */
  weightDecay: number;
  /** Clip the global gradient norm to this (0: no clipping). */
  clipNorm: number;
}

/** Default Adam settings of the paper. */
export const ADAM_DEFAULTS: AdamConfig = {
  beta1: 0.7,
  beta2: 0.99,
  eps: 1e-8,
  weightDecay: 0.01,
  clipNorm: 0.25,
};

/** Moments of one variable, as plain data. */
export interface MomentData {
  m: Float32Array;
  v: Float32Array;
  shape: number[];
}

/**
 * Adam over named variables.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import * as tf from "@tensorflow/tfjs";
 * import { createOps } from "../shared/ops/ops.ts";
 * import { Adam, ADAM_DEFAULTS } from "./optim.ts";
 * await tf.setBackend("cpu");
 * const ops = createOps(tf, "cpu");
 * const w = tf.variable(tf.scalar(1), true, "w-doc");
 * const adam = new Adam(ops, { ...ADAM_DEFAULTS, weightDecay: 0, clipNorm: 0 });
 * adam.track([w]);
 * await adam.step({ "w-doc": tf.scalar(0.5) }, 0.1, () => 1);
 * assert.ok(Math.abs(w.dataSync()[0] - 0.9) < 1e-5);
 * ```
 */
export class Adam {
  /** Steps taken. */
  t = 0;
  readonly moments = new Map<string, { m: Variable; v: Variable }>();
  readonly vars = new Map<string, Variable>();

  constructor(readonly ops: Ops, readonly config: AdamConfig) {}

  /**
   * Applies one update. `grads` is keyed by variable name (as returned by
   * `variableGrads`); `rateOf(name)` gives each variable's multiplier of
   * `lr` (0 freezes it). Returns the gradient norm before clipping.
   */
  async step(
    grads: NamedTensorMap,
    lr: number,
    rateOf: (name: string) => number,
  ): Promise<number> {
    const { ops, config: c } = this;
    this.t++;
    const names = Object.keys(grads).filter((n) => rateOf(n) > 0);
    const norm = ops.tidy(() =>
      ops.sqrt(ops.addN(names.map((n) => ops.sum(ops.square(grads[n])))))
    );
    const normValue = names.length ? (await norm.data())[0] : 0;
    norm.dispose();
    const clip = c.clipNorm > 0 && normValue > c.clipNorm ? c.clipNorm / normValue : 1;
    const bc1 = 1 - c.beta1 ** this.t, bc2 = 1 - c.beta2 ** this.t;
    for (const name of names) {
      const variable = this.variable(name);
      const mom = this.moment(name, variable);
      const rate = lr * rateOf(name);
      ops.tidy(() => {
        const g = clip === 1 ? grads[name] : ops.mul(grads[name], clip);
        const m = ops.add(ops.mul(mom.m, c.beta1), ops.mul(g, 1 - c.beta1));
        const v = ops.add(ops.mul(mom.v, c.beta2), ops.mul(ops.square(g), 1 - c.beta2));
        mom.m.assign(m);
        mom.v.assign(v);
        const update = ops.div(ops.div(m, bc1), ops.add(ops.sqrt(ops.div(v, bc2)), c.eps));
        let next: Tensor = ops.sub(variable, ops.mul(update, rate));
        if (c.weightDecay > 0) next = ops.sub(next, ops.mul(variable, rate * c.weightDecay));
        variable.assign(next);
      });
    }
    return normValue;
  }

  /** Registers the variables the optimizer may update (by their tfjs names). */
  track(vars: Variable[]): void {
    for (const v of vars) this.vars.set(v.name, v);
  }

  private variable(name: string): Variable {
    const v = this.vars.get(name);
    if (!v) throw new Error(`Cannot update "${name}": the optimizer does not track it`);
    return v;
  }

  private moment(name: string, v: Variable) {
    let mom = this.moments.get(name);
    if (!mom) {
      // tidy frees the zero tensors; the variables keep their data.
      mom = this.ops.tidy(() => ({
        m: this.ops.variable(this.ops.zerosLike(v), false),
        v: this.ops.variable(this.ops.zerosLike(v), false),
      }));
      this.moments.set(name, mom);
    }
    return mom;
  }

  /** The state as plain data, keyed by `keyOf(variable name)`. */
  async export(
    keyOf: (name: string) => string,
  ): Promise<{ t: number; moments: Record<string, MomentData> }> {
    const moments: Record<string, MomentData> = {};
    for (const [name, mom] of this.moments) {
      moments[keyOf(name)] = {
        m: (await mom.m.data()) as Float32Array,
        v: (await mom.v.data()) as Float32Array,
        shape: mom.m.shape.slice(),
      };
    }
    return { t: this.t, moments };
  }

  /** Restores state written by {@linkcode export}; `nameOf` maps keys back to variable names. */
  import(
    state: { t: number; moments: Record<string, MomentData> },
    nameOf: (key: string) => string,
  ): void {
    this.t = state.t;
    for (const [key, d] of Object.entries(state.moments)) {
      const name = nameOf(key);
      const variable = this.variable(name);
      const mom = this.moment(name, variable);
      this.ops.tidy(() => {
        mom.m.assign(this.ops.tensor(d.m, d.shape));
        mom.v.assign(this.ops.tensor(d.v, d.shape));
      });
    }
  }

  /** Frees the moments. */
  dispose(): void {
    for (const mom of this.moments.values()) mom.m.dispose(), mom.v.dispose();
    this.moments.clear();
  }
}
