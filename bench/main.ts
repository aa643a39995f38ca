/**
 * `deno task bench <name>`: fitlam's benchmarks. Implemented: `tokenize`
 * (tokens per second over 10 MB of the enwiki sample). The speed harness
 * against PyTorch (train, infer, serve) is tracked in issue 5.
 *
 * @module
 */
import { benchTokenize } from "./tokenize.ts";

const BENCHES = ["tokenize"] as const;

if (import.meta.main) {
  const name = Deno.args[0];
  if (name !== "tokenize") {
    console.error(
      `Cannot run benchmark "${name ?? ""}": available benchmarks are ${BENCHES.join(", ")}`,
    );
    Deno.exit(2);
  }
  const pathFlag = Deno.args.indexOf("--path");
  const r = await benchTokenize({ path: pathFlag > 0 ? Deno.args[pathFlag + 1] : undefined });
  console.log(
    `tokenize: ${Math.round(r.tokensPerSecond).toLocaleString("en-US")} tokens/s ` +
      `(${r.tokens.toLocaleString("en-US")} tokens, ${
        r.megabytes.toFixed(1)
      } MB, one core, ${Deno.build.arch})`,
  );
}
