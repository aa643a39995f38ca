/**
 * Tokenizer throughput: tokens per second on the first megabytes of the
 * cleaned English Wikipedia dump, one core.
 *
 * Run: `deno run --allow-read bench/tokenize.ts [--path FILE.gz] [--megabytes N]`
 *
 * @module
 */

import { fileURLToPath } from "node:url";
import { reportFailure } from "../shared/exit.ts";
import { tokenize } from "../shared/tokenizer/tokenizer.ts";
import { type BenchRow, findTorch, runReference, withRatio } from "./common.ts";

/** Options of {@linkcode benchTokenize}. */
export interface BenchTokenizeOptions {
  /** Gzipped text, one document a line; default: the enwiki dump beside the repo. */
  path?: string;
  /** Decompressed megabytes (MiB) to read from the start of the file; default 10. */
  megabytes?: number;
}

/** Result of {@linkcode benchTokenize}. */
export interface BenchTokenizeResult {
  tokensPerSecond: number;
  /** Tokens of one pass over all lines (`xxbos` included). */
  tokens: number;
  /** Median seconds of one pass. */
  seconds: number;
  /** Decompressed megabytes (MiB) tokenized. */
  megabytes: number;
}

const DEFAULT_PATH = new URL("../../shared/data/enwiki/enwiki_clean.txt.gz", import.meta.url);
const RUNS = 3;

/** Reads and decompresses the first `maxBytes` bytes of a gzip file. */
async function readGzipPrefix(path: string | URL, maxBytes: number): Promise<Uint8Array> {
  let file: Deno.FsFile;
  try {
    file = await Deno.open(path);
  } catch (e) {
    const name = path instanceof URL ? fileURLToPath(path) : path;
    // The default text lies beside the repository, so a fresh checkout has none.
    const why = e instanceof Deno.errors.NotFound ? "no such file" : (e as Error).message;
    throw new Error(
      `Cannot open benchmark text ${name}: ${why}; pass --path FILE.gz (gzipped text, one document a line)`,
    );
  }
  const buf = new Uint8Array(maxBytes);
  let filled = 0;
  const reader = file.readable.pipeThrough(new DecompressionStream("gzip")).getReader();
  while (filled < maxBytes) {
    const { value, done } = await reader.read();
    if (done) break;
    const take = Math.min(value.length, maxBytes - filled);
    buf.set(value.subarray(0, take), filled);
    filled += take;
  }
  // Stop decompressing the rest of the file; this also closes it.
  await reader.cancel();
  return buf.subarray(0, filled);
}

function tokenizeAll(lines: string[]): number {
  let tokens = 0;
  for (const line of lines) tokens += tokenize(line).length;
  return tokens;
}

/**
 * Tokenizes every non-empty line of the first `megabytes` of the file once to
 * warm up, then times 3 passes and reports the median.
 *
 * @example
 * ```ts ignore
 * import { benchTokenize } from "./tokenize.ts";
 * const r = await benchTokenize({ megabytes: 1 });
 * console.log(`${Math.round(r.tokensPerSecond)} tokens/s`);
 * ```
 */
export async function benchTokenize(
  opts: BenchTokenizeOptions = {},
): Promise<BenchTokenizeResult> {
  const megabytes = opts.megabytes ?? 10;
  if (!(megabytes > 0)) {
    throw new Error(`Cannot run tokenizer benchmark: megabytes must be positive, got ${megabytes}`);
  }
  const bytes = await readGzipPrefix(opts.path ?? DEFAULT_PATH, Math.floor(megabytes * 1048576));
  const lines = new TextDecoder().decode(bytes).split("\n");
  // The last line is cut at the byte limit; a blank line is not a document.
  if (lines.length > 1) lines.pop();
  const docs = lines.filter((l) => l.trim() !== "");
  if (docs.length === 0) throw new Error("Cannot run tokenizer benchmark: the text has no lines");

  const tokens = tokenizeAll(docs); // warm-up
  const times: number[] = [];
  for (let r = 0; r < RUNS; r++) {
    const t0 = performance.now();
    const got = tokenizeAll(docs);
    times.push((performance.now() - t0) / 1000);
    if (got !== tokens) throw new Error("Cannot trust benchmark: token counts differ between runs");
  }
  times.sort((a, b) => a - b);
  const seconds = times[RUNS >> 1];
  return { tokensPerSecond: tokens / seconds, tokens, seconds, megabytes: bytes.length / 1048576 };
}

function parseArgs(args: string[]): BenchTokenizeOptions {
  const opts: BenchTokenizeOptions = {};
  for (let i = 0; i < args.length; i++) {
    const [flag, inline] = args[i].split("=", 2);
    const value = inline ?? args[++i];
    if (value === undefined) throw new Error(`Cannot parse arguments: ${flag} needs a value`);
    if (flag === "--path") opts.path = value;
    else if (flag === "--megabytes") opts.megabytes = Number(value);
    else throw new Error(`Cannot parse arguments: unknown flag ${flag}`);
  }
  return opts;
}

if (import.meta.main) {
  let r: BenchTokenizeResult;
  try {
    r = await benchTokenize(parseArgs(Deno.args));
  } catch (e) {
    Deno.exit(reportFailure(e));
  }
  console.log(
    `tokenize: ${r.tokens} tokens from ${r.megabytes.toFixed(1)} MiB in ${r.seconds.toFixed(3)} s` +
      ` (median of ${RUNS}) = ${(r.tokensPerSecond / 1e6).toFixed(2)}M tokens/s`,
  );
}

/**
 * The `tokenize` rows of the harness: fitlam's tokenizer against
 * bench/py_tokenize.py (Python `re.findall` of words and punctuation on the
 * same lines, lower-cased: a simpler tokenizer than fitlam's fastai rules, so
 * the reference does less work per token).
 */
export async function benchTokenizeRows(
  o: { noReference: boolean; log: (line: string) => void },
  opts: BenchTokenizeOptions,
): Promise<BenchRow[]> {
  const path = opts.path ?? DEFAULT_PATH.pathname;
  const megabytes = opts.megabytes ?? 10;
  o.log(`tokenize: fitlam, ${megabytes} MiB…`);
  const r = await benchTokenize({ path, megabytes });
  const row: BenchRow = {
    name: "tokenize",
    config: { megabytes: Number(r.megabytes.toFixed(1)), threads: 1 },
    fitlam: r.tokensPerSecond,
    unit: "tokens/s",
  };
  const py = o.noReference ? null : await findTorch();
  if (py) {
    o.log("tokenize: Python regex reference…");
    const ref = await runReference(py, "py_tokenize.py", [
      "--path",
      path,
      "--megabytes",
      String(megabytes),
    ], 1);
    row.reference = ref.tokens_per_second as number;
    row.referenceName =
      `Python ${ref.python} re.findall(r"\\w+|[^\\w\\s]") on lower-cased lines (bench/py_tokenize.py; less work than fitlam's rules)`;
    row.note = `fitlam ${r.tokens.toLocaleString("en-US")} tokens, reference ${
      (ref.tokens as number).toLocaleString("en-US")
    } tokens for the same text`;
  }
  return [withRatio(row)];
}
