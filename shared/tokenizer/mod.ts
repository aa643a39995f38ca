/**
 * FitLaM/ULMFiT text preparation: the word tokenizer with fastai special
 * tokens, and the vocabulary that maps its tokens to ids.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { tokenize, Vocab } from "./mod.ts";
 * const docs = [tokenize("Great movie!"), tokenize("Great fun.")];
 * const vocab = Vocab.build(Vocab.countTokens(docs), { minFreq: 1 });
 * assert.equal(vocab.encode(docs[0])[0], 2); // xxbos
 * ```
 *
 * @module
 */

export { tokenize, tokenizeBatch, TOKENIZER_RULES_VERSION } from "./tokenizer.ts";
export { SPECIAL_TOKENS } from "./special_tokens.ts";
export type { SpecialToken } from "./special_tokens.ts";
export { countTokens, Vocab } from "./vocab.ts";
export type { VocabBuildOptions } from "./vocab.ts";
export { fixHtml } from "./fix_html.ts";
export { tokenizeStream } from "./cli.ts";
