import assert from "node:assert/strict";
import { lbfgs, type Objective } from "./lbfgs.ts";

/** The n-dimensional Rosenbrock function; minimum 0 at (1, …, 1). */
const rosenbrock: Objective = (x, g) => {
  g.fill(0);
  let f = 0;
  for (let i = 0; i + 1 < x.length; i++) {
    const a = x[i + 1] - x[i] * x[i], b = 1 - x[i];
    f += 100 * a * a + b * b;
    g[i] += -400 * x[i] * a - 2 * b;
    g[i + 1] += 200 * a;
  }
  return f;
};

Deno.test("lbfgs: Rosenbrock in 2 and 20 dimensions", () => {
  for (const n of [2, 20]) {
    const x = new Float64Array(n).fill(-1.2);
    const r = lbfgs(rosenbrock, x, { gtol: 1e-8, ftol: 0, maxIter: 2000 });
    assert.equal(r.stop, "gtol", `n = ${n}`);
    assert.ok(r.x === x, "x0 is updated in place");
    for (const xi of x) assert.ok(Math.abs(xi - 1) < 1e-6, `n = ${n}: ${x}`);
    assert.ok(r.f < 1e-12 && r.gradMax <= 1e-8);
    assert.ok(r.iterations < 200, `${r.iterations} iterations`);
  }
});

Deno.test("lbfgs: an ill-conditioned quadratic (condition 1e6) in 100 dimensions", () => {
  const n = 100;
  const h = Float64Array.from({ length: n }, (_, i) => 10 ** (6 * i / (n - 1)));
  const f: Objective = (x, g) => {
    let v = 0;
    for (let i = 0; i < n; i++) {
      const e = x[i] - i;
      g[i] = h[i] * e;
      v += 0.5 * h[i] * e * e;
    }
    return v;
  };
  const r = lbfgs(f, new Float64Array(n), { gtol: 1e-6, ftol: 0, maxIter: 20000 });
  assert.equal(r.stop, "gtol");
  for (let i = 0; i < n; i++) assert.ok(Math.abs(r.x[i] - i) < 1e-5, `x[${i}] = ${r.x[i]}`);
  // SciPy's L-BFGS-B (maxcor 10) takes 9,414 steps on this problem; gradient descent ~1e7.
  assert.ok(r.iterations < 12000, `${r.iterations} iterations`);
});

Deno.test("lbfgs: stops on maxIter, on ftol, and at once at a stationary point", () => {
  const capped = lbfgs(rosenbrock, new Float64Array(10).fill(-1.2), { maxIter: 5, ftol: 0 });
  assert.equal(capped.stop, "maxIter");
  assert.equal(capped.iterations, 5);
  // SciPy's default relative-decrease test ends long before a tiny gtol would.
  const loose = lbfgs(rosenbrock, new Float64Array(10).fill(-1.2), { gtol: 1e-14 });
  assert.equal(loose.stop, "ftol");
  assert.ok(loose.f < 1e-6);
  const still = lbfgs(rosenbrock, new Float64Array(4).fill(1));
  assert.equal(still.stop, "gtol");
  assert.equal(still.iterations, 0);
  assert.equal(still.evaluations, 1);
});

Deno.test("lbfgs: survives a step into a region where f is infinite", () => {
  // f = x − ln(x) for x > 0 (minimum at 1), +∞ elsewhere; the first step overshoots.
  const f: Objective = (x, g) => {
    g[0] = 1 - 1 / x[0];
    return x[0] > 0 ? x[0] - Math.log(x[0]) : Infinity;
  };
  const r = lbfgs(f, Float64Array.of(0.01), { gtol: 1e-10, ftol: 0 });
  assert.ok(Math.abs(r.x[0] - 1) < 1e-8, `${r.x[0]}`);
});

Deno.test("lbfgs: errors say what to do", () => {
  assert.throws(
    () => lbfgs(() => NaN, new Float64Array(1)),
    /Cannot run L-BFGS: the objective is NaN at the start/,
  );
  assert.throws(
    () => lbfgs(rosenbrock, new Float64Array(2), { memory: 0 }),
    /Cannot run L-BFGS: invalid options .*memory >= 1/,
  );
});
