import { equal } from "node:assert/strict";
import { fixHtml } from "./fix_html.ts";

const CASES: [string, string][] = [
  ["no markup here", "no markup here"],
  ["Great film.<br /><br />Loved it", "Great film.\n\nLoved it"],
  ["a<br>b<BR/>c<br  />d", "a\nb\nc\nd"],
  ["Tom &amp; Jerry", "Tom & Jerry"],
  ["&quot;Wow&quot; she said", '"Wow" she said'],
  ["quot;Wow quot;", '"Wow "'],
  ["1 &lt; 2 &gt; 0", "1 < 2 > 0"],
  ["It#39;s and it&#39;s", "It's and it's"],
  ["a&nbsp;b nbsp;c", "a b  c"],
  ["one\\ntwo", "one\ntwo"],
  ["well @-@ known , 1 @,@ 000 , 3 @.@ 14", "well-known , 1,000 , 3.14"],
  ["a \\ b", "a b"],
  // escaped twice
  ["&amp;quot;hi&amp;quot; &amp;amp; &amp;#39;", '"hi" & \''],
  ["", ""],
];

Deno.test("fixHtml: replaces each artefact", () => {
  for (const [input, want] of CASES) equal(fixHtml(input), want, JSON.stringify(input));
});
