import assert from "node:assert/strict";
import { fitLsa, lsaCoordinates, symmetricEigen, truncatedSvd, withLsa } from "./lsa.ts";
import type { SparseRow } from "./tfidf.ts";

/** Rows i of the 8 × 8 Sylvester-Hadamard matrix over √8: orthonormal vectors. */
function hadamardRow(i: number): number[] {
  const bits = (x: number) => x.toString(2).split("").filter((b) => b === "1").length;
  return Array.from({ length: 8 }, (_, j) => (bits(i & j) % 2 ? -1 : 1) / Math.sqrt(8));
}

/** Dense rows as sparse ones (zeros left out). */
const dense = (m: number[][]): SparseRow[] =>
  m.map((r) => {
    const indices = Int32Array.from(r.keys()).filter((j) => r[j] !== 0);
    return { indices, values: Float64Array.from(indices, (j) => r[j]) };
  });

Deno.test("truncatedSvd: recovers the singular values and vectors of a matrix built from them", () => {
  // A = 5 u1 v1ᵀ + 3 u2 v2ᵀ + 1 u3 v3ᵀ with orthonormal u (Hadamard rows 1–3), v (rows 4–6).
  const sigma = [5, 3, 1], u = [1, 2, 3].map(hadamardRow), v = [4, 5, 6].map(hadamardRow);
  const a = Array.from(
    { length: 8 },
    (_, i) =>
      Array.from({ length: 8 }, (_, j) => sigma.reduce((s, x, k) => s + x * u[k][i] * v[k][j], 0)),
  );
  for (const rank of [2, 3]) {
    const { singularValues, vectors } = truncatedSvd(dense(a), 8, rank, { oversample: 2 });
    for (let k = 0; k < rank; k++) {
      assert.ok(Math.abs(singularValues[k] - sigma[k]) < 1e-9, `σ${k} ${singularValues[k]}`);
      const alignment = v[k].reduce((s, x, j) => s + x * vectors[j * rank + k], 0);
      assert.ok(Math.abs(Math.abs(alignment) - 1) < 1e-9, `v${k} · found ${alignment}`);
    }
  }
  assert.throws(() => truncatedSvd(dense(a), 8, 9), /Cannot compute the SVD: rank 9 of a 8 × 8/);
});

Deno.test("symmetricEigen: a hand-worked 3 × 3 case", () => {
  // [[2,1,0],[1,2,0],[0,0,5]]: eigenvalues 1 and 3 on (1,−1,0)/√2 and (1,1,0)/√2, and 5.
  const { values, vectors } = symmetricEigen(Float64Array.of(2, 1, 0, 1, 2, 0, 0, 0, 5), 3);
  const sorted = [...values].sort((a, b) => a - b);
  sorted.forEach((x, i) => assert.ok(Math.abs(x - [1, 3, 5][i]) < 1e-12));
  const k = [...values].findIndex((x) => Math.abs(x - 3) < 1e-9);
  const col = [0, 1, 2].map((r) => vectors[r * 3 + k]);
  assert.ok(
    Math.abs(Math.abs(col[0] + col[1]) / Math.SQRT2 - 1) < 1e-12 && Math.abs(col[2]) < 1e-12,
  );
});

Deno.test("fitLsa: reads the features in the most documents; withLsa appends unit coordinates", () => {
  // Feature 3 has the highest idf (rarest): with maxFeatures 3 the SVD never reads it.
  const rows = dense([[1, 0, 1, 0], [0, 1, 1, 0], [1, 1, 0, 0], [1, 0, 0, 1]]);
  const lsa = fitLsa(rows, [1, 1.2, 1.1, 2], { dims: 2, maxFeatures: 3 });
  assert.deepEqual([...lsa.columns], [0, 1, 2]);
  assert.equal(lsa.components.length, 3 * 2);
  const onlyRare: SparseRow = { indices: Int32Array.of(3), values: Float64Array.of(1) };
  assert.deepEqual([...lsaCoordinates(lsa, onlyRare)], [0, 0]);
  const row = withLsa(lsa, rows[0], 4);
  assert.deepEqual([...row.indices], [0, 2, 4, 5]);
  assert.ok(Math.abs(row.values[2] ** 2 + row.values[3] ** 2 - 1) < 1e-12);
});
