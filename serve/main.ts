/**
 * `deno task serve`: serves the classifier over HTTP.
 *
 * ```sh
 * deno task serve --weights weights --port 8000
 * ```
 *
 * This module is also the classifier worker's entry (see serve/classifier_worker.ts),
 * so the single binary's one bundled file serves both.
 *
 * @module
 */
import { isClassifierWorker, serveClassifierInWorker } from "./classifier_worker.ts";

if (isClassifierWorker()) serveClassifierInWorker();
else await (await import("./cli.ts")).main(import.meta.url);
