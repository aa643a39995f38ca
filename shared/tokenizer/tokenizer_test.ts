import { deepStrictEqual as assertEquals } from "node:assert/strict";
import { SPECIAL_TOKENS, tokenize, tokenizeBatch, TOKENIZER_RULES_VERSION } from "./tokenizer.ts";

// [input, expected tokens after "xxbos", joined by single spaces]; worked by
// hand from the rules in tokenizer.ts, not copied from the output.
const CASES: [string, string][] = [
  // empty input and whitespace
  ["", ""],
  ["   \n\t ", ""],
  ["tab\tand\nnewline  twice\r\n", "tab and newline twice"],
  ["The\u00a0end", "xxmaj the end"],
  // case markers
  ["hello world", "hello world"],
  ["I LOVE Paris", "xxmaj i xxup love xxmaj paris"],
  ["A", "xxmaj a"],
  ["iPhone McDonald", "iphone xxmaj mcdonald"],
  ["ÉCOLE Élan café naïve", "xxup école xxmaj élan café naïve"],
  ["ÜBER straße", "xxup über straße"],
  ["cafe\u0301", "café"],
  // contractions
  ["don't", "do n't"],
  ["It's fine", "xxmaj it 's fine"],
  ["can't won't", "ca n't wo n't"],
  ["I'm here", "xxmaj i 'm here"],
  ["they've we'll she'd you're", "they 've we 'll she 'd you 're"],
  ["DON'T", "xxup do xxup n't"],
  ["shouldn't've", "should n't 've"],
  ["don’t it’s", "do n’t it ’s"],
  ["O'Brien's car", "xxmaj o'brien 's car"],
  ["the 1990's", "the 1990 's"],
  ["Jones' dog", "xxmaj jones ' dog"],
  ["'Hello'", "' xxmaj hello '"],
  ["Smith 's", "xxmaj smith 's"],
  // periods and abbreviations
  ["The end.", "xxmaj the end ."],
  ["the U.S. army", "the xxup u.s. army"],
  ["e.g. this, i.e. that", "e.g. this , i.e. that"],
  ["Mr. Smith met Dr. Who", "xxmaj mr. xxmaj smith met xxmaj dr. xxmaj who"],
  ["John F. Kennedy", "xxmaj john xxmaj f. xxmaj kennedy"],
  ["in the USA.", "in the xxup usa ."],
  ["Henry VIII.", "xxmaj henry xxup viii ."],
  ["a.m. and p.m.", "a.m. and p.m."],
  ["etc.", "etc."],
  ["I said no.", "xxmaj i said no ."],
  ["No. 5", "xxmaj no. 5"],
  ["end.The start", "end . xxmaj the start"],
  ["in 2015.", "in 2015 ."],
  // numbers
  ["$1,000.50 is 3.14 at 10:30", "$ 1,000.50 is 3.14 at 10:30"],
  ["-5 degrees, .5 cup", "-5 degrees , .5 cup"],
  ["50% of $5", "50 % of $ 5"],
  ["1000000 aa", "1000000 aa"],
  ["pages 5-10, a,b", "pages 5-10 , a , b"],
  // hyphens and dashes
  ["a well-known fact", "a well-known fact"],
  ["COVID-19 2019–20", "xxup covid-19 2019 – 20"],
  ["--- and -- and -", "xxrep 3 - and -- and -"],
  ["AT&T and R&B", "xxup at&t and xxup r&b"],
  // quotes, brackets, ellipses
  ['"Hello," she said.', '" xxmaj hello , " she said .'],
  ["(see [1])", "( see [ 1 ] )"],
  ["Wait... what...?", "xxmaj wait ... what ... ?"],
  ["wait...what", "wait ... what"],
  ["what?! no!!", "what ? ! no ! !"],
  // character repetition
  ["sooooo good", "s xxrep 5 o good"],
  ["loooove it", "l xxrep 4 o ve it"],
  ["Wow!!!!", "xxmaj wow xxrep 4 !"],
  ["NOOOO", "xxup n xxrep 4 o"],
  ["Nooooo", "xxmaj n xxrep 5 o"],
  ["Hmm.... ok", "xxmaj hmm xxrep 4 . ok"],
  ["World War III, Mmmmm", "xxmaj world xxmaj war xxup iii , xxmaj xxrep 5 m"],
  ["step (iii)", "step ( iii )"],
  // word repetition
  ["very very very good", "xxwrep 3 very good"],
  ["no no no no", "xxwrep 4 no"],
  ["NO NO NO", "xxwrep 3 xxup no"],
  ["ha ha", "ha ha"],
  ["Very very very", "xxmaj very very very"],
  // "/" and "#"
  ["and/or #1", "and / or # 1"],
  ["C# and F#", "xxmaj c # and xxmaj f #"],
  // URLs and e-mail
  ["https://example.com/a/b?q=1#top", "https://example.com/a/b?q=1#top"],
  [
    "(https://en.wikipedia.org/wiki/Foo_(bar)).",
    "( https://en.wikipedia.org/wiki/foo_(bar) ) .",
  ],
  ["Visit www.Example.com today", "xxmaj visit www.example.com today"],
  ["Mail me: Jane.Doe@Example.org.", "xxmaj mail me : xxmaj jane.doe@example.org ."],
  // emoji and CJK
  ["I ❤️ NY 😀😀😀", "xxmaj i ❤️ xxup ny xxrep 3 😀"],
  ["great😀👍🏽 🇫🇷", "great 😀 👍🏽 🇫🇷"],
  ["👨‍👩‍👧 family", "👨‍👩‍👧 family"],
  ["我爱北京", "我 爱 北 京"],
  ["哈哈哈 lol", "xxrep 3 哈 lol"],
  ["東京タワーへ", "東 京 タ ワ ー へ"],
  ["用Python写。", "用 xxmaj python 写 。"],
  // HTML artefacts (IMDb, WikiText)
  ["This movie was great.<br /><br />Must see!", "xxmaj this movie was great . xxmaj must see !"],
  ["It&#39;s &quot;good&quot; &amp; cheap", 'xxmaj it \'s " good " & cheap'],
  ["line one\\nline two", "line one line two"],
  ["a @-@ b 1 @,@ 000 3 @.@ 5", "a-b 1,000 3.5"],
  ["x &lt;3 y&gt;", "x < 3 y >"],
  ["a \\ b", "a b"],
];

Deno.test("tokenize: hand-worked cases", () => {
  const failures: string[] = [];
  for (const [input, expected] of CASES) {
    const got = tokenize(input);
    const want = ["xxbos", ...(expected === "" ? [] : expected.split(" "))];
    if (JSON.stringify(got) !== JSON.stringify(want)) {
      failures.push(`${JSON.stringify(input)}\n  got  ${got.join(" ")}\n  want ${want.join(" ")}`);
    }
  }
  assertEquals(failures, []);
});

Deno.test("tokenize: at least 40 hand-worked cases", () => {
  assertEquals(CASES.length >= 40, true);
});

Deno.test("tokenizeBatch: one token list per document", () => {
  assertEquals(tokenizeBatch(["Hi.", "", "ok"]), [
    ["xxbos", "xxmaj", "hi", "."],
    ["xxbos"],
    ["xxbos", "ok"],
  ]);
  assertEquals(tokenizeBatch(new Set(["a"])), [["xxbos", "a"]]);
});

Deno.test("SPECIAL_TOKENS and TOKENIZER_RULES_VERSION", () => {
  assertEquals([...SPECIAL_TOKENS], [
    "xxunk",
    "xxpad",
    "xxbos",
    "xxeos",
    "xxfld",
    "xxmaj",
    "xxup",
    "xxrep",
    "xxwrep",
  ]);
  assertEquals(TOKENIZER_RULES_VERSION, "fitlam-tok-1");
});

// Small seeded generator so the fuzz inputs are the same on every run.
function lcg(seed: number): () => number {
  let s = seed >>> 0;
  return () => (s = (Math.imul(s, 1664525) + 1013904223) >>> 0) / 4294967296;
}

Deno.test("tokenize: well-formed output on random tricky text", () => {
  const pieces = [
    "a",
    "B",
    "é",
    "É",
    "x",
    "1",
    "0",
    " ",
    "  ",
    "\n",
    "\t",
    ".",
    "..",
    ",",
    ":",
    "'",
    "’",
    "-",
    "&",
    "@",
    "_",
    "/",
    "#",
    "!",
    "?",
    "(",
    ")",
    '"',
    "😀",
    "👍🏽",
    "🇫🇷",
    "\u200d",
    "中",
    "ー",
    "\u0301",
    "\ud800",
    "http://",
    "www.",
    "n't",
    "'s",
    "&amp;",
    "<br />",
    "\\n",
    "@.@",
    "\u00a0",
  ];
  const rand = lcg(7);
  for (let doc = 0; doc < 3000; doc++) {
    let text = "";
    const len = Math.floor(rand() * 30);
    for (let i = 0; i < len; i++) text += pieces[Math.floor(rand() * pieces.length)];
    const toks = tokenize(text);
    assertEquals(toks[0], "xxbos");
    assertEquals(tokenize(text), toks, "deterministic");
    for (let i = 1; i < toks.length; i++) {
      const t = toks[i];
      if (t === "" || /\s/.test(t) || t !== t.toLowerCase() || t === "xxbos") {
        throw new Error(`Bad token ${JSON.stringify(t)} in ${JSON.stringify(toks)} of ${text}`);
      }
      if (t === "xxrep" || t === "xxwrep") {
        if (!/^[0-9]+$/.test(toks[i + 1]) || Number(toks[i + 1]) < 3) {
          throw new Error(`Bad count after ${t} in ${JSON.stringify(toks)} of ${text}`);
        }
      }
    }
  }
});
