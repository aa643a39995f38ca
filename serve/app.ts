/**
 * The HTTP app: classify, model info, health, OpenAPI, docs and a try-it
 * page, assembled from the small middleware in `middleware/`.
 *
 * @module
 */
import { type Context, Hono } from "hono";
import type { ContentfulStatusCode } from "hono/utils/http-status";
import { cors } from "hono/cors";
import { secureHeaders } from "hono/secure-headers";
import { type Classifier, toPrediction } from "../shared/classify.ts";
import { Batcher, type BatcherOptions, type BatchResult, Overloaded } from "./batcher.ts";
import type { Drain } from "./drain.ts";
import { ApiError, errorResponse } from "./errors.ts";
import { bearerKey } from "./middleware/auth.ts";
import { jsonBody } from "./middleware/json_body.ts";
import { type LogEntry, requestLog } from "./middleware/request_log.ts";
import { openApiSpec } from "./openapi.ts";
import { docsPage, indexPage, STYLE, TRY_SCRIPT } from "./pages.ts";
import { headLength } from "./middleware/head_length.ts";
import { parseExplainBody, parseTexts } from "./texts.ts";
import { explainText } from "../shared/explain.ts";

/** Options of {@linkcode createApp}; every field has a default. */
export interface ServeOptions {
  /** Largest request body in bytes (default 1 MiB). */
  maxBodyBytes?: number;
  /** Most texts per request (default 64). */
  maxTexts?: number;
  /** Most characters per text (default 100 000). */
  maxChars?: number;
  /** Most characters of a text to explain (default 10 000): each piece classifies it again. */
  maxExplainChars?: number;
  /** Most pieces an explained text is cut into (default 200; see `explainText`). */
  explainMaxPieces?: number;
  /** Micro-batching window in ms; 0 disables batching (default 5). */
  batchWindowMs?: number;
  /** Flush the batch at once at this many texts (default 32). */
  maxBatch?: number;
  /** Most characters waiting for the model; beyond it 503 `overloaded` (default 1 000 000). */
  maxQueueChars?: number;
  /** A request body not all there within this many ms is answered 408 (default 20 000). */
  bodyTimeoutMs?: number;
  /** A classify request not answered within this many ms is answered 503 (default 30 000). */
  deadlineMs?: number;
  /** Drains the server on shutdown (serve/main.ts); none in tests that do not need one. */
  drain?: Drain;
  /** When set, /v1 routes need `Authorization: Bearer <apiKey>`. */
  apiKey?: string;
  /** Origins allowed by CORS (none by default). */
  corsOrigins?: string[];
  /** Receives one structured entry per request. */
  log?: (entry: LogEntry) => void;
}

type Env = {
  Variables: {
    body: unknown;
    batchSize?: number;
    queueMs?: number;
    computeMs?: number;
    error?: string;
  };
};

/** Methods each route answers, for 405 and the Allow header. */
const ROUTES: Record<string, string[]> = {
  "/": ["GET", "HEAD"],
  "/healthz": ["GET", "HEAD"],
  "/openapi.json": ["GET", "HEAD"],
  "/docs": ["GET", "HEAD"],
  "/try.js": ["GET", "HEAD"],
  "/style.css": ["GET", "HEAD"],
  "/v1/classify": ["POST"],
  "/v1/explain": ["POST"],
  "/v1/model": ["GET", "HEAD"],
};

/** Model info without the vocabulary (its size instead) and with a note for one direction. */
function modelInfo(clf: Classifier) {
  const { labels, directions, backend, configs, checksums, blend } = clf.info;
  const slim: Record<string, unknown> = {};
  const metrics: Record<string, unknown> = {};
  for (const [d, config] of Object.entries(configs)) {
    if (!config) continue;
    const { vocab, metrics: m, ...rest } = config;
    slim[d] = { ...rest, vocabSize: vocab.length };
    metrics[d] = m ?? {};
  }
  return {
    labels,
    directions,
    ...(directions.length === 1
      ? {
        note: `Only the ${directions[0]} model is loaded; answers come from one direction, ` +
          "not the forward/backward average",
      }
      : {}),
    backend,
    configs: slim,
    checksums,
    metrics,
    // The bag-of-words model blended into the answers, when the folder has one.
    ...(blend ? { blend } : {}),
  };
}

/**
 * Builds the app. `classifier` may still be loading: health says so and
 * the /v1 routes answer 503 until it resolves.
 *
 * @example
 * ```ts ignore
 * import { loadClassifier } from "../shared/pipeline.ts";
 * const app = createApp(loadClassifier("weights"), { apiKey: "secret" });
 * Deno.serve({ port: 8000 }, app.fetch);
 * ```
 */
export function createApp(
  classifier: Classifier | Promise<Classifier>,
  options: ServeOptions = {},
): Hono<Env> {
  const maxBodyBytes = options.maxBodyBytes ?? 1 << 20;
  const maxTexts = options.maxTexts ?? 64;
  const maxChars = options.maxChars ?? 100_000;
  const maxQueueChars = options.maxQueueChars ?? 1_000_000;
  const maxExplainChars = options.maxExplainChars ?? 10_000;
  const explainMaxPieces = options.explainMaxPieces ?? 200;
  const deadlineMs = options.deadlineMs ?? 30_000;
  const maxBatch = options.maxBatch ?? 32;
  const model = modelState(classifier);
  const ready = model.ready;
  const batcher = sharedBatcher(
    { windowMs: options.batchWindowMs ?? 5, maxBatch, maxQueueChars },
    options.drain,
  );
  const spec = openApiSpec({
    maxBodyBytes,
    maxTexts,
    maxChars,
    maxExplainChars,
    explainMaxPieces,
    apiKey: !!options.apiKey,
  });

  const app = new Hono<Env>();
  useMiddleware(app, options);

  app.get("/", (c) => c.html(indexPage(!!options.apiKey)));
  app.get("/docs", (c) => c.html(docsPage(spec)));
  app.get("/try.js", (c) => c.body(TRY_SCRIPT, 200, { "Content-Type": "text/javascript" }));
  app.get("/style.css", (c) => c.body(STYLE, 200, { "Content-Type": "text/css" }));
  app.get("/openapi.json", (c) => c.json(spec));
  const queue = () => batcher.current()?.queued ?? { requests: 0, texts: 0, chars: 0 };
  app.get(
    "/healthz",
    (c) =>
      model.status() === "ok"
        ? c.json({ status: "ok", queue: queue(), computing: batcher.current()?.computing ?? 0 })
        : c.json({ status: model.status() }, 503),
  );
  app.get("/v1/model", (c) => c.json(modelInfo(ready())));
  const limits = { deadlineMs, maxQueueChars, drain: options.drain };
  const body = jsonBody(maxBodyBytes, options.bodyTimeoutMs ?? 20_000);
  app.post("/v1/classify", body, async (c) => {
    const clf = ready();
    const texts = parseTexts(c.get("body"), maxTexts, maxChars);
    const { probs, batchSize, queueMs, computeMs } = await runWithin(
      batcher.for(clf),
      texts,
      c.req.raw.signal,
      limits,
    );
    logBatch(c, { batchSize, queueMs, computeMs });
    return c.json({ results: probs.map((p) => toPrediction(clf.info.labels, p)) });
  });
  app.post("/v1/explain", body, async (c) => {
    const clf = ready();
    const { text, label } = parseExplainBody(c.get("body"), maxExplainChars, clf.info.labels);
    // The text's variants queue with every other request, a batch at a time; the log gets the
    // largest batch and the queue and compute times summed over the chunks.
    const spent = { batchSize: 0, queueMs: 0, computeMs: 0 };
    const probabilities = async (texts: string[]) => {
      const r = await runWithin(batcher.for(clf), texts, c.req.raw.signal, limits);
      spent.batchSize = Math.max(spent.batchSize, r.batchSize);
      spent.queueMs += r.queueMs;
      spent.computeMs += r.computeMs;
      return r.probs;
    };
    const explanation = await explainText(probabilities, clf.info.labels, text, {
      label,
      maxPieces: explainMaxPieces,
      chunk: maxBatch,
    });
    logBatch(c, spent);
    return c.json(explanation);
  });

  app.notFound(notFound);
  app.onError((err, c) => internalError(err, c, options.log !== undefined));
  return app;
}

/** Puts a request's batch size and queue and compute times (ms, 2 decimals) on its log line. */
function logBatch(
  c: Context<Env>,
  t: { batchSize: number; queueMs: number; computeMs: number },
): void {
  c.set("batchSize", t.batchSize);
  c.set("queueMs", Math.round(t.queueMs * 100) / 100);
  c.set("computeMs", Math.round(t.computeMs * 100) / 100);
}

/** The one batcher every model route shares, made when the model is first there. */
function sharedBatcher(settings: BatcherOptions, drain?: Drain) {
  let batcher: Batcher | undefined;
  return {
    current: (): Batcher | undefined => batcher,
    for(clf: Classifier): Batcher {
      if (!batcher) {
        batcher = new Batcher((t) => clf.probabilities(t), settings);
        drain?.onStart(() => batcher?.flush());
      }
      return batcher;
    },
  };
}

/** Whether the model has loaded, and the classifier once it has (else a 503 to throw). */
function modelState(classifier: Classifier | Promise<Classifier>) {
  let state: { status: "loading" } | { status: "ok"; clf: Classifier } | {
    status: "error";
    message: string;
  } = { status: "loading" };
  // A ready classifier is usable at once; a promise is handled here so a
  // failed load never surfaces as an unhandled rejection.
  if (!(classifier instanceof Promise)) state = { status: "ok", clf: classifier };
  else {
    classifier.then(
      (clf) => state = { status: "ok", clf },
      (e) => state = { status: "error", message: (e as Error).message },
    );
  }
  return {
    status: (): "loading" | "ok" | "error" => state.status,
    ready: (): Classifier => {
      if (state.status === "ok") return state.clf;
      throw new ApiError(
        503,
        state.status === "loading" ? "loading" : "load_failed",
        state.status === "loading"
          ? "Cannot serve request: the model is still loading; retry in a moment"
          : `Cannot serve request: the model failed to load (${state.message}); fix the weights and restart`,
        { "Retry-After": "1" },
      );
    },
  };
}

/** What bounds one classify request's wait. */
interface Limits {
  deadlineMs: number;
  maxQueueChars: number;
  drain?: Drain;
}

/** The middleware every route passes: log, drain, HEAD, security headers, CORS, the key. */
function useMiddleware(app: Hono<Env>, options: ServeOptions): void {
  if (options.log) app.use(requestLog(options.log));
  if (options.drain) app.use(options.drain.middleware());
  app.use(headLength());
  // The pages load only their own script and style sheet and may not be framed.
  app.use(secureHeaders({
    contentSecurityPolicy: {
      defaultSrc: ["'none'"],
      scriptSrc: ["'self'"],
      styleSrc: ["'self'"],
      connectSrc: ["'self'"],
      baseUri: ["'none'"],
      formAction: ["'none'"],
      frameAncestors: ["'none'"],
    },
    xFrameOptions: "DENY",
    referrerPolicy: "no-referrer",
  }));
  if (options.corsOrigins?.length) {
    app.use(cors({ origin: options.corsOrigins, allowHeaders: ["Content-Type", "Authorization"] }));
  }
  if (options.apiKey) app.use("/v1/*", bearerKey(options.apiKey));
}

/** Runs texts through the batcher, answering 503 when the queue is full or time runs out. */
async function runWithin(
  b: Batcher,
  texts: string[],
  client: AbortSignal,
  limits: Limits,
): Promise<BatchResult> {
  const { deadlineMs, drain } = limits;
  const deadline = new AbortController();
  const timer = setTimeout(
    () => deadline.abort(new DOMException("deadline", "TimeoutError")),
    deadlineMs,
  );
  const signals = [client, deadline.signal, ...(drain ? [drain.signal] : [])];
  try {
    return await b.run(texts, AbortSignal.any(signals));
  } catch (e) {
    throw refusal(e, b, { deadline: deadline.signal, client, drain: drain?.signal }, limits);
  } finally {
    clearTimeout(timer);
  }
}

/** The 503 (or 499) a batcher's refusal answers, by which signal stopped it. */
function refusal(
  e: unknown,
  b: Batcher,
  s: { deadline: AbortSignal; client: AbortSignal; drain?: AbortSignal },
  { maxQueueChars, deadlineMs }: Limits,
): unknown {
  if (e instanceof Overloaded) {
    return new ApiError(
      503,
      "overloaded",
      `Cannot classify now: ${e.queuedChars} characters wait for the model and the queue ` +
        `holds at most ${maxQueueChars}; retry after ${e.retryAfterS} s or send fewer texts`,
      { "Retry-After": String(e.retryAfterS) },
    );
  }
  if (s.deadline.aborted) {
    const { texts, chars } = b.queued;
    return new ApiError(
      503,
      "deadline_exceeded",
      `Cannot classify: no answer within the ${deadlineMs} ms deadline (${texts} texts, ` +
        `${chars} characters still queued); retry later or send fewer or shorter texts`,
      { "Retry-After": "1" },
    );
  }
  if (s.drain?.aborted) {
    return new ApiError(
      503,
      "shutting_down",
      "Cannot classify: the server stopped before this request was computed; retry",
      { "Retry-After": "1" },
    );
  }
  if (s.client.aborted) {
    // Nobody reads this answer; the status tells the log the client left.
    return new ApiError(
      499 as ContentfulStatusCode,
      "client_gone",
      "Cannot classify: the client closed the connection; nothing to do",
    );
  }
  return e;
}

/** 405 with Allow for a known route and another method, else 404. */
function notFound(c: Context<Env>): Response {
  const allowed = ROUTES[c.req.path];
  const err = allowed
    ? new ApiError(
      405,
      "method_not_allowed",
      `Cannot ${c.req.method} ${c.req.path}: the route only answers ${
        allowed.join(", ")
      }; use one of those`,
      { Allow: allowed.join(", ") },
    )
    : new ApiError(
      404,
      "not_found",
      `Cannot find ${c.req.path}: no such route; see /docs for the routes`,
    );
  return errorResponse(c, err);
}

/** An ApiError as its envelope; anything else 500, its message logged, never its stack. */
function internalError(err: Error, c: Context<Env>, logged: boolean): Response {
  if (err instanceof ApiError) return errorResponse(c, err);
  // Unexpected: log the message, never show a stack to the client.
  c.set("error", err.message);
  if (!logged) console.error(`fitlam serve: ${c.req.method} ${c.req.path}: ${err.message}`);
  return c.json(
    {
      error: {
        code: "internal",
        message: "Cannot complete request: internal error; see the server log",
      },
    },
    500,
  );
}
