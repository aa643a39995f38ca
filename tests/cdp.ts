/**
 * Test helper: a headless Chromium driven over the Chrome DevTools Protocol
 * through Deno's own WebSocket, so browser tests need no npm package.
 *
 * @module
 */

/** Where Chromium is looked for: FITLAM_CHROMIUM, then Debian's and others' paths. */
export function findChromium(): string | undefined {
  const candidates = [
    Deno.env.get("FITLAM_CHROMIUM"),
    "/usr/bin/chromium",
    "/usr/bin/chromium-browser",
    "/usr/bin/google-chrome",
  ];
  for (const path of candidates) {
    if (!path) continue;
    try {
      if (Deno.statSync(path).isFile) return path;
    } catch { /* not there */ }
  }
  return undefined;
}

type Message = {
  id?: number;
  method?: string;
  params?: Record<string, unknown>;
  result?: Record<string, unknown>;
  error?: { message: string };
  sessionId?: string;
};

/** One page (target) of the browser. */
export class Page {
  constructor(private readonly browser: Browser, readonly sessionId: string) {}

  /** Sends a CDP command to this page. */
  send<T = Record<string, unknown>>(method: string, params: Record<string, unknown> = {}) {
    return this.browser.send<T>(method, params, this.sessionId);
  }

  /** Resolves with the params of the next `method` event of this page. */
  next(method: string, timeoutMs = 15_000): Promise<Record<string, unknown>> {
    return this.browser.next(method, this.sessionId, timeoutMs);
  }

  /** Calls `fn` for every `method` event of this page. */
  on(method: string, fn: (params: Record<string, unknown>) => void): void {
    this.browser.on(method, this.sessionId, fn);
  }

  /** Evaluates an expression in the page and returns its JSON value; page errors throw. */
  async evaluate<T>(expression: string): Promise<T> {
    const r = await this.send<{
      result: { value?: T };
      exceptionDetails?: { text: string; exception?: { description?: string } };
    }>("Runtime.evaluate", { expression, returnByValue: true, awaitPromise: true });
    if (r.exceptionDetails) {
      throw new Error(
        `Page error: ${r.exceptionDetails.exception?.description ?? r.exceptionDetails.text}`,
      );
    }
    return r.result.value as T;
  }

  /** Navigates and waits for the load event. */
  async goto(url: string): Promise<void> {
    const loaded = this.next("Page.loadEventFired");
    const r = await this.send<{ errorText?: string }>("Page.navigate", { url });
    if (r.errorText) throw new Error(`Cannot open ${url}: ${r.errorText}`);
    await loaded;
  }

  /** Clicks the centre of the element matching `selector` with real mouse events. */
  async click(selector: string): Promise<void> {
    const box = await this.evaluate<{ x: number; y: number } | null>(`(() => {
      const el = document.querySelector(${JSON.stringify(selector)});
      if (!el) return null;
      el.scrollIntoView();
      const r = el.getBoundingClientRect();
      return { x: r.x + r.width / 2, y: r.y + r.height / 2 };
    })()`);
    if (!box) throw new Error(`Cannot click ${selector}: no such element`);
    for (const type of ["mouseMoved", "mousePressed", "mouseReleased"]) {
      await this.send("Input.dispatchMouseEvent", {
        type,
        x: box.x,
        y: box.y,
        button: type === "mouseMoved" ? "none" : "left",
        clickCount: type === "mouseMoved" ? 0 : 1,
      });
    }
  }

  /** Focuses `selector`, selects its content and types `text` over it, key by key. */
  async type(selector: string, text: string): Promise<void> {
    await this.click(selector);
    await this.evaluate(`document.querySelector(${JSON.stringify(selector)}).select()`);
    for (const ch of text) {
      await this.send("Input.dispatchKeyEvent", { type: "keyDown", text: ch, key: ch });
      await this.send("Input.dispatchKeyEvent", { type: "keyUp", key: ch });
    }
  }

  /** Polls `expression` until it is truthy and returns it. */
  async waitFor<T>(expression: string, timeoutMs = 15_000): Promise<T> {
    const deadline = performance.now() + timeoutMs;
    while (true) {
      const v = await this.evaluate<T>(expression);
      if (v) return v;
      if (performance.now() > deadline) throw new Error(`Timed out waiting for ${expression}`);
      await new Promise((r) => setTimeout(r, 50));
    }
  }
}

/** A headless Chromium process and its DevTools connection. */
export class Browser {
  #nextId = 1;
  #pending = new Map<number, { resolve(v: unknown): void; reject(e: Error): void }>();
  #listeners: { method: string; sessionId?: string; fn(p: Record<string, unknown>): void }[] = [];

  private constructor(
    private readonly child: Deno.ChildProcess,
    private readonly ws: WebSocket,
    private readonly profile: string,
  ) {
    ws.onmessage = (ev) => {
      const msg = JSON.parse(ev.data as string) as Message;
      if (msg.id !== undefined) {
        const p = this.#pending.get(msg.id);
        this.#pending.delete(msg.id);
        if (msg.error) p?.reject(new Error(msg.error.message));
        else p?.resolve(msg.result ?? {});
        return;
      }
      for (const l of [...this.#listeners]) {
        if (l.method === msg.method && l.sessionId === msg.sessionId) l.fn(msg.params ?? {});
      }
    };
  }

  /** Starts Chromium headless with a throw-away profile and connects to it. */
  static async launch(executable: string): Promise<Browser> {
    const profile = await Deno.makeTempDir({ prefix: "fitlam-chromium-" });
    const child = new Deno.Command(executable, {
      args: [
        "--headless=new",
        "--no-sandbox",
        "--disable-gpu",
        "--disable-dev-shm-usage",
        "--no-first-run",
        "--no-default-browser-check",
        "--disable-extensions",
        "--disable-background-networking",
        "--remote-debugging-port=0",
        `--user-data-dir=${profile}`,
        "--window-size=1000,800",
        "about:blank",
      ],
      stdin: "null",
      stdout: "null",
      stderr: "piped",
    }).spawn();
    // Chromium prints "DevTools listening on ws://..." on stderr once ready.
    const reader = child.stderr.pipeThrough(new TextDecoderStream()).getReader();
    let seen = "";
    let url: string | undefined;
    const deadline = setTimeout(() => child.kill("SIGKILL"), 30_000);
    while (!url) {
      const { value, done } = await reader.read();
      if (done) break;
      seen += value;
      url = seen.match(/DevTools listening on (ws:\/\/\S+)/)?.[1];
    }
    clearTimeout(deadline);
    // Keep draining stderr so Chromium never blocks on a full pipe.
    (async () => {
      while (!(await reader.read()).done) { /* discard */ }
    })().catch(() => {});
    if (!url) {
      await child.status;
      throw new Error(`Chromium (${executable}) did not start:\n${seen}`);
    }
    const ws = new WebSocket(url);
    await new Promise((resolve, reject) => {
      ws.onopen = resolve;
      ws.onerror = () => reject(new Error(`Cannot connect to Chromium at ${url}`));
    });
    return new Browser(child, ws, profile);
  }

  /** Sends a CDP command (to the browser, or to a page's session). */
  send<T = Record<string, unknown>>(
    method: string,
    params: Record<string, unknown> = {},
    sessionId?: string,
  ): Promise<T> {
    const id = this.#nextId++;
    return new Promise<T>((resolve, reject) => {
      this.#pending.set(id, { resolve: resolve as (v: unknown) => void, reject });
      this.ws.send(JSON.stringify({ id, method, params, ...(sessionId ? { sessionId } : {}) }));
    });
  }

  on(method: string, sessionId: string | undefined, fn: (p: Record<string, unknown>) => void) {
    this.#listeners.push({ method, sessionId, fn });
  }

  next(method: string, sessionId: string | undefined, timeoutMs: number) {
    return new Promise<Record<string, unknown>>((resolve, reject) => {
      const timer = setTimeout(
        () => reject(new Error(`Timed out waiting for ${method}`)),
        timeoutMs,
      );
      const l = {
        method,
        sessionId,
        fn: (p: Record<string, unknown>) => {
          clearTimeout(timer);
          this.#listeners.splice(this.#listeners.indexOf(l), 1);
          resolve(p);
        },
      };
      this.#listeners.push(l);
    });
  }

  /** Opens a new blank page with Page, Runtime and Network events on. */
  async newPage(): Promise<Page> {
    const { targetId } = await this.send<{ targetId: string }>("Target.createTarget", {
      url: "about:blank",
    });
    const { sessionId } = await this.send<{ sessionId: string }>("Target.attachToTarget", {
      targetId,
      flatten: true,
    });
    const page = new Page(this, sessionId);
    for (const domain of ["Page", "Runtime", "Network"]) await page.send(`${domain}.enable`);
    return page;
  }

  /** Closes the connection, ends Chromium and removes its profile. */
  async close(): Promise<void> {
    try {
      await Promise.race([
        this.send("Browser.close"),
        new Promise((r) => setTimeout(r, 3000)),
      ]);
    } catch { /* already gone */ }
    this.ws.close();
    const timer = setTimeout(() => {
      try {
        this.child.kill("SIGKILL");
      } catch { /* exited */ }
    }, 5000);
    await this.child.status;
    clearTimeout(timer);
    await Deno.remove(this.profile, { recursive: true }).catch(() => {});
  }
}
