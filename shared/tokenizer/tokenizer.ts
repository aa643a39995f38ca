/**
 * English word tokenizer with the FitLaM/fastai special tokens.
 *
 * One left-to-right pass over the text (after {@linkcode fixHtml}) splits it
 * into words, numbers, punctuation, emoji and CJK characters, and adds the
 * markers as it goes:
 *
 * - `xxbos` starts every document; whitespace (newlines and tabs included) only
 *   separates tokens.
 * - Words: letters, digits and combining marks, joined by `'` `’` before a
 *   letter (`O'Brien`), by `-` `&` `@` `_` between word characters
 *   (`well-known`, `AT&T`), by `.` between word characters unless it stands
 *   between a lower-case and an upper-case letter (`e.g`, `3.14`, but
 *   `end.The` → `end . The`), by `,` and `:` between digits (`1,000.50`,
 *   `10:30`).
 * - A final `.` stays on a word that is a listed abbreviation (`Mr.`,
 *   `etc.`), a dotted initialism (`U.S.`, `e.g.`, `Ph.D.`) or ends in an
 *   upper-case letter not preceded by another (`J.`, `I.`); otherwise it is
 *   split off (`end.` → `end .`, `USA.` → `USA .`), as spaCy's suffix rule does.
 * - Contractions split like spaCy's English tokenizer: `n't`, `'s`, `'m`,
 *   `'re`, `'ve`, `'ll`, `'d` become their own tokens (`can't` → `ca n't`),
 *   with `’` as well as `'`, kept as written (`n’t` and `n't` are different
 *   tokens). spaCy's whole-word special cases (`gonna`, `cannot`) are not
 *   split.
 * - URLs (`http://`, `https://`, `ftp://`, `www.`) and e-mail addresses stay
 *   whole; trailing punctuation and an unbalanced `)` are split off them.
 * - `-` before a digit at the start of a token stays on the number (`-5`);
 *   `.` likewise (`.5`).
 * - Every other punctuation or symbol character is its own token, so `/` and
 *   `#` get spaces around them. `..` and `...` and `--` are single tokens.
 * - An emoji sequence (with skin tone, ZWJ joins, flags) is one token; every
 *   Han/Hiragana/Katakana character is one token (spaCy's English model keeps
 *   a run of them as one token; single characters make a far smaller
 *   vocabulary cover Chinese and Japanese text). Other scripts are split on
 *   whitespace and punctuation only.
 * - A word with combining marks is normalised to NFC (`cafe\u0301` → `café`).
 * - `xxrep N c`: a letter repeated 3+ times in a word is cut out of it, and
 *   the word's other pieces become tokens of their own (`sooooo` →
 *   `s xxrep 5 o`, `loooove` → `l xxrep 4 o ve`); a punctuation, emoji or CJK
 *   character repeated 3+ times is one `xxrep N c` (`!!!!` → `xxrep 4 !`), but
 *   4+ dots are `xxrep N .` while `...` is kept. Digits are never collapsed
 *   (`1000`), nor a Roman numeral (`VIII`, `xiii`), nor anything inside a URL
 *   or e-mail address.
 * - `xxwrep N w`: a word token (word, number, URL; not punctuation, emoji or
 *   CJK) repeated 3+ times in a row, compared with its original case
 *   (`very very very` → `xxwrep 3 very`; `Very very very` is not a
 *   repetition).
 * - Case: a token with 2+ upper-case letters and no lower-case letter gets
 *   `xxup` (`LOVE` → `xxup love`, `ÉCOLE` → `xxup école`); otherwise a token
 *   whose first character is an upper-case letter gets `xxmaj` (`Paris`, `I`);
 *   then every token is lower-cased. The marker is decided on the whole word,
 *   before an `xxrep` cut (`NOOOO` → `xxup n xxrep 4 o`), and comes after the
 *   `xxwrep N` prefix (`NO NO NO` → `xxwrep 3 xxup no`).
 *
 * @module
 */

import { CharClass, CLASS_TABLE, classAt, fillClass } from "./char_class.ts";
import { fixHtml } from "./fix_html.ts";
import { Emitter, KEEP, markerOf, ROMAN } from "./emitter.ts";
import {
  EMAIL,
  emitWithClitics,
  keepsPeriod,
  maybeUrl,
  standaloneClitic,
  urlEnd,
} from "./word_ends.ts";

export { SPECIAL_TOKENS } from "./special_tokens.ts";
export type { SpecialToken } from "./special_tokens.ts";

/**
 * Version of the tokenization rules. It is stored in model config files: a
 * model must only be used with the rules its vocabulary was built with.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { TOKENIZER_RULES_VERSION } from "./tokenizer.ts";
 * assert.match(TOKENIZER_RULES_VERSION, /^fitlam-tok-/);
 * ```
 */
export const TOKENIZER_RULES_VERSION = "fitlam-tok-1";

// Local copies of the class numbers: plain constants in the hot loops.
const WS = CharClass.WS;
const LETTER = CharClass.LETTER;
const DIGIT = CharClass.DIGIT;
const MARK = CharClass.MARK;
const APOS = CharClass.APOS;
const DOT = CharClass.DOT;
const COMMA = CharClass.COMMA;
const COLON = CharClass.COLON;
const HYPHEN = CharClass.HYPHEN;
const JOIN = CharClass.JOIN;
const EMOJI = CharClass.EMOJI;
const HIGH = CharClass.HIGH;
const MASK = CharClass.MASK;
const UPPER = CharClass.UPPER;
const LOWER = CharClass.LOWER;
const ASTRAL = CharClass.ASTRAL;

const EMOJI_MODS = "[\\u{1F3FB}-\\u{1F3FF}\\uFE0F\\u20E3\\u{E0020}-\\u{E007F}]*";
const EMOJI_SEQ = new RegExp(
  `\\p{Regional_Indicator}\\p{Regional_Indicator}|\\p{Extended_Pictographic}${EMOJI_MODS}` +
    `(?:\\u200D\\p{Extended_Pictographic}${EMOJI_MODS})*`,
  "uy",
);

/**
 * Whether the joiner at `j` (kind `kind`: `'` `’` `.` `,` `:` `-` `&` `@` `_`)
 * keeps the word going: it needs a word character after it, and `.` `'` `,`
 * `:` have their own conditions (see the module doc). `k1` is the class of the
 * word's last character before the joiner.
 */
function joinsWord(text: string, j: number, kind: number, k1: number): boolean {
  if (j + 1 >= text.length) return false;
  const nk = classAt(text, j + 1);
  const nkind = nk & MASK;
  if (nkind < LETTER || nkind > MARK) return false;
  if (kind === DOT) return (k1 & LOWER) === 0 || (nk & UPPER) === 0;
  if (kind === APOS) return nkind === LETTER;
  if (kind === COMMA || kind === COLON) return (k1 & MASK) === DIGIT && nkind === DIGIT;
  return true;
}

/**
 * End of the word `text[start..end)` once a `.` right after it is taken in,
 * if the word keeps it (an abbreviation or initial, and no word or `.` follows).
 * `k1` and `k2` are the classes of the word's last two characters.
 */
function withFinalPeriod(text: string, start: number, end: number, k1: number, k2: number): number {
  const n = text.length;
  if (end >= n || text.charCodeAt(end) !== 0x2e) return end;
  const after = end + 1 < n ? classAt(text, end + 1) & MASK : WS;
  if (
    (after < LETTER || after > MARK) && after !== DOT && keepsPeriod(text, start, end, k1, k2)
  ) return end + 1;
  return end;
}

/**
 * Case marker of the word at `start` with `upper` upper-case and `lower`
 * lower-case letters (the first character is looked at only if needed).
 */
function caseMarker(text: string, start: number, upper: number, lower: number): number {
  return upper === 0 ? KEEP : markerOf(upper, lower, (classAt(text, start) & UPPER) !== 0);
}

/**
 * Scans the word starting at `start` (its first `skip` characters, a sign or
 * a decimal point, are already known to belong to it) and emits it.
 * Returns the index after it.
 */
function scanWord(text: string, start: number, skip: number, em: Emitter): number {
  const n = text.length;
  let j = start + skip;
  let upper = 0;
  let lower = 0;
  let k1 = skip === 0 ? 0 : classAt(text, start); // class of the last character taken
  let k2 = 0; // and of the one before it
  let runCode = -1;
  let runLen = 0;
  let rep = false;
  let apos = false;
  let mark = false;
  while (j < n) {
    const cu = text.charCodeAt(j);
    let k = CLASS_TABLE[cu];
    if (k === 0) k = fillClass(cu);
    let len = 1;
    if (k === HIGH) {
      k = classAt(text, j);
      if ((k & ASTRAL) !== 0) len = 2;
    }
    const kind = k & MASK;
    if (kind >= LETTER && kind <= MARK) {
      if ((k & UPPER) !== 0) upper++;
      else if ((k & LOWER) !== 0) lower++;
      if (kind === LETTER && len === 1) {
        const f = cu < 128 ? cu | 32 : cu;
        if (f === runCode) {
          if (++runLen === 3) rep = true;
        } else {
          runCode = f;
          runLen = 1;
        }
      } else {
        runCode = -1;
        if (kind === MARK) mark = true;
      }
      k2 = k1;
      k1 = k;
      j += len;
      continue;
    }
    if (kind < APOS || kind > JOIN || !joinsWord(text, j, kind, k1)) break;
    if (kind === APOS) apos = true;
    k2 = k1;
    k1 = k;
    runCode = -1;
    j++;
  }
  j = withFinalPeriod(text, start, j, k1, k2);
  let src = text.slice(start, j);
  if (mark) src = src.normalize("NFC");
  if (rep && ROMAN.test(src)) rep = false;
  if (apos) emitWithClitics(src, em);
  else em.word(src, caseMarker(text, start, upper, lower), rep);
  return j;
}

/** Emits the run of copies of `text[i..i+len)` starting at `i`; returns its end. */
function scanRun(text: string, i: number, len: number, em: Emitter): number {
  const n = text.length;
  let r = i + len;
  let times = 1;
  if (len === 1) {
    const cu = text.charCodeAt(i);
    while (r < n && text.charCodeAt(r) === cu) r++;
    times = r - i;
    em.pushRun(text[i], times);
    return r;
  }
  const tok = text.slice(i, r);
  while (text.startsWith(tok, r)) {
    r += len;
    times++;
  }
  em.pushRun(tok, times);
  return r;
}

function emojiLength(text: string, i: number, k: number): number {
  EMOJI_SEQ.lastIndex = i;
  const m = EMOJI_SEQ.exec(text);
  return m !== null ? m[0].length : (k & ASTRAL) !== 0 ? 2 : 1;
}

/** Emits the run of equal emoji sequences starting at `i`; returns its end. */
function scanEmoji(text: string, i: number, k: number, em: Emitter): number {
  const len = emojiLength(text, i, k);
  const tok = text.slice(i, i + len);
  let r = i + len;
  let times = 1;
  // A longer sequence may start with the same emoji (👍 then 👍🏽).
  while (text.startsWith(tok, r) && emojiLength(text, r, classAt(text, r)) === len) {
    r += len;
    times++;
  }
  em.pushRun(tok, times);
  return r;
}

/** Emits the run of `.` or `-` starting at `i`; returns its end. */
function scanDots(text: string, i: number, cu: number, em: Emitter): number {
  const n = text.length;
  let r = i + 1;
  while (r < n && text.charCodeAt(r) === cu) r++;
  const times = r - i;
  if (times === 1) {
    if (r < n && (classAt(text, r) & MASK) === DIGIT) return scanWord(text, i, 1, em); // .5 -5
    em.push(text[i]);
  } else if (times === 2) em.push(cu === 0x2e ? ".." : "--");
  else if (times === 3 && cu === 0x2e) em.push("...");
  else em.pushRun(text[i], times);
  return r;
}

function scan(text: string, em: Emitter): void {
  const n = text.length;
  let nextAt = text.indexOf("@"); // e-mail addresses are tried only near an "@"
  let i = 0;
  while (i < n) {
    const cu = text.charCodeAt(i);
    let k = CLASS_TABLE[cu];
    if (k === 0) k = fillClass(cu);
    if (k === WS) {
      i++;
      continue;
    }
    if (k === HIGH) k = classAt(text, i);
    const kind = k & MASK;
    if (kind >= LETTER && kind <= MARK) {
      if (nextAt !== -1) {
        if (nextAt < i) nextAt = text.indexOf("@", i);
        if (nextAt !== -1 && nextAt - i < 64) {
          EMAIL.lastIndex = i;
          const m = EMAIL.exec(text);
          if (m !== null) {
            em.wordString(m[0], false);
            i += m[0].length;
            continue;
          }
        }
      }
      if (kind === LETTER && maybeUrl(text, i, cu)) {
        const e = urlEnd(text, i);
        if (e > 0) {
          em.wordString(text.slice(i, e), false);
          i = e;
          continue;
        }
      }
      i = scanWord(text, i, 0, em);
      continue;
    }
    switch (kind) {
      case DOT:
      case HYPHEN:
        i = scanDots(text, i, cu, em);
        break;
      case APOS: {
        const len = standaloneClitic(text, i);
        if (len > 0) {
          em.wordString(text.slice(i, i + len), false);
          i += len;
        } else i = scanRun(text, i, 1, em);
        break;
      }
      case EMOJI:
        i = scanEmoji(text, i, k, em);
        break;
      default: // CJK, PUNCT, and `, : & @ _` outside a word
        i = scanRun(text, i, (k & ASTRAL) !== 0 ? 2 : 1, em);
    }
  }
  em.flush();
}

/**
 * Tokenizes one document: `xxbos`, then its tokens (see the module doc for
 * the rules). Empty or whitespace-only text gives `["xxbos"]`.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { tokenize } from "./tokenizer.ts";
 * const t = tokenize("I LOVE Paris!!!");
 * assert.equal(t.join(" "), "xxbos xxmaj i xxup love xxmaj paris xxrep 3 !");
 * ```
 */
export function tokenize(text: string): string[] {
  const out = ["xxbos"];
  scan(fixHtml(text), new Emitter(out));
  return out;
}

/**
 * Tokenizes each document of `texts` with {@linkcode tokenize}.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { tokenizeBatch } from "./tokenizer.ts";
 * const b = tokenizeBatch(["Hi.", ""]);
 * assert.equal(b[0].join(" "), "xxbos xxmaj hi .");
 * assert.equal(b[1].join(" "), "xxbos");
 * ```
 */
export function tokenizeBatch(texts: Iterable<string>): string[][] {
  const out: string[][] = [];
  for (const t of texts) out.push(tokenize(t));
  return out;
}
