/**
 * Seeded "keep at most k per group" selection whose result does not depend on
 * the order items arrive in, so a folder and its tarball give the same subset.
 *
 * @module
 */

import { seededHash } from "./split.ts";

interface Kept<T> {
  key: string;
  rank: number;
  value: T;
}

/**
 * Keeps, per group, the `limit` items whose keys hash lowest under `seed`
 * (all items when `limit` is undefined). Ask {@linkcode wants} before doing
 * costly work (reading, decoding) for an item.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { SeededSubset } from "./subset.ts";
 * const pick = new SeededSubset<string>(2, 42);
 * for (const k of ["a", "b", "c", "d"]) if (pick.wants("g", k)) pick.add("g", k, k.toUpperCase());
 * assert.equal(pick.values("g").length, 2);
 * ```
 */
export class SeededSubset<T> {
  #limit: number | undefined;
  #seed: number;
  #groups = new Map<string, { items: Kept<T>[]; cutoff: number }>();

  constructor(limit: number | undefined, seed: number) {
    if (limit !== undefined && !(Number.isInteger(limit) && limit >= 0)) {
      throw new Error(`Cannot take a subset: limit ${limit} is not a non-negative integer`);
    }
    this.#limit = limit;
    this.#seed = seed;
  }

  /** False when `key` can no longer make it into `group`'s subset. */
  wants(group: string, key: string): boolean {
    if (this.#limit === undefined) return true;
    const g = this.#groups.get(group);
    return this.#limit > 0 && (!g || seededHash(key, this.#seed) <= g.cutoff);
  }

  /** Offers an item; it is kept if it ranks among the best `limit` so far. */
  add(group: string, key: string, value: T): void {
    if (!this.wants(group, key)) return;
    let g = this.#groups.get(group);
    if (!g) this.#groups.set(group, g = { items: [], cutoff: Infinity });
    g.items.push({ key, rank: seededHash(key, this.#seed), value });
    // Trim lazily (at 2k) so adding stays amortized O(log k).
    if (this.#limit !== undefined && g.items.length >= 2 * this.#limit + 16) this.#trim(g);
  }

  #trim(g: { items: Kept<T>[]; cutoff: number }): void {
    const limit = this.#limit!;
    g.items.sort((a, b) => a.rank - b.rank || (a.key < b.key ? -1 : 1));
    g.items.length = Math.min(g.items.length, limit);
    if (g.items.length === limit && limit > 0) g.cutoff = g.items[limit - 1].rank;
  }

  /** The kept values of `group`, ordered by key (numeric-aware) for a stable output. */
  values(group: string): T[] {
    const g = this.#groups.get(group);
    if (!g) return [];
    if (this.#limit !== undefined) this.#trim(g);
    const collator = new Intl.Collator("en", { numeric: true });
    return g.items.toSorted((a, b) => collator.compare(a.key, b.key)).map((k) => k.value);
  }
}
