/**
 * A small streaming tar reader (POSIX ustar and GNU tar: 512-byte blocks,
 * `prefix` names, `././@LongLink` long names, pax `path` records), so an
 * archive such as `aclImdb_v1.tar.gz` is read without unpacking it to disk.
 *
 * @module
 */

const BLOCK = 512;

/** One archive member. Call `bytes()` before moving to the next entry, or its data is skipped. */
export interface TarEntry {
  /** Full member path, e.g. `aclImdb/train/pos/0_9.txt`. */
  name: string;
  /** Data size in bytes. */
  size: number;
  /** `"file"` for regular files, `"directory"`, or `"other"` (links, devices…). */
  type: "file" | "directory" | "other";
  /** Reads the member's data (once, and only while it is the current entry). */
  bytes(): Promise<Uint8Array>;
}

/**
 * Streams the entries of an uncompressed tar stream (pipe a `.tar.gz`
 * through `DecompressionStream("gzip")` first). `source` names the archive
 * in error messages.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { readTar } from "./tar.ts";
 * // An empty archive is two zero blocks.
 * const empty = new Blob([new Uint8Array(1024)]).stream();
 * const names = [];
 * for await (const e of readTar(empty)) names.push(e.name);
 * assert.equal(names.length, 0);
 * ```
 */
export async function* readTar(
  stream: ReadableStream<Uint8Array>,
  source = "tar archive",
): AsyncGenerator<TarEntry> {
  const input = new ByteQueue(stream);
  let longName: string | undefined;
  let paxPath: string | undefined;
  let offset = 0;
  try {
    while (true) {
      const header = await input.read(BLOCK);
      if (header === null || header.every((b) => b === 0)) return;
      if (header.length < BLOCK) throw truncated(source, offset);
      checkSum(header, source, offset);
      const size = parseSize(header.subarray(124, 136), source, offset);
      const flag = String.fromCharCode(header[156] || 0x30);
      const padded = Math.ceil(size / BLOCK) * BLOCK;
      offset += BLOCK;
      if (flag === "L" || flag === "x" || flag === "K" || flag === "g") {
        // Metadata records describe the next header; read their data now.
        const data = await input.read(padded);
        if (data === null || data.length < padded) throw truncated(source, offset);
        offset += padded;
        if (flag === "L") longName = cString(data.subarray(0, size));
        if (flag === "x") paxPath = paxRecord(data.subarray(0, size), "path") ?? paxPath;
        continue;
      }
      const name = paxPath ?? longName ?? ustarName(header);
      longName = paxPath = undefined;
      let consumed = false;
      const dataAt = offset;
      const entry: TarEntry = {
        name,
        size,
        type: flag === "0" || flag === "7" ? "file" : flag === "5" ? "directory" : "other",
        bytes: async () => {
          if (consumed) {
            throw new Error(`Cannot read ${source} member ${name}: its data was already read`);
          }
          consumed = true;
          const data = await input.read(padded);
          if (data === null || data.length < padded) throw truncated(source, dataAt);
          return data.subarray(0, size);
        },
      };
      yield entry;
      if (!consumed) {
        consumed = true;
        if (!(await input.skip(padded))) throw truncated(source, dataAt);
      }
      offset += padded;
    }
  } finally {
    await input.cancel();
  }
}

function truncated(source: string, offset: number): Error {
  return new Error(
    `Cannot read ${source}: archive ends mid-member at byte ${offset}; re-download it`,
  );
}

function checkSum(header: Uint8Array, source: string, offset: number): void {
  let sum = 0;
  // The checksum field itself counts as eight spaces.
  for (let i = 0; i < BLOCK; i++) sum += i >= 148 && i < 156 ? 0x20 : header[i];
  const stored = parseInt(cString(header.subarray(148, 156)).trim(), 8);
  if (stored !== sum) {
    throw new Error(
      `Cannot read ${source}: bad tar header checksum at byte ${offset}; ` +
        "the file is not a tar archive or is corrupt",
    );
  }
}

function parseSize(field: Uint8Array, source: string, offset: number): number {
  if (field[0] & 0x80) {
    // GNU base-256 for sizes over 8 GiB: big-endian, top bit is the marker.
    let n = field[0] & 0x7f;
    for (let i = 1; i < field.length; i++) n = n * 256 + field[i];
    return n;
  }
  const text = cString(field).trim();
  const n = text === "" ? 0 : parseInt(text, 8);
  if (!Number.isFinite(n) || !/^[0-7]*$/.test(text)) {
    throw new Error(`Cannot read ${source}: bad size field "${text}" at byte ${offset}`);
  }
  return n;
}

function cString(bytes: Uint8Array): string {
  const end = bytes.indexOf(0);
  return new TextDecoder().decode(end < 0 ? bytes : bytes.subarray(0, end));
}

function ustarName(header: Uint8Array): string {
  const name = cString(header.subarray(0, 100));
  // Only POSIX/GNU "ustar" headers have a prefix field.
  const magic = cString(header.subarray(257, 263));
  const prefix = magic.startsWith("ustar") ? cString(header.subarray(345, 500)) : "";
  return prefix ? `${prefix}/${name}` : name;
}

function paxRecord(data: Uint8Array, key: string): string | undefined {
  // Records are "<len> <key>=<value>\n".
  for (const rec of new TextDecoder().decode(data).split("\n")) {
    const m = /^\d+ ([^=]+)=(.*)$/s.exec(rec);
    if (m && m[1] === key) return m[2];
  }
  return undefined;
}

/** Exact-size reads over a chunked stream without re-copying the whole buffer. */
class ByteQueue {
  #reader: ReadableStreamDefaultReader<Uint8Array>;
  #chunks: Uint8Array[] = [];
  #head = 0; // read position inside #chunks[0]
  #buffered = 0;
  #done = false;

  constructor(stream: ReadableStream<Uint8Array>) {
    this.#reader = stream.getReader();
  }

  async #fill(n: number): Promise<void> {
    while (this.#buffered < n && !this.#done) {
      const { value, done } = await this.#reader.read();
      if (done) this.#done = true;
      else if (value.length) {
        this.#chunks.push(value);
        this.#buffered += value.length;
      }
    }
  }

  /** Up to `n` bytes (fewer only at the end), or null when nothing is left. */
  async read(n: number): Promise<Uint8Array | null> {
    await this.#fill(n);
    if (this.#buffered === 0) return n === 0 ? new Uint8Array(0) : null;
    const take = Math.min(n, this.#buffered);
    const first = this.#chunks[0];
    if (first.length - this.#head >= take) {
      const out = first.subarray(this.#head, this.#head + take);
      this.#advance(take);
      return out;
    }
    const out = new Uint8Array(take);
    let filled = 0;
    while (filled < take) {
      const c = this.#chunks[0];
      const part = Math.min(c.length - this.#head, take - filled);
      out.set(c.subarray(this.#head, this.#head + part), filled);
      filled += part;
      this.#advance(part);
    }
    return out;
  }

  /** Drops `n` bytes; false when the stream ended first. */
  async skip(n: number): Promise<boolean> {
    let left = n;
    while (left > 0) {
      await this.#fill(Math.min(left, 1 << 20));
      if (this.#buffered === 0) return false;
      const part = Math.min(left, this.#chunks[0].length - this.#head);
      this.#advance(part);
      left -= part;
    }
    return true;
  }

  #advance(n: number): void {
    this.#head += n;
    this.#buffered -= n;
    if (this.#head === this.#chunks[0].length) {
      this.#chunks.shift();
      this.#head = 0;
    }
  }

  async cancel(): Promise<void> {
    if (!this.#done) await this.#reader.cancel().catch(() => {});
    this.#reader.releaseLock();
  }
}
