/**
 * Abbreviations whose final period stays part of the word (`Mr.` not
 * `Mr` `.`). Deliberately small: every entry can also end a sentence, and
 * then its period is not split off.
 *
 * @module
 */

// Titles and Latin shorthand that are abbreviations in any case ("mr." in
// lower-cased reviews too).
const ANY_CASE = new Set([
  "mr.",
  "mrs.",
  "ms.",
  "dr.",
  "prof.",
  "jr.",
  "sr.",
  "st.",
  "mt.",
  "ft.",
  "lt.",
  "capt.",
  "sgt.",
  "cpl.",
  "adm.",
  "inc.",
  "ltd.",
  "corp.",
  "dept.",
  "univ.",
  "ave.",
  "blvd.",
  "vs.",
  "etc.",
  "approx.",
  "cf.",
  "al.",
  "viz.",
  "pp.",
  "vol.",
  "fig.",
]);

// Abbreviations only when capitalised: "no." or "mar." in lower case is more
// likely the word "no" or "mar" ending a sentence.
const CAPITALISED = new Set([
  "No.",
  "Nos.",
  "Co.",
  "Bros.",
  "Gen.",
  "Gov.",
  "Sen.",
  "Rep.",
  "Rev.",
  "Col.",
  "Hon.",
  "Jan.",
  "Feb.",
  "Mar.",
  "Apr.",
  "Jun.",
  "Jul.",
  "Aug.",
  "Sep.",
  "Sept.",
  "Oct.",
  "Nov.",
  "Dec.",
]);

/**
 * Whether `word` (with its final period) is a listed abbreviation.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { isAbbreviation } from "./abbreviations.ts";
 * assert.ok(isAbbreviation("Mr."));
 * assert.ok(isAbbreviation("etc."));
 * assert.ok(!isAbbreviation("no."));
 * ```
 */
export function isAbbreviation(word: string): boolean {
  return CAPITALISED.has(word) || ANY_CASE.has(word.toLowerCase());
}
