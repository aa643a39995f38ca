import assert from "node:assert/strict";
import { loadDefaultCorpus, loadDefaultTask } from "./default.ts";

Deno.test("loadDefaultCorpus: State of the Union addresses then Moby-Dick chapters", async () => {
  const docs = await loadDefaultCorpus();
  assert.equal(docs.length, 233 + 139);
  assert.match(docs[0], /^Fellow-Citizens of the Senate/);
  assert.ok(docs.every((d) => d.length > 0 && d === d.trim()));
});

Deno.test("loadDefaultTask: fixed seeded 70/10/20 stratified ham/spam split of bodies", async () => {
  const task = await loadDefaultTask();
  assert.deepEqual(task.labels, ["ham", "spam"]);
  const count = (part: "train" | "valid" | "test", label: string) =>
    task[part]!.filter((r) => r.label === label).length;
  // These counts are quoted in the README; a change here must update it.
  assert.deepEqual([count("train", "ham"), count("valid", "ham"), count("test", "ham")], [
    2905,
    415,
    830,
  ]);
  assert.deepEqual([count("train", "spam"), count("valid", "spam"), count("test", "spam")], [
    1327,
    190,
    379,
  ]);
  const all = [...task.train, ...task.valid!, ...task.test];
  assert.ok(all.every((r) => r.text.length > 0 && r.text.length <= 20_000));
  // Two spam messages nest a second header block in their body; no other starts with one.
  assert.ok(all.filter((r) => /^(From |Return-Path:|Received:)/.test(r.text)).length <= 2);
  const again = await loadDefaultTask({ seed: 42 });
  assert.deepEqual(
    again.test.map((r) => r.text.slice(0, 40)),
    task.test.map((r) => r.text.slice(0, 40)),
  );
});
