/**
 * File bytes to text: transparent gzip, UTF-8 with a Latin-1 fallback, and
 * streamed lines so multi-gigabyte corpora never sit in memory as one string.
 *
 * @module
 */
import { decodeBytes, decodeUserFile, type Encoding, utf16Bom } from "../../shared/text_decode.ts";

export { decodeBytes, type Encoding };

// Files up to this size are decoded whole under "auto", so a Latin-1 file is
// detected before any line is handed out; larger ones stream as strict UTF-8.
const AUTO_WHOLE_LIMIT = 32 * 1024 * 1024;

/**
 * True when `path` names a gzip file by extension (`.gz`, `.tgz`).
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { isGzipPath } from "./text_io.ts";
 * assert.ok(isGzipPath("a/enwiki.txt.gz"));
 * assert.ok(!isGzipPath("a/b.txt"));
 * ```
 */
export function isGzipPath(path: string): boolean {
  return /\.(gz|tgz)$/i.test(path);
}

/**
 * Opens `path` as a byte stream, gunzipping on the fly when it ends in `.gz`/`.tgz`.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { openBytes } from "./text_io.ts";
 * const dir = await Deno.makeTempDir();
 * await Deno.writeTextFile(`${dir}/a.txt`, "hi");
 * const stream = await openBytes(`${dir}/a.txt`);
 * const bytes = await new Response(stream).bytes();
 * assert.equal(bytes.length, 2);
 * ```
 */
export async function openBytes(path: string): Promise<ReadableStream<Uint8Array>> {
  let file: Deno.FsFile;
  try {
    file = await Deno.open(path);
  } catch (e) {
    if (e instanceof Deno.errors.NotFound) {
      throw new Error(`Cannot open ${path}: no such file; check the path`);
    }
    throw e;
  }
  const stream = file.readable;
  return isGzipPath(path) ? stream.pipeThrough(new DecompressionStream("gzip")) : stream;
}

/**
 * The first chunk of `path`'s bytes (gunzipped where it is gzip; empty for an empty file), for
 * looking at its start without reading it all.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { firstBytes } from "./text_io.ts";
 * const dir = await Deno.makeTempDir();
 * await Deno.writeTextFile(`${dir}/a.txt`, "PAR1");
 * assert.deepEqual([...await firstBytes(`${dir}/a.txt`)], [0x50, 0x41, 0x52, 0x31]);
 * ```
 */
export async function firstBytes(path: string): Promise<Uint8Array> {
  const reader = (await openBytes(path)).getReader();
  const { value = new Uint8Array() } = await reader.read();
  await reader.cancel();
  return value;
}

/**
 * Reads a whole (optionally gzipped) file as text; see {@linkcode decodeBytes}.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { readText } from "./text_io.ts";
 * const dir = await Deno.makeTempDir();
 * await Deno.writeTextFile(`${dir}/a.txt`, "hello");
 * assert.equal(await readText(`${dir}/a.txt`), "hello");
 * ```
 */
export async function readText(path: string, encoding: Encoding = "auto"): Promise<string> {
  const bytes = await new Response(await openBytes(path)).bytes();
  return decodeBytes(bytes, encoding, path);
}

/**
 * Streams a file's text in chunks of arbitrary size.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { readTextChunks } from "./text_io.ts";
 * const dir = await Deno.makeTempDir();
 * await Deno.writeTextFile(`${dir}/a.txt`, "abc");
 * let text = "";
 * for await (const chunk of readTextChunks(`${dir}/a.txt`)) text += chunk;
 * assert.equal(text, "abc");
 * ```
 */
export async function* readTextChunks(
  path: string,
  encoding: Encoding = "auto",
): AsyncGenerator<string> {
  if (encoding === "auto" && !isGzipPath(path)) {
    const size = (await statOrThrow(path)).size;
    if (size <= AUTO_WHOLE_LIMIT) {
      yield decodeUserFile(await new Response(await openBytes(path)).bytes(), path);
      return;
    }
  }
  const latin1 = encoding === "latin1";
  let decoder: TextDecoder | undefined;
  // Only decoder failures mean "not UTF-8"; a corrupt gzip must surface as itself.
  const decode = (bytes?: Uint8Array): string => {
    decoder ??= new TextDecoder(
      latin1 ? "latin1" : (bytes && utf16Bom(bytes)) ?? "utf-8",
      { fatal: !latin1 },
    );
    try {
      return bytes ? decoder.decode(bytes, { stream: true }) : decoder.decode();
    } catch {
      throw new Error(`Cannot decode ${path}: bytes are not valid UTF-8; pass encoding "latin1"`);
    }
  };
  for await (const bytes of await openBytes(path)) {
    const text = decode(bytes);
    if (text) yield text;
  }
  const rest = decode();
  if (rest) yield rest;
}

/**
 * Splits a stream of text chunks into lines, dropping the `\n` and any `\r`
 * before it. A final line without a newline is still yielded.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { splitLines } from "./text_io.ts";
 * async function* chunks() { yield "a\r\nb"; yield "c\n"; }
 * const lines = await Array.fromAsync(splitLines(chunks()));
 * assert.equal(lines.join("|"), "a|bc");
 * ```
 */
export async function* splitLines(chunks: AsyncIterable<string>): AsyncGenerator<string> {
  let carry = "";
  for await (const chunk of chunks) {
    let start = 0;
    let nl = chunk.indexOf("\n");
    if (nl < 0) {
      carry += chunk;
      continue;
    }
    while (nl >= 0) {
      let line = start === 0 ? carry + chunk.slice(0, nl) : chunk.slice(start, nl);
      if (line.endsWith("\r")) line = line.slice(0, -1);
      yield line;
      start = nl + 1;
      nl = chunk.indexOf("\n", start);
    }
    carry = chunk.slice(start);
  }
  if (carry) yield carry.endsWith("\r") ? carry.slice(0, -1) : carry;
}

/**
 * Streams the lines of a (optionally gzipped) file.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { readLines } from "./text_io.ts";
 * const dir = await Deno.makeTempDir();
 * await Deno.writeTextFile(`${dir}/a.txt`, "x\ny\n");
 * assert.equal((await Array.fromAsync(readLines(`${dir}/a.txt`))).length, 2);
 * ```
 */
export function readLines(path: string, encoding: Encoding = "auto"): AsyncGenerator<string> {
  return splitLines(readTextChunks(path, encoding));
}

/**
 * `Deno.stat` with a readable error for a missing path.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { statOrThrow } from "./text_io.ts";
 * assert.ok((await statOrThrow(".")).isDirectory);
 * ```
 */
export async function statOrThrow(path: string): Promise<Deno.FileInfo> {
  try {
    return await Deno.stat(path);
  } catch (e) {
    if (e instanceof Deno.errors.NotFound) {
      throw new Error(`Cannot open ${path}: no such file or folder; check the path`);
    }
    throw e;
  }
}
