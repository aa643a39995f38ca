import assert from "node:assert/strict";
import * as tf from "@tensorflow/tfjs";
import { initBackend } from "../backend.ts";
import { loadModelFolder, saveModelFolder } from "../weights/folder.ts";
import { AwdLstm } from "./awd_lstm.ts";
import { TextClassifier } from "./classifier.ts";
import { encoderPreset, type HeadConfig, headPreset } from "./config.ts";
import { loadClassifierModel, loadLm, type ModelConfig, saveClassifier, saveLm } from "./io.ts";

Deno.test("loadLm: a tensor that does not fit names the folder once", async () => {
  const { ops } = await initBackend("cpu");
  const dir = await Deno.makeTempDir();
  try {
    const vocab = Array.from({ length: 12 }, (_, i) => `w${i}`);
    const lm = new AwdLstm(ops, encoderPreset("tiny", vocab.length));
    await saveLm(`${dir}/lm`, lm, { direction: "fwd", vocab });
    lm.params.dispose();
    const saved = await loadModelFolder(`${dir}/lm`);
    delete saved.tensors["decoder.bias"];
    await saveModelFolder(`${dir}/short`, saved);
    await assert.rejects(
      loadLm(ops, `${dir}/short`),
      (e: Error) => {
        assert.equal(
          e.message,
          `Cannot load model from ${dir}/short: tensor "decoder.bias" is missing; config expects F32 [12]`,
        );
        return true;
      },
    );
    const { lm: back } = await loadLm(ops, `${dir}/lm`);
    back.params.dispose();
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

/** Saves a tiny two-class classifier with `poolLayers`; returns it and its logits on two texts. */
async function savedClassifier(dir: string, head: Partial<HeadConfig>) {
  const { ops } = await initBackend("cpu");
  const vocab = Array.from({ length: 12 }, (_, i) => `w${i}`);
  const clf = new TextClassifier(ops, encoderPreset("tiny", vocab.length), {
    ...headPreset(2),
    ...head,
  }, 5);
  await saveClassifier(dir, clf, { direction: "fwd", vocab, labels: ["a", "b"] });
  return { ops, clf, logits: await logitsOf(clf) };
}

async function logitsOf(clf: TextClassifier): Promise<number[]> {
  const tokens = tf.tensor2d([[2, 3, 4, 5], [6, 7, 1, 1]], undefined, "int32");
  return [...await clf.forward(tokens, [4, 2]).logits.data()];
}

Deno.test("saveClassifier → loadClassifierModel keeps poolLayers all, its wider head and its answers", async () => {
  const dir = await Deno.makeTempDir();
  try {
    const { ops, clf, logits } = await savedClassifier(`${dir}/all`, { poolLayers: "all" });
    clf.dispose();
    const stored = JSON.parse(await Deno.readTextFile(`${dir}/all/config.json`));
    assert.equal(stored.head.poolLayers, "all");
    const back = await loadClassifierModel(ops, `${dir}/all`);
    assert.equal(back.config.head!.poolLayers, "all");
    assert.equal(back.clf.headConfig.poolLayers, "all");
    // tiny: layers of 32 and 16 → [last, max, mean] of 48 features.
    assert.deepEqual(back.clf.head.get("head.0.linear.weight").shape, [50, 144]);
    assert.deepEqual(await logitsOf(back.clf), logits);
    back.clf.dispose();
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("a classifier folder written before poolLayers existed loads as last, answering as before", async () => {
  const dir = await Deno.makeTempDir();
  try {
    const { ops, clf, logits } = await savedClassifier(`${dir}/new`, {});
    clf.dispose();
    const saved = await loadModelFolder(`${dir}/new`);
    const config = saved.config as unknown as ModelConfig;
    const { poolLayers: _, ...oldHead } = config.head!;
    await saveModelFolder(`${dir}/old`, { ...saved, config: { ...config, head: oldHead } });
    assert.ok(!(await Deno.readTextFile(`${dir}/old/config.json`)).includes("poolLayers"));
    const back = await loadClassifierModel(ops, `${dir}/old`);
    assert.equal(back.config.head!.poolLayers, "last");
    assert.equal(back.clf.headConfig.poolLayers, "last");
    assert.deepEqual(await logitsOf(back.clf), logits);
    back.clf.dispose();

    const bad = { ...config, head: { ...config.head!, poolLayers: "every" } };
    await saveModelFolder(`${dir}/bad`, { ...saved, config: bad });
    await assert.rejects(
      loadClassifierModel(ops, `${dir}/bad`),
      (e: Error) => {
        assert.equal(
          e.message,
          `Cannot load classifier from ${dir}/bad: config.json has head.poolLayers = "every" must be "last" or "all"`,
        );
        return true;
      },
    );
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});
