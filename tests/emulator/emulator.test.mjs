// Tests of the HubSpot emulator over real HTTP: node --test tests/emulator/
import { test } from "node:test";
import assert from "node:assert/strict";
import net from "node:net";
import os from "node:os";
import path from "node:path";
import { spawn } from "node:child_process";
import { once } from "node:events";
import { mkdtemp, writeFile, rm } from "node:fs/promises";
import { readFileSync } from "node:fs";
import { fileURLToPath } from "node:url";
import { startEmulator, FAULT_KINDS, ALL_FAULT_KINDS, EXTRA_FAULT_KINDS, AFTER_APPLY_FAULT_KINDS, BATCH_OPERATIONS } from "./emulator.mjs";

const TOKEN = "emulator-token";
const HERE = path.dirname(fileURLToPath(import.meta.url));
const UUID_RE = /^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/;

// Starts an emulator for one test and always closes it.
async function withEmu(opts, fn) {
  const emu = await startEmulator({ deals: 50, contacts: 20, ...opts });
  try { return await fn(emu); } finally { await emu.close(); }
}

async function batch(url, inputs, { objectType = "0-3", token = TOKEN, headers = {}, body, signal, method = "POST", op = "update", version = "v3", query = "" } = {}) {
  const base = version === "v3" ? `${url}/crm/v3/objects/${objectType}` : `${url}/crm/objects/${version}/${objectType}`;
  const res = await fetch(`${base}/batch/${op}${query}`, {
    method, signal,
    headers: { ...(token ? { authorization: `Bearer ${token}` } : {}), "content-type": "application/json", ...headers },
    body: method === "POST" ? (body ?? JSON.stringify({ inputs })) : undefined,
  });
  const text = await res.text();
  let json;
  try { json = JSON.parse(text); } catch { json = undefined; }
  return { status: res.status, headers: res.headers, text, json };
}

async function ctl(url, p, body) {
  const res = await fetch(url + p, body === undefined ? {} :
    { method: "POST", headers: { "content-type": "application/json" }, body: JSON.stringify(body) });
  return { status: res.status, headers: res.headers, json: await res.json() };
}

const rec = async (url, id, type = "deals") => (await ctl(url, `/_emulator/records/${type}/${id}`)).json;
const parsePropErrors = (msg) => JSON.parse(msg.slice(msg.indexOf("[")));

function assertHsError(r, status, category) {
  assert.equal(r.status, status, r.text);
  assert.equal(r.json.status, "error");
  assert.equal(r.json.category, category);
  assert.match(r.json.correlationId, UUID_RE);
  assert.equal(typeof r.json.message, "string");
}

test("successful update: 200 body, applied properties, records, writes", () => withEmu({}, async ({ url }) => {
  const r = await batch(url, [
    { id: "1", properties: { amount: "12.5", dealstage: "closedwon", tags: "hot;smb", closedate: "2024-05-01T10:00:00Z" }, objectWriteTraceId: "t-1" },
    { id: "2", properties: { dealname: "Renamed", amount: "", closedate: "1714557600000" } },
  ]);
  assert.equal(r.status, 200, r.text);
  assert.match(r.headers.get("content-type"), /^application\/json/);
  assert.equal(r.json.status, "COMPLETE");
  assert.ok(!Number.isNaN(Date.parse(r.json.startedAt)) && !Number.isNaN(Date.parse(r.json.completedAt)));
  assert.equal(r.json.results.length, 2);
  const one = r.json.results.find((o) => o.id === "1");
  assert.equal(one.archived, false);
  assert.equal(one.objectWriteTraceId, "t-1");
  assert.equal(one.properties.amount, "12.5");
  assert.equal(one.properties.hs_object_id, "1");
  assert.equal(one.properties.hs_closed_amount, null);
  assert.equal(one.properties.hs_lastmodifieddate, one.updatedAt);
  assert.ok(one.createdAt < one.updatedAt);
  assert.equal(r.json.results.find((o) => o.id === "2").objectWriteTraceId, undefined);

  const d1 = await rec(url, 1);
  assert.equal(d1.writes, 1);
  assert.equal(d1.properties.dealstage, "closedwon");
  assert.equal(d1.properties.dealname, "Deal 1");
  const d2 = await rec(url, 2);
  assert.equal(d2.properties.amount, "", "empty string clears");
  assert.equal(d2.properties.dealname, "Renamed");
  assert.equal((await rec(url, 3)).writes, 0);

  const empty = await batch(url, []);
  assert.equal(empty.status, 200);
  assert.deepEqual(empty.json.results, []);
}));

test("results come back shuffled (deterministically per seed)", async () => {
  const ids = Array.from({ length: 30 }, (_, i) => String(i + 1));
  const run = () => withEmu({ seed: 9 }, async ({ url }) =>
    (await batch(url, ids.map((id) => ({ id, properties: { description: "x" } })))).json.results.map((o) => o.id));
  const a = await run(), b = await run();
  assert.notDeepEqual(a, ids);
  assert.deepEqual([...a].sort((x, y) => x - y), ids);
  assert.deepEqual(a, b);
});

test("object types: 0-3/deals, 0-1/contacts, unknown -> 400", () => withEmu({}, async ({ url }) => {
  assert.equal((await batch(url, [{ id: "3", properties: { amount: "1" } }], { objectType: "deals" })).status, 200);
  const c = await batch(url, [{ id: "4", properties: { firstname: "Zed", lifecyclestage: "customer" } }], { objectType: "0-1" });
  assert.equal(c.status, 200, c.text);
  assert.equal(c.json.results[0].properties.firstname, "Zed");
  assert.equal((await rec(url, 4, "contacts")).properties.firstname, "Zed");
  assert.equal((await batch(url, [{ id: "5", properties: { phone: "+1 555" } }], { objectType: "contacts" })).status, 200);
  assertHsError(await batch(url, [{ id: "5", properties: { amount: "1" } }], { objectType: "contacts" }), 400, "VALIDATION_ERROR");
  const bad = await batch(url, [{ id: "1", properties: {} }], { objectType: "2-999" });
  assertHsError(bad, 400, "VALIDATION_ERROR");
  assert.equal(bad.json.message, "Unable to infer object type from: 2-999");
}));

test("auth: 401 without/with wrong token, 403 forbidden-token, token never echoed", () => withEmu({}, async ({ url }) => {
  const none = await batch(url, [{ id: "1", properties: { amount: "1" } }], { token: null });
  assertHsError(none, 401, "INVALID_AUTHENTICATION");
  assert.match(none.json.message, /^Authentication credentials not found/);
  const secret = "pat-na1-super-secret-value";
  const wrong = await batch(url, [{ id: "1", properties: { amount: "1" } }], { token: secret });
  assertHsError(wrong, 401, "INVALID_AUTHENTICATION");
  assert.ok(!wrong.text.includes(secret));
  const basic = await batch(url, [], { token: null, headers: { authorization: "Basic abc" } });
  assert.equal(basic.status, 401);
  const f = await batch(url, [{ id: "1", properties: { amount: "1" } }], { token: "forbidden-token" });
  assertHsError(f, 403, "MISSING_SCOPES");
  assert.equal(f.json.errors[0].message, "One or more of the following scopes are required.");
  assert.deepEqual(f.json.errors[0].context.requiredGranularScopes, ["crm.objects.deals.write"]);
  assert.ok(!f.text.includes("forbidden-token"));
  assert.equal((await rec(url, 1)).writes, 0);
  const log = (await ctl(url, "/_emulator/log")).json;
  assert.deepEqual(log.map((e) => e.authorization), ["none", "bearer-invalid", "bearer-invalid", "bearer-valid"]);
  assert.deepEqual(log.map((e) => e.status), [401, 401, 401, 403]);
  assert.ok(!JSON.stringify(log).includes(secret) && !JSON.stringify(log).includes("forbidden-token"));
}));

test("sandbox: no Authorization accepted, wrong token still 401; extra tokens", () =>
  withEmu({ sandbox: true, tokens: ["t-a", "t-b"] }, async ({ url }) => {
    assert.equal((await batch(url, [{ id: "1", properties: { amount: "2" } }], { token: null })).status, 200);
    assert.equal((await batch(url, [], { token: "nope" })).status, 401);
    assert.equal((await batch(url, [], { token: "t-b" })).status, 200);
    assert.equal((await batch(url, [], { token: TOKEN })).status, 401, "default token replaced by tokens option");
  }));

test("request validation: JSON, inputs, content type, sizes, duplicates, non-strings", () => withEmu({}, async ({ url }) => {
  assertHsError(await batch(url, null, { body: "{not json" }), 400, "VALIDATION_ERROR");
  assertHsError(await batch(url, null, { body: JSON.stringify({ input: [] }) }), 400, "VALIDATION_ERROR");
  assertHsError(await batch(url, null, { body: "[]" }), 400, "VALIDATION_ERROR");
  assert.equal((await batch(url, [], { headers: { "content-type": "text/plain" } })).status, 415);
  const big = await batch(url, Array.from({ length: 101 }, (_, i) => ({ id: String(i + 1), properties: {} })));
  assertHsError(big, 400, "VALIDATION_ERROR");
  assert.equal(big.json.message, "Batch input size of 101 exceeds limit of 100");

  const dup = await batch(url, [{ id: "12", properties: { amount: "1" } }, { id: "13", properties: {} }, { id: "12", properties: { amount: "2" } }]);
  assertHsError(dup, 400, "VALIDATION_ERROR");
  assert.equal(dup.json.message, "Duplicate IDs found in batch input: [12, 12]");
  // Same value through different idProperties is not a duplicate.
  assert.equal((await batch(url, [{ id: "12", properties: {} }, { id: "12", idProperty: "deal_external_id", properties: {} }])).status, 207);

  for (const props of [{ amount: 5 }, { amount: null }, { tags: ["hot"] }]) {
    const r = await batch(url, [{ id: "14", properties: { dealname: "ok" } }, { id: "15", properties: props }]);
    assertHsError(r, 400, "VALIDATION_ERROR");
  }
  assertHsError(await batch(url, [{ id: 14, properties: {} }]), 400, "VALIDATION_ERROR");
  assertHsError(await batch(url, [{ id: "14" }]), 400, "VALIDATION_ERROR");
  assert.equal((await rec(url, 14)).writes, 0);
  assert.equal((await rec(url, 12)).writes, 1, "only the hs_object_id input matched");
  // 100 is fine (ids past the 50 seeded deals -> 207).
  assert.equal((await batch(url, Array.from({ length: 100 }, (_, i) => ({ id: String(i + 1), properties: {} })))).status, 207);
}));

test("invalid property values reject the whole batch with HubSpot's message format", () => withEmu({}, async ({ url }) => {
  const r = await batch(url, [
    { id: "1", properties: { amount: "100" } },
    { id: "2", properties: { foo: "x", dealstage: "nope", amount: "1e3", closedate: "yesterday", tags: "hot;lukewarm", hs_object_id: "7" } },
  ]);
  assertHsError(r, 400, "VALIDATION_ERROR");
  assert.ok(r.json.message.startsWith("Property values were not valid: ["));
  assert.equal(r.json.errors, undefined);
  const errs = parsePropErrors(r.json.message);
  assert.deepEqual(errs.map((e) => [e.name, e.error]), [
    ["foo", "PROPERTY_DOESNT_EXIST"], ["dealstage", "INVALID_OPTION"], ["amount", "INVALID_DECIMAL"],
    ["closedate", "INVALID_DATE"], ["tags", "INVALID_OPTION"], ["hs_object_id", "READ_ONLY_VALUE"],
  ]);
  assert.deepEqual(errs[0], {
    isValid: false, message: 'Property "foo" does not exist', error: "PROPERTY_DOESNT_EXIST", name: "foo",
    localizedErrorMessage: 'Property "foo" does not exist', portalId: 12345,
  });
  assert.match(errs[1].message, /^nope was not one of the allowed options: \[appointmentscheduled, /);
  assert.match(errs[4].message, /^lukewarm was not one of/);
  assert.equal((await rec(url, 1)).writes, 0, "valid input in a rejected batch is not applied");

  // Names that exist on Object.prototype are not properties.
  const proto = await batch(url, null, { body: '{"inputs":[{"id":"3","properties":{"__proto__":"x","constructor":"y","toString":"z"}}]}' });
  assert.deepEqual(parsePropErrors(proto.json.message).map((e) => e.name), ["__proto__", "constructor", "toString"]);
  assertHsError(await batch(url, [], { objectType: "constructor" }), 400, "VALIDATION_ERROR");
  assert.equal((await ctl(url, "/_emulator/records/__proto__/1")).status, 404);

  const contact = await batch(url, [{ id: "1", properties: { email: "not-an-email" } }], { objectType: "contacts" });
  assert.equal(parsePropErrors(contact.json.message)[0].error, "INVALID_EMAIL");
}));

test("idProperty: unique properties, hs_object_id, renames, conflicts, bad idProperty", () => withEmu({}, async ({ url }) => {
  const r = await batch(url, [{ id: "ext-5", idProperty: "deal_external_id", properties: { amount: "55" } },
    { id: "6", idProperty: "hs_object_id", properties: { amount: "66" } }]);
  assert.equal(r.status, 200, r.text);
  assert.deepEqual(r.json.results.map((o) => o.id).sort(), ["5", "6"]);
  assert.equal((await rec(url, 5)).properties.amount, "55");
  const c = await batch(url, [{ id: "user3@example.com", idProperty: "email", properties: { lastname: "Three" } }], { objectType: "0-1" });
  assert.equal(c.json.results[0].id, "3");

  assertHsError(await batch(url, [{ id: "Deal 1", idProperty: "dealname", properties: {} }]), 400, "VALIDATION_ERROR");
  assertHsError(await batch(url, [{ id: "x", idProperty: "nope", properties: {} }]), 400, "VALIDATION_ERROR");

  const clash = await batch(url, [{ id: "1", properties: { deal_external_id: "ext-2" } }]);
  assert.equal(parsePropErrors(clash.json.message)[0].error, "NOT_UNIQUE");
  assert.equal((await batch(url, [{ id: "1", properties: { deal_external_id: "new-1" } }])).status, 200);
  assert.equal((await batch(url, [{ id: "new-1", idProperty: "deal_external_id", properties: { amount: "9" } }])).json.results[0].id, "1");
  const old = await batch(url, [{ id: "ext-1", idProperty: "deal_external_id", properties: {} }]);
  assert.equal(old.status, 207);
  assert.equal((await batch(url, [{ id: "2", properties: { deal_external_id: "ext-1" } }])).status, 200, "freed value is reusable");
}));

test("unknown ids: error207, omit and mixed", () => withEmu({}, async ({ url }) => {
  const inputs = [{ id: "1", properties: { amount: "1" } }, { id: "999", properties: {} }, { id: "998", properties: {} }];
  const r = await batch(url, inputs);
  assert.equal(r.status, 207, r.text);
  assert.equal(r.json.numErrors, 1);
  assert.deepEqual(r.json.errors, [{
    status: "error", category: "OBJECT_NOT_FOUND",
    message: "Could not get some DEAL objects, they may be deleted or not exist. Check that ids are valid.",
    context: { ids: ["999", "998"] }, links: {}, errors: [],
  }]);
  assert.deepEqual(r.json.results.map((o) => o.id), ["1"]);
  assert.equal((await rec(url, 1)).writes, 1);
  const log = (await ctl(url, "/_emulator/log")).json.at(-1);
  assert.deepEqual(log.inputIds, ["1", "999", "998"]);
  assert.deepEqual(log.applied, ["1"]);

  await ctl(url, "/_emulator/config", { unknownIds: "omit" });
  const o = await batch(url, inputs);
  assert.equal(o.status, 200);
  assert.equal(o.json.errors, undefined);
  assert.deepEqual(o.json.results.map((x) => x.id), ["1"]);

  await ctl(url, "/_emulator/config", { unknownIds: "mixed" });
  const statuses = new Set();
  for (let i = 0; i < 16; i++) statuses.add((await batch(url, inputs)).status);
  assert.deepEqual([...statuses].sort(), [200, 207]);
  assert.equal((await rec(url, 1)).writes, 18);
}));

test("rate limit: rolling window per token, headers, 429 body, rejected requests not counted", () =>
  withEmu({ rateLimit: { requests: 3, intervalMs: 1000 }, tokens: [TOKEN, "other"] }, async ({ url }) => {
    for (const left of ["2", "1", "0"]) {
      const r = await batch(url, []);
      assert.equal(r.status, 200);
      assert.equal(r.headers.get("x-hubspot-ratelimit-max"), "3");
      assert.equal(r.headers.get("x-hubspot-ratelimit-remaining"), left);
      assert.equal(r.headers.get("x-hubspot-ratelimit-interval-milliseconds"), "1000");
      assert.equal(r.headers.get("x-hubspot-ratelimit-daily"), "250000");
    }
    const t3 = Date.now();
    await new Promise((r) => setTimeout(r, 400));
    const lim = await batch(url, [{ id: "1", properties: { amount: "1" } }]);
    assertHsError(lim, 429, "RATE_LIMITS");
    assert.equal(lim.json.message, "You have reached your ten_secondly_rolling limit.");
    assert.equal(lim.json.errorType, "RATE_LIMIT");
    assert.equal(lim.json.policyName, "TEN_SECONDLY_ROLLING");
    assert.equal(typeof lim.json.groupName, "string");
    assert.equal(lim.headers.get("retry-after"), null);
    assert.equal((await rec(url, 1)).writes, 0);
    assert.equal((await batch(url, [], { token: "other" })).status, 200, "separate bucket per token");
    // Past the first three's window but inside the 429's own window (t3 + 400 + 1000).
    await new Promise((r) => setTimeout(r, Math.max(0, t3 + 1100 - Date.now())));
    const again = await batch(url, []);
    assert.equal(again.status, 200);
    assert.equal(again.headers.get("x-hubspot-ratelimit-remaining"), "2", "the 429 did not take a slot");
    const st = (await ctl(url, "/_emulator/state")).json;
    assert.equal(st.rateLimited, 1);
    assert.equal(st.requests, 6);
    assert.equal(st.faultsInjected["429-ten-secondly"], undefined);
  }));

test("daily limit -> 429 DAILY; rateLimit null turns the window off", () =>
  withEmu({ dailyLimit: 2, rateLimit: null }, async ({ url }) => {
    const first = await batch(url, []);
    assert.equal(first.headers.get("x-hubspot-ratelimit-max"), null);
    assert.equal(first.headers.get("x-hubspot-ratelimit-daily-remaining"), "1");
    assert.equal((await batch(url, [])).status, 200);
    const r = await batch(url, []);
    assertHsError(r, 429, "RATE_LIMITS");
    assert.equal(r.json.policyName, "DAILY");
    assert.equal(r.json.message, "You have reached your daily limit.");
    assert.equal(r.headers.get("x-hubspot-ratelimit-daily-remaining"), "0");
  }));

test("latencyMs delays every batch answer", () => withEmu({ latencyMs: 150 }, async ({ url }) => {
  const t = performance.now();
  assert.equal((await batch(url, [])).status, 200);
  assert.ok(performance.now() - t >= 140);
  const t2 = performance.now();
  await ctl(url, "/_emulator/state");
  assert.ok(performance.now() - t2 < 140, "control API is not delayed");
}));

test("every fault kind from the explicit queue", () => withEmu({}, async ({ url }) => {
  const q = await ctl(url, "/_emulator/faults", { faults: FAULT_KINDS });
  assert.deepEqual(q.json, { queued: FAULT_KINDS.length });
  const send = (id, opts) => batch(url, [{ id, properties: { description: "f" } }], opts);
  const fails = (p) => p.then(() => assert.fail("expected a network error"), (e) => assert.ok(e instanceof Error));
  const expect429 = async (id, policy, retryAfter) => {
    const r = await send(id);
    assertHsError(r, 429, "RATE_LIMITS");
    assert.equal(r.json.policyName, policy);
    assert.equal(r.json.errorType, "RATE_LIMIT");
    assert.equal(r.headers.get("retry-after"), retryAfter);
  };
  await expect429("1", "TEN_SECONDLY_ROLLING", null);
  await expect429("2", "TEN_SECONDLY_ROLLING", "1");
  await expect429("3", "SECONDLY", null);
  await expect429("4", "SECONDLY", "1");
  await expect429("5", "DAILY", null);
  assertHsError(await send("6"), 500, "INTERNAL_ERROR");
  const bg = await send("7");
  assert.equal(bg.status, 502);
  assert.match(bg.headers.get("content-type"), /^text\/html/);
  assert.equal(bg.text, "<html><body><h1>502 Bad Gateway</h1></body></html>");
  assert.equal((await send("8")).status, 503);
  assertHsError(await send("9"), 504, "GATEWAY_TIMEOUT");
  await fails(send("10"));
  await fails(send("11", { signal: AbortSignal.timeout(300) }));
  const html = await send("12");
  assert.equal(html.status, 200);
  assert.match(html.headers.get("content-type"), /^text\/html/);
  const trunc = await send("13");
  assert.equal(trunc.status, 200);
  assert.match(trunc.headers.get("content-type"), /^application\/json/);
  assert.throws(() => JSON.parse(trunc.text));
  assert.ok(trunc.text.startsWith('{"status":"COMPLETE"'));
  await fails(send("14"));
  assert.equal((await send("15")).status, 504);
  assert.equal((await send("16")).status, 200, "queue drained");

  for (let id = 1; id <= 16; id++)
    assert.equal((await rec(url, id)).writes, [13, 14, 15, 16].includes(id) ? 1 : 0, `deal ${id}`);
  const log = (await ctl(url, "/_emulator/log")).json;
  assert.deepEqual(log.map((e) => e.fault), [...FAULT_KINDS, null]);
  assert.deepEqual(log.map((e) => e.status),
    [429, 429, 429, 429, 429, 500, 502, 503, 504, null, null, 200, 200, null, 504, 200]);
  assert.deepEqual(log.map((e) => e.applied.length), [0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1, 1, 1, 1]);
  const st = (await ctl(url, "/_emulator/state")).json;
  assert.deepEqual(st.faultsInjected, Object.fromEntries(FAULT_KINDS.map((k) => [k, 1])));
  assert.equal(st.rateLimited, 0, "injected 429s are counted as faults, not as real rate limiting");
  assert.equal(st.applied, 4);
}));

test("random faults: faultRate/faultKinds, reproducible per seed, never on control requests", async () => {
  const run = (seed) => withEmu({ seed, faultRate: 0.5, faultKinds: ["500", "503"] }, async ({ url }) => {
    const out = [];
    for (let i = 0; i < 12; i++) out.push((await batch(url, [])).status);
    for (let i = 0; i < 5; i++) assert.equal((await ctl(url, "/_emulator/state")).status, 200);
    return out;
  });
  const a = await run(3), b = await run(3);
  assert.deepEqual(a, b);
  assert.ok(a.includes(200) && a.some((s) => s >= 500), a.join());
  await withEmu({ faultRate: 1, faultKinds: ["503"] }, async ({ url }) => {
    assert.equal((await batch(url, [])).status, 503);
    await ctl(url, "/_emulator/faults", { faults: ["500"] });
    assert.equal((await batch(url, [])).status, 500, "queue comes first");
    await ctl(url, "/_emulator/config", { faultRate: 0 });
    assert.equal((await batch(url, [])).status, 200);
  });
});

test("hang: close() ends hanging sockets quickly", async () => {
  const emu = await startEmulator({ deals: 5 });
  await ctl(emu.url, "/_emulator/faults", { faults: ["hang"] });
  const pending = batch(emu.url, []).then(() => "answered", () => "failed");
  await new Promise((r) => setTimeout(r, 150));
  assert.equal(emu.emulator.getLog().at(-1).fault, "hang");
  const t = performance.now();
  await emu.close();
  assert.ok(performance.now() - t < 1000);
  assert.equal(await pending, "failed");
});

test("control API: config, state, records, log, reset, CORS", () => withEmu({ seed: 5 }, async ({ url, emulator }) => {
  const cfg = (await ctl(url, "/_emulator/config")).json;
  assert.deepEqual(cfg, {
    seed: 5, deals: 50, contacts: 20, sandbox: false, cors: false,
    rateLimit: { requests: 100, intervalMs: 10000 }, dailyLimit: 250000, latencyMs: 0,
    faultRate: 0, faultKinds: FAULT_KINDS, unknownIds: "error207",
    schemaAccess: true, schemaFaultRate: 0, apiVersions: ["2025-09", "2026-03"],
  });
  const upd = await ctl(url, "/_emulator/config", { latencyMs: 5, faultKinds: ["500"], rateLimit: null });
  assert.equal(upd.json.latencyMs, 5);
  assert.equal(upd.json.rateLimit, null);
  assert.deepEqual(emulator.getConfig().faultKinds, ["500"]);
  assert.equal((await ctl(url, "/_emulator/config", { faultRate: 2 })).status, 400);
  assert.equal((await ctl(url, "/_emulator/config", { bogus: 1 })).status, 400);
  assert.equal((await ctl(url, "/_emulator/faults", { faults: ["nope"] })).status, 400);
  assert.equal(upd.headers.get("access-control-allow-origin"), "*");

  const pre = await fetch(`${url}/_emulator/config`, { method: "OPTIONS", headers: { origin: "http://x", "access-control-request-method": "POST", "access-control-request-headers": "content-type" } });
  assert.equal(pre.status, 204);
  assert.equal(pre.headers.get("access-control-allow-origin"), "*");
  assert.match(pre.headers.get("access-control-allow-methods"), /POST/);
  assert.match(pre.headers.get("access-control-allow-headers"), /content-type/);

  await batch(url, [{ id: "1", properties: { amount: "7" } }]);
  const many = (await ctl(url, "/_emulator/records/deals?ids=1,2,9999")).json;
  assert.equal(many[0].properties.amount, "7");
  assert.equal(many[1].writes, 0);
  assert.equal(many[2], null);
  const q = (await ctl(url, "/_emulator/records/0-3/query", { ids: ["2", "77777"] })).json;
  assert.deepEqual(q.map((x) => x && x.id), ["2", null]);
  assert.equal((await ctl(url, "/_emulator/records/deals/9999")).status, 404);
  assert.equal((await ctl(url, "/_emulator/records/widgets/1")).status, 404);
  assert.equal((await ctl(url, "/_emulator/records/contacts/20")).json.properties.email, "user20@example.com");
  assert.equal((await ctl(url, "/_emulator/nope")).status, 404);

  await batch(url, [{ id: "2", properties: { amount: "8" }, objectWriteTraceId: "tr" }], { token: null });
  await batch(url, [{ id: "2", properties: { amount: "8" }, objectWriteTraceId: "tr" }]);
  const log = (await ctl(url, "/_emulator/log?since=1")).json;
  assert.deepEqual(log.map((e) => e.seq), [2, 3]);
  assert.equal(log[1].objectType, "0-3");
  assert.equal(log[1].path, "/crm/v3/objects/0-3/batch/update");
  assert.deepEqual(log[1].traceIds, ["tr"]);
  assert.ok(log[1].at >= log[0].at);
  const st = (await ctl(url, "/_emulator/state")).json;
  assert.equal(st.requests, 3);
  assert.equal(st.applied, 2);
  assert.equal(st.deals, 50);

  const amount7 = emulator.getRecord("deals", 7).properties.amount;
  const reset = await ctl(url, "/_emulator/reset", { seed: 6, deals: 10 });
  assert.equal(reset.json.deals, 10);
  assert.equal(reset.json.requests, 0);
  assert.deepEqual((await ctl(url, "/_emulator/log")).json, []);
  assert.equal((await ctl(url, "/_emulator/config")).json.latencyMs, 5, "config kept");
  assert.equal(emulator.getRecord("deals", 1).writes, 0);
  assert.notEqual(emulator.getRecord("deals", 7).properties.amount, amount7);
  emulator.reset({ seed: 5 });
  assert.equal(emulator.getRecord("deals", 7).properties.amount, amount7, "same seed, same data");
  assert.equal(emulator.getState().deals, 10);
}));

test("seeded data: ids, external ids, names, emails", () => withEmu({ deals: 3000 }, async ({ url }) => {
  const d = await rec(url, 3000);
  assert.equal(d.properties.dealname, "Deal 3000");
  assert.equal(d.properties.deal_external_id, "ext-3000");
  assert.match(d.properties.amount, /^\d+$/);
  assert.ok(["appointmentscheduled", "qualifiedtobuy", "presentationscheduled", "decisionmakerboughtin",
    "contractsent", "closedwon", "closedlost"].includes(d.properties.dealstage));
  assert.equal((await ctl(url, "/_emulator/records/deals/3001")).status, 404);
  assert.equal((await ctl(url, "/_emulator/state")).json.contacts, 20);
}));

test("CORS on the API: off like HubSpot by default, on with cors: true", async () => {
  await withEmu({}, async ({ url }) => {
    const pre = await fetch(`${url}/crm/v3/objects/0-3/batch/update`, { method: "OPTIONS", headers: { origin: "http://x" } });
    assert.equal(pre.status, 405);
    assert.equal(pre.headers.get("access-control-allow-origin"), null);
    assert.equal((await batch(url, [])).headers.get("access-control-allow-origin"), null);
  });
  await withEmu({ cors: true }, async ({ url }) => {
    const pre = await fetch(`${url}/crm/v3/objects/0-3/batch/update`, {
      method: "OPTIONS",
      headers: { origin: "http://x", "access-control-request-method": "POST", "access-control-request-headers": "authorization,content-type" },
    });
    assert.equal(pre.status, 204);
    assert.equal(pre.headers.get("access-control-allow-origin"), "*");
    assert.match(pre.headers.get("access-control-allow-headers"), /authorization/);
    const r = await batch(url, []);
    assert.equal(r.headers.get("access-control-allow-origin"), "*");
    assert.match(r.headers.get("access-control-expose-headers"), /X-HubSpot-RateLimit-Remaining/);
  });
});

test("static files with content types, no traversal, API still routed", async () => {
  const dir = await mkdtemp(path.join(os.tmpdir(), "emu-static-"));
  try {
    const files = { "index.html": "<h1>demo</h1>", "pkg.wasm": "\0asm", "app.js": "export {}", "s.css": "a{}",
      "i.svg": "<svg/>", "d.json": "{}", "p.png": "png" };
    for (const [n, c] of Object.entries(files)) await writeFile(path.join(dir, n), c);
    await withEmu({ staticDir: dir }, async ({ url }) => {
      const types = { "/": "text/html", "/pkg.wasm": "application/wasm", "/app.js": "text/javascript", "/s.css": "text/css",
        "/i.svg": "image/svg+xml", "/d.json": "application/json", "/p.png": "image/png" };
      for (const [p, t] of Object.entries(types)) {
        const r = await fetch(url + p);
        assert.equal(r.status, 200, p);
        assert.ok(r.headers.get("content-type").startsWith(t), `${p}: ${r.headers.get("content-type")}`);
        assert.equal(await r.text(), files[p === "/" ? "index.html" : p.slice(1)]);
      }
      const head = await fetch(`${url}/app.js`, { method: "HEAD" });
      assert.equal(head.status, 200);
      assert.equal(await head.text(), "");
      assert.equal((await fetch(`${url}/missing.js`)).status, 404);
      assert.equal((await fetch(`${url}/..%2f..%2fetc%2fpasswd`)).status, 404);
      assert.equal((await fetch(`${url}/%2e%2e%5c..%5cetc%5cpasswd`)).status, 404);
      assert.equal((await batch(url, [])).status, 200);
      assert.equal((await ctl(url, "/_emulator/state")).status, 200);
      assert.equal((await fetch(`${url}/crm/v3/objects/0-3`)).status, 404);
    });
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
});

test("robustness: 413, unknown paths, odd methods, garbage, resets", () => withEmu({}, async ({ url, port }) => {
  const huge = await batch(url, null, { body: "x".repeat(11 * 1024 * 1024) });
  assertHsError(huge, 413, "VALIDATION_ERROR");
  const nf = await fetch(`${url}/nope`);
  assert.equal(nf.status, 404);
  assert.equal((await nf.json()).status, "error");
  assert.equal((await batch(url, null, { method: "GET" })).status, 405);
  assert.equal((await batch(url, null, { method: "DELETE" })).status, 405);
  assert.equal((await fetch(`${url}/crm/v3/objects/0-3/batch/update`, { method: "PATCH", body: "{}" })).status, 405);

  const raw = (payload) => new Promise((resolve) => {
    const s = net.connect(port, "127.0.0.1", () => s.write(payload));
    let out = "";
    s.on("data", (d) => (out += d));
    s.on("close", () => resolve(out));
    s.on("error", () => resolve(out));
    setTimeout(() => s.destroy(), 500).unref();
  });
  assert.match(await raw("BREW /pot HTTP/1.1\r\nHost: x\r\n\r\n"), /^HTTP\/1\.1 400/);
  await raw("\x00\x01\x02garbage\r\n\r\n");
  // A client that sends half a request and resets.
  await new Promise((resolve) => {
    const s = net.connect(port, "127.0.0.1", () => {
      s.write("POST /crm/v3/objects/0-3/batch/update HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer emulator-token\r\nContent-Type: application/json\r\nContent-Length: 1000\r\n\r\n{\"inputs\":[");
      setTimeout(() => { s.resetAndDestroy(); resolve(); }, 50);
    });
  });
  assert.equal((await batch(url, [{ id: "1", properties: { amount: "3" } }])).status, 200, "still serving");
}));

test("server.mjs CLI prints its URL and exits cleanly on SIGTERM", async () => {
  const child = spawn(process.execPath, [path.join(HERE, "server.mjs"), "--port", "0", "--deals", "10", "--sandbox",
    "--rate-limit", "5/1000", "--unknown-ids", "omit", "--fault-rate", "0"], { stdio: ["ignore", "pipe", "pipe"] });
  try {
    let out = "";
    child.stdout.setEncoding("utf8");
    while (!out.includes("\n")) out += (await once(child.stdout, "data"))[0];
    const { url } = JSON.parse(out.split("\n")[0]);
    assert.match(url, /^http:\/\/127\.0\.0\.1:\d+$/);
    const r = await batch(url, [{ id: "1", properties: {} }, { id: "11", properties: {} }], { token: null });
    assert.equal(r.status, 200);
    assert.equal(r.headers.get("x-hubspot-ratelimit-max"), "5");
    assert.equal(r.json.results.length, 1);
    child.kill("SIGTERM");
    const [code] = await once(child, "exit");
    assert.equal(code, 0);
  } finally {
    if (child.exitCode === null) child.kill("SIGKILL");
  }
});

test("startEmulator refuses a non-loopback host and bad options", async () => {
  await assert.rejects(startEmulator({ host: "0.0.0.0" }), /loopback/);
  await assert.rejects(startEmulator({ faultRate: 3 }), /faultRate/);
  await assert.rejects(startEmulator({ unknownIds: "nope" }), /unknownIds/);
});

test("fuzz: random bodies never produce a 5xx or crash", () => withEmu({ rateLimit: null }, async ({ url }) => {
  let s = 42; // own tiny LCG so a failure is reproducible
  const rnd = (n) => ((s = (s * 1103515245 + 12345) >>> 0) % n);
  const atoms = [null, true, 1, -1.5, "", "1", "ext-1", "hot;cold", {}, [], "__proto__", "amount", "email", "x".repeat(300)];
  const keys = ["inputs", "id", "properties", "idProperty", "objectWriteTraceId", "amount", "dealstage", "__proto__",
    "associations", "to", "types", "propertiesWithHistory", "renewal_date", "is_priority"];
  const gen = (d) => (d > 3 ? atoms[rnd(atoms.length)] : [
    () => atoms[rnd(atoms.length)],
    () => Array.from({ length: rnd(4) }, () => gen(d + 1)),
    () => Object.fromEntries(Array.from({ length: rnd(4) }, () => [keys[rnd(keys.length)], gen(d + 1)])),
  ][rnd(3)]());
  for (let i = 0; i < 400; i++) {
    let body = JSON.stringify(rnd(2) ? { inputs: Array.from({ length: rnd(4) }, () => gen(1)) } : gen(0)) ?? "";
    if (rnd(10) === 0) body = body.slice(0, rnd(body.length + 1));
    const r = await batch(url, null, { body, objectType: ["0-3", "contacts", "x"][rnd(3)], op: BATCH_OPERATIONS[rnd(5)] });
    assert.ok(r.status < 500, `${r.status} for ${body}`);
  }
}));

// ---------------------------------------------------------------- every batch operation, schema routes

// HubSpot's OpenAPI component schemas for the served operations (a cut of the spec files; see _source).
const SPEC = JSON.parse(readFileSync(path.join(HERE, "hubspot-schemas.json"), "utf8"));

// A small OpenAPI-schema checker: types, required, enum, date-time, items, additionalProperties.
// strict: a key the schema does not declare is a problem (success bodies). Values of a
// `properties` map may be null (HubSpot answers null for unset properties).
function conform(value, name, { strict = true } = {}) {
  const errs = [];
  const check = (v, schema, at) => {
    if (schema.$ref) return check(v, SPEC.schemas[schema.$ref.split("/").pop()], at);
    switch (schema.type) {
      case "object": {
        if (v === null || typeof v !== "object" || Array.isArray(v)) return errs.push(`${at}: expected an object`);
        for (const r of schema.required ?? []) if (!(r in v)) errs.push(`${at}.${r}: required`);
        for (const [k, x] of Object.entries(v)) {
          if (schema.properties && Object.hasOwn(schema.properties, k)) check(x, schema.properties[k], `${at}.${k}`);
          else if (schema.additionalProperties) {
            if (!(x === null && at.endsWith(".properties"))) check(x, schema.additionalProperties, `${at}.${k}`);
          } else if (strict && schema.properties) errs.push(`${at}.${k}: not in the schema`);
        }
        return;
      }
      case "array":
        if (!Array.isArray(v)) return errs.push(`${at}: expected an array`);
        return v.forEach((x, i) => check(x, schema.items, `${at}[${i}]`));
      case "string":
        if (typeof v !== "string") return errs.push(`${at}: expected a string, got ${JSON.stringify(v)}`);
        if (schema.enum && !schema.enum.includes(v)) errs.push(`${at}: ${v} not in ${schema.enum}`);
        if (schema.format === "date-time" && Number.isNaN(Date.parse(v))) errs.push(`${at}: not a date-time`);
        return;
      case "boolean": if (typeof v !== "boolean") errs.push(`${at}: expected a boolean`); return;
      case "integer": if (!Number.isInteger(v)) errs.push(`${at}: expected an integer`); return;
      case "number": if (typeof v !== "number") errs.push(`${at}: expected a number`); return;
    }
  };
  check(value, SPEC.schemas[name], "$");
  return errs;
}
const assertConforms = (value, name, opts) => assert.deepEqual(conform(value, name, opts), [], `${name}: ${JSON.stringify(value).slice(0, 400)}`);

const specOp = (version, op) =>
  SPEC.operations[version === "v3" ? `POST /crm/v3/objects/{objectType}/batch/${op}` : `POST /crm/objects/${version}/{objectType}/batch/${op}`];

// Sends one batch request of `op` after checking the body against the operation's request schema.
async function call(url, op, body, opts = {}) {
  const version = opts.version ?? "v3";
  if (version === "v3" || version === "2026-03") assertConforms(body, specOp(version, op).request);
  return batch(url, null, { ...opts, op, body: JSON.stringify(body) });
}
const get = async (url, p, token = TOKEN) => {
  const res = await fetch(url + p, { headers: token ? { authorization: `Bearer ${token}` } : {} });
  const text = await res.text();
  let json;
  try { json = JSON.parse(text); } catch { json = undefined; }
  return { status: res.status, headers: res.headers, text, json };
};

test("every operation on both path styles: status codes and bodies follow the OpenAPI schemas", () =>
  withEmu({ rateLimit: null }, async ({ url, emulator }) => {
    for (const version of ["v3", "2026-03"]) {
      const ok = (r, op) => {
        const spec = specOp(version, op);
        assert.ok(Object.hasOwn(spec.responses, String(r.status)), `${version} ${op}: ${r.status} not in ${Object.keys(spec.responses)}: ${r.text}`);
        const schema = spec.responses[r.status];
        if (schema) assertConforms(r.json, schema);
        else assert.equal(r.text, "");
        return r;
      };
      const tag = `v-${version}`;
      const created = ok(await call(url, "create", { inputs: [
        { properties: { dealname: `${tag} a`, amount: "10", renewal_date: "2025-01-31", is_priority: "true" }, associations: [] },
        { properties: { dealname: `${tag} b` }, associations: [{ to: { id: "1" }, types: [{ associationCategory: "HUBSPOT_DEFINED", associationTypeId: 3 }] }] },
      ] }, { version }), "create");
      assert.equal(created.status, 201);
      assert.equal(created.json.results.length, 2);
      const ids = created.json.results.map((o) => o.id);
      for (const o of created.json.results) {
        assert.equal(o.archived, false);
        assert.equal(o.properties.hs_object_id, o.id);
        assert.equal(o.properties.createdate, o.createdAt);
        assert.equal(emulator.getRecord("deals", o.id).createdBy, "create");
      }

      const upd = ok(await call(url, "update", { inputs: [{ id: ids[0], properties: { amount: "11" } }] }, { version }), "update");
      assert.equal(upd.status, 200);
      const ups = ok(await call(url, "upsert", { inputs: [
        { id: "ext-2", idProperty: "deal_external_id", properties: { amount: "12" } },
        { id: `${tag}-new`, idProperty: "deal_external_id", properties: { dealname: `${tag} c` }, objectWriteTraceId: "u1" },
      ] }, { version }), "upsert");
      assert.equal(ups.status, 200);
      assert.deepEqual(ups.json.results.map((o) => o.new).sort(), [false, true]);

      const read = ok(await call(url, "read", { inputs: [{ id: ids[0] }, { id: "2" }], properties: ["amount"], propertiesWithHistory: [] }, { version }), "read");
      assert.equal(read.status, 200);
      const missing = ok(await call(url, "read", { inputs: [{ id: ids[1] }, { id: "999999" }], properties: [], propertiesWithHistory: ["amount"] }, { version }), "read");
      assert.equal(missing.status, 207);
      const partial = ok(await call(url, "create", { inputs: [
        { properties: { dealname: `${tag} d` }, associations: [], objectWriteTraceId: "c1" },
        { properties: { dealstage: "nope" }, associations: [], objectWriteTraceId: "c2" },
      ] }, { version }), "create");
      assert.equal(partial.status, 207);
      const unknownUpdate = ok(await call(url, "update", { inputs: [{ id: "999999", properties: {} }] }, { version }), "update");
      assert.equal(unknownUpdate.status, 207);

      const arch = ok(await call(url, "archive", { inputs: [{ id: ids[1] }] }, { version }), "archive");
      assert.equal(arch.status, 204);
      assert.equal(arch.headers.get("content-type"), null);
      assert.equal(arch.headers.get("x-hubspot-ratelimit-daily-remaining") !== null, true);
      assert.equal(emulator.getRecord("deals", ids[1]).archived, true);
      // Errors keep HubSpot's Error shape (status, errorType and policyName are HubSpot's extras).
      assertConforms((await call(url, "upsert", { inputs: [{ id: "x", properties: {} }] }, { version })).json, "Error", { strict: false });
    }
    const log = emulator.getLog();
    assert.deepEqual([...new Set(log.map((e) => e.apiVersion))], ["v3", "2026-03"]);
    assert.deepEqual([...new Set(log.map((e) => e.op))].sort(), [...BATCH_OPERATIONS].sort());
    assert.equal(log.find((e) => e.apiVersion === "2026-03").path.startsWith("/crm/objects/2026-03/0-3/batch/"), true);
  }));

test("date versions: 2025-09 and 2026-03 served, others 404 (apiVersions), unknown operations 404, GET 405", () =>
  withEmu({}, async ({ url, emulator }) => {
    assert.equal((await batch(url, [], { version: "2025-09" })).status, 200);
    for (const version of ["2026-09", "2024-13x", "v4", "2026-3"]) {
      const r = await batch(url, [], { version });
      assertHsError(r, 404, "OBJECT_NOT_FOUND");
      assert.equal(r.headers.get("x-hubspot-ratelimit-max"), "100", "a 404 carries the rate-limit headers");
    }
    assertHsError(await batch(url, [], { op: "delete" }), 404, "OBJECT_NOT_FOUND");
    assert.equal((await batch(url, [], { op: "read", method: "GET" })).status, 405);
    emulator.configure({ apiVersions: ["2026-09"] });
    assert.equal((await batch(url, [], { version: "2026-09" })).status, 200);
    assert.equal((await batch(url, [], { version: "2026-03" })).status, 404);
    assert.equal((await ctl(url, "/_emulator/config", { apiVersions: ["March"] })).status, 400);
    assert.equal(emulator.getState().requests, 9, "404s and 405s are requests too");
  }));

test("upsert: idProperty required and unique, unknown id creates (new: true), known updates (new: false)", () =>
  withEmu({}, async ({ url, emulator }) => {
    const up = (inputs, opts) => batch(url, inputs, { op: "upsert", ...opts });
    const r = await up([
      { id: "ext-3", idProperty: "deal_external_id", properties: { amount: "33" } },
      { id: "sync-1", idProperty: "deal_external_id", properties: { dealname: "Synced", dealstage: "closedwon" }, objectWriteTraceId: "t" },
    ]);
    assert.equal(r.status, 200, r.text);
    const old = r.json.results.find((o) => o.id === "3"), neu = r.json.results.find((o) => o.id !== "3");
    assert.equal(old.new, false);
    assert.equal(neu.new, true);
    assert.equal(neu.objectWriteTraceId, "t");
    assert.equal(neu.properties.deal_external_id, "sync-1");
    assert.equal(neu.id, "51", "new ids follow the seeded ones");
    assert.equal(emulator.getRecord("deals", 3).properties.amount, "33");
    assert.equal(emulator.getRecord("deals", 3).writes, 1);
    const rec = emulator.getRecord("deals", neu.id);
    assert.equal(rec.createdBy, "upsert");
    assert.equal(rec.properties.deal_external_id, "sync-1");
    assert.equal(rec.writes, 1);
    // The same upsert again updates the record it created: upsert is safe to repeat.
    const again = await up([{ id: "sync-1", idProperty: "deal_external_id", properties: { amount: "1" } }]);
    assert.deepEqual(again.json.results.map((o) => [o.id, o.new]), [[neu.id, false]]);
    assert.equal(emulator.getState().created.upsert, 1);
    assert.equal(emulator.getState().deals, 51);

    const c = await up([{ id: "new@example.com", idProperty: "email", properties: { firstname: "New" } }], { objectType: "contacts" });
    assert.equal(c.json.results[0].new, true);
    assert.equal(emulator.getRecord("contacts", c.json.results[0].id).properties.email, "new@example.com");

    assert.match((await up([{ id: "1", properties: {} }])).json.message, /idProperty is required/);
    assertHsError(await up([{ id: "1", idProperty: "hs_object_id", properties: {} }]), 400, "VALIDATION_ERROR");
    assertHsError(await up([{ id: "Deal 1", idProperty: "dealname", properties: {} }]), 400, "VALIDATION_ERROR");
    const dup = await up([{ id: "k", idProperty: "deal_external_id", properties: {} }, { id: "k", idProperty: "deal_external_id", properties: {} }]);
    assert.equal(dup.json.message, "Duplicate IDs found in batch input: [k, k]");
    // Validation as for update: any bad value rejects the whole batch, nothing created.
    const inval = await up([{ id: "fresh", idProperty: "deal_external_id", properties: { dealstage: "nope" } },
      { id: "ext-4", idProperty: "deal_external_id", properties: { amount: "4" } }]);
    assertHsError(inval, 400, "VALIDATION_ERROR");
    assert.equal(parsePropErrors(inval.json.message)[0].error, "INVALID_OPTION");
    assert.equal(emulator.getState().deals, 51);
    assert.equal(emulator.getRecord("deals", 4).writes, 0);
    // A new record may not take another record's unique value.
    const clash = await up([{ id: "fresh", idProperty: "deal_external_id", properties: { deal_external_id: "ext-5" } }]);
    assert.equal(parsePropErrors(clash.json.message)[0].error, "NOT_UNIQUE");
  }));

test("create: not idempotent, records listed and duplicates counted; 400 whole batch, 207 per input with trace ids", () =>
  withEmu({}, async ({ url, emulator }) => {
    const cr = (inputs, opts) => batch(url, inputs, { op: "create", ...opts });
    const inputs = [{ properties: { dealname: "One", description: "mark-1" } }, { properties: { dealname: "Two", description: "mark-2" } }];
    const a = await cr(inputs), b = await cr(inputs);
    assert.equal(a.status, 201);
    assert.equal(b.status, 201);
    const idsA = a.json.results.map((o) => o.id).sort(), idsB = b.json.results.map((o) => o.id).sort();
    assert.deepEqual(idsA, ["51", "52"]);
    assert.deepEqual(idsB, ["53", "54"], "every call makes new records with new ids");
    assert.equal(emulator.getState().created.create, 4);
    assert.equal(emulator.getState().deals, 54);
    assert.deepEqual(emulator.records("deals", { createdBy: "create" }).map((r) => r.id), ["51", "52", "53", "54"]);
    assert.deepEqual(emulator.records("deals", { where: { description: "mark-1" } }).map((r) => r.id), ["51", "53"]);
    assert.deepEqual(emulator.duplicates("deals", "description"), [{ value: "mark-1", ids: ["51", "53"] }, { value: "mark-2", ids: ["52", "54"] }]);
    const viaHttp = await ctl(url, "/_emulator/duplicates/deals?property=description");
    assert.deepEqual(viaHttp.json, emulator.duplicates("deals", "description"));
    const listed = await ctl(url, "/_emulator/records/deals/list", { createdBy: ["create"], where: { dealname: "Two" } });
    assert.deepEqual(listed.json.map((r) => [r.id, r.createdBy, r.writes, r.archived]), [["52", "create", 1, false], ["54", "create", 1, false]]);
    assert.equal((await ctl(url, "/_emulator/records/deals/list", { nope: 1 })).status, 400);
    assert.equal((await ctl(url, "/_emulator/duplicates/deals")).status, 400);
    const log = emulator.getLog().filter((e) => e.op === "create");
    assert.deepEqual(log[0].inputIds, [null, null]);
    assert.deepEqual(log[0].applied.sort(), ["51", "52"]);

    // Without trace ids: a bad value rejects the whole batch (nothing created), as update.
    const whole = await cr([{ properties: { dealname: "ok" } }, { properties: { amount: "x", hs_object_id: "1" }, objectWriteTraceId: "t2" }]);
    assertHsError(whole, 400, "VALIDATION_ERROR");
    assert.deepEqual(parsePropErrors(whole.json.message).map((e) => e.error), ["INVALID_DECIMAL", "READ_ONLY_VALUE"]);
    assert.equal(emulator.getState().deals, 54);
    // With an objectWriteTraceId on every input: 207, per-input errors, the valid ones created.
    const per = await cr([
      { properties: { dealname: "fine" }, objectWriteTraceId: "t1" },
      { properties: { amount: "x", foo: "y" }, objectWriteTraceId: "t2" },
      { properties: { deal_external_id: "ext-1" }, objectWriteTraceId: "t3" },
    ]);
    assert.equal(per.status, 207, per.text);
    assert.equal(per.json.numErrors, 2);
    assert.deepEqual(per.json.results.map((o) => o.objectWriteTraceId), ["t1"]);
    assert.deepEqual(per.json.errors.map((e) => e.context.objectWriteTraceId[0]), ["t2", "t3"]);
    assert.deepEqual(parsePropErrors(per.json.errors[0].message).map((e) => e.error), ["INVALID_DECIMAL", "PROPERTY_DOESNT_EXIST"]);
    assert.equal(parsePropErrors(per.json.errors[1].message)[0].error, "NOT_UNIQUE");
    assert.equal(per.json.errors[0].category, "VALIDATION_ERROR");
    assert.equal(emulator.getState().deals, 55);
    // Two new records may not share a unique value.
    const twin = await cr([{ properties: { deal_external_id: "same" } }, { properties: { deal_external_id: "same" } }]);
    assert.equal(parsePropErrors(twin.json.message)[0].error, "NOT_UNIQUE");
    // Shapes: properties required, associations checked when present; more than 100 refused.
    assertHsError(await cr([{}]), 400, "VALIDATION_ERROR");
    assertHsError(await cr([{ properties: {}, associations: [{ to: {}, types: [] }] }]), 400, "VALIDATION_ERROR");
    assertHsError(await cr([{ properties: {}, associations: [{ to: { id: "1" }, types: [{ associationCategory: "X", associationTypeId: 1 }] }] }]), 400, "VALIDATION_ERROR");
    assert.equal((await cr(Array.from({ length: 101 }, () => ({ properties: {} })))).json.message, "Batch input size of 101 exceeds limit of 100");
    const c = await cr([{ properties: { email: "a@b.co", is_vip: "false", signup_date: "2024-02-29" } }], { objectType: "0-1" });
    assert.equal(c.status, 201, c.text);
    assert.equal(c.json.results[0].properties.hs_email_domain, null);
  }));

test("read: requested properties, defaults, unknown ids (error207 / omit), idProperty, history limit, archived", () =>
  withEmu({ deals: 120 }, async ({ url, emulator }) => {
    const rd = (body, opts) => batch(url, null, { op: "read", body: JSON.stringify(body), ...opts });
    const r = await rd({ inputs: [{ id: "1" }, { id: "2" }, { id: "2" }], properties: ["amount", "tags", "nope"], propertiesWithHistory: [] });
    assert.equal(r.status, 200, r.text);
    assert.deepEqual(r.json.results.map((o) => o.id).sort(), ["1", "2"], "asked twice, answered once");
    const one = r.json.results.find((o) => o.id === "1");
    assert.deepEqual(Object.keys(one.properties).sort(), ["amount", "createdate", "hs_lastmodifieddate", "hs_object_id", "tags"]);
    assert.equal(one.properties.tags, null, "known but unset: null");
    assert.equal(one.properties.amount, emulator.getRecord("deals", 1).properties.amount);
    assert.equal(one.propertiesWithHistory, undefined);
    const defaults = await rd({ inputs: [{ id: "3" }] });
    assert.deepEqual(Object.keys(defaults.json.results[0].properties).sort(),
      ["amount", "closedate", "createdate", "dealname", "dealstage", "hs_lastmodifieddate", "hs_object_id", "pipeline"]);
    const byExt = await rd({ inputs: [{ id: "ext-4" }, { id: "ext-nope" }], idProperty: "deal_external_id", properties: ["dealname"], propertiesWithHistory: ["dealname"] });
    assert.equal(byExt.status, 207);
    assert.equal(byExt.json.results[0].id, "4");
    assert.deepEqual(byExt.json.results[0].propertiesWithHistory.dealname.map((h) => h.value), ["Deal 4"]);
    assert.deepEqual(byExt.json.errors, [{
      status: "error", category: "OBJECT_NOT_FOUND",
      message: "Could not get some DEAL objects, they may be deleted or not exist. Check that ids are valid.",
      context: { ids: ["ext-nope"] }, links: {}, errors: [],
    }]);
    emulator.configure({ unknownIds: "omit" });
    const omitted = await rd({ inputs: [{ id: "5" }, { id: "999" }], properties: [] });
    assert.equal(omitted.status, 200);
    assert.deepEqual(omitted.json.results.map((o) => o.id), ["5"]);
    emulator.configure({ unknownIds: "error207" });
    const contacts = await rd({ inputs: [{ id: "user2@example.com" }], idProperty: "email", properties: ["email"] }, { objectType: "contacts" });
    assert.equal(contacts.json.results[0].id, "2");

    const ids = (n) => Array.from({ length: n }, (_, i) => ({ id: String(i + 1) }));
    assert.equal((await rd({ inputs: ids(100), properties: ["amount"] })).status, 200);
    assert.equal((await rd({ inputs: ids(101), properties: ["amount"] })).json.message, "Batch input size of 101 exceeds limit of 100");
    assert.equal((await rd({ inputs: ids(50), properties: [], propertiesWithHistory: ["amount"] })).status, 200);
    const hist = await rd({ inputs: ids(51), properties: [], propertiesWithHistory: ["amount"] });
    assertHsError(hist, 400, "VALIDATION_ERROR");
    assert.equal(hist.json.message, "Batch input size of 51 exceeds limit of 50");
    assertHsError(await rd({ inputs: [{ id: 1 }] }), 400, "VALIDATION_ERROR");
    assertHsError(await rd({ inputs: [], properties: "amount" }), 400, "VALIDATION_ERROR");
    assertHsError(await rd({ inputs: [], idProperty: "dealname" }), 400, "VALIDATION_ERROR");
    assert.equal(emulator.getState().applied, 0, "reads write nothing");
    assert.equal(emulator.getRecord("deals", 1).writes, 0);
  }));

test("archive: 204 with no body, unknown ids too; archived records leave updates and reads, free their unique values", () =>
  withEmu({}, async ({ url, emulator }) => {
    const ar = (ids, opts) => batch(url, ids.map((id) => ({ id })), { op: "archive", ...opts });
    const r = await ar(["7", "8", "99999"]);
    assert.equal(r.status, 204);
    assert.equal(r.text, "");
    assert.deepEqual(emulator.getLog().at(-1).applied, ["7", "8"]);
    assert.equal((await ar(["7"])).status, 204, "again: still 204");
    const st = emulator.getState();
    assert.equal(st.deals, 48);
    assert.deepEqual(st.archived, { deals: 2, contacts: 0 });
    const rec = emulator.getRecord("deals", 7);
    assert.equal(rec.archived, true);
    assert.ok(!Number.isNaN(Date.parse(rec.archivedAt)));
    assert.deepEqual(emulator.records("deals", { archived: true }).map((x) => x.id), ["7", "8"]);

    const upd = await batch(url, [{ id: "7", properties: { amount: "1" } }]);
    assert.equal(upd.status, 207);
    assert.deepEqual(upd.json.errors[0].context.ids, ["7"]);
    assert.equal((await batch(url, [{ id: "7" }], { op: "read", body: JSON.stringify({ inputs: [{ id: "7" }] }) })).status, 207);
    const arch = await batch(url, null, { op: "read", query: "?archived=true", body: JSON.stringify({ inputs: [{ id: "7" }, { id: "ext-8" }], idProperty: "deal_external_id", properties: ["dealname"] }) });
    assert.equal(arch.status, 207, "7 is not a deal_external_id value: not found");
    assert.deepEqual(arch.json.results.map((o) => [o.id, o.archived]), [["8", true]]);
    assert.ok(arch.json.results[0].archivedAt);
    // ext-7 is free again: an upsert by it creates a new record.
    const up = await batch(url, [{ id: "ext-7", idProperty: "deal_external_id", properties: {} }], { op: "upsert" });
    assert.equal(up.json.results[0].new, true);
    assert.notEqual(up.json.results[0].id, "7");
    assertHsError(await batch(url, [{ id: 7 }], { op: "archive" }), 400, "VALIDATION_ERROR");
    assert.equal((await batch(url, Array.from({ length: 101 }, (_, i) => ({ id: String(i) })), { op: "archive" })).status, 400);
    assert.equal((await ar(["1"], { objectType: "contacts" })).status, 204);
    assert.equal(emulator.getRecord("contacts", 1).archived, true);
  }));

test("faults after apply strike every operation: the write is applied, the answer lost or garbled", () =>
  withEmu({ rateLimit: null }, async ({ url, emulator }) => {
    assert.deepEqual(FAULT_KINDS.length, 15, "the default random mix is unchanged");
    assert.deepEqual(ALL_FAULT_KINDS, [...FAULT_KINDS, ...EXTRA_FAULT_KINDS]);
    // What a client sees: "network" (reset, or its own timeout on a hang), "html-200",
    // "truncated" (JSON content type, body cut), or the status.
    const attempt = async (op, body, kind) => {
      try {
        const r = await batch(url, null, { op, body: JSON.stringify(body), signal: kind === "hang-after-apply" ? AbortSignal.timeout(250) : undefined });
        const ctype = r.headers.get("content-type") ?? "";
        if (r.status === 200 && ctype.startsWith("text/html")) return "html-200";
        if (ctype.startsWith("application/json") && r.json === undefined) return "truncated";
        return r.status;
      } catch {
        return "network";
      }
    };
    const expected = { "truncated-json": "truncated", "reset-after-apply": "network", "504-after-apply": 504, "hang-after-apply": "network",
      "500-after-apply": 500, "502-after-apply": 502, "html-200-after-apply": "html-200" };
    assert.deepEqual(Object.keys(expected).sort(), [...AFTER_APPLY_FAULT_KINDS].sort());
    let n = 0;
    for (const kind of AFTER_APPLY_FAULT_KINDS) {
      const mark = `${kind}-${n++}`;
      // create: the record exists although the client got no usable answer...
      emulator.queueFaults([kind]);
      assert.equal(await attempt("create", { inputs: [{ properties: { description: mark } }] }, kind), expected[kind], kind);
      assert.equal(emulator.records("deals", { where: { description: mark } }).length, 1, `${kind}: create applied`);
      // ...and a client that re-sends it makes a duplicate the emulator counts.
      await batch(url, [{ properties: { description: mark } }], { op: "create" });
      assert.equal(emulator.duplicates("deals", "description").find((d) => d.value === mark)?.ids.length, 2, kind);

      for (const [j, op] of ["update", "upsert", "archive", "read"].entries()) {
        const id = String(10 + n * 4 + j);
        const body = op === "upsert" ? { inputs: [{ id: `ext-${id}`, idProperty: "deal_external_id", properties: { description: mark } }] }
          : op === "update" ? { inputs: [{ id, properties: { description: mark } }] } : { inputs: [{ id }] };
        emulator.queueFaults([kind]);
        const seen = await attempt(op, body, kind);
        assert.equal(seen, kind === "truncated-json" && op === "archive" ? 204 : expected[kind], `${kind} ${op} (a 204 has nothing to cut)`);
        const entry = emulator.getLog().at(-1);
        assert.deepEqual([entry.fault, entry.op], [kind, op]);
        const rec = emulator.getRecord("deals", id);
        if (op === "archive") assert.equal(rec.archived, true, `${kind} ${op}`);
        else if (op === "read") assert.deepEqual(entry.applied, []);
        else assert.equal(rec.properties.description, mark, `${kind} ${op}`);
      }
    }
    // Faults before apply leave nothing behind, for every operation.
    for (const kind of ["reset", "500", "html-200", "429-ten-secondly"]) {
      emulator.queueFaults([kind]);
      await batch(url, [{ properties: { description: `pre-${kind}` } }], { op: "create" }).catch(() => null);
      assert.equal(emulator.records("deals", { where: { description: `pre-${kind}` } }).length, 0, kind);
      emulator.queueFaults([kind]);
      await batch(url, [{ id: "3" }], { op: "archive" }).catch(() => null);
      assert.equal(emulator.getRecord("deals", 3).archived, false, kind);
    }
    // The random mix may include the extra kinds.
    emulator.configure({ faultRate: 1, faultKinds: ["500-after-apply"] });
    assert.equal((await batch(url, [{ properties: {} }], { op: "create" })).status, 500);
    assert.equal(emulator.getState().faultsInjected["500-after-apply"], 6, "5 queued (create and 4 ops) and 1 drawn");
  }));

test("schema routes: shapes per the OpenAPI files, exactly the rules the emulator enforces", () =>
  withEmu({ rateLimit: null }, async ({ url, emulator }) => {
    const pipes = await get(url, "/crm/v3/pipelines/deals");
    assert.equal(pipes.status, 200);
    assertConforms(pipes.json, SPEC.operations["GET /crm/v3/pipelines/{objectType}"].responses["200"]);
    const stages = pipes.json.results.flatMap((p) => p.stages.map((s) => s.id));
    for (const p of pipes.json.results) for (const s of p.stages) assert.match(s.metadata.probability, /^[01]\.\d$/);
    assert.deepEqual((await get(url, "/crm/pipelines/2026-03/0-3")).json, pipes.json);

    for (const type of ["deals", "contacts"]) {
      const res = await get(url, `/crm/v3/properties/${type}`);
      assert.equal(res.status, 200);
      assertConforms(res.json, SPEC.operations["GET /crm/v3/properties/{objectType}"].responses["200"]);
      assert.deepEqual((await get(url, `/crm/properties/2026-03/${type === "deals" ? "0-3" : "0-1"}`)).json, res.json);
      const props = res.json.results;
      const types = new Set(props.map((p) => p.type));
      for (const t of ["string", "number", "enumeration", "date", "datetime", "bool"]) assert.ok(types.has(t), `${type} has a ${t} property`);
      if (type === "deals") {
        const byName = Object.fromEntries(props.map((p) => [p.name, p]));
        assert.deepEqual(byName.dealstage.options.map((o) => o.value), stages, "dealstage options come from the pipelines");
        assert.deepEqual(byName.pipeline.options.map((o) => o.value), pipes.json.results.map((p) => p.id));
        assert.equal(byName.hubspot_owner_id.externalOptions, true);
        assert.ok(byName.tags.options.some((o) => o.hidden));
        assert.equal(byName.hs_closed_amount.calculated, true);
      }
      // Every property, probed by writes on one record (unique ones get fresh values).
      let fresh = 0;
      const write = async (name, value) => {
        const r = await batch(url, [{ id: "1", properties: { [name]: value } }], { objectType: type });
        return r.status === 200 ? null : parsePropErrors(r.json.message)[0].error;
      };
      for (const p of props) {
        const ro = p.modificationMetadata.readOnlyValue;
        if (ro) { assert.equal(await write(p.name, "1"), "READ_ONLY_VALUE", p.name); continue; }
        assert.equal(await write(p.name, ""), null, `${p.name}: "" clears`);
        if (p.type === "enumeration" || p.type === "bool") {
          if (p.externalOptions) { assert.equal(await write(p.name, "anything-123"), null, p.name); continue; }
          assert.ok(p.options.length > 0, p.name);
          for (const o of p.options) assert.equal(await write(p.name, o.value), null, `${p.name}=${o.value}`);
          assert.equal(await write(p.name, "not-an-option"), "INVALID_OPTION", p.name);
          if (p.fieldType === "checkbox") assert.equal(await write(p.name, p.options.map((o) => o.value).join(";")), null, p.name);
          else if (p.options.length > 1) assert.equal(await write(p.name, `${p.options[0].value};${p.options[1].value}`), "INVALID_OPTION", p.name);
        }
        if (p.type === "number") { assert.equal(await write(p.name, "-12.5"), null); assert.equal(await write(p.name, "1e3"), "INVALID_DECIMAL"); }
        if (p.type === "datetime") { assert.equal(await write(p.name, "1714557600000"), null); assert.equal(await write(p.name, "2024-05-01T10:00:00Z"), null); assert.equal(await write(p.name, "soon"), "INVALID_DATE"); }
        if (p.type === "date") {
          for (const v of ["2024-05-01", "1714521600000", "2024-05-01T00:00:00Z"]) assert.equal(await write(p.name, v), null, `${p.name}=${v}`);
          for (const v of ["1714557600000", "2024-02-30", "2024-05-01T10:00:00Z", "May 1"]) assert.equal(await write(p.name, v), "INVALID_DATE", `${p.name}=${v}`);
        }
        if (p.type === "string") assert.equal(await write(p.name, p.name === "email" ? `x${fresh++}@example.org` : `value ${fresh++} ✓`), null, p.name);
        const asId = await batch(url, [{ id: "zzz", idProperty: p.name, properties: {} }], { objectType: type });
        assert.equal(asId.status === 207, p.hasUniqueValue, `${p.name}: usable as idProperty iff hasUniqueValue`);
      }
      const listed = new Set(props.map((p) => p.name));
      const other = type === "deals" ? "email" : "amount";
      assert.ok(!listed.has(other));
      assert.equal(await write(other, "1"), "PROPERTY_DOESNT_EXIST");
    }
    assert.equal(emulator.getState().operations.properties, 4);
    // No pipelines on contacts, unknown types, read-only routes.
    assertHsError(await get(url, "/crm/v3/pipelines/contacts"), 400, "VALIDATION_ERROR");
    assertHsError(await get(url, "/crm/v3/properties/widgets"), 400, "VALIDATION_ERROR");
    assert.equal((await fetch(`${url}/crm/v3/properties/deals`, { method: "POST", headers: { authorization: `Bearer ${TOKEN}` } })).status, 405);
    assert.equal((await get(url, "/crm/properties/2026-09/deals")).status, 404);
    assert.equal((await get(url, "/crm/v3/properties/deals/dealname")).status, 404);
  }));

test("schema routes: auth, schemaAccess 403, own fault queue and rate, counted in the token's window", () =>
  withEmu({ rateLimit: { requests: 10, intervalMs: 60_000 } }, async ({ url, emulator }) => {
    assertHsError(await get(url, "/crm/v3/properties/deals", null), 401, "INVALID_AUTHENTICATION");
    const f = await get(url, "/crm/v3/properties/deals", "forbidden-token");
    assertHsError(f, 403, "MISSING_SCOPES");
    assert.deepEqual(f.json.errors[0].context.requiredGranularScopes, ["crm.schemas.deals.read"]);
    emulator.configure({ schemaAccess: false });
    const denied = await get(url, "/crm/v3/pipelines/deals");
    assertHsError(denied, 403, "MISSING_SCOPES");
    assert.deepEqual(denied.json.errors[0].context.requiredGranularScopes, ["crm.objects.deals.read"]);
    assert.equal(denied.headers.get("x-hubspot-ratelimit-remaining"), "10", "a 403 is not counted");
    assert.equal((await batch(url, [])).status, 200, "batches still work");
    emulator.configure({ schemaAccess: true });

    // Schema faults come from their own queue: a batch fault queued first still hits the batch.
    emulator.queueFaults(["503"]);
    assert.deepEqual(await ctl(url, "/_emulator/faults", { faults: ["500", "truncated-json"], target: "schema" }).then((r) => r.json), { queued: 2 });
    assert.equal(emulator.getState().queuedSchemaFaults, 2);
    assert.equal((await get(url, "/crm/v3/properties/deals")).status, 500);
    const cut = await get(url, "/crm/v3/properties/deals");
    assert.equal(cut.status, 200);
    assert.equal(cut.json, undefined, "truncated");
    assert.equal((await batch(url, [])).status, 503);
    assert.equal((await ctl(url, "/_emulator/faults", { faults: ["500"], target: "nope" })).status, 400);
    emulator.configure({ schemaFaultRate: 1, faultKinds: ["502"] });
    assert.equal((await get(url, "/crm/v3/pipelines/deals")).status, 502);
    assert.equal((await batch(url, [])).status, 200, "faultRate (0) governs batches, schemaFaultRate schema reads");
    const last = emulator.getLog().at(-2);
    assert.deepEqual([last.op, last.fault, last.apiVersion], ["pipelines", "502", "v3"]);
    // Every accepted request, schema reads included, took one slot of the token's window.
    const st = emulator.getState();
    assert.equal(st.requests, 9);
    assert.equal(st.faultsInjected["500"], 1);
    const r = await get(url, "/crm/v3/properties/deals");
    assert.equal(r.headers.get("x-hubspot-ratelimit-remaining"), "3");
  }));

test("schema faults do not shift the seeded batch fault sequence", async () => {
  const run = (schemaReads) => withEmu({ seed: 11, faultRate: 0.5, faultKinds: ["500", "503"], schemaFaultRate: 0.5 }, async ({ url }) => {
    const out = [];
    for (let i = 0; i < 10; i++) {
      if (schemaReads) await get(url, "/crm/v3/properties/deals");
      out.push((await batch(url, [])).status);
    }
    return out;
  });
  assert.deepEqual(await run(true), await run(false));
});

test("rate-limit headers on every answer; clients sharing a token share one window", () =>
  withEmu({ rateLimit: { requests: 8, intervalMs: 60_000 }, tokens: [TOKEN, "other"] }, async ({ url }) => {
    // Two independent "clients" (their own requests, same token) alternating operations.
    const steps = [
      () => batch(url, [{ id: "1", properties: {} }]),
      () => get(url, "/crm/v3/properties/deals"),
      () => batch(url, [{ properties: {} }], { op: "create", version: "2026-03" }),
      () => get(url, "/crm/v3/pipelines/deals"),
      () => batch(url, [{ id: "2" }], { op: "archive" }),
      () => batch(url, null, { op: "read", body: "{not json" }),
      () => batch(url, [], { headers: { "content-type": "text/plain" } }),
    ];
    let left = 8;
    for (const step of steps) {
      const r = await step();
      left--;
      assert.equal(r.headers.get("x-hubspot-ratelimit-remaining"), String(left), `after ${r.status}`);
      assert.equal(r.headers.get("x-hubspot-ratelimit-max"), "8");
      assert.equal(r.headers.get("x-hubspot-ratelimit-interval-milliseconds"), "60000");
    }
    assert.equal((await batch(url, [], { token: "other" })).headers.get("x-hubspot-ratelimit-remaining"), "7", "another token, another window");
    const last = await batch(url, [], { op: "read" });
    assert.equal(last.status, 200, "the 8th is accepted");
    const lim = await get(url, "/crm/v3/properties/deals");
    assertHsError(lim, 429, "RATE_LIMITS");
    assert.equal(lim.json.policyName, "TEN_SECONDLY_ROLLING");
    assert.equal(lim.headers.get("x-hubspot-ratelimit-remaining"), "0");
    for (const r of [await get(url, "/nope"), await batch(url, [], { method: "GET" }), await batch(url, [], { token: null })])
      assert.ok(r.headers.get("x-hubspot-ratelimit-max") !== null, `${r.status} carries the headers`);
  }));
