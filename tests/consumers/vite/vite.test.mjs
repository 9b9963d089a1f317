// A Vite app (index.html + main.js, no vite config at all) that imports the packed package,
// built with `vite build` and served by the HubSpot emulator (same origin: HubSpot refuses
// CORS), run in headless Chromium. The page updates deals; the test reads the outcome from the
// page AND from the emulator's records. The dev server is checked too. The page also checks that
// the browser build's createBatchUpdateHandler (no edge proxy there) throws INVALID_CONFIG.
import { test, before, after } from "node:test";
import assert from "node:assert/strict";
import { execFile as execFileCb } from "node:child_process";
import { existsSync, readdirSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { promisify } from "node:util";
import { startEmulator } from "../../emulator/emulator.mjs";
import { chromiumMissing, launchChromium } from "../../support/chromium.mjs";
import { REPO_DIR, removeDir, setUpProject } from "../support.mjs";

const execFile = promisify(execFileCb);
const HERE = dirname(fileURLToPath(import.meta.url));
const VITE = join(REPO_DIR, "node_modules", ".bin", "vite");
const skip = chromiumMissing;

let dir, browser;
before(async () => {
  if (skip) return;
  dir = await setUpProject(HERE);
  browser = await launchChromium();
});
after(async () => {
  await browser?.close();
  removeDir(dir);
});

async function runPage(url) {
  const page = await browser.newPage();
  const problems = [];
  page.on("pageerror", (e) => problems.push(`pageerror: ${e.message}`));
  // Chromium logs every non-2xx fetch; the 400s are HubSpot's answers to the invalid deal.
  page.on("console", (m) => m.type() === "error" && !/status of 400 \(Bad Request\)/.test(m.text()) && problems.push(`console: ${m.text()}`));
  page.on("requestfailed", (r) => problems.push(`requestfailed: ${r.url()} ${r.failure()?.errorText}`));
  try {
    await page.goto(url);
    await page.waitForFunction(() => window.__result, null, { timeout: 20_000 });
    return {
      out: await page.evaluate(() => window.__result),
      status: await page.textContent("#status"),
      rows: await page.$$eval("#rows tr", (trs) => trs.map((tr) => [...tr.children].map((td) => td.textContent))),
      problems,
    };
  } catch (e) {
    throw new Error(`${e.message}\n${problems.join("\n")}`);
  } finally {
    await page.close();
  }
}

function checkPage({ out, status, rows, problems }, emulator) {
  assert.equal(out.error, undefined, out.error);
  // buildBatchUpdateRequests in the browser: batches of 2, formatted values, no token header
  assert.deepEqual(out.planned.map((r) => r.inputIndexes), [[0, 1], [2, 3], [4]]);
  assert.ok(out.planned.every((r) => r.method === "POST" && r.url === `${out.api}/crm/v3/objects/0-3/batch/update`));
  assert.deepEqual(out.planned[0].body.inputs[0].properties, { dealstage: "closedwon", amount: "1500", closedate: String(Date.UTC(2026, 0, 15)) });
  assert.equal(out.planned[0].body.inputs[1].properties.tags, "hot;enterprise");
  // the update's outcome, as the page saw and showed it
  assert.equal(out.result.status, "COMPLETE");
  assert.deepEqual(out.result.results.map((r) => r.id).sort(), ["1", "2", "3", "5"]);
  assert.deepEqual(out.result.failed.map((f) => [f.index, f.id, f.error.category]), [[3, "4", "VALIDATION_ERROR"]]);
  assert.deepEqual(out.progress.at(-1), { done: 5, failed: 1, total: 5 });
  assert.equal(status, "4 updated, 1 failed");
  assert.equal(rows.length, 5);
  assert.deepEqual(rows.at(-1), ["3", "4", "failed: VALIDATION_ERROR"]);
  assert.equal(out.invalid?.isHubSpotError, true);
  assert.equal(out.invalid.code, "INVALID_INPUT");
  assert.match(out.invalid.message, /inputs\[0\]/);
  // the browser entry has no edge proxy: createBatchUpdateHandler throws INVALID_CONFIG
  assert.deepEqual(
    { ...out.proxyStub, message: undefined },
    { threw: true, isHubSpotError: true, isError: true, name: "HubSpotError", code: "INVALID_CONFIG", message: undefined },
  );
  assert.match(out.proxyStub.message, /not available in the browser build/);
  assert.match(out.proxyStub.message, /Worker/);
  assert.match(out.proxyStub.message, /Node\.js/);
  assert.doesNotMatch(out.proxyStub.message, /pat-na1/, "the token given is not echoed");
  assert.deepEqual(problems, []);
  // ...and what the emulator holds
  const [d1, d2, d3, d4, d5] = emulator.getRecords("deals", ["1", "2", "3", "4", "5"]);
  assert.equal(d1.properties.dealstage, "closedwon");
  assert.equal(d1.properties.amount, "1500");
  assert.equal(d1.properties.closedate, String(Date.UTC(2026, 0, 15)));
  assert.equal(d2.properties.tags, "hot;enterprise");
  assert.equal(d3.properties.amount, "99.95");
  assert.equal(d3.properties.description, "");
  assert.equal(d5.properties.dealstage, "contractsent");
  for (const d of [d1, d2, d3, d5]) assert.equal(d.writes, 1);
  assert.equal(d4.writes, 0);
  const log = emulator.getLog(0).filter((e) => e.path.startsWith("/crm/"));
  assert.ok(log.length >= 3);
  assert.ok(log.every((e) => e.authorization === "none"), "the page sent no token");
}

test("vite build (default config), served by the emulator, updates deals in Chromium", { skip, timeout: 60_000 }, async () => {
  await execFile(VITE, ["build", "--logLevel", "warn"], { cwd: dir, timeout: 45_000 });
  const assets = readdirSync(join(dir, "dist", "assets"));
  assert.ok(assets.some((f) => f.endsWith(".wasm")), `the .wasm is emitted as an asset: ${assets}`);
  assert.ok(!existsSync(join(dir, "vite.config.js")) && !existsSync(join(dir, "vite.config.mjs")), "no vite config");
  const { url, close, emulator } = await startEmulator({ deals: 10, sandbox: true, staticDir: join(dir, "dist") });
  try {
    checkPage(await runPage(`${url}/`), emulator);
  } finally {
    await close();
  }
});

test("vite dev server (default config) updates deals in Chromium", { skip, timeout: 60_000 }, async () => {
  const { createServer } = await import("vite");
  // Only where to listen is set; resolution, optimizeDeps, plugins: all Vite defaults.
  const vite = await createServer({
    root: dir,
    configFile: false,
    logLevel: "warn",
    server: { host: "127.0.0.1", port: 0, strictPort: false, hmr: false },
  });
  await vite.listen();
  // The dev server is another origin than the API here, so the emulator allows CORS.
  const { url, close, emulator } = await startEmulator({ deals: 10, sandbox: true, cors: true });
  try {
    const { port } = vite.httpServer.address();
    checkPage(await runPage(`http://127.0.0.1:${port}/?api=${encodeURIComponent(url)}`), emulator);
  } finally {
    await close();
    await vite.close();
  }
});
