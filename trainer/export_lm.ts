/**
 * `deno task export-lm <checkpoint dir> --out DIR [--half]`: turns a
 * language-model checkpoint (stage 1 or 2, finished or not) into a model
 * folder that stage 2 can start from (`--from`). This is how a pretraining
 * run that spans several sessions ships its weights before it ends.
 *
 * @module
 */
import { parseArgs } from "node:util";
import { encoderPreset, type PresetName } from "../shared/model/config.ts";
import { type Direction, saveLmParams } from "../shared/model/io.ts";
import type { ParamData } from "../shared/model/params.ts";
import { type CheckpointModel, loadCheckpoint, paramSection } from "./checkpoint.ts";

const USAGE = `Usage: deno task export-lm <checkpoint dir> --out DIR [--half] [--vocab FILE]

Writes the weights of an LM checkpoint (OUT/checkpoints/pretrain-fwd, ...) as a model folder.

Options:
  --out DIR      the model folder to write (e.g. weights/wiki-fwd)
  --half         store the weights in half precision (half the size; widened on load)
  --vocab FILE   a JSON list of the vocabulary, for checkpoints written before they carried it
  -h, --help     this text
`;

/** What {@linkcode exportLm} reports. */
export interface ExportedLm {
  dir: string;
  direction: Direction;
  stage: string;
  /** Epochs done (fractional: steps into the current epoch are not counted). */
  epoch: number;
  step: number;
  done: boolean;
  vocabSize: number;
}

/**
 * Exports the LM weights of the checkpoint in `checkpointDir` to `out`.
 *
 * @example
 * ```ts ignore
 * await exportLm("runs/wiki/checkpoints/pretrain-fwd", "weights/wiki-fwd", { half: true });
 * ```
 */
export async function exportLm(
  checkpointDir: string,
  out: string,
  o: { half?: boolean; vocab?: string[] } = {},
): Promise<ExportedLm> {
  const c = await loadCheckpoint(checkpointDir);
  if (!c) throw new Error(`Cannot export ${checkpointDir}: it holds no checkpoint (config.json)`);
  const { loop } = c;
  if (loop.stage !== "pretrain" && loop.stage !== "finetune-lm") {
    throw new Error(
      `Cannot export ${checkpointDir}: it is a ${loop.stage} checkpoint, not a language model's`,
    );
  }
  const model = loop.extra?.model as (CheckpointModel & { encoder?: unknown }) | undefined;
  const vocab = o.vocab ?? model?.vocab;
  if (!vocab) {
    throw new Error(
      `Cannot export ${checkpointDir}: the checkpoint does not carry its vocabulary; ` +
        "pass --vocab FILE (a JSON list of the run's words)",
    );
  }
  const params: Record<string, ParamData> = paramSection(c.tensors, "param.");
  const emb = params["encoder.weight"];
  if (!emb) throw new Error(`Cannot export ${checkpointDir}: no encoder.weight tensor`);
  const encoder = model?.encoder
    ? model.encoder as ReturnType<typeof encoderPreset>
    : encoderFromShapes(params, (model?.preset ?? "small") as PresetName, vocab.length);
  const direction = loop.direction as Direction;
  await saveLmParams(out, encoder, params, {
    direction,
    vocab: [...vocab],
    preset: model?.preset,
    metrics: {
      stage: loop.stage,
      epochsDone: loop.epoch,
      step: loop.globalStep,
      finished: loop.done,
    },
  }, { half: o.half });
  return {
    dir: out,
    direction,
    stage: loop.stage,
    epoch: loop.epoch,
    step: loop.globalStep,
    done: loop.done,
    vocabSize: vocab.length,
  };
}

/** Sizes read off the tensors (older checkpoints carry no config); dropouts from the preset. */
function encoderFromShapes(
  params: Record<string, ParamData>,
  preset: PresetName,
  vocabSize: number,
) {
  const base = encoderPreset(preset, vocabSize);
  const [rows, embSize] = params["encoder.weight"].shape;
  if (rows !== vocabSize) {
    throw new Error(
      `Cannot export: the vocabulary has ${vocabSize} words, the embedding ${rows} rows`,
    );
  }
  let numLayers = 0;
  while (params[`rnns.${numLayers}.weight_hh_raw`] ?? params[`rnns.${numLayers}.weight_hh`]) {
    numLayers++;
  }
  const first = params["rnns.0.weight_hh_raw"] ?? params["rnns.0.weight_hh"];
  const hiddenSize = numLayers > 1 && first ? first.shape[1] : base.hiddenSize;
  return { ...base, embSize, hiddenSize, numLayers: numLayers || base.numLayers };
}

/** The command line; returns the exit status (0 done, 1 failed, 2 bad usage). */
export async function main(args: string[]): Promise<number> {
  let parsed;
  try {
    parsed = parseArgs({
      args,
      allowPositionals: true,
      strict: true,
      options: {
        out: { type: "string" },
        half: { type: "boolean" },
        vocab: { type: "string" },
        help: { type: "boolean", short: "h" },
      },
    });
  } catch (e) {
    console.error(`error: ${(e as Error).message}\nRun with --help for usage.`);
    return 2;
  }
  const { values, positionals } = parsed;
  if (values.help) {
    console.log(USAGE);
    return 0;
  }
  if (positionals.length !== 1 || !values.out) {
    console.error(
      "error: Cannot export: give one checkpoint folder and --out DIR\nRun with --help for usage.",
    );
    return 2;
  }
  try {
    const vocab = values.vocab ? JSON.parse(await Deno.readTextFile(values.vocab)) : undefined;
    const r = await exportLm(positionals[0], values.out, { half: values.half, vocab });
    console.log(
      `Wrote ${r.dir}: ${r.stage} ${r.direction}, step ${r.step}, ` +
        `${r.done ? "finished" : `epoch ${r.epoch + 1} in progress`}, vocabulary ${r.vocabSize}`,
    );
    return 0;
  } catch (e) {
    const err = e as Error;
    console.error(err.message?.startsWith("Cannot") ? `error: ${err.message}` : err);
    return 1;
  }
}

if (import.meta.main) Deno.exit(await main(Deno.args));
