/**
 * Cold start and memory of a server process, for `deno task bench edge`:
 * the time from spawning it to the first 200 answer of `POST /v1/classify`
 * (whatever it does meanwhile: compile, load weights, listen), then its peak
 * resident memory (VmHWM) after one more request of 32 texts, and how much of
 * what is resident then is its own (anonymous pages: heaps, compiled code, wasm
 * memory) rather than pages of the runtime's executable and libraries, which
 * every process running them shares.
 *
 * @module
 */

/** What one cold start measured. */
export interface ColdStart {
  /** Spawn to the first classified answer, ms. */
  ms: number;
  /** Peak resident memory after a 32-text request, MB (undefined without /proc). */
  peakRssMb?: number;
  /** Resident anonymous memory (RssAnon) after that request, MB: the process's own pages. */
  anonRssMb?: number;
  /** Total size of the files the process had mapped (runtime, libraries), MB. */
  mappedMb?: number;
}

/** Where the server prints the URL it listens on, and how to read its port. */
export interface Announce {
  stream: "stdout" | "stderr";
  port: RegExp;
}

/**
 * The peak resident set size (VmHWM) and the resident anonymous memory (RssAnon) of process
 * `pid` in MB, from /proc (Linux), read by `cat`: Deno lets only --allow-all read another
 * process's /proc.
 */
export async function residentMb(pid: number): Promise<{ peak?: number; anon?: number }> {
  try {
    const out = await new Deno.Command("cat", { args: [`/proc/${pid}/status`], stdout: "piped" })
      .output();
    const text = new TextDecoder().decode(out.stdout);
    const mb = (key: string) => {
      const kb = Number(new RegExp(`${key}:\\s+(\\d+) kB`).exec(text)?.[1]);
      return Number.isFinite(kb) && kb > 0 ? kb / 1024 : undefined;
    };
    return { peak: mb("VmHWM"), anon: mb("RssAnon") };
  } catch {
    return {};
  }
}

/**
 * Total size of the distinct files process `pid` maps (its executable and
 * libraries), MB; caches under a `.cache/` folder (Deno maps its V8 code
 * cache, ~120 MB here) are machine state, not what is deployed.
 */
export async function mappedFilesMb(pid: number): Promise<number | undefined> {
  try {
    const out = await new Deno.Command("cat", { args: [`/proc/${pid}/maps`], stdout: "piped" })
      .output();
    const paths = new Set<string>();
    for (const line of new TextDecoder().decode(out.stdout).split("\n")) {
      const path = line.split(/\s+/)[5];
      const skip = ["/dev/", "/memfd"].some((p) => path?.startsWith(p)) ||
        path?.includes("/.cache/");
      if (path?.startsWith("/") && !skip) {
        paths.add(path);
      }
    }
    let bytes = 0;
    for (const p of paths) bytes += await Deno.stat(p).then((s) => s.size, () => 0);
    return bytes / 2 ** 20;
  } catch {
    return undefined;
  }
}

async function post(url: string, body: unknown): Promise<number> {
  const res = await fetch(`${url}/v1/classify`, {
    method: "POST",
    headers: { "content-type": "application/json" },
    body: JSON.stringify(body),
  });
  await res.body?.cancel();
  return res.status;
}

/** Keeps reading a stream so the child never blocks on a full pipe. */
function drain(reader: ReadableStreamDefaultReader<string>): void {
  (async () => {
    try {
      while (!(await reader.read()).done) { /* discard */ }
    } catch { /* closed */ }
  })();
}

/**
 * Spawns `command` (both output streams piped), waits for its port, polls
 * until a text is classified, measures memory after `texts`, and stops it.
 */
export async function measureColdStart(
  command: Deno.Command,
  announce: Announce,
  texts: string[],
  timeoutMs = 120_000,
): Promise<ColdStart> {
  const t0 = performance.now();
  const child = command.spawn();
  const streams = {
    stdout: child.stdout.pipeThrough(new TextDecoderStream()).getReader(),
    stderr: child.stderr.pipeThrough(new TextDecoderStream()).getReader(),
  };
  const other = announce.stream === "stdout" ? "stderr" : "stdout";
  drain(streams[other]);
  try {
    let seen = "", port: string | undefined;
    while (!port) {
      const { value, done } = await streams[announce.stream].read();
      if (done) throw new Error(`Cannot measure cold start: the server exited\n${seen}`);
      seen += value;
      port = announce.port.exec(seen)?.[1];
    }
    drain(streams[announce.stream]);
    const url = `http://127.0.0.1:${port}`;
    while ((await post(url, { text: texts[0] }).catch(() => 0)) !== 200) {
      if (performance.now() - t0 > timeoutMs) {
        throw new Error(`Cannot measure cold start: no answer within ${timeoutMs / 1000} s`);
      }
      await new Promise((r) => setTimeout(r, 2));
    }
    const ms = performance.now() - t0;
    const status = await post(url, { texts: texts.slice(0, 32) });
    if (status !== 200) {
      throw new Error(`Cannot measure memory: the 32-text request got HTTP ${status}`);
    }
    const resident = await residentMb(child.pid);
    return {
      ms,
      peakRssMb: resident.peak,
      anonRssMb: resident.anon,
      mappedMb: await mappedFilesMb(child.pid),
    };
  } finally {
    try {
      child.kill("SIGKILL");
    } catch { /* gone */ }
    await child.status;
  }
}
