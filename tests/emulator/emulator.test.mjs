// Tests of the HubSpot emulator over real HTTP: node --test tests/emulator/
import { test } from "node:test";
import assert from "node:assert/strict";
import net from "node:net";
import os from "node:os";
import path from "node:path";
import { spawn } from "node:child_process";
import { once } from "node:events";
import { mkdtemp, writeFile, rm } from "node:fs/promises";
import { fileURLToPath } from "node:url";
import { startEmulator, FAULT_KINDS } from "./emulator.mjs";

const TOKEN = "emulator-token";
const HERE = path.dirname(fileURLToPath(import.meta.url));
const UUID_RE = /^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/;

// Starts an emulator for one test and always closes it.
async function withEmu(opts, fn) {
  const emu = await startEmulator({ deals: 50, contacts: 20, ...opts });
  try { return await fn(emu); } finally { await emu.close(); }
}

async function batch(url, inputs, { objectType = "0-3", token = TOKEN, headers = {}, body, signal, method = "POST" } = {}) {
  const res = await fetch(`${url}/crm/v3/objects/${objectType}/batch/update`, {
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
  const keys = ["inputs", "id", "properties", "idProperty", "objectWriteTraceId", "amount", "dealstage", "__proto__"];
  const gen = (d) => (d > 3 ? atoms[rnd(atoms.length)] : [
    () => atoms[rnd(atoms.length)],
    () => Array.from({ length: rnd(4) }, () => gen(d + 1)),
    () => Object.fromEntries(Array.from({ length: rnd(4) }, () => [keys[rnd(keys.length)], gen(d + 1)])),
  ][rnd(3)]());
  for (let i = 0; i < 300; i++) {
    let body = JSON.stringify(rnd(2) ? { inputs: Array.from({ length: rnd(4) }, () => gen(1)) } : gen(0)) ?? "";
    if (rnd(10) === 0) body = body.slice(0, rnd(body.length + 1));
    const r = await batch(url, null, { body, objectType: ["0-3", "contacts", "x"][rnd(3)] });
    assert.ok(r.status < 500, `${r.status} for ${body}`);
  }
}));
