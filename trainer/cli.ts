/**
 * The shape the trainer's small commands share: parse the arguments (bad usage is exit 2 with a
 * pointer to --help) and answer `--help` / `-h` with the usage text (exit 0).
 *
 * @module
 */
import { parseArgs, type ParseArgsOptionsConfig } from "node:util";

/**
 * Parses `args` against `options` (plus `--help`/`-h`), positionals allowed. Returns the parsed
 * values, or the exit status when there is nothing more to do: 2 after printing a usage error,
 * 0 after printing `usage` for `--help`.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { parseCommand } from "./cli.ts";
 * const r = parseCommand(["a.pth", "--out", "w"], { out: { type: "string" } }, "usage");
 * assert.ok(typeof r !== "number");
 * assert.equal(r.values.out, "w");
 * assert.deepEqual(r.positionals, ["a.pth"]);
 * ```
 */
export function parseCommand<O extends ParseArgsOptionsConfig>(
  args: string[],
  options: O,
  usage: string,
) {
  let parsed;
  try {
    parsed = parseArgs({
      args,
      allowPositionals: true,
      strict: true,
      options: { ...options, help: { type: "boolean", short: "h" } } as
        & O
        & { help: { type: "boolean"; short: "h" } },
    });
  } catch (e) {
    console.error(`error: ${(e as Error).message}\nRun with --help for usage.`);
    return 2;
  }
  // The help option is always there; TypeScript cannot see it through the generic options.
  if ((parsed.values as { help?: boolean }).help) {
    console.log(usage);
    return 0;
  }
  return parsed;
}
