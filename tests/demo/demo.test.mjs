// End-to-end test of the demo page (www/) in Debian's Chromium through playwright-core.
//
//   node --test tests/demo/          (needs pkg/ built: scripts/build-pkg, or scripts/demo once)
//   DEMO_PKG_DIR=/some/pkg node --test tests/demo/    (serve another build at /pkg/)
//
// One demo server (www/serve.mjs: emulator in sandbox mode + www/ at / + pkg/ at /pkg/) on an
// ephemeral port; the emulator is inspected in-process to check what the page claims.
// Screenshots go to target/demo/ (not committed): demo.png, demo-mobile.png, demo-cancelled.png (update),
// demo-upsert.png, demo-create.png, demo-archive-confirm.png, demo-archive.png, demo-read.png,
// demo-dirty-data.png.

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
    recordId: tr.dataset.recordId, maybe: tr.dataset.mayHaveApplied === "true",
    shownId: tr.cells[1].textContent.trim(), badge: tr.querySelector(".badge").textContent.trim(),
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

// ---------------------------------------------------------------- the other operations

async function resetData() {
  await page.click("#chaos-reset");
  await page.waitForFunction(() => document.querySelector("#chaos-status").textContent.startsWith("Data reseeded"));
  assert.equal(demo.emulator.getState().requests, 0);
}

/** Clicks a sample preset and waits for its rows; returns the parsed input of that operation. */
async function preset(op, count) {
  await page.click(`[data-testid="sample-${op}"]`);
  await page.waitForFunction((n) => document.querySelector("#input-summary").textContent.startsWith(`${n.toLocaleString("en")} rows`), count);
  assert.equal(await page.isChecked(`[data-testid="op-${op}"]`), true);
  return parseInputText(await page.inputValue("#input-text"), { operation: op });
}

async function dryRunEndpoint(op) {
  await page.click("#dry-run");
  await page.waitForSelector(`#dry-card[data-state="ok"][data-operation="${op}"]`);
  return text('[data-testid="dry-run-endpoint"]');
}

async function runAndWait(timeout = 30_000) {
  await page.click("#run");
  await page.waitForSelector('#progress[data-state="done"]', { timeout });
  await page.waitForSelector('#status[data-state="done"]');
  return tableRows();
}

test("upsert by external id, half new: dry run names batch/upsert, verdicts say created or updated as the emulator did", { timeout: 40_000 }, async (t) => {
  await resetData();
  await applyChaos({ faultRate: 0, latencyMs: 0 });
  const { inputs } = await preset("upsert", 200);
  assert.equal(await page.inputValue("#id-property"), "deal_external_id");
  assert.equal(await page.textContent("#run"), "Run upsert");
  const before = demo.emulator.getState().requests;
  assert.equal(await dryRunEndpoint("upsert"), `POST ${demo.url}/crm/v3/objects/deals/batch/upsert`);
  assert.equal(await num('[data-testid="dry-run-count"]'), 2);
  const body = JSON.parse(await text('[data-testid="dry-run-body"]'));
  assert.deepEqual(body.inputs[0], { id: inputs[0].id, idProperty: "deal_external_id", properties: inputs[0].properties });
  assert.equal(demo.emulator.getState().requests, before, "a dry run sends nothing");

  // What existed before, by external id: those must come back "updated", the rest "created".
  const existed = new Set(demo.emulator.records("deals", { createdBy: "seed" }).map((r) => r.properties.deal_external_id));
  const rows = await runAndWait();
  assert.equal(rows.length, 200);
  const created = rows.filter((r) => r.outcome === "created"), updated = rows.filter((r) => r.outcome === "updated");
  assert.equal(created.length + updated.length, 200, "every row created or updated");
  assert.ok(created.length >= 60 && updated.length >= 60, `half new: ${created.length} created, ${updated.length} updated`);
  for (const r of rows) {
    assert.equal(r.id, inputs[r.index].id);
    assert.equal(r.outcome, existed.has(r.id) ? "updated" : "created", `row ${r.index} (${r.id})`);
    const [rec] = demo.emulator.records("deals", { archived: false, where: { deal_external_id: r.id } });
    assert.ok(rec, `no live deal has deal_external_id ${r.id}`);
    assert.equal(rec.id, r.recordId, `row ${r.index} names the record the emulator wrote`);
    assert.equal(rec.createdBy, r.outcome === "created" ? "upsert" : "seed");
    for (const [k, v] of Object.entries(inputs[r.index].properties)) assert.equal(rec.properties[k], v, `${r.id}.${k}`);
  }
  assert.equal(demo.emulator.getState().created.upsert, created.length);
  assert.equal(await num("#c-updated"), 200);
  assert.equal(await text("#c-updated-label"), "Upserted");
  assert.match(await text("#status"), new RegExp(`^Done in [\\d.]+ m?s: 200 rows upserted \\(${created.length} created, ${updated.length} updated\\), 0 failed\\.$`));
  t.diagnostic(`${created.length} created, ${updated.length} updated`);
  await page.screenshot({ path: path.join(SHOTS, "demo-upsert.png"), fullPage: true });

  // Safe to repeat: the same rows again create nothing.
  const rows2 = await runAndWait();
  assert.equal(rows2.filter((r) => r.outcome === "updated").length, 200);
  assert.equal(demo.emulator.getState().created.upsert, created.length);
  assert.deepEqual(pageErrors, []);
});

test("create 250 deals: dry run names batch/create, each row shows its new id, a lost answer is 'may have been created'", { timeout: 40_000 }, async (t) => {
  await resetData();
  const { inputs, ids } = await preset("create", 250);
  assert.ok(ids.every((id) => id === null), "create rows have no id");
  assert.equal(await page.isHidden("#id-property-field"), true);
  assert.equal(await dryRunEndpoint("create"), `POST ${demo.url}/crm/v3/objects/deals/batch/create`);
  assert.equal(await num('[data-testid="dry-run-count"]'), 3);
  const body = JSON.parse(await text('[data-testid="dry-run-body"]'));
  assert.deepEqual(body.inputs[0].properties, inputs[0].properties);
  assert.equal(body.inputs[0].id, undefined);
  const invalid = new Set(inputs.map((x, i) => (invalidProperty(x.properties) ? i : -1)).filter((i) => i >= 0));
  assert.ok(invalid.size >= 1, "the preset carries invalid rows");

  // The first batch is applied, then answered 504: the client cannot know, so never re-sends.
  demo.emulator.queueFaults(["504-after-apply"]);
  const rows = await runAndWait();
  assert.equal(rows.length, 250);
  const byDescription = (d) => demo.emulator.records("deals", { where: { description: d } });
  const created = rows.filter((r) => r.outcome === "created");
  const maybe = rows.filter((r) => r.maybe);
  const failed = rows.filter((r) => r.outcome === "failed");
  assert.ok(maybe.length >= 1 && maybe.length <= 100, `maybe: ${maybe.length}`);
  for (const r of created) {
    const rec = demo.emulator.getRecord("deals", r.recordId);
    assert.ok(rec && rec.createdBy === "create", `row ${r.index}: record ${r.recordId} was not created`);
    assert.deepEqual(Object.fromEntries(Object.keys(inputs[r.index].properties).map((k) => [k, rec.properties[k]])), inputs[r.index].properties);
    assert.equal(r.shownId, r.recordId);
  }
  for (const r of maybe) {
    assert.equal(r.outcome, "failed");
    assert.equal(r.badge, "May have been created");
    assert.match(r.details, /UNKNOWN_OUTCOME/);
    // It really was applied (after-apply fault), unless the row itself was invalid.
    assert.equal(byDescription(inputs[r.index].properties.description).length, invalid.has(r.index) ? 0 : 1, `maybe row ${r.index}`);
  }
  for (const i of invalid) {
    const r = rows[i];
    assert.equal(r.outcome, "failed", `invalid row ${i}`);
    if (!r.maybe) assert.match(r.details, /VALIDATION_ERROR/);
    assert.equal(byDescription(inputs[i].properties.description).length, 0, `invalid row ${i} was created`);
  }
  assert.equal(created.length + failed.length, 250);
  assert.deepEqual(demo.emulator.duplicates("deals", "description"), [], "a record was created twice");
  assert.equal(demo.emulator.getState().created.create, created.length + maybe.filter((r) => !invalid.has(r.index)).length);
  assert.match(await text("#status"), new RegExp(`^Done in [\\d.]+ m?s: ${created.length} records created, ${failed.length} failed\\. ${maybe.length} rows? may have been created anyway`));
  t.diagnostic(`${created.length} created, ${failed.length} failed (${maybe.length} may have been created, ${invalid.size} invalid)`);
  await page.screenshot({ path: path.join(SHOTS, "demo-create.png"), fullPage: true });
  assert.deepEqual(pageErrors, []);
});

test("archive 20 deals asks first: cancel sends nothing, confirm archives exactly those", { timeout: 40_000 }, async () => {
  await resetData();
  const { inputs } = await preset("archive", 20);
  assert.equal(await page.textContent("#run"), "Archive…");
  assert.equal(await dryRunEndpoint("archive"), `POST ${demo.url}/crm/v3/objects/deals/batch/archive`);
  assert.deepEqual(JSON.parse(await text('[data-testid="dry-run-body"]')), { inputs: inputs.map((id) => ({ id })) });

  // Cancel (the "Keep them" button, then Esc): nothing is sent, nothing archived.
  await page.click("#run");
  await page.waitForSelector("#confirm-dialog[open]");
  assert.equal(await text("#confirm-title"), "Archive 20 deals?");
  assert.equal(await text("#confirm-ok"), "Archive 20 deals");
  await page.screenshot({ path: path.join(SHOTS, "demo-archive-confirm.png"), fullPage: true });
  await page.click('[data-testid="confirm-cancel"]');
  await page.waitForSelector("#confirm-dialog:not([open])", { state: "attached" });
  assert.match(await text("#status"), /^Archive not confirmed: nothing was sent\.$/);
  await page.click("#run");
  await page.waitForSelector("#confirm-dialog[open]");
  await page.keyboard.press("Escape");
  await page.waitForSelector("#confirm-dialog:not([open])", { state: "attached" });
  await sleep(300);
  assert.equal(demo.emulator.getState().requests, 0, "a request was sent without confirmation");
  assert.equal(demo.emulator.getState().archived.deals, 0);

  // Confirm: exactly the 20 are archived, each row says so.
  await page.click("#run");
  await page.waitForSelector("#confirm-dialog[open]");
  await page.click('[data-testid="confirm-archive"]');
  await page.waitForSelector('#progress[data-state="done"]', { timeout: 20_000 });
  await page.waitForSelector('#status[data-state="done"]');
  const rows = await tableRows();
  assert.equal(rows.length, 20);
  for (const r of rows) {
    assert.equal(r.outcome, "archived", `row ${r.index}`);
    assert.equal(r.id, inputs[r.index]);
    assert.equal(demo.emulator.getRecord("deals", r.id).archived, true, `deal ${r.id} shown archived but live`);
  }
  assert.equal(demo.emulator.getState().archived.deals, 20);
  assert.equal(demo.emulator.getState().operations.archive, 1);
  assert.match(await text("#status"), /^Done in [\d.]+ m?s: 20 records archived, 0 failed\.$/);
  await page.screenshot({ path: path.join(SHOTS, "demo-archive.png"), fullPage: true });
  assert.deepEqual(pageErrors, []);
});

test("read 50 deals: found rows show what the emulator holds, unknown ids OBJECT_NOT_FOUND", { timeout: 30_000 }, async () => {
  // After the archive test: its 20 deals are archived (not found by a read) until the next reset.
  const archived = new Set(demo.emulator.records("deals", { archived: true }).map((r) => r.id));
  const { inputs } = await preset("read", 50);
  assert.equal(await dryRunEndpoint("read"), `POST ${demo.url}/crm/v3/objects/deals/batch/read`);
  const body = JSON.parse(await text('[data-testid="dry-run-body"]'));
  assert.deepEqual(body.properties, ["dealname", "amount", "dealstage"]);
  assert.deepEqual(body.inputs.slice(0, 2), inputs.slice(0, 2).map((id) => ({ id })));
  const applied = demo.emulator.getState().applied;
  const rows = await runAndWait();
  assert.equal(rows.length, 50);
  for (const r of rows) {
    const rec = demo.emulator.getRecord("deals", r.id);
    if (rec && !archived.has(r.id)) {
      assert.equal(r.outcome, "found", `row ${r.index} (deal ${r.id})`);
      for (const k of ["dealname", "amount", "dealstage"]) assert.ok(r.details.includes(`${k}=${rec.properties[k] ?? "∅"}`), `deal ${r.id}.${k}`);
    } else {
      assert.equal(r.outcome, "failed", `row ${r.index} (deal ${r.id}) has no live record`);
      assert.match(r.details, /OBJECT_NOT_FOUND/);
    }
  }
  assert.ok(rows.some((r) => r.outcome === "failed"), "the preset has unknown ids");
  assert.equal(demo.emulator.getState().applied, applied, "a read wrote something");
  await page.screenshot({ path: path.join(SHOTS, "demo-read.png"), fullPage: true });

  // Back to update for whatever runs next.
  await page.check('[data-testid="op-update"]');
  assert.equal(await page.textContent("#run"), "Run update");
  assert.deepEqual(pageErrors, []);
});

// ---------------------------------------------------------------- dirty data and the 5% rule

test("dirty data preset: exactly the bad dealstage rows fail with VALIDATION_ERROR, the error-response share is shown live and from stats", { timeout: 60_000 }, async (t) => {
  await resetData();
  // Some latency, so that the run lasts long enough to watch the live figure.
  await applyChaos({ faultRate: 0, latencyMs: 400 });
  await page.click('[data-testid="sample-dirty"]');
  await page.waitForFunction(() => document.querySelector("#input-summary").textContent.startsWith("2,000 rows"));
  assert.equal(await page.isChecked('[data-testid="op-update"]'), true);
  assert.equal(await page.textContent("#run"), "Run update");
  const { inputs } = parseInputText(await page.inputValue("#input-text"));
  assert.equal(inputs.length, 2000);
  assert.equal(new Set(inputs.map((x) => x.id)).size, 2000, "distinct deals");
  // Judged by this file's own copy of the emulator's rules, not by the page's generator.
  const bad = inputs.map((x, i) => (invalidProperty(x.properties) ? i : -1)).filter((i) => i >= 0);
  assert.equal(bad.length, 20, "1% of the rows are dirty");
  for (const i of bad) assert.equal(invalidProperty(inputs[i].properties), "dealstage", `row ${i}: only the stage is bad`);
  assert.match(await text("#status"), /20 have a dealstage that is not one of the pipeline's stages/);
  const batchesHit = new Set(bad.map((i) => Math.floor(i / 100))).size;

  await page.click("#run");
  // During the run: the live figure from the page's counting fetch, before stats exist.
  await page.waitForFunction(() => {
    const el = document.querySelector("#c-errors");
    return document.querySelector("#progress").dataset.state === "running" && el.dataset.source === "live" && Number(el.dataset.errors) > 0;
  }, null, { timeout: 20_000, polling: 20 });
  const liveText = await text("#c-errors");
  assert.match(liveText, /^\d+ \(\d+\.\d%\)$/, `live figure: ${liveText}`);
  await page.waitForSelector('#progress[data-state="done"]', { timeout: 40_000 });
  await page.waitForSelector('#status[data-state="done"]');

  // Verdicts: exactly the bad rows failed, with HubSpot's VALIDATION_ERROR naming the value.
  const rows = await tableRows();
  assert.equal(rows.length, 2000);
  const failed = rows.filter((r) => r.outcome === "failed");
  assert.deepEqual(failed.map((r) => r.index), bad, "the failed rows are exactly the dirty ones");
  for (const r of failed) {
    const stage = inputs[r.index].properties.dealstage;
    assert.match(r.details, /HTTP 400/);
    assert.match(r.details, /VALIDATION_ERROR/);
    assert.ok(r.details.includes(`${stage} was not one of the allowed options`), `row ${r.index}: ${r.details}`);
    assert.equal(demo.emulator.getRecord("deals", r.id).writes, 0, `dirty row ${r.index} (deal ${r.id}) was applied`);
  }
  for (const r of rows.filter((x) => x.outcome !== "failed")) {
    assert.equal(r.outcome, "updated", `row ${r.index}`);
    const rec = demo.emulator.getRecord("deals", r.id);
    for (const [k, v] of Object.entries(inputs[r.index].properties)) assert.equal(rec.properties[k], v, `deal ${r.id}.${k}`);
  }
  assert.equal(await num("#c-failed"), 20);
  assert.equal(await num("#c-updated"), 1980);

  // The counter against the emulator: its answers with status >= 400 and all its answers.
  const log = demo.emulator.getLog(0);
  const errorAnswers = log.filter((e) => e.status >= 400);
  const el = "#c-errors";
  const shown = await text(el);
  const m = /^(\d+) \((\d+\.\d)%\)$/.exec(shown);
  assert.ok(m, `counter reads "N (x.x%)": ${shown}`);
  const errors = Number(m[1]), requests = await num("#c-requests");
  assert.equal(await page.getAttribute(el, "data-source"), "stats", "the final figure comes from result.stats");
  assert.equal(errors, errorAnswers.length, "error responses shown = answers >= 400 the emulator logged");
  assert.equal(Number(await page.getAttribute(el, "data-errors")), errors);
  assert.equal(Number(await page.getAttribute(el, "data-live-errors")), errors, "the live count ended where stats did");
  assert.equal(requests, log.length, "requests shown = requests the emulator logged");
  assert.equal(m[2], (100 * errors / requests).toFixed(1), "the share is errors / requests");
  // Pinpointing, not halving: at most one error answer per batch holding a bad row.
  assert.ok(errors >= 1 && errors <= batchesHit, `${errors} error responses for ${batchesHit} batches holding a bad row`);
  assert.ok(errorAnswers.every((e) => e.status === 400), "only validation errors (no 429s, no faults)");
  assert.ok(requests <= 20 + batchesHit + 2, `${requests} requests for 20 batches`);

  // HubSpot's 5% guideline as context: the hint and the counter's style follow the share.
  const level = errors / requests < 0.05 ? "ok" : "warn";
  assert.equal(await page.getAttribute("#c-errors-box", "data-level"), level);
  assert.equal(await page.getAttribute("#error-share-hint", "data-level"), level);
  const hint = await text("#error-share-hint");
  assert.ok(hint.includes(`${errors} of ${requests} requests of this run (${m[2]}%)`), hint);
  assert.match(hint, level === "warn" ? /above HubSpot's 5% guideline/ : /under HubSpot's 5% guideline/);
  t.diagnostic(`dirty data: ${requests} requests, ${errors} error responses (${m[2]}%), ${bad.length} bad rows in ${batchesHit} of 20 batches; live figure seen: ${liveText}`);

  await page.check('[data-testid="filter-failed"]');
  assert.equal((await tableRows()).length, 20);
  await page.screenshot({ path: path.join(SHOTS, "demo-dirty-data.png"), fullPage: true });
  await page.check('[data-testid="filter-all"]');
  await applyChaos({ faultRate: 0, latencyMs: 0 });
  assert.deepEqual(pageErrors, []);
});
