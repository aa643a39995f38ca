/**
 * Learning-rate schedules of FitLaM: cosine annealing within an epoch
 * (Eq. 1 of the paper), its reverse for the warm-up epoch, and
 * discriminative rates across layer groups.
 *
 * @module
 */

/**
 * Cosine annealing from `max` at t = 0 to `min` at t = total:
 * η_t = η_min + ½ (η_max − η_min)(1 + cos(π t / total)).
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { cosineAnneal } from "./schedule.ts";
 * assert.equal(cosineAnneal(0, 10, 0.002), 0.002);
 * assert.ok(Math.abs(cosineAnneal(5, 10, 0.002) - 0.001) < 1e-12);
 * ```
 */
export function cosineAnneal(t: number, total: number, max: number, min = 0): number {
  const frac = total <= 0 ? 1 : Math.min(1, Math.max(0, t / total));
  return min + 0.5 * (max - min) * (1 + Math.cos(Math.PI * frac));
}

/**
 * Reverse annealing for the warm-up epoch: rises from `min` at t = 0 to
 * `max` at t = total along the same cosine.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { reverseAnneal } from "./schedule.ts";
 * assert.equal(reverseAnneal(0, 10, 0.002), 0);
 * assert.equal(reverseAnneal(10, 10, 0.002), 0.002);
 * ```
 */
export function reverseAnneal(t: number, total: number, max: number, min = 0): number {
  return max + min - cosineAnneal(t, total, max, min);
}

/**
 * Discriminative rates for `groups` layer groups ordered bottom to top: the
 * top group gets `top`, each lower one the rate above it × `factor`
 * (paper 0.3; ULMFiT 1/2.6).
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { discriminativeRates } from "./schedule.ts";
 * const r = discriminativeRates(3, 0.01, 0.3);
 * assert.equal(r.length, 3);
 * assert.equal(r[2], 0.01);
 * assert.ok(Math.abs(r[1] - 0.003) < 1e-15);
 * ```
 */
export function discriminativeRates(groups: number, top: number, factor: number): number[] {
  return Array.from({ length: groups }, (_, g) => top * factor ** (groups - 1 - g));
}

/**
 * The group rate multipliers and learning rate of one step of an epoch
 * under FitLaM's stage-2 plan: epoch 0 warms up all groups with reverse
 * annealing; epoch e ≥ 1 trains the top `e` groups (gradual unfreezing,
 * all once e ≥ groups) with cosine annealing.
 */
export interface EpochPlan {
  /** Index of the lowest trainable group. */
  lowestTrainable: number;
  /** Learning-rate multiplier at step t of `total` steps. */
  rate(t: number, total: number): number;
}

/** Options of {@linkcode epochPlan}. */
export interface PlanOptions {
  groups: number;
  maxLr: number;
  minLr?: number;
  warmup: boolean;
  gradualUnfreeze: boolean;
  cosine: boolean;
  /**
   * Share of each epoch's steps over which the rate rises from 0 to its maximum before the
   * cosine fall (as a one-cycle schedule); 0 or undefined: none.
   */
  rampShare?: number;
}

/**
 * The plan for `epoch` (see {@linkcode EpochPlan}).
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { epochPlan } from "./schedule.ts";
 * const o = { groups: 4, maxLr: 0.002, warmup: true, gradualUnfreeze: true, cosine: true };
 * assert.equal(epochPlan(0, o).lowestTrainable, 0);
 * assert.equal(epochPlan(1, o).lowestTrainable, 3);
 * ```
 */
export function epochPlan(epoch: number, o: PlanOptions): EpochPlan {
  const min = o.minLr ?? 0;
  if (o.warmup && epoch === 0) {
    return { lowestTrainable: 0, rate: (t, total) => reverseAnneal(t, total, o.maxLr, min) };
  }
  const e = o.warmup ? epoch : epoch + 1;
  const lowestTrainable = o.gradualUnfreeze ? Math.max(0, o.groups - e) : 0;
  const ramp = o.rampShare ?? 0;
  return {
    lowestTrainable,
    rate: (t, total) => {
      const up = Math.floor(ramp * total);
      if (t < up) return reverseAnneal(t, up, o.maxLr, min);
      return o.cosine ? cosineAnneal(t - up, total - up, o.maxLr, min) : o.maxLr;
    },
  };
}

/**
 * Passes over `docs` documents in batches of `bs` that make one epoch of at least `minBatches`
 * batches (`minBatches` 0: one pass).
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { passesPerEpoch } from "./schedule.ts";
 * assert.equal(passesPerEpoch(100, 32, 25), 7); // 4 batches a pass
 * assert.equal(passesPerEpoch(5000, 32, 25), 1);
 * assert.equal(passesPerEpoch(100, 32, 0), 1);
 * ```
 */
export function passesPerEpoch(docs: number, bs: number, minBatches: number): number {
  const perPass = Math.ceil(docs / bs);
  return perPass > 0 && minBatches > perPass ? Math.ceil(minBatches / perPass) : 1;
}

/**
 * Epochs that fit a budget of token passes over a stage's data, between `min` and `max`
 * (`budget` 0: `max`). Large data sets get fewer passes, small ones all `max`, so a run's time
 * stays bounded without leaving any of the data out.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { epochsWithin } from "./schedule.ts";
 * assert.equal(epochsWithin(2_000_000, 60_000, 10), 10);
 * assert.equal(epochsWithin(2_000_000, 600_000, 10), 3);
 * assert.equal(epochsWithin(2_000_000, 5_000_000, 10, 2), 2);
 * assert.equal(epochsWithin(0, 5_000_000, 10), 10);
 * ```
 */
export function epochsWithin(budget: number, perEpoch: number, max: number, min = 1): number {
  if (!budget || perEpoch <= 0) return max;
  return Math.max(Math.min(min, max), Math.min(max, Math.floor(budget / perEpoch)));
}
