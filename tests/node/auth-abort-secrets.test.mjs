// Call-level failures (contract 6: 401, 403, abort), secrets (8), and the instance staying
// usable afterwards (9).
import { test } from "node:test";
import assert from "node:assert/strict";
import http from "node:http";
import { inspect } from "node:util";
import {
  TOKEN,
  assertAccountsForAll,
  assertHubSpotError,
  assertWritten,
  client,
  dealInputs,
  dump,
  pkg,
  range,
  rejection,
  sleep,
  spyFetch,
  stillWorks,
  usePackage,
  withEmu,
} from "./helpers.mjs";

usePackage();

// A fetch that swaps the token of the n-th request only (a token revoked mid-run; later
// update() calls through the same spy use the right token again).
function tokenSwapFetch(atCall, token) {
  return spyFetch((input, init, call, n) => {
    if (n !== atCall) return globalThis.fetch(input, init);
    const req = new Request(input, init);
    const headers = new Headers(req.headers);
    headers.set("authorization", `Bearer ${token}`);
    return globalThis.fetch(req.url, { method: req.method, headers, body: call.body, signal: init?.signal, redirect: init?.redirect });
  });
}

// --------------------------------------------------------------------------- 401 / 403

test("401 (wrong token) rejects when nothing was updated; not retried", () =>
  withEmu({}, async (emu) => {
    const fetch = spyFetch();
    const c = new pkg.HubSpotBatch({ accessToken: "wrong-token-XYZZY", baseUrl: emu.url, fetch, maxRetries: 3, concurrency: 1, batchSize: 5 });
    const err = await rejection(() => c.update(dealInputs(range(1, 20))));
    assertHubSpotError(pkg.HubSpotError, err, "HTTP_ERROR", "401");
    assert.equal(err.status, 401);
    assert.equal(err.category, "INVALID_AUTHENTICATION");
    assert.match(err.correlationId, /^[0-9a-f-]{36}$/);
    assert.equal(fetch.calls.length, 1, "the run stopped at the 401");
    assert.equal(emu.emulator.getLog().length, 1);
    assert.equal(emu.emulator.getState().applied, 0);
    assert.ok(!dump(err).includes("XYZZY"), "the wrong token is not echoed");
  }));

test("403 (forbidden-token) rejects with HubSpot's details when nothing was updated", () =>
  withEmu({}, async (emu) => {
    const fetch = spyFetch();
    const c = new pkg.HubSpotBatch({ accessToken: "forbidden-token", baseUrl: emu.url, fetch, concurrency: 1, batchSize: 5 });
    const err = await rejection(() => c.update(dealInputs(range(1, 12))));
    assertHubSpotError(pkg.HubSpotError, err, "HTTP_ERROR", "403");
    assert.equal(err.status, 403);
    assert.equal(err.category, "MISSING_SCOPES");
    assert.ok(Array.isArray(err.errors) && err.errors.length === 1);
    assert.equal(err.errors[0].message, "One or more of the following scopes are required.");
    assert.deepEqual(err.errors[0].context?.requiredGranularScopes, ["crm.objects.deals.write"]);
    assert.equal(fetch.calls.length, 1);
    assert.ok(!dump(err).includes("forbidden-token"));
  }));

for (const [status, token] of [[401, "revoked-token"], [403, "forbidden-token"]]) {
  test(`${status} after something was updated: resolves CANCELED, the rest in failed, nothing sent after`, () =>
    withEmu({}, async (emu) => {
      const fetch = tokenSwapFetch(3, token);
      const inputs = dealInputs(range(1, 50));
      const c = client(emu, { fetch, concurrency: 1, batchSize: 10 });
      const r = await c.update(inputs);
      assert.equal(r.status, "CANCELED");
      const updated = assertAccountsForAll(r, inputs);
      assert.equal(r.results.length, 20, "the first two batches were updated");
      assert.deepEqual(r.failed.map((f) => f.index), range(20, 49));
      assert.ok(r.failed.every((f) => f.error.status === status || f.error.status === null), JSON.stringify(r.failed[0]));
      assert.ok(r.failed.slice(0, 10).every((f) => f.error.status === status), "the batch that got the answer carries its status");
      assert.equal(fetch.calls.length, 3, "no request after the stop");
      assertWritten(emu.emulator, "deals", inputs, updated);
      assert.equal(emu.emulator.getState().applied, 20);
      await stillWorks(c, emu);
    }));
}

// --------------------------------------------------------------------------- abort

test("abort: rejects ABORTED with the signal's reason as cause; nothing is sent after; result accounts for all", () =>
  withEmu({ latencyMs: 300 }, async (emu) => {
    const ac = new AbortController();
    const reason = new Error("user clicked stop");
    const fetch = spyFetch();
    let abortedAt = null;
    let abortTime = 0;
    fetch.onCall = (_, n) => {
      if (n === 2) setTimeout(() => { abortedAt = fetch.calls.length; abortTime = Date.now(); ac.abort(reason); }, 50);
    };
    const inputs = dealInputs(range(1, 20));
    const c = client(emu, { fetch, concurrency: 1, batchSize: 5 });
    const err = await rejection(() => c.update(inputs, { signal: ac.signal }));
    assertHubSpotError(pkg.HubSpotError, err, "ABORTED", "abort");
    assert.equal(err.cause, reason, "cause is the signal's reason");
    assert.ok(Date.now() - abortTime < 200, `rejects promptly after the abort (${Date.now() - abortTime} ms), without waiting for the request in flight`);
    assert.equal(abortedAt, 2);
    await sleep(700); // long enough for more requests to show up if any were sent
    assert.equal(fetch.calls.length, 2, "no request after the abort");
    assert.equal(emu.emulator.getLog().length, 2);
    const inFlight = fetch.calls[1].signal;
    assert.ok(inFlight instanceof AbortSignal, "the request in flight was given an AbortSignal");
    assert.equal(inFlight.aborted, true, "the request in flight was aborted too");
    assert.ok(err.result, "the error carries the partial result");
    const updated = assertAccountsForAll(err.result, inputs);
    assert.equal(err.result.results.length, 5, "the first batch was answered before the abort");
    assert.ok(err.result.failed.every((f) => f.error.category === "ABORTED"));
    assertWritten(emu.emulator, "deals", inputs, updated);
    emu.emulator.configure({ latencyMs: 0 });
    await stillWorks(c, emu);
  }));

test("abort without a reason: cause is the signal's AbortError", () =>
  withEmu({ latencyMs: 200 }, async (emu) => {
    const ac = new AbortController();
    const c = client(emu);
    const p = c.update(dealInputs(range(1, 5)), { signal: ac.signal });
    await sleep(50);
    ac.abort();
    const err = await rejection(p);
    assertHubSpotError(pkg.HubSpotError, err, "ABORTED", "abort()");
    assert.equal(err.cause, ac.signal.reason);
    assert.equal(err.cause.name, "AbortError");
    assertAccountsForAll(err.result, dealInputs(range(1, 5)));
  }));

test("an already-aborted signal sends nothing", () =>
  withEmu({}, async (emu) => {
    const fetch = spyFetch();
    const c = client(emu, { fetch });
    const reason = { why: "already" };
    const inputs = dealInputs(range(1, 10));
    const err = await rejection(() => c.update(inputs, { signal: AbortSignal.abort(reason) }));
    assertHubSpotError(pkg.HubSpotError, err, "ABORTED", "pre-aborted");
    assert.equal(err.cause, reason);
    await sleep(100);
    assert.equal(fetch.calls.length, 0);
    assert.equal(emu.emulator.getLog().length, 0);
    // README: the ABORTED error's result accounts for every input.
    assert.ok(err.result, "the error carries the result");
    assertAccountsForAll(err.result, inputs);
    assert.equal(err.result.results.length, 0, "nothing updated");
    assert.ok(err.result.failed.every((f) => f.error.category === "ABORTED"), "every input failed ABORTED");
    await stillWorks(c, emu);
  }));

test("abort while waiting out a 429: rejects promptly, nothing more sent", () =>
  withEmu({}, async (emu) => {
    emu.emulator.queueFaults(["429-ten-secondly"]); // no Retry-After: waits the emulator's 10 s window
    const fetch = spyFetch();
    const ac = new AbortController();
    const c = client(emu, { fetch });
    const p = c.update(dealInputs(range(1, 5)), { signal: ac.signal });
    await sleep(300);
    const t = Date.now();
    ac.abort(new Error("enough"));
    const err = await rejection(p);
    assert.ok(Date.now() - t < 200, "the wait was cut short");
    assertHubSpotError(pkg.HubSpotError, err, "ABORTED", "abort during backoff");
    assert.equal(err.cause.message, "enough");
    await sleep(200);
    assert.equal(fetch.calls.length, 1);
    assertAccountsForAll(err.result, dealInputs(range(1, 5)));
  }));

// --------------------------------------------------------------------------- secrets

const SECRET = "pat-na1-SECRET-0f9e8d7c-6b5a";

test("secrets: the token never appears in errors, results, the emulator log, or console output", () =>
  withEmu({ tokens: [TOKEN, SECRET] }, async (emu) => {
    const printed = [];
    const saved = {};
    for (const k of ["log", "info", "warn", "error", "debug", "trace"]) {
      saved[k] = console[k];
      console[k] = (...a) => printed.push(a.map((x) => (typeof x === "string" ? x : inspect(x))).join(" "));
    }
    const stderrWrite = process.stderr.write;
    const captured = [];
    process.stderr.write = function (chunk, ...rest) { captured.push(String(chunk)); return stderrWrite.call(this, chunk, ...rest); };
    const seen = [];
    try {
      const c = new pkg.HubSpotBatch({ accessToken: SECRET, baseUrl: emu.url, maxRetries: 1, timeoutMs: 500, batchSize: 5 });
      seen.push(inspect(c, { showHidden: true, depth: 5 }), JSON.stringify(c) ?? "");
      // Success, with an unknown id.
      const inputs = [...dealInputs(range(1, 4)), { id: "77777", properties: { amount: "1" } }];
      seen.push(dump(await c.update(inputs)));
      // INVALID_INPUT.
      seen.push(dump(await rejection(() => c.update([{ id: "1", properties: { amount: NaN } }]))));
      // Server errors until retries run out, a malformed 200, a hang (timeout).
      emu.emulator.queueFaults(["500", "500", "html-200", "html-200", "hang", "hang"]);
      seen.push(dump(await c.update(dealInputs(range(1, 15)), { onProgress: (p) => seen.push(JSON.stringify(p)) })));
      // Validation error (split), daily limit.
      seen.push(dump(await c.update([...dealInputs(range(1, 3)), { id: "4", properties: { dealstage: "nope" } }])));
      emu.emulator.queueFaults(["429-daily"]);
      seen.push(dump(await rejection(() => c.update(dealInputs([1])))));
      // Abort.
      seen.push(dump(await rejection(() => c.update(dealInputs([1]), { signal: AbortSignal.abort() }))));
      // Network error: nothing listens on 127.0.0.1:1.
      const dead = new pkg.HubSpotBatch({ accessToken: SECRET, baseUrl: "http://127.0.0.1:1", maxRetries: 0 });
      const r = await dead.update(dealInputs([1, 2]));
      assertAccountsForAll(r, dealInputs([1, 2]));
      assert.ok(r.failed.every((f) => f.error.category === "NETWORK_ERROR" && f.error.status === null), JSON.stringify(r.failed[0]));
      seen.push(dump(r));
      // 401 on a token the server does not know.
      const wrong = new pkg.HubSpotBatch({ accessToken: `${SECRET}-revoked`, baseUrl: emu.url });
      seen.push(dump(await rejection(() => wrong.update(dealInputs([1])))));
      // Sans-IO parse errors.
      try { pkg.parseBatchResponse(401, '{"status":"error","message":"Authentication credentials not found.","category":"INVALID_AUTHENTICATION","correlationId":"x"}'); } catch (e) { seen.push(dump(e)); }
    } finally {
      Object.assign(console, saved);
      process.stderr.write = stderrWrite;
    }
    seen.push(JSON.stringify(emu.emulator.getLog()));
    const all = [...seen, ...printed, ...captured].join("\n");
    assert.ok(!all.includes("SECRET-0f9e8d7c"), `token leaked: ...${all.slice(Math.max(0, all.indexOf("SECRET") - 200), all.indexOf("SECRET") + 50)}`);
    assert.ok(emu.emulator.getLog().some((e) => e.authorization === "bearer-valid"), "the token was used");
  }));

test("secrets: http:// to a non-loopback host is refused; loopback http is accepted", () => {
  let err;
  try {
    new pkg.HubSpotBatch({ accessToken: SECRET, baseUrl: "http://example.com" });
  } catch (e) {
    err = e;
  }
  assertHubSpotError(pkg.HubSpotError, err, "INVALID_CONFIG", "http://example.com");
  assert.ok(!dump(err).includes("SECRET"));
  for (const baseUrl of ["http://127.0.0.1:1", "http://localhost:1", "http://[::1]:1"]) {
    assert.doesNotThrow(() => new pkg.HubSpotBatch({ accessToken: SECRET, baseUrl }), baseUrl);
  }
  err = undefined;
  try {
    new pkg.HubSpotBatch({});
  } catch (e) {
    err = e;
  }
  assertHubSpotError(pkg.HubSpotError, err, "INVALID_CONFIG", "no accessToken, default baseUrl");
});

test("secrets: the Authorization header never follows a redirect to another origin", async () => {
  const other = { requests: [] };
  const target = http.createServer((req, res) => {
    other.requests.push({ url: req.url, authorization: req.headers.authorization });
    req.resume();
    req.on("end", () => {
      res.writeHead(200, { "content-type": "application/json" });
      res.end(JSON.stringify({ status: "COMPLETE", results: [], startedAt: new Date().toISOString(), completedAt: new Date().toISOString() }));
    });
  });
  await new Promise((r) => target.listen(0, "127.0.0.1", r));
  const targetUrl = `http://127.0.0.1:${target.address().port}`;
  let first = 0;
  const redirector = http.createServer((req, res) => {
    first++;
    req.resume();
    req.on("end", () => {
      res.writeHead(307, { location: `${targetUrl}${req.url}`, "content-type": "text/plain" });
      res.end("moved");
    });
  });
  await new Promise((r) => redirector.listen(0, "127.0.0.1", r));
  try {
    const c = new pkg.HubSpotBatch({ accessToken: SECRET, baseUrl: `http://127.0.0.1:${redirector.address().port}`, maxRetries: 0 });
    const inputs = dealInputs([1, 2, 3]);
    let out;
    try {
      out = { value: await c.update(inputs) };
    } catch (e) {
      out = { error: e };
    }
    assert.ok(first >= 1, "the redirecting server was called");
    assert.ok(other.requests.every((r) => !r.authorization), `the token followed the redirect: ${JSON.stringify(other.requests)}`);
    if (out.value) {
      assertAccountsForAll(out.value, inputs);
      assert.equal(out.value.results.length, 0, "nothing is reported updated");
      assert.ok(!dump(out.value).includes("SECRET"));
    } else {
      assert.ok(out.error instanceof pkg.HubSpotError);
      assert.ok(!dump(out.error).includes("SECRET"));
    }
  } finally {
    redirector.closeAllConnections();
    target.closeAllConnections();
    await new Promise((r) => redirector.close(r));
    await new Promise((r) => target.close(r));
  }
});
