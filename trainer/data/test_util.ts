/**
 * Helpers for this folder's tests: temp files and a tiny tar writer, so
 * every test builds its own small sample instead of depending on real data.
 *
 * @module
 */

/** One member for {@linkcode writeTar}. */
export interface TarFile {
  name: string;
  /** File contents; omit for a directory. */
  data?: string | Uint8Array;
  /** Put the folder part of `name` in the ustar `prefix` field instead of `name`. */
  usePrefix?: boolean;
}

/**
 * Writes an uncompressed tar archive: GNU `././@LongLink` records for names
 * over 100 bytes, optional ustar prefixes, two zero blocks at the end.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { writeTar } from "./test_util.ts";
 * const tar = writeTar([{ name: "a.txt", data: "hi" }]);
 * assert.equal(tar.length, 512 * 4);
 * ```
 */
export function writeTar(files: TarFile[]): Uint8Array {
  const enc = new TextEncoder();
  const blocks: Uint8Array[] = [];
  const pushData = (data: Uint8Array) => {
    const padded = new Uint8Array(Math.ceil(data.length / 512) * 512);
    padded.set(data);
    blocks.push(padded);
  };
  for (const f of files) {
    const data = typeof f.data === "string" ? enc.encode(f.data) : f.data ?? new Uint8Array(0);
    const dir = f.data === undefined;
    let name = f.name;
    let prefix = "";
    if (f.usePrefix) {
      const cut = name.lastIndexOf("/");
      prefix = name.slice(0, cut);
      name = name.slice(cut + 1);
    } else if (enc.encode(name).length > 100) {
      const long = enc.encode(name + "\0");
      blocks.push(header("././@LongLink", long.length, "L", ""));
      pushData(long);
      name = name.slice(0, 100);
    }
    blocks.push(header(name, dir ? 0 : data.length, dir ? "5" : "0", prefix));
    if (!dir) pushData(data);
  }
  blocks.push(new Uint8Array(1024));
  const out = new Uint8Array(blocks.reduce((n, b) => n + b.length, 0));
  let at = 0;
  for (const b of blocks) {
    out.set(b, at);
    at += b.length;
  }
  return out;
}

function header(name: string, size: number, flag: string, prefix: string): Uint8Array {
  const h = new Uint8Array(512);
  const put = (at: number, text: string) => h.set(new TextEncoder().encode(text), at);
  put(0, name.slice(0, 100));
  put(100, "0000644\0");
  put(108, "0000000\0");
  put(116, "0000000\0");
  put(124, size.toString(8).padStart(11, "0") + "\0");
  put(136, "00000000000\0");
  put(156, flag);
  put(257, "ustar\x0000");
  put(345, prefix);
  put(148, "        ");
  const sum = h.reduce((a, b) => a + b, 0);
  put(148, sum.toString(8).padStart(6, "0") + "\0 ");
  return h;
}

/**
 * Gzips bytes with the platform CompressionStream.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { gzip } from "./test_util.ts";
 * const gz = await gzip(new TextEncoder().encode("hello"));
 * assert.equal(gz[0], 0x1f);
 * assert.equal(gz[1], 0x8b);
 * ```
 */
export async function gzip(data: Uint8Array | string): Promise<Uint8Array> {
  const bytes = typeof data === "string" ? new TextEncoder().encode(data) : data;
  const stream = new Blob([bytes as Uint8Array<ArrayBuffer>]).stream()
    .pipeThrough(new CompressionStream("gzip"));
  return await new Response(stream).bytes();
}

/** A temp folder removed at the end of its `await using` scope. */
export interface TempDir extends AsyncDisposable {
  path: string;
}

/**
 * Writes `files` (relative path → text or bytes) under a fresh temp folder.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { tempFiles } from "./test_util.ts";
 * await using dir = await tempFiles({ "a/b.txt": "hi" });
 * assert.equal(await Deno.readTextFile(`${dir.path}/a/b.txt`), "hi");
 * ```
 */
export async function tempFiles(files: Record<string, string | Uint8Array>): Promise<TempDir> {
  const dir = await Deno.makeTempDir({ prefix: "fitlam_data_" });
  for (const [rel, data] of Object.entries(files)) {
    const path = `${dir}/${rel}`;
    await Deno.mkdir(path.slice(0, path.lastIndexOf("/")), { recursive: true });
    if (typeof data === "string") await Deno.writeTextFile(path, data);
    else await Deno.writeFile(path, data);
  }
  return {
    path: dir,
    [Symbol.asyncDispose]: () => Deno.remove(dir, { recursive: true }),
  };
}
