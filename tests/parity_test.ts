// Parity with the independent PyTorch reference (tools/torch_reference.py):
// LM logits, loss, states and every gradient, with and without dropout
// masks, and the classifier's pooling, BatchNorm and gradients, on every
// backend this machine has.
import assert from "node:assert/strict";
import type { Tensor, Tensor1D, Tensor2D } from "@tensorflow/tfjs";
import { initBackend, probeGpu } from "../shared/backend.ts";
import type { NamedTensor } from "../shared/weights/safetensors.ts";
import { decodeSafetensors } from "../shared/weights/safetensors_read.ts";
import { AwdLstm } from "../shared/model/awd_lstm.ts";
import { crossEntropy, TextClassifier } from "../shared/model/classifier.ts";
import type { AwdLstmConfig, HeadConfig } from "../shared/model/config.ts";
import type { EncoderMasks } from "../shared/model/dropout.ts";
import type { Ops } from "../shared/ops/ops.ts";
import { paramName } from "../shared/model/params.ts";

const fixture = decodeSafetensors(
  await Deno.readFile(new URL("./fixtures/parity_tiny.safetensors", import.meta.url)),
).tensors;
const meta = JSON.parse(
  await Deno.readTextFile(new URL("./fixtures/parity_tiny.json", import.meta.url)),
);

const OUTPUT_TOL = 1e-4;
const GRAD_TOL = 1e-3;

const encoderConfig: AwdLstmConfig = {
  vocabSize: 17,
  embSize: 8,
  hiddenSize: 10,
  numLayers: 3,
  padId: 1,
  embedDropout: 0,
  inputDropout: 0,
  hiddenDropout: 0,
  outputDropout: 0,
  weightDropout: 0,
};
const headConfig = (bptt: number): HeadConfig => ({
  hiddenSizes: [5],
  dropouts: [0, 0],
  numClasses: 3,
  bnEps: 1e-5,
  bnMomentum: 0.1,
  maxLen: 1400,
  bptt,
  concatPool: true,
  poolLayers: "last",
});

function get(name: string): NamedTensor {
  const t = fixture[name];
  assert.ok(t, `fixture has no tensor ${name}`);
  return t;
}

function params(prefix = "param."): Record<string, { shape: number[]; data: Float32Array }> {
  const out: Record<string, { shape: number[]; data: Float32Array }> = {};
  for (const [k, v] of Object.entries(fixture)) {
    if (k.startsWith(prefix)) {
      out[k.slice(prefix.length)] = { shape: v.shape, data: v.data as Float32Array };
    }
  }
  return out;
}

/** max |a − b| / max |b|: the error relative to the tensor's scale. */
async function relError(actual: Tensor, expected: NamedTensor): Promise<number> {
  assert.deepEqual(actual.shape, expected.shape, "shape");
  const a = await actual.data();
  const b = expected.data as Float32Array;
  let diff = 0, scale = 0;
  for (let i = 0; i < b.length; i++) {
    diff = Math.max(diff, Math.abs(a[i] - b[i]));
    scale = Math.max(scale, Math.abs(b[i]));
  }
  return scale === 0 ? diff : diff / scale;
}

async function expectClose(actual: Tensor, name: string, tol: number, report: string[]) {
  const err = await relError(actual, get(name));
  report.push(`${name}: ${err.toExponential(2)}`);
  assert.ok(err <= tol, `${name}: relative error ${err} > ${tol}`);
}

function tensorOf(ops: Ops, name: string): Tensor {
  const t = get(name);
  return ops.tensor(t.data as Float32Array, t.shape, t.dtype === "I32" ? "int32" : "float32");
}

function fixtureMasks(ops: Ops): EncoderMasks {
  return {
    embedRows: tensorOf(ops, "mask.embed_rows") as Tensor1D,
    input: tensorOf(ops, "mask.input") as Tensor2D,
    hidden: [0, 1].map((l) => tensorOf(ops, `mask.hidden.${l}`) as Tensor2D),
    output: tensorOf(ops, "mask.output") as Tensor2D,
    weightHh: [0, 1, 2].map((l) => tensorOf(ops, `mask.weight_hh.${l}`) as Tensor2D),
  };
}

async function checkLm(ops: Ops, report: string[]) {
  assert.equal(meta.config?.V ?? meta.config?.vocab_size ?? 17, 17);
  const lm = new AwdLstm(ops, encoderConfig);
  lm.params.load(params(), { partial: true });
  const tokens = tensorOf(ops, "input.lm_tokens") as Tensor2D;
  const targets = tensorOf(ops, "input.lm_targets") as Tensor2D;

  const enc = lm.encode(tokens);
  await expectClose(lm.logits(enc.output), "expect.lm_logits", OUTPUT_TOL, report);
  for (let l = 0; l < 3; l++) {
    await expectClose(enc.state.h[l], `expect.lm_h.${l}`, OUTPUT_TOL, report);
    await expectClose(enc.state.c[l], `expect.lm_c.${l}`, OUTPUT_TOL, report);
  }
  const next = lm.encode(tensorOf(ops, "input.lm_tokens2") as Tensor2D, enc.state);
  await expectClose(lm.logits(next.output), "expect.lm_logits2", OUTPUT_TOL, report);

  for (const [masks, key] of [[undefined, "lm"], [fixtureMasks(ops), "lm_drop"]] as const) {
    const { value, grads } = ops.variableGrads(
      // chunkRows 5 makes the fused decoder loss walk several chunks (N = 18).
      () => lm.lmLoss(tokens, targets, { masks, chunkRows: 5 }).loss,
      lm.params.trainable(),
    );
    await expectClose(value, `expect.${key}_loss`, OUTPUT_TOL, report);
    for (const [name, g] of Object.entries(grads)) {
      await expectClose(g, `expect.${key}_grad.${paramName(name)}`, GRAD_TOL, report);
    }
    assert.equal(Object.keys(grads).length, 14);
  }
  const logitsDrop = lm.logits(lm.encode(tokens, undefined, fixtureMasks(ops)).output);
  await expectClose(logitsDrop, "expect.lm_drop_logits", OUTPUT_TOL, report);
}

async function checkClassifier(ops: Ops, bptt: number, report: string[]) {
  const clf = new TextClassifier(ops, encoderConfig, headConfig(bptt));
  clf.encoder.params.load(params(), { partial: true });
  clf.head.load(params(), { partial: true });
  const tokens = tensorOf(ops, "input.cls_tokens") as Tensor2D;
  const lengths = Array.from(get("input.cls_lengths").data as Int32Array);
  const labels = tensorOf(ops, "input.cls_labels");

  const evalOut = clf.forward(tokens, lengths);
  await expectClose(ops.softmax(evalOut.logits), "expect.cls_probs_eval", OUTPUT_TOL, report);

  let updates: Awaited<ReturnType<typeof clf.forward>>["runningUpdates"] = [];
  const { value, grads } = ops.variableGrads(() => {
    const out = clf.forward(tokens, lengths, { training: true });
    updates = out.runningUpdates.map(([v, t]) => [v, ops.keep(t)]);
    return crossEntropy(ops, out.logits, labels) as never;
  }, clf.trainableVariables());
  await expectClose(value, "expect.cls_loss", OUTPUT_TOL, report);
  // With chunks shorter than the document the state is detached between
  // chunks (as in fastai), so only the head's gradients equal the reference.
  const chunked = bptt < tokens.shape[1];
  for (const [name, g] of Object.entries(grads)) {
    if (chunked && !paramName(name).startsWith("head.")) continue;
    await expectClose(g, `expect.cls_grad.${paramName(name)}`, GRAD_TOL, report);
  }
  assert.equal(Object.keys(grads).length, 13 + 8);
  const train = clf.forward(tokens, lengths, { training: true });
  await expectClose(train.pooled, "expect.cls_pooled", OUTPUT_TOL, report);
  await expectClose(train.logits, "expect.cls_logits_train", OUTPUT_TOL, report);
  await expectClose(ops.softmax(train.logits), "expect.cls_probs_train", OUTPUT_TOL, report);
  clf.applyRunningUpdates(updates);
  for (const k of [0, 1]) {
    await expectClose(
      clf.head.get(`head.${k}.bn.running_mean`),
      `expect.cls_running_mean.${k}`,
      OUTPUT_TOL,
      report,
    );
    await expectClose(
      clf.head.get(`head.${k}.bn.running_var`),
      `expect.cls_running_var.${k}`,
      OUTPUT_TOL,
      report,
    );
  }
}

// WebGPU runs in its own process (see .ci/run): Mesa's driver can abort at process exit.
const gpu = Deno.env.get("FITLAM_TEST_WEBGPU") ? await probeGpu() : undefined;
for (const device of ["cpu", "wasm", "webgpu"] as const) {
  Deno.test({
    name: `PyTorch parity on ${device}: LM outputs, states and gradients`,
    ignore: device === "webgpu" && !gpu,
    sanitizeResources: false,
    sanitizeOps: false,
    async fn() {
      const { ops } = await initBackend(device);
      const report: string[] = [];
      await checkLm(ops, report);
      if (Deno.env.get("FITLAM_PARITY_REPORT")) console.log(report.join("\n"));
    },
  });
  for (const bptt of [70, 3]) {
    Deno.test({
      name: `PyTorch parity on ${device}: classifier (BPT3C chunk ${bptt})`,
      ignore: device === "webgpu" && !gpu,
      sanitizeResources: false,
      sanitizeOps: false,
      async fn() {
        const { ops } = await initBackend(device);
        const report: string[] = [];
        await checkClassifier(ops, bptt, report);
        if (Deno.env.get("FITLAM_PARITY_REPORT")) console.log(report.join("\n"));
      },
    });
  }
}
