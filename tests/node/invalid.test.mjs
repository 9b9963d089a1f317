// Invalid arguments reject before any request (contract 6), invalid records do not sink their
// batch (5), and no input from JS traps the wasm module or breaks the instance (9).
import { test } from "node:test";
import assert from "node:assert/strict";
import {
  assertAccountsForAll,
  assertHubSpotError,
  assertNotTrap,
  assertWritten,
  client,
  dealInputs,
  pkg,
  range,
  rejection,
  spyFetch,
  usePackage,
  withEmu,
} from "./helpers.mjs";

usePackage();

const ok = (n = 3, from = 1) => dealInputs(range(from, from + n - 1));

async function stillWorks(c, emu, from = 400) {
  const inputs = ok(3, from);
  const r = await c.update(inputs);
  assert.equal(r.results.length, 3, "the same instance still updates");
  assert.equal(r.failed.length, 0);
  assertWritten(emu.emulator, "deals", inputs, [0, 1, 2]);
}

// [what, inputs, expected message pattern (or null), update options]
const INVALID = [
  ["object as a property value", [...ok(3), { id: "4", properties: { amount: {} } }], /inputs\[3\]\.properties\.amount/],
  ["NaN", [{ id: "1", properties: { amount: NaN } }], /inputs\[0\]\.properties\.amount/],
  ["Infinity", [...ok(2), { id: "3", properties: { amount: Infinity } }], /inputs\[2\]\.properties\.amount/],
  ["-Infinity", [{ id: "1", properties: { amount: -Infinity } }], /inputs\[0\]\.properties\.amount/],
  ["Invalid Date", [{ id: "1", properties: { closedate: new Date("nope") } }], /inputs\[0\]\.properties\.closedate/],
  ["';' in an array element", [...ok(1), { id: "2", properties: { tags: ["hot", "a;b"] } }], /inputs\[1\]\.properties\.tags/],
  ["number in an array", [{ id: "1", properties: { tags: ["hot", 5] } }], /inputs\[0\]\.properties\.tags/],
  ["nested array", [{ id: "1", properties: { tags: [["hot"]] } }], /inputs\[0\]\.properties\.tags/],
  ["undefined value", [{ id: "1", properties: { amount: undefined, dealname: Symbol("s") } }], /inputs\[0\]\.properties\./],
  ["function value", [{ id: "1", properties: { dealname: () => "x" } }], /inputs\[0\]\.properties\.dealname/],
  ["empty id", [...ok(5), { id: "", properties: {} }], /inputs\[5\]\.id/],
  ["numeric id", [{ id: 5, properties: {} }], /inputs\[0\]\.id/],
  ["missing id", [{ properties: { amount: 1 } }], /inputs\[0\]\.id/],
  ["null id", [{ id: null, properties: {} }], /inputs\[0\]\.id/],
  ["duplicate ids", [{ id: "1", properties: {} }, { id: "2", properties: {} }, { id: "1", properties: {} }], /inputs\[2\]/],
  ["duplicate ids (explicit hs_object_id)", [{ id: "1", properties: {} }, { id: "1", idProperty: "hs_object_id", properties: {} }], /inputs\[1\]/],
  ["duplicate ids (same idProperty)", [{ id: "ext-1", idProperty: "deal_external_id", properties: {} }, { id: "ext-1", idProperty: "deal_external_id", properties: {} }], /inputs\[1\]/],
  ["duplicate objectWriteTraceId", [{ id: "1", properties: {}, objectWriteTraceId: "t" }, { id: "2", properties: {}, objectWriteTraceId: "t" }], /inputs\[1\]\.objectWriteTraceId/],
  ["unknown field", [...ok(1), { id: "2", properties: {}, propertys: {} }], /inputs\[1\].*propertys|propertys.*inputs\[1\]/],
  ["missing properties", [{ id: "1" }], /inputs\[0\]\.properties/],
  ["properties is an array", [{ id: "1", properties: ["a"] }], /inputs\[0\]\.properties/],
  ["properties is a string", [{ id: "1", properties: "amount=1" }], /inputs\[0\]\.properties/],
  ["input is null", [...ok(1), null], /inputs\[1\]/],
  ["input is a string", ["1"], /inputs\[0\]/],
  ["input is a number", [...ok(2), 7], /inputs\[2\]/],
  ["idProperty not a string", [{ id: "1", idProperty: 5, properties: {} }], /inputs\[0\]\.idProperty/],
  ["objectWriteTraceId not a string", [{ id: "1", objectWriteTraceId: {}, properties: {} }], /inputs\[0\]\.objectWriteTraceId/],
  ["inputs is null", null, null],
  ["inputs is undefined", undefined, null],
  ["inputs is an object", { 0: { id: "1", properties: {} }, length: 1 }, null],
  ["inputs is a string", "1,2,3", null],
];

test("invalid arguments reject with INVALID_INPUT naming the field, before any request", () =>
  withEmu({}, async (emu) => {
    const fetch = spyFetch();
    const c = client(emu, { fetch, batchSize: 2 });
    for (const [what, inputs, pattern] of INVALID) {
      const err = await rejection(() => c.update(inputs));
      assertHubSpotError(pkg.HubSpotError, err, "INVALID_INPUT", what);
      if (pattern) assert.match(err.message, pattern, `${what}: message names the input and field`);
      assert.equal(fetch.calls.length, 0, `${what}: nothing sent`);
      assert.equal(emu.emulator.getLog().length, 0, `${what}: emulator log stays empty`);
    }
    const e = await rejection(() => c.update([...ok(3), { id: "4", properties: { amount: {} } }]));
    assert.match(e.message, /expected string, number, boolean, Date, string\[\] or null/);
    await stillWorks(c, emu);
  }));

test("invalid update options reject before any request", () =>
  withEmu({}, async (emu) => {
    const fetch = spyFetch();
    const c = client(emu, { fetch });
    for (const [what, opts] of [
      ["idProperty empty", { idProperty: "" }],
      ["idProperty number", { idProperty: 5 }],
      ["signal not a signal", { signal: "stop" }],
      ["onProgress not a function", { onProgress: 5 }],
    ]) {
      const err = await rejection(() => c.update(ok(2), opts));
      assertHubSpotError(pkg.HubSpotError, err, "INVALID_INPUT", what);
      assert.equal(fetch.calls.length, 0, `${what}: nothing sent`);
    }
    await stillWorks(c, emu);
  }));

test("dirty data: 2,000 deals with 1% bad values, pinpointed: at most 2 extra requests per invalid input", () =>
  withEmu({ deals: 2000 }, async (emu) => {
    const stages = ["appointmentscheduled", "qualifiedtobuy", "closedwon", "closedlost"];
    // 20 bad inputs: dealstage values and amounts HubSpot names in its message, some repeated.
    const bad = new Map();
    for (let i = 37; i < 2000; i += 100) bad.set(i, i % 200 === 37 ? { dealstage: `stage-${i % 3}` } : { amount: `${i}x` });
    const inputs = range(1, 2000).map((k, i) => ({
      id: String(k),
      properties: { dealstage: stages[i % 4], amount: `${k}.5`, ...(bad.get(i) ?? {}) },
    }));
    const r = await client(emu).update(inputs);
    assertAccountsForAll(r, inputs);
    assert.deepEqual(r.failed.map((f) => f.index), [...bad.keys()]);
    for (const f of r.failed) {
      assert.equal(f.error.category, "VALIDATION_ERROR");
      const [name, value] = Object.entries(bad.get(f.index))[0];
      assert.equal(f.error.errors[0].in, name);
      assert.ok(f.error.message.includes(value), f.error.message);
    }
    const floor = 20; // batches of 100
    const extra = r.stats.requests - floor;
    assert.ok(extra <= 2 * bad.size, `${extra} extra requests for ${bad.size} invalid inputs`);
    assert.equal(r.stats.errorResponses, emu.emulator.getLog().filter((e) => e.status >= 400).length);
    assert.ok(r.stats.errorResponses <= bad.size, `${r.stats.errorResponses} error responses`);
    console.log(`dirty data, pinpointed: ${r.stats.requests} requests (floor ${floor}), ${r.stats.errorResponses} error responses, ${bad.size} invalid inputs`);
  }));

test("invalid records: 100 with 3 bad dealstage values -> 97 updated, 3 failed with HubSpot's details", () =>
  withEmu({}, async (emu) => {
    const stages = ["appointmentscheduled", "qualifiedtobuy", "closedwon", "closedlost"];
    const bad = new Set([5, 42, 97]);
    const inputs = range(1, 100).map((k, i) => ({
      id: String(k),
      properties: { dealstage: bad.has(i) ? `not-a-stage-${i}` : stages[i % 4], amount: `${k}.5` },
    }));
    const before = emu.emulator.getRecords("deals", [...bad].map((i) => inputs[i].id));
    const c = client(emu);
    const r = await c.update(inputs);
    assert.equal(r.status, "COMPLETE");
    const updated = assertAccountsForAll(r, inputs);
    assert.equal(r.results.length, 97);
    assert.deepEqual(r.failed.map((f) => f.index), [...bad].sort((a, b) => a - b));
    for (const f of r.failed) {
      const value = inputs[f.index].properties.dealstage;
      assert.equal(f.error.category, "VALIDATION_ERROR");
      assert.equal(f.error.status, 400);
      assert.match(f.error.message, /Property values were not valid/);
      assert.ok(f.error.message.includes(value), `HubSpot's message names ${value}: ${f.error.message}`);
      assert.ok(Array.isArray(f.error.errors), "errors parsed from the embedded JSON array");
      assert.ok(f.error.errors.length >= 1);
      for (const d of f.error.errors) {
        assert.equal(d.in, "dealstage");
        assert.equal(typeof d.message, "string");
        assert.match(d.message, /was not one of the allowed options/);
      }
      assert.equal(f.error.errors[0].code, "INVALID_OPTION");
    }
    assertWritten(emu.emulator, "deals", inputs, updated);
    const after = emu.emulator.getRecords("deals", [...bad].map((i) => inputs[i].id));
    assert.deepEqual(after.map((x) => x.writes), before.map((x) => x.writes), "invalid ones not written");
    assert.deepEqual(after.map((x) => x.properties.amount), before.map((x) => x.properties.amount));
    assert.ok(r.stats.batches > 1, "the batch was split");
    assert.equal(r.stats.requests, emu.emulator.getLog().length);
    await stillWorks(c, emu);
  }));

test("invalid records: other validation errors (decimal, unknown property, read-only) are isolated too", () =>
  withEmu({}, async (emu) => {
    const inputs = dealInputs(range(1, 20));
    inputs[2].properties.amount = "1e3"; // the emulator refuses exponents
    inputs[9].properties = { nosuchprop: "x" };
    inputs[15].properties.hs_object_id = "5";
    const r = await client(emu, { batchSize: 20 }).update(inputs);
    const updated = assertAccountsForAll(r, inputs);
    assert.deepEqual(r.failed.map((f) => f.index), [2, 9, 15]);
    assert.ok(r.failed.every((f) => f.error.category === "VALIDATION_ERROR"));
    assert.deepEqual(r.failed.map((f) => f.error.errors?.[0]?.in), ["amount", "nosuchprop", "hs_object_id"]);
    assertWritten(emu.emulator, "deals", inputs, updated);
  }));

test("4xx other than 429 are not retried", () =>
  withEmu({}, async (emu) => {
    // An unknown object type: 400, one input, so no split either.
    const fetch = spyFetch();
    const r = await client(emu, { objectType: "2-999", fetch, maxRetries: 3 }).update(ok(1));
    assertAccountsForAll(r, ok(1));
    assert.equal(r.failed[0].error.status, 400);
    assert.equal(r.failed[0].error.category, "VALIDATION_ERROR");
    assert.equal(fetch.calls.length, 1);
    assert.equal(r.stats.retries, 0);
    // A 404 (wrong path under a proxy-style baseUrl): not retried.
    const fetch2 = spyFetch();
    const inputs = ok(5);
    const r2 = await client(emu, { baseUrl: `${emu.url}/no-such-prefix`, fetch: fetch2, maxRetries: 3 }).update(inputs);
    assertAccountsForAll(r2, inputs);
    assert.equal(r2.failed.length, 5);
    assert.ok(r2.failed.every((f) => f.error.status === 404));
    assert.equal(fetch2.calls.length, 1);
    assert.equal(r2.stats.retries, 0);
  }));

// --------------------------------------------------------------------------- no traps

/**
 * What "it worked" means for a call that resolved (contract 1): `inputs` is an array whose
 * length reads back, and every index of it is accounted for exactly once: in `failed` (in
 * range, once, with the input's id and a reason) or updated, with `results` holding exactly
 * the ids of the updated inputs, each really written by the emulator (and, where the case says
 * so, with the value it must store). Returns the first problem found, or null.
 */
function accountingProblem(r, inputs, emu, expect) {
  if (!(r && Array.isArray(r.results) && Array.isArray(r.failed))) return "without a result (results/failed arrays)";
  let n;
  let items;
  try {
    if (!Array.isArray(inputs)) return `for inputs that are not an array (${typeof inputs})`;
    n = inputs.length;
    items = Array.from({ length: n }, (_, i) => inputs[i]);
  } catch (e) {
    return `for inputs that cannot be read (${e.message})`;
  }
  if (r.results.length + r.failed.length !== n) return `results ${r.results.length} + failed ${r.failed.length} !== ${n} inputs`;
  const failed = new Set();
  for (const f of r.failed) {
    if (!Number.isInteger(f?.index) || f.index < 0 || f.index >= n) return `failed index ${f?.index} out of range`;
    if (failed.has(f.index)) return `inputs[${f.index}] in failed twice`;
    failed.add(f.index);
    if (f.id !== items[f.index]?.id) return `failed[${f.index}].id ${JSON.stringify(f.id)} is not the input's id`;
    if (typeof f.error?.category !== "string" || !f.error.category || typeof f.error.message !== "string") return `failed[${f.index}] has no reason`;
  }
  const updated = items.map((_, i) => i).filter((i) => !failed.has(i));
  const want = updated.map((i) => String(items[i]?.id)).sort();
  const got = r.results.map((o) => String(o?.id)).sort();
  if (JSON.stringify(got) !== JSON.stringify(want)) return `results ids [${got.join(",").slice(0, 80)}] are not the updated inputs' ids [${want.join(",").slice(0, 80)}]`;
  for (const i of updated) {
    const rec = emu.emulator.getRecord("deals", String(items[i].id));
    if (!rec || !(rec.writes >= 1)) return `inputs[${i}] (id ${String(items[i].id).slice(0, 20)}) reported updated but never written`;
  }
  if (expect?.stored) {
    if (r.results.length !== 1) return `expected its one input updated, got ${r.results.length} results and ${r.failed.length} failed`;
    const got = emu.emulator.getRecord("deals", expect.stored.id).properties[expect.stored.prop];
    if (got !== expect.stored.value) return `stored ${JSON.stringify(got).slice(0, 40)} instead of ${JSON.stringify(expect.stored.value).slice(0, 40)}`;
  }
  return null;
}

function garbage() {
  const cyclic = { amount: "1" };
  cyclic.self = cyclic;
  const cyclicInput = { id: "1", properties: {} };
  cyclicInput.properties.me = cyclicInput;
  const throwingGetter = { id: "1" };
  Object.defineProperty(throwingGetter, "properties", { enumerable: true, get() { throw new Error("getter boom"); } });
  const throwingProp = { get amount() { throw new Error("prop getter boom"); } };
  const trapAll = new Proxy({}, {
    get() { throw new Error("proxy get boom"); },
    ownKeys() { throw new Error("proxy ownKeys boom"); },
    has() { throw new Error("proxy has boom"); },
    getOwnPropertyDescriptor() { throw new Error("proxy gopd boom"); },
  });
  const arrayProxy = new Proxy([{ id: "1", properties: {} }], { get(t, k) { if (k === "length") throw new Error("length boom"); return t[k]; } });
  const sparse = [, { id: "2", properties: {} }]; // eslint-disable-line no-sparse-arrays
  const hugeLength = [];
  Object.defineProperty(hugeLength, "0", { value: { id: "1", properties: {} }, enumerable: true });
  const nullProto = Object.assign(Object.create(null), { id: "1", properties: Object.assign(Object.create(null), { amount: "5" }) });
  const classy = new (class Deal { constructor() { this.id = "2"; this.properties = { amount: "6" }; } })();
  const symKey = { id: "3", properties: { amount: "7", [Symbol("hidden")]: "x" } };
  return [
    ["symbol id", [{ id: Symbol("id"), properties: {} }]],
    ["symbol value", [{ id: "1", properties: { amount: Symbol("v") } }]],
    ["bigint value", [{ id: "1", properties: { amount: 10n } }]],
    ["bigint id", [{ id: 10n, properties: {} }]],
    ["function id", [{ id: () => "1", properties: {} }]],
    ["function properties", [{ id: "1", properties: () => ({}) }]],
    ["function as inputs", () => []],
    ["cyclic property value", [{ id: "1", properties: { amount: cyclic } }]],
    ["cyclic input", [cyclicInput]],
    ["getter that throws (properties)", [throwingGetter]],
    ["getter that throws (a property)", [{ id: "1", properties: throwingProp }]],
    ["Proxy input that throws everywhere", [trapAll]],
    ["Proxy properties that throw everywhere", [{ id: "1", properties: trapAll }]],
    ["Proxy inputs array with a throwing length", arrayProxy],
    ["Proxy as inputs that throws everywhere", trapAll],
    ["sparse array", sparse],
    ["Map as properties", [{ id: "1", properties: new Map([["amount", "1"]]) }]],
    ["Date as properties", [{ id: "1", properties: new Date() }]],
    ["boxed string id", [{ id: new String("1"), properties: {} }]], // eslint-disable-line no-new-wrappers
    ["typed array value", [{ id: "1", properties: { tags: new Uint8Array([1, 2]) } }]],
    ["WeakMap value", [{ id: "1", properties: { amount: new WeakMap() } }]],
    ["Promise value", [{ id: "1", properties: { amount: Promise.resolve(1) } }]],
    ["lone surrogate value", [{ id: "1", properties: { dealname: "a\uD800b" } }], { stored: { id: "1", prop: "dealname", value: "a\uD800b" } }],
    ["lone surrogate id", [{ id: "\uDC00", properties: {} }]],
    ["NUL in id", [{ id: "1\u0000", properties: {} }]],
    ["very long property name", [{ id: "1", properties: { ["p".repeat(100_000)]: "x" } }]],
    ["1 MB value", [{ id: "4", properties: { description: "d".repeat(1 << 20) } }], { stored: { id: "4", prop: "description", value: "d".repeat(1 << 20) } }],
    ["null-prototype objects", [nullProto], { stored: { id: "1", prop: "amount", value: "5" } }],
    ["class instance", [classy], { stored: { id: "2", prop: "amount", value: "6" } }],
    ["symbol keys ignored or refused", [symKey]],
    ["__proto__ as a property name", [{ id: "5", properties: JSON.parse('{"__proto__":"x","amount":"1"}') }]],
    ["huge array-like length", hugeLength],
  ];
}

test("no traps: garbage inputs reject with INVALID_INPUT or work; the instance keeps working", (t) =>
  withEmu({ deals: 500 }, async (emu) => {
    const c = client(emu, { maxRetries: 0 });
    const problems = [];
    const resolved = [];
    for (const [what, inputs, expect] of garbage()) {
      let settled;
      let p;
      try {
        p = c.update(inputs);
      } catch (e) {
        problems.push(`${what}: threw synchronously: ${e}`);
        continue;
      }
      try {
        settled = { value: await p };
      } catch (e) {
        settled = { error: e };
      }
      if (settled.error) {
        const e = settled.error;
        if (e instanceof WebAssembly.RuntimeError || /unreachable|panicked|memory access/i.test(String(e?.message))) problems.push(`${what}: wasm trap: ${e}`);
        else if (!(e instanceof pkg.HubSpotError)) problems.push(`${what}: rejected with a non-HubSpotError: ${e}`);
        else if (e.code !== "INVALID_INPUT") problems.push(`${what}: rejected with code ${e.code}: ${e.message}`);
      } else {
        resolved.push(what);
        const bad = accountingProblem(settled.value, inputs, emu, expect);
        if (bad) problems.push(`${what}: resolved, but ${bad}`);
      }
      try {
        await stillWorks(c, emu, 100);
      } catch (e) {
        problems.push(`${what}: the instance stopped working: ${e.message}`);
      }
    }
    t.diagnostic(`resolved: ${resolved.join("; ")}`);
    assert.deepEqual(problems, []);
  }));

test("no traps: an onProgress that throws does not break the run or the instance", () =>
  withEmu({}, async (emu) => {
    const c = client(emu, { batchSize: 2 });
    const inputs = ok(6);
    let settled;
    try {
      settled = { value: await c.update(inputs, { onProgress: () => { throw new Error("progress boom"); } }) };
    } catch (e) {
      settled = { error: e };
    }
    if (settled.value) assertAccountsForAll(settled.value, inputs);
    else assertNotTrap(settled.error);
    await stillWorks(c, emu);
  }));

test("no traps: many concurrent invalid and valid calls on one instance", () =>
  withEmu({}, async (emu) => {
    const c = client(emu, { batchSize: 5 });
    const calls = [];
    for (let k = 0; k < 20; k++) {
      calls.push(k % 2 ? c.update([{ id: "1", properties: { amount: NaN } }]) : c.update(ok(5, 1 + k * 5)));
    }
    const out = await Promise.allSettled(calls);
    out.forEach((o, k) => {
      if (k % 2) {
        assert.equal(o.status, "rejected");
        assertHubSpotError(pkg.HubSpotError, o.reason, "INVALID_INPUT", `call ${k}`);
      } else {
        assert.equal(o.status, "fulfilled", String(o.reason));
        assert.equal(o.value.results.length, 5);
      }
    });
    await stillWorks(c, emu);
  }));
