/**
 * Limited-memory BFGS (Nocedal 1980; Liu and Nocedal 1989) for smooth
 * unconstrained minimisation: the two-loop recursion over the last `memory`
 * steps, scaled by `s·y / y·y`, and a backtracking line search with the
 * Armijo condition and quadratic interpolation. It stops as SciPy's
 * L-BFGS-B does by default: when the largest gradient component is at most
 * `gtol`, or when the objective's relative decrease falls to `ftol`.
 *
 * @module
 */

/**
 * The objective: returns f(x) and writes ∇f(x) into `grad` (same length as `x`).
 */
export type Objective = (x: Float64Array, grad: Float64Array) => number;

/** Options of {@linkcode lbfgs}. */
export interface LbfgsOptions {
  /** Stop when max |∂f/∂xᵢ| <= gtol. Default 1e-4 (scikit-learn's `tol`). */
  gtol?: number;
  /** Stop when (f_k − f_k+1) / max(|f_k|, |f_k+1|, 1) <= ftol. Default SciPy's 2.22e-9; 0: never. */
  ftol?: number;
  /** Most iterations (accepted steps). Default 1000. */
  maxIter?: number;
  /** Steps kept for the curvature estimate. Default 10 (SciPy's `maxcor`). */
  memory?: number;
}

/** What {@linkcode lbfgs} found. */
export interface LbfgsResult {
  /** The last point (the input array, updated in place). */
  x: Float64Array;
  /** f at `x`. */
  f: number;
  /** max |∂f/∂xᵢ| at `x`. */
  gradMax: number;
  /** Accepted steps. */
  iterations: number;
  /** Objective and gradient evaluations. */
  evaluations: number;
  /** Why it stopped: the gradient or objective test, the iteration cap, or no further descent. */
  stop: "gtol" | "ftol" | "maxIter" | "lineSearch";
}

function dot(a: Float64Array, b: Float64Array): number {
  let s = 0;
  for (let i = 0; i < a.length; i++) s += a[i] * b[i];
  return s;
}

function maxAbs(a: Float64Array): number {
  let m = 0;
  for (let i = 0; i < a.length; i++) {
    const v = Math.abs(a[i]);
    if (v > m) m = v;
  }
  return m;
}

/**
 * The last steps s = Δx, y = Δ∇f and ρ = 1 / (y·s), oldest first. A new
 * step is written straight into a free (or the oldest) slot by
 * {@linkcode History.record}, so nothing is allocated once the memory is full.
 * The steps are kept in float32 (they are most of the optimiser's memory: 2 ×
 * `memory` vectors of the weights' length); ρ and γ come from the rounded
 * values, so the two-loop recursion stays a consistent quasi-Newton update.
 */
class History {
  readonly s: Float32Array[] = [];
  readonly y: Float32Array[] = [];
  readonly rho: number[] = [];
  #free: [Float32Array, Float32Array][] = [];
  #alpha: number[] = [];
  /** γ = s·y / y·y of the newest step, the initial inverse-Hessian scale. */
  #gamma = 1;

  constructor(readonly size: number, readonly n: number) {}

  /**
   * Stores s = x1 − x0 and y = g1 − g0, unless the curvature y·s is not
   * clearly positive. Returns max |g1ᵢ| (computed in the same pass).
   */
  record(x0: Float64Array, x1: Float64Array, g0: Float64Array, g1: Float64Array): number {
    let pair = this.#free.pop();
    if (!pair && this.s.length === this.size) {
      pair = [this.s.shift()!, this.y.shift()!];
      this.rho.shift();
    }
    const [s, y] = pair ?? [new Float32Array(this.n), new Float32Array(this.n)];
    let ys = 0, yy = 0, gMax = 0;
    for (let i = 0; i < this.n; i++) {
      s[i] = x1[i] - x0[i], y[i] = g1[i] - g0[i];
      const si = s[i], yi = y[i];
      ys += yi * si, yy += yi * yi;
      const a = Math.abs(g1[i]);
      if (a > gMax) gMax = a;
    }
    if (ys > 1e-10 * yy) {
      this.s.push(s), this.y.push(y), this.rho.push(1 / ys);
      this.#gamma = ys / yy;
    } else {
      this.#free.push([s, y]);
    }
    return gMax;
  }

  clear(): void {
    while (this.s.length) this.#free.push([this.s.pop()!, this.y.pop()!]);
    this.rho.length = 0;
  }

  /**
   * d = −H∇f by the two-loop recursion, each update of d fused with the
   * next dot product so that d is read once per stored step and loop.
   */
  direction(g: Float64Array, d: Float64Array): void {
    const n = this.n, k = this.s.length, { s, y, rho } = this, alpha = this.#alpha;
    if (k === 0) {
      for (let i = 0; i < n; i++) d[i] = -g[i];
      return;
    }
    let acc = 0;
    const sLast = s[k - 1];
    for (let i = 0; i < n; i++) acc += sLast[i] * (d[i] = -g[i]);
    for (let j = k - 1; j >= 1; j--) {
      const a = alpha[j] = rho[j] * acc;
      const yj = y[j], sNext = s[j - 1];
      acc = 0;
      for (let i = 0; i < n; i++) acc += sNext[i] * (d[i] -= a * yj[i]);
    }
    const a0 = alpha[0] = rho[0] * acc, y0 = y[0], gamma = this.#gamma;
    acc = 0;
    for (let i = 0; i < n; i++) acc += y0[i] * (d[i] = gamma * (d[i] - a0 * y0[i]));
    for (let j = 0; j < k; j++) {
      const b = alpha[j] - rho[j] * acc;
      const sj = s[j];
      if (j === k - 1) {
        for (let i = 0; i < n; i++) d[i] += b * sj[i];
        break;
      }
      const yNext = y[j + 1];
      acc = 0;
      for (let i = 0; i < n; i++) acc += yNext[i] * (d[i] += b * sj[i]);
    }
  }
}

/**
 * Minimises `fg` from `x0` (updated in place).
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { lbfgs } from "./lbfgs.ts";
 * // f(x) = (x0 − 3)² + 10 (x1 + 1)²
 * const r = lbfgs((x, g) => {
 *   g[0] = 2 * (x[0] - 3);
 *   g[1] = 20 * (x[1] + 1);
 *   return (x[0] - 3) ** 2 + 10 * (x[1] + 1) ** 2;
 * }, new Float64Array(2), { gtol: 1e-10, ftol: 0 });
 * assert.ok(Math.abs(r.x[0] - 3) < 1e-9 && Math.abs(r.x[1] + 1) < 1e-9);
 * ```
 */
export function lbfgs(fg: Objective, x0: Float64Array, options: LbfgsOptions = {}): LbfgsResult {
  const { gtol = 1e-4, ftol = 2.220446049250313e-9, maxIter = 1000, memory = 10 } = options;
  if (!(memory >= 1) || !(maxIter >= 0) || !(gtol >= 0) || !(ftol >= 0)) {
    throw new Error(
      `Cannot run L-BFGS: invalid options ${JSON.stringify(options)}; ` +
        "use memory >= 1 and non-negative maxIter, gtol and ftol",
    );
  }
  const n = x0.length;
  // x and g swap with the trial point's arrays; x0 gets the result at the end.
  let x: Float64Array = x0, xNew: Float64Array = new Float64Array(n);
  let g: Float64Array = new Float64Array(n), gNew: Float64Array = new Float64Array(n);
  const d = new Float64Array(n);
  const hist = new History(memory, n);
  let f = fg(x, g), evaluations = 1, iterations = 0, gMax = maxAbs(g);
  if (!Number.isFinite(f)) {
    throw new Error(`Cannot run L-BFGS: the objective is ${f} at the start; check the inputs`);
  }
  let stop: LbfgsResult["stop"] = "maxIter";
  while (true) {
    if (gMax <= gtol) {
      stop = "gtol";
      break;
    }
    if (iterations >= maxIter) break;
    hist.direction(g, d);
    let slope = dot(g, d);
    if (!(slope < 0)) {
      // Not a descent direction (round-off in the memory): restart from steepest descent.
      hist.clear();
      hist.direction(g, d);
      slope = dot(g, d);
    }
    // The first step (no curvature yet) is scaled to unit length, as in SciPy.
    const step = hist.s.length === 0 ? Math.min(1, 1 / Math.sqrt(dot(g, g))) : 1;
    const ls = lineSearch(fg, x, f, d, slope, step, xNew, gNew);
    evaluations += ls.evaluations;
    if (ls.f === undefined) {
      if (hist.s.length === 0) {
        stop = "lineSearch";
        break;
      }
      hist.clear(); // retry once from steepest descent before giving up
      continue;
    }
    gMax = hist.record(x, xNew, g, gNew);
    [x, xNew] = [xNew, x];
    [g, gNew] = [gNew, g];
    const fOld = f;
    f = ls.f;
    iterations++;
    if ((fOld - f) / Math.max(Math.abs(fOld), Math.abs(f), 1) <= ftol) {
      stop = gMax <= gtol ? "gtol" : "ftol";
      break;
    }
  }
  if (x !== x0) x0.set(x);
  return { x: x0, f, gradMax: gMax, iterations, evaluations, stop };
}

/**
 * Backtracking from `step` until f(x + step·d) <= f + 1e-4 · step · slope,
 * shrinking by quadratic interpolation (to between a tenth and a half).
 * Writes the accepted point and gradient into `xNew`, `gNew`; `f` is
 * undefined when no step of at least 1e-20 decreases the objective enough.
 */
function lineSearch(
  fg: Objective,
  x: Float64Array,
  f0: number,
  d: Float64Array,
  slope: number,
  step: number,
  xNew: Float64Array,
  gNew: Float64Array,
): { f?: number; step: number; evaluations: number } {
  let evaluations = 0;
  while (step >= 1e-20) {
    for (let i = 0; i < x.length; i++) xNew[i] = x[i] + step * d[i];
    const f = fg(xNew, gNew);
    evaluations++;
    if (Number.isFinite(f) && f <= f0 + 1e-4 * step * slope) return { f, step, evaluations };
    // Minimiser of the quadratic through f0, slope and f(step); infinite f halves.
    const q = Number.isFinite(f) ? -slope * step * step / (2 * (f - f0 - slope * step)) : 0;
    step = Math.min(0.5 * step, Math.max(0.1 * step, q));
  }
  return { step, evaluations };
}
