// upsert, create, read and archive over real HTTP against the emulator: the contract points of
// update for each (nothing lost, chunking, retries, isolation, call-level rejects, aborts), plus
// `new` on upsert, OBJECT_NOT_FOUND on read, archive's 204, create never sent twice, and
// date-versioned paths.
import { test } from "node:test";
import assert from "node:assert/strict";
import {
  assertAccountsForAll,
  assertHubSpotError,
  client,
  pkg,
  range,
  rejection,
  spyFetch,
  usePackage,
  withEmu,
} from "./helpers.mjs";

usePackage();

const bodies = (spy) => spy.calls.map((c) => JSON.parse(c.body));

test("upsert: creates what is new, updates what exists, carries HubSpot's `new`, 100 per request", () =>
  withEmu({}, async (emu) => {
    // ext-1..ext-60 exist (seeded); ext-new-* do not.
    const inputs = [
      ...range(1, 60).map((k) => ({ id: `ext-${k}`, properties: { amount: `${k}.5` } })),
      ...range(1, 90).map((k) => ({ id: `ext-new-${k}`, properties: { dealname: `New ${k}`, amount: "1" } })),
    ];
    const spy = spyFetch();
    const r = await client(emu, { fetch: spy }).upsert(inputs, { idProperty: "deal_external_id" });
    assert.equal(r.status, "COMPLETE");
    assert.equal(spy.calls.length, 2, "150 inputs in 2 requests");
    assert.ok(spy.calls.every((c) => c.url.endsWith("/crm/v3/objects/0-3/batch/upsert")));
    for (const b of bodies(spy)) for (const x of b.inputs) assert.equal(x.idProperty, "deal_external_id");
    assert.equal(r.failed.length, 0);
    assert.equal(r.results.length, 150);
    // Input order, and `new` as HubSpot said.
    r.results.forEach((o, i) => {
      assert.equal(o.properties.deal_external_id ?? inputs[i].id, inputs[i].id, `result ${i} in input order`);
      assert.equal(o.new, i >= 60, `results[${i}].new`);
      assert.equal(o.objectWriteTraceId, undefined, "the client's own trace ids are removed");
    });
    assert.equal(emu.emulator.records("deals", { createdBy: "upsert" }).length, 90);
    // Safe to repeat: the second run updates what the first created.
    const again = await client(emu).upsert(inputs, { idProperty: "deal_external_id" });
    assert.equal(again.results.filter((o) => o.new).length, 0);
    assert.equal(emu.emulator.records("deals", { createdBy: "upsert" }).length, 90, "no record created twice");
  }));

test("upsert: idProperty is required (per input or in options), refused before anything is sent", () =>
  withEmu({}, async (emu) => {
    const spy = spyFetch();
    const c = client(emu, { fetch: spy });
    const err = await rejection(() => c.upsert([{ id: "ext-1", properties: { amount: "1" } }]));
    assertHubSpotError(pkg.HubSpotError, err, "INVALID_INPUT");
    assert.match(err.message, /^inputs\[0\]\.idProperty: /);
    const ok = await c.upsert([{ id: "ext-1", idProperty: "deal_external_id", properties: { amount: "2" } }]);
    assert.equal(ok.results.length, 1);
    assert.equal(spy.calls.length, 1);
  }));

test("upsert: a bad value is isolated; the rest are written; 429s and 5xx are retried", () =>
  withEmu({}, async (emu) => {
    emu.emulator.queueFaults(["429-ten-secondly", "503"]);
    const inputs = range(1, 30).map((k) => ({
      id: `ext-${k}`,
      properties: { dealstage: k === 17 ? "nonsense" : "closedwon" },
    }));
    const r = await client(emu, { batchSize: 10 }).upsert(inputs, { idProperty: "deal_external_id" });
    assertAccountsForAll(r, inputs, { idOf: (x) => emu.emulator.records("deals", { where: { deal_external_id: x.id } })[0].id });
    assert.deepEqual(r.failed.map((f) => f.index), [16]);
    assert.equal(r.failed[0].error.category, "VALIDATION_ERROR");
    assert.ok(r.stats.retries >= 2, `retried: ${JSON.stringify(r.stats)}`);
  }));

test("create: every input created once, results in input order, associations sent, 201 accepted", () =>
  withEmu({}, async (emu) => {
    const inputs = range(1, 230).map((k) => ({
      properties: { dealname: `Created ${k}`, description: `c-${k}` },
      ...(k === 5 ? { associations: [{ to: { id: "1" }, types: [{ associationCategory: "HUBSPOT_DEFINED", associationTypeId: 3 }] }] } : {}),
    }));
    const spy = spyFetch();
    const r = await client(emu, { fetch: spy }).create(inputs);
    assert.equal(spy.calls.length, 3);
    const sent = bodies(spy);
    assert.equal(sent[0].inputs[4].associations[0].types[0].associationTypeId, 3);
    assert.deepEqual(sent[0].inputs[0].associations, []);
    assert.ok(sent.flatMap((b) => b.inputs).every((x) => typeof x.objectWriteTraceId === "string" && !("id" in x)));
    assert.equal(r.failed.length, 0);
    assert.equal(r.results.length, 230);
    r.results.forEach((o, i) => assert.equal(o.properties.description, `c-${i + 1}`, `results[${i}] is input ${i}'s record`));
    assert.equal(emu.emulator.records("deals", { createdBy: "create" }).length, 230);
    assert.deepEqual(emu.emulator.duplicates("deals", "description"), []);
  }));

test("create: with trace ids HubSpot reports bad inputs per input (207); the others are created", () =>
  withEmu({}, async (emu) => {
    const inputs = range(1, 20).map((k) => ({
      objectWriteTraceId: `t-${k}`,
      properties: { dealname: `D ${k}`, amount: k % 6 === 0 ? "12abc" : "5", description: `d-${k}` },
    }));
    const spy = spyFetch();
    const r = await client(emu, { fetch: spy }).create(inputs);
    assert.equal(spy.calls.length, 1, "a 207 settles the batch in one request");
    assert.deepEqual(r.failed.map((f) => f.index), [5, 11, 17]);
    for (const f of r.failed) {
      assert.equal(f.error.category, "VALIDATION_ERROR");
      assert.equal(f.error.mayHaveApplied, undefined);
    }
    assert.equal(r.results.length, 17);
    assert.equal(emu.emulator.records("deals", { createdBy: "create" }).length, 17);
  }));

test("create: never sent twice after a fault that may have applied it; UNKNOWN_OUTCOME, mayHaveApplied", () =>
  withEmu({}, async (emu) => {
    for (const fault of ["500-after-apply", "504-after-apply", "reset-after-apply", "truncated-json", "html-200-after-apply", "503"]) {
      emu.emulator.reset();
      emu.emulator.queueFaults([fault]);
      const inputs = range(1, 4).map((k) => ({ properties: { dealname: `X ${k}`, description: `${fault}-${k}` } }));
      const spy = spyFetch();
      const r = await client(emu, { fetch: spy, rateLimit: null }).create(inputs);
      assert.equal(spy.calls.length, 1, `${fault}: one request, never re-sent`);
      assert.equal(r.failed.length, 4, fault);
      for (const f of r.failed) {
        assert.equal(f.error.category, "UNKNOWN_OUTCOME", fault);
        assert.equal(f.error.mayHaveApplied, true, fault);
      }
      assert.deepEqual(emu.emulator.duplicates("deals", "description"), [], `${fault}: no duplicates`);
    }
  }));

test("create: a 429 and a refused connection are re-sent (HubSpot provably did not apply them)", () =>
  withEmu({}, async (emu) => {
    emu.emulator.queueFaults(["429-secondly"]);
    let refused = 0;
    const flaky = async (url, init) => {
      if (refused++ === 0) throw new TypeError("fetch failed", { cause: Object.assign(new Error("connect ECONNREFUSED"), { code: "ECONNREFUSED" }) });
      return fetch(url, init);
    };
    const inputs = range(1, 3).map((k) => ({ properties: { dealname: `R ${k}`, description: `r-${k}` } }));
    const r = await client(emu, { fetch: flaky }).create(inputs);
    assert.equal(r.results.length, 3);
    assert.equal(r.stats.retries, 2);
    assert.equal(emu.emulator.records("deals", { createdBy: "create" }).length, 3);
  }));

test("read: found records in input order, unknown ids OBJECT_NOT_FOUND (200 or 207), idProperty asked for", () =>
  withEmu({ unknownIds: "mixed" }, async (emu) => {
    const ids = [...range(1, 120).map(String), "99999", { id: "7777" }];
    ids.splice(10, 0, "88888");
    const spy = spyFetch();
    const r = await client(emu, { fetch: spy }).read(ids, { properties: ["amount", "dealname"] });
    const inputs = ids.map((x) => (typeof x === "string" ? { id: x } : x));
    assertAccountsForAll(r, inputs);
    assert.deepEqual(r.failed.map((f) => f.index), [10, 121, 122]);
    for (const f of r.failed) assert.equal(f.error.category, "OBJECT_NOT_FOUND");
    assert.equal(r.results[0].properties.dealname, "Deal 1");
    assert.equal(spy.calls.length, 2);
    assert.ok(spy.calls[0].url.endsWith("/crm/v3/objects/0-3/batch/read"));
    // By a unique property: the property is added to those asked for.
    const spy2 = spyFetch();
    const byExt = await client(emu, { fetch: spy2 }).read(["ext-3", "ext-1"], { properties: ["amount"], idProperty: "deal_external_id" });
    assert.deepEqual(byExt.results.map((o) => o.id), ["3", "1"]);
    assert.deepEqual(bodies(spy2)[0].properties, ["amount", "deal_external_id"]);
  }));

test("read: at most 50 per request with propertiesWithHistory; properties is required", () =>
  withEmu({}, async (emu) => {
    const spy = spyFetch();
    const c = client(emu, { fetch: spy });
    const r = await c.read(range(1, 120).map(String), { properties: ["amount"], propertiesWithHistory: ["dealstage"] });
    assert.deepEqual(spy.calls.map((x) => JSON.parse(x.body).inputs.length), [50, 50, 20]);
    assert.equal(r.results.length, 120);
    assert.ok(Array.isArray(r.results[0].propertiesWithHistory.dealstage));
    const err = await rejection(() => c.read(["1"], {}));
    assertHubSpotError(pkg.HubSpotError, err, "INVALID_INPUT");
    assert.match(err.message, /^options\.properties: /);
    const bad = await rejection(() => c.read([12], { properties: [] }));
    assert.match(bad.message, /^inputs\[0\]: expected an id/);
  }));

test("archive: 204 settles every input as { id }; records archived; retries and abort", () =>
  withEmu({}, async (emu) => {
    emu.emulator.queueFaults(["502"]);
    const ids = range(1, 150).map(String);
    const spy = spyFetch();
    const r = await client(emu, { fetch: spy }).archive(ids);
    assert.equal(r.failed.length, 0);
    assert.deepEqual(r.results, ids.map((id) => ({ id })));
    assert.equal(spy.calls.length, 3, "two batches, one retried after the 502");
    assert.equal(emu.emulator.records("deals", { archived: true }).length, 150);
    // Abort before anything is sent: ABORTED, nothing archived.
    const ac = new AbortController();
    ac.abort();
    const err = await rejection(() => client(emu).archive(["200", "201"], { signal: ac.signal }));
    assertHubSpotError(pkg.HubSpotError, err, "ABORTED");
    assert.match(err.message, /^archive\(\) was aborted/);
    assert.equal(emu.emulator.records("deals", { archived: true }).length, 150);
    // idProperty is not an archive option.
    const refused = await rejection(() => client(emu).archive(["1"], { idProperty: "x" }));
    assert.match(refused.message, /^options\.idProperty: unknown option for archive/);
  }));

test("a 401 rejects every operation's call before anything is written", () =>
  withEmu({}, async (emu) => {
    const c = new pkg.HubSpotBatch({ accessToken: "wrong-token-123", baseUrl: emu.url });
    for (const [op, inputs, options] of [
      ["upsert", [{ id: "e", properties: {} }], { idProperty: "deal_external_id" }],
      ["create", [{ properties: { dealname: "x" } }], undefined],
      ["read", ["1"], { properties: [] }],
      ["archive", ["1"], undefined],
    ]) {
      const err = await rejection(() => c[op](inputs, options));
      assertHubSpotError(pkg.HubSpotError, err, "HTTP_ERROR", op);
      assert.equal(err.status, 401, op);
    }
    assert.equal(emu.emulator.records("deals", { createdBy: ["create", "upsert"] }).length, 0);
  }));

test("apiVersion: date-versioned paths for every operation", () =>
  withEmu({}, async (emu) => {
    const spy = spyFetch();
    const c = client(emu, { fetch: spy, apiVersion: "2026-03" });
    await c.update([{ id: "1", properties: { amount: "1" } }]);
    await c.upsert([{ id: "ext-2", properties: { amount: "2" } }], { idProperty: "deal_external_id" });
    await c.create([{ properties: { dealname: "v" } }]);
    const read = await c.read(["1"], { properties: ["amount"] });
    assert.equal(read.results[0].properties.amount, "1");
    await c.archive(["3"]);
    assert.deepEqual(
      spy.calls.map((x) => new URL(x.url).pathname),
      ["update", "upsert", "create", "read", "archive"].map((op) => `/crm/objects/2026-03/0-3/batch/${op}`),
    );
    assert.throws(() => client(emu, { apiVersion: "v4" }), (e) => e.code === "INVALID_CONFIG" && /apiVersion/.test(e.message));
  }));

test("buildBatchRequests builds every operation without I/O; parseBatchResponse reads a 204", () => {
  const build = (op, inputs, options) => pkg.buildBatchRequests(op, inputs, { accessToken: "pat-x", ...options });
  const [create] = build("create", [{ properties: { dealname: "a", amount: 3 } }]);
  assert.equal(create.url, "https://api.hubapi.com/crm/v3/objects/0-3/batch/create");
  assert.deepEqual(JSON.parse(create.body).inputs[0].properties, { dealname: "a", amount: "3" });
  const reads = build("read", range(1, 60).map(String), { properties: ["amount"], propertiesWithHistory: ["dealstage"], archived: true, apiVersion: "2026-03" });
  assert.equal(reads.length, 2);
  assert.equal(reads[0].url, "https://api.hubapi.com/crm/objects/2026-03/0-3/batch/read?archived=true");
  assert.deepEqual(reads[1].inputIndexes, range(50, 59));
  const [archive] = build("archive", ["5", { id: "6" }]);
  assert.deepEqual(JSON.parse(archive.body), { inputs: [{ id: "5" }, { id: "6" }] });
  const [upsert] = build("upsert", [{ id: "e", properties: { amount: 1 } }], { idProperty: "deal_external_id" });
  assert.equal(JSON.parse(upsert.body).inputs[0].idProperty, "deal_external_id");
  assert.deepEqual(pkg.buildBatchRequests("update", [{ id: "1", properties: {} }], { accessToken: "pat-x" }), pkg.buildBatchUpdateRequests([{ id: "1", properties: {} }], { accessToken: "pat-x" }));
  assert.throws(() => pkg.buildBatchRequests("delete", []), (e) => e.code === "INVALID_INPUT");
  assert.throws(() => build("create", [{ id: "1", properties: {} }]), (e) => /^inputs\[0\]\.id: unknown field/.test(e.message));
  const parsed = pkg.parseBatchResponse(204, "");
  assert.equal(parsed.status, "COMPLETE");
  assert.deepEqual(parsed.results, []);
});

// The contract points every operation shares with update, run the same way for each: pacing
// under the token's limit (no 429), onProgress, and an abort mid-run that keeps what was done.
const OPS = {
  upsert: { inputs: (n) => range(1, n).map((k) => ({ id: `ext-${k}`, properties: { amount: `${k}` } })), options: { idProperty: "deal_external_id" } },
  create: { inputs: (n) => range(1, n).map((k) => ({ properties: { dealname: `Paced ${k}` } })), options: {} },
  read: { inputs: (n) => range(1, n).map(String), options: { properties: ["amount"] } },
  archive: { inputs: (n) => range(1, n).map(String), options: {} },
};

/** Every input once: in results (counted) or in failed (by index). */
function accountsForAll(r, n, op) {
  const idx = new Set(r.failed.map((f) => f.index));
  assert.equal(idx.size, r.failed.length, `${op}: no input failed twice`);
  assert.equal(r.results.length + r.failed.length, n, `${op}: every input accounted for`);
}

for (const [op, { inputs, options }] of Object.entries(OPS)) {
  test(`${op}: paced under the token's limit (0 x 429), onProgress to the end`, () =>
    withEmu({ rateLimit: { requests: 4, intervalMs: 500 } }, async (emu) => {
      const xs = inputs(40);
      const seen = [];
      const r = await client(emu, { batchSize: 5, rateLimit: { requests: 4, intervalMs: 500 } })[op](xs, {
        ...options,
        onProgress: (p) => seen.push({ ...p }),
      });
      accountsForAll(r, 40, op);
      assert.equal(r.failed.length, 0, `${op}: ${JSON.stringify(r.failed[0])}`);
      assert.equal(r.stats.requests, 8);
      assert.equal(emu.emulator.getState().rateLimited, 0, `${op}: the emulator answered no 429`);
      assert.ok(r.stats.durationMs >= 500, `${op}: 8 requests at 4 per 500 ms span two windows (${r.stats.durationMs} ms)`);
      let prev = 0;
      for (const p of seen) {
        assert.ok(p.done >= prev && p.done <= 40, `${op}: progress monotonic`);
        prev = p.done;
      }
      assert.equal(seen.at(-1)?.done, 40, `${op}: progress ends at total`);
    }));

  test(`${op}: an abort mid-run rejects ABORTED, sends nothing after, and accounts for every input`, () =>
    withEmu({ latencyMs: 200 }, async (emu) => {
      const ac = new AbortController();
      const fetch = spyFetch();
      fetch.onCall = (_, n) => {
        if (n === 2) setTimeout(() => ac.abort(), 50);
      };
      const xs = inputs(20);
      const err = await rejection(() => client(emu, { fetch, concurrency: 1, batchSize: 5 })[op](xs, { ...options, signal: ac.signal }));
      assertHubSpotError(pkg.HubSpotError, err, "ABORTED", op);
      await new Promise((res) => setTimeout(res, 500));
      assert.equal(fetch.calls.length, 2, `${op}: no request after the abort`);
      accountsForAll(err.result, 20, op);
      assert.equal(err.result.results.length, 5, `${op}: the first batch was answered before the abort`);
      for (const f of err.result.failed) {
        // A create in flight when the abort came may have been applied: never "not sent".
        const ok = f.error.category === "ABORTED" || (op === "create" && f.error.category === "UNKNOWN_OUTCOME");
        assert.ok(ok, `${op}: ${JSON.stringify(f.error)}`);
      }
    }));
}

test("create: a batch HubSpot rejects whole for one bad value: that input fails, the rest are created once", () =>
  withEmu({}, async (emu) => {
    const inputs = range(1, 30).map((k) => ({ properties: { dealname: `I ${k}`, dealstage: k === 12 ? "nonsense" : "closedwon", description: `iso-${k}` } }));
    const r = await client(emu, { batchSize: 10 }).create(inputs);
    assert.deepEqual(r.failed.map((f) => f.index), [11]);
    assert.equal(r.failed[0].error.category, "VALIDATION_ERROR");
    assert.equal(r.failed[0].error.mayHaveApplied, undefined, "a rejected batch provably applied nothing");
    assert.equal(r.results.length, 29);
    assert.equal(emu.emulator.records("deals", { createdBy: "create" }).length, 29);
    assert.deepEqual(emu.emulator.duplicates("deals", "description"), [], "no record created twice");
  }));
