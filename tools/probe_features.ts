/**
 * A linear probe's input: what an LM's hidden states say about a task before
 * any classifier training. For every document it writes the mean, max and
 * last output of each LSTM layer (frozen LM, no dropout); `probe_features.py`
 * then fits logistic regression on 100, 500, 1,000 and all labels beside
 * TF-IDF + LR. Cheap enough to compare LM snapshots or sizes without running
 * stage 3.
 *
 * ```sh
 * deno run -A tools/probe_features.ts --lm RUN/finetune-fwd --data train.csv --test test.csv \
 *   --format zhang --out /tmp/ag-fwd
 * /usr/bin/python3 tools/probe_features.py /tmp/ag-fwd
 * ```
 *
 * @module
 */
import { parseArgs } from "node:util";
import { initBackend } from "../shared/backend.ts";
import { exitWithError } from "../shared/exit.ts";
import { loadLm } from "../shared/model/io.ts";
import { encodeText } from "../shared/pipeline.ts";
import { Vocab } from "../shared/tokenizer/mod.ts";
import { loadTask, type TaskFormat } from "../trainer/data/tasks.ts";

/**
 * Mean, max and last step of one layer's output `y` ([T, B, H], time-major)
 * for each of the B sequences, over its first `lengths[b]` steps (at least
 * one): [B, 3H] as rows of mean | max | last.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { poolLayer } from "./probe_features.ts";
 * // T = 3, B = 2, H = 1: sequence 0 is [1, 5, 3]; sequence 1 is [2, 4, (pad 9)].
 * const y = new Float32Array([1, 2, 5, 4, 3, 9]);
 * assert.deepEqual([...poolLayer(y, 3, 2, 1, [3, 2])], [3, 5, 3, 3, 4, 4]);
 * ```
 */
export function poolLayer(
  y: Float32Array,
  T: number,
  B: number,
  H: number,
  lengths: number[],
): Float32Array {
  const out = new Float32Array(B * 3 * H);
  for (let b = 0; b < B; b++) {
    const len = Math.min(T, Math.max(1, lengths[b]));
    for (let h = 0; h < H; h++) {
      let sum = 0, max = -Infinity;
      for (let t = 0; t < len; t++) {
        const v = y[(t * B + b) * H + h];
        sum += v;
        if (v > max) max = v;
      }
      const row = b * 3 * H;
      out[row + h] = sum / len;
      out[row + H + h] = max;
      out[row + 2 * H + h] = y[((len - 1) * B + b) * H + h];
    }
  }
  return out;
}

async function main(): Promise<void> {
  const { values: a } = parseArgs({
    options: {
      lm: { type: "string" },
      data: { type: "string" },
      test: { type: "string" },
      format: { type: "string", default: "auto" },
      seed: { type: "string", default: "42" },
      out: { type: "string" },
    },
  });
  if (!a.lm || !a.data || !a.out) {
    exitWithError("Cannot probe: give --lm DIR, --data FILE and --out PREFIX (see the header)");
  }
  const { ops } = await initBackend("wasm");
  const { lm, config } = await loadLm(ops, a.lm);
  const vocab = Vocab.fromItos(config.vocab);
  const task = await loadTask({
    train: a.data,
    test: a.test,
    format: a.format as TaskFormat,
    seed: Number(a.seed),
  });
  const docs = [
    ...task.train.map((d) => ({ ...d, split: "train" })),
    ...(task.valid ?? []).map((d) => ({ ...d, split: "valid" })),
    ...task.test.map((d) => ({ ...d, split: "test" })),
  ];
  const seqs = docs.map((d) => encodeText(vocab, d.text, config.direction));
  const { numLayers, hiddenSize, embSize } = lm.config;
  const sizes = Array.from(
    { length: numLayers },
    (_, l) => l < numLayers - 1 ? hiddenSize : embSize,
  );
  const width = sizes.reduce((s, h) => s + 3 * h, 0);
  const features = new Float32Array(docs.length * width);
  // Right padding leaves a forward pass's first `length` steps untouched, so batches are exact.
  const order = seqs.map((_, i) => i).sort((x, y) => seqs[x].length - seqs[y].length);
  for (let s = 0; s < order.length; s += 64) {
    const idx = order.slice(s, s + 64);
    const T = Math.max(1, ...idx.map((i) => seqs[i].length));
    const flat = new Int32Array(idx.length * T).fill(config.encoder.padId);
    idx.forEach((i, b) => flat.set(seqs[i], b * T));
    const layers = ops.tidy(() => lm.encode(ops.tensor2d(flat, [idx.length, T], "int32")).layers);
    let offset = 0;
    for (const [l, y] of layers.entries()) {
      const pooled = poolLayer(
        (await y.data()) as Float32Array,
        T,
        idx.length,
        sizes[l],
        idx.map((i) => seqs[i].length),
      );
      idx.forEach((i, b) =>
        features.set(pooled.subarray(b * 3 * sizes[l], (b + 1) * 3 * sizes[l]), i * width + offset)
      );
      offset += 3 * sizes[l];
      y.dispose();
    }
    console.error(`probe: ${Math.min(s + 64, order.length)}/${order.length} documents`);
  }
  await Deno.writeFile(`${a.out}.f32`, new Uint8Array(features.buffer));
  await Deno.writeTextFile(
    `${a.out}.json`,
    JSON.stringify({
      lm: a.lm,
      width,
      sizes,
      labels: docs.map((d) => d.label),
      split: docs.map((d) => d.split),
      text: docs.map((d) => d.text),
    }),
  );
  console.error(`probe: wrote ${a.out}.f32 (${docs.length} × ${width}) and ${a.out}.json`);
}

if (import.meta.main) await main();
