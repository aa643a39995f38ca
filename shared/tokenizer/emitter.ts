/**
 * The tokenizer's output: each word with its case marker (`xxmaj`, `xxup`), its letter runs cut
 * out as `xxrep N c`, and runs of 3+ equal words or symbols as `xxwrep N w` / `xxrep N c`.
 *
 * @module
 */
import { CharClass, CLASS_TABLE, classAt, fillClass } from "./char_class.ts";

const LETTER = CharClass.LETTER;
const MASK = CharClass.MASK;
const UPPER = CharClass.UPPER;
const LOWER = CharClass.LOWER;
const ASTRAL = CharClass.ASTRAL;

// Case markers of a word token.
export const KEEP = 0; // no upper-case letter: the token is used as is
const LOWERED = 1; // upper-case letters but no marker (`iPhone` → `iphone`)
const MAJ = 2;
const UP = 3;

const NUMBERS: string[] = [];
for (let n = 0; n < 256; n++) NUMBERS.push(String(n));
function num(n: number): string {
  return n < 256 ? NUMBERS[n] : String(n);
}

// A Roman numeral is a number: its III is not an elongation (Henry VIII).
export const ROMAN = /^M{0,3}(?:CM|CD|D?C{0,3})(?:XC|XL|L?X{0,3})(?:IX|IV|V?I{0,3})$/i;

/** Marker for a token from its counts of upper- and lower-case letters. */
export function markerOf(upper: number, lower: number, firstUpper: boolean): number {
  if (upper === 0) return KEEP;
  if (upper >= 2 && lower === 0) return UP;
  return firstUpper ? MAJ : LOWERED;
}

/** Marker for a token given as a string (slow path: URLs, clitics). */
function markerOfString(s: string): number {
  let upper = 0;
  let lower = 0;
  for (let i = 0; i < s.length; i++) {
    const k = classAt(s, i);
    if ((k & UPPER) !== 0) upper++;
    else if ((k & LOWER) !== 0) lower++;
    if ((k & ASTRAL) !== 0) i++;
  }
  return markerOf(upper, lower, (classAt(s, 0) & UPPER) !== 0);
}

/** The class of a UTF-16 code unit without its case bits. */
export function letterClassOf(cu: number): number {
  const k = CLASS_TABLE[cu];
  return (k === 0 ? fillClass(cu) : k) & MASK;
}

/** Whether `s` holds a letter repeated 3+ times in a row (ASCII case folded). */
function hasLetterRun(s: string): boolean {
  let prev = -1;
  let len = 0;
  for (let i = 0; i < s.length; i++) {
    const cu = s.charCodeAt(i);
    if (letterClassOf(cu) !== LETTER) {
      prev = -1;
      continue;
    }
    const f = cu < 128 ? cu | 32 : cu;
    if (f === prev) {
      if (++len === 3) return !ROMAN.test(s);
    } else {
      prev = f;
      len = 1;
    }
  }
  return false;
}

/** Pushes a lower-cased word, cutting its letter runs out as `xxrep N c`. */
function pushRepPieces(out: string[], s: string): void {
  let from = 0;
  let i = 0;
  while (i < s.length) {
    const cu = s.charCodeAt(i);
    let r = i + 1;
    while (r < s.length && s.charCodeAt(r) === cu) r++;
    if (r - i >= 3 && letterClassOf(cu) === LETTER) {
      if (i > from) out.push(s.slice(from, i));
      out.push("xxrep", num(r - i), s[i]);
      from = r;
    }
    i = r;
  }
  if (from < s.length) out.push(from === 0 ? s : s.slice(from));
}

function pushUnit(out: string[], src: string, marker: number, rep: boolean): void {
  let tok = src;
  if (marker !== KEEP) {
    if (marker === MAJ) out.push("xxmaj");
    else if (marker === UP) out.push("xxup");
    tok = src.toLowerCase();
  }
  if (rep) pushRepPieces(out, tok);
  else out.push(tok);
}

/**
 * Collects output tokens. A word is held back until the next token shows
 * whether it starts a run of 3+ equal words (`xxwrep`).
 */
export class Emitter {
  out: string[];
  src = "";
  count = 0;
  marker = KEEP;
  rep = false;

  constructor(out: string[]) {
    this.out = out;
  }

  word(src: string, marker: number, rep: boolean): void {
    if (this.count !== 0) {
      if (src === this.src) {
        this.count++;
        return;
      }
      this.flush();
    }
    this.src = src;
    this.marker = marker;
    this.rep = rep;
    this.count = 1;
  }

  /** A word given as a string alone (slow path: URLs, clitics). */
  wordString(src: string, repAllowed: boolean): void {
    this.word(src, markerOfString(src), repAllowed && hasLetterRun(src));
  }

  push(tok: string): void {
    if (this.count !== 0) this.flush();
    this.out.push(tok);
  }

  /** `times` copies of a non-word token; 3+ become `xxrep N tok`. */
  pushRun(tok: string, times: number): void {
    if (this.count !== 0) this.flush();
    if (times >= 3) this.out.push("xxrep", num(times), tok);
    else {
      this.out.push(tok);
      if (times === 2) this.out.push(tok);
    }
  }

  flush(): void {
    const c = this.count;
    if (c === 0) return;
    this.count = 0;
    if (c >= 3) {
      this.out.push("xxwrep", num(c));
      pushUnit(this.out, this.src, this.marker, this.rep);
    } else {
      pushUnit(this.out, this.src, this.marker, this.rep);
      if (c === 2) pushUnit(this.out, this.src, this.marker, this.rep);
    }
  }
}
