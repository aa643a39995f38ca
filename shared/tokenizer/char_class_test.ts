import { equal } from "node:assert/strict";
import { CharClass as C, CLASS_TABLE, classAt, classify, fillClass } from "./char_class.ts";

Deno.test("classify: one code point", () => {
  const cases: [string, number][] = [
    [" ", C.WS],
    ["\n", C.WS],
    ["\u00a0", C.WS],
    ["\u200b", C.WS],
    ["a", C.LETTER | C.LOWER],
    ["Z", C.LETTER | C.UPPER],
    ["é", C.LETTER | C.LOWER],
    ["É", C.LETTER | C.UPPER],
    ["ß", C.LETTER | C.LOWER],
    ["א", C.LETTER],
    ["7", C.DIGIT],
    ["٣", C.DIGIT],
    ["\u0301", C.MARK],
    ["'", C.APOS],
    ["’", C.APOS],
    [".", C.DOT],
    [",", C.COMMA],
    [":", C.COLON],
    ["-", C.HYPHEN],
    ["&", C.JOIN],
    ["@", C.JOIN],
    ["_", C.JOIN],
    ["中", C.CJK],
    ["カ", C.CJK],
    ["ー", C.CJK],
    ["한", C.LETTER],
    ["😀", C.EMOJI],
    ["❤", C.EMOJI],
    ["🇫", C.EMOJI],
    ["/", C.PUNCT],
    ["#", C.PUNCT],
    ["–", C.PUNCT],
    ["$", C.PUNCT],
    ["。", C.PUNCT],
  ];
  for (const [ch, want] of cases) equal(classify(ch.codePointAt(0)!), want, ch);
  equal(classify(0xd83d), C.HIGH);
  equal(classify(0xde00), C.PUNCT);
});

Deno.test("classAt: table, surrogate pairs and lone surrogates", () => {
  equal(CLASS_TABLE[0x41], C.LETTER | C.UPPER);
  equal(fillClass(0x4e2d), C.CJK);
  equal(CLASS_TABLE[0x4e2d], C.CJK);
  equal(classAt("a😀", 1), C.EMOJI | C.ASTRAL);
  equal(classAt("𝐀", 0), C.LETTER | C.UPPER | C.ASTRAL);
  equal(classAt("\ud83dx", 0), C.PUNCT);
  equal(classAt("\ud83d", 0), C.PUNCT);
});
