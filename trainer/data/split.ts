/**
 * Deterministic, seeded splits: the same seed always gives the same rows in
 * the same parts, so runs and their reported scores are reproducible.
 *
 * @module
 */

import { Rng } from "../../shared/rng.ts";
import type { LabeledDoc } from "./types.ts";

/**
 * Splits whole documents (articles, never sentences, so no text leaks across
 * the split) into a training part and a held-out part of about
 * `fraction * docs.length` documents. Each part keeps the input order.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { splitHeldOut } from "./split.ts";
 * const { train, heldOut } = splitHeldOut(["a", "b", "c", "d", "e"], 0.2, 1);
 * assert.equal(train.length, 4);
 * assert.equal(heldOut.length, 1);
 * ```
 */
export function splitHeldOut<T>(
  docs: readonly T[],
  fraction: number,
  seed: number,
): { train: T[]; heldOut: T[] } {
  if (!(fraction >= 0 && fraction < 1)) {
    throw new Error(`Cannot split held-out documents: fraction ${fraction} is outside [0, 1)`);
  }
  const n = docs.length;
  let count = Math.round(n * fraction);
  // A positive fraction of a multi-document corpus always holds one out and keeps one.
  if (fraction > 0 && n >= 2) count = Math.min(Math.max(count, 1), n - 1);
  const order = new Rng(seed).shuffle([...docs.keys()]);
  const held = new Uint8Array(n);
  for (let i = 0; i < count; i++) held[order[i]] = 1;
  const train: T[] = [];
  const heldOut: T[] = [];
  docs.forEach((d, i) => (held[i] ? heldOut : train).push(d));
  return { train, heldOut };
}

/**
 * Splits labelled rows into parts by `fractions` (summing to 1), separately
 * within each label so every part keeps the label proportions. Each part
 * keeps the input order.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { stratifiedSplit } from "./split.ts";
 * const rows = [..."aaaaaaaaaabbbbbbbbbb"].map((label, i) => ({ text: `${i}`, label }));
 * const [train, valid, test] = stratifiedSplit(rows, [0.7, 0.1, 0.2], 42);
 * assert.equal(train.length, 14);
 * assert.equal(valid.length, 2);
 * assert.equal(test.length, 4);
 * ```
 */
export function stratifiedSplit(
  rows: readonly LabeledDoc[],
  fractions: readonly number[],
  seed: number,
): LabeledDoc[][] {
  const total = fractions.reduce((a, b) => a + b, 0);
  if (fractions.some((f) => !(f >= 0)) || Math.abs(total - 1) > 1e-9) {
    throw new Error(
      `Cannot split rows: fractions [${fractions}] must be non-negative and sum to 1`,
    );
  }
  const byLabel = new Map<string, number[]>();
  rows.forEach((r, i) => {
    const list = byLabel.get(r.label);
    if (list) list.push(i);
    else byLabel.set(r.label, [i]);
  });
  const part = new Int32Array(rows.length);
  const rng = new Rng(seed);
  // Labels in sorted order so the draws do not depend on row order across labels.
  for (const label of [...byLabel.keys()].sort()) {
    const idx = rng.shuffle(byLabel.get(label)!);
    let start = 0;
    partSizes(idx.length, fractions).forEach((size, p) => {
      for (let i = start; i < start + size; i++) part[idx[i]] = p;
      start += size;
    });
  }
  const parts: LabeledDoc[][] = fractions.map(() => []);
  rows.forEach((r, i) => parts[part[i]].push(r));
  return parts;
}

/**
 * Splits `n` items into parts by `fractions`: cumulative rounding (so sizes
 * sum to `n`), then every part with a positive fraction gets at least one
 * item when there are enough, taken from the largest part, so a small class
 * still appears in valid and test.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { partSizes } from "./split.ts";
 * assert.equal(partSizes(10, [0.7, 0.1, 0.2]).join(), "7,1,2");
 * assert.equal(partSizes(5, [0.9, 0.1]).join(), "4,1");
 * ```
 */
export function partSizes(n: number, fractions: readonly number[]): number[] {
  let cum = 0;
  let prev = 0;
  const sizes = fractions.map((f, p) => {
    cum += f;
    const end = p === fractions.length - 1 ? n : Math.round(n * cum);
    const size = end - prev;
    prev = end;
    return size;
  });
  if (n >= fractions.filter((f) => f > 0).length) {
    fractions.forEach((f, p) => {
      if (f > 0 && sizes[p] === 0) {
        sizes[sizes.indexOf(Math.max(...sizes))]--;
        sizes[p]++;
      }
    });
  }
  return sizes;
}

/**
 * A seeded 32-bit hash of a string, used to rank items so a "seeded subset"
 * does not depend on the order items arrive in (folder listing vs tar order).
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { seededHash } from "./split.ts";
 * assert.equal(seededHash("a", 1), seededHash("a", 1));
 * assert.notEqual(seededHash("a", 1), seededHash("a", 2));
 * ```
 */
export function seededHash(key: string, seed: number): number {
  // FNV-1a over UTF-16 units, then a murmur-style finalizer for avalanche.
  let h = (0x811c9dc5 ^ Math.imul(seed >>> 0, 0x9e3779b1)) >>> 0;
  for (let i = 0; i < key.length; i++) {
    h ^= key.charCodeAt(i);
    h = Math.imul(h, 0x01000193);
  }
  h ^= h >>> 16;
  h = Math.imul(h, 0x85ebca6b);
  h ^= h >>> 13;
  h = Math.imul(h, 0xc2b2ae35);
  h ^= h >>> 16;
  return h >>> 0;
}
