import assert from "node:assert/strict";
import { join } from "node:path";
import type { ExpectedTensors } from "./expected.ts";
import {
  CONFIG_FILE,
  loadModelFolder,
  MODEL_FILE,
  saveModelFolder,
  tensorsDigest,
} from "./folder.ts";
import type { NamedTensor } from "./safetensors.ts";
import { decodeSafetensors } from "./safetensors_read.ts";
import { encodeSafetensors } from "./safetensors_write.ts";
import { sha256Hex } from "./sha256.ts";

async function withTempDir(body: (parent: string) => Promise<void>): Promise<void> {
  const parent = await Deno.makeTempDir({ prefix: "fitlam-folder-" });
  try {
    await body(parent);
  } finally {
    await Deno.remove(parent, { recursive: true });
  }
}

const TENSORS: Record<string, NamedTensor> = {
  "encoder.weight": { dtype: "F32", shape: [4, 3], data: new Float32Array(12).map((_, i) => i) },
  "rnns.0.weight_hh": {
    dtype: "F16",
    shape: [2, 2],
    data: new Uint16Array([0x3c00, 0, 0, 0xc000]),
  },
  "vocab.ids": { dtype: "I32", shape: [4], data: new Int32Array([0, 1, 2, 3]) },
};

const CONFIG = { emb: 3, hidden: 2, vocab: ["<unk>", "a", "b", "c"] };

const EXPECT: ExpectedTensors = {
  "encoder.weight": { dtype: "F32", shape: [4, 3] },
  "rnns.0.weight_hh": { dtype: "F16", shape: [2, 2] },
  "vocab.ids": { dtype: "I32", shape: [4] },
};

/** Asserts `promise` rejects with exactly `message`. */
async function assertRefused(promise: Promise<unknown>, message: string | RegExp): Promise<void> {
  await assert.rejects(promise, (error: Error) => {
    if (typeof message === "string") assert.equal(error.message, message);
    else assert.match(error.message, message);
    return true;
  });
}

Deno.test("save then load round-trips tensors and config", async () => {
  await withTempDir(async (parent) => {
    const dir = join(parent, "weights", "fwd");
    const saved = await saveModelFolder(dir, { tensors: TENSORS, config: CONFIG });
    const loaded = await loadModelFolder(dir, { expect: EXPECT });
    assert.deepEqual(loaded.config, CONFIG);
    assert.deepEqual(loaded.tensors, TENSORS);
    assert.equal(loaded.checksum, saved.checksum);
    assert.equal(loaded.checksum, await sha256Hex(await Deno.readFile(join(dir, MODEL_FILE))));
    assert.match(loaded.checksum, /^[0-9a-f]{64}$/);
  });
});

Deno.test("the folder holds pretty config.json and tagged model.safetensors, nothing else", async () => {
  await withTempDir(async (parent) => {
    const dir = join(parent, "fwd");
    await saveModelFolder(dir, { tensors: TENSORS, config: CONFIG });
    const names: string[] = [];
    for await (const entry of Deno.readDir(dir)) names.push(entry.name);
    assert.deepEqual(names.sort(), [CONFIG_FILE, MODEL_FILE]);
    const configText = await Deno.readTextFile(join(dir, CONFIG_FILE));
    assert.equal(configText, JSON.stringify(CONFIG, null, 2) + "\n");
    const { metadata } = decodeSafetensors(await Deno.readFile(join(dir, MODEL_FILE)));
    assert.deepEqual(metadata, {
      format: "fitlam",
      config_sha256: await sha256Hex(configText),
      tensors_sha256: await tensorsDigest(TENSORS),
    });
  });
});

type Header = Record<string, { data_offsets: number[]; tensors_sha256?: string }>;

/** Rewrites `dir`'s model.safetensors with the header `edit` returns, keeping the data bytes. */
async function editHeader(dir: string, edit: (header: Header) => void) {
  const bytes = await Deno.readFile(join(dir, MODEL_FILE));
  const n = Number(new DataView(bytes.buffer).getBigUint64(0, true));
  const header = JSON.parse(new TextDecoder().decode(bytes.subarray(8, 8 + n)));
  edit(header);
  const text = new TextEncoder().encode(JSON.stringify(header).padEnd(n, " "));
  assert.equal(text.length, n, "the edited header keeps its length");
  bytes.set(text, 8);
  await Deno.writeFile(join(dir, MODEL_FILE), bytes);
}

Deno.test("load refuses flipped tensor bytes and a header that swaps two tensors' data", async () => {
  await withTempDir(async (parent) => {
    const dir = join(parent, "fwd");
    const same = { dtype: "F32" as const, shape: [2] };
    const tensors: Record<string, NamedTensor> = {
      a: { ...same, data: new Float32Array([1, 2]) },
      b: { ...same, data: new Float32Array([3, 4]) },
    };
    const corrupt =
      /Cannot load model from .*fwd: model\.safetensors is corrupt: its tensors do not match the SHA-256 recorded when it was saved .*; restore it/;
    await saveModelFolder(dir, { tensors, config: CONFIG });
    const bytes = await Deno.readFile(join(dir, MODEL_FILE));
    bytes[bytes.length - 2] ^= 0x01; // one bit of b's last float
    await Deno.writeFile(join(dir, MODEL_FILE), bytes);
    await assert.rejects(loadModelFolder(dir), corrupt);

    await saveModelFolder(dir, { tensors, config: CONFIG });
    await editHeader(dir, (h) => {
      [h.a.data_offsets, h.b.data_offsets] = [h.b.data_offsets, h.a.data_offsets];
    });
    // Still a well-formed file: only the digest tells.
    assert.deepEqual(
      Array.from(
        decodeSafetensors(await Deno.readFile(join(dir, MODEL_FILE))).tensors.a
          .data as Float32Array,
      ),
      [3, 4],
    );
    await assert.rejects(loadModelFolder(dir, { toFloat32: true }), corrupt);
  });
});

Deno.test("a folder saved before the tensor digest (no tensors_sha256) still loads", async () => {
  await withTempDir(async (parent) => {
    const dir = join(parent, "fwd");
    await saveModelFolder(dir, { tensors: TENSORS, config: CONFIG });
    await editHeader(dir, (h) => {
      h.__metadata__.tensors_sha256 = undefined;
    });
    const { tensors } = await loadModelFolder(dir, { toFloat32: true });
    assert.equal(tensors["rnns.0.weight_hh"].dtype, "F32");
    assert.equal(tensors["rnns.0.weight_hh"].data[3], -2);
  });
});

Deno.test("saving again replaces the folder; equal input gives equal checksums", async () => {
  await withTempDir(async (parent) => {
    const dir = join(parent, "fwd");
    const first = await saveModelFolder(dir, { tensors: TENSORS, config: CONFIG });
    const other = await saveModelFolder(dir, { tensors: {}, config: { empty: true } });
    assert.notEqual(other.checksum, first.checksum);
    assert.deepEqual((await loadModelFolder(dir)).config, { empty: true });
    const again = await saveModelFolder(dir, { tensors: TENSORS, config: CONFIG });
    assert.equal(again.checksum, first.checksum);
  });
});

Deno.test("toFloat32 widens half tensors, and expect then describes the F32 result", async () => {
  await withTempDir(async (parent) => {
    await saveModelFolder(parent, { tensors: TENSORS, config: CONFIG });
    const expect = { ...EXPECT, "rnns.0.weight_hh": { dtype: "F32" as const, shape: [2, 2] } };
    const { tensors } = await loadModelFolder(parent, { expect, toFloat32: true });
    assert.deepEqual([...tensors["rnns.0.weight_hh"].data], [1, 0, 0, -2]);
  });
});

Deno.test("save refuses a config that is not a JSON object, writing nothing", async () => {
  await withTempDir(async (parent) => {
    const dir = join(parent, "fwd");
    for (const [config, got] of [[null, "null"], [[1], "an array"], [7, "number"]] as const) {
      await assertRefused(
        saveModelFolder(dir, { tensors: {}, config: config as unknown as object }),
        `Cannot save model to ${dir}: config must be a JSON object, got ${got}`,
      );
    }
    await assertRefused(
      saveModelFolder(dir, { tensors: {}, config: { n: 1n } }),
      /^Cannot save model to .*: config cannot be written as JSON \(/,
    );
    await assertRefused(
      saveModelFolder(dir, {
        tensors: { w: { dtype: "F32", shape: [2], data: new Float32Array(3) } },
        config: {},
      }),
      'Cannot encode tensor "w": shape [2] needs 2 elements, data has 3',
    );
    await assert.rejects(Deno.stat(dir), Deno.errors.NotFound);
  });
});

Deno.test("load refuses a missing folder, naming the fix", async () => {
  await withTempDir(async (parent) => {
    const dir = join(parent, "weights", "fwd");
    await assertRefused(
      loadModelFolder(dir),
      `Cannot load model from ${dir}: folder not found; train one with \`deno task train\`, or name the folder that holds it`,
    );
  });
});

Deno.test("load refuses a folder missing either file", async () => {
  await withTempDir(async (parent) => {
    await saveModelFolder(parent, { tensors: TENSORS, config: CONFIG });
    await Deno.remove(join(parent, CONFIG_FILE));
    await assertRefused(
      loadModelFolder(parent),
      `Cannot load model from ${parent}: config.json is missing; the folder is incomplete, so save or train the model again`,
    );
    await saveModelFolder(parent, { tensors: TENSORS, config: CONFIG });
    await Deno.remove(join(parent, MODEL_FILE));
    await assertRefused(
      loadModelFolder(parent),
      /: model\.safetensors is missing; the folder is incomplete/,
    );
  });
});

Deno.test("load refuses a config.json that is not a JSON object", async () => {
  await withTempDir(async (parent) => {
    await saveModelFolder(parent, { tensors: TENSORS, config: CONFIG });
    await Deno.writeTextFile(join(parent, CONFIG_FILE), '{"emb": 3,');
    await assertRefused(
      loadModelFolder(parent),
      new RegExp(`^Cannot load model from ${parent}: config\\.json is not valid JSON \\(`),
    );
    await Deno.writeTextFile(join(parent, CONFIG_FILE), "[1, 2]");
    await assertRefused(loadModelFolder(parent), /: config\.json does not hold a JSON object$/);
  });
});

Deno.test("load refuses a config.json from a different save", async () => {
  await withTempDir(async (parent) => {
    await saveModelFolder(parent, { tensors: TENSORS, config: CONFIG });
    const edited = JSON.stringify({ ...CONFIG, hidden: 3 }, null, 2) + "\n";
    await Deno.writeTextFile(join(parent, CONFIG_FILE), edited);
    const actual = await sha256Hex(edited);
    const expected = await sha256Hex(JSON.stringify(CONFIG, null, 2) + "\n");
    await assertRefused(
      loadModelFolder(parent),
      `Cannot load model from ${parent}: config.json does not belong to model.safetensors ` +
        `(its sha256 is ${actual}, the weights expect ${expected}); the files come from ` +
        "different saves, so save the model again",
    );
  });
});

Deno.test("load refuses safetensors without this project's metadata", async () => {
  await withTempDir(async (parent) => {
    const configText = JSON.stringify(CONFIG, null, 2) + "\n";
    await Deno.writeTextFile(join(parent, CONFIG_FILE), configText);
    await Deno.writeFile(join(parent, MODEL_FILE), encodeSafetensors(TENSORS));
    await assertRefused(
      loadModelFolder(parent),
      /: model\.safetensors is not a fitlam model \(metadata format is null\); re-save it/,
    );
    await Deno.writeFile(
      join(parent, MODEL_FILE),
      encodeSafetensors(TENSORS, { format: "fitlam" }),
    );
    await assertRefused(loadModelFolder(parent), /the weights expect none\)/);
  });
});

Deno.test("load refuses a truncated or corrupt model.safetensors", async () => {
  await withTempDir(async (parent) => {
    await saveModelFolder(parent, { tensors: TENSORS, config: CONFIG });
    const path = join(parent, MODEL_FILE);
    const good = await Deno.readFile(path);
    await Deno.writeFile(path, good.subarray(0, good.length - 1));
    await assertRefused(
      loadModelFolder(parent),
      new RegExp(
        `^Cannot load model from ${parent}: model\\.safetensors is corrupt: tensor "vocab\\.ids" ` +
          "has data_offsets \\[56, 72\\] past the end of the 71-byte data section; the file is truncated$",
      ),
    );
    const flipped = good.slice();
    flipped[9] = 0x7b; // breaks the JSON header
    await Deno.writeFile(path, flipped);
    await assertRefused(
      loadModelFolder(parent),
      /: model\.safetensors is corrupt: the header is not valid JSON/,
    );
    await Deno.writeFile(path, new Uint8Array(0));
    await assertRefused(
      loadModelFolder(parent),
      /: model\.safetensors is corrupt: the file is 0 bytes/,
    );
  });
});

Deno.test("expect: a wrong shape is named, as the config sees it", async () => {
  await withTempDir(async (parent) => {
    const dir = join(parent, "weights", "fwd");
    await saveModelFolder(dir, {
      tensors: {
        "rnns.0.weight_hh": { dtype: "F32", shape: [40, 10], data: new Float32Array(400) },
      },
      config: {},
    });
    await assertRefused(
      loadModelFolder(dir, { expect: { "rnns.0.weight_hh": { dtype: "F32", shape: [44, 11] } } }),
      `Cannot load model from ${dir}: tensor "rnns.0.weight_hh" has shape [40,10], config expects [44,11]`,
    );
  });
});

Deno.test("expect: wrong dtype, missing and unexpected tensors are refused", async () => {
  await withTempDir(async (parent) => {
    await saveModelFolder(parent, { tensors: TENSORS, config: CONFIG });
    const where = `Cannot load model from ${parent}`;
    await assertRefused(
      loadModelFolder(parent, { expect: { ...EXPECT, "vocab.ids": { dtype: "I64", shape: [4] } } }),
      `${where}: tensor "vocab.ids" has dtype I32, config expects I64`,
    );
    await assertRefused(
      loadModelFolder(parent, {
        expect: { ...EXPECT, "decoder.bias": { dtype: "F32", shape: [4] } },
      }),
      `${where}: tensor "decoder.bias" is missing; config expects F32 [4]`,
    );
    const { "vocab.ids": _dropped, ...fewer } = EXPECT;
    await assertRefused(
      loadModelFolder(parent, { expect: fewer }),
      `${where}: tensor "vocab.ids" is present but config does not expect it`,
    );
    // F16 is not silently accepted for F32 without toFloat32.
    await assertRefused(
      loadModelFolder(parent, {
        expect: { ...EXPECT, "rnns.0.weight_hh": { dtype: "F32", shape: [2, 2] } },
      }),
      `${where}: tensor "rnns.0.weight_hh" has dtype F16, config expects F32`,
    );
  });
});

Deno.test("expect: only the first mismatch, in the expectation's order, is reported", async () => {
  await withTempDir(async (parent) => {
    await saveModelFolder(parent, { tensors: TENSORS, config: CONFIG });
    const expect: ExpectedTensors = {
      "vocab.ids": { dtype: "I32", shape: [5] }, // first listed, first reported
      "encoder.weight": { dtype: "F32", shape: [1] },
      "missing": { dtype: "U8", shape: [] },
    };
    await assertRefused(
      loadModelFolder(parent, { expect }),
      `Cannot load model from ${parent}: tensor "vocab.ids" has shape [4], config expects [5]`,
    );
  });
});
