/**
 * Where a word ends: the clitics split off it (`ca n't`, `it 's`), the period an abbreviation
 * keeps, and the ends of URLs and e-mail addresses, which stay whole.
 *
 * @module
 */
import { isAbbreviation } from "./abbreviations.ts";
import { CharClass, classAt } from "./char_class.ts";
import { type Emitter, letterClassOf } from "./emitter.ts";

const LETTER = CharClass.LETTER;
const DIGIT = CharClass.DIGIT;
const MARK = CharClass.MARK;
const DOT = CharClass.DOT;
const MASK = CharClass.MASK;
const UPPER = CharClass.UPPER;

const URL_START = /((?:https?|ftp):\/\/|www\.)[^\s<>"“”«»]+/iy;
export const EMAIL =
  /[\p{L}\p{N}._%+-]+@[\p{L}\p{N}-]+(?:\.[\p{L}\p{N}-]+)*\.\p{L}{2,}(?![\p{L}\p{N}@])/uy;

function isApos(cu: number): boolean {
  return cu === 0x27 || cu === 0x2019;
}

/**
 * Start of a clitic (`n't 's 'm 'd 're 've 'll`) ending at `end` in `s`, or -1.
 * A clitic needs a letter before it (`'s` also a digit: `1990's`).
 */
function cliticStart(s: string, end: number): number {
  if (end < 3) return -1;
  const last = s.charCodeAt(end - 1) | 32;
  const before = s.charCodeAt(end - 2);
  if (isApos(before) && (last === 0x73 || last === 0x6d || last === 0x64)) { // 's 'm 'd
    const k = letterClassOf(s.charCodeAt(end - 3));
    return k === LETTER || (k === DIGIT && last === 0x73) ? end - 2 : -1;
  }
  if (end < 4 || letterClassOf(s.charCodeAt(end - 4)) !== LETTER) return -1;
  const mid = s.charCodeAt(end - 3);
  if (last === 0x74 && isApos(before) && (mid | 32) === 0x6e) return end - 3; // n't
  if (!isApos(mid)) return -1;
  const b = before | 32;
  if (
    (b === 0x72 && last === 0x65) || (b === 0x76 && last === 0x65) || (b === 0x6c && last === 0x6c)
  ) return end - 3; // 're 've 'll
  return -1;
}

/** Emits a word containing an apostrophe, split into stem and clitics. */
export function emitWithClitics(src: string, em: Emitter): void {
  let end = src.length;
  let cut = cliticStart(src, end);
  if (cut < 0) {
    em.wordString(src, true);
    return;
  }
  const tail: string[] = [];
  while (cut > 0) {
    tail.push(src.slice(cut, end));
    end = cut;
    cut = cliticStart(src, end);
  }
  em.wordString(src.slice(0, end), true);
  for (let t = tail.length - 1; t >= 0; t--) em.wordString(tail[t], false);
}

/** Length of a standalone clitic (`'s`, `'ll`, ...) at `i`, or 0. */
export function standaloneClitic(text: string, i: number): number {
  const a = text.charCodeAt(i + 1) | 32;
  let len = 0;
  if (a === 0x73 || a === 0x6d || a === 0x64) len = 2;
  else {
    const b = text.charCodeAt(i + 2) | 32;
    if ((a === 0x72 && b === 0x65) || (a === 0x76 && b === 0x65) || (a === 0x6c && b === 0x6c)) {
      len = 3;
    }
  }
  if (len === 0 || i + len > text.length) return 0;
  if (i + len < text.length) {
    const k = classAt(text, i + len) & MASK;
    if (k === LETTER || k === DIGIT || k === MARK) return 0;
  }
  return len;
}

/** Whether the period at `end` stays on the word `text[start..end)`. */
export function keepsPeriod(
  text: string,
  start: number,
  end: number,
  k1: number,
  k2: number,
): boolean {
  if ((k1 & MASK) !== LETTER) return false;
  if ((k1 & UPPER) !== 0) {
    // As spaCy: after a capital, the period goes only if another capital precedes (`USA.`).
    return (k2 & UPPER) === 0;
  }
  if ((k2 & MASK) === DOT) return true; // e.g. a.m.
  return end - start <= 6 && isAbbreviation(text.slice(start, end + 1));
}

/** End of a URL starting at `i`, or -1. */
export function urlEnd(text: string, i: number): number {
  URL_START.lastIndex = i;
  const m = URL_START.exec(text);
  if (m === null) return -1;
  let e = i + m[0].length;
  let opens = 0;
  let closes = 0;
  for (let p = i; p < e; p++) {
    const c = text.charCodeAt(p);
    if (c === 0x28) opens++;
    else if (c === 0x29) closes++;
  }
  // Sentence punctuation after a URL is not part of it; a ")" is only when
  // it closes a "(" of the URL itself (Wikipedia links).
  while (e > i) {
    const c = text.charCodeAt(e - 1);
    if (c === 0x29) {
      if (closes <= opens) break;
      closes--;
    } else if (".,;:!?'\"’”]}*…".indexOf(text[e - 1]) < 0) break;
    e--;
  }
  return e - i > m[1].length ? e : -1; // something after the scheme
}

/** Whether a URL may start at `i` (`http`, `www.`, `ftp:`), before the full test. */
export function maybeUrl(text: string, i: number, cu: number): boolean {
  const c = cu | 32;
  if (c === 0x68) {
    return (text.charCodeAt(i + 1) | 32) === 0x74 && (text.charCodeAt(i + 3) | 32) === 0x70;
  }
  if (c === 0x77) return (text.charCodeAt(i + 1) | 32) === 0x77 && text.charCodeAt(i + 3) === 0x2e;
  if (c === 0x66) return (text.charCodeAt(i + 1) | 32) === 0x74 && text.charCodeAt(i + 3) === 0x3a;
  return false;
}
