/**
 * The try-it page (GET /) and the docs page in a real headless Chromium:
 * type, click, and compare the drawn score bars with the API's scores; and
 * check that neither page loads anything from another origin.
 *
 * Needs Chromium (`apt-get install chromium`; .ci/run installs it). Without
 * it the test is skipped with that reason, except under CI where it fails.
 *
 * @module
 */
import assert from "node:assert/strict";
import { createApp } from "../serve/app.ts";
import { makeTestWeights } from "../serve/test_weights.ts";
import { type Classifier, loadClassifier } from "../shared/pipeline.ts";
import { Browser, findChromium, type Page } from "./cdp.ts";

const chromium = findChromium();
const inCi = Boolean(Deno.env.get("CI"));
if (!chromium) {
  console.log(
    "tests/browser_test.ts: Chromium not found (/usr/bin/chromium or FITLAM_CHROMIUM); " +
      (inCi ? "failing under CI" : "skipping; install it with `apt-get install chromium`"),
  );
}

interface Row {
  label: string;
  styleWidth: string;
  shown: string;
  barPx: number;
  trackPx: number;
}

const READ_ROWS = `[...document.querySelectorAll("#out .row")].map((row) => {
  const [name, track, pct] = row.children;
  const bar = track.querySelector(".bar");
  return {
    label: name.textContent,
    styleWidth: bar.style.width,
    shown: pct.textContent,
    barPx: bar.getBoundingClientRect().width,
    trackPx: track.getBoundingClientRect().width,
  };
})`;

/** Serves `clf` on a free port in this process. */
function serve(clf: Classifier, apiKey?: string) {
  const app = createApp(clf, { apiKey });
  return Deno.serve({ hostname: "127.0.0.1", port: 0, onListen() {} }, app.fetch);
}

/** Records every URL the page requests and every uncaught page error. */
function watch(page: Page) {
  const requests: string[] = [];
  const errors: string[] = [];
  page.on("Network.requestWillBeSent", (p) => requests.push((p.request as { url: string }).url));
  page.on("Runtime.exceptionThrown", (p) => errors.push(JSON.stringify(p.exceptionDetails)));
  page.on("Runtime.consoleAPICalled", (p) => {
    if (p.type === "error") errors.push(JSON.stringify(p.args));
  });
  return { requests, errors };
}

Deno.test({
  name: "try-it page in headless Chromium draws the API's scores; no external assets",
  ignore: !chromium && !inCi,
  // Chromium's WebSocket and child process outlive single steps by design.
  sanitizeResources: false,
  sanitizeOps: false,
}, async () => {
  assert.ok(chromium, "Chromium is required under CI: apt-get install chromium");
  const weights = await makeTestWeights(["fwd", "bwd"]);
  const clf = await loadClassifier(weights);
  const open = serve(clf);
  const keyed = serve(clf, "s3cret");
  const browser = await Browser.launch(chromium);
  try {
    const base = `http://127.0.0.1:${open.addr.port}`;
    const page = await browser.newPage();
    const seen = watch(page);
    await page.goto(`${base}/`);
    assert.equal(await page.evaluate("document.title"), "fitlam classifier");
    assert.equal(await page.evaluate(`document.getElementById("key")`), null);

    for (const text of ["Cheap pills, limited offer!", "lunch friday? the report is attached"]) {
      await page.type("#text", text);
      assert.equal(await page.evaluate(`document.getElementById("text").value`), text);
      // Clear earlier bars so the wait below sees this answer's.
      await page.evaluate(`document.getElementById("out").textContent = ""`);
      await page.click("#go");
      const rows = await page.waitFor<Row[]>(
        `(() => { const r = ${READ_ROWS}; return r.length ? r : null; })()`,
      );
      const res = await fetch(`${base}/v1/classify`, {
        method: "POST",
        headers: { "content-type": "application/json" },
        body: JSON.stringify({ text }),
      });
      const scores = (await res.json()).results[0].scores as Record<string, number>;
      assert.deepEqual(rows.map((r) => r.label), Object.keys(scores));
      for (const row of rows) {
        const pct = (scores[row.label] * 100).toFixed(1) + "%";
        assert.equal(row.styleWidth, pct, row.label);
        assert.equal(row.shown, pct, row.label);
        // Drawn, not just styled: the bar's share of its track is the score.
        assert.ok(row.trackPx > 100, `track is ${row.trackPx}px wide`);
        assert.ok(
          Math.abs(row.barPx / row.trackPx - scores[row.label]) < 0.01,
          `${row.label}: bar ${row.barPx}/${row.trackPx}px vs score ${scores[row.label]}`,
        );
      }
    }
    // Why? shades each word of the text by the API's explanation.
    const text = "Cheap pills, limited offer! lunch friday?";
    await page.type("#text", text);
    await page.click("#explain");
    const shaded = await page.waitFor<{ text: string; color: string; title: string }[]>(
      `(() => { const s = [...document.querySelectorAll("#why .why span")].map((e) => ({
        text: e.textContent, color: getComputedStyle(e).backgroundColor, title: e.title }));
        return s.length ? s : null; })()`,
    );
    const e = await (await fetch(`${base}/v1/explain`, {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify({ text }),
    })).json() as { pieces: { text: string; weight: number }[] };
    assert.deepEqual(shaded.map((s) => s.text), e.pieces.map((p) => p.text));
    assert.equal(await page.evaluate(`document.querySelector("#why .why").textContent`), text);
    const strongest = e.pieces.reduce(
      (a, p, i) => Math.abs(p.weight) > Math.abs(e.pieces[a].weight) ? i : a,
      0,
    );
    // Drawn at full strength, green for a word that speaks for the answer, red against.
    assert.equal(
      shaded[strongest].color,
      e.pieces[strongest].weight >= 0 ? "rgb(0, 160, 60)" : "rgb(220, 40, 40)",
    );
    shaded.forEach((s, i) => assert.match(s.title, /points$/, e.pieces[i].text));

    const shot = Deno.env.get("FITLAM_BROWSER_SCREENSHOT");
    if (shot) {
      const { data } = await page.send<{ data: string }>("Page.captureScreenshot");
      await Deno.writeFile(shot, Uint8Array.from(atob(data), (c) => c.charCodeAt(0)));
    }

    // The docs page renders the routes from the spec.
    await page.goto(`${base}/docs`);
    const routes = await page.evaluate<string>(`document.querySelector("tbody").textContent`);
    for (const route of ["/v1/classify", "/v1/explain", "/v1/model", "/healthz", "/openapi.json"]) {
      assert.match(routes, new RegExp(route.replace(/[/.]/g, "\\$&")));
    }

    // With FITLAM_API_KEY set the page asks for the key and sends it.
    const keyedBase = `http://127.0.0.1:${keyed.addr.port}`;
    const keyedPage = await browser.newPage();
    const keyedSeen = watch(keyedPage);
    await keyedPage.goto(`${keyedBase}/`);
    await keyedPage.click("#go");
    const denied = await keyedPage.waitFor<string>(
      `(() => { const t = document.getElementById("out").textContent; return t !== "…" && t; })()`,
    );
    assert.match(denied, /^Cannot /);
    await keyedPage.type("#key", "s3cret");
    await keyedPage.click("#go");
    const keyedRows = await keyedPage.waitFor<Row[]>(
      `(() => { const r = ${READ_ROWS}; return r.length ? r : null; })()`,
    );
    assert.deepEqual(keyedRows.map((r) => r.label), ["ham", "spam"]);

    // No reference to another origin in the markup or styles either.
    for (const path of ["/", "/docs"]) {
      const html = await (await fetch(`${base}${path}`)).text();
      assert.doesNotMatch(html, /\b(?:src|href|action)\s*=\s*["']?(?:[a-z]+:)?\/\//i, path);
      assert.doesNotMatch(html, /@import|url\(/i, path);
    }
    // Everything either page loaded came from the server itself.
    for (const [origin, s] of [[base, seen], [keyedBase, keyedSeen]] as const) {
      assert.ok(s.requests.length >= 3, s.requests.join("\n"));
      const foreign = s.requests.filter((u) => !u.startsWith(`${origin}/`));
      assert.deepEqual(foreign, [], "requests to other origins");
    }
    // The one expected console error is the keyed page's first, key-less 401.
    assert.deepEqual(seen.errors, []);
    assert.ok(keyedSeen.errors.every((e) => /401/.test(e)), keyedSeen.errors.join("\n"));
  } finally {
    await browser.close();
    await open.shutdown();
    await keyed.shutdown();
    clf.dispose();
    await Deno.remove(weights, { recursive: true });
  }
});
