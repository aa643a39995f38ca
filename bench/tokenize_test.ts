import assert from "node:assert/strict";
import { benchTokenize } from "./tokenize.ts";

Deno.test("benchTokenize: a missing text says so and names --path", async () => {
  await assert.rejects(
    benchTokenize({ path: "/nonexistent-fitlam/enwiki.txt.gz", megabytes: 1 }),
    /^Error: Cannot open benchmark text \/nonexistent-fitlam\/enwiki\.txt\.gz: no such file; pass --path FILE\.gz/,
  );
});

Deno.test("deno task bench tokenize without its text: one error line, exit 1, no stack", async () => {
  const out = await new Deno.Command(Deno.execPath(), {
    args: [
      "run",
      "-A",
      new URL("./main.ts", import.meta.url).pathname,
      "tokenize",
      "--no-reference",
      "--path",
      "/nonexistent-fitlam/enwiki.txt.gz",
    ],
    stdout: "piped",
    stderr: "piped",
  }).output();
  const stderr = new TextDecoder().decode(out.stderr);
  assert.equal(out.code, 1, stderr);
  assert.match(
    stderr,
    /\nerror: Cannot open benchmark text .*: no such file; pass --path FILE\.gz/,
  );
  assert.doesNotMatch(stderr, /\n\s+at /);
});

Deno.test("deno task bench with an unknown benchmark: usage error, exit 2", async () => {
  const out = await new Deno.Command(Deno.execPath(), {
    args: ["run", "-A", new URL("./main.ts", import.meta.url).pathname, "nope"],
    stderr: "piped",
  }).output();
  const stderr = new TextDecoder().decode(out.stderr);
  assert.equal(out.code, 2);
  assert.match(
    stderr,
    /^error: Cannot run benchmark "nope": .*\nRun deno task bench --help for usage\.\n$/,
  );
});
