// Secrets (issue 6; contract point 8): the access token never appears in an error message, a
// thrown value, a result, a log line or a URL; `baseUrl` is https unless loopback; the
// Authorization header never follows a redirect to another origin.
//
// A distinctive token ("pat-na1-SECRET-<uuid>") goes through representative flows (success,
// every fault kind, 401/403, validation errors, abort, bad options, the proxy handler's
// refusals and runs); everything observable is collected: every error's message, stack,
// cause, JSON and util.inspect (showHidden), every JSON.stringify(result), console.* and
// process.stdout/stderr output (patched, still forwarded), the emulator's log entries and its
// --log lines, and every request URL and body (a wrapping fetch). The scan looks for the token,
// its random part, and its base64 / URL-encoded forms. The only place the token may appear is
// the Authorization header of requests to the emulator's origin (checked to be exactly that).
import { test, before, after } from "node:test";
import assert from "node:assert/strict";
import http from "node:http";
import { randomUUID } from "node:crypto";
import { inspect } from "node:util";
import { startEmulator, FAULT_KINDS } from "../emulator/emulator.mjs";
import { loadPackage, sleep } from "../chaos/support.mjs";

const RANDOM = randomUUID();
const TOKEN = `pat-na1-SECRET-${RANDOM}`;
const WRONG = `pat-na1-WRONGSECRET-${randomUUID()}`; // a token the emulator does not know (401)
const NEEDLES = [TOKEN, RANDOM, RANDOM.slice(0, 13), WRONG.slice(20), Buffer.from(TOKEN).toString("base64"),
  Buffer.from(`Bearer ${TOKEN}`).toString("base64"), encodeURIComponent(TOKEN), TOKEN.split("").reverse().join("")];

let m;
const collected = []; // { where, text }
const headerLeaks = []; // Authorization headers that went somewhere else
let requestsSeen = 0;
let authSeen = 0; // requests that carried the token where it belongs

/** Everything a value exposes, as text: JSON, inspect (hidden too), message, stack, cause, result. */
function dump(value, depth = 0) {
  const parts = [];
  try { parts.push(JSON.stringify(value)); } catch (e) { parts.push(`<JSON.stringify threw ${e}>`); }
  try { parts.push(inspect(value, { depth: 12, showHidden: true, getters: true, maxStringLength: Infinity, maxArrayLength: Infinity })); } catch {}
  try { parts.push(String(value)); } catch {}
  if (value && typeof value === "object" && depth < 4) {
    for (const k of ["message", "stack", "name", "code", "category", "correlationId", "policyName", "subCategory"]) {
      try { if (value[k] !== undefined) parts.push(String(value[k])); } catch {}
    }
    for (const k of ["cause", "result", "errors", "context"]) {
      try { if (value[k] !== undefined) parts.push(dump(value[k], depth + 1)); } catch {}
    }
  }
  return parts.join("\n");
}
const collect = (where, value) => collected.push({ where, text: typeof value === "string" ? value : dump(value) });

function leaksIn(text) {
  return NEEDLES.filter((n) => text.includes(n));
}

/** A fetch that records every URL and body, and where the Authorization header went. */
function watchingFetch(allowedOrigin) {
  return async (url, init = {}) => {
    requestsSeen++;
    const u = String(url);
    collect(`request URL ${u.slice(0, 60)}`, u);
    collect("request body", typeof init.body === "string" ? init.body : dump(init.body));
    const auth = new Headers(init.headers).get("authorization");
    if (auth === `Bearer ${TOKEN}`) authSeen++;
    if (auth !== null && new URL(u).origin !== allowedOrigin) headerLeaks.push(`${new URL(u).origin} got Authorization`);
    if (auth !== null && auth !== `Bearer ${TOKEN}` && auth !== `Bearer ${WRONG}` && auth !== "Bearer forbidden-token") headerLeaks.push(`unexpected Authorization header shape`);
    // Everything else in init (signal, method, redirect...) must not carry it either.
    collect("request init (no headers)", dump({ ...init, headers: undefined, body: undefined }));
    return globalThis.fetch(url, init);
  };
}

// console.* and process output, captured for the whole file and forwarded.
const restore = [];
function patchOutput() {
  for (const k of ["log", "info", "warn", "error", "debug", "trace", "dir"]) {
    const orig = console[k];
    console[k] = (...args) => { collect(`console.${k}`, args.map((a) => dump(a)).join(" ")); return orig.apply(console, args); };
    restore.push(() => { console[k] = orig; });
  }
  for (const stream of [process.stdout, process.stderr]) {
    const orig = stream.write;
    stream.write = function (chunk, ...rest) {
      try { collect(stream === process.stdout ? "stdout" : "stderr", typeof chunk === "string" ? chunk : Buffer.from(chunk).toString("utf8")); } catch {}
      return orig.call(this, chunk, ...rest);
    };
    restore.push(() => { stream.write = orig; });
  }
}

before(async () => {
  m = await loadPackage();
  patchOutput();
});
after(() => {
  for (const r of restore) r();
});

const inputs = (from, n, extra = {}) => Array.from({ length: n }, (_, i) => ({ id: String(from + i), properties: { amount: `${from + i}.5`, ...extra } }));

async function outcome(where, p) {
  try {
    const r = await p;
    collect(`${where}: result`, r);
    return { result: r };
  } catch (e) {
    collect(`${where}: error`, e);
    return { error: e };
  }
}

test("flows through the client: the token is in no error, result, log line or URL", { timeout: 120_000 }, async (t) => {
  headerLeaks.length = 0;
  const emu = await startEmulator({ tokens: [TOKEN], deals: 500, seed: 3, log: true, dailyLimit: null, rateLimit: { requests: 1000, intervalMs: 1000 } });
  try {
    const fetch = watchingFetch(new URL(emu.url).origin);
    const opts = { accessToken: TOKEN, baseUrl: emu.url, fetch, maxRetries: 1, timeoutMs: 300, rateLimit: null, batchSize: 5, concurrency: 2 };
    const client = new m.HubSpotBatch(opts);
    collect("client", client);

    // success, with unknown ids and an invalid record (400 VALIDATION_ERROR, split)
    const ok = await outcome("success", client.update([...inputs(1, 12), { id: "999999", properties: { amount: "1" } }, { id: "20", properties: { dealstage: "nope" } }]));
    assert.ok(ok.result && ok.result.results.length === 12, "the success flow worked");
    emu.emulator.configure({ unknownIds: "omit" });
    await outcome("omit", client.update([...inputs(30, 3), { id: "999998", properties: { amount: "1" } }]));

    // every fault kind, each on the first attempt (and, for some, on the retry too)
    for (const kind of FAULT_KINDS) {
      emu.emulator.queueFaults(kind.startsWith("429-") && kind !== "429-daily" ? [kind] : [kind, kind]);
      const o = await outcome(`fault ${kind}`, client.update(inputs(100, 3)));
      if (kind === "429-daily") assert.equal(o.error?.code, "RATE_LIMITED", "DAILY rejects");
      collect(`emulator log after ${kind}`, emu.emulator.getLog(0));
      emu.emulator.reset();
    }

    // 401 (unknown token) and 403 (forbidden), first and mid-run
    const wrong = new m.HubSpotBatch({ ...opts, accessToken: WRONG });
    const e401 = await outcome("401", wrong.update(inputs(200, 3)));
    assert.equal(e401.error?.status, 401);
    const forbidden = new m.HubSpotBatch({ ...opts, accessToken: "forbidden-token" });
    const e403 = await outcome("403", forbidden.update(inputs(200, 3)));
    assert.equal(e403.error?.status, 403);
    let n = 0;
    const swapping = new m.HubSpotBatch({ ...opts, concurrency: 1, fetch: (url, init) => {
      n++;
      if (n === 2) init = { ...init, headers: { ...init.headers, Authorization: `Bearer ${WRONG}` } };
      return fetch(url, init);
    } });
    const canceled = await outcome("401 mid-run", swapping.update(inputs(210, 15)));
    assert.equal(canceled.result?.status, "CANCELED");

    // validation errors before sending, with the token in the client
    for (const [label, bad] of [
      ["non-finite", [{ id: "1", properties: { amount: NaN } }]],
      ["empty id", [{ id: "", properties: {} }]],
      ["duplicate ids", [{ id: "1", properties: {} }, { id: "1", properties: {} }]],
      ["unknown field", [{ id: "1", properties: {}, idproperty: "x" }]],
      ["semicolon", [{ id: "1", properties: { tags: ["a;b"] } }]],
      ["not an array", { a: 1 }],
    ]) {
      const o = await outcome(`invalid input ${label}`, client.update(bad));
      assert.equal(o.error?.code, "INVALID_INPUT", label);
    }

    // abort mid-run, with a reason and without
    emu.emulator.configure({ latencyMs: 200 });
    for (const reason of [new Error("user stop"), undefined]) {
      const ac = new AbortController();
      const p = client.update(inputs(300, 20), { signal: ac.signal });
      await sleep(100);
      ac.abort(reason);
      const o = await outcome(`abort ${reason ? "with" : "without"} reason`, p);
      assert.equal(o.error?.code, "ABORTED");
    }
    emu.emulator.configure({ latencyMs: 0 });

    // a fetch that fails in the runtime's way (connection refused), and one that throws
    const refused = new m.HubSpotBatch({ ...opts, baseUrl: "http://127.0.0.1:9", maxRetries: 0, fetch: watchingFetch("http://127.0.0.1:9") });
    await outcome("connection refused", refused.update(inputs(1, 2)));
    const throwing = new m.HubSpotBatch({ ...opts, maxRetries: 0, fetch: async (url, init) => { throw new Error(`boom at ${url}`); } });
    await outcome("fetch throws", throwing.update(inputs(1, 2)));

    // sans-IO helpers: errors with the token in the options
    for (const [label, f] of [
      ["build bad input", () => m.buildBatchUpdateRequests([{ id: "", properties: {} }], { accessToken: TOKEN })],
      ["build bad baseUrl", () => m.buildBatchUpdateRequests(inputs(1, 1), { accessToken: TOKEN, baseUrl: "http://example.com" })],
      ["build bad batchSize", () => m.buildBatchUpdateRequests(inputs(1, 1), { accessToken: TOKEN, batchSize: 0 })],
    ]) {
      try { f(); assert.fail(`${label} did not throw`); } catch (e) { if (e instanceof assert.AssertionError) throw e; collect(label, e); }
    }

    // the emulator's own log: entries and (log: true) stderr lines
    collect("emulator log", emu.emulator.getLog(0));
    collect("emulator state", emu.emulator.getState());
  } finally {
    await emu.close();
  }
  // A floor, not a count: it proves the flows above really went over HTTP. It is low
  // enough that sending fewer requests for the same work (pinpointing a 400) keeps it.
  assert.ok(requestsSeen >= 30, `flows sent requests (${requestsSeen})`);
  assert.ok(authSeen >= 30, `the token went in the Authorization header (${authSeen} requests)`);
  // The collectors saw every source (so a clean scan means something).
  const sources = new Set(collected.map((c) => c.where.split(/[: ]/)[0]));
  for (const src of ["stderr", "request", "success", "fault", "401", "403", "abort", "invalid", "emulator", "build"]) assert.ok(sources.has(src), `collected from ${src}`);
  assert.deepEqual(headerLeaks, [], "the Authorization header only went to the emulator");
  const leaks = collected.filter((c) => leaksIn(c.text).length);
  const kb = Math.round(collected.reduce((a, c) => a + c.text.length, 0) / 1024);
  t.diagnostic(`scanned ${collected.length} texts (${kb} KiB) from ${requestsSeen} requests; tokens found: ${leaks.length}`);
  console.log(`secrets: scanned ${collected.length} texts (${kb} KiB) from ${requestsSeen} requests; tokens found: ${leaks.length}`);
  assert.deepEqual(leaks.map((c) => `${c.where}: ${c.text.slice(Math.max(0, c.text.indexOf(leaksIn(c.text)[0]) - 80), c.text.indexOf(leaksIn(c.text)[0]) + 80)}`), [], "tokens found");
});

test("the scanner finds a planted token (self-check)", () => {
  const e = new Error("outer", { cause: { detail: Buffer.from(TOKEN).toString("base64") } });
  assert.ok(leaksIn(dump(e)).length, "base64 in a cause");
  assert.ok(leaksIn(dump({ result: { failed: [{ error: { message: `x ${RANDOM} y` } }] } })).length, "random part deep in a result");
  const hidden = {};
  Object.defineProperty(hidden, "t", { value: TOKEN, enumerable: false });
  assert.ok(leaksIn(dump(hidden)).length, "non-enumerable property");
});

test("bad options: INVALID_CONFIG, and the token is not echoed", () => {
  // [options, the option the error must name]. Every one is invalid (CONTRACT "The client";
  // README: unknown options are INVALID_CONFIG, a token must be usable as a header value), so
  // every one must throw: a constructor that accepts one fails the test.
  const cases = [
    [{ accessToken: TOKEN, baseUrl: "http://example.com" }, "baseUrl"],
    [{ accessToken: TOKEN, batchSize: 0 }, "batchSize"],
    [{ accessToken: TOKEN, timeoutMs: -1 }, "timeoutMs"],
    [{ accessToken: TOKEN, rateLimit: { requests: 0, intervalMs: 1 } }, "rateLimit"],
    [{ accessToken: TOKEN, accesToken: TOKEN }, "accesToken"], // a typo'd key holding the token
    [{ accessToken: `${TOKEN}\n` }, "accessToken"], // a token that cannot be a header value
    [{ accessToken: `${TOKEN} x` }, "accessToken"],
    [{ accessToken: `${TOKEN}é` }, "accessToken"],
  ];
  const wrong = [];
  const leaked = [];
  for (const [o, field] of cases) {
    const what = Object.keys(o).join(",") + (field === "accessToken" ? ` (${JSON.stringify(o.accessToken.slice(-2))})` : "");
    let c;
    try {
      c = new m.HubSpotBatch(o);
    } catch (e) {
      if (!(e instanceof m.HubSpotError && e.code === "INVALID_CONFIG")) wrong.push(`${what}: expected INVALID_CONFIG, got ${e?.code} ${e?.message}`);
      else if (!String(e.message).includes(field)) wrong.push(`${what}: the message does not name ${field}: ${e.message}`);
      collect("invalid options", e);
      if (leaksIn(dump(e)).length) leaked.push(`${what}: ${e.message}`);
      continue;
    }
    collect("accepted options", c);
    wrong.push(`${what}: accepted (expected INVALID_CONFIG)`);
  }
  assert.deepEqual(wrong, [], "every bad option set throws INVALID_CONFIG naming the option");
  assert.deepEqual(leaked, [], "tokens found in INVALID_CONFIG errors");
});

test("the proxy handler: refusals, runs and upstream errors never carry its token", { timeout: 60_000 }, async (t) => {
  headerLeaks.length = 0;
  const emu = await startEmulator({ tokens: [TOKEN], deals: 200, seed: 4, dailyLimit: null, rateLimit: null });
  try {
    const origin = "https://app.example.com";
    const base = { accessToken: TOKEN, allowedOrigins: [origin], baseUrl: emu.url, maxRetries: 1, timeoutMs: 300, rateLimit: null };
    const handler = m.createBatchUpdateHandler({ ...base, fetch: watchingFetch(new URL(emu.url).origin), maxBodyBytes: 10_000 });
    const wrongHandler = m.createBatchUpdateHandler({ ...base, accessToken: WRONG });
    const call = async (label, h, path, init) => {
      const res = await h(new Request(`https://proxy.example.workers.dev${path}`, init));
      const text = await res.text();
      collect(`proxy ${label}: ${res.status}`, text + "\n" + JSON.stringify([...res.headers]));
      return { status: res.status, text };
    };
    const json = (body, headers = {}) => ({ method: "POST", headers: { origin, "content-type": "application/json", ...headers }, body: JSON.stringify(body) });
    const upd = "/crm/v3/objects/0-3/batch/update";
    await call("preflight", handler, upd, { method: "OPTIONS", headers: { origin, "access-control-request-method": "POST" } });
    await call("bad origin", handler, upd, { ...json({ inputs: [] }), headers: { origin: "https://evil.example.com", "content-type": "application/json" } });
    await call("bad object type", handler, "/crm/v3/objects/2-999/batch/update", json({ inputs: [] }));
    await call("oversized", handler, upd, json({ inputs: inputs(1, 1), pad: "x".repeat(20_000) }));
    await call("malformed", handler, upd, { method: "POST", headers: { origin, "content-type": "application/json" }, body: "{not json" });
    await call("GET", handler, upd, { method: "GET", headers: { origin } });
    await call("page sends its own Authorization", handler, upd, json({ inputs: inputs(1, 2) }, { authorization: "Bearer page" }));
    const fwd = await call("forward ok", handler, upd, json({ inputs: inputs(1, 3) }));
    assert.equal(fwd.status, 200, fwd.text);
    const run = await call("run ok", handler, "/update", json({ inputs: [...inputs(10, 3), { id: "999999", properties: { amount: "1" } }] }));
    assert.equal(run.status, 200, run.text);
    await call("run invalid", handler, "/update", json({ inputs: [{ id: "", properties: {} }] }));
    await call("run bad idProperty", handler, "/update", json({ inputs: inputs(1, 1), idProperty: 7 }));
    for (const kind of ["500", "504-after-apply", "reset", "html-200", "429-daily"]) {
      emu.emulator.queueFaults([kind, kind]);
      await call(`forward fault ${kind}`, handler, upd, json({ inputs: inputs(20, 2) }));
      emu.emulator.queueFaults([kind, kind]);
      await call(`run fault ${kind}`, handler, "/update", json({ inputs: inputs(30, 2) }));
      emu.emulator.reset();
    }
    await call("forward 401 upstream", wrongHandler, upd, json({ inputs: inputs(1, 2) }));
    await call("run 401 upstream", wrongHandler, "/update", json({ inputs: inputs(1, 2) }));
    // bad proxy options, with the token in them
    // Every one must throw INVALID_CONFIG naming the option: accepting one fails the test.
    const badProxy = [
      [{ ...base, allowedOrigins: "x" }, "allowedOrigins"],
      [{ ...base, baseUrl: "http://example.com" }, "baseUrl"],
      [{ ...base, maxBodyBytes: -1 }, "maxBodyBytes"],
      [{ accessToken: `${TOKEN}\n`, allowedOrigins: ["*"] }, "accessToken"],
    ];
    const wrongProxy = [];
    for (const [o, field] of badProxy) {
      let accepted = false;
      try {
        m.createBatchUpdateHandler(o);
        accepted = true;
      } catch (e) {
        if (!(e instanceof m.HubSpotError && e.code === "INVALID_CONFIG")) wrongProxy.push(`${field}: expected INVALID_CONFIG, got ${e?.code} ${e?.message}`);
        else if (!String(e.message).includes(field)) wrongProxy.push(`${field}: the message does not name it: ${e.message}`);
        collect("proxy INVALID_CONFIG", e);
      }
      if (accepted) {
        collect("proxy options accepted", Object.keys(o).join());
        wrongProxy.push(`${field}: accepted (expected INVALID_CONFIG)`);
      }
    }
    assert.deepEqual(wrongProxy, [], "every bad proxy option set throws INVALID_CONFIG naming the option");
    collect("emulator log (proxy)", emu.emulator.getLog(0));
  } finally {
    await emu.close();
  }
  assert.deepEqual(headerLeaks, [], "the proxy's Authorization only went to the emulator");
  const leaks = collected.filter((c) => leaksIn(c.text).length).map((c) => c.where);
  t.diagnostic(`scanned ${collected.length} texts in all so far; tokens found: ${leaks.length}`);
  assert.deepEqual(leaks, [], "tokens found");
});

// ------------------------------------------------------------------------------------- baseUrl

test("baseUrl: http only on loopback; tricks that look loopback are refused", () => {
  const refused = ["http://example.com", "http://10.0.0.1", "http://127.0.0.1.evil.com", "http://localhost.evil.com",
    "http://127.0.0.1@evil.com", "http://evil.com#@127.0.0.1", "http://evil.com\\@127.0.0.1", "http://0.0.0.0:1",
    "HTTP://EXAMPLE.COM", "http://[::2]:1", "http://192.168.1.1", "http://evil.com/127.0.0.1", "http://evil.com?h=localhost",
    "ws://127.0.0.1:1", "ftp://127.0.0.1", "file:///etc/passwd", "javascript:alert(1)", "not a url", "", "//127.0.0.1:1"];
  const accepted = ["http://localhost:1", "http://127.5.5.5:1", "http://[::1]:1", "http://127.0.0.1:8080/base", "https://api.hubapi.com",
    "https://example.com", "http://LOCALHOST:1"];
  const wrong = [];
  for (const baseUrl of refused) {
    try {
      new m.HubSpotBatch({ accessToken: TOKEN, baseUrl });
      wrong.push(`${baseUrl}: accepted`);
    } catch (e) {
      if (!(e instanceof m.HubSpotError) || e.code !== "INVALID_CONFIG") wrong.push(`${baseUrl}: ${e?.code ?? e}`);
      if (leaksIn(dump(e)).length) wrong.push(`${baseUrl}: token in the error`);
    }
  }
  for (const baseUrl of accepted) {
    try { new m.HubSpotBatch({ accessToken: TOKEN, baseUrl }); } catch (e) { wrong.push(`${baseUrl}: refused (${e?.code} ${e?.message})`); }
  }
  assert.deepEqual(wrong, []);
  // Without a token (a proxy in front), plain http off loopback carries no secret; whatever the
  // package decides there, the proxy handler refuses an http upstream for its token.
  assert.throws(() => m.createBatchUpdateHandler({ accessToken: TOKEN, allowedOrigins: ["*"], baseUrl: "http://example.com" }),
    (e) => e instanceof m.HubSpotError && e.code === "INVALID_CONFIG");
});

// ------------------------------------------------------------------------------------ redirects

/** A server on `host` that records requests and answers with `answer(req)`. */
async function server(host, answer) {
  const seen = [];
  const s = http.createServer((req, res) => {
    let body = "";
    req.on("data", (d) => (body += d));
    req.on("end", () => {
      seen.push({ method: req.method, url: req.url, authorization: req.headers.authorization ?? null, body });
      answer(req, res);
    });
  });
  try {
    await new Promise((resolve, reject) => { s.once("error", reject); s.listen(0, host, resolve); });
  } catch (e) {
    // 127.0.0.2 is loopback on Linux but not configured on every OS: another port on
    // 127.0.0.1 is another origin too.
    if (e.code !== "EADDRNOTAVAIL" || host === "127.0.0.1") throw e;
    host = "127.0.0.1";
    await new Promise((r) => s.listen(0, host, r));
  }
  const url = `http://${host}:${s.address().port}`;
  return { url, seen, close: () => new Promise((r) => { s.closeAllConnections?.(); s.close(r); }) };
}

for (const status of [301, 302, 303, 307, 308]) {
  test(`a ${status} redirect to another origin: not followed, no token there, inputs failed REDIRECT`, async () => {
    const second = await server("127.0.0.2", (req, res) => {
      res.writeHead(200, { "content-type": "application/json" }).end(JSON.stringify({ status: "COMPLETE", results: [] }));
    });
    const first = await server("127.0.0.1", (req, res) => {
      res.writeHead(status, { location: `${second.url}${req.url}` }).end();
    });
    // The same through the proxy handler: it must not follow either.
    const viaProxy = await server("127.0.0.1", (req, res) => res.writeHead(status, { location: `${second.url}${req.url}` }).end());
    try {
      const c = new m.HubSpotBatch({ accessToken: TOKEN, baseUrl: first.url, maxRetries: 2, rateLimit: null, timeoutMs: 1000 });
      const ins = inputs(1, 3);
      const r = await c.update(ins);
      collect(`redirect ${status} result`, r);
      assert.equal(r.results.length, 0);
      assert.equal(r.failed.length, 3);
      for (const f of r.failed) {
        assert.equal(f.error.category, "REDIRECT", JSON.stringify(f.error));
        assert.equal(f.error.status, status);
      }
      assert.equal(first.seen.length, 1, "asked once, not retried");
      assert.equal(first.seen[0].authorization, `Bearer ${TOKEN}`, "the first origin got the token (it is the configured one)");
      const handler = m.createBatchUpdateHandler({ accessToken: TOKEN, allowedOrigins: ["*"], baseUrl: viaProxy.url, maxRetries: 0, rateLimit: null });
      const res = await handler(new Request("https://proxy.test/crm/v3/objects/0-3/batch/update", { method: "POST", headers: { origin: "https://a.test", "content-type": "application/json" }, body: JSON.stringify({ inputs: ins }) }));
      const text = await res.text();
      collect(`proxy redirect ${status}`, text);
      assert.ok(!leaksIn(text).length, "no token in the proxy's answer");
      const runRes = await handler(new Request("https://proxy.test/update", { method: "POST", headers: { origin: "https://a.test", "content-type": "application/json" }, body: JSON.stringify({ inputs: ins }) }));
      const run = JSON.parse(await runRes.text());
      assert.ok(run.failed?.every((f) => f.error.category === "REDIRECT"), JSON.stringify(run).slice(0, 300));
      assert.deepEqual(second.seen, [], "the other origin never received a request (so never the token)");
    } finally {
      await Promise.all([first.close(), second.close(), viaProxy.close()]);
    }
  });
}

test("a server that echoes the Authorization header in its error bodies: the token does not come out", async () => {
  // A misconfigured gateway or debug page may reflect request headers. The contract says the
  // token never appears in an error message or a result, whatever HubSpot (or what stands in
  // for it) sends back.
  let n = 0;
  const plan = [400, 500, 409, 404, 401];
  const echo = await server("127.0.0.1", (req, res) => {
    const status = plan[n++ % plan.length];
    const auth = req.headers.authorization ?? "";
    const body = status === 400
      ? { status: "error", category: "VALIDATION_ERROR", correlationId: auth, message: `Property values were not valid: ${JSON.stringify([{ isValid: false, message: `bad ${auth}`, error: "INVALID_OPTION", name: "amount" }])}`, context: { auth: [auth] }, errors: [{ message: auth, in: "amount" }] }
      : { status: "error", category: "INTERNAL_ERROR", correlationId: auth, message: `request with ${auth} failed`, subCategory: auth, context: { h: [auth] }, errors: [{ message: auth, context: { h: [auth] } }] };
    res.writeHead(status, { "content-type": "application/json" }).end(JSON.stringify(body));
  });
  try {
    const c = new m.HubSpotBatch({ accessToken: TOKEN, baseUrl: echo.url, maxRetries: 0, rateLimit: null, batchSize: 1, concurrency: 1 });
    const found = [];
    for (let i = 0; i < plan.length; i++) {
      try {
        const r = await c.update(inputs(1, 1));
        if (leaksIn(dump(r)).length) found.push(`status ${plan[i]}: result (${r.failed[0]?.error.message.slice(0, 80)})`);
      } catch (e) {
        if (leaksIn(dump(e)).length) found.push(`status ${plan[i]}: error ${e.code} (${String(e.message).slice(0, 80)})`);
      }
    }
    assert.deepEqual(found, [], "HubSpot-provided text is passed through unredacted");
  } finally {
    await echo.close();
  }
});
