/**
 * Bytes to text as fitlam reads every file of a user's (the trainer's data, `deno task
 * predict`'s input): UTF-8, UTF-16 where a byte-order mark says so, else Windows-1252
 * (Latin-1) with a note, so that training and prediction read the same file alike.
 *
 * @module
 */

/** How to turn bytes into text. `"auto"` is UTF-8, falling back to Latin-1 on invalid bytes. */
export type Encoding = "utf-8" | "latin1" | "auto";

/** The UTF-16 byte order a file's byte-order mark names (Excel's "Unicode text"), if any. */
export function utf16Bom(bytes: Uint8Array): "utf-16le" | "utf-16be" | undefined {
  if (bytes[0] === 0xff && bytes[1] === 0xfe) return "utf-16le";
  if (bytes[0] === 0xfe && bytes[1] === 0xff) return "utf-16be";
  return undefined;
}

/**
 * Decodes bytes as UTF-8 (UTF-16 where a byte-order mark says so), or as Latin-1 when they
 * are not valid UTF-8 (e.g. the TREC training file) and `encoding` is `"auto"`.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { decodeBytes } from "./text_decode.ts";
 * assert.equal(decodeBytes(new Uint8Array([0x63, 0x61, 0x66, 0xe9])), "café");
 * assert.equal(decodeBytes(new Uint8Array([0xff, 0xfe, 0x68, 0, 0x69, 0])), "hi");
 * ```
 */
export function decodeBytes(
  bytes: Uint8Array,
  encoding: Encoding = "auto",
  path = "input",
): string {
  return decodeNamed(bytes, encoding, path).text;
}

/**
 * A user's whole file as text under `"auto"` ({@linkcode decodeBytes}), saying so when it was
 * read as Windows-1252 because it is not UTF-8; `shown` names it in that note.
 */
export function decodeUserFile(bytes: Uint8Array, path: string, shown = path): string {
  const { text, read } = decodeNamed(bytes, "auto", path);
  if (read === "latin1") {
    console.error(
      `note: ${shown} is not UTF-8; read as Windows-1252 (Latin-1): if its accents look wrong, ` +
        "save it as UTF-8",
    );
  }
  return text;
}

/** {@linkcode decodeBytes}, and which encoding it read. */
function decodeNamed(
  bytes: Uint8Array,
  encoding: Encoding,
  path: string,
): { text: string; read: string } {
  if (encoding === "latin1") {
    return { text: new TextDecoder("latin1").decode(bytes), read: "latin1" };
  }
  const bom = utf16Bom(bytes);
  if (bom) return { text: new TextDecoder(bom).decode(bytes), read: bom };
  try {
    return { text: new TextDecoder("utf-8", { fatal: true }).decode(bytes), read: "utf-8" };
  } catch {
    if (encoding === "auto") {
      return { text: new TextDecoder("latin1").decode(bytes), read: "latin1" };
    }
    throw new Error(`Cannot decode ${path}: bytes are not valid UTF-8; pass encoding "latin1"`);
  }
}
