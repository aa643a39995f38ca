/**
 * `deno task export-lm <checkpoint dir> --out DIR [--half]`: turns a
 * language-model checkpoint (stage 1 or 2, finished or not) into a model
 * folder that stage 2 can start from (`--from`). This is how a pretraining
 * run that spans several sessions ships its weights before it ends.
 *
 * @module
 */
import { encoderPreset, type PresetName } from "../shared/model/config.ts";
import { type Direction, type ModelConfig, saveLmParams } from "../shared/model/io.ts";
import type { ParamData } from "../shared/model/params.ts";
import { loadModelFolder } from "../shared/weights/folder.ts";
import type { NamedTensor } from "../shared/weights/safetensors.ts";
import {
  type CheckpointModel,
  loadCheckpoint,
  type LoopState,
  paramSection,
  saveCheckpoint,
} from "./checkpoint.ts";
import { reportFailure } from "../shared/exit.ts";
import { parseCommand } from "./cli.ts";

const USAGE = `Usage: deno task export-lm <checkpoint dir> --out DIR [--half] [--vocab FILE]
       deno task export-lm --to-checkpoint <LM dir> --out CHECKPOINT_DIR [--reopen]

Writes the weights of an LM checkpoint (OUT/checkpoints/pretrain-fwd, ...) as a model folder, or
(--to-checkpoint) turns such a folder back into a checkpoint that \`train pretrain --resume\` goes
on from, e.g. to continue the shipped LMs' run on another machine.

Options:
  --out DIR          the folder to write (e.g. weights/enwiki/pretrain-fwd)
  --half             store the weights in half precision (half the size; widened on load)
  --vocab FILE       a JSON list of the vocabulary, for checkpoints written before they carried it
  --to-checkpoint    the other way: an exported LM folder to a checkpoint (fresh optimizer state)
  --reopen           with --to-checkpoint, for a run that finished its epochs: mark it unfinished,
                     so that --resume with a larger pretrain.epochs trains further epochs (each
                     epoch's cosine starts again at the top rate)
  -h, --help         this text
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
    // Where the run stood (stage, epoch, step, data position, RNG, done), so it can go on from
    // these weights on another machine; the optimizer's step count and extras stay behind.
    metrics: { loop: { ...loop, adamT: undefined, extra: undefined } },
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

/**
 * The inverse of {@linkcode exportLm}: a checkpoint from an exported LM folder, so that
 * `train pretrain --resume` goes on where the exported run stood (same step and data position)
 * on a machine that lacks the run's own checkpoints. The optimizer starts afresh (the folder holds
 * no Adam moments) and, from half precision, the weights are the rounded ones.
 *
 * @example
 * ```ts ignore
 * await checkpointFromLm("weights/enwiki/pretrain-fwd", "runs/wiki/checkpoints/pretrain-fwd");
 * ```
 */
export async function checkpointFromLm(
  lmDir: string,
  checkpointDir: string,
  opts: { reopen?: boolean } = {},
): Promise<LoopState> {
  const raw = await loadModelFolder(lmDir, { toFloat32: true });
  const config = raw.config as unknown as ModelConfig;
  const loop = (config.metrics as { loop?: LoopState } | undefined)?.loop;
  if (config.kind !== "lm" || !loop) {
    throw new Error(
      `Cannot make a checkpoint of ${lmDir}: it is not an LM exported from a checkpoint ` +
        "(its config.json has no metrics.loop); export one with `deno task export-lm`",
    );
  }
  if (opts.reopen && loop.done && loop.stepInEpoch !== 0) {
    throw new Error(
      `Cannot reopen ${lmDir}: its run stopped ${loop.stepInEpoch} steps into an epoch ` +
        "(stopped early), not at the end of one; resume it without --reopen",
    );
  }
  const model = { vocab: config.vocab, preset: config.preset ?? "small", encoder: config.encoder };
  const full: LoopState = {
    ...loop,
    ...(opts.reopen ? { done: false } : {}),
    adamT: 0,
    extra: { validLosses: [], model },
  };
  const tensors: Record<string, NamedTensor> = {};
  for (const [name, t] of Object.entries(raw.tensors)) tensors[`param.${name}`] = t;
  await saveCheckpoint(checkpointDir, { loop: full, tensors });
  return full;
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
  while (params[`rnns.${numLayers}.weight_hh`]) numLayers++;
  const first = params["rnns.0.weight_hh"];
  const hiddenSize = numLayers > 1 && first ? first.shape[1] : base.hiddenSize;
  return { ...base, embSize, hiddenSize, numLayers: numLayers || base.numLayers };
}

/** The command line; returns the exit status (0 done, 1 failed, 2 bad usage). */
export async function main(args: string[]): Promise<number> {
  const parsed = parseCommand(args, {
    out: { type: "string" },
    half: { type: "boolean" },
    vocab: { type: "string" },
    "to-checkpoint": { type: "boolean" },
    reopen: { type: "boolean" },
  }, USAGE);
  if (typeof parsed === "number") return parsed;
  const { values, positionals } = parsed;
  if (positionals.length !== 1 || !values.out) {
    console.error(
      "error: Cannot export: give one checkpoint folder and --out DIR\nRun with --help for usage.",
    );
    return 2;
  }
  if (values.reopen && !values["to-checkpoint"]) {
    console.error(
      "error: Cannot export: --reopen goes with --to-checkpoint\nRun with --help for usage.",
    );
    return 2;
  }
  try {
    if (values["to-checkpoint"]) {
      const loop = await checkpointFromLm(positionals[0], values.out, { reopen: values.reopen });
      console.log(
        `Wrote ${values.out}: ${loop.stage} ${loop.direction} at step ${loop.globalStep}` +
          (values.reopen
            ? `, after epoch ${loop.epoch}; continue with \`deno task train pretrain --resume\` ` +
              `and pretrain.epochs above ${loop.epoch} to train further epochs`
            : "; continue with `deno task train pretrain --resume` and the run's settings"),
      );
      return 0;
    }
    const vocab = values.vocab ? JSON.parse(await Deno.readTextFile(values.vocab)) : undefined;
    const r = await exportLm(positionals[0], values.out, { half: values.half, vocab });
    console.log(
      `Wrote ${r.dir}: ${r.stage} ${r.direction}, step ${r.step}, ` +
        `${r.done ? "finished" : `epoch ${r.epoch + 1} in progress`}, vocabulary ${r.vocabSize}`,
    );
    return 0;
  } catch (e) {
    return reportFailure(e);
  }
}

if (import.meta.main) Deno.exit(await main(Deno.args));
