// The demo page: a small tool for bulk-updating, upserting, creating, archiving and reading
// HubSpot records with hubspot-batch. No framework; the package is loaded from ./pkg/browser.js
// (served at /pkg/ by www/serve.mjs).

import { parseInputText, generateOperationSample, generateDirtySample, toCsv, cellText, OPERATIONS, ID_ONLY } from "./data.js";

const $ = (id) => document.getElementById(id);
const nf = new Intl.NumberFormat("en");
const fmt = (n) => nf.format(n);
const secs = (ms) => (ms < 1000 ? `${Math.round(ms)} ms` : `${(ms / 1000).toFixed(1)} s`);
const esc = (s) => String(s).replace(/[&<>"']/g, (c) => ({ "&": "&amp;", "<": "&lt;", ">": "&gt;", '"': "&quot;", "'": "&#39;" })[c]);
const plural = (n, one, many = `${one}s`) => `${fmt(n)} ${n === 1 ? one : many}`;

const STORE = "hubspot-batch-demo.";
const store = {
  get: (k) => { try { return localStorage.getItem(STORE + k); } catch { return null; } },
  set: (k, v) => { try { localStorage.setItem(STORE + k, v); } catch { /* private mode */ } },
  del: (k) => { try { localStorage.removeItem(STORE + k); } catch { /* private mode */ } },
};

const RENDER_LIMIT = 5000;
const FAULT_KINDS = [
  ["429-ten-secondly", "429, ten-secondly policy, no Retry-After"],
  ["429-ten-secondly-retry-after", "429 with Retry-After: 1"],
  ["429-secondly", "429, secondly policy"],
  ["429-secondly-retry-after", "429, secondly, Retry-After: 1"],
  ["429-daily", "429 daily limit: stops the run"],
  ["500", "500 internal error"],
  ["502", "502 HTML page"],
  ["503", "503 unavailable"],
  ["504", "504 gateway timeout"],
  ["reset", "connection reset"],
  ["hang", "never answers (client timeout)"],
  ["html-200", "200 with an HTML page"],
  ["truncated-json", "applied, body cut in half"],
  ["reset-after-apply", "applied, then connection reset"],
  ["504-after-apply", "applied, then 504"],
];
const PRESETS = {
  calm: { faultRate: 0, latencyMs: 0 },
  flaky: { faultRate: 0.15, latencyMs: 50 },
  slow: { faultRate: 0.05, latencyMs: 800 },
};

// What the page says and does per operation (`client[op](inputs, options)`).
const OPS = {
  update: {
    title: "Records to update", run: "Run update", done: "Updated", verb: "updated", idField: "optional",
    hint: "Sets properties on existing records, found by record ID or by a unique ID property.",
    placeholder: "id,amount,dealstage\n101,2500,contractsent\n102,900.50,closedwon",
    inputHint: 'An <code>id</code> column plus one column per property. Empty cells are skipped; columns whose name starts with <code>#</code> are ignored. JSON: an array of <code>{"id": "101", "amount": 2500}</code> or <code>{"id", "properties": {…}}</code>.',
    idHint: "Match the <code>id</code> column against this unique property instead of the record ID.",
  },
  upsert: {
    title: "Records to upsert", run: "Run upsert", done: "Upserted", verb: "upserted", idField: "required",
    hint: "Updates the record whose ID property holds the row's id, or creates it when none does. Safe to repeat: a second run updates what the first created.",
    placeholder: "id,dealname,amount\next-42,Renewal 2026,2500\next-new-1,A new deal,900",
    inputHint: 'An <code>id</code> column with values of the ID property (e.g. an external id) plus one column per property. JSON: <code>{"id": "ext-42", "amount": 2500}</code> or <code>{"id", "properties": {…}}</code>.',
    idHint: "A unique property (<code>deal_external_id</code>, contacts' <code>email</code>): HubSpot's upsert needs one; record IDs cannot be upserted.",
  },
  create: {
    title: "Records to create", run: "Run create", done: "Created", verb: "created", idField: null,
    hint: "Each row becomes a new record (an id column is ignored). Not idempotent: a row whose answer was lost is flagged “may have been created” and never sent again; use upsert to make a run safe to repeat.",
    placeholder: "dealname,amount,dealstage\nNew deal,2500,contractsent\nAnother deal,900.50,closedwon",
    inputHint: 'One column per property, no <code>id</code> (one is ignored). JSON: <code>{"dealname": "New", "amount": 5}</code> or <code>{"properties": {…}, "associations": [...]}</code>.',
  },
  archive: {
    title: "Records to archive", run: "Archive…", done: "Archived", verb: "archived", idField: null,
    hint: "Archives records by record ID; only the id column is used. Asks before sending anything. HubSpot answers 204 whether or not an id exists.",
    placeholder: "id\n101\n102",
    inputHint: 'An <code>id</code> column of record IDs (other columns are ignored). JSON: <code>["101", "102"]</code> or <code>[{"id": "101"}]</code>.',
  },
  read: {
    title: "Records to read", run: "Run read", done: "Found", verb: "found", idField: "optional",
    hint: "Reads records by record ID (or by a unique ID property); writes nothing. An id HubSpot does not find fails with OBJECT_NOT_FOUND.",
    placeholder: "id\n101\n102",
    inputHint: 'An <code>id</code> column (other columns are ignored). JSON: <code>["101", "102"]</code> or <code>[{"id": "101"}]</code>.',
    idHint: "Look the ids up in this unique property instead of the record ID.",
  },
};
/** The outcomes that count as done, and their badge labels. */
const DONE_LABEL = { updated: "Updated", created: "Created", archived: "Archived", found: "Found" };
/** One-click examples: operation (the key unless `op`), rows, invalid share, generator kind. */
const SAMPLES = {
  update: { count: 200, invalid: 2 },
  dirty: { op: "update", count: 2000, invalid: 1, kind: "dirty" },
  upsert: { count: 200, invalid: 0 },
  create: { count: 250, invalid: 2 },
  archive: { count: 20, invalid: 0 },
  read: { count: 50, invalid: 10 },
};
/** HubSpot's usage guideline: answers with an error should stay under 5% of an app's requests. */
const ERROR_SHARE_LIMIT = 0.05;

let lib = null;            // the hubspot-batch module once loaded
let token = "";            // proxy token, in memory unless "remember" is ticked
let running = null;        // { controller, started, timer, live }
let lastRun = null;        // { operation, rows, columns, model, counts, ... }
let operation = "update";  // the selected operation
const idProps = { update: "", upsert: "", read: "" }; // the ID property field, per operation
let filter = "all";

// ---------------------------------------------------------------- package

async function loadPackage() {
  const el = $("pkg-status");
  try {
    lib = await import("./pkg/browser.js");
    if (typeof lib.init === "function") await lib.init();
    let version = "";
    try { version = (await (await fetch("./pkg/package.json")).json()).version; } catch { /* cosmetic */ }
    el.textContent = `Package ${version ? `v${version} ` : ""}loaded.`;
    document.body.dataset.ready = "true";
  } catch (err) {
    lib = null;
    el.textContent = "Package not loaded.";
    const b = $("load-banner");
    b.hidden = false;
    b.innerHTML = `<strong>Could not load <code>./pkg/browser.js</code>.</strong> Build the package first
      (<code>scripts/demo</code> does it for you). <span class="muted">${esc(err?.message ?? err)}</span>`;
    for (const id of ["dry-run", "run"]) $(id).disabled = true;
    document.body.dataset.ready = "error";
  }
}

// ---------------------------------------------------------------- target + options

const mode = () => (document.querySelector('input[name="target"]:checked')?.value ?? "sandbox");

function baseUrl() {
  return mode() === "sandbox" ? location.origin : $("proxy-url").value.trim().replace(/\/+$/, "");
}

function intField(id, fallback) {
  const v = Number($(id).value);
  return Number.isFinite(v) && $(id).value.trim() !== "" ? v : fallback;
}

function clientOptions() {
  const o = {
    baseUrl: baseUrl(),
    objectType: $("object-type").value,
    batchSize: intField("opt-batch-size", 100),
    concurrency: intField("opt-concurrency", undefined), // empty: the library's default (a whole window)
    maxRetries: intField("opt-max-retries", 5),
    timeoutMs: intField("opt-timeout", 30000),
    rateLimit: $("opt-pacing").checked
      ? { requests: intField("opt-rate-requests", 100), intervalMs: intField("opt-rate-interval", 10000) }
      : null,
  };
  if (mode() === "proxy" && token) o.accessToken = token;
  return o;
}

function idProperty() {
  return OPS[operation].idField ? $("id-property").value.trim() || undefined : undefined;
}

function readProperties() {
  return $("read-properties").value.split(/[\s,;]+/).filter(Boolean);
}

/** The options of `client[op]()` / `buildBatchRequests(op, …)` that the form sets. */
function callOptions(op = operation) {
  const o = {};
  if (idProperty()) o.idProperty = idProperty();
  if (op === "read") o.properties = readProperties();
  return o;
}

const defaultUpsertIdProperty = () => ($("object-type").value === "contacts" ? "email" : "deal_external_id");
const nounFor = (n) => plural(n, $("object-type").value === "contacts" ? "contact" : "deal");

function setOperation(op) {
  if (!OPERATIONS.includes(op)) op = "update";
  if (OPS[operation].idField) idProps[operation] = $("id-property").value;
  operation = op;
  const o = OPS[op];
  document.body.dataset.operation = op;
  const radio = document.querySelector(`input[name="operation"][value="${op}"]`);
  if (radio) radio.checked = true;
  $("input-title").textContent = o.title;
  $("op-hint").textContent = o.hint;
  $("run").textContent = o.run;
  $("c-updated-label").textContent = o.done;
  $("f-updated-label").textContent = o.done;
  $("input-text").placeholder = o.placeholder;
  $("input-hint").innerHTML = o.inputHint;
  $("id-property-field").hidden = !o.idField;
  if (o.idField) {
    $("id-property-req").textContent = `(${o.idField})`;
    $("id-property-hint").innerHTML = o.idHint;
    $("id-property").required = o.idField === "required";
    $("id-property").value = op === "upsert" && !idProps.upsert ? defaultUpsertIdProperty() : idProps[op];
  }
  $("read-properties-field").hidden = op !== "read";
  $("empty-clears-label").hidden = ID_ONLY.has(op);
  $("sample-invalid-label").textContent = op === "read" ? "unknown %" : "invalid %";
  $("sample-invalid-label").hidden = $("sample-invalid").hidden = op === "archive";
  $("dry-card").hidden = true; // a dry run of another operation would mislead
  updateSummary();
}

function initOperation() {
  for (const r of document.querySelectorAll('input[name="operation"]')) r.addEventListener("change", () => setOperation(r.value));
  // Switching object type while the upsert key is the other type's default: follow it.
  $("object-type").addEventListener("change", () => {
    const other = { deal_external_id: "email", email: "deal_external_id" };
    if (operation === "upsert" && other[$("id-property").value.trim()] === defaultUpsertIdProperty()) $("id-property").value = defaultUpsertIdProperty();
    else if (idProps.upsert && other[idProps.upsert] === defaultUpsertIdProperty()) idProps.upsert = defaultUpsertIdProperty();
    if (operation === "read") $("read-properties").value = $("object-type").value === "contacts" ? "email, firstname, lifecyclestage" : "dealname, amount, dealstage";
  });
  setOperation(new URLSearchParams(location.search).get("op") ?? "update");
}

function applyMode() {
  const proxy = mode() === "proxy";
  $("proxy-fields").hidden = !proxy;
  $("sandbox-hint").hidden = proxy;
  const chaos = $("chaos-card");
  chaos.classList.toggle("disabled", proxy);
  chaos.inert = proxy;
  chaos.setAttribute("aria-disabled", String(proxy));
  const badge = $("target-badge");
  badge.dataset.mode = mode();
  let host = location.host;
  if (proxy) { try { host = new URL($("proxy-url").value).host; } catch { host = "no URL yet"; } }
  badge.textContent = `${proxy ? "Proxy" : "Sandbox"} · ${host}`;
  store.set("target", mode());
  if (!proxy) loadChaosConfig();
}

function initTarget() {
  const params = new URLSearchParams(location.search);
  const proxy = params.get("proxy") ?? store.get("proxy") ?? "";
  $("proxy-url").value = proxy;
  const wanted = params.get("proxy") ? "proxy" : params.get("target") ?? store.get("target") ?? "sandbox";
  $(wanted === "proxy" ? "target-proxy" : "target-sandbox").checked = true;
  const remembered = store.get("token");
  if (remembered) { token = remembered; $("token").value = remembered; $("token-remember").checked = true; }

  for (const r of document.querySelectorAll('input[name="target"]')) r.addEventListener("change", applyMode);
  $("proxy-url").addEventListener("input", () => { store.set("proxy", $("proxy-url").value.trim()); applyMode(); });
  $("token").addEventListener("input", () => {
    token = $("token").value;
    if ($("token-remember").checked) store.set("token", token);
  });
  $("token-remember").addEventListener("change", () => {
    if ($("token-remember").checked) store.set("token", token);
    else store.del("token");
  });
  applyMode();
}

// ---------------------------------------------------------------- input

function parseInput() {
  return parseInputText($("input-text").value, {
    format: $("input-format").value, emptyClears: $("empty-clears").checked && !ID_ONLY.has(operation), operation,
  });
}

let summaryTimer = 0;
function updateSummary() {
  clearTimeout(summaryTimer);
  summaryTimer = setTimeout(() => {
    const el = $("input-summary");
    try {
      const p = parseInput();
      el.classList.remove("error");
      if (p.inputs.length === 0) { el.textContent = ""; return; }
      const props = p.columns.filter((c) => c.toLowerCase() !== "id" && !c.startsWith("#"));
      const what = ID_ONLY.has(operation) ? "ids only" : props.length ? props.join(", ") : "no property columns";
      el.textContent = `${plural(p.inputs.length, "row")} · ${p.format.toUpperCase()} · ${what}`;
    } catch (err) {
      el.classList.add("error");
      el.textContent = err.message;
    }
  }, 150);
}

function initInput() {
  $("input-text").addEventListener("input", updateSummary);
  $("input-format").addEventListener("change", updateSummary);
  $("empty-clears").addEventListener("change", updateSummary);
  $("input-file").addEventListener("change", async () => {
    const file = $("input-file").files?.[0];
    if (!file) return;
    $("input-text").value = await file.text();
    if (/\.json$/i.test(file.name)) $("input-format").value = "json";
    else if (/\.csv$/i.test(file.name)) $("input-format").value = "csv";
    $("input-file").value = "";
    updateSummary();
    setStatus("idle", `Loaded ${file.name} (${fmt(file.size)} bytes).`);
  });
  $("generate").addEventListener("click", () => generate());
  for (const b of document.querySelectorAll("[data-sample]")) {
    b.addEventListener("click", () => {
      const sample = SAMPLES[b.dataset.sample], op = sample.op ?? b.dataset.sample;
      $("object-type").value = "deals";
      if (operation !== op) setOperation(op);
      if (op === "upsert") $("id-property").value = "deal_external_id";
      $("sample-count").value = String(sample.count);
      $("sample-invalid").value = String(sample.invalid);
      generate(sample.kind);
    });
  }
}

/** Fills the input with sample rows for the selected operation; `kind` "dirty": the dirty-data preset. */
function generate(kind) {
  if (running) return;
  const objectType = $("object-type").value;
  const count = Math.min(20000, Math.max(1, Math.floor(intField("sample-count", 200))));
  const invalidRate = Math.min(100, Math.max(0, intField("sample-invalid", 2))) / 100;
  if (kind === "dirty") {
    // Deals for update, a share of them with a dealstage the pipeline does not have.
    const { csv, invalid } = generateDirtySample({ count, invalidRate, seed: Math.floor(Math.random() * 2 ** 31) });
    $("input-text").value = csv;
    $("input-format").value = "auto";
    updateSummary();
    setStatus("idle", `Generated ${nounFor(count)} to update (dirty data): ${fmt(invalid.length)} have a dealstage that is not one of the pipeline's stages. HubSpot answers 400 to each batch holding one; watch Error responses against its 5% guideline.`);
    return;
  }
  const { csv, invalid, fresh } = generateOperationSample({
    operation, objectType, count, invalidRate, seed: Math.floor(Math.random() * 2 ** 31),
  });
  $("input-text").value = csv;
  $("input-format").value = "auto";
  updateSummary();
  const what = {
    update: `; ${fmt(invalid.length)} carry a deliberately invalid value.`,
    upsert: ` by ${idProperty() ?? "their ID property"}: ${fmt(fresh.length)} new, ${fmt(count - fresh.length)} existing${invalid.length ? `; ${fmt(invalid.length)} carry a deliberately invalid value` : ""}.`,
    create: ` to create; ${fmt(invalid.length)} carry a deliberately invalid value.`,
    archive: " to archive (Reset data in the chaos panel brings them back).",
    read: ` to read; ${fmt(invalid.length)} ids match no record.`,
  }[operation];
  setStatus("idle", `Generated ${nounFor(count)}${what}`);
}

// ---------------------------------------------------------------- status, progress, counters

function setStatus(state, html, { isHtml = false } = {}) {
  const el = $("status");
  el.dataset.state = state;
  if (isHtml) el.innerHTML = html; else el.textContent = html;
}

function setProgress(done, failed, total, state) {
  const p = $("progress");
  p.setAttribute("aria-valuemax", String(total));
  p.setAttribute("aria-valuenow", String(done));
  p.setAttribute("aria-valuetext", `${fmt(done)} of ${fmt(total)} settled, ${fmt(failed)} failed`);
  p.dataset.done = String(done);
  p.dataset.failed = String(failed);
  p.dataset.total = String(total);
  if (state) p.dataset.state = state;
  const pct = (n) => (total > 0 ? `${(100 * n) / total}%` : "0%");
  $("bar-ok").style.width = pct(done - failed);
  $("bar-bad").style.width = pct(failed);
}

function setCounters({ updated, failed, requests, retries, rateLimited, ms }) {
  if (updated !== undefined) $("c-updated").textContent = fmt(updated);
  if (failed !== undefined) $("c-failed").textContent = fmt(failed);
  if (requests !== undefined) $("c-requests").textContent = fmt(requests);
  if (retries !== undefined) $("c-retries").textContent = typeof retries === "number" ? fmt(retries) : retries;
  if (rateLimited !== undefined) $("c-429").textContent = fmt(rateLimited);
  if (ms !== undefined) $("c-time").textContent = secs(ms);
}

/**
 * The error-responses counter: answers with status >= 400 and their share of all requests,
 * against HubSpot's 5% guideline. `source` says where the figures come from: "live" (the
 * page's counting fetch, during a run) or "stats" (`result.stats` at the end).
 */
function setErrorShare(errors, requests, source) {
  const share = requests > 0 ? errors / requests : null;
  const pct = share === null ? "" : `${(100 * share).toFixed(1)}%`;
  const el = $("c-errors");
  el.textContent = share === null ? fmt(errors) : `${fmt(errors)} (${pct})`;
  Object.assign(el.dataset, { errors: String(errors), requests: String(requests), source });
  const level = share === null ? "idle" : share < ERROR_SHARE_LIMIT ? "ok" : "warn";
  $("c-errors-box").dataset.level = level;
  const hint = $("error-share-hint");
  hint.dataset.level = level;
  const live = source === "live" ? "so far" : "of this run";
  hint.textContent = level === "idle"
    ? "HubSpot asks apps to keep error responses (status ≥ 400) under 5% of their requests."
    : level === "ok"
      ? `Error responses: ${fmt(errors)} of ${plural(requests, "request")} ${live} (${pct}), under HubSpot's 5% guideline.`
      : `Error responses: ${fmt(errors)} of ${plural(requests, "request")} ${live} (${pct}), above HubSpot's 5% guideline: apps that stay above it get throttled.`;
}

function errorText(err) {
  if (err && err.name === "HubSpotError") return `${err.code}${err.status ? ` (HTTP ${err.status})` : ""}: ${err.message}`;
  return String(err?.message ?? err);
}

// ---------------------------------------------------------------- dry run

function dryRun() {
  if (!lib || running) return;
  const card = $("dry-card"), body = $("dry-body");
  card.hidden = false;
  let parsed;
  try { parsed = parseInput(); } catch (err) {
    card.dataset.state = "invalid";
    body.innerHTML = `<p class="error-box" data-testid="dry-run-error">${esc(err.message)}</p>`;
    setStatus("invalid", `Input: ${err.message}`);
    return;
  }
  if (parsed.inputs.length === 0) {
    card.dataset.state = "empty";
    body.innerHTML = `<p class="muted">No rows yet. Paste CSV or JSON, upload a file or generate sample rows.</p>`;
    return;
  }
  const o = clientOptions();
  const buildOpts = { baseUrl: o.baseUrl, objectType: o.objectType, batchSize: o.batchSize, ...callOptions() };
  if (o.accessToken) buildOpts.accessToken = o.accessToken;
  let requests;
  try {
    requests = lib.buildBatchRequests(operation, parsed.inputs, buildOpts);
  } catch (err) {
    card.dataset.state = "invalid";
    body.innerHTML = `<p class="error-box" data-testid="dry-run-error"><strong>${esc(err.code ?? err.name)}</strong> ${esc(err.message)}</p>
      <p class="hint">Nothing would be sent: the package refuses the whole call before any request.</p>`;
    setStatus("invalid", `Dry run: ${errorText(err)}`);
    return;
  }
  card.dataset.state = "ok";
  card.dataset.operation = operation;
  const sizes = requests.map((r) => r.inputIndexes.length);
  const first = requests[0];
  const headers = Object.entries(first?.headers ?? {}).map(([k, v]) =>
    `${k}: ${/^authorization$/i.test(k) ? v.replace(/^(Bearer\s+).*/i, "$1•••••••• (hidden)") : v}`).join("\n");
  let pretty = first?.body ?? "";
  try { pretty = JSON.stringify(JSON.parse(first.body), null, 2); } catch { /* show as is */ }
  const groups = [];
  for (const n of sizes) {
    if (groups.length && groups.at(-1)[1] === n) groups.at(-1)[0]++;
    else groups.push([1, n]);
  }
  const sizeText = `${groups.map(([k, n]) => `${fmt(k)} × ${fmt(n)}`).join(" + ")} inputs`;
  body.innerHTML = `
    <p class="dry-summary"><span class="big" data-testid="dry-run-count">${fmt(requests.length)}</span>
      ${requests.length === 1 ? "request" : "requests"} for ${plural(parsed.inputs.length, "input")} (${esc(sizeText)}) —
      nothing has been sent.</p>
    <p class="mono endpoint" data-testid="dry-run-endpoint"><span class="method">${esc(first.method)}</span> ${esc(first.url)}</p>
    <details class="advanced"><summary>Headers</summary><pre class="code">${esc(headers)}</pre></details>
    <h3>First request body</h3>
    <pre class="code body" data-testid="dry-run-body" tabindex="0" aria-label="First request body">${esc(pretty)}</pre>`;
  setStatus("idle", `Dry run (${operation}): ${plural(requests.length, "request")} would be sent for ${plural(parsed.inputs.length, "row")}.`);
}

// ---------------------------------------------------------------- run

/** Run, or for archive first ask: the confirmation dialog names how many records go. */
function requestRun() {
  if (!lib || running) return;
  const dialog = $("confirm-dialog");
  if (dialog.open) return;
  let parsed;
  try { parsed = parseInput(); } catch (err) { setStatus("invalid", `Input: ${err.message}`); return; }
  if (parsed.inputs.length === 0) { setStatus("invalid", `Nothing to ${operation}: paste data or generate sample rows first.`); return; }
  if (operation !== "archive") { run(parsed); return; }
  const n = parsed.inputs.length, what = nounFor(n);
  const where = mode() === "sandbox" ? "in the sandbox (Reset data brings them back)" : `through ${baseUrl() || "the proxy"}`;
  $("confirm-title").textContent = `Archive ${what}?`;
  $("confirm-text").textContent = `${what[0].toUpperCase()}${what.slice(1)} will be archived ${where}. In HubSpot, archived records can be restored from the recycling bin for 90 days.`;
  $("confirm-ok").textContent = `Archive ${what}`;
  dialog.returnValue = "";
  dialog.addEventListener("close", () => {
    if (dialog.returnValue === "confirm") run(parsed);
    else setStatus("idle", `Archive not confirmed: nothing was sent.`);
  }, { once: true });
  setStatus("idle", `Confirm: archive ${what}?`);
  dialog.showModal();
}

async function run(parsed) {
  if (!lib || running) return;
  const op = operation;
  const total = parsed.inputs.length;
  const live = { requests: 0, rateLimited: 0, errors: 0 };
  const options = clientOptions();
  // Counting fetch: live request, 429 and error-response (status >= 400) counters while the run
  // is going. The package looks up `fetch` per request, so a wrapper is all it takes.
  options.fetch = (input, init) => {
    live.requests++;
    return globalThis.fetch(input, init).then((res) => {
      if (res.status === 429) live.rateLimited++;
      if (res.status >= 400) live.errors++;
      return res;
    });
  };
  let client;
  try { client = new lib.HubSpotBatch(options); } catch (err) {
    setStatus("error", `Settings: ${errorText(err)}`);
    return;
  }

  const controller = new AbortController();
  const started = performance.now();
  let pending = null, frame = 0, spoken = -1;
  const paint = () => {
    frame = 0;
    if (!pending || running?.controller !== controller) return;
    const { done, failed } = pending;
    setProgress(done, failed, total);
    setCounters({ updated: done - failed, failed, requests: live.requests, rateLimited: live.rateLimited });
    setErrorShare(live.errors, live.requests, "live");
    // The status is an aria-live region: say it in 10% steps, not on every batch.
    const step = Math.floor((10 * done) / total);
    if (step !== spoken) {
      spoken = step;
      setStatus("running", `Running… ${fmt(done)} of ${fmt(total)} settled${failed ? `, ${fmt(failed)} failed` : ""}.`);
    }
  };
  running = {
    controller,
    timer: setInterval(() => {
      setCounters({ ms: performance.now() - started, requests: live.requests, rateLimited: live.rateLimited });
      setErrorShare(live.errors, live.requests, "live");
    }, 100),
  };
  setBusy(true);
  setProgress(0, 0, total, "running");
  setCounters({ updated: 0, failed: 0, requests: 0, retries: "…", rateLimited: 0, ms: 0 });
  setErrorShare(0, 0, "live");
  delete $("c-errors").dataset.liveErrors;
  setStatus("running", `Running… 0 of ${fmt(total)} settled.`);
  $("results-card").hidden = true;

  const callOpts = {
    ...callOptions(op),
    signal: controller.signal,
    onProgress: (p) => { pending = p; if (!frame) frame = requestAnimationFrame(paint); },
  };

  let result = null, error = null;
  try { result = await client[op](parsed.inputs, callOpts); } catch (err) { error = err; }
  clearInterval(running.timer);
  if (frame) cancelAnimationFrame(frame);
  running = null;
  setBusy(false);
  const ms = performance.now() - started;

  const snapshot = {
    operation: op, rows: parsed.rows, columns: parsed.columns, inputs: parsed.inputs, ids: parsed.ids,
    format: parsed.format, idProperty: callOpts.idProperty, properties: callOpts.properties, live,
  };
  const verb = OPS[op].verb;
  if (result) {
    finishWithResult(result, snapshot, false);
    const { done, failed, created, updated, maybe } = lastRun.counts;
    setProgress(done + failed, failed, total, "done");
    if (result.status === "CANCELED") {
      const reason = result.failed.find((f) => f.error?.category)?.error;
      setStatus("stopped", `HubSpot stopped the run after ${fmt(done)} ${op === "update" ? "updates" : `${verb} rows`}: ${reason ? `${reason.category}: ${reason.message}` : "see failed rows"}. ${fmt(failed)} rows were not ${verb}.`);
    } else {
      const head = `Done in ${secs(result.stats.durationMs)}: `;
      setStatus("done", head + {
        update: `${plural(done, "row")} updated, ${fmt(failed)} failed.`,
        upsert: `${plural(done, "row")} upserted (${fmt(created)} created, ${fmt(updated)} updated), ${fmt(failed)} failed.`,
        create: `${plural(done, "record")} created, ${fmt(failed)} failed.${maybe ? ` ${plural(maybe, "row")} may have been created anyway (the answer was lost): check them before running them again, or use upsert.` : ""}`,
        archive: `${plural(done, "record")} archived, ${fmt(failed)} failed.`,
        read: `${plural(done, "record")} found, ${fmt(failed)} failed.`,
      }[op]);
    }
    return;
  }

  const aborted = error?.code === "ABORTED";
  const partial = error?.result && Array.isArray(error.result.failed) ? error.result : null;
  if (partial) finishWithResult(partial, snapshot, true);
  else {
    setCounters({ retries: "–", ms, requests: live.requests, rateLimited: live.rateLimited });
    setErrorShare(live.errors, live.requests, "live");
  }
  const p = $("progress");
  setProgress(Number(p.dataset.done), Number(p.dataset.failed), total, aborted ? "cancelled" : "error");
  if (aborted) {
    const done = partial ? lastRun.counts.done : null;
    setStatus("cancelled", `Cancelled after ${secs(ms)}. Nothing more will be sent.${done !== null ? ` ${plural(done, "row")} had been ${verb} before the cancel; the rest are listed as not ${verb}.` : ""}`);
  } else {
    setStatus("error", `Run failed: ${errorText(error)}`);
  }
}

function setBusy(busy) {
  const cancelHadFocus = document.activeElement === $("cancel");
  document.body.dataset.running = String(busy);
  $("run").disabled = busy || !lib;
  $("dry-run").disabled = busy || !lib;
  $("generate").disabled = busy;
  for (const el of document.querySelectorAll('input[name="operation"], [data-sample]')) el.disabled = busy;
  $("cancel").disabled = !busy;
  $("run").setAttribute("aria-busy", String(busy));
  if (busy) $("cancel").focus();
  else if (cancelHadFocus) $("run").focus();
}

function cancel() {
  if (!running) return;
  setStatus("running", "Cancelling…");
  running.controller.abort(new DOMException("Cancelled by the user", "AbortError"));
}

/** The outcome of an input that is in `results`: what the operation did with it. */
function doneOutcome(op, res) {
  if (op === "upsert") return res?.new ? "created" : "updated";
  return { update: "updated", create: "created", archive: "archived", read: "found" }[op];
}

/**
 * Builds the per-row model from a (possibly partial) result and renders it. `results` come in
 * input order and every input is in `results` or `failed`, so the inputs not in `failed` take
 * the results one by one.
 */
function finishWithResult(result, snapshot, isPartial) {
  const op = snapshot.operation;
  const n = snapshot.inputs.length;
  const failedAt = new Map();
  for (const f of result.failed ?? []) if (Number.isInteger(f.index)) failedAt.set(f.index, f);
  const results = result.results ?? [];
  const complete = results.length + failedAt.size === n;
  // Without a complete ledger (a partial result), only rows HubSpot returned count as updated.
  const returnedIds = new Set(results.map((r) => String(r.id)));
  let next = 0;
  const model = snapshot.inputs.map((input, index) => {
    const id = snapshot.ids[index];
    const f = failedAt.get(index);
    if (f) return { index, id, outcome: "failed", error: f.error, maybe: f.error?.mayHaveApplied === true };
    if (complete) {
      const res = results[next++];
      return { index, id, outcome: doneOutcome(op, res), input, res };
    }
    const ok = op === "update" && !input.idProperty && !snapshot.idProperty && returnedIds.has(String(input.id));
    return { index, id, outcome: ok ? "updated" : "unknown", input };
  });
  const counts = { done: 0, failed: 0, unknown: 0, created: 0, updated: 0, archived: 0, found: 0, maybe: 0 };
  for (const r of model) {
    counts[r.outcome]++;
    if (r.outcome in DONE_LABEL) counts.done++;
    if (r.maybe) counts.maybe++;
  }
  lastRun = { ...snapshot, model, counts, isPartial };
  const s = result.stats ?? {};
  setCounters({
    updated: counts.done, failed: counts.failed, requests: s.requests ?? 0,
    retries: s.retries ?? 0, rateLimited: s.rateLimited ?? 0, ms: s.durationMs ?? 0,
  });
  // stats.errorResponses (answers with status >= 400); a package without it: the live count.
  if (typeof s.errorResponses === "number") setErrorShare(s.errorResponses, s.requests ?? 0, "stats");
  else setErrorShare(snapshot.live?.errors ?? 0, snapshot.live?.requests ?? 0, "live");
  $("c-errors").dataset.liveErrors = String(snapshot.live?.errors ?? "");
  renderResults();
}

// ---------------------------------------------------------------- results table

const SYSTEM_PROPERTIES = new Set(["hs_object_id", "createdate", "hs_lastmodifieddate"]);
const kvHtml = (props) => (props.length === 0 ? `<span class="muted">no properties</span>`
  : `<span class="props">${props.map(([k, v]) => `<span class="kv"><span class="k">${esc(k)}</span>=${esc(cellText(v) || "∅")}</span>`).join(" ")}</span>`);

function detailsHtml(r, op) {
  if (r.outcome === "failed") {
    const e = r.error ?? {};
    const tags = [e.status != null ? `HTTP ${e.status}` : null, e.category].filter(Boolean);
    const title = [e.correlationId ? `correlationId ${e.correlationId}` : "", e.subCategory ?? ""].filter(Boolean).join(" · ");
    // The package's own message says it may have applied and was not sent again.
    const maybe = r.maybe && op === "create" ? ` <span class="muted">Check before re-running, or use upsert on a unique property.</span>` : "";
    return `${tags.map((t) => `<span class="chip">${esc(t)}</span>`).join(" ")} <span class="msg"${title ? ` title="${esc(title)}"` : ""}>${esc(readableMessage(e.message ?? ""))}</span>${maybe}`;
  }
  if (r.outcome === "unknown") return `<span class="muted">not confirmed (run cancelled)</span>`;
  const props = Object.entries(r.input?.properties ?? {});
  switch (op) {
    case "upsert":
      return `<span class="newid">record ${esc(r.res?.id ?? "?")}</span>${kvHtml(props)}`;
    case "create":
      return kvHtml(props);
    case "archive":
      return `<span class="muted">record ${esc(r.res?.id ?? r.id)} archived</span>`;
    case "read": {
      const got = Object.entries(r.res?.properties ?? {}).filter(([k]) => !SYSTEM_PROPERTIES.has(k) || (lastRun.properties ?? []).includes(k));
      return `<span class="newid">record ${esc(r.res?.id ?? "?")}</span>${kvHtml(got)}`;
    }
    default:
      return kvHtml(props);
  }
}

/**
 * HubSpot's validation message carries a JSON array after a prefix; show it as
 * "amount: 1e3 was not a valid number." (the raw message stays in the CSV download).
 */
function readableMessage(message) {
  const m = /^Property values were not valid: (\[.*\])$/s.exec(message);
  if (!m) return message;
  try {
    const details = JSON.parse(m[1]);
    return details.map((d) => `${d.name ?? "?"}: ${d.message ?? d.error ?? ""}`).join("; ");
  } catch { return message; }
}

const OUTCOME_LABEL = { ...DONE_LABEL, failed: "Failed", unknown: "Unknown" };
function badge(r, op) {
  if (r.maybe) return `<span class="badge maybe">${op === "create" ? "May have been created" : "May have applied"}</span>`;
  if (r.outcome === "failed" && r.error?.category === "ABORTED") return `<span class="badge unknown">Cancelled</span>`;
  return `<span class="badge ${r.outcome}">${OUTCOME_LABEL[r.outcome]}</span>`;
}
const isDone = (r) => r.outcome in DONE_LABEL;

function renderResults() {
  if (!lastRun) return;
  const { model, counts, operation: op } = lastRun;
  $("results-card").hidden = false;
  $("results-card").dataset.operation = op;
  $("results-title").textContent = `Results · ${op}`;
  $("f-updated-label").textContent = OPS[op].done;
  $("f-all").textContent = fmt(model.length);
  $("f-updated").textContent = fmt(counts.done);
  $("f-failed").textContent = fmt(counts.failed);
  // create: the ID column shows the new record's id (an input has none).
  $("results-id-head").textContent = op === "create" ? "New ID" : op === "upsert" ? (lastRun.idProperty ?? "ID") : "ID";
  const rows = filter === "all" ? model : model.filter((r) => (filter === "updated" ? isDone(r) : r.outcome === filter));
  const shown = rows.slice(0, RENDER_LIMIT);
  $("results-body").innerHTML = shown.map((r) => {
    const shownId = op === "create" ? r.res?.id ?? "–" : r.id;
    return `<tr data-index="${r.index}" data-id="${esc(r.id ?? "")}" data-outcome="${r.outcome}"${r.res?.id != null ? ` data-record-id="${esc(r.res.id)}"` : ""}${r.maybe ? ' data-may-have-applied="true"' : ""}>
    <td class="num">${r.index + 1}</td><td class="mono">${esc(shownId)}</td>
    <td>${badge(r, op)}</td><td class="details">${detailsHtml(r, op)}</td></tr>`;
  }).join("")
    || `<tr><td colspan="4" class="muted empty">No ${filter === "all" ? "" : `${filter === "updated" ? OPS[op].verb : filter} `}rows.</td></tr>`;
  const more = $("results-more");
  more.hidden = rows.length <= RENDER_LIMIT;
  more.textContent = `Showing the first ${fmt(RENDER_LIMIT)} of ${fmt(rows.length)} rows.`;
  $("download-failed").disabled = counts.failed + counts.unknown === 0;
  $("retry-failed").disabled = counts.failed + counts.unknown === 0;
}

/** The rows that were not updated, as CSV ready to fix and re-run (#-columns are ignored on import). */
function failedCsv() {
  const { model, rows, columns } = lastRun;
  const cols = columns.filter((c) => !c.startsWith("#"));
  const out = [[...cols, "#outcome", "#category", "#error"]];
  for (const r of model) {
    if (isDone(r)) continue;
    const src = rows[r.index] ?? {};
    out.push([...cols.map((c) => cellText(src[c])), r.maybe ? "may-have-applied" : r.outcome, r.error?.category ?? "", r.error?.message ?? ""]);
  }
  return { csv: toCsv(out), count: out.length - 1 };
}

function initResults() {
  for (const r of document.querySelectorAll('input[name="filter"]')) {
    r.addEventListener("change", () => { filter = r.value; renderResults(); });
  }
  $("download-failed").addEventListener("click", () => {
    if (!lastRun) return;
    const { csv } = failedCsv();
    const url = URL.createObjectURL(new Blob([csv], { type: "text/csv;charset=utf-8" }));
    const a = document.createElement("a");
    a.href = url;
    a.download = `failed-${lastRun.operation}-${$("object-type").value}-${new Date().toISOString().slice(0, 19).replace(/[:T]/g, "-")}.csv`;
    document.body.append(a);
    a.click();
    a.remove();
    setTimeout(() => URL.revokeObjectURL(url), 10_000);
  });
  $("retry-failed").addEventListener("click", () => {
    if (!lastRun) return;
    const { csv, count } = failedCsv();
    if (operation !== lastRun.operation) setOperation(lastRun.operation);
    $("input-text").value = csv;
    $("input-format").value = "csv";
    updateSummary();
    const maybe = lastRun.counts.maybe;
    setStatus("idle", `Loaded ${plural(count, "row")} that were not ${OPS[lastRun.operation].verb}. Fix the values (see #error) and run again.${maybe ? ` ${plural(maybe, "row")} may have applied (#outcome may-have-applied): remove them before running again.` : ""}`);
    $("input-text").focus();
  });
}

// ---------------------------------------------------------------- chaos panel (emulator control API)

async function control(path, body) {
  const res = await fetch(`${location.origin}/_emulator/${path}`, body === undefined ? {} : {
    method: "POST", headers: { "Content-Type": "application/json" }, body: JSON.stringify(body),
  });
  const data = await res.json().catch(() => ({}));
  if (!res.ok) throw new Error(data.message ?? `HTTP ${res.status}`);
  return data;
}

function fillChaos(cfg) {
  $("chaos-fault-rate").value = String(Math.round(cfg.faultRate * 1000) / 10);
  $("chaos-latency").value = String(cfg.latencyMs);
  $("chaos-rate-on").checked = cfg.rateLimit !== null;
  if (cfg.rateLimit) {
    $("chaos-rate-requests").value = String(cfg.rateLimit.requests);
    $("chaos-rate-interval").value = String(cfg.rateLimit.intervalMs);
  }
  for (const box of document.querySelectorAll("#chaos-kinds input")) box.checked = cfg.faultKinds.includes(box.value);
}

function chaosConfig() {
  const rate = Math.min(100, Math.max(0, intField("chaos-fault-rate", 0))) / 100;
  const kinds = [...document.querySelectorAll("#chaos-kinds input:checked")].map((b) => b.value);
  return {
    faultRate: rate,
    latencyMs: Math.max(0, Math.floor(intField("chaos-latency", 0))),
    rateLimit: $("chaos-rate-on").checked
      ? { requests: Math.max(1, Math.floor(intField("chaos-rate-requests", 100))), intervalMs: Math.max(1, Math.floor(intField("chaos-rate-interval", 10000))) }
      : null,
    ...(kinds.length ? { faultKinds: kinds } : {}),
  };
}

async function applyChaos(patch = chaosConfig()) {
  const el = $("chaos-status");
  try {
    if (!patch.faultKinds && patch.faultRate > 0) throw new Error("pick at least one fault kind");
    const cfg = await control("config", patch);
    fillChaos(cfg);
    el.dataset.state = "ok";
    el.textContent = `Applied: ${Math.round(cfg.faultRate * 100)}% faults, ${cfg.latencyMs} ms latency, rate limit ${cfg.rateLimit ? `${cfg.rateLimit.requests}/${cfg.rateLimit.intervalMs} ms` : "off"}.`;
  } catch (err) {
    el.dataset.state = "error";
    el.textContent = `Could not apply: ${err.message}`;
  }
}

async function pollState() {
  if (mode() !== "sandbox" || document.hidden) return;
  try {
    const s = await control("state");
    const faults = Object.values(s.faultsInjected ?? {}).reduce((a, b) => a + b, 0);
    $("emu-requests").textContent = fmt(s.requests);
    $("emu-applied").textContent = fmt(s.applied);
    $("emu-faults").textContent = fmt(faults);
    $("emu-faults").title = Object.entries(s.faultsInjected ?? {}).map(([k, v]) => `${k}: ${v}`).join("\n");
    $("emu-429").textContent = fmt(s.rateLimited);
  } catch { /* server gone; keep the last numbers */ }
}

function loadChaosConfig() {
  if (!$("chaos-kinds").firstChild) return; // before initChaos
  control("config").then(fillChaos, () => {
    const el = $("chaos-status");
    el.dataset.state = "error";
    el.textContent = "This origin has no emulator control API.";
  });
}

function initChaos() {
  $("chaos-kinds").innerHTML = FAULT_KINDS.map(([k, label]) =>
    `<label class="check kind"><input type="checkbox" value="${k}" data-testid="kind-${k}"> <code>${k}</code> <span class="muted">${esc(label)}</span></label>`).join("");
  $("chaos-form").addEventListener("submit", (e) => { e.preventDefault(); applyChaos(); });
  for (const b of document.querySelectorAll("[data-preset]")) {
    b.addEventListener("click", () => {
      const p = PRESETS[b.dataset.preset];
      $("chaos-fault-rate").value = String(p.faultRate * 100);
      $("chaos-latency").value = String(p.latencyMs);
      applyChaos();
    });
  }
  $("chaos-reset").addEventListener("click", async () => {
    const el = $("chaos-status");
    try {
      const s = await control("reset", {});
      el.dataset.state = "ok";
      el.textContent = `Data reseeded: ${fmt(s.deals)} deals, ${fmt(s.contacts)} contacts; counters cleared.`;
      pollState();
    } catch (err) {
      el.dataset.state = "error";
      el.textContent = `Could not reset: ${err.message}`;
    }
  });
  loadChaosConfig();
  pollState();
  setInterval(pollState, 1000);
}

// ---------------------------------------------------------------- boot

function initKeys() {
  $("dry-run").addEventListener("click", dryRun);
  $("run").addEventListener("click", requestRun);
  $("cancel").addEventListener("click", cancel);
  document.addEventListener("keydown", (e) => {
    if (e.key === "Escape" && running) { e.preventDefault(); cancel(); }
    else if (e.key === "Enter" && (e.ctrlKey || e.metaKey) && !running) { e.preventDefault(); requestRun(); }
  });
}

initTarget();
initInput();
initOperation();
initResults();
initChaos();
initKeys();
setBusy(false);
setErrorShare(0, 0, "idle");
$("run").disabled = $("dry-run").disabled = true;
await loadPackage();
if (lib) $("run").disabled = $("dry-run").disabled = false;
