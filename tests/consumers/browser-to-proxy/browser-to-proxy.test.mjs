// End to end: a page in headless Chromium (served from 127.0.0.1 on its own port) -> the
// examples/worker edge proxy on workerd (miniflare, another origin) -> the HubSpot emulator.
// The page uses `new HubSpotBatch({ baseUrl: <worker url> })` and holds no token; the emulator
// must receive every request with the token, and the token must appear nowhere in the page.
import { test, before, after } from "node:test";
import assert from "node:assert/strict";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { startEmulator } from "../../emulator/emulator.mjs";
import { chromiumMissing, launchChromium } from "../../support/chromium.mjs";
import { EXAMPLE_WORKER_DIR, TOKEN, bundleWorker, removeDir, serveStatic, setUpProject, startWorker } from "../support.mjs";

const HERE = dirname(fileURLToPath(import.meta.url));
const skip = chromiumMissing;

let pageDir, workerDir, hub, site, worker, browser;

before(async () => {
  if (skip) return;
  [pageDir, workerDir] = await Promise.all([
    setUpProject(HERE),
    setUpProject(EXAMPLE_WORKER_DIR, { name: "worker", only: ["src", "wrangler.toml"] }),
  ]);
  hub = await startEmulator({ deals: 20 }); // not sandboxed: a request without the token is a 401
  site = await serveStatic(pageDir);
  const bundle = await bundleWorker(join(workerDir, "src", "index.js"), join(workerDir, "dist"));
  worker = await startWorker({
    ...bundle,
    bindings: { HUBSPOT_TOKEN: TOKEN, ALLOWED_ORIGINS: site.url, HUBSPOT_BASE_URL: hub.url },
  });
  browser = await launchChromium();
});

after(async () => {
  await browser?.close();
  await worker?.close();
  await site?.close();
  await hub?.close();
  removeDir(pageDir);
  removeDir(workerDir);
});

test("page -> Worker (workerd) -> emulator: deals updated, the token never reaches the page", { skip, timeout: 60_000 }, async () => {
  assert.notEqual(new URL(site.url).origin, new URL(worker.url).origin, "the page and the Worker are different origins");
  const page = await browser.newPage();
  const problems = [];
  const network = []; // every response the browser received, headers and bodies
  page.on("pageerror", (e) => problems.push(`pageerror: ${e.message}`));
  page.on("requestfailed", (r) => problems.push(`requestfailed: ${r.url()} ${r.failure()?.errorText}`));
  const reading = [];
  page.on("response", (r) =>
    reading.push(
      (async () => {
        network.push({
          url: r.url(),
          status: r.status(),
          headers: await r.allHeaders().catch(() => ({})),
          requestHeaders: await r.request().allHeaders().catch(() => ({})),
          body: await r.body().then((b) => b.toString("latin1"), () => ""), // preflights have none
        });
      })(),
    ),
  );
  let out, html;
  try {
    await page.goto(`${site.url}/?proxy=${encodeURIComponent(worker.url)}`);
    await page.waitForFunction(() => window.__result, null, { timeout: 30_000 });
    out = await page.evaluate(() => window.__result);
    html = await page.evaluate(() => document.documentElement.outerHTML);
    await Promise.all(reading);
  } catch (e) {
    throw new Error(`${e.message}\n${problems.join("\n")}`);
  } finally {
    await page.close();
  }
  assert.equal(out.error, undefined, out.error);
  assert.deepEqual(problems, []);

  // 1. the client in the page, through the forwarded endpoint
  const { result } = out;
  assert.equal(result.status, "COMPLETE");
  assert.deepEqual(result.results.map((r) => r.id).sort(), ["1", "2", "4"]);
  assert.deepEqual(result.failed.map((f) => [f.index, f.id, f.error.category]), [
    [2, "3", "VALIDATION_ERROR"],
    [4, "999999", "OBJECT_NOT_FOUND"],
  ]);
  assert.deepEqual(out.progress.at(-1), { done: 5, failed: 2, total: 5 });
  // 2. the edge route
  assert.equal(out.edge.status, 200);
  assert.deepEqual(out.edge.result.results.map((r) => r.id), ["6"]);
  // 3. the proxy's refusal, as a HubSpotError in the page
  assert.equal(out.refused.isHubSpotError, true, JSON.stringify(out.refused));
  assert.equal(out.refused.status, 403);
  assert.equal(out.refused.category, "OBJECT_TYPE_NOT_ALLOWED");

  // The emulator got the updates, every one with the token.
  const [d1, d2, d3, d4, d6] = hub.emulator.getRecords("deals", ["1", "2", "3", "4", "6"]);
  assert.equal(d1.properties.dealstage, "closedwon");
  assert.equal(d1.properties.amount, "1200");
  assert.equal(d2.properties.tags, "upsell");
  assert.equal(d4.properties.closedate, String(Date.UTC(2026, 5, 30)));
  assert.equal(d6.properties.amount, "66");
  assert.equal(d3.writes, 0);
  const log = hub.emulator.getLog(0);
  assert.ok(log.length >= 4, `${log.length} requests reached the emulator`);
  assert.deepEqual([...new Set(log.map((e) => e.authorization))], ["bearer-valid"]);
  assert.ok(log.every((e) => e.objectType === "0-3"), "the refused object type never reached HubSpot");

  // The page never saw the token: not in its document, not in what its JS got back, not in any
  // response (headers or body) the browser received, and it sent no Authorization header.
  assert.ok(out.seen.length >= 5, `${out.seen.length} responses recorded in the page`);
  assert.ok(network.filter((r) => r.url.startsWith(worker.url) && r.body.includes('"results"')).length >= 4, "the browser's network log has the proxy's answers");
  for (const [what, text] of [
    ["the document", html],
    ["window.__result (results, errors, JS-visible responses)", JSON.stringify(out)],
    ["the browser's network log", JSON.stringify(network)],
  ]) {
    assert.ok(!text.includes(TOKEN), `the token is in ${what}`);
  }
  for (const r of network) assert.equal(r.requestHeaders.authorization, undefined, `the page sent Authorization to ${r.url}`);
});
