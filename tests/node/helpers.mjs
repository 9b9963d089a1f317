// Shared by the acceptance tests in this folder (not a test file itself: node --test only runs
// *.test.{mjs,cjs}). The package under test is always the PACKED tarball, installed into a
// consumer folder shared by the test files (one per tarball, in the OS temp dir) and imported
// from there by its bare name "hubspot-batch" exactly as a user's code would: see
// tests/support/consumer.mjs.
import assert from "node:assert/strict";
import { before } from "node:test";
import { performance } from "node:perf_hooks";
import { inspect } from "node:util";
import { consumerDir as consumerDirIn, loadConsumerPackage, requireConsumerPackage } from "../support/consumer.mjs";
import { startEmulator } from "../emulator/emulator.mjs";

const CACHE = "hubspot-batch-node-tests";

export const TOKEN = "emulator-token";
export const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

/** The folder where the packed tarball is installed (node_modules/hubspot-batch). */
export const consumerDir = () => consumerDirIn(CACHE);

/** The package as `import * as m from "hubspot-batch"` sees it. */
export const loadPackage = () => loadConsumerPackage(CACHE);

/** The package as `require("hubspot-batch")` sees it. */
export const requirePackage = () => requireConsumerPackage(CACHE);

/** The package's exports in a test file that called usePackage(), once its `before` hook ran. */
export let pkg;

/** Registers a `before` hook on the calling test file that loads the package into `pkg`. */
export function usePackage() {
  before(async () => {
    pkg = await loadPackage();
  });
}

/** A HubSpotBatch talking to emulator `emu` with its token (in a file that called usePackage()). */
export const client = (emu, opts = {}) => new pkg.HubSpotBatch({ accessToken: TOKEN, baseUrl: emu.url, ...opts });

/** The same instance `c` still updates afterwards: deals from..from+2, really written. */
export async function stillWorks(c, emu, from = 450) {
  const inputs = dealInputs(range(from, from + 2));
  const r = await c.update(inputs);
  assert.equal(r.results.length, 3, "the same instance still updates");
  assertWritten(emu.emulator, "deals", inputs, [0, 1, 2]);
}

/** Starts an emulator for one test (small data set) and always closes it. */
export async function withEmu(opts, fn) {
  const emu = await startEmulator({ deals: 500, contacts: 50, ...opts });
  try {
    return await fn(emu);
  } finally {
    await emu.close();
  }
}

/**
 * A fetch that records every call and forwards it to the global fetch (or `inner`). It is a
 * plain function: `this` is recorded so that tests can check it is called unbound.
 */
export function spyFetch(inner) {
  const calls = [];
  const f = async function spy(input, init) {
    // Taken first: awaiting the body below may take a while on a loaded machine.
    const at = performance.now();
    const thisOk = this === undefined || this === globalThis;
    const req = input instanceof Request ? input.clone() : new Request(input, init);
    const call = {
      url: req.url,
      method: req.method,
      headers: Object.fromEntries([...req.headers].map(([k, v]) => [k.toLowerCase(), v])),
      body: await req.text(),
      thisOk,
      at,
      abortedAt: undefined,
      signal: init?.signal ?? (input instanceof Request ? input.signal : undefined),
    };
    call.signal?.addEventListener("abort", () => (call.abortedAt = performance.now()), { once: true });
    calls.push(call);
    f.onCall?.(call, calls.length);
    return inner ? inner(input, init, call, calls.length) : globalThis.fetch(input, init);
  };
  f.calls = calls;
  f.bodies = () => calls.map((c) => JSON.parse(c.body));
  f.inputIds = () => calls.map((c) => JSON.parse(c.body).inputs.map((i) => i.id));
  return f;
}

/** Deal inputs for ids, with a distinct amount per input so written values can be checked. */
export function dealInputs(ids, extra = () => ({})) {
  return ids.map((id, i) => ({ id: String(id), properties: { amount: `${1000 + i}.5`, ...extra(id, i) } }));
}

export const range = (from, to) => Array.from({ length: to - from + 1 }, (_, i) => from + i);

/**
 * Contract point 1: every input index is either updated (a result with its id) or listed
 * once in `failed`, never both. Returns the set of updated input indexes.
 */
export function assertAccountsForAll(result, inputs, { idOf = (input) => input.id } = {}) {
  assert.ok(result && typeof result === "object", "result is an object");
  assert.ok(Array.isArray(result.results), "results is an array");
  assert.ok(Array.isArray(result.failed), "failed is an array");
  assert.equal(result.results.length + result.failed.length, inputs.length, "results.length + failed.length === inputs.length");
  const failedIdx = result.failed.map((f) => f.index);
  assert.equal(new Set(failedIdx).size, failedIdx.length, "each failed index once");
  for (const f of result.failed) {
    assert.ok(Number.isInteger(f.index) && f.index >= 0 && f.index < inputs.length, `failed index ${f.index} in range`);
    assert.equal(f.id, inputs[f.index].id, `failed[${f.index}].id is the input's id`);
    assert.equal(typeof f.error, "object");
    assert.equal(typeof f.error.category, "string");
    assert.ok(f.error.category.length > 0);
    assert.equal(typeof f.error.message, "string");
    assert.ok(f.error.status === null || Number.isInteger(f.error.status), "status is a number or null");
  }
  const failedSet = new Set(failedIdx);
  const updated = inputs.map((_, i) => i).filter((i) => !failedSet.has(i));
  const wanted = updated.map((i) => String(idOf(inputs[i], i))).sort();
  const got = result.results.map((o) => String(o.id)).sort();
  assert.deepEqual(got, wanted, "results are exactly the inputs not in failed");
  return new Set(updated);
}

/** Every updated input was really written by the emulator, with exactly the values sent. */
export function assertWritten(emulator, objectType, inputs, updated, expected = (input) => input.properties, recordIdOf = (input) => input.id) {
  for (const i of updated) {
    const rec = emulator.getRecord(objectType, recordIdOf(inputs[i], i));
    assert.ok(rec, `record for inputs[${i}] exists`);
    assert.ok(rec.writes >= 1, `inputs[${i}] (id ${inputs[i].id}) was really written (writes=${rec.writes})`);
    for (const [k, v] of Object.entries(expected(inputs[i], i))) {
      assert.equal(rec.properties[k], v, `inputs[${i}].properties.${k} stored`);
    }
  }
}

/** Awaits `promiseOrFn` (a promise, or a function returning one) and returns the rejection. */
export async function rejection(promiseOrFn) {
  let p;
  try {
    p = typeof promiseOrFn === "function" ? promiseOrFn() : promiseOrFn;
  } catch (e) {
    assert.fail(`threw synchronously instead of rejecting: ${e?.stack ?? e}`);
  }
  assert.ok(p && typeof p.then === "function", "returns a promise");
  try {
    const v = await p;
    assert.fail(`expected a rejection, got ${inspect(v, { depth: 2 })}`);
  } catch (e) {
    if (e instanceof assert.AssertionError) throw e;
    return e;
  }
}

/** Asserts `err` is the package's HubSpotError with `code`. */
export function assertHubSpotError(HubSpotError, err, code, what = "") {
  assert.ok(err instanceof HubSpotError, `${what} expected a HubSpotError, got ${inspect(err)}`);
  assert.ok(err instanceof Error, "instanceof Error");
  assert.equal(err.name, "HubSpotError");
  assert.equal(err.code, code, `${what} code (message: ${err.message})`);
  assert.equal(typeof err.message, "string");
  assert.ok(!/unreachable|RuntimeError|panicked/i.test(err.message), `no trap in message: ${err.message}`);
  return err;
}

/** Calls `fn` with a fresh `sync` error check: not a wasm trap. */
export function assertNotTrap(err) {
  assert.ok(!(err instanceof WebAssembly.RuntimeError), `wasm trap: ${err?.stack ?? err}`);
  const text = `${err?.message ?? err}`;
  assert.ok(!/unreachable|panicked|RuntimeError|memory access out of bounds/i.test(text), `trap-like error: ${text}`);
}

/** A secret-bearing string dump of anything: message, stack, JSON, inspect. */
export function dump(value) {
  const parts = [];
  try { parts.push(JSON.stringify(value)); } catch {}
  try { parts.push(inspect(value, { depth: 10, showHidden: true, getters: false })); } catch {}
  if (value && typeof value === "object") {
    parts.push(String(value.message ?? ""), String(value.stack ?? ""));
    if (value.cause) parts.push(dump(value.cause));
    if (value.result) parts.push(dump(value.result));
  }
  return parts.join("\n");
}
