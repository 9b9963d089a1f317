// buildBatchUpdateRequests and parseBatchResponse have fast paths for plain values
// (src/json_inputs.rs, src/batch_scan.rs, quickInputs in src/wasm/encode.js). These tests
// run the same random values through the fast path and through the long way, and require
// byte-identical requests, the same errors, and deep-equal parsed bodies.
import { test } from "node:test";
import assert from "node:assert/strict";
import { pkg, usePackage } from "./helpers.mjs";

usePackage();

/** A small seeded PRNG (mulberry32), so a failure can be replayed. */
function rng(seed) {
  return () => {
    seed = (seed + 0x6d2b79f5) | 0;
    let t = Math.imul(seed ^ (seed >>> 15), 1 | seed);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

const STRINGS = ["", "a", "Deal 1", 'q"uote', "back\\slash", "line\nbreak", "tab\t", "\b\f", "\u0001", "é€", "😀", "semi;colon", "\u2028", "\ud800", "x\udc00", "\u0000lead", "__proto__"];
const NUMBERS = [0, -0, 1, -1, 1.5, 1234.56, 1e21, 1e-7, 5e-324, Number.MAX_SAFE_INTEGER, 2 ** 53 + 2, 1e300, NaN, Infinity];

function value(r) {
  const k = Math.floor(r() * 14);
  const pick = (a) => a[Math.floor(r() * a.length)];
  switch (k) {
    case 0: case 1: case 2: case 3: return pick(STRINGS);
    case 4: case 5: return pick(NUMBERS);
    case 6: return r() < 0.5;
    case 7: return null;
    case 8: return [pick(STRINGS), pick(STRINGS)].slice(0, Math.floor(r() * 3));
    case 9: return new Date(pick([0, 1735689600123, -1, 8.64e15, -8.64e15, NaN]));
    case 10: return r() < 0.5 ? undefined : 10n;
    case 11: return { nested: 1 };
    case 12: { class D extends Date {} return new D(5); }
    default: return [1, "a"];
  }
}

function input(r, i) {
  const props = r() < 0.05 ? Object.create(null) : {};
  const n = Math.floor(r() * 6);
  for (let p = 0; p < n; p++) {
    const name = r() < 0.1 ? STRINGS[Math.floor(r() * STRINGS.length)] : `p${p}`;
    if (name === "__proto__") Object.defineProperty(props, name, { value: value(r), enumerable: true, writable: true, configurable: true });
    else props[name] = value(r);
  }
  const x = { id: r() < 0.03 ? "" : r() < 0.03 ? 7 : String(i % (r() < 0.05 ? 3 : 1000)), properties: props };
  if (r() < 0.2) x.idProperty = r() < 0.1 ? "" : r() < 0.5 ? "hs_object_id" : "ext_id";
  if (r() < 0.2) x.objectWriteTraceId = r() < 0.5 ? `t${i}` : undefined;
  if (r() < 0.02) x.extra = 1;
  return x;
}

/** The same array, but one the fast path turns down (it never uses an array with toJSON). */
function longWay(inputs) {
  const copy = inputs.slice();
  Object.defineProperty(copy, "toJSON", { value: null, enumerable: false });
  return copy;
}

function outcome(fn) {
  try {
    return { ok: fn() };
  } catch (e) {
    return { error: `${e.code}: ${e.message}` };
  }
}

test("buildBatchUpdateRequests: the fast path and the long way give the same requests and errors", () => {
  let fast = 0;
  for (let seed = 1; seed <= 400; seed++) {
    const r = rng(seed);
    const plain = seed % 2 === 0; // half the cases: only values the fast path takes
    const inputs = [];
    const n = 1 + Math.floor(r() * 8);
    for (let i = 0; i < n; i++) {
      const x = input(r, i);
      if (plain) {
        for (const [k, v] of Object.entries(x.properties)) {
          const odd = typeof v === "bigint" || v === undefined || (typeof v === "number" && !Number.isFinite(v)) || (typeof v === "string" && !v.isWellFormed());
          if (odd || (typeof v === "object" && v !== null && !(v instanceof Date) && !Array.isArray(v))) x.properties[k] = "s";
        }
      }
      inputs.push(x);
    }
    const options = { accessToken: "t", batchSize: 1 + Math.floor(r() * 3), ...(r() < 0.2 ? { idProperty: "ext_id" } : {}) };
    const a = outcome(() => pkg.buildBatchUpdateRequests(inputs, options));
    const b = outcome(() => pkg.buildBatchUpdateRequests(longWay(inputs), options));
    assert.deepEqual(a, b, `seed ${seed}`);
    if (a.ok) fast++;
  }
  assert.ok(fast > 60, `${fast} cases built requests`);
});

test("buildBatchUpdateRequests: a Date becomes its epoch milliseconds on both ways", () => {
  const inputs = [{ id: "1", properties: { a: new Date(1735689600123), b: new Date(-8.64e15), c: 1e21, d: -0, e: ["x", "y"] } }];
  const body = '{"inputs":[{"id":"1","properties":{"a":"1735689600123","b":"-8640000000000000","c":"1000000000000000000000","d":"0","e":"x;y"}}]}';
  assert.equal(pkg.buildBatchUpdateRequests(inputs)[0].body, body);
  assert.equal(pkg.buildBatchUpdateRequests(longWay(inputs))[0].body, body);
});

test("buildBatchUpdateRequests: getters and patched toJSON do not get past the checks", () => {
  let reads = 0;
  const sneaky = { id: "1", properties: { get a() { return ++reads === 1 ? "first" : { not: "a value" }; } } };
  // The fast path reads "first", JSON.stringify then gets an object, which the Rust side
  // turns down; the long way reads the object and refuses it. Never "[object Object]".
  const got = outcome(() => pkg.buildBatchUpdateRequests([sneaky]));
  assert.match(got.error ?? "", /^INVALID_INPUT: inputs\[0\]\.properties\.a: .*got object/);
  const saved = Date.prototype.toJSON;
  try {
    Date.prototype.toJSON = () => "patched";
    const body = pkg.buildBatchUpdateRequests([{ id: "1", properties: { d: new Date(5) } }])[0].body;
    assert.equal(body, '{"inputs":[{"id":"1","properties":{"d":"5"}}]}');
  } finally {
    Date.prototype.toJSON = saved;
  }
});

// --------------------------------------------------------------------------- parseBatchResponse

function text(r) {
  return ["", "x", "COMPLETE", 'q"', "é😀", "\\u00e9", "2025-01-01T00:00:00Z"][Math.floor(r() * 7)];
}

function resultObject(r, i) {
  const o = { id: String(i), properties: { a: text(r), b: r() < 0.2 ? null : text(r) }, createdAt: text(r), updatedAt: text(r), archived: r() < 0.1 };
  if (r() < 0.2) o.objectWriteTraceId = `t${i}`;
  if (r() < 0.1) o.propertiesWithHistory = { a: [{ value: "v", sourceType: "API", timestamp: "t", updatedByUserId: 7 }] };
  if (r() < 0.05) delete o.createdAt; // a default the long way writes: not plain
  if (r() < 0.05) o.archivedAt = null; // an Option given null: not plain
  return o;
}

function body(r) {
  const b = { status: ["COMPLETE", "PENDING"][Math.floor(r() * 2)], results: [] };
  const n = Math.floor(r() * 4);
  for (let i = 0; i < n; i++) b.results.push(resultObject(r, i));
  if (r() < 0.7) b.startedAt = text(r);
  if (r() < 0.7) b.completedAt = text(r);
  if (r() < 0.3) {
    b.numErrors = 1;
    b.errors = [{ status: "error", category: "OBJECT_NOT_FOUND", message: "gone", context: { ids: ["9"] }, errors: [], links: {}, ...(r() < 0.5 ? { subCategory: { a: [1, -0, 1.5, "x"] } } : {}) }];
  }
  if (r() < 0.1) b.links = { self: "x" };
  if (r() < 0.1) b.requestedAt = "r";
  return b;
}

test("parseBatchResponse: plain bodies (JSON.parse) and the long way agree", () => {
  for (let seed = 1; seed <= 300; seed++) {
    const r = rng(seed);
    const b = body(r);
    const plain = JSON.stringify(b);
    // An unknown top-level key sends the body the long way, which drops it.
    const long = JSON.stringify({ ...b, zzzUnknown: [1] });
    const status = b.errors ? 207 : 200;
    const x = outcome(() => pkg.parseBatchResponse(status, plain));
    const y = outcome(() => pkg.parseBatchResponse(status, long));
    assert.deepStrictEqual(x, y, `seed ${seed}: ${plain}`);
  }
});

test("parseBatchResponse: the defaults a plain body lacks are added", () => {
  const got = pkg.parseBatchResponse(200, '{"status":"COMPLETE","results":[]}');
  assert.deepStrictEqual(got, { status: "COMPLETE", results: [], completedAt: "", startedAt: "", errors: [], numErrors: 0 });
});

// --------------------------------------------------------------------------- update()'s answers

// update() reads a plain 200/207 answer with JSON.parse and hands the parsed objects over
// (src/wasm/answers.rs); anything else goes the long way. An unknown top-level key is
// enough to send an answer the long way, so each random run is made twice, once with plain
// answers and once with that key, and must settle the same.

const LONG_KEY = "zzzUnknown";

/** What HubSpot might answer for one request: results for most inputs, in shuffled order. */
function answerFor(r, request, token) {
  const inputs = JSON.parse(request).inputs;
  const results = [], missing = [];
  for (const x of inputs) {
    if (r() < 0.05) { missing.push(x.id); continue; } // an id HubSpot could not find
    const byProperty = x.idProperty !== undefined && x.idProperty !== "hs_object_id";
    const id = byProperty ? `9${x.id.replace(/\D/g, "")}` : x.id;
    const o = { id, properties: { ...x.properties, hs_object_id: id, hs_note: r() < 0.1 ? null : text(r) }, createdAt: "c", updatedAt: "u", archived: false };
    if (byProperty) o.properties[x.idProperty] = x.id;
    if (r() < 0.005) o.properties.hs_note = `echo ${token}`; // the token, which must never come back
    if (x.objectWriteTraceId !== undefined && r() < 0.9) o.objectWriteTraceId = x.objectWriteTraceId;
    if (r() < 0.1) o.url = "https://app.hubspot.com/x";
    if (r() < 0.1) o.propertiesWithHistory = { a: [{ value: "v", sourceType: "API", timestamp: "t" }] };
    results.push(o);
  }
  for (let i = results.length - 1; i > 0; i--) {
    const j = Math.floor(r() * (i + 1));
    [results[i], results[j]] = [results[j], results[i]];
  }
  const body = { status: "COMPLETE", results, startedAt: "s", completedAt: "c" };
  if (missing.length && r() < 0.5) {
    body.numErrors = 1;
    body.errors = [{ status: "error", category: "OBJECT_NOT_FOUND", message: "gone", context: { ids: missing }, errors: [], links: {} }];
    return [207, body];
  }
  return [200, body];
}

async function runWith(seed, long) {
  const r = rng(seed);
  const token = "token-0123456789";
  const inputs = [];
  const n = 1 + Math.floor(r() * 250);
  for (let i = 0; i < n; i++) {
    const x = { id: String(i + 1), properties: { amount: String(i), dealname: text(r) } };
    if (r() < 0.2) x.idProperty = r() < 0.5 ? "hs_object_id" : "deal_external_id";
    if (r() < 0.3) x.objectWriteTraceId = `mine-${i}`;
    inputs.push(x);
  }
  const answers = rng(seed * 7919);
  const fetch = async (url, init) => {
    const [status, body] = answerFor(answers, init.body, token);
    if (long) body[LONG_KEY] = 1;
    return new Response(JSON.stringify(body), { status, headers: { "content-type": "application/json" } });
  };
  const c = new pkg.HubSpotBatch({ accessToken: token, baseUrl: "http://127.0.0.1:9", fetch, maxRetries: 0, batchSize: 1 + Math.floor(r() * 100), rateLimit: { requests: 1000, intervalMs: 10 } });
  const result = await c.update(inputs);
  delete result.stats;
  delete result.startedAt;
  delete result.completedAt;
  delete result.requestedAt;
  return result;
}

test("update(): plain answers (JSON.parse) and the long way settle every input the same", async () => {
  let plainSeen = 0, redacted = 0;
  for (let seed = 1; seed <= 60; seed++) {
    const fast = await runWith(seed, false);
    const long = await runWith(seed, true);
    assert.deepStrictEqual(fast, long, `seed ${seed}`);
    const text = JSON.stringify(fast.results);
    assert.ok(!text.includes("token-0123456789"), `seed ${seed}: the token came back`);
    if (text.includes("[redacted]")) redacted++;
    // The long way writes a result's fields in the model's order (archived first); the
    // parsed objects keep the answer's (id first): proof the fast path ran.
    if (fast.results.some((o) => Object.keys(o)[0] === "id")) plainSeen++;
    assert.ok(long.results.every((o) => Object.keys(o)[0] === "archived"), `seed ${seed}: long way`);
  }
  assert.ok(plainSeen > 40, `${plainSeen} runs read plain answers`);
  assert.ok(redacted > 0, "some answers echoed the token");
});

test("update(): a plain answer's objects lose only the trace ids the engine made", async () => {
  const body = (init, withTrace) => {
    const inputs = JSON.parse(init.body).inputs;
    return JSON.stringify({ status: "COMPLETE", results: inputs.map((x) => ({ id: x.id, properties: { a: "1" }, createdAt: "c", updatedAt: "u", archived: false, ...(withTrace ? { objectWriteTraceId: x.objectWriteTraceId } : {}) })), startedAt: "s", completedAt: "c" });
  };
  for (const withTrace of [true, false]) {
    const c = new pkg.HubSpotBatch({ accessToken: "t", baseUrl: "http://127.0.0.1:9", fetch: async (u, init) => new Response(body(init, withTrace)) });
    const r = await c.update([{ id: "1", properties: { a: 1 } }, { id: "2", properties: { a: 1 }, objectWriteTraceId: "mine" }]);
    assert.deepStrictEqual(r.failed, []);
    assert.deepStrictEqual(Object.keys(r.results[0]), ["id", "properties", "createdAt", "updatedAt", "archived"]);
    assert.equal(r.results[1].objectWriteTraceId, withTrace ? "mine" : undefined);
  }
});
