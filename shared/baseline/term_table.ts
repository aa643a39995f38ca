/**
 * A compact, read-only table from the terms of a bag-of-words vocabulary to
 * their feature indices: the terms joined in one string, where each starts,
 * and an open-addressing hash table of indices. About 12 bytes a term plus
 * its characters, where a `Map` of separate strings costs several times that
 * (and about three times more while it grows), which is what an edge
 * isolate's memory cap feels. A model folder stores it as UTF-8 bytes, the
 * terms separated by line breaks, so loading it parses no JSON list.
 *
 * @module
 */

const NEWLINE = 10;

/** Why `terms` cannot be a table (a term that is empty, holds a line break or repeats), or "". */
function termsProblem(terms: readonly string[]): string {
  const seen = new Set<string>();
  for (let i = 0; i < terms.length; i++) {
    const t = terms[i];
    if (typeof t !== "string" || t.length === 0) return `term ${i} is empty or not a string`;
    if (t.includes("\n")) return `term ${i} (${JSON.stringify(t)}) holds a line break`;
    if (seen.has(t)) return `term ${JSON.stringify(t)} appears twice`;
    seen.add(t);
  }
  return "";
}

/** FNV-1a over the UTF-16 code units of `s` from `start` to `end`. */
function hashOf(s: string, start: number, end: number): number {
  let h = 0x811c9dc5;
  for (let i = start; i < end; i++) h = Math.imul(h ^ s.charCodeAt(i), 0x01000193);
  return h >>> 0;
}

/**
 * Terms in feature order, each found by its index and each index by its term.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { TermTable } from "./term_table.ts";
 * const t = TermTable.fromTerms(["bad", "bad film", "film"]);
 * assert.equal(t.indexOf("bad film"), 1);
 * assert.equal(t.indexOf("good"), undefined);
 * assert.equal(t.term(2), "film");
 * assert.deepEqual(TermTable.fromBytes(t.toBytes(), "memory").toArray(), ["bad", "bad film", "film"]);
 * ```
 */
export class TermTable {
  /** The terms joined by line breaks. */
  readonly #joined: string;
  /** Where term i starts in #joined; the last entry is #joined.length + 1. */
  readonly #starts: Uint32Array;
  /** Index + 1 of the term in each slot, 0 where empty; a power of two, at most half full. */
  readonly #slots: Int32Array;

  private constructor(joined: string, starts: Uint32Array) {
    this.#joined = joined;
    this.#starts = starts;
    const n = starts.length - 1;
    let size = 2;
    while (size < 2 * n) size *= 2;
    this.#slots = new Int32Array(size);
    const mask = size - 1;
    for (let i = 0; i < n; i++) {
      let s = hashOf(joined, starts[i], starts[i + 1] - 1) & mask;
      while (this.#slots[s] !== 0) s = (s + 1) & mask;
      this.#slots[s] = i + 1;
    }
  }

  /** A table of `terms` in their order; they must be distinct, non-empty and free of line breaks. */
  static fromTerms(terms: readonly string[]): TermTable {
    const problem = termsProblem(terms);
    if (problem) throw new Error(`Cannot build the term table: ${problem}; pass distinct terms`);
    const starts = new Uint32Array(terms.length + 1);
    for (let i = 0; i < terms.length; i++) starts[i + 1] = starts[i] + terms[i].length + 1;
    return new TermTable(terms.join("\n"), starts);
  }

  /**
   * The table {@linkcode toBytes} wrote: UTF-8 terms separated by line breaks. Refuses bytes that
   * are not UTF-8, empty terms and repeated ones; `where` names the source in errors.
   */
  static fromBytes(bytes: Uint8Array, where: string): TermTable {
    const fail = (problem: string): never => {
      throw new Error(
        `Cannot read the vocabulary from ${where}: ${problem}; train the model again`,
      );
    };
    let joined = "";
    try {
      joined = new TextDecoder("utf-8", { fatal: true }).decode(bytes);
    } catch {
      fail("its terms are not UTF-8 text");
    }
    if (joined.length === 0) fail("it holds no terms");
    let n = 1;
    for (let i = 0; i < joined.length; i++) if (joined.charCodeAt(i) === NEWLINE) n++;
    const starts = new Uint32Array(n + 1);
    for (let i = 0, k = 1; i < joined.length; i++) {
      if (joined.charCodeAt(i) === NEWLINE) starts[k++] = i + 1;
    }
    starts[n] = joined.length + 1;
    for (let i = 0; i < n; i++) if (starts[i + 1] - starts[i] < 2) fail(`term ${i} is empty`);
    const table = new TermTable(joined, starts);
    // A repeated term is found at its first index.
    for (let i = 0; i < n; i++) {
      if (table.#find(joined, starts[i], starts[i + 1] - 1) !== i) {
        fail(`term ${JSON.stringify(table.term(i))} appears twice`);
      }
    }
    return table;
  }

  /** Number of terms. */
  get size(): number {
    return this.#starts.length - 1;
  }

  /** The index of `term`, or undefined when the table lacks it. */
  indexOf(term: string): number | undefined {
    const i = this.#find(term, 0, term.length);
    return i < 0 ? undefined : i;
  }

  /** The index of the term `src.slice(from, to)`, or -1. */
  #find(src: string, from: number, to: number): number {
    const joined = this.#joined, starts = this.#starts, slots = this.#slots;
    const mask = slots.length - 1, len = to - from;
    for (let s = hashOf(src, from, to) & mask;; s = (s + 1) & mask) {
      const i = slots[s] - 1;
      if (i < 0) return -1;
      const a = starts[i];
      if (starts[i + 1] - a - 1 !== len) continue;
      let k = 0;
      while (k < len && joined.charCodeAt(a + k) === src.charCodeAt(from + k)) k++;
      if (k === len) return i;
    }
  }

  /** Term `i` (a new string each call). */
  term(i: number): string {
    return this.#joined.slice(this.#starts[i], this.#starts[i + 1] - 1);
  }

  /** Whether term `i` starts with `prefix`, without making a string of it. */
  startsWith(i: number, prefix: string): boolean {
    return this.#joined.startsWith(prefix, this.#starts[i]) &&
      prefix.length < this.#starts[i + 1] - this.#starts[i];
  }

  /** Every term, in order, as a new array. */
  toArray(): string[] {
    return Array.from({ length: this.size }, (_, i) => this.term(i));
  }

  /** The terms as UTF-8 separated by line breaks, what {@linkcode fromBytes} reads. */
  toBytes(): Uint8Array {
    return new TextEncoder().encode(this.#joined);
  }
}
