/**
 * The classify request body: `{"text": "..."}` or `{"texts": [...]}`, checked
 * against the server's limits.
 *
 * @module
 */
import { ApiError } from "./errors.ts";

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
  const fix = 'send {"text": "..."} or {"texts": ["...", ...]}';
  if (typeof body !== "object" || body === null || Array.isArray(body)) {
    throw new ApiError(
      422,
      "invalid_body",
      `Cannot classify: the body is not a JSON object; ${fix}`,
    );
  }
  const b = body as Record<string, unknown>;
  if ("text" in b && "texts" in b) {
    throw new ApiError(
      400,
      "ambiguous_body",
      `Cannot classify: both "text" and "texts" were sent; ${fix}`,
    );
  }
  let texts: unknown[];
  if ("text" in b) {
    if (typeof b.text !== "string") {
      throw new ApiError(
        422,
        "invalid_text",
        `Cannot classify: "text" is a ${typeName(b.text)}, not a string; ${fix}`,
      );
    }
    texts = [b.text];
  } else if ("texts" in b) {
    if (!Array.isArray(b.texts)) {
      throw new ApiError(
        422,
        "invalid_texts",
        `Cannot classify: "texts" is a ${typeName(b.texts)}, not an array; ${fix}`,
      );
    }
    if (b.texts.length === 0) {
      throw new ApiError(400, "empty_texts", `Cannot classify: "texts" is empty; ${fix}`);
    }
    texts = b.texts;
  } else {
    throw new ApiError(
      400,
      "missing_text",
      `Cannot classify: the body has no "text" or "texts"; ${fix}`,
    );
  }
  if (texts.length > maxTexts) {
    throw new ApiError(
      413,
      "too_many_texts",
      `Cannot classify: ${texts.length} texts were sent, the limit is ${maxTexts}; split them over several requests`,
    );
  }
  texts.forEach((t, i) => {
    const where = "texts" in b ? `texts[${i}]` : "text";
    if (typeof t !== "string") {
      throw new ApiError(
        422,
        "invalid_text",
        `Cannot classify: ${where} is a ${typeName(t)}, not a string; ${fix}`,
      );
    }
    // Whitespace, control and format characters (NUL, zero-width spaces, BOM) carry no words.
    if (t.replace(/[\s\p{Cc}\p{Cf}]/gu, "") === "") {
      throw new ApiError(
        400,
        "empty_text",
        `Cannot classify: ${where} is empty (only blank, control or zero-width characters); ` +
          "send some words",
      );
    }
    if (t.length > maxChars) {
      throw new ApiError(
        413,
        "text_too_long",
        `Cannot classify: ${where} has ${t.length} characters, the limit is ${maxChars}; shorten or split it`,
      );
    }
  });
  return texts as string[];
}

function typeName(v: unknown): string {
  return v === null ? "null" : Array.isArray(v) ? "array" : typeof v;
}
