/**
 * How fitlam's command-line programs end on an error: one line (or a line and
 * a hint) on stderr, never a stack trace, and an exit code that tells a usage
 * mistake (2) from a failure while running (1).
 *
 * @module
 */

/** Exit code of a usage mistake: an unknown flag, a bad value, a missing argument. */
export const EXIT_USAGE = 2;
/** Exit code of a failure while running: unreadable input, a model that will not load. */
export const EXIT_FAILURE = 1;

/**
 * The text {@linkcode exitWithError} prints: `error: <message>`, then the hint on its own line.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { errorText } from "./exit.ts";
 * assert.equal(errorText("bad --port", "Run with --help for usage."),
 *   "error: bad --port\nRun with --help for usage.");
 * assert.equal(errorText("no model"), "error: no model");
 * ```
 */
export function errorText(message: string, hint?: string): string {
  return `error: ${message}${hint ? `\n${hint}` : ""}`;
}

/** Prints {@linkcode errorText} to stderr and exits with `code` (default: a usage mistake). */
export function exitWithError(message: string, code = EXIT_USAGE, hint?: string): never {
  console.error(errorText(message, hint));
  Deno.exit(code);
}

/**
 * Prints a failed command's error and returns exit status 1: a user's mistake (an error whose
 * message starts "Cannot") as one line, anything else, a bug, with its stack.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { reportFailure } from "./exit.ts";
 * assert.equal(reportFailure(new Error("Cannot read x: it is missing")), 1);
 * ```
 */
export function reportFailure(e: unknown): number {
  const err = e as Error;
  console.error(err.message?.startsWith("Cannot") ? `error: ${err.message}` : err);
  return EXIT_FAILURE;
}
