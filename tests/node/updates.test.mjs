// Successful runs over real HTTP against the emulator: nothing lost (contract 1), chunking (2),
// property values as sent (7), onProgress, stats, objectType, idProperty, the fetch option.
import { test } from "node:test";
import assert from "node:assert/strict";
import {
  TOKEN,
  assertAccountsForAll,
  assertWritten,
  client,
  dealInputs,
  pkg,
  range,
  spyFetch,
  usePackage,
  withEmu,
} from "./helpers.mjs";

usePackage();

const isIso = (s) => typeof s === "string" && !Number.isNaN(Date.parse(s));

function assertResultShape(r) {
  assert.ok(["COMPLETE", "CANCELED", "PENDING", "PROCESSING"].includes(r.status), `status ${r.status}`);
  assert.ok(isIso(r.startedAt), "startedAt");
  assert.ok(isIso(r.completedAt), "completedAt");
  assert.ok(Array.isArray(r.errors));
  assert.equal(r.numErrors, r.errors.length);
  for (const k of ["requests", "retries", "rateLimited", "errorResponses", "batches", "durationMs"]) {
    assert.equal(typeof r.stats[k], "number", `stats.${k}`);
    assert.ok(r.stats[k] >= 0);
  }
  for (const o of r.results) {
    assert.equal(typeof o.id, "string");
    assert.equal(typeof o.properties, "object");
    assert.ok(isIso(o.createdAt) && isIso(o.updatedAt));
    assert.equal(typeof o.archived, "boolean");
  }
}

// Inputs with unknown ids mixed in at known positions.
function mixedInputs(n, unknownEvery = 7) {
  return range(1, n).map((k, i) => ({
    id: i % unknownEvery === 3 ? String(90_000 + k) : String(k),
    properties: { amount: `${k}.25`, dealname: `Updated ${k}` },
  }));
}
const isUnknown = (input) => Number(input.id) >= 90_000;

for (const mode of ["omit", "error207", "mixed"]) {
  test(`nothing lost: unknown ids (${mode}) are failed, the rest really written`, () =>
    withEmu({ unknownIds: mode }, async (emu) => {
      const inputs = mixedInputs(60);
      const r = await client(emu, { batchSize: 10 }).update(inputs);
      assertResultShape(r);
      assert.equal(r.status, "COMPLETE");
      const updated = assertAccountsForAll(r, inputs);
      const unknownIdx = inputs.map((x, i) => (isUnknown(x) ? i : -1)).filter((i) => i >= 0);
      assert.ok(unknownIdx.length >= 8);
      assert.deepEqual(r.failed.map((f) => f.index).sort((a, b) => a - b), unknownIdx, "exactly the unknown ids failed");
      for (const f of r.failed) {
        if (mode === "omit") {
          assert.equal(f.error.category, "NOT_UPDATED", `inputs[${f.index}] omitted from a 200`);
          assert.equal(f.error.status, 200);
        } else if (mode === "error207") {
          assert.equal(f.error.category, "OBJECT_NOT_FOUND");
          assert.equal(f.error.status, 207);
        } else {
          assert.ok(["NOT_UPDATED", "OBJECT_NOT_FOUND"].includes(f.error.category), f.error.category);
        }
      }
      if (mode === "error207") {
        assert.ok(r.errors.length >= 1, "HubSpot's per-item errors are kept");
        assert.ok(r.errors.every((e) => e.category === "OBJECT_NOT_FOUND"));
        const ids = r.errors.flatMap((e) => e.context?.ids ?? []);
        assert.deepEqual(ids.sort(), unknownIdx.map((i) => inputs[i].id).sort());
      }
      if (mode === "omit") assert.equal(r.errors.length, 0);
      // The emulator agrees: every input in results was written with the values sent,
      // and nothing else was written.
      assertWritten(emu.emulator, "deals", inputs, updated);
      const applied = emu.emulator.getLog().flatMap((e) => e.applied).sort();
      assert.deepEqual(applied, [...updated].map((i) => inputs[i].id).sort(), "results === what the emulator applied");
      for (const o of r.results) {
        const input = inputs.find((x) => x.id === o.id);
        assert.equal(o.properties.amount, input.properties.amount, "each result is the object of its own input");
      }
    }));
}

test("nothing lost: all ids unknown (omit) -> every input failed, none in results", () =>
  withEmu({ unknownIds: "omit" }, async (emu) => {
    const inputs = range(1, 5).map((k) => ({ id: String(80_000 + k), properties: { dealname: "x" } }));
    const r = await client(emu).update(inputs);
    assertAccountsForAll(r, inputs);
    assert.equal(r.results.length, 0);
    assert.ok(r.failed.every((f) => f.error.category === "NOT_UPDATED"));
  }));

test("chunking: 250 inputs, batchSize 100 -> requests of 100, 100, 50 in input order", () =>
  withEmu({}, async (emu) => {
    const inputs = dealInputs(range(1, 250).reverse()); // ids not sorted, so order is the input order
    const fetch = spyFetch();
    const r = await client(emu, { batchSize: 100, concurrency: 1, fetch }).update(inputs);
    assertAccountsForAll(r, inputs);
    assert.equal(r.failed.length, 0);
    const log = emu.emulator.getLog();
    assert.equal(log.length, 3);
    assert.deepEqual(log.map((e) => e.inputIds.length), [100, 100, 50]);
    assert.deepEqual(log.flatMap((e) => e.inputIds), inputs.map((x) => x.id), "emulator saw input order");
    assert.deepEqual(fetch.inputIds().flat(), inputs.map((x) => x.id));
    assert.equal(r.stats.requests, 3);
    assert.equal(r.stats.batches, 3);
    assert.equal(r.stats.retries, 0);
    assert.equal(r.stats.rateLimited, 0);
    assert.ok(r.stats.durationMs >= 0);
    assertWritten(emu.emulator, "deals", inputs, range(0, 249));
    const again = await client(emu, { batchSize: 100, fetch: spyFetch() }).update(inputs);
    assert.equal(again.results.length, 250, "default concurrency: all updated too");
  }));

test("chunking: with default concurrency the requests still go out in input order", () =>
  withEmu({}, async (emu) => {
    const inputs = dealInputs(range(1, 95));
    const fetch = spyFetch();
    const r = await client(emu, { batchSize: 10, fetch }).update(inputs);
    assertAccountsForAll(r, inputs);
    assert.deepEqual(fetch.inputIds().map((ids) => ids.length), [10, 10, 10, 10, 10, 10, 10, 10, 10, 5]);
    assert.deepEqual(fetch.inputIds().flat(), inputs.map((x) => x.id));
    assert.equal(r.stats.requests, 10);
    assert.equal(r.stats.batches, 10);
  }));

test("a larger run with default options: 1000 inputs, all written", () =>
  withEmu({ deals: 1000 }, async (emu) => {
    const inputs = dealInputs(range(1, 1000));
    const r = await client(emu).update(inputs);
    const updated = assertAccountsForAll(r, inputs);
    assert.equal(r.failed.length, 0);
    assert.equal(r.stats.requests, 10);
    assertWritten(emu.emulator, "deals", inputs, updated);
    assert.equal(emu.emulator.getState().rateLimited, 0);
  }));

test("empty inputs: resolves COMPLETE with nothing sent", () =>
  withEmu({}, async (emu) => {
    const r = await client(emu).update([]);
    assert.equal(r.status, "COMPLETE");
    assert.deepEqual(r.results, []);
    assert.deepEqual(r.failed, []);
    assert.equal(r.stats.requests, 0);
    assert.equal(emu.emulator.getLog().length, 0);
  }));

test("onProgress: {done, failed, total}, monotonic, ending at done === total", () =>
  withEmu({ unknownIds: "mixed" }, async (emu) => {
    const inputs = mixedInputs(50, 5);
    const seen = [];
    let resolved = false;
    const r = await client(emu, { batchSize: 7 }).update(inputs, {
      onProgress: (p) => {
        assert.equal(resolved, false, "no progress after the promise settled");
        seen.push({ ...p });
      },
    });
    resolved = true;
    assertAccountsForAll(r, inputs);
    assert.ok(seen.length >= 1);
    let prev = { done: 0, failed: 0 };
    for (const p of seen) {
      assert.deepEqual(Object.keys(p).sort(), ["done", "failed", "total"]);
      assert.equal(p.total, 50);
      assert.ok(p.done >= prev.done && p.failed >= prev.failed, `monotonic: ${JSON.stringify(prev)} -> ${JSON.stringify(p)}`);
      assert.ok(p.failed <= p.done && p.done <= p.total);
      prev = p;
    }
    const last = seen.at(-1);
    assert.equal(last.done, 50);
    assert.equal(last.failed, r.failed.length);
    assert.ok(r.failed.length > 0);
  }));

test("property values: the emulator receives exactly the formatted strings", () =>
  withEmu({}, async (emu) => {
    const when = new Date("2024-05-01T10:00:00.123Z");
    const inputs = [
      { id: "1", properties: { amount: 1e21, tags: ["hot", "renewal"], description: null } },
      { id: "2", properties: { amount: 1e-7, closedate: when, description: true } },
      { id: "3", properties: { amount: -0, description: false, dealname: "Ünïcødé \"q\" \\ 🎉\n" } },
      { id: "4", properties: { amount: 1500, tags: [], hubspot_owner_id: "" } },
      { id: "5", properties: { amount: 0.1 + 0.2, closedate: new Date(0) } },
    ];
    const expected = [
      { amount: "1000000000000000000000", tags: "hot;renewal", description: "" },
      { amount: "0.0000001", closedate: String(when.getTime()), description: "true" },
      { amount: "0", description: "false", dealname: "Ünïcødé \"q\" \\ 🎉\n" },
      { amount: "1500", tags: "", hubspot_owner_id: "" },
      { amount: "0.30000000000000004", closedate: "0" },
    ];
    for (let i = 0; i < inputs.length; i++) {
      for (const [k, v] of Object.entries(inputs[i].properties)) {
        assert.equal(pkg.formatPropertyValue(v), expected[i][k], `formatPropertyValue of inputs[${i}].${k}`);
      }
    }
    const fetch = spyFetch();
    const r = await client(emu, { fetch }).update(inputs);
    const updated = assertAccountsForAll(r, inputs);
    assert.equal(r.failed.length, 0, JSON.stringify(r.failed));
    assertWritten(emu.emulator, "deals", inputs, updated, (_, i) => expected[i]);
    const sent = fetch.bodies()[0].inputs;
    sent.forEach((x, i) => assert.deepEqual(x.properties, expected[i], `body of inputs[${i}]`));
    for (const o of r.results) {
      const i = inputs.findIndex((x) => x.id === o.id);
      for (const [k, v] of Object.entries(expected[i])) assert.equal(o.properties[k], v);
      assert.equal(o.properties.hs_closed_amount, null, "null property values in results stay null");
    }
  }));

test("objectType 'contacts' (and '0-1') updates contacts", () =>
  withEmu({}, async (emu) => {
    const inputs = range(1, 12).map((k) => ({ id: String(k), properties: { firstname: `First${k}`, lifecyclestage: "customer" } }));
    const r = await client(emu, { objectType: "contacts", batchSize: 5 }).update(inputs);
    const updated = assertAccountsForAll(r, inputs);
    assert.equal(r.failed.length, 0);
    assertWritten(emu.emulator, "contacts", inputs, updated);
    assert.ok(emu.emulator.getLog().every((e) => e.path === "/crm/v3/objects/contacts/batch/update"));
    assert.equal(emu.emulator.getRecord("deals", "1").writes, 0, "deals untouched");

    const r2 = await client(emu, { objectType: "0-1" }).update([{ id: "20", properties: { email: "new20@example.org" } }]);
    assertAccountsForAll(r2, [{ id: "20" }]);
    assert.equal(emu.emulator.getRecord("contacts", "20").properties.email, "new20@example.org");
    assert.equal(emu.emulator.getLog().at(-1).objectType, "0-1");
  }));

test("idProperty 'deal_external_id' updates by external id (option and per input)", () =>
  withEmu({ unknownIds: "omit" }, async (emu) => {
    const inputs = [
      { id: "ext-3", properties: { dealname: "By external id 3" } },
      { id: "ext-7", properties: { dealname: "By external id 7" } },
      { id: "9", idProperty: "hs_object_id", properties: { dealname: "By internal id 9" } },
      { id: "ext-99999", properties: { dealname: "nobody" } },
      { id: "ext-11", properties: { dealname: "By external id 11" }, objectWriteTraceId: "mine-11" },
    ];
    const fetch = spyFetch();
    const r = await client(emu, { fetch }).update(inputs, { idProperty: "deal_external_id" });
    const internal = { "ext-3": "3", "ext-7": "7", 9: "9", "ext-11": "11" };
    const updated = assertAccountsForAll(r, inputs, { idOf: (x) => internal[x.id] });
    assert.deepEqual(r.failed.map((f) => f.index), [3]);
    assert.equal(r.failed[0].error.category, "NOT_UPDATED");
    assertWritten(emu.emulator, "deals", inputs, updated, (x) => x.properties, (x) => internal[x.id]);
    const sent = fetch.bodies()[0].inputs;
    assert.deepEqual(sent.map((x) => x.idProperty), ["deal_external_id", "deal_external_id", "hs_object_id", "deal_external_id", "deal_external_id"]);
    assert.equal(r.results.find((o) => o.id === "11").objectWriteTraceId, "mine-11", "the caller's trace id comes back");
  }));

test("fetch option: called unbound, sees every request (URL, method, headers, body)", () =>
  withEmu({}, async (emu) => {
    const inputs = dealInputs(range(1, 25));
    const fetch = spyFetch(function strictFetch(input, init) {
      return globalThis.fetch(input, init);
    });
    const guarded = function (input, init) {
      // Like a browser's window.fetch: refuses to be called as a method of another object.
      if (!(this === undefined || this === globalThis)) throw new TypeError("Illegal invocation");
      return fetch(input, init);
    };
    const r = await client(emu, { fetch: guarded, batchSize: 10 }).update(inputs);
    assertAccountsForAll(r, inputs);
    assert.equal(r.failed.length, 0, JSON.stringify(r.failed[0]));
    assert.equal(fetch.calls.length, 3);
    for (const c of fetch.calls) {
      assert.equal(c.url, `${emu.url}/crm/v3/objects/0-3/batch/update`);
      assert.equal(c.method, "POST");
      assert.equal(c.headers.authorization, `Bearer ${TOKEN}`);
      assert.ok(!c.url.includes(TOKEN) && !c.body.includes(TOKEN), "the token is only in the Authorization header");
      assert.match(c.headers["content-type"], /^application\/json/);
    }
    assert.equal(emu.emulator.getLog().length, 3, "the custom fetch did the requests");
  }));

test("default fetch: globalThis.fetch looked up at call time", () =>
  withEmu({}, async (emu) => {
    const c = client(emu); // constructed BEFORE fetch is replaced
    const original = globalThis.fetch;
    let count = 0;
    globalThis.fetch = function (...args) {
      count++;
      return original(...args);
    };
    try {
      const r = await c.update(dealInputs([1, 2, 3]));
      assert.equal(r.results.length, 3);
    } finally {
      globalThis.fetch = original;
    }
    assert.equal(count, 1, "the replaced global fetch was used");
  }));

test("baseUrl with a trailing slash works", () =>
  withEmu({}, async (emu) => {
    const r = await client(emu, { baseUrl: `${emu.url}/` }).update(dealInputs([4, 5]));
    assert.equal(r.results.length, 2);
    assert.equal(emu.emulator.getLog()[0].path, "/crm/v3/objects/0-3/batch/update");
  }));

test("the same client runs several updates, sequentially and concurrently", () =>
  withEmu({}, async (emu) => {
    const c = client(emu, { batchSize: 10 });
    const a = await c.update(dealInputs(range(1, 20)));
    assert.equal(a.results.length, 20);
    const [x, y] = await Promise.all([c.update(dealInputs(range(21, 45))), c.update(dealInputs(range(46, 70)))]);
    assert.equal(x.results.length + y.results.length, 50);
    assert.equal(x.failed.length + y.failed.length, 0);
    assert.ok(x.results.every((o) => Number(o.id) >= 21 && Number(o.id) <= 45), "results are not mixed between calls");
    assert.ok(y.results.every((o) => Number(o.id) >= 46 && Number(o.id) <= 70));
  }));

/** A spying fetch that also records the most requests it had in flight at once (`.max()`). */
function inFlightFetch() {
  let inFlight = 0;
  let max = 0;
  const fetch = spyFetch(async (input, init) => {
    inFlight++;
    max = Math.max(max, inFlight);
    try {
      return await globalThis.fetch(input, init);
    } finally {
      inFlight--;
    }
  });
  fetch.max = () => max;
  return fetch;
}

test("concurrency: at most `concurrency` requests in flight", () =>
  withEmu({ latencyMs: 150 }, async (emu) => {
    const fetch = inFlightFetch();
    const inputs = dealInputs(range(1, 24));
    const r = await client(emu, { fetch, batchSize: 2, concurrency: 3 }).update(inputs);
    assertAccountsForAll(r, inputs);
    assert.equal(r.failed.length, 0);
    assert.equal(fetch.max(), 3, `max in flight ${fetch.max()}`);
  }));

test("concurrency: by default a whole window is in flight at once (the rate limit's requests)", () =>
  withEmu({ latencyMs: 300, rateLimit: { requests: 30, intervalMs: 10_000 } }, async (emu) => {
    const fetch = inFlightFetch();
    const inputs = dealInputs(range(1, 30));
    const r = await client(emu, { fetch, batchSize: 1, rateLimit: { requests: 30, intervalMs: 10_000 } }).update(inputs);
    assertAccountsForAll(r, inputs);
    assert.equal(r.failed.length, 0);
    // One request until HubSpot's first answer (several clients on one token do not each send a
    // whole window blind); once it says no one else spends the budget, the other 29 at once.
    assert.equal(fetch.max(), 29, `max in flight ${fetch.max()}`);
    assert.equal(emu.emulator.getState().rateLimited, 0);
  }));

test("timeoutMs does not count the time a request waits for a connection (a browser's 6 per origin)", () =>
  withEmu({ latencyMs: 250 }, async (emu) => {
    // Like an HTTP/1.1 browser or a Worker: 6 requests on the wire, the others queued inside fetch().
    let active = 0;
    const queue = [];
    const fetch = spyFetch(async (input, init) => {
      if (active >= 6) await new Promise((r) => queue.push(r));
      active++;
      try {
        return await globalThis.fetch(input, init);
      } finally {
        active--;
        queue.shift()?.();
      }
    });
    // 18 requests, 3 rounds of 250+ ms behind 6 connections: the last waits ~500 ms in the queue,
    // longer than timeoutMs; counted from its fetch() call it would time out (and be sent twice).
    const inputs = dealInputs(range(1, 18));
    const r = await client(emu, { fetch, batchSize: 1, concurrency: 18, rateLimit: null, timeoutMs: 400, maxRetries: 0 }).update(inputs);
    assertAccountsForAll(r, inputs);
    assert.equal(r.failed.length, 0, JSON.stringify(r.failed[0]?.error));
    assert.equal(r.stats.retries, 0);
    assert.equal(emu.emulator.getLog().length, 18, "each request sent once");
  }));

test("timeoutMs still ends a hung request among many in flight", () =>
  withEmu({}, async (emu) => {
    emu.emulator.queueFaults(["hang"]);
    const inputs = dealInputs(range(1, 20));
    const t0 = performance.now();
    const r = await client(emu, { batchSize: 1, timeoutMs: 400, maxRetries: 1 }).update(inputs);
    assertAccountsForAll(r, inputs);
    assert.equal(r.failed.length, 0);
    assert.equal(r.stats.retries, 1, "the hung request, once");
    assert.ok(performance.now() - t0 < 3000, "its timeout ran while the others were answered");
  }));
