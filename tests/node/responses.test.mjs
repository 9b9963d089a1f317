// What HubSpot (or anything in between) may answer, through the `fetch` option: odd, partial
// and malformed answers never make an input count as updated when it was not (contract 1),
// never trap (9), and the instance keeps working.
import { describe, it } from "node:test";
import assert from "node:assert/strict";
import { assertAccountsForAll, assertNotTrap, pkg, sleep, spyFetch, usePackage } from "./helpers.mjs";

usePackage();

const BASE = "http://127.0.0.1:9"; // never contacted: every test injects fetch
const now = () => new Date().toISOString();
const json = (status, body, headers = {}) =>
  new Response(typeof body === "string" ? body : JSON.stringify(body), { status, headers: { "content-type": "application/json", ...headers } });
const obj = (input, extra = {}) => ({
  id: input.id,
  properties: { ...input.properties, hs_object_id: input.id, hs_closed_amount: null },
  createdAt: "2024-01-01T00:00:00.000Z",
  updatedAt: now(),
  archived: false,
  ...(input.objectWriteTraceId !== undefined ? { objectWriteTraceId: input.objectWriteTraceId } : {}),
  ...extra,
});
const complete = (results, extra = {}) => ({ status: "COMPLETE", results, startedAt: now(), completedAt: now(), ...extra });
// A fake HubSpot: answers with respond(sentInputs, callNumber).
const fake = (respond) => spyFetch(async (input, init, call, n) => respond(JSON.parse(call.body).inputs, n));
const okFetch = () => fake((sent) => json(200, complete(sent.map((x) => obj(x)))));
const inputsOf = (ids) => ids.map((id) => ({ id: String(id), properties: { amount: String(id) } }));

async function settle(p) {
  try {
    return { value: await p };
  } catch (e) {
    assertNotTrap(e);
    return { error: e };
  }
}

async function stillWorks(makeClient) {
  const c = makeClient(okFetch());
  const r = await c.update(inputsOf([1, 2, 3]));
  assert.equal(r.results.length, 3, "still works");
}

describe("odd answers", { concurrency: true }, () => {
  it("results that name other records or unknown trace ids do not count; duplicates count once", async () => {
    const inputs = inputsOf([1, 2, 3, 4]);
    const fetch = fake((sent) =>
      json(
        200,
        complete([
          obj(sent[0]),
          obj(sent[0]), // duplicate
          obj({ id: "999", properties: {}, objectWriteTraceId: "someone-else" }),
          obj({ id: "2", properties: {} }, { objectWriteTraceId: "not-ours" }), // id 2 but a foreign trace id
          obj({ id: "4", properties: {} }, { objectWriteTraceId: sent[0].objectWriteTraceId }), // trace of input 0, wrong record
        ]),
      ),
    );
    const r = await new pkg.HubSpotBatch({ accessToken: "t", baseUrl: BASE, fetch, maxRetries: 0 }).update(inputs);
    assertAccountsForAll(r, inputs);
    assert.deepEqual(r.results.map((o) => o.id), ["1"]);
    assert.deepEqual(r.failed.map((f) => f.index), [1, 2, 3]);
    assert.ok(r.failed.every((f) => f.error.category === "NOT_UPDATED"));
  });

  it("results without trace ids are matched by id (HubSpot may not echo them)", async () => {
    const inputs = inputsOf([5, 6, 7]);
    const fetch = fake((sent) => json(200, complete(sent.slice(0, 2).reverse().map((x) => obj({ id: x.id, properties: x.properties })))));
    const r = await new pkg.HubSpotBatch({ accessToken: "t", baseUrl: BASE, fetch, maxRetries: 0 }).update(inputs);
    assertAccountsForAll(r, inputs);
    assert.deepEqual(r.results.map((o) => o.id).sort(), ["5", "6"]);
    assert.deepEqual(r.failed.map((f) => f.index), [2]);
  });

  it("a 207 whose errors name an id that is also in results: counted once", async () => {
    const inputs = inputsOf([1, 2, 3]);
    const fetch = fake((sent) =>
      json(
        207,
        complete([obj(sent[0]), obj(sent[1])], {
          numErrors: 1,
          errors: [{ status: "error", category: "OBJECT_NOT_FOUND", message: "not found", context: { ids: ["1", "3"] }, links: {}, errors: [] }],
        }),
      ),
    );
    const r = await new pkg.HubSpotBatch({ accessToken: "t", baseUrl: BASE, fetch, maxRetries: 0 }).update(inputs);
    assertAccountsForAll(r, inputs);
    assert.deepEqual(r.results.map((o) => o.id).sort(), ["1", "2"]);
    assert.deepEqual(r.failed.map((f) => [f.index, f.error.category]), [[2, "OBJECT_NOT_FOUND"]]);
    assert.equal(r.numErrors, r.errors.length);
  });

  const BAD_BODIES = [
    ["HTML", "<html>maintenance</html>"],
    ["empty", ""],
    ["null", "null"],
    ["array", "[]"],
    ["results not an array", '{"status":"COMPLETE","results":5,"startedAt":"a","completedAt":"b"}'],
    ["result without id", '{"status":"COMPLETE","results":[{"properties":{}}],"startedAt":"a","completedAt":"b"}'],
    ["numeric id", '{"status":"COMPLETE","results":[{"id":1,"properties":{},"createdAt":"a","updatedAt":"b","archived":false}],"startedAt":"a","completedAt":"b"}'],
    ["deeply nested arrays", "[".repeat(200_000)],
    ["deeply nested objects", '{"status":'.repeat(100_000)],
    ["deep value inside a valid shape", `{"status":"COMPLETE","results":[],"startedAt":"a","completedAt":"b","extra":${"[".repeat(100_000)}${"]".repeat(100_000)}}`],
    ["invalid UTF-16 escapes", '{"status":"COMPLETE","results":[{"id":"\\ud800","properties":{"a":"\\udc00"}}],"startedAt":"a","completedAt":"b"}'],
    ["huge number", `{"status":"COMPLETE","results":[],"startedAt":"a","completedAt":"b","numErrors":1e999}`],
    ["NUL bytes", '{"status":"COMPLETE"\u0000}'],
  ];
  for (const status of [200, 207]) {
    for (const [what, body] of BAD_BODIES) {
      it(`${status} with a bad body (${what}): not updated, no trap`, async () => {
        const inputs = inputsOf([1, 2]);
        const fetch = fake(() => new Response(body, { status, headers: { "content-type": "application/json" } }));
        const make = (f) => new pkg.HubSpotBatch({ accessToken: "t", baseUrl: BASE, fetch: f, maxRetries: 0 });
        const out = await settle(make(fetch).update(inputs));
        assert.ok(out.value, `resolves (got ${out.error})`);
        assertAccountsForAll(out.value, inputs);
        // Nothing is updated from a body that is not a batch response naming the input. (A
        // numeric id "1" is a gray area: a lenient reader may match it to input "1".)
        if (what !== "numeric id") assert.equal(out.value.results.length, 0, `updated from a bad body: ${what}`);
        for (const f of out.value.failed) assert.ok(["MALFORMED_RESPONSE", "NOT_UPDATED"].includes(f.error.category), `${what}: ${f.error.category}`);
        await stillWorks(make);
      });
    }
  }

  it("a very large valid body (5 MB) is read", async () => {
    const inputs = inputsOf([1, 2]);
    const fetch = fake((sent) => json(200, complete(sent.map((x) => obj(x, { properties: { ...x.properties, description: "x".repeat(5 << 20 >> 1) } })))));
    const r = await new pkg.HubSpotBatch({ accessToken: "t", baseUrl: BASE, fetch, maxRetries: 0 }).update(inputs);
    assertAccountsForAll(r, inputs);
    assert.equal(r.results.length, 2);
  });

  it("a body with invalid UTF-8 is read with U+FFFD where Rust's from_utf8_lossy puts them", async () => {
    const inputs = inputsOf([1]);
    // Ill-formed sequences of each kind; the expected text is what String::from_utf8_lossy
    // gives for these bytes (checked with rustc), one U+FFFD per maximal ill-formed subpart.
    const bad = [0x63, 0x61, 0x66, 0xc3, 0xff, 0x7c, 0x80, 0x7c, 0xe2, 0x82, 0x78, 0x7c, 0xc0, 0xaf, 0x7c, 0xf0, 0x9f, 0x98, 0x7c, 0xed, 0xa0, 0x80, 0x7c, 0x6f, 0x6b];
    const expected = "caf\uFFFD\uFFFD|\uFFFD|\uFFFDx|\uFFFD\uFFFD|\uFFFD|\uFFFD\uFFFD\uFFFD|ok";
    const fetch = fake((sent) => {
      const text = JSON.stringify(complete(sent.map((x) => obj(x, { properties: { ...x.properties, dealname: "@@" } }))));
      const at = text.indexOf("@@");
      const bytes = new TextEncoder().encode(text);
      const body = new Uint8Array([...bytes.subarray(0, at), ...bad, ...bytes.subarray(at + 2)]);
      return new Response(body, { status: 200, headers: { "content-type": "application/json" } });
    });
    const r = await new pkg.HubSpotBatch({ accessToken: "t", baseUrl: BASE, fetch, maxRetries: 0 }).update(inputs);
    assertAccountsForAll(r, inputs);
    assert.equal(r.results.length, 1);
    assert.equal(r.results[0].properties.dealname, expected);
  });

  const ODD_ERRORS = [
    ["500 with a numeric message", 500, '{"status":"error","message":123,"category":5}'],
    ["400 with a broken embedded array", 400, '{"status":"error","message":"Property values were not valid: [{\\"name\\":","category":"VALIDATION_ERROR","correlationId":"c"}'],
    ["400 with a huge embedded array", 400, JSON.stringify({ status: "error", category: "VALIDATION_ERROR", correlationId: "c", message: `Property values were not valid: ${JSON.stringify(Array.from({ length: 5000 }, (_, i) => ({ isValid: false, message: `m${i}`, error: "INVALID_OPTION", name: `p${i}` })))}` })],
    ["400 with deep JSON in the message", 400, JSON.stringify({ status: "error", category: "VALIDATION_ERROR", message: `Property values were not valid: ${"[".repeat(100_000)}` })],
    ["409 conflict", 409, '{"status":"error","message":"conflict","category":"CONFLICT","correlationId":"c"}'],
    ["404 text", 404, "Not Found"],
    ["418 empty", 418, ""],
    ["599 HTML", 599, "<html></html>"],
    ["201 with a batch body", 201, JSON.stringify(complete([]))],
    ["202 empty", 202, ""],
    ["204 no content", 204, null],
    ["302 without Location", 302, ""],
    ["301 to another origin", 301, ""],
  ];
  for (const [what, status, body] of ODD_ERRORS) {
    it(`odd answer: ${what} -> inputs failed, none updated, no trap`, async () => {
      const inputs = inputsOf([1, 2, 3]);
      const headers = status === 301 ? { location: "https://evil.example/steal" } : {};
      const fetch = fake(() => new Response(body, { status, headers: { "content-type": "application/json", ...headers } }));
      const make = (f) => new pkg.HubSpotBatch({ accessToken: "t", baseUrl: BASE, fetch: f, maxRetries: 1, timeoutMs: 500 });
      const out = await settle(make(fetch).update(inputs));
      assert.ok(out.value, `resolves (got ${out.error?.stack})`);
      assertAccountsForAll(out.value, inputs);
      assert.equal(out.value.results.length, 0);
      for (const f of out.value.failed) assert.ok(f.error.status === status || f.error.status === null, `${what}: status ${f.error.status}`);
      await stillWorks(make);
    });
  }

  const BAD_FETCHES = [
    ["throws synchronously", () => { throw new Error("sync boom"); }],
    ["rejects with a string", () => Promise.reject("string boom")], // eslint-disable-line prefer-promise-reject-errors
    ["rejects with undefined", () => Promise.reject(undefined)], // eslint-disable-line prefer-promise-reject-errors
    ["returns a number", () => 42],
    ["resolves to null", async () => null],
    ["resolves to a plain object", async () => ({ status: 200, ok: true })],
    ["resolves to a fake response whose text() throws", async () => ({ status: 200, ok: true, headers: new Headers(), text: () => { throw new Error("text boom"); }, json: () => { throw new Error("json boom"); } })],
    ["body stream errors", async () => new Response(new ReadableStream({ start(c) { c.enqueue(new TextEncoder().encode('{"status":"COMP')); c.error(new Error("stream boom")); } }), { status: 200 })],
    ["never settles and ignores the signal (timeoutMs must still apply)", () => new Promise(() => {})],
    ["answers 200 with a body that never ends (timeoutMs must still apply)", async () => new Response(new ReadableStream({ start() {} }), { status: 200 })],
  ];
  for (const [what, impl] of BAD_FETCHES) {
    it(`a fetch that ${what}: inputs failed, no trap, instance usable`, async () => {
      const inputs = inputsOf([1, 2, 3]);
      let calls = 0;
      const f = function (...args) {
        calls++;
        return impl(...args);
      };
      const c = new pkg.HubSpotBatch({ accessToken: "t", baseUrl: BASE, fetch: f, maxRetries: 1, timeoutMs: 300 });
      // A timer of ours keeps the event loop alive, so a run that never settles fails here
      // instead of being cancelled by the test runner.
      const out = await Promise.race([settle(c.update(inputs)), sleep(5000).then(() => "stuck")]);
      assert.notEqual(out, "stuck", "update() did not settle within 5 s (timeoutMs is 300, maxRetries 1)");
      assert.ok(out.value, `resolves (got ${out.error?.stack})`);
      assertAccountsForAll(out.value, inputs);
      assert.equal(out.value.results.length, 0);
      assert.ok(calls >= 1 && calls <= 2, `at most maxRetries (1) retries, got ${calls} calls`);
      await stillWorks((fetch) => new pkg.HubSpotBatch({ accessToken: "t", baseUrl: BASE, fetch }));
    });
  }

  it("garbage rate-limit headers and Retry-After do not stall or crash the run", { timeout: 20_000 }, async () => {
    const inputs = inputsOf([1, 2, 3, 4, 5, 6]);
    const fetch = fake((sent, n) => {
      if (n === 1) return json(429, { status: "error", message: "secondly", category: "RATE_LIMITS", policyName: "SECONDLY", errorType: "RATE_LIMIT" }, { "retry-after": "soon-ish", "x-hubspot-ratelimit-interval-milliseconds": "NaN" });
      return json(200, complete(sent.map((x) => obj(x))), {
        "x-hubspot-ratelimit-max": n % 2 ? "0" : "-5",
        "x-hubspot-ratelimit-remaining": n % 2 ? "-1" : "1e400",
        "x-hubspot-ratelimit-interval-milliseconds": n % 2 ? "-100" : "Infinity",
        "retry-after": "-3",
      });
    });
    const started = Date.now();
    const r = await new pkg.HubSpotBatch({ accessToken: "t", baseUrl: BASE, fetch, batchSize: 2, concurrency: 1, maxRetries: 2 }).update(inputs);
    assertAccountsForAll(r, inputs);
    assert.equal(r.results.length, 6);
    assert.ok(Date.now() - started < 15_000, `took ${Date.now() - started} ms`);
  });

  it("abort while a fetch that ignores the signal is in flight: rejects promptly", async () => {
    const fetch = spyFetch(() => new Promise(() => {}));
    const c = new pkg.HubSpotBatch({ accessToken: "t", baseUrl: BASE, fetch, timeoutMs: 2_000 }); // its timer outlives the abort (see report)
    const ac = new AbortController();
    const p = settle(c.update(inputsOf([1, 2]), { signal: ac.signal }));
    await sleep(100);
    ac.abort(new Error("stop"));
    const out = await Promise.race([p, sleep(2000).then(() => "stuck")]);
    assert.notEqual(out, "stuck", "update() did not settle within 2 s of the abort");
    assert.equal(out.error?.code, "ABORTED");
    assertAccountsForAll(out.error.result, inputsOf([1, 2]));
  });

  it("a huge Retry-After on a 429 does not hang forever: it can be aborted", { timeout: 10_000 }, async () => {
    const fetch = fake(() => json(429, { status: "error", message: "x", category: "RATE_LIMITS", policyName: "TEN_SECONDLY_ROLLING" }, { "retry-after": "99999999" }));
    const c = new pkg.HubSpotBatch({ accessToken: "t", baseUrl: BASE, fetch, maxRetries: 3 });
    const out = await settle(c.update(inputsOf([1]), { signal: AbortSignal.timeout(500) }));
    assert.ok(out.error, "rejects when the signal fires");
    assert.equal(out.error.code, "ABORTED");
    assert.equal(fetch.calls.length, 1);
  });
});
