/**
 * Tokenizes stdin, one document a line, and prints one line of
 * space-separated tokens per input line (an empty line gives `xxbos`).
 * Input is streamed and output is written in large blocks, so files of any
 * size go through in constant memory.
 *
 * Run: `deno task tokenize < reviews.txt > tokens.txt`
 *
 * @module
 */

import { tokenize } from "./tokenizer.ts";

const FLUSH_CHARS = 1 << 16;

/**
 * Reads documents from `input` (one a line, `\n` or `\r\n` endings) and
 * writes their tokens to `output`, one line each.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { tokenizeStream } from "./cli.ts";
 * const chunks: Uint8Array[] = [];
 * await tokenizeStream(
 *   ReadableStream.from([new TextEncoder().encode("Hi!\n\n")]),
 *   new WritableStream({ write: (c) => void chunks.push(c) }),
 * );
 * const text = new TextDecoder().decode(chunks[0]);
 * assert.equal(text, "xxbos xxmaj hi !\nxxbos\n");
 * ```
 */
export async function tokenizeStream(
  input: ReadableStream<Uint8Array>,
  output: WritableStream<Uint8Array>,
): Promise<void> {
  const writer = output.getWriter();
  const encoder = new TextEncoder();
  let pending: string[] = [];
  let pendingChars = 0;
  const emit = async (line: string) => {
    if (line.endsWith("\r")) line = line.slice(0, -1);
    const out = tokenize(line).join(" ");
    pending.push(out);
    pendingChars += out.length + 1;
    if (pendingChars >= FLUSH_CHARS) {
      const block = pending.join("\n") + "\n";
      pending = [];
      pendingChars = 0;
      await writer.write(encoder.encode(block));
    }
  };
  let rest = "";
  for await (const chunk of input.pipeThrough(new TextDecoderStream())) {
    let from = 0;
    let nl = chunk.indexOf("\n");
    if (nl >= 0 && rest !== "") {
      await emit(rest + chunk.slice(0, nl));
      rest = "";
      from = nl + 1;
      nl = chunk.indexOf("\n", from);
    }
    while (nl >= 0) {
      await emit(chunk.slice(from, nl));
      from = nl + 1;
      nl = chunk.indexOf("\n", from);
    }
    rest += chunk.slice(from);
  }
  // A last line without a final newline is still a document.
  if (rest !== "") await emit(rest);
  if (pending.length > 0) await writer.write(encoder.encode(pending.join("\n") + "\n"));
  await writer.close();
}

if (import.meta.main) {
  try {
    await tokenizeStream(Deno.stdin.readable, Deno.stdout.writable);
  } catch (e) {
    // The reader went away (`| head`): stop quietly, as other filters do.
    if (!(e instanceof Deno.errors.BrokenPipe)) throw e;
  }
}
