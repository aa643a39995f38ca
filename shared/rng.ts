/**
 * Seeded pseudo-random numbers whose whole state is two 32-bit words, so a
 * checkpoint can store it and a resumed run draws the same masks and batches.
 *
 * @module
 */

function rotl(x: number, k: number): number {
  return (x << k) | (x >>> (32 - k));
}

/** Serializable state of an {@linkcode Rng}. */
export interface RngState {
  a: number;
  b: number;
}

/**
 * A small, fast generator (xoroshiro64**, two 32-bit words of state).
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { Rng } from "./rng.ts";
 * const r = new Rng(42);
 * const x = r.next();
 * assert.ok(x >= 0);
 * assert.ok(x < 1);
 * ```
 */
export class Rng {
  #a: number;
  #b: number;

  constructor(seed: number) {
    // SplitMix-style scrambling so nearby seeds give unrelated streams.
    let s = (seed >>> 0) ^ 0x9e3779b9;
    s = Math.imul(s ^ (s >>> 16), 0x85ebca6b);
    s = Math.imul(s ^ (s >>> 13), 0xc2b2ae35);
    this.#a = (s ^ (s >>> 16)) >>> 0 || 1;
    this.#b = (Math.imul(this.#a, 0x27d4eb2d) ^ 0x165667b1) >>> 0 || 2;
  }

  /** A uniform float in [0, 1). */
  next(): number {
    return this.nextUint32() / 4294967296;
  }

  /**
   * A uniform unsigned 32-bit integer: xoroshiro64** (Blackman and Vigna),
   * whose two 32-bit words give a period of 2^64 − 1.
   */
  nextUint32(): number {
    const s0 = this.#a;
    const s1 = this.#b ^ s0;
    const out = Math.imul(rotl(Math.imul(s0, 0x9e3779bb), 5), 5) >>> 0;
    this.#a = (rotl(s0, 26) ^ s1 ^ (s1 << 9)) >>> 0;
    this.#b = rotl(s1, 13) >>> 0;
    return out;
  }

  /** A uniform integer in [0, n). */
  int(n: number): number {
    return Math.floor(this.next() * n);
  }

  /** A standard normal draw (Box–Muller). */
  normal(mean = 0, std = 1): number {
    const u = 1 - this.next();
    const v = this.next();
    return mean + std * Math.sqrt(-2 * Math.log(u)) * Math.cos(2 * Math.PI * v);
  }

  /** Shuffles `items` in place (Fisher–Yates) and returns it. */
  shuffle<T>(items: T[]): T[] {
    for (let i = items.length - 1; i > 0; i--) {
      const j = this.int(i + 1);
      [items[i], items[j]] = [items[j], items[i]];
    }
    return items;
  }

  /**
   * Fills `out` with an inverted-dropout mask: each entry is 0 with
   * probability `p`, else `1 / (1 - p)`.
   */
  dropoutMask(out: Float32Array, p: number): Float32Array {
    const keep = 1 / (1 - p);
    for (let i = 0; i < out.length; i++) out[i] = this.next() < p ? 0 : keep;
    return out;
  }

  /** The state, for checkpoints. */
  get state(): RngState {
    return { a: this.#a, b: this.#b };
  }

  set state(s: RngState) {
    this.#a = s.a >>> 0;
    this.#b = s.b >>> 0;
  }
}
