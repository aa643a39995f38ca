/**
 * The HTTP app: classify, model info, health, OpenAPI, docs and a try-it
 * page, assembled from the small middleware in `middleware/`.
 *
 * @module
 */
import { Hono } from "hono";
import { cors } from "hono/cors";
import { secureHeaders } from "hono/secure-headers";
import { type Classifier, toPrediction } from "../shared/classify.ts";
import { Batcher } from "./batcher.ts";
import { ApiError, errorResponse } from "./errors.ts";
import { bearerKey } from "./middleware/auth.ts";
import { jsonBody } from "./middleware/json_body.ts";
import { type LogEntry, requestLog } from "./middleware/request_log.ts";
import { openApiSpec } from "./openapi.ts";
import { docsPage, indexPage, STYLE, TRY_SCRIPT } from "./pages.ts";
import { headLength } from "./middleware/head_length.ts";

/** Options of {@linkcode createApp}; every field has a default. */
export interface ServeOptions {
  /** Largest request body in bytes (default 1 MiB). */
  maxBodyBytes?: number;
  /** Most texts per request (default 64). */
  maxTexts?: number;
  /** Most characters per text (default 100 000). */
  maxChars?: number;
  /** Micro-batching window in ms; 0 disables batching (default 5). */
  batchWindowMs?: number;
  /** Flush the batch at once at this many texts (default 32). */
  maxBatch?: number;
  /** When set, /v1 routes need `Authorization: Bearer <apiKey>`. */
  apiKey?: string;
  /** Origins allowed by CORS (none by default). */
  corsOrigins?: string[];
  /** Receives one structured entry per request. */
  log?: (entry: LogEntry) => void;
}

type Env = { Variables: { body: unknown; batchSize?: number; error?: string } };

/** Methods each route answers, for 405 and the Allow header. */
const ROUTES: Record<string, string[]> = {
  "/": ["GET", "HEAD"],
  "/healthz": ["GET", "HEAD"],
  "/openapi.json": ["GET", "HEAD"],
  "/docs": ["GET", "HEAD"],
  "/try.js": ["GET", "HEAD"],
  "/style.css": ["GET", "HEAD"],
  "/v1/classify": ["POST"],
  "/v1/model": ["GET", "HEAD"],
};

/** Checks the classify body and returns its texts, or throws a 4xx ApiError. */
function parseTexts(body: unknown, maxTexts: number, maxChars: number): string[] {
  const fix = 'send {"text": "..."} or {"texts": ["...", ...]}';
  if (typeof body !== "object" || body === null || Array.isArray(body)) {
    throw new ApiError(
      422,
      "invalid_body",
      `Cannot classify: the body is not a JSON object; ${fix}`,
    );
  }
  const b = body as Record<string, unknown>;
  if ("text" in b && "texts" in b) {
    throw new ApiError(
      400,
      "ambiguous_body",
      `Cannot classify: both "text" and "texts" were sent; ${fix}`,
    );
  }
  let texts: unknown[];
  if ("text" in b) {
    if (typeof b.text !== "string") {
      throw new ApiError(
        422,
        "invalid_text",
        `Cannot classify: "text" is a ${typeName(b.text)}, not a string; ${fix}`,
      );
    }
    texts = [b.text];
  } else if ("texts" in b) {
    if (!Array.isArray(b.texts)) {
      throw new ApiError(
        422,
        "invalid_texts",
        `Cannot classify: "texts" is a ${typeName(b.texts)}, not an array; ${fix}`,
      );
    }
    if (b.texts.length === 0) {
      throw new ApiError(400, "empty_texts", `Cannot classify: "texts" is empty; ${fix}`);
    }
    texts = b.texts;
  } else {
    throw new ApiError(
      400,
      "missing_text",
      `Cannot classify: the body has no "text" or "texts"; ${fix}`,
    );
  }
  if (texts.length > maxTexts) {
    throw new ApiError(
      413,
      "too_many_texts",
      `Cannot classify: ${texts.length} texts were sent, the limit is ${maxTexts}; split them over several requests`,
    );
  }
  texts.forEach((t, i) => {
    const where = "texts" in b ? `texts[${i}]` : "text";
    if (typeof t !== "string") {
      throw new ApiError(
        422,
        "invalid_text",
        `Cannot classify: ${where} is a ${typeName(t)}, not a string; ${fix}`,
      );
    }
    // Whitespace, control and format characters (NUL, zero-width spaces, BOM) carry no words.
    if (t.replace(/[\s\p{Cc}\p{Cf}]/gu, "") === "") {
      throw new ApiError(
        400,
        "empty_text",
        `Cannot classify: ${where} is empty (only blank, control or zero-width characters); ` +
          "send some words",
      );
    }
    if (t.length > maxChars) {
      throw new ApiError(
        413,
        "text_too_long",
        `Cannot classify: ${where} has ${t.length} characters, the limit is ${maxChars}; shorten or split it`,
      );
    }
  });
  return texts as string[];
}

function typeName(v: unknown): string {
  return v === null ? "null" : Array.isArray(v) ? "array" : typeof v;
}

/** Model info without the vocabulary (its size instead) and with a note for one direction. */
function modelInfo(clf: Classifier) {
  const { labels, directions, backend, configs, checksums } = clf.info;
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
  let batcher: Batcher | undefined;
  const ready = (): Classifier => {
    if (state.status === "ok") return state.clf;
    throw new ApiError(
      503,
      state.status === "loading" ? "loading" : "load_failed",
      state.status === "loading"
        ? "Cannot serve request: the model is still loading; retry in a moment"
        : `Cannot serve request: the model failed to load (${state.message}); fix the weights and restart`,
      { "Retry-After": "1" },
    );
  };
  const spec = openApiSpec({ maxBodyBytes, maxTexts, maxChars, apiKey: !!options.apiKey });

  const app = new Hono<Env>();
  if (options.log) app.use(requestLog(options.log));
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

  app.get("/", (c) => c.html(indexPage(!!options.apiKey)));
  app.get("/docs", (c) => c.html(docsPage(spec)));
  app.get("/try.js", (c) => c.body(TRY_SCRIPT, 200, { "Content-Type": "text/javascript" }));
  app.get("/style.css", (c) => c.body(STYLE, 200, { "Content-Type": "text/css" }));
  app.get("/openapi.json", (c) => c.json(spec));
  app.get(
    "/healthz",
    (c) => state.status === "ok" ? c.json({ status: "ok" }) : c.json({ status: state.status }, 503),
  );
  app.get("/v1/model", (c) => c.json(modelInfo(ready())));
  app.post("/v1/classify", jsonBody(maxBodyBytes), async (c) => {
    const clf = ready();
    const texts = parseTexts(c.get("body"), maxTexts, maxChars);
    batcher ??= new Batcher((t) => clf.probabilities(t), {
      windowMs: options.batchWindowMs ?? 5,
      maxBatch: options.maxBatch ?? 32,
    });
    const { probs, batchSize } = await batcher.run(texts);
    c.set("batchSize", batchSize);
    return c.json({ results: probs.map((p) => toPrediction(clf.info.labels, p)) });
  });

  app.notFound((c) => {
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
  });
  app.onError((err, c) => {
    if (err instanceof ApiError) return errorResponse(c, err);
    // Unexpected: log the message, never show a stack to the client.
    c.set("error", err.message);
    if (!options.log) console.error(`fitlam serve: ${c.req.method} ${c.req.path}: ${err.message}`);
    return c.json(
      {
        error: {
          code: "internal",
          message: "Cannot complete request: internal error; see the server log",
        },
      },
      500,
    );
  });
  return app;
}
