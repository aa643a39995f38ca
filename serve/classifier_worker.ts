/**
 * The classifier in a dedicated Worker, so that a long model call never
 * blocks the server's event loop (health checks, model info and refusals
 * answer while it runs). The server's own entry module doubles as the
 * worker's (it calls {@linkcode serveClassifierInWorker} when
 * {@linkcode isClassifierWorker}), so the single binary needs no second file.
 *
 * @module
 */
import type { Classifier, ClassifierInfo, ClassifierLoadOptions } from "../shared/pipeline.ts";

/** The worker's name, by which the entry module knows it runs as the worker. */
export const WORKER_NAME = "fitlam-classifier";

type ToWorker =
  | { type: "load"; dir: string; options: ClassifierLoadOptions }
  | { type: "run"; id: number; texts: string[] };
type FromWorker =
  | { type: "ready"; info: ClassifierInfo }
  | { type: "load-failed"; message: string }
  | { type: "done"; id: number; flat: Float32Array; labels: number }
  | { type: "failed"; id: number; message: string };

/** True inside the classifier worker. */
export function isClassifierWorker(): boolean {
  return (globalThis as { name?: unknown }).name === WORKER_NAME;
}

/** The worker's side: loads the classifier when asked and answers model calls one by one. */
export function serveClassifierInWorker(): void {
  const scope = globalThis as unknown as {
    onmessage: ((e: MessageEvent<ToWorker>) => void) | null;
    postMessage(message: FromWorker, transfer?: Transferable[]): void;
  };
  let clf: Promise<Classifier> | undefined;
  scope.onmessage = async ({ data }) => {
    if (data.type === "load") {
      const { loadClassifier } = await import("../shared/pipeline.ts");
      clf = loadClassifier(data.dir, data.options);
      clf.then(
        (c) => scope.postMessage({ type: "ready", info: c.info }),
        (e) => scope.postMessage({ type: "load-failed", message: (e as Error).message }),
      );
      return;
    }
    try {
      const probs = await (await clf!).probabilities(data.texts);
      const labels = probs[0]?.length ?? 0;
      const flat = new Float32Array(probs.length * labels);
      probs.forEach((p, i) => flat.set(p, i * labels));
      scope.postMessage({ type: "done", id: data.id, flat, labels }, [flat.buffer]);
    } catch (e) {
      scope.postMessage({ type: "failed", id: data.id, message: (e as Error).message });
    }
  };
}

/**
 * Starts `entry` (a module that calls {@linkcode serveClassifierInWorker}
 * when {@linkcode isClassifierWorker}) as a Worker, loads the classifier in
 * `dir` there, and returns a {@linkcode Classifier} whose calls run in it.
 *
 * @example
 * ```ts ignore
 * const clf = await loadClassifierInWorker(import.meta.url, "weights");
 * console.log(await clf.classify("win a free cruise"));
 * clf.dispose();
 * ```
 */
export function loadClassifierInWorker(
  entry: string | URL,
  dir: string,
  options: ClassifierLoadOptions = {},
): Promise<Classifier> {
  const worker = new Worker(entry, { type: "module", name: WORKER_NAME });
  const pending = new Map<
    number,
    { resolve: (p: Float32Array[]) => void; reject: (e: Error) => void }
  >();
  let nextId = 0;
  let broken: Error | undefined;
  return new Promise((resolveLoad, rejectLoad) => {
    const fail = (e: Error) => {
      broken = e;
      rejectLoad(e);
      for (const p of pending.values()) p.reject(e);
      pending.clear();
      worker.terminate();
    };
    worker.onerror = (e) => {
      e.preventDefault();
      fail(
        new Error(
          `Cannot classify: the classifier worker crashed (${e.message}); restart the server`,
        ),
      );
    };
    worker.onmessage = ({ data }: MessageEvent<FromWorker>) => {
      if (data.type === "ready") resolveLoad(client(data.info));
      else if (data.type === "load-failed") fail(new Error(data.message));
      else {
        const p = pending.get(data.id);
        pending.delete(data.id);
        if (data.type === "failed") p?.reject(new Error(data.message));
        else {
          const { flat, labels } = data;
          p?.resolve(
            Array.from(
              { length: flat.length / labels },
              (_, i) => flat.subarray(i * labels, (i + 1) * labels),
            ),
          );
        }
      }
    };
    worker.postMessage({ type: "load", dir, options } satisfies ToWorker);
  });

  function client(info: ClassifierInfo): Classifier {
    const probabilities = (texts: string[]) =>
      new Promise<Float32Array[]>((resolve, reject) => {
        if (broken) return reject(broken);
        const id = nextId++;
        pending.set(id, { resolve, reject });
        worker.postMessage({ type: "run", id, texts } satisfies ToWorker);
      });
    return {
      info,
      probabilities,
      async classify(texts) {
        const list = typeof texts === "string" ? [texts] : texts;
        return (await probabilities(list)).map((p) => {
          let best = 0;
          for (let c = 1; c < p.length; c++) if (p[c] > p[best]) best = c;
          const scores = Object.fromEntries(info.labels.map((l, c) => [l, p[c]]));
          return { label: info.labels[best], score: p[best], scores };
        });
      },
      dispose() {
        broken = new Error("Cannot classify: the classifier was disposed; load it again");
        worker.terminate();
      },
    };
  }
}
