/**
 * Imported first by the edge tests to run the entry as
 * an isolate host without threads would: no `Worker`, no `SharedArrayBuffer`.
 *
 * @module
 */
const g = globalThis as Record<string, unknown>;
delete g.Worker;
delete g.SharedArrayBuffer;
