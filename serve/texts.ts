/**
 * The classify request body: `{"text": "..."}` or `{"texts": [...]}`, checked
 * against the server's limits.
 *
 * @module
 */
import { ApiError } from "./errors.ts";

/** How to send a valid body; ends the messages about its shape. */
const FIX = 'send {"text": "..."} or {"texts": ["...", ...]}';

/**
 * Checks the classify body and returns its texts, or throws a 4xx ApiError.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { parseTexts } from "./texts.ts";
 * assert.deepEqual(parseTexts({ texts: ["a", "b"] }, 64, 100), ["a", "b"]);
 * assert.throws(() => parseTexts({ text: "" }, 64, 100), /empty/);
 * ```
 */
export function parseTexts(body: unknown, maxTexts: number, maxChars: number): string[] {
  const b = bodyObject(body);
  const texts = textsOf(b);
  if (texts.length > maxTexts) {
    throw new ApiError(
      413,
      "too_many_texts",
      `Cannot classify: ${texts.length} texts were sent, the limit is ${maxTexts}; split them over several requests`,
    );
  }
  texts.forEach((t, i) => checkText(t, "texts" in b ? `texts[${i}]` : "text", maxChars));
  return texts as string[];
}

/** How to send a valid explain body. */
const EXPLAIN_FIX = 'send {"text": "..."} or {"text": "...", "label": "..."}';

/**
 * Checks the explain body (`{"text": "..."}`, optionally with the `"label"` to explain) and
 * returns it, or throws a 4xx ApiError.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { parseExplainBody } from "./texts.ts";
 * assert.deepEqual(parseExplainBody({ text: "hi" }, 100, ["ham", "spam"]), { text: "hi" });
 * assert.throws(() => parseExplainBody({ text: "hi", label: "eggs" }, 100, ["ham", "spam"]), /ham, spam/);
 * ```
 */
export function parseExplainBody(
  body: unknown,
  maxChars: number,
  labels: string[],
): { text: string; label?: string } {
  if (typeof body !== "object" || body === null || Array.isArray(body) || !("text" in body)) {
    throw new ApiError(
      422,
      "invalid_body",
      `Cannot explain: the body is not a JSON object with "text"; ${EXPLAIN_FIX}`,
    );
  }
  const b = body as Record<string, unknown>;
  const text = b.text;
  checkText(text, '"text"', maxChars, "explain", EXPLAIN_FIX);
  if (b.label === undefined) return { text: text as string };
  if (typeof b.label !== "string" || !labels.includes(b.label)) {
    throw new ApiError(
      422,
      "invalid_label",
      `Cannot explain: "label" is ${JSON.stringify(b.label)}, not one of the model's labels ` +
        `(${labels.join(", ")}); send one of those or leave it out to explain the answer`,
    );
  }
  return { text: text as string, label: b.label };
}

/** The body as an object with at most one of "text" and "texts", or a 4xx ApiError. */
function bodyObject(body: unknown): Record<string, unknown> {
  if (typeof body !== "object" || body === null || Array.isArray(body)) {
    throw new ApiError(
      422,
      "invalid_body",
      `Cannot classify: the body is not a JSON object; ${FIX}`,
    );
  }
  const b = body as Record<string, unknown>;
  if ("text" in b && "texts" in b) {
    throw new ApiError(
      400,
      "ambiguous_body",
      `Cannot classify: both "text" and "texts" were sent; ${FIX}`,
    );
  }
  return b;
}

/**
 * The body's texts, unchecked: `[text]`, or `texts` if it is a non-empty
 * array; otherwise a 4xx ApiError.
 */
function textsOf(b: Record<string, unknown>): unknown[] {
  if ("text" in b) {
    if (typeof b.text !== "string") {
      throw new ApiError(
        422,
        "invalid_text",
        `Cannot classify: "text" is a ${typeName(b.text)}, not a string; ${FIX}`,
      );
    }
    return [b.text];
  }
  if ("texts" in b) {
    if (!Array.isArray(b.texts)) {
      throw new ApiError(
        422,
        "invalid_texts",
        `Cannot classify: "texts" is a ${typeName(b.texts)}, not an array; ${FIX}`,
      );
    }
    if (b.texts.length === 0) {
      throw new ApiError(400, "empty_texts", `Cannot classify: "texts" is empty; ${FIX}`);
    }
    return b.texts;
  }
  throw new ApiError(
    400,
    "missing_text",
    `Cannot classify: the body has no "text" or "texts"; ${FIX}`,
  );
}

/**
 * Throws a 4xx ApiError unless `t` (named `where` in the messages) is a string
 * with some words in it and at most `maxChars` characters.
 */
function checkText(
  t: unknown,
  where: string,
  maxChars: number,
  action = "classify",
  fix = FIX,
): void {
  if (typeof t !== "string") {
    throw new ApiError(
      422,
      "invalid_text",
      `Cannot ${action}: ${where} is a ${typeName(t)}, not a string; ${fix}`,
    );
  }
  // Whitespace, control and format characters (NUL, zero-width spaces, BOM) carry no words.
  if (t.replace(/[\s\p{Cc}\p{Cf}]/gu, "") === "") {
    throw new ApiError(
      400,
      "empty_text",
      `Cannot ${action}: ${where} is empty (only blank, control or zero-width characters); ` +
        "send some words",
    );
  }
  if (t.length > maxChars) {
    throw new ApiError(
      413,
      "text_too_long",
      `Cannot ${action}: ${where} has ${t.length} characters, the limit is ${maxChars}; shorten or split it`,
    );
  }
}

function typeName(v: unknown): string {
  return v === null ? "null" : Array.isArray(v) ? "array" : typeof v;
}
