/**
 * Test helper: starts a server process (`deno run serve/main.ts`, a bundle,
 * or the compiled binary) on a free port, waits until /healthz answers, and
 * stops it with SIGTERM.
 *
 * @module
 */

/** A free TCP port on 127.0.0.1 (free when asked; the server binds it soon after). */
export function freePort(): number {
  const l = Deno.listen({ hostname: "127.0.0.1", port: 0 });
  const { port } = l.addr as Deno.NetAddr;
  l.close();
  return port;
}

/** What a stopped server printed and how it exited. */
export interface ServerExit {
  code: number;
  stdout: string;
  stderr: string;
}

/** A running server. */
export interface RunningServer {
  /** `http://127.0.0.1:<port>` */
  base: string;
  /** Milliseconds from spawn until /healthz answered 200. */
  readyMs: number;
  /** Sends SIGTERM (SIGKILL after 10 s) and returns the exit. */
  stop(): Promise<ServerExit>;
}

/** Options of {@linkcode startServer}. */
export interface StartOptions {
  cwd?: string;
  /** Environment; with `clearEnv` nothing else is passed. */
  env?: Record<string, string>;
  clearEnv?: boolean;
  /** Give up after this long (default 60 s). */
  timeoutMs?: number;
}

/**
 * Spawns `command args... --port N` and resolves once GET /healthz is 200;
 * rejects with the process's output when it exits first or times out.
 *
 * @example
 * ```ts ignore
 * const server = await startServer(Deno.execPath(), ["run", "-A", "serve/main.ts"]);
 * await fetch(`${server.base}/healthz`);
 * await server.stop();
 * ```
 */
export async function startServer(
  command: string,
  args: string[],
  options: StartOptions = {},
): Promise<RunningServer> {
  const port = freePort();
  const base = `http://127.0.0.1:${port}`;
  const started = performance.now();
  const child = new Deno.Command(command, {
    args: [...args, "--port", String(port)],
    cwd: options.cwd,
    env: options.env,
    clearEnv: options.clearEnv,
    stdin: "null",
    stdout: "piped",
    stderr: "piped",
  }).spawn();
  const output = Promise.all([
    new Response(child.stdout).text(),
    new Response(child.stderr).text(),
  ]);
  let exited = false;
  const status = child.status.then((s) => {
    exited = true;
    return s;
  });
  const finish = async (): Promise<ServerExit> => {
    const [stdout, stderr] = await output;
    return { code: (await status).code, stdout, stderr };
  };
  const deadline = started + (options.timeoutMs ?? 60_000);
  while (!exited && performance.now() < deadline) {
    try {
      const res = await fetch(`${base}/healthz`, { signal: AbortSignal.timeout(1000) });
      await res.body?.cancel();
      if (res.status === 200) {
        const readyMs = Math.round(performance.now() - started);
        return {
          base,
          readyMs,
          stop: async () => {
            if (!exited) child.kill("SIGTERM");
            const timer = setTimeout(() => !exited && child.kill("SIGKILL"), 10_000);
            const result = await finish();
            clearTimeout(timer);
            return result;
          },
        };
      }
    } catch { /* not listening yet */ }
    await new Promise((r) => setTimeout(r, 100));
  }
  if (!exited) child.kill("SIGKILL");
  const { code, stdout, stderr } = await finish();
  throw new Error(
    `Server ${command} never became healthy (exit ${code}):\n${stdout}\n${stderr}`,
  );
}
