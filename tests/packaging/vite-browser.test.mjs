// The packed package works in a Vite app with Vite's default config (no plugins, no config file),
// both as a production build and under the dev server, loaded in headless Chromium.
// All traffic stays on 127.0.0.1 (Chromium's resolver maps every other host to nothing).
import { test, before, after } from "node:test";
import assert from "node:assert/strict";
import { execFile as execFileCb } from "node:child_process";
import { createServer } from "node:http";
import { readdirSync, rmSync, writeFileSync } from "node:fs";
import { readFile } from "node:fs/promises";
import { extname, join, normalize } from "node:path";
import { promisify } from "node:util";
import { installPackedPackage, REPO_DIR } from "../support/install-pkg.mjs";
import { startTinyHubSpot } from "../support/tiny-hubspot.mjs";
import { chromiumMissing, launchChromium } from "../support/chromium.mjs";

const execFile = promisify(execFileCb);
const VITE_BIN = join(REPO_DIR, "node_modules", "vite", "bin", "vite.js");
const skip = chromiumMissing;

const MAIN_JS = `
// Deliberately no init(): the contract says update() never needs it, and importing only the API
// is what would break if a bundler dropped the package's top-level initialisation.
import { HubSpotBatch, HubSpotError, buildBatchUpdateRequests, parseBatchResponse, formatPropertyValue } from "hubspot-batch";

const out = {};
try {
  out.types = { HubSpotBatch: typeof HubSpotBatch, HubSpotError: typeof HubSpotError, buildBatchUpdateRequests: typeof buildBatchUpdateRequests, parseBatchResponse: typeof parseBatchResponse, formatPropertyValue: typeof formatPropertyValue };
  out.formatted = formatPropertyValue(1.5);
  const api = new URLSearchParams(location.search).get("api");
  const client = new HubSpotBatch({ accessToken: "test-token", baseUrl: api });
  const result = await client.update([{ id: "1", properties: { amount: 1.5 } }]);
  out.updated = result.results.length;
  out.failed = Array.isArray(result.failed) ? result.failed.length : 0;
} catch (e) {
  out.error = String(e && e.stack || e);
}
window.__result = out;
`;

let dir, hubspot, browser;

before(async () => {
  if (skip) return;
  dir = await installPackedPackage();
  writeFileSync(
    join(dir, "index.html"),
    `<!doctype html>\n<html><head><meta charset="utf-8"><link rel="icon" href="data:,"><title>hubspot-batch</title></head>\n<body><script type="module" src="/main.js"></script></body></html>\n`,
  );
  writeFileSync(join(dir, "main.js"), MAIN_JS);
  hubspot = await startTinyHubSpot();
  browser = await launchChromium();
});

after(async () => {
  await browser?.close();
  await hubspot?.close();
  if (dir) rmSync(dir, { recursive: true, force: true });
});

async function loadPage(url) {
  const page = await browser.newPage();
  const problems = [];
  page.on("pageerror", (e) => problems.push(`pageerror: ${e.message}`));
  page.on("console", (m) => m.type() === "error" && problems.push(`console: ${m.text()}`));
  page.on("requestfailed", (r) => problems.push(`requestfailed: ${r.url()} ${r.failure()?.errorText}`));
  try {
    await page.goto(`${url}?api=${encodeURIComponent(hubspot.url)}`);
    await page.waitForFunction(() => window.__result, null, { timeout: 20_000 });
    return { result: await page.evaluate(() => window.__result), problems };
  } catch (e) {
    throw new Error(`${e.message}\n${problems.join("\n")}`);
  } finally {
    await page.close();
  }
}

function checkResult({ result, problems }) {
  assert.equal(result.error, undefined, result.error);
  for (const [name, type] of Object.entries(result.types)) assert.equal(type, "function", `${name} is a function`);
  assert.equal(result.formatted, "1.5");
  assert.equal(result.updated, 1, "update() went through the browser's fetch");
  assert.equal(result.failed, 0);
  assert.deepEqual(problems, []);
}

function serveStatic(root) {
  const types = { ".html": "text/html", ".js": "text/javascript", ".wasm": "application/wasm", ".css": "text/css" };
  const server = createServer(async (req, res) => {
    const path = normalize(decodeURIComponent(new URL(req.url, "http://x").pathname));
    try {
      const body = await readFile(join(root, path === "/" ? "index.html" : path));
      res.writeHead(200, { "content-type": types[extname(path) || ".html"] ?? "application/octet-stream" });
      res.end(body);
    } catch {
      res.writeHead(404);
      res.end();
    }
  });
  return new Promise((resolve) =>
    server.listen(0, "127.0.0.1", () =>
      resolve({ url: `http://127.0.0.1:${server.address().port}/`, close: () => new Promise((r) => server.close(r)) }),
    ),
  );
}

test("vite build (default config) runs in Chromium", { skip, timeout: 120_000 }, async () => {
  await execFile(process.execPath, [VITE_BIN, "build", "--logLevel", "warn"], { cwd: dir, timeout: 60_000 });
  const assets = readdirSync(join(dir, "dist", "assets"));
  assert.ok(assets.some((f) => f.endsWith(".wasm")), `the .wasm is emitted as an asset: ${assets}`);
  const server = await serveStatic(join(dir, "dist"));
  try {
    checkResult(await loadPage(server.url));
  } finally {
    await server.close();
  }
});

test("vite dev server (default config) runs in Chromium", { skip, timeout: 120_000 }, async () => {
  const { createServer: createViteServer } = await import("vite");
  // Only where to listen is set; resolution, optimizeDeps, plugins: all Vite defaults.
  const vite = await createViteServer({
    root: dir,
    configFile: false,
    logLevel: "warn",
    server: { host: "127.0.0.1", port: 0, strictPort: false, hmr: false },
  });
  await vite.listen();
  try {
    const { port } = vite.httpServer.address();
    checkResult(await loadPage(`http://127.0.0.1:${port}/`));
  } finally {
    await vite.close();
  }
});
