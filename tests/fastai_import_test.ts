// Importing fastai's AWD-LSTM language models (tools/fastai_fixtures.py writes
// tiny checkpoints of each fastai generation and PyTorch's logits for them):
// the imported fitlam model must give the same logits, and user mistakes must
// give one-line "Cannot import ..." errors.
import assert from "node:assert/strict";
import type { Tensor2D } from "@tensorflow/tfjs";
import { initBackend } from "../shared/backend.ts";
import { loadLm } from "../shared/model/io.ts";
import { SPECIAL_TOKENS } from "../shared/tokenizer/special_tokens.ts";
import { importFastai, main } from "../trainer/import_fastai.ts";

const FIXTURES = new URL("./fixtures/fastai/", import.meta.url).pathname;
const expected = JSON.parse(await Deno.readTextFile(`${FIXTURES}expected.json`));
const TOL = 1e-4;

// fastai 0.7's special tokens as fitlam spells them (fastai v1/v2 spell them as fitlam).
const V07: Record<string, string> = {
  _unk_: "xxunk",
  _pad_: "xxpad",
  xbos: "xxbos",
  xfld: "xxfld",
  t_up: "xxup",
  tk_rep: "xxrep",
  tk_wrep: "xxwrep",
};

const CASES = [
  { model: "v07_fwd_wt103.h5", itos: "v07", hidden: 11, direction: "fwd", format: "legacy" },
  { model: "v1_lstm_fwd.pth", itos: "v1", hidden: 12, direction: "fwd", format: "zip" },
  { model: "v1_half.pth", itos: "v1", hidden: 12, direction: "fwd", format: "legacy" },
  { model: "v2_lstm_bwd.pth", itos: "v2", hidden: 12, direction: "bwd", format: "zip" },
] as const;

const itosFile = (v: string) => `${FIXTURES}${v}_itos_wt103.pkl`;

async function withTempDir<T>(fn: (dir: string) => Promise<T>): Promise<T> {
  const dir = await Deno.makeTempDir({ prefix: "fitlam-import-" });
  try {
    return await fn(dir);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
}

for (const c of CASES) {
  Deno.test({
    name: `import fastai ${c.model}: same LM logits as PyTorch`,
    sanitizeResources: false,
    sanitizeOps: false,
    fn: () =>
      withTempDir(async (out) => {
        const r = await importFastai({ model: FIXTURES + c.model, itos: itosFile(c.itos), out });
        assert.equal(r.dir, `${out}/pretrain-${c.direction}`);
        assert.equal(r.direction, c.direction);
        assert.equal(r.format, c.format);
        if (c.model === "v1_half.pth") assert.ok(r.notes.some((n) => n.includes("float16")));

        const { ops } = await initBackend("cpu");
        const { lm, config } = await loadLm(ops, r.dir);
        assert.equal(config.direction, c.direction);
        assert.deepEqual(config.vocab.slice(0, 9), [...SPECIAL_TOKENS]);
        assert.equal(config.encoder.hiddenSize, c.hidden);
        assert.equal(config.encoder.embSize, 8);
        assert.equal(config.encoder.numLayers, 3);

        // Their ids → our ids by string.
        const theirs: string[] = expected.itos[c.itos];
        const ourId = theirs.map((t) => config.vocab.indexOf(V07[t] ?? t));
        assert.ok(ourId.every((i) => i >= 0), "every fastai token has a fitlam id");
        const want = expected[c.model];
        const tokens = want.tokens.map((row: number[]) => row.map((j) => ourId[j]));
        const logits = lm.logits(
          lm.encode(
            ops.tensor(tokens.flat(), [tokens.length, tokens[0].length], "int32") as Tensor2D,
          )
            .output,
        );
        const got = await logits.data();
        const [B, T, V] = want.shape;
        const ourV = config.vocab.length;
        let diff = 0, scale = 0;
        for (let b = 0; b < B; b++) {
          for (let t = 0; t < T; t++) {
            for (let j = 0; j < V; j++) {
              if (theirs.indexOf(theirs[j]) !== j) continue; // a dropped repeat (xxfake)
              const e = want.logits[(b * T + t) * V + j];
              const a = got[(b * T + t) * ourV + ourId[j]];
              diff = Math.max(diff, Math.abs(a - e));
              scale = Math.max(scale, Math.abs(e));
            }
          }
        }
        assert.ok(diff / scale <= TOL, `relative error ${diff / scale} > ${TOL}`);
        lm.params.dispose();
      }),
  });
}

Deno.test({
  name: "import fastai 0.7: missing special tokens start as the mean embedding, no decoder bias",
  sanitizeResources: false,
  sanitizeOps: false,
  fn: () =>
    withTempDir(async (out) => {
      const r = await importFastai({
        model: `${FIXTURES}v07_fwd_wt103.h5`,
        itos: itosFile("v07"),
        out,
        direction: "bwd",
      });
      assert.equal(r.dir, `${out}/pretrain-bwd`);
      assert.ok(r.notes.some((n) => n.includes("xxeos, xxmaj, xxwrep")), r.notes.join("\n"));
      const { ops } = await initBackend("cpu");
      const { lm, config } = await loadLm(ops, r.dir);
      // 15 fastai tokens: 6 specials mapped, 9 words kept, plus 3 specials they lack.
      assert.equal(config.vocab.length, 18);
      assert.ok(config.vocab.includes("t_mx"));
      const emb = await lm.params.get("encoder.weight").array() as number[][];
      const bias = await lm.params.get("decoder.bias").data();
      assert.ok(bias.every((b) => b === 0));
      const rows = expected.itos.v07.length;
      for (const id of [3, 5, 8]) { // xxeos, xxmaj, xxwrep
        for (let e = 0; e < 8; e++) {
          // The mean of fastai's rows: the 15 rows that came across, taken back out.
          const present = config.vocab.map((_, i) => i).filter((i) => ![3, 5, 8].includes(i));
          const mean = present.reduce((s, i) => s + emb[i][e], 0) / rows;
          assert.ok(Math.abs(emb[id][e] - mean) < 1e-6);
        }
      }
      lm.params.dispose();
    }),
});

async function importError(model: string, itos: string): Promise<string> {
  return await withTempDir(async (out) => {
    const e = await importFastai({ model, itos, out }).then(
      () => assert.fail("the import should have failed"),
      (e: Error) => e,
    );
    assert.match(e.message, /^Cannot import /);
    return e.message;
  });
}

Deno.test("import errors: files that are no checkpoint", async () => {
  const dir = await Deno.makeTempDir({ prefix: "fitlam-import-" });
  try {
    const text = `${dir}/notes.txt`, gz = `${dir}/wt103-fwd.tgz`, tar = `${dir}/model.tar`;
    await Deno.writeTextFile(text, "this is not a model\n");
    await Deno.writeFile(gz, new Uint8Array([0x1f, 0x8b, 8, 0, 0, 0, 0, 0]));
    const tarBytes = new Uint8Array(1024);
    tarBytes.set(new TextEncoder().encode("ustar"), 257);
    await Deno.writeFile(tar, tarBytes);
    const v1Itos = itosFile("v1");
    assert.match(await importError(text, v1Itos), /notes\.txt: it is not a PyTorch checkpoint/);
    assert.match(await importError(gz, v1Itos), /gzip-compressed .*tar xzf/);
    assert.match(await importError(tar, v1Itos), /tar archive; extract it first/);
    assert.match(
      await importError(v1Itos, v1Itos),
      /it is a Python pickle holding a list of 20, not a PyTorch checkpoint/,
    );
    assert.match(
      await importError(`${dir}/missing.pth`, v1Itos),
      /missing\.pth: the file does not exist/,
    );
    assert.match(await importError(dir, v1Itos), /it is a folder/);
    // Arguments swapped: the model where the vocabulary belongs.
    assert.match(
      await importError(`${FIXTURES}v1_lstm_fwd.pth`, `${FIXTURES}v1_lstm_fwd.pth`),
      /v1_lstm_fwd\.pth: it is a zip file .*pass the model first/,
    );
    assert.match(
      await importError(`${FIXTURES}v07_fwd_wt103.h5`, `${FIXTURES}v07_fwd_wt103.h5`),
      /legacy PyTorch checkpoint, not the vocabulary/,
    );
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("import errors: damaged checkpoints", async () => {
  const dir = await Deno.makeTempDir({ prefix: "fitlam-import-" });
  try {
    const legacy = await Deno.readFile(`${FIXTURES}v07_fwd_wt103.h5`);
    const zip = await Deno.readFile(`${FIXTURES}v1_lstm_fwd.pth`);
    await Deno.writeFile(`${dir}/cut.h5`, legacy.subarray(0, legacy.length - 100));
    await Deno.writeFile(`${dir}/cut_pickle.h5`, legacy.subarray(0, 300));
    await Deno.writeFile(`${dir}/cut.pth`, zip.subarray(0, zip.length - 100));
    assert.match(
      await importError(`${dir}/cut.h5`, itosFile("v07")),
      /cut\.h5: the file ends inside storage .*truncated download/,
    );
    assert.match(
      await importError(`${dir}/cut_pickle.h5`, itosFile("v07")),
      /its pickled data is damaged .*the data ends/,
    );
    assert.match(
      await importError(`${dir}/cut.pth`, itosFile("v1")),
      /cut\.pth: it looks like a zip file but cannot be unzipped/,
    );
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("import errors: layouts and shapes that do not fit", async () => {
  assert.match(
    await importError(`${FIXTURES}unknown_layout.pth`, itosFile("v1")),
    /match no fastai AWD-LSTM language model \(found: fc\.weight, fc\.bias\)/,
  );
  assert.match(
    await importError(`${FIXTURES}v1_lstm_fwd.pth`, itosFile("v2")),
    /0\.encoder\.weight has 20 rows but .*v2_itos_wt103\.pkl lists 24 tokens; use the itos/,
  );
  assert.match(
    await importError(`${FIXTURES}untied_decoder.pth`, itosFile("v2")),
    /1\.decoder\.weight differs from 0\.encoder\.weight \(by up to 0\.250\).*always ties/,
  );
});

Deno.test({
  name: "import CLI: one-line errors and exit codes, no stack traces",
  sanitizeResources: false,
  sanitizeOps: false,
  async fn() {
    const run = async (...args: string[]) => {
      const out = await new Deno.Command(Deno.execPath(), {
        args: ["run", "--allow-read", "--allow-write", "trainer/import_fastai.ts", ...args],
        cwd: new URL("..", import.meta.url).pathname,
        stdout: "piped",
        stderr: "piped",
      }).output();
      return { code: out.code, stderr: new TextDecoder().decode(out.stderr) };
    };
    const bad = await run(`${FIXTURES}unknown_layout.pth`, itosFile("v1"), "--out", "/tmp/unused");
    assert.equal(bad.code, 1);
    assert.match(bad.stderr, /^error: Cannot import .*unknown_layout\.pth: /);
    assert.doesNotMatch(bad.stderr, /\n\s+at /);
    const usage = await run(`${FIXTURES}v1_lstm_fwd.pth`, "--out", "/tmp/unused");
    assert.equal(usage.code, 2);
    assert.match(usage.stderr, /expected 2 files/);
  },
});

Deno.test("import CLI: --direction and --out are checked", async () => {
  const errors: string[] = [];
  const original = console.error;
  console.error = (...a: unknown[]) => void errors.push(a.join(" "));
  try {
    const m = `${FIXTURES}v1_lstm_fwd.pth`;
    assert.equal(await main([m, itosFile("v1"), "--out", "x", "--direction", "up"]), 2);
    assert.equal(await main([m, itosFile("v1")]), 2);
    assert.equal(await main([m, itosFile("v1"), "--bogus"]), 2);
  } finally {
    console.error = original;
  }
  assert.match(errors[0], /Cannot use --direction up: use fwd or bwd/);
  assert.match(errors[1], /--out DIR is required/);
});
