// End-to-end test of the demo page (www/) in Debian's Chromium through playwright-core.
//
//   node --test tests/demo/          (needs pkg/ built: scripts/build-pkg, or scripts/demo once)
//   DEMO_PKG_DIR=/some/pkg node --test tests/demo/    (serve another build at /pkg/)
//
// One demo server (www/serve.mjs: emulator in sandbox mode + www/ at / + pkg/ at /pkg/) on an
// ephemeral port; the emulator is inspected in-process to check what the page claims.
// Screenshots go to target/demo/ (not committed).

import { test, before, after } from "node:test";
import assert from "node:assert/strict";
import { existsSync, mkdirSync, readFileSync } from "node:fs";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { startDemo } from "../../www/serve.mjs";
import { parseInputText, parseCsv } from "../../www/data.js";

const REPO = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "../..");
const SHOTS = path.join(REPO, "target", "demo");
const CHROMIUM = "/usr/bin/chromium";
const ROWS = 2000;
// The package to serve at /pkg/ (default: the repo's pkg/, as scripts/demo does).
const PKG_DIR = path.resolve(process.env.DEMO_PKG_DIR || path.join(REPO, "pkg"));

// The emulator's rules (tests/emulator/README.md), written out independently of the page.
const STAGES = ["appointmentscheduled", "qualifiedtobuy", "presentationscheduled", "decisionmakerboughtin", "contractsent", "closedwon", "closedlost"];
const TAGS = ["hot", "cold", "renewal", "upsell", "enterprise", "smb"];
const WRITABLE = new Set(["dealname", "amount", "dealstage", "pipeline", "closedate", "hubspot_owner_id", "description", "deal_external_id", "tags"]);
function invalidProperty(props) {
  for (const [k, v] of Object.entries(props)) {
    if (!WRITABLE.has(k)) return k;
    if (v === "") continue;
    if (k === "dealstage" && !STAGES.includes(v)) return k;
    if (k === "amount" && !/^-?(\d+(\.\d*)?|\.\d+)$/.test(v)) return k;
    if (k === "closedate" && !/^(\d+|\d{4}-\d{2}-\d{2}(T[\d:.]+(Z|[+-]\d{2}:?\d{2})?)?)$/.test(v)) return k;
    if (k === "tags" && v.split(";").some((t) => !TAGS.includes(t))) return k;
  }
  return null;
}

let demo, browser, page;
const pageErrors = [];

async function loadPlaywright() {
  try {
    return await import("playwright-core");
  } catch {
    throw new Error("playwright-core is not installed: run `npm ci` (or `npm i --no-save playwright-core`) at the repo root");
  }
}

before(async () => {
  assert.ok(existsSync(path.join(PKG_DIR, "browser.js")), `${PKG_DIR}/browser.js missing: build the package first (scripts/build-pkg)`);
  assert.ok(existsSync(CHROMIUM), `${CHROMIUM} missing (apt-get install chromium); this test never downloads a browser`);
  mkdirSync(SHOTS, { recursive: true });
  const { chromium } = await loadPlaywright();
  demo = await startDemo({ port: 0, pkgDir: PKG_DIR });
  browser = await chromium.launch({
    executablePath: CHROMIUM,
    args: ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update",
      "--disable-sync", "--no-first-run", "--disable-quic"],
  });
  page = await browser.newPage({ viewport: { width: 1360, height: 1000 }, acceptDownloads: true });
  page.on("pageerror", (e) => pageErrors.push(String(e)));
  await page.goto(`${demo.url}/`);
  await page.waitForSelector('body[data-ready="true"]', { timeout: 15_000 });
});

after(async () => {
  await browser?.close();
  await demo?.close();
});

const text = (sel) => page.textContent(sel).then((s) => s.trim());
const num = async (sel) => Number((await text(sel)).replace(/[^\d]/g, ""));
const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

async function applyChaos({ faultRate, latencyMs, uncheck = [] }) {
  await page.fill("#chaos-fault-rate", String(faultRate));
  await page.fill("#chaos-latency", String(latencyMs));
  if (uncheck.length && !(await page.getAttribute("#chaos-kinds-details", "open") !== null)) await page.click("#chaos-kinds-details summary");
  for (const kind of uncheck) await page.setChecked(`[data-testid="kind-${kind}"]`, false);
  await page.click("#chaos-apply");
  await page.waitForFunction(([r, l]) => document.querySelector("#chaos-status").textContent.includes(`Applied: ${r}% faults, ${l} ms latency`),
    [faultRate, latencyMs], { timeout: 5_000 });
  const cfg = demo.emulator.getConfig();
  assert.equal(cfg.faultRate, faultRate / 100);
  assert.equal(cfg.latencyMs, latencyMs);
  for (const kind of uncheck) assert.ok(!cfg.faultKinds.includes(kind), `${kind} still enabled`);
}

async function generate(count, invalidPercent) {
  await page.fill("#sample-count", String(count));
  await page.fill("#sample-invalid", String(invalidPercent));
  await page.click("#generate");
  await page.waitForFunction((n) => document.querySelector("#input-summary").textContent.startsWith(`${n.toLocaleString("en")} rows`), count);
  return parseInputText(await page.inputValue("#input-text"));
}

async function tableRows() {
  return page.$$eval("#results-body tr[data-outcome]", (trs) => trs.map((tr) => ({
    index: Number(tr.dataset.index), id: tr.dataset.id, outcome: tr.dataset.outcome,
    details: tr.querySelector(".details").textContent.trim(),
  })));
}

test("the page loads, every control is labelled, and a dry run shows the exact requests", async () => {
  const unlabelled = await page.$$eval("input, select, textarea", (els) =>
    els.filter((e) => e.type !== "hidden" && !e.labels?.length && !e.getAttribute("aria-label")).map((e) => e.id || e.outerHTML));
  assert.deepEqual(unlabelled, []);
  assert.equal(await page.getAttribute("#status", "aria-live"), "polite");
  assert.equal(await page.getAttribute("#progress", "role"), "progressbar");
  assert.match(await text("#target-badge"), /^Sandbox · 127\.0\.0\.1:\d+$/);

  const before = demo.emulator.getState().requests;
  const { inputs } = await generate(250, 2);
  assert.equal(inputs.length, 250);
  await page.click("#dry-run");
  await page.waitForSelector('#dry-card[data-state="ok"]');
  assert.equal(await num('[data-testid="dry-run-count"]'), 3);
  assert.equal(await text('[data-testid="dry-run-endpoint"]'), `POST ${demo.url}/crm/v3/objects/deals/batch/update`);
  const body = JSON.parse(await text('[data-testid="dry-run-body"]'));
  assert.equal(body.inputs.length, 100);
  assert.deepEqual(body.inputs[0], { id: inputs[0].id, properties: inputs[0].properties });

  // Input the package refuses: the whole call is rejected, naming the input index and field.
  await page.fill("#input-text", '[{"id": "1", "amount": 5}, {"id": "2", "amount": {"value": 5}}]');
  await page.click("#dry-run");
  await page.waitForSelector('#dry-card[data-state="invalid"]');
  const err = await text('[data-testid="dry-run-error"]');
  assert.match(err, /INVALID_INPUT/);
  assert.match(err, /inputs\[1\]\.properties\.amount/);
  assert.equal(await page.getAttribute("#status", "data-state"), "invalid");
  assert.equal(demo.emulator.getState().requests, before, "a dry run sends nothing");
  assert.deepEqual(pageErrors, []);
});

test(`a run of ${ROWS} deals with invalid rows and 15% faults: the table matches the emulator`, { timeout: 70_000 }, async (t) => {
  await page.click("#chaos-reset");
  await page.waitForFunction(() => document.querySelector("#chaos-status").textContent.startsWith("Data reseeded"));
  assert.equal(demo.emulator.getState().requests, 0);
  // All recoverable faults except the plain ten-secondly 429 (no Retry-After): each one rightly
  // pauses the client for a whole 10 s window, which would only make this test slow.
  await applyChaos({ faultRate: 15, latencyMs: 5, uncheck: ["429-ten-secondly"] });

  const { inputs } = await generate(ROWS, 0.4);
  const invalid = new Set(inputs.map((x, i) => (invalidProperty(x.properties) ? i : -1)).filter((i) => i >= 0));
  assert.ok(invalid.size >= 4, `expected some invalid rows, got ${invalid.size}`);

  await page.click("#dry-run");
  await page.waitForSelector('#dry-card[data-state="ok"]');
  assert.equal(await num('[data-testid="dry-run-count"]'), ROWS / 100);
  assert.equal(JSON.parse(await text('[data-testid="dry-run-body"]')).inputs[0].id, inputs[0].id);

  const t0 = Date.now();
  await page.click("#run");
  await page.waitForSelector('#progress[data-state="running"]');
  assert.equal(await page.isDisabled("#run"), true);
  assert.equal(await page.isEnabled("#cancel"), true);
  await page.waitForSelector('#progress[data-state="done"]', { timeout: 60_000 });
  t.diagnostic(`run took ${Date.now() - t0} ms`);

  // Progress bar, counters and table agree with each other.
  assert.equal(await page.getAttribute("#progress", "data-done"), String(ROWS));
  assert.equal(await page.getAttribute("#progress", "aria-valuenow"), String(ROWS));
  const rows = await tableRows();
  assert.equal(rows.length, ROWS);
  const updated = rows.filter((r) => r.outcome === "updated");
  const failed = rows.filter((r) => r.outcome === "failed");
  assert.equal(updated.length + failed.length, ROWS, "every row is updated or failed");
  assert.equal(await num("#c-updated"), updated.length);
  assert.equal(await num("#c-failed"), failed.length);
  assert.equal(await num("#f-updated"), updated.length);
  assert.equal(await num("#f-failed"), failed.length);
  assert.equal(Number(await page.getAttribute("#progress", "data-failed")), failed.length);
  assert.match(await text("#status"), new RegExp(`^Done in [\\d.]+ m?s: ${updated.length.toLocaleString("en")} rows updated, ${failed.length.toLocaleString("en")} failed\\.$`));

  // What the page says against what the emulator holds.
  for (const r of rows) assert.equal(r.id, inputs[r.index].id, `row ${r.index} is input ${r.index}`);
  for (const r of updated) {
    const rec = demo.emulator.getRecord("deals", r.id);
    assert.ok(rec && rec.writes >= 1, `row ${r.index} (deal ${r.id}) shown updated but never written`);
    for (const [k, v] of Object.entries(inputs[r.index].properties))
      assert.equal(rec.properties[k], v, `deal ${r.id}.${k} shown updated but holds ${rec.properties[k]}`);
  }
  for (const i of invalid) {
    const r = rows[i];
    assert.equal(r.outcome, "failed", `invalid row ${i} (deal ${r.id}) not failed`);
    assert.equal(demo.emulator.getRecord("deals", r.id).writes, 0, `invalid row ${i} was applied`);
    assert.match(r.details, /HTTP 400/);
  }
  for (const r of failed) assert.ok(r.details.length > 10, `failed row ${r.index} has no message`);
  const inputIds = new Set(inputs.map((x) => x.id));
  const written = demo.emulator.getRecords("deals", Array.from({ length: 3000 }, (_, i) => String(i + 1))).filter((x) => x.writes > 0);
  assert.ok(written.every((x) => inputIds.has(x.id)), "a record outside the input was written");
  assert.ok(written.length >= updated.length);

  // The chaos really happened, and the counters come from result.stats.
  const state = demo.emulator.getState();
  const faults = Object.values(state.faultsInjected).reduce((a, b) => a + b, 0);
  const requests = await num("#c-requests");
  t.diagnostic(`${updated.length} updated, ${failed.length} failed (${invalid.size} invalid on purpose, ${failed.length - invalid.size} valid rows failed by faults); ${requests} requests, ${await num("#c-retries")} retries, ${await num("#c-429")} 429s; emulator saw ${state.requests} requests, ${faults} faults ${JSON.stringify(state.faultsInjected)}`);
  assert.ok(faults > 0, "no faults were injected");
  assert.ok(await num("#c-retries") > 0, "no retries shown");
  assert.ok(requests >= ROWS / 100 && requests <= state.requests, `requests counter ${requests} vs emulator ${state.requests}`);

  // Failed rows as CSV: exactly the failed ones, with HubSpot's message, ready to re-import.
  const [download] = await Promise.all([page.waitForEvent("download"), page.click("#download-failed")]);
  const csv = parseCsv(readFileSync(await download.path(), "utf8"));
  assert.deepEqual(csv[0], ["id", "dealname", "amount", "dealstage", "closedate", "tags", "#outcome", "#category", "#error"]);
  assert.deepEqual(csv.slice(1).map((r) => r[0]).sort(), failed.map((r) => r.id).sort());
  assert.ok(csv.slice(1).every((r) => r[8].length > 0));

  await page.check('[data-testid="filter-failed"]');
  assert.equal((await tableRows()).length, failed.length);
  await page.screenshot({ path: path.join(SHOTS, "demo.png"), fullPage: true });
  await page.setViewportSize({ width: 390, height: 844 });
  await page.screenshot({ path: path.join(SHOTS, "demo-mobile.png"), fullPage: true });
  await page.setViewportSize({ width: 1360, height: 1000 });
  await page.check('[data-testid="filter-all"]');

  // "Load failed rows to fix" puts them back into the input; #-columns are ignored.
  await page.click("#retry-failed");
  const again = parseInputText(await page.inputValue("#input-text"));
  assert.equal(again.inputs.length, failed.length);
  assert.ok(again.inputs.every((x) => !Object.keys(x.properties).some((k) => k.startsWith("#"))));
  assert.deepEqual(pageErrors, []);
});

test("Cancel (Esc) stops a run: progress stops, status says cancelled, nothing more is sent", { timeout: 30_000 }, async (t) => {
  await applyChaos({ faultRate: 0, latencyMs: 700 });
  await page.click("#client-options summary");
  await page.fill("#opt-concurrency", "2");
  await generate(ROWS, 0);

  await page.click("#run");
  await page.waitForFunction(() => Number(document.querySelector("#progress").dataset.done) >= 200, null, { timeout: 10_000 });
  await page.keyboard.press("Escape");
  await page.waitForSelector('#status[data-state="cancelled"]', { timeout: 5_000 });
  const settledLog = demo.emulator.getLog(0).length;
  const done = Number(await page.getAttribute("#progress", "data-done"));
  assert.equal(await page.getAttribute("#progress", "data-state"), "cancelled");
  assert.match(await text("#status"), /^Cancelled after [\d.]+ m?s\. Nothing more will be sent\./);
  assert.ok(done >= 200 && done < ROWS, `done=${done}`);
  assert.equal(await page.isDisabled("#cancel"), true);
  assert.equal(await page.isEnabled("#run"), true);

  await sleep(2_000); // several latency periods: a request still being sent would show up
  assert.equal(demo.emulator.getLog(0).length, settledLog, "requests reached the emulator after the cancel settled");
  assert.equal(Number(await page.getAttribute("#progress", "data-done")), done, "progress moved after the cancel");
  t.diagnostic(`cancelled at ${done}/${ROWS}; emulator log ${settledLog} entries`);

  // If the package handed back the partial result, rows shown updated really were written.
  if (!(await page.isHidden("#results-card"))) {
    const rows = await tableRows();
    const shownUpdated = rows.filter((r) => r.outcome === "updated");
    for (const r of shownUpdated) assert.ok(demo.emulator.getRecord("deals", r.id).writes >= 1, `deal ${r.id} shown updated`);
    assert.ok(shownUpdated.length <= done);
    t.diagnostic(`partial result: ${shownUpdated.length} updated, ${rows.length - shownUpdated.length} not updated`);
  }
  await page.screenshot({ path: path.join(SHOTS, "demo-cancelled.png"), fullPage: true });
  await page.fill("#opt-concurrency", "10");
  await applyChaos({ faultRate: 0, latencyMs: 0 });
  assert.deepEqual(pageErrors, []);
});

test("Proxy target: https enforced, the token stays secret and in memory unless remembered", { timeout: 20_000 }, async () => {
  const key = "hubspot-batch-demo.token";
  await page.check("#target-proxy");
  assert.equal(await page.isVisible("#proxy-url"), true);
  assert.equal(await page.getAttribute("#chaos-card", "aria-disabled"), "true");
  await page.fill("#input-text", "id,amount\n7,700\n8,800\n");
  const before = demo.emulator.getState().requests;

  // A non-loopback http: proxy is refused by the package before anything is sent.
  await page.fill("#proxy-url", "http://proxy.example.com");
  await page.click("#run");
  await page.waitForSelector('#status[data-state="error"]');
  assert.match(await text("#status"), /INVALID_CONFIG.*https/);
  assert.equal(demo.emulator.getState().requests, before);

  // This origin as the "proxy" (loopback http is allowed), with a wrong token: 401, never echoed.
  await page.fill("#proxy-url", demo.url);
  await page.fill("#token", "wrong-secret-token-123");
  await page.click("#dry-run");
  await page.click("#dry-card summary");
  const headers = await text("#dry-card pre.code");
  assert.match(headers, /authorization: Bearer •+ \(hidden\)/i);
  assert.ok(!headers.includes("wrong-secret-token-123"));
  await page.click("#run");
  await page.waitForSelector('#status[data-state="error"]');
  const status = await text("#status");
  assert.match(status, /401/);
  assert.ok(!status.includes("wrong-secret-token-123"), "the token leaked into the status");
  assert.equal(await page.evaluate((k) => localStorage.getItem(k), key), null, "token stored without 'remember'");

  // The right token, remembered: the run works and the token is in localStorage until unticked.
  await page.fill("#token", "emulator-token");
  await page.check("#token-remember");
  assert.equal(await page.evaluate((k) => localStorage.getItem(k), key), "emulator-token");
  await page.click("#run");
  await page.waitForSelector('#status[data-state="done"]');
  assert.equal(await num("#c-updated"), 2);
  assert.equal(demo.emulator.getRecord("deals", "8").properties.amount, "800");
  assert.equal(demo.emulator.getLog(0).at(-1).authorization, "bearer-valid");
  await page.uncheck("#token-remember");
  assert.equal(await page.evaluate((k) => localStorage.getItem(k), key), null);

  await page.check("#target-sandbox");
  assert.equal(await page.getAttribute("#chaos-card", "aria-disabled"), "false");
  assert.deepEqual(pageErrors, []);
});
