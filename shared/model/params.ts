/**
 * A named set of model parameters held as tfjs variables, with shape checks
 * on load and plain typed-array export for the weight files.
 *
 * @module
 */
import type { Variable } from "@tensorflow/tfjs";
import type { Ops } from "../ops/ops.ts";
import type { Rng } from "../rng.ts";

/** How to initialise one parameter. */
export type Init =
  | { kind: "uniform"; bound: number }
  | { kind: "const"; value: number };

/** A parameter's declaration. */
export interface ParamSpec {
  shape: number[];
  init: Init;
  /** False for buffers such as BatchNorm running statistics. */
  trainable: boolean;
}

/** Plain data of one parameter, as stored in a weight file. */
export interface ParamData {
  shape: number[];
  data: Float32Array;
}

/**
 * Variables by name, created from specs (random init from a seeded Rng, or
 * given values).
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import * as tf from "@tensorflow/tfjs";
 * import { createOps } from "../ops/ops.ts";
 * import { Rng } from "../rng.ts";
 * import { ParamStore } from "./params.ts";
 * await tf.setBackend("cpu");
 * const p = new ParamStore(createOps(tf, "cpu"), {
 *   w: { shape: [2, 2], init: { kind: "const", value: 1 }, trainable: true },
 * }, new Rng(0));
 * assert.equal(p.get("w").shape.join(), "2,2");
 * ```
 */
export class ParamStore {
  readonly vars = new Map<string, Variable>();
  /** Prefix of this store's tfjs variable names (tfjs names are process-global). */
  readonly scope = `p${nextStoreId++}/`;

  constructor(readonly ops: Ops, readonly specs: Record<string, ParamSpec>, rng: Rng) {
    for (const [name, spec] of Object.entries(specs)) {
      const size = spec.shape.reduce((a, b) => a * b, 1);
      const data = new Float32Array(size);
      if (spec.init.kind === "const") data.fill(spec.init.value);
      else for (let i = 0; i < size; i++) data[i] = (rng.next() * 2 - 1) * spec.init.bound;
      // The initial tensor is freed once the variable holds its data.
      const initial = ops.tensor(data, spec.shape);
      this.vars.set(name, ops.variable(initial, spec.trainable, this.scope + name));
      initial.dispose();
    }
  }

  /** The variable called `name`; throws naming it when absent. */
  get(name: string): Variable {
    const v = this.vars.get(name);
    if (!v) throw new Error(`Cannot find parameter "${name}": the model has no such parameter`);
    return v;
  }

  /** Names of trainable parameters, optionally only those passing `filter`. */
  trainable(filter: (name: string) => boolean = () => true): Variable[] {
    return [...this.vars.entries()]
      .filter(([n]) => this.specs[n].trainable && filter(n))
      .map(([, v]) => v);
  }

  /**
   * Replaces values from `data`. Every declared parameter must be present
   * with its declared shape (unless `partial`); the error names the first
   * mismatch.
   */
  load(data: Record<string, ParamData>, opts: { partial?: boolean; prefix?: string } = {}): void {
    const prefix = opts.prefix ?? "";
    for (const [name, spec] of Object.entries(this.specs)) {
      const d = data[prefix + name];
      if (!d) {
        if (opts.partial) continue;
        throw new Error(`Cannot load weights: tensor "${prefix + name}" is missing`);
      }
      if (d.shape.join(",") !== spec.shape.join(",")) {
        throw new Error(
          `Cannot load weights: tensor "${
            prefix + name
          }" has shape [${d.shape}], the model expects [${spec.shape}]`,
        );
      }
    }
    for (const [name] of Object.entries(this.specs)) {
      const d = data[prefix + name];
      if (!d) continue;
      const t = this.ops.tensor(d.data, d.shape);
      this.get(name).assign(t);
      t.dispose();
    }
  }

  /** Copies every parameter out as plain data (awaits GPU reads). */
  async export(prefix = ""): Promise<Record<string, ParamData>> {
    const out: Record<string, ParamData> = {};
    for (const [name, v] of this.vars) {
      out[prefix + name] = { shape: v.shape.slice(), data: (await v.data()) as Float32Array };
    }
    return out;
  }

  /** Frees every variable. */
  dispose(): void {
    for (const v of this.vars.values()) v.dispose();
    this.vars.clear();
  }
}

let nextStoreId = 0;

/**
 * The parameter name behind a tfjs variable name (drops the store's scope),
 * e.g. to read the keys of `variableGrads`.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { paramName } from "./params.ts";
 * assert.equal(paramName("p3/rnns.0.weight_hh"), "rnns.0.weight_hh");
 * ```
 */
export function paramName(variableName: string): string {
  return variableName.replace(/^p\d+\//, "");
}
