/**
 * The README's library example, run as written against the package root
 * (`mod.ts`), on a small classifier folder instead of a trained `weights/` (which is why the
 * README marks it `ts ignore`: `deno test --doc` would run it without weights).
 */
import assert from "node:assert/strict";
import { makeTestWeights } from "../serve/test_weights.ts";

const README = new URL("../README.md", import.meta.url);
const ROOT_MOD = new URL("../mod.ts", import.meta.url).href;

/** The README's one TypeScript block that imports the package root. */
async function libraryExample(): Promise<string> {
  const text = await Deno.readTextFile(README);
  const blocks = [...text.matchAll(/```ts(?: ignore)?\n([\s\S]*?)```/g)].map((m) => m[1]);
  const found = blocks.filter((b) => b.includes(`from "./mod.ts"`));
  assert.equal(found.length, 1, "the README has one ts example importing ./mod.ts");
  return found[0];
}

Deno.test("README library example: loads from the package root, classifies, disposes", async () => {
  const code = await libraryExample();
  assert.match(code, /loadClassifier\("weights"/);
  const weights = await makeTestWeights(["fwd", "bwd"]);
  const file = await Deno.makeTempFile({ suffix: ".ts" });
  await Deno.writeTextFile(
    file,
    code.replace(`"./mod.ts"`, JSON.stringify(ROOT_MOD))
      .replace(`"weights"`, JSON.stringify(weights)) + "\nexport { p };\n",
  );
  const { p } = await import(`file://${file}`);
  assert.ok(p.label === "ham" || p.label === "spam", p.label);
  assert.equal(p.score, Math.max(p.scores.ham, p.scores.spam));
  assert.ok(Math.abs(p.scores.ham + p.scores.spam - 1) < 1e-5);
  await Deno.remove(file);
  await Deno.remove(weights, { recursive: true });
});
