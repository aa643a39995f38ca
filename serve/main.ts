/**
 * `deno task serve`: serves the classifier over HTTP.
 *
 * ```sh
 * deno task serve --weights weights --port 8000
 * ```
 *
 * @module
 */
import { basename, dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { parseArgs } from "node:util";
import { errorText, EXIT_FAILURE, exitWithError as fail } from "../shared/exit.ts";
import { type Device, parseDevice } from "../shared/backend.ts";
import { loadClassifier } from "../shared/pipeline.ts";
import { apiKeyFromEnv } from "./api_key.ts";
import { createApp } from "./app.ts";

// A compiled binary (serve/compile.ts) is called by its own name.
const PROGRAM = Deno.build.standalone ? basename(Deno.execPath()) : "deno task serve";

const HELP = `Usage: ${PROGRAM} [options]

  --port N              port to listen on (default 8000)
  --host H              address to bind (default 127.0.0.1)
  --weights DIR         trained weights folder (default: the weights embedded
                        in this binary, else weights/)
  --device D            wasm (default), webgpu or cpu
  --direction D         fwd, bwd or both (default: every direction the folder
                        has; an incomplete one is refused)
  --max-body-bytes N    largest request body (default 1048576)
  --max-texts N         most texts per request (default 64)
  --max-chars N         most characters per text (default 100000)
  --batch-window-ms N   micro-batching window, 0 disables (default 5)
  --max-batch N         flush a batch at this many texts (default 32)
  --cors-origin URL     allow this origin (repeatable)
  --help                show this help

Set FITLAM_API_KEY to require Authorization: Bearer <key> on /v1 routes.`;

function int(
  name: string,
  value: string | undefined,
  fallback: number,
  min: number,
  max = Number.MAX_SAFE_INTEGER,
): number {
  if (value === undefined) return fallback;
  const n = Number(value);
  if (!Number.isInteger(n) || n < min || n > max) {
    const range = max === Number.MAX_SAFE_INTEGER ? `>= ${min}` : `from ${min} to ${max}`;
    fail(`Cannot start server: --${name} is ${JSON.stringify(value)}; pass an integer ${range}`);
  }
  return n;
}

let args;
try {
  args = parseArgs({
    args: Deno.args,
    options: {
      port: { type: "string" },
      host: { type: "string", default: "127.0.0.1" },
      weights: { type: "string" },
      // Set by serve/compile.ts: where the embedded weights are, relative to the
      // bundled program's folder (the project root at compile time).
      "embedded-weights": { type: "string" },
      device: { type: "string", default: "wasm" },
      direction: { type: "string" },
      "max-body-bytes": { type: "string" },
      "max-texts": { type: "string" },
      "max-chars": { type: "string" },
      "batch-window-ms": { type: "string" },
      "max-batch": { type: "string" },
      "cors-origin": { type: "string", multiple: true },
      help: { type: "boolean" },
    },
  }).values;
} catch (e) {
  fail(`Cannot start server: ${(e as Error).message}; see --help`);
}
if (args.help) {
  console.log(HELP);
  Deno.exit(0);
}

let device: Device;
try {
  device = parseDevice(args.device!);
} catch (e) {
  fail((e as Error).message);
}
const embedded = args["embedded-weights"];
const weights = args.weights ??
  (embedded === undefined ? "weights" : join(dirname(fileURLToPath(import.meta.url)), embedded));
const weightsNote = args.weights === undefined && embedded !== undefined
  ? "embedded in the binary"
  : weights;
const { key: apiKey, trimmed } = apiKeyFromEnv();
if (trimmed) {
  console.log("FITLAM_API_KEY had leading or trailing whitespace; it was trimmed");
}
const direction = args.direction;
if (direction !== undefined && !["fwd", "bwd", "both"].includes(direction)) {
  fail(`Cannot start server: --direction is ${JSON.stringify(direction)}; pass fwd, bwd or both`);
}
const directions = direction === undefined
  ? undefined
  : direction === "both"
  ? ["fwd" as const, "bwd" as const]
  : [direction as "fwd" | "bwd"];
const loading = loadClassifier(weights, { device, directions });
const app = createApp(loading, {
  maxBodyBytes: int("max-body-bytes", args["max-body-bytes"], 1 << 20, 1),
  maxTexts: int("max-texts", args["max-texts"], 64, 1),
  maxChars: int("max-chars", args["max-chars"], 100_000, 1),
  batchWindowMs: int("batch-window-ms", args["batch-window-ms"], 5, 0),
  maxBatch: int("max-batch", args["max-batch"], 32, 1),
  apiKey,
  corsOrigins: args["cors-origin"],
  log: (entry) => console.log(JSON.stringify(entry)),
});

// Listen at once: /healthz answers "loading" while the weights load.
const port = int("port", args.port, 8000, 0, 65535);
let server: Deno.HttpServer;
try {
  server = Deno.serve({
    hostname: args.host,
    port,
    onListen: ({ hostname, port }) => {
      console.log(`fitlam serving on http://${hostname}:${port}/ (weights: ${weightsNote})`);
      if (!apiKey) {
        console.log("FITLAM_API_KEY is unset: the API is open to anyone who can reach it");
      }
    },
  }, app.fetch);
} catch (e) {
  const why = e instanceof Deno.errors.AddrInUse
    ? "the address is already in use; stop the other server or pass another --port"
    : `${(e as Error).message}; check --host and --port`;
  fail(`Cannot start server on ${args.host}:${port}: ${why}`, EXIT_FAILURE);
}

let stopping = false;
async function stop(code: number): Promise<never> {
  if (!stopping) {
    stopping = true;
    // shutdown() lets in-flight requests finish before the process ends.
    await server.shutdown();
    await loading.then((c) => c.dispose(), () => {});
  }
  Deno.exit(code);
}
for (const signal of ["SIGINT", "SIGTERM"] as const) {
  Deno.addSignalListener(signal, () => void stop(0));
}

loading.then(
  (clf) =>
    console.log(`fitlam model ready: ${clf.info.directions.join("+")} on ${clf.info.backend}`),
  (e) => {
    console.error(errorText((e as Error).message));
    void stop(EXIT_FAILURE);
  },
);
