/**
 * The server's command line: flags, start-up, and the drain on SIGTERM or
 * SIGINT. Run through serve/main.ts.
 *
 * @module
 */
import { basename, dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { parseArgs } from "node:util";
import { errorText, EXIT_FAILURE, exitWithError as fail } from "../shared/exit.ts";
import { type Device, parseDevice } from "../shared/backend.ts";
import { apiKeyFromEnv } from "./api_key.ts";
import { createApp, type ServeOptions } from "./app.ts";
import { loadClassifierInWorker } from "./classifier_worker.ts";
import { Drain } from "./drain.ts";
import {
  BACKLOG,
  connectionBudget,
  type ConnectionLimits,
  type Handler,
  type HttpListener,
  listenHttp,
  openFileLimit,
} from "./http_listener.ts";

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
  --max-explain-chars N most characters of a text to explain; each word costs
                        one more classification (default 10000)
  --batch-window-ms N   micro-batching window, 0 disables (default 5)
  --max-batch N         flush a batch at this many texts (default 32)
  --max-queue-chars N   characters that may wait for the model; beyond them
                        503 overloaded with Retry-After (default 1000000)
  --body-timeout-ms N   answer 408 when a request body is not all there within
                        N ms (default 20000)
  --deadline-ms N       answer 503 deadline_exceeded to a classify request
                        not done within N ms (default 30000)
  --header-timeout-ms N answer 408 and close when a request's headers are not all
                        there within N ms (default 10000)
  --idle-timeout-ms N   close a keep-alive connection idle for N ms (default 5000)
  --max-connections N   answer 503 (Retry-After: 1) and close connections beyond
                        N open ones (default 1024, less when the open-file
                        limit is low)
  --drain-ms N          on SIGTERM/SIGINT: refuse new requests, answer those in
                        flight for up to N ms, then exit 0 (default 20000)
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

/** Everything the flags and the environment decide. */
interface ServeConfig {
  host: string;
  port: number;
  weights: string;
  weightsNote: string;
  device: Device;
  directions?: ("fwd" | "bwd")[];
  apiKey?: string;
  drainMs: number;
  limits: ConnectionLimits;
  app: Omit<ServeOptions, "apiKey" | "log" | "drain">;
}

function parseFlags() {
  try {
    return parseArgs({
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
        "max-explain-chars": { type: "string" },
        "batch-window-ms": { type: "string" },
        "max-batch": { type: "string" },
        "max-queue-chars": { type: "string" },
        "deadline-ms": { type: "string" },
        "body-timeout-ms": { type: "string" },
        "drain-ms": { type: "string" },
        "header-timeout-ms": { type: "string" },
        "idle-timeout-ms": { type: "string" },
        "max-connections": { type: "string" },
        "cors-origin": { type: "string", multiple: true },
        help: { type: "boolean" },
      },
    }).values;
  } catch (e) {
    fail(`Cannot start server: ${(e as Error).message}; see --help`);
  }
}

function readConfig(): ServeConfig {
  const args = parseFlags();
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
  const direction = args.direction;
  if (direction !== undefined && !["fwd", "bwd", "both"].includes(direction)) {
    fail(`Cannot start server: --direction is ${JSON.stringify(direction)}; pass fwd, bwd or both`);
  }
  const bodyTimeoutMs = int("body-timeout-ms", args["body-timeout-ms"], 20_000, 1);
  return {
    host: args.host!,
    port: int("port", args.port, 8000, 0, 65535),
    weights,
    weightsNote: args.weights === undefined && embedded !== undefined
      ? "embedded in the binary"
      : weights,
    device,
    directions: direction === undefined
      ? undefined
      : direction === "both"
      ? ["fwd", "bwd"]
      : [direction as "fwd" | "bwd"],
    apiKey: readApiKey(),
    drainMs: int("drain-ms", args["drain-ms"], 20_000, 0),
    limits: readLimits(args, bodyTimeoutMs),
    app: {
      maxBodyBytes: int("max-body-bytes", args["max-body-bytes"], 1 << 20, 1),
      maxTexts: int("max-texts", args["max-texts"], 64, 1),
      maxChars: int("max-chars", args["max-chars"], 100_000, 1),
      maxExplainChars: int("max-explain-chars", args["max-explain-chars"], 10_000, 1),
      batchWindowMs: int("batch-window-ms", args["batch-window-ms"], 5, 0),
      maxBatch: int("max-batch", args["max-batch"], 32, 1),
      maxQueueChars: int("max-queue-chars", args["max-queue-chars"], 1_000_000, 1),
      deadlineMs: int("deadline-ms", args["deadline-ms"], 30_000, 1),
      bodyTimeoutMs,
      corsOrigins: args["cors-origin"],
    },
  };
}

function readLimits(args: ReturnType<typeof parseFlags>, bodyTimeoutMs: number): ConnectionLimits {
  const headerTimeoutMs = int("header-timeout-ms", args["header-timeout-ms"], 10_000, 1);
  const fileLimit = openFileLimit();
  const budget = fileLimit === undefined ? Infinity : connectionBudget(fileLimit, BACKLOG);
  const flag = args["max-connections"];
  const maxConnections = int("max-connections", flag, Math.min(1024, budget), 1);
  if (maxConnections > budget || maxConnections < 1) {
    // Past the budget, accepting fails with "too many open files" and Deno's listener stops.
    fail(
      `Cannot start server: ${
        flag === undefined ? "the default --max-connections" : `--max-connections ${flag}`
      } needs more open files than the limit of ${fileLimit} allows (at most ${budget} ` +
        `connections); raise it with ulimit -n or pass --max-connections ${budget} or less`,
    );
  }
  return {
    headerTimeoutMs,
    idleTimeoutMs: int("idle-timeout-ms", args["idle-timeout-ms"], 5_000, 1),
    // A backstop: the app answers a slow body itself (408 body_timeout) before this.
    requestTimeoutMs: headerTimeoutMs + bodyTimeoutMs + 5_000,
    maxConnections,
  };
}

function readApiKey(): string | undefined {
  const { key, trimmed } = apiKeyFromEnv();
  if (trimmed) console.log("FITLAM_API_KEY had leading or trailing whitespace; it was trimmed");
  return key;
}

async function listen(config: ServeConfig, handler: Handler): Promise<HttpListener> {
  const { host, port, apiKey } = config;
  let listener: HttpListener;
  try {
    listener = await listenHttp(handler, { hostname: host, port, ...config.limits });
  } catch (e) {
    const why = (e as { code?: string }).code === "EADDRINUSE"
      ? "the address is already in use; stop the other server or pass another --port"
      : `${(e as Error).message}; check --host and --port`;
    fail(`Cannot start server on ${host}:${port}: ${why}`, EXIT_FAILURE);
  }
  console.log(
    `fitlam serving on http://${listener.hostname}:${listener.port}/ (weights: ${config.weightsNote})`,
  );
  if (!apiKey) console.log("FITLAM_API_KEY is unset: the API is open to anyone who can reach it");
  return listener;
}

/**
 * Starts the server; the classifier loads in a Worker running `workerEntry`
 * (serve/main.ts, which knows when it runs as that worker).
 */
export async function main(workerEntry: string): Promise<void> {
  const config = readConfig();
  const loading = loadClassifierInWorker(workerEntry, config.weights, {
    device: config.device,
    directions: config.directions,
  });
  const drain = new Drain();
  const app = createApp(loading, {
    ...config.app,
    apiKey: config.apiKey,
    drain,
    log: (entry) => console.log(JSON.stringify(entry)),
  });
  // Listen at once: /healthz answers "loading" while the weights load.
  const server = await listen(config, (request) => app.fetch(request));

  let stopping = false;
  const stop = async (code: number): Promise<never> => {
    if (stopping) Deno.exit(code); // a second signal does not wait
    stopping = true;
    const { inFlight, cutOff } = await drain.drain(config.drainMs);
    console.log(JSON.stringify({ drained: inFlight - cutOff, cutOff }));
    // Requests were answered; a client still reading a response gets one more second.
    await server.close(1000);
    await loading.then((c) => c.dispose(), () => {});
    Deno.exit(code);
  };
  for (const signal of ["SIGINT", "SIGTERM"] as const) {
    Deno.addSignalListener(signal, () => void stop(0));
  }
  loading.then(
    (clf) =>
      console.log(`fitlam model ready: ${clf.info.directions.join("+")} on ${clf.info.backend}`),
    (e) => {
      // shared/ names no flags; here the fix is one of these two.
      console.error(errorText((e as Error).message, "See --weights and --device in --help."));
      void stop(EXIT_FAILURE);
    },
  );
}
