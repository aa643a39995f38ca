/**
 * WikiText structure: ` = Title = ` lines start an article, ` = = Section = = `
 * lines are ordinary text inside it. Also matches WikiExtractor dumps that use
 * the same title lines (one paragraph per line).
 *
 * @module
 */

/**
 * True for an article title line (` = Title = `), false for section headers
 * (` = = Sub = = `) and body text.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { isWikiTitle } from "./wikitext.ts";
 * assert.ok(isWikiTitle(" = Homarus gammarus = "));
 * assert.ok(!isWikiTitle(" = = Description = = "));
 * ```
 */
export function isWikiTitle(line: string): boolean {
  const t = line.trim();
  return t.length > 4 && t.startsWith("= ") && t.endsWith(" =") && t[2] !== "=" &&
    t[t.length - 3] !== "=";
}

/**
 * Groups WikiText lines into articles. Each article is its trimmed non-blank
 * lines joined by `\n`, starting with its title line (kept, like section
 * headers, as text for the language model). Text before the first title is
 * its own document; a title with no body is dropped.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { wikiDocuments } from "./wikitext.ts";
 * async function* lines() { yield* [" = A = ", "", " x ", " = = S = = ", " = B = ", " y "]; }
 * const docs = await Array.fromAsync(wikiDocuments(lines()));
 * assert.equal(docs[0], "= A =\nx\n= = S = =");
 * assert.equal(docs[1], "= B =\ny");
 * ```
 */
export async function* wikiDocuments(lines: AsyncIterable<string>): AsyncGenerator<string> {
  let doc: string[] = [];
  let titled = false;
  const done = () => doc.length > (titled ? 1 : 0);
  for await (const raw of lines) {
    const line = raw.trim();
    if (!line) continue;
    if (isWikiTitle(line)) {
      if (done()) yield doc.join("\n");
      doc = [line];
      titled = true;
    } else {
      doc.push(line);
    }
  }
  if (done()) yield doc.join("\n");
}
