/**
 * Character classes for the tokenizer. A class is looked up in a table filled
 * on first use, so the hot loop runs a Unicode regex at most once per distinct
 * UTF-16 code unit (and once per distinct astral code point).
 *
 * @module
 */

/**
 * Class numbers (low 4 bits of a class value) and flags (higher bits).
 *
 * `WS` whitespace and invisible separators; `LETTER`, `DIGIT`, `MARK` (combining
 * marks and format characters) make up words; `APOS` (`'` `’`), `DOT`, `COMMA`,
 * `COLON`, `HYPHEN` (`-`) and `JOIN` (`&` `@` `_`) join word pieces only in some
 * contexts; `CJK` is a Han, Hiragana or Katakana letter; `EMOJI` starts an emoji
 * sequence; `PUNCT` is every other symbol or punctuation character; `HIGH` is a
 * high surrogate whose class depends on the next code unit. `UPPER` and `LOWER`
 * flag cased letters; `ASTRAL` flags a class read from a surrogate pair.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { CharClass, classAt } from "./char_class.ts";
 * const k = classAt("É", 0);
 * assert.equal(k & CharClass.MASK, CharClass.LETTER);
 * assert.notEqual(k & CharClass.UPPER, 0);
 * ```
 */
export const CharClass = {
  WS: 1,
  LETTER: 2,
  DIGIT: 3,
  MARK: 4,
  APOS: 5,
  DOT: 6,
  COMMA: 7,
  COLON: 8,
  HYPHEN: 9,
  JOIN: 10,
  CJK: 11,
  EMOJI: 12,
  PUNCT: 13,
  HIGH: 14,
  MASK: 15,
  UPPER: 16,
  LOWER: 32,
  ASTRAL: 64,
} as const;

const C = CharClass;

const RE_SPACE = /^[\s\p{Cc}\u200B\u2060]$/u;
const RE_EMOJI = /^[\p{Extended_Pictographic}\p{Regional_Indicator}]$/u;
const RE_CJK = /^[\p{scx=Han}\p{scx=Hiragana}\p{scx=Katakana}]$/u;
const RE_LETTER = /^\p{L}$/u;
const RE_NUMBER = /^\p{N}$/u;
const RE_UPPER = /^[\p{Lu}\p{Lt}]$/u;
const RE_LOWER = /^\p{Ll}$/u;
const RE_MARK = /^[\p{M}\p{Cf}]$/u;

/**
 * The class of one code point (no table, no cache; for tests and table fills).
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { CharClass, classify } from "./char_class.ts";
 * assert.equal(classify(0x4e2d), CharClass.CJK); // 中
 * ```
 */
export function classify(cp: number): number {
  switch (cp) {
    case 0x27:
    case 0x2019:
      return C.APOS;
    case 0x2e:
      return C.DOT;
    case 0x2c:
      return C.COMMA;
    case 0x3a:
      return C.COLON;
    case 0x2d:
      return C.HYPHEN;
    case 0x26:
    case 0x40:
    case 0x5f:
      return C.JOIN;
  }
  if (cp >= 0xd800 && cp <= 0xdbff) return C.HIGH;
  if (cp >= 0xdc00 && cp <= 0xdfff) return C.PUNCT; // a lone low surrogate
  const s = String.fromCodePoint(cp);
  if (RE_SPACE.test(s)) return C.WS;
  if (RE_EMOJI.test(s)) return C.EMOJI;
  const letter = RE_LETTER.test(s);
  if (letter || RE_NUMBER.test(s)) {
    if (RE_CJK.test(s)) return C.CJK;
    if (!letter) return C.DIGIT;
    if (RE_UPPER.test(s)) return C.LETTER | C.UPPER;
    if (RE_LOWER.test(s)) return C.LETTER | C.LOWER;
    return C.LETTER;
  }
  if (RE_MARK.test(s)) return C.MARK;
  return C.PUNCT;
}

/**
 * Classes of the 65536 UTF-16 code units; 0 means "not looked up yet" (use
 * {@linkcode fillClass}). Exported so the tokenizer's loop can index it directly.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { CLASS_TABLE, CharClass } from "./char_class.ts";
 * assert.equal(CLASS_TABLE[0x20], CharClass.WS);
 * ```
 */
export const CLASS_TABLE: Uint8Array = new Uint8Array(65536);
for (let cu = 0; cu < 256; cu++) CLASS_TABLE[cu] = classify(cu);

const astral = new Map<number, number>();

/**
 * Looks up and stores the class of a code unit missing from {@linkcode CLASS_TABLE}.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { CharClass, fillClass } from "./char_class.ts";
 * assert.equal(fillClass(0x3002), CharClass.PUNCT); // 。
 * ```
 */
export function fillClass(cu: number): number {
  const k = classify(cu);
  CLASS_TABLE[cu] = k;
  return k;
}

/**
 * The class of the code point starting at `text[i]`. A surrogate pair gets the
 * class of its code point with the `ASTRAL` flag (it is two code units long).
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { CharClass, classAt } from "./char_class.ts";
 * assert.equal(classAt("a😀", 1), CharClass.EMOJI | CharClass.ASTRAL);
 * ```
 */
export function classAt(text: string, i: number): number {
  const cu = text.charCodeAt(i);
  let k = CLASS_TABLE[cu];
  if (k === 0) k = fillClass(cu);
  if (k !== C.HIGH) return k;
  const lo = text.charCodeAt(i + 1);
  if (!(lo >= 0xdc00 && lo <= 0xdfff)) return C.PUNCT; // a lone high surrogate
  const cp = ((cu - 0xd800) << 10) + (lo - 0xdc00) + 0x10000;
  let a = astral.get(cp);
  if (a === undefined) {
    a = classify(cp) | C.ASTRAL;
    astral.set(cp, a);
  }
  return a;
}
