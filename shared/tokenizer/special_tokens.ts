/**
 * The FitLaM/fastai special tokens. Their order is their id in every
 * vocabulary, so a model and a vocabulary built at different times agree on
 * what ids 0..8 mean.
 *
 * @module
 */

/**
 * Special tokens in id order: `xxunk` = 0, `xxpad` = 1, `xxbos` = 2, ...
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { SPECIAL_TOKENS } from "./special_tokens.ts";
 * assert.equal(SPECIAL_TOKENS.indexOf("xxpad"), 1);
 * ```
 */
export const SPECIAL_TOKENS = [
  "xxunk",
  "xxpad",
  "xxbos",
  "xxeos",
  "xxfld",
  "xxmaj",
  "xxup",
  "xxrep",
  "xxwrep",
] as const;

/** One of {@linkcode SPECIAL_TOKENS}. */
export type SpecialToken = typeof SPECIAL_TOKENS[number];
