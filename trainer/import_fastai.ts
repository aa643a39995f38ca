/**
 * `deno task import-fastai <model.pth> <itos.pkl> --out DIR [--direction fwd|bwd]`:
 * turns one of fastai's published WikiText-103 language models into fitlam's
 * `DIR/pretrain-<direction>`, so stage 2 (`deno task train finetune-lm`)
 * starts from it instead of a stage 1 that costs GPU days. Pure TypeScript:
 * no Python or PyTorch needed.
 *
 * @module
 */
import { basename } from "node:path";
import { reportFailure } from "../shared/exit.ts";
import { parseCommand } from "./cli.ts";
import { convertFastaiLm, type FastaiGeneration } from "../shared/import/fastai.ts";
import { parseItos } from "../shared/import/fastai_vocab.ts";
import { readTorchCheckpoint } from "../shared/import/torch_checkpoint.ts";
import { type Direction, saveLmParams } from "../shared/model/io.ts";

const USAGE = `Usage: deno task import-fastai <model.pth> <itos.pkl> --out DIR [--direction fwd|bwd]

Converts a fastai AWD-LSTM language model and its vocabulary into DIR/pretrain-<direction>,
the folder that \`deno task train finetune-lm\` starts from (with --out DIR or --from DIR).
Reads fastai v1/v2's lstm_fwd.pth / lstm_bwd.pth and fastai 0.7's fwd_wt103.h5 /
bwd_wt103.h5 (PyTorch zip or legacy format) with itos_wt103.pkl.

Options:
  --out DIR          output folder (required); writes DIR/pretrain-fwd or DIR/pretrain-bwd
  --direction D      fwd | bwd (default: bwd when the model's file name contains "bwd", else fwd)
  -h, --help         this text
`;

/** What {@linkcode importFastai} needs. */
export interface ImportFastaiOptions {
  /** The fastai checkpoint (`lstm_fwd.pth`, `fwd_wt103.h5`, ...). */
  model: string;
  /** Its pickled vocabulary (`itos_wt103.pkl`). */
  itos: string;
  /** Output folder; the model goes to `out/pretrain-<direction>`. */
  out: string;
  /** Reading direction; default from the model's file name. */
  direction?: Direction;
}

/** What {@linkcode importFastai} did. */
export interface ImportFastaiResult {
  /** The folder written. */
  dir: string;
  direction: Direction;
  generation: FastaiGeneration;
  /** Checkpoint layout: torch ≥ 1.6 zip or legacy. */
  format: "zip" | "legacy";
  vocabSize: number;
  /** Lines worth showing the user. */
  notes: string[];
}

/**
 * `bwd` when the file name says so (`lstm_bwd.pth`, `bwd_wt103.h5`), else `fwd`.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { directionFromName } from "./import_fastai.ts";
 * assert.equal(directionFromName("wt103/bwd_wt103.h5"), "bwd");
 * assert.equal(directionFromName("models/lstm_fwd.pth"), "fwd");
 * ```
 */
export function directionFromName(path: string): Direction {
  return /(^|[^a-z])bwd([^a-z]|$)/i.test(basename(path)) ? "bwd" : "fwd";
}

async function readInput(path: string): Promise<Uint8Array> {
  try {
    return await Deno.readFile(path);
  } catch (e) {
    const why = e instanceof Deno.errors.NotFound
      ? "the file does not exist; download and extract fastai's model first (see README)"
      : e instanceof Deno.errors.IsADirectory || (e as Error).message.includes("directory")
      ? "it is a folder; pass the .pth/.h5 or .pkl file inside it"
      : e instanceof Deno.errors.PermissionDenied || e instanceof Deno.errors.NotCapable
      ? `it cannot be read (${(e as Error).message})`
      : (e as Error).message;
    throw new Error(`Cannot import ${path}: ${why}`);
  }
}

/**
 * Reads a fastai checkpoint and vocabulary and writes the fitlam language
 * model folder `out/pretrain-<direction>`.
 *
 * @example
 * ```ts ignore
 * const r = await importFastai({ model: "wt103/lstm_fwd.pth", itos: "wt103/itos_wt103.pkl", out: "weights" });
 * console.log(r.dir); // weights/pretrain-fwd
 * ```
 */
export async function importFastai(opts: ImportFastaiOptions): Promise<ImportFastaiResult> {
  const direction = opts.direction ?? directionFromName(opts.model);
  const names = { model: opts.model, itos: opts.itos };
  const [modelBytes, itosBytes] = [await readInput(opts.model), await readInput(opts.itos)];
  const itos = parseItos(itosBytes, opts.itos);
  const checkpoint = readTorchCheckpoint(modelBytes, {
    errorPrefix: `Cannot import ${opts.model}`,
  });
  const lm = convertFastaiLm(checkpoint.value, itos, names);
  const dir = `${opts.out.replace(/\/+$/, "") || "."}/pretrain-${direction}`;
  try {
    await saveLmParams(dir, lm.encoder, lm.params, { direction, vocab: lm.vocab });
  } catch (e) {
    const msg = (e as Error).message;
    throw new Error(msg.startsWith("Cannot") ? msg : `Cannot write ${dir}: ${msg}`);
  }
  return {
    dir,
    direction,
    generation: lm.generation,
    format: checkpoint.format,
    vocabSize: lm.vocab.length,
    notes: lm.notes,
  };
}

/**
 * The command line: returns the exit status (0 done, 1 import failed,
 * 2 bad usage). Messages go to stderr, the result line to stdout.
 *
 * @example
 * ```ts ignore
 * Deno.exit(await main(["lstm_fwd.pth", "itos_wt103.pkl", "--out", "weights"]));
 * ```
 */
export async function main(args: string[]): Promise<number> {
  const parsed = parseCommand(args, {
    out: { type: "string" },
    direction: { type: "string" },
  }, USAGE);
  if (typeof parsed === "number") return parsed;
  const { values, positionals } = parsed;
  const usage = (message: string) => {
    console.error(`error: ${message}\nRun with --help for usage.`);
    return 2;
  };
  if (positionals.length !== 2) {
    return usage(
      `Cannot import: expected 2 files (the model and its itos .pkl), got ${positionals.length}`,
    );
  }
  if (!values.out) return usage("Cannot import: --out DIR is required");
  const d = values.direction;
  if (d !== undefined && d !== "fwd" && d !== "bwd") {
    return usage(`Cannot use --direction ${d}: use fwd or bwd`);
  }
  try {
    const r = await importFastai({
      model: positionals[0],
      itos: positionals[1],
      out: values.out,
      direction: d as Direction | undefined,
    });
    console.error(`${r.format === "zip" ? "zip" : "legacy"} PyTorch checkpoint, ${r.notes[0]}`);
    for (const note of r.notes.slice(1)) console.error(`note: ${note}`);
    if (d === undefined) {
      console.error(
        `note: direction ${r.direction} from the file name (pass --direction to choose)`,
      );
    }
    console.error(
      "note: the vocabulary comes from fastai's spaCy-based tokenizer, which splits some text " +
        "differently from fitlam's (see README); fine-tuning adapts the model to fitlam's tokens",
    );
    const out = values.out;
    const other = r.direction === "fwd" ? "bwd" : "fwd";
    console.log(
      `Wrote ${r.dir} (${r.vocabSize} tokens). Next, stages 2 and 3 on your task ` +
        `(import the ${other} model too, or add --direction ${r.direction}):\n` +
        `  deno task train finetune-lm --out ${out} && deno task train classify --out ${out} && ` +
        `deno task train evaluate --out ${out}\n` +
        `(or keep ${out} as is and pass --from ${out} --out OTHER_DIR to the first two)`,
    );
    return 0;
  } catch (e) {
    return reportFailure(e);
  }
}

if (import.meta.main) Deno.exit(await main(Deno.args));
