import { equal } from "node:assert/strict";

const CLI = new URL("./cli.ts", import.meta.url).href;

async function runCli(input: string | Uint8Array): Promise<string> {
  const child = new Deno.Command(Deno.execPath(), {
    args: ["run", "--allow-read", CLI],
    stdin: "piped",
    stdout: "piped",
    stderr: "piped",
  }).spawn();
  // Write while the child's output is read, or both block on full pipes.
  const bytes = typeof input === "string" ? new TextEncoder().encode(input) : input;
  const writing = ReadableStream.from([bytes]).pipeTo(child.stdin);
  const [{ code, stdout, stderr }] = await Promise.all([child.output(), writing]);
  equal(code, 0, new TextDecoder().decode(stderr));
  return new TextDecoder().decode(stdout);
}

Deno.test("cli: one line of tokens per input line", async () => {
  const out = await runCli("Hello World!\n\nI LOVE Paris\r\nlast line");
  equal(
    out,
    "xxbos xxmaj hello xxmaj world !\nxxbos\nxxbos xxmaj i xxup love xxmaj paris\n" +
      "xxbos last line\n",
  );
});

Deno.test("cli: empty input gives no output", async () => {
  equal(await runCli(""), "");
  equal(await runCli("\n"), "xxbos\n");
});

Deno.test("cli: many lines and multi-byte text across read chunks", async () => {
  const lines: string[] = [];
  const want: string[] = [];
  for (let i = 0; i < 20000; i++) {
    lines.push(`Café ${i} 😀 don't`);
    want.push(`xxbos xxmaj café ${i} 😀 do n't`);
  }
  const out = await runCli(lines.join("\n") + "\n");
  equal(out, want.join("\n") + "\n");
});
