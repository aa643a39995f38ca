/**
 * Token ↔ id mapping. The special tokens always hold ids 0..8 in
 * {@linkcode SPECIAL_TOKENS} order; the other tokens follow by descending
 * count, so the same counts always give the same vocabulary.
 *
 * @module
 */

import { SPECIAL_TOKENS } from "./special_tokens.ts";

/** Options of {@linkcode Vocab.build}. */
export interface VocabBuildOptions {
  /** Most entries, special tokens included (default 60000). */
  maxSize?: number;
  /** Tokens counted fewer times are left out (default 2). */
  minFreq?: number;
  /**
   * Tokens admitted from a single occurrence, e.g. a pretrained LM's words: their learned
   * embeddings carry over, so even a rare one is worth its row.
   */
  keep?: ReadonlySet<string>;
}

/**
 * Adds the token counts of `docs` to `into` (a new map by default) and returns it.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { countTokens } from "./vocab.ts";
 * const c = countTokens([["xxbos", "a", "b"], ["xxbos", "a"]]);
 * assert.equal(c.get("a"), 2);
 * assert.equal(c.get("b"), 1);
 * ```
 */
export function countTokens(
  docs: Iterable<readonly string[]>,
  into: Map<string, number> = new Map(),
): Map<string, number> {
  for (const doc of docs) {
    for (const t of doc) into.set(t, (into.get(t) ?? 0) + 1);
  }
  return into;
}

function checkItos(itos: unknown): string[] {
  if (!Array.isArray(itos)) {
    throw new Error(`Cannot load vocabulary: expected an array of strings, got ${typeOf(itos)}`);
  }
  for (let i = 0; i < itos.length; i++) {
    if (typeof itos[i] !== "string") {
      throw new Error(`Cannot load vocabulary: entry ${i} is ${typeOf(itos[i])}, not a string`);
    }
  }
  for (let i = 0; i < SPECIAL_TOKENS.length; i++) {
    if (itos[i] !== SPECIAL_TOKENS[i]) {
      throw new Error(
        `Cannot load vocabulary: entry ${i} is ${JSON.stringify(itos[i])}, ` +
          `expected special token "${SPECIAL_TOKENS[i]}"`,
      );
    }
  }
  return itos;
}

function typeOf(x: unknown): string {
  return x === null ? "null" : Array.isArray(x) ? "an array" : typeof x;
}

/**
 * A vocabulary: `itos[id]` is the token of an id.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { Vocab } from "./vocab.ts";
 * const v = Vocab.build(new Map([["the", 5], ["cat", 2], ["rare", 1]]));
 * assert.equal(v.size, 11);
 * assert.equal(v.idOf("the"), 9);
 * assert.equal(v.idOf("rare"), 0);
 * assert.equal(v.decode(v.encode(["the", "dog"])).join(" "), "the xxunk");
 * ```
 */
export class Vocab {
  /** Token of each id. */
  readonly itos: readonly string[];
  readonly #stoi: Map<string, number>;

  private constructor(itos: string[]) {
    const stoi = new Map<string, number>();
    for (let i = 0; i < itos.length; i++) {
      if (stoi.has(itos[i])) {
        throw new Error(
          `Cannot load vocabulary: token ${JSON.stringify(itos[i])} appears at ids ` +
            `${stoi.get(itos[i])} and ${i}`,
        );
      }
      stoi.set(itos[i], i);
    }
    this.itos = Object.freeze(itos);
    this.#stoi = stoi;
  }

  /**
   * Builds a vocabulary from token counts: the special tokens, then tokens
   * counted at least `minFreq` times by descending count, ties in code-unit
   * order of the token, until `maxSize` entries.
   *
   * @example
   * ```ts
   * import assert from "node:assert/strict";
   * import { Vocab } from "./vocab.ts";
   * const v = Vocab.build(new Map([["b", 3], ["a", 3], ["c", 4]]), { maxSize: 11 });
   * assert.equal(v.itos.slice(9).join(" "), "c a");
   * ```
   */
  static build(counts: Map<string, number>, opts: VocabBuildOptions = {}): Vocab {
    const { maxSize = 60000, minFreq = 2, keep } = opts;
    if (!Number.isInteger(maxSize) || maxSize < SPECIAL_TOKENS.length) {
      throw new Error(
        `Cannot build vocabulary: maxSize ${maxSize} is not an integer of at least ` +
          `${SPECIAL_TOKENS.length} (the special tokens)`,
      );
    }
    if (!Number.isFinite(minFreq)) {
      throw new Error(`Cannot build vocabulary: minFreq ${minFreq} is not a finite number`);
    }
    const specials: ReadonlySet<string> = new Set(SPECIAL_TOKENS);
    const words: [string, number][] = [];
    for (const [token, count] of counts) {
      const admitted = count >= minFreq || (count > 0 && keep?.has(token));
      if (admitted && !specials.has(token)) words.push([token, count]);
    }
    words.sort((a, b) => b[1] - a[1] || (a[0] < b[0] ? -1 : a[0] > b[0] ? 1 : 0));
    const itos: string[] = [...SPECIAL_TOKENS];
    const room = Math.min(words.length, maxSize - itos.length);
    for (let i = 0; i < room; i++) itos.push(words[i][0]);
    return new Vocab(itos);
  }

  /**
   * A vocabulary with exactly these entries; they must be unique strings
   * starting with the special tokens.
   *
   * @example
   * ```ts
   * import assert from "node:assert/strict";
   * import { SPECIAL_TOKENS } from "./special_tokens.ts";
   * import { Vocab } from "./vocab.ts";
   * const v = Vocab.fromItos([...SPECIAL_TOKENS, "hello"]);
   * assert.equal(v.idOf("hello"), 9);
   * ```
   */
  static fromItos(itos: readonly string[]): Vocab {
    return new Vocab([...checkItos(itos)]);
  }

  /**
   * Loads what {@linkcode Vocab.toJSON} wrote (also accepts `{ itos: [...] }`),
   * with an error naming the problem if it is not a valid vocabulary.
   *
   * @example
   * ```ts
   * import assert from "node:assert/strict";
   * import { Vocab } from "./vocab.ts";
   * const v = Vocab.build(new Map([["hi", 3]]));
   * const back = Vocab.fromJSON(JSON.parse(JSON.stringify(v)));
   * assert.equal(back.idOf("hi"), v.idOf("hi"));
   * ```
   */
  static fromJSON(obj: unknown): Vocab {
    const itos = obj !== null && typeof obj === "object" && !Array.isArray(obj) && "itos" in obj
      ? obj.itos
      : obj;
    return new Vocab([...checkItos(itos)]);
  }

  /** Adds the token counts of `docs` to `into`; see {@linkcode countTokens}. */
  static countTokens(
    docs: Iterable<readonly string[]>,
    into?: Map<string, number>,
  ): Map<string, number> {
    return countTokens(docs, into);
  }

  /** Number of entries, special tokens included. */
  get size(): number {
    return this.itos.length;
  }

  /**
   * Id of a token; `xxunk` (0) when it is not in the vocabulary.
   *
   * @example
   * ```ts
   * import assert from "node:assert/strict";
   * import { Vocab } from "./vocab.ts";
   * assert.equal(Vocab.build(new Map()).idOf("xxbos"), 2);
   * ```
   */
  idOf(token: string): number {
    return this.#stoi.get(token) ?? 0;
  }

  /** Whether the token has an id of its own. */
  has(token: string): boolean {
    return this.#stoi.has(token);
  }

  /**
   * Ids of tokens; unknown tokens get the id of `xxunk` (0).
   *
   * @example
   * ```ts
   * import assert from "node:assert/strict";
   * import { Vocab } from "./vocab.ts";
   * const v = Vocab.build(new Map([["a", 2]]));
   * assert.equal(v.encode(["xxbos", "a", "zzz"]).join(), "2,9,0");
   * ```
   */
  encode(tokens: readonly string[]): Int32Array {
    const ids = new Int32Array(tokens.length);
    const stoi = this.#stoi;
    for (let i = 0; i < tokens.length; i++) ids[i] = stoi.get(tokens[i]) ?? 0;
    return ids;
  }

  /**
   * Tokens of ids; an id outside the vocabulary is an error.
   *
   * @example
   * ```ts
   * import assert from "node:assert/strict";
   * import { Vocab } from "./vocab.ts";
   * assert.equal(Vocab.build(new Map()).decode([2, 5]).join(" "), "xxbos xxmaj");
   * ```
   */
  decode(ids: ArrayLike<number>): string[] {
    const out = new Array<string>(ids.length);
    for (let i = 0; i < ids.length; i++) {
      const token = this.itos[ids[i]];
      if (token === undefined || !Number.isInteger(ids[i])) {
        throw new Error(
          `Cannot decode id ${ids[i]} at position ${i}: the vocabulary has ids 0..${
            this.itos.length - 1
          }`,
        );
      }
      out[i] = token;
    }
    return out;
  }

  /** The token list, for `JSON.stringify`; {@linkcode Vocab.fromJSON} reads it back. */
  toJSON(): string[] {
    return [...this.itos];
  }
}
