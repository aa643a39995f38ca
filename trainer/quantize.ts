/**
 * `deno task quantize <classifier dir> --out DIR [--dtype int8|f16]`: writes
 * a trained classifier (both directions) in a smaller precision. int8:
 * the embedding, LSTM and head matrices as int8 with one scale per output
 * row (about 4× smaller; the wasm CPU path computes with them directly);
 * f16: every tensor in half precision (2× smaller, widened on load).
 * Biases and BatchNorm stay fp32 in int8 folders.
 *
 * @module
 */
import { isInt8Tensor } from "../shared/model/io.ts";
import { BASELINE_DIR } from "../shared/baseline/saved.ts";
import { readBaselineSource, readClassifierSource } from "../shared/model/source.ts";
import { readDirAtomic, writeDirAtomic } from "../shared/weights/atomic.ts";
import { CONFIG_FILE, MODEL_FILE, saveModelFolder } from "../shared/weights/folder.ts";
import {
  convertTensors,
  WEIGHT_DTYPES,
  type WeightDtype,
  widenTensors,
} from "../shared/weights/quantize.ts";
import { reportFailure } from "../shared/exit.ts";
import { parseCommand } from "./cli.ts";

const USAGE = `Usage: deno task quantize <classifier dir> --out DIR [--dtype int8|f16|f32]

Writes the classifier-fwd/ and classifier-bwd/ of a trained classifier folder into DIR in another
precision: int8 (default; per-row scales, ~4x smaller) or f16 (~2x smaller); f32 widens back.
The blended bag-of-words model (baseline/), when there is one, is copied unchanged.

Options:
  --out DIR      the folder to write
  --dtype D      int8 (default), f16 or f32
  -h, --help     this text
`;

/**
 * Writes every direction of `from` into `out/classifier-<direction>` in
 * `dtype`, and copies the blended bag-of-words model as it is (so the
 * quantized folder answers with the same blend); returns the folders written.
 */
export async function quantizeClassifier(
  from: string,
  out: string,
  dtype: WeightDtype,
): Promise<string[]> {
  const written: string[] = [];
  const loaded = await readClassifierSource(from);
  for (const { direction, raw } of loaded) {
    const tensors = convertTensors(widenTensors(raw.tensors), dtype, isInt8Tensor);
    const config = { ...raw.config, weightDtype: dtype };
    const dir = `${out}/classifier-${direction}`;
    await saveModelFolder(dir, { tensors, config });
    written.push(dir);
  }
  if (await readBaselineSource(from, loaded[0].config.labels!)) {
    const files = await readDirAtomic(`${from}/${BASELINE_DIR}`, [MODEL_FILE, CONFIG_FILE]);
    await writeDirAtomic(`${out}/${BASELINE_DIR}`, files);
    written.push(`${out}/${BASELINE_DIR}`);
  }
  return written;
}

/** The command line; returns the exit status (0 done, 1 failed, 2 bad usage). */
export async function main(args: string[]): Promise<number> {
  const parsed = parseCommand(args, {
    out: { type: "string" },
    dtype: { type: "string", default: "int8" },
  }, USAGE);
  if (typeof parsed === "number") return parsed;
  const { values, positionals } = parsed;
  if (positionals.length !== 1 || !values.out) {
    console.error(
      "error: Cannot quantize: give one classifier folder and --out DIR\nRun with --help for usage.",
    );
    return 2;
  }
  if (!(WEIGHT_DTYPES as readonly string[]).includes(values.dtype!)) {
    console.error(`error: Cannot quantize: --dtype is "${values.dtype}"; pass int8, f16 or f32`);
    return 2;
  }
  try {
    for (
      const dir of await quantizeClassifier(positionals[0], values.out, values.dtype as WeightDtype)
    ) {
      const { size } = await Deno.stat(`${dir}/model.safetensors`);
      console.log(`Wrote ${dir} (${values.dtype}, model.safetensors ${size} bytes)`);
    }
    return 0;
  } catch (e) {
    return reportFailure(e);
  }
}

if (import.meta.main) Deno.exit(await main(Deno.args));
