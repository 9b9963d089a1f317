// JS fuzzing of the public API (issue 6): hostile values from a seeded generator (gen.mjs) go
// into formatPropertyValue, buildBatchUpdateRequests, parseBatchResponse, new HubSpotBatch,
// update() (its arguments, and the answers of an injected fetch) and createBatchUpdateHandler.
//
// The oracle, for every call:
//   - it returns/resolves, or throws/rejects a HubSpotError (instanceof, name "HubSpotError")
//     whose code is one the target may use; never a WebAssembly.RuntimeError, a TypeError
//     from the glue, or the user's own thrown value unwrapped;
//   - what it returns is well-formed (strings are strings, requests cover every input once,
//     update results account for every input, and an input is reported updated only if an
//     answer to a request carrying it named it: by its trace id, or by id when no trace id
//     was echoed — the injected fetch keeps that record);
//   - the module and the SAME client instance keep working afterwards (a canary call of each
//     pure function after every case, and a successful update() on the same instance).
// Each case draws from rng(seed * 1_000_003 + case), so one failing case replays alone:
//   node tests/jsfuzz/run.mjs --seed S --only-case N --target T
import { inspect } from "node:util";
import { rng } from "../chaos/support.mjs";
import { isFuzzThrown, makeGen } from "./gen.mjs";

// updateServer last: a case that wedges the module's async executor (see NEVER_SETTLED /
// UNUSABLE) would stall every async target after it.
export const TARGETS = ["format", "build", "parse", "construct", "updateArgs", "proxy", "updateServer"];
const ALLOWED = {
  format: ["INVALID_INPUT"],
  build: ["INVALID_INPUT", "INVALID_CONFIG"],
  parse: ["MALFORMED_RESPONSE", "HTTP_ERROR", "RATE_LIMITED", "INVALID_INPUT"],
  construct: ["INVALID_CONFIG"],
  updateArgs: ["INVALID_INPUT", "INVALID_CONFIG", "ABORTED"],
  updateServer: ["HTTP_ERROR", "RATE_LIMITED", "ABORTED"],
  proxy: ["INVALID_CONFIG"],
};
const OK_BODY = '{"status":"COMPLETE","results":[{"id":"1","properties":{"amount":"1"}}]}';

function describe(v) {
  try {
    const s = typeof v === "string" ? JSON.stringify(v.length > 200 ? v.slice(0, 200) + `...(${v.length} chars)` : v) : inspect(v, { depth: 2, breakLength: Infinity, maxStringLength: 120, maxArrayLength: 8 });
    return s.length > 400 ? s.slice(0, 400) + "..." : s;
  } catch (e) {
    return `<uninspectable: ${safeMsg(e)}>`;
  }
}
function safeMsg(e) {
  try {
    if (e instanceof Error) return `${e.constructor?.name}: ${e.message}`;
    return String(e);
  } catch {
    return "<unprintable>";
  }
}

/**
 * Classifies a thrown value: null when it is an allowed HubSpotError, else { kind, text }.
 * Kinds: TRAP (a WebAssembly.RuntimeError), USER_EXCEPTION (the user's own thrown value came
 * out unwrapped), NOT_HUBSPOT_ERROR (a TypeError or similar from the glue), WRONG_CODE.
 */
function judgeError(m, target, e) {
  if (e instanceof WebAssembly.RuntimeError) return { kind: "TRAP", text: `WebAssembly.RuntimeError: ${e.message}` };
  if (!(e instanceof m.HubSpotError)) {
    if (isFuzzThrown(e)) return { kind: "USER_EXCEPTION", text: `the user's own exception came out unwrapped: ${safeMsg(e)}` };
    return { kind: "NOT_HUBSPOT_ERROR", text: `threw ${safeMsg(e)}` };
  }
  if (e.name !== "HubSpotError" || !(e instanceof Error)) return { kind: "NOT_HUBSPOT_ERROR", text: `HubSpotError with name ${e.name}` };
  if (typeof e.message !== "string" || /unreachable|panicked|RuntimeError|memory access/i.test(e.message)) return { kind: "TRAP", text: `trap-like message: ${e.message}` };
  if (!ALLOWED[target].includes(e.code)) return { kind: "WRONG_CODE", text: `code ${e.code} not expected here (message: ${e.message})` };
  return null;
}

/** The length of `inputs` as a caller would read it: a number, "unreadable" or "unstable". */
function lengthOf(inputs) {
  try {
    if (!Array.isArray(inputs)) return null;
  } catch {
    return "unreadable";
  }
  let a, b;
  try { a = inputs.length; b = inputs.length; } catch { return "unreadable"; }
  return a === b && Number.isInteger(a) ? a : "unstable";
}

const WATCHDOG_MS = 3000;
const NONE = Symbol("no error");
/** Awaits `p` for at most WATCHDOG_MS: { value } | { error } | { pending: true }. */
async function settle(p) {
  let timer;
  const watchdog = new Promise((res) => { timer = setTimeout(() => res({ pending: true }), WATCHDOG_MS); });
  try {
    return await Promise.race([Promise.resolve(p).then((value) => ({ value }), (error) => ({ error })), watchdog]);
  } finally {
    clearTimeout(timer);
  }
}

/** A fetch whose behaviour the fuzzer swaps per case; records every exchange. */
function makeDispatcher() {
  const d = (url, init) => d.current(url, init);
  d.calls = 0;
  d.current = null;
  return d;
}

function goodServer(d) {
  return async (url, init) => {
    d.calls++;
    const inputs = JSON.parse(init.body).inputs;
    return new Response(JSON.stringify({
      status: "COMPLETE", startedAt: "2024-01-01T00:00:00Z", completedAt: "2024-01-01T00:00:01Z",
      results: inputs.map((x) => ({ id: x.id, objectWriteTraceId: x.objectWriteTraceId, properties: x.properties })),
    }), { status: 200, headers: { "content-type": "application/json" } });
  };
}

const STATUSES = [200, 200, 200, 207, 207, 201, 204, 301, 302, 307, 400, 401, 403, 404, 409, 413, 415, 418, 429, 500, 502, 503, 504, 599];

/** A hostile HubSpot: random statuses, headers and bodies; sometimes no Response at all. */
function randomServer(r, g, d, exchanges, avoid = []) {
  return async (url, init) => {
    d.calls++;
    let sent = [];
    try { sent = JSON.parse(init.body).inputs; } catch {}
    let k = r.int(40);
    // "throwingResponse": skip the Response whose getters throw (a known package bug that
    // wedges the module), so that the rest of the space can be explored in the same process.
    if (k === 6 && avoid.includes("throwingResponse")) k = 7;
    if (k === 0) throw new TypeError("fetch failed");
    if (k === 1) throw r.pick([42, Symbol("x"), undefined, { message: 1 }]);
    if (k === 2) return r.pick([null, undefined, {}, 42, "x", { status: 200, text: () => OK_BODY }]);
    if (k === 3) return new Promise(() => {}); // hangs and ignores the abort signal
    if (k === 4) return new Promise((_, rej) => init.signal?.addEventListener("abort", () => rej(init.signal.reason)));
    if (k === 5) { // a body stream that errors mid-way
      const stream = new ReadableStream({ start(c) { c.enqueue(new TextEncoder().encode('{"status":"COMP')); c.error(new Error("stream broke")); } });
      return new Response(stream, { status: 200 });
    }
    if (k === 6) { // a Response-like object whose getters throw
      return new Proxy(new Response(OK_BODY), { get(t, p) { if (p === "status" || p === "headers" || p === "text") throw new Error("getter trap"); const v = Reflect.get(t, p, t); return typeof v === "function" ? v.bind(t) : v; } });
    }
    const status = r.pick(STATUSES);
    const headers = new Headers();
    if (r.chance(0.7)) headers.set("content-type", r.pick(["application/json", "application/json;charset=utf-8", "text/html", "text/plain", ""]));
    if (status === 429 || r.chance(0.1)) headers.set("retry-after", r.chance(0.8) ? r.pick(["0", "0.001", "0.01"]) : r.pick(["-1", "abc", "1e-9", "Wed, 21 Oct 2015 07:28:00 GMT", "NaN", "", "0x10"]));
    if (r.chance(0.3)) headers.set("x-hubspot-ratelimit-interval-milliseconds", r.pick(["1", "10", "0", "-5", "NaN", "1e3", "abc"]));
    // A 429 without a usable Retry-After waits the reported window (10 s when none): keep the
    // window short so that a run that takes long stands out (NEVER_SETTLED).
    if (status === 429) headers.set("x-hubspot-ratelimit-interval-milliseconds", r.pick(["1", "10", "50"]));
    if (r.chance(0.3)) headers.set("x-hubspot-ratelimit-max", r.pick(["0", "1", "100", "-1", "1e9", "x"]));
    if (r.chance(0.3)) headers.set("x-hubspot-ratelimit-remaining", r.pick(["0", "1", "-1", "x"]));
    if (r.chance(0.2) || (status >= 300 && status < 400)) headers.set("location", r.pick(["http://127.0.0.2:1/x", "/relative", "javascript:x", "", "http://[bad"]));
    let body, objects = null;
    if ((status === 200 || status === 207) && r.chance(0.75)) {
      const b = g.batchBody(sent);
      body = JSON.stringify(b);
      if (r.chance(0.15)) body = body.slice(0, r.int(body.length));
      else objects = Array.isArray(b.results) ? b.results : null;
    } else if (r.chance(0.6)) {
      const eb = g.errorBody();
      if (status === 429 && eb.policyName !== "DAILY" && !headers.has("retry-after")) headers.set("retry-after", "0");
      body = JSON.stringify(eb);
    } else body = g.body(sent);
    if (!objects) { // whatever the body is, if it parses to something with results, record them
      try { const parsed = JSON.parse(body); if (Array.isArray(parsed?.results)) objects = parsed.results; } catch {}
    }
    exchanges.push({ sent, status, objects });
    if (status === 204) return new Response(null, { status, headers });
    return new Response(body, { status, headers });
  };
}

/** Whether object `o` names sent input `x` the way the contract allows. */
function confirms(o, x) {
  if (!o || typeof o !== "object") return false;
  if (o.objectWriteTraceId !== undefined && o.objectWriteTraceId !== null) return x.objectWriteTraceId !== undefined && o.objectWriteTraceId === x.objectWriteTraceId;
  if (x.idProperty && x.idProperty !== "hs_object_id") return o.properties?.[x.idProperty] === x.id;
  return o.id === x.id;
}

/** Accounting + "updated only if an answer named it". Returns a problem text or null. */
function judgeResult(result, inputs, exchanges, idPropertyDefault) {
  if (!result || !Array.isArray(result.results) || !Array.isArray(result.failed)) return "result lacks results/failed";
  if (result.results.length + result.failed.length !== inputs.length) return `results ${result.results.length} + failed ${result.failed.length} !== ${inputs.length}`;
  const failed = new Set();
  for (const f of result.failed) {
    if (!Number.isInteger(f.index) || f.index < 0 || f.index >= inputs.length || failed.has(f.index)) return `bad or repeated failed index ${f.index}`;
    if (f.id !== inputs[f.index].id) return `failed[${f.index}].id mismatch`;
    if (typeof f.error?.category !== "string" || !f.error.category || typeof f.error.message !== "string") return `failed[${f.index}] lacks category/message`;
    failed.add(f.index);
  }
  let k = 0;
  for (let i = 0; i < inputs.length; i++) {
    if (failed.has(i)) continue;
    const shown = result.results[k++];
    const input = inputs[i];
    const idp = input.idProperty ?? idPropertyDefault;
    const ok = exchanges.some((e) => e.objects && (e.status === 200 || e.status === 207) && e.sent.some((x) =>
      x.id === input.id && (x.idProperty ?? "hs_object_id") === (idp ?? "hs_object_id") && e.objects.some((o) => confirms(o, x) && o.id === shown?.id)));
    if (!ok) return `inputs[${i}] (id ${input.id}) reported updated (as ${describe(shown)}) but no answer named it`;
  }
  return null;
}

/**
 * Runs `cases` cases per target (updateArgs and proxy: half as many, updateServer a quarter), or until
 * `budgetMs` runs out. Returns { executions, byTarget, problems: [{ kind, target, seed, case,
 * problem, value }], durationMs }.
 */
export async function runFuzz(m, { seed = 1, cases = 500, budgetMs = 25_000, targets = TARGETS, onlyCase = null, log = () => {}, avoid = [] } = {}) {
  const t0 = Date.now();
  const problems = [];
  const byTarget = Object.fromEntries(targets.map((t) => [t, { executions: 0, ok: 0, errors: {} }]));
  const dispatch = makeDispatcher();
  const newClient = (retries) => new m.HubSpotBatch({ accessToken: "fuzz-token", baseUrl: "http://127.0.0.1:9", fetch: dispatch,
    rateLimit: null, maxRetries: retries, timeoutMs: 30, concurrency: 2, batchSize: 2 });
  const shared = [newClient(0), newClient(1)];
  let where = { target: "setup", c: -1 };
  let wedged = false; // an update() on a fresh/known-good path never settled: async targets stop
  const note = (kind, target, c, problem, value) => {
    problems.push({ kind, target, seed, case: c, problem, value: describe(value) });
    log(`PROBLEM ${kind} ${target} seed=${seed} case=${c}: ${problem}`);
  };
  // An exception thrown from inside the package's async machinery reaches the process.
  const onUncaught = (e) => note("UNCAUGHT", where.target, where.c, `uncaught exception/rejection: ${safeMsg(e)}`, null);
  process.on("uncaughtException", onUncaught);
  process.on("unhandledRejection", onUncaught);
  const record = (target, e) => {
    const key = e === NONE ? "ok" : e instanceof m.HubSpotError ? e.code : "other";
    if (key === "ok") byTarget[target].ok++;
    else byTarget[target].errors[key] = (byTarget[target].errors[key] ?? 0) + 1;
  };
  const canary = async (target, c, client) => {
    try {
      if (m.formatPropertyValue(12.5) !== "12.5") throw new Error("formatPropertyValue(12.5) changed");
      if (m.parseBatchResponse(200, OK_BODY).results.length !== 1) throw new Error("parseBatchResponse broke");
      if (m.buildBatchUpdateRequests([{ id: "1", properties: { a: 1 } }]).length !== 1) throw new Error("buildBatchUpdateRequests broke");
      if (client) {
        dispatch.current = goodServer(dispatch);
        const s = await settle(client.update([{ id: "ok-1", properties: { amount: 1 } }, { id: "ok-2", properties: { amount: 2 } }]));
        if (s.pending) throw new Error("update() on the same instance never settled");
        if ("error" in s) throw s.error instanceof Error ? s.error : new Error(`rejected with ${safeMsg(s.error)}`);
        if (s.value.results.length !== 2 || s.value.failed.length) throw new Error(`same instance no longer updates: ${describe(s.value.failed)}`);
      }
    } catch (e) {
      note("UNUSABLE", target, c, `module/instance unusable after the case: ${safeMsg(e)}`, null);
      if (/never settled/.test(safeMsg(e))) wedged = true;
    }
  };
  /** Calls update() the way a user does; a synchronous throw is itself a problem. */
  const callUpdate = async (target, c, client, inputs, opts) => {
    let p;
    try {
      p = client.update(inputs, opts);
    } catch (e) {
      note("SYNC_THROW", target, c, `update() threw synchronously instead of rejecting: ${safeMsg(e)}`, { inputs, opts });
      return { error: e };
    }
    const s = await settle(p);
    if (s.pending) note("NEVER_SETTLED", target, c, `update() neither resolved nor rejected within ${WATCHDOG_MS} ms (timeoutMs 30)`, { inputs, opts });
    return s;
  };

  try {
    for (const target of targets) {
      const tStart = Date.now();
      const perTarget = target === "updateServer" ? Math.ceil(cases / 4) : target === "updateArgs" || target === "proxy" ? Math.ceil(cases / 2) : cases;
      for (let c = 0; c < perTarget; c++) {
        if (onlyCase !== null && c !== onlyCase) continue;
        if (Date.now() - t0 > budgetMs) break;
        const hangs = problems.filter((p) => p.kind === "NEVER_SETTLED" && p.target === target).length;
        if ((wedged && (target === "updateArgs" || target === "updateServer" || target === "proxy")) || hangs >= 3) {
          byTarget[target].skipped = perTarget - c;
          break;
        }
        where = { target, c };
        const r = rng(seed * 1_000_003 + c + TARGETS.indexOf(target) * 7_777_777);
        const g = makeGen(r);
        byTarget[target].executions++;
        let err = NONE, cur = null; // cur: the case's arguments, for the report
        switch (target) {
          case "format": {
            const v = r.chance(0.5) ? g.propertyValue() : g.any();
            cur = v;
            try {
              const out = m.formatPropertyValue(v);
              if (typeof out !== "string") note("BAD_OUTPUT", target, c, `returned ${typeof out}`, v);
              else if (typeof v === "number" && (!/^-?\d+(\.\d+)?$/.test(out) || Number(out) !== v)) note("BAD_OUTPUT", target, c, `number ${v} formatted as ${out.slice(0, 60)}`, v);
              else if (typeof v === "boolean" && out !== String(v)) note("BAD_OUTPUT", target, c, `boolean formatted as ${out}`, v);
              else if (v === null && out !== "") note("BAD_OUTPUT", target, c, `null formatted as ${out}`, v);
              else if (typeof v === "string" && out !== v) note("BAD_OUTPUT", target, c, "string changed", v);
            } catch (e) { err = e; }
            break;
          }
          case "build": {
            const inputs = g.inputs(), opts = r.chance(0.8) ? g.buildOptions() : undefined;
            cur = { inputs, opts };
            const n = lengthOf(inputs);
            try {
              const reqs = m.buildBatchUpdateRequests(inputs, opts);
              const seen = [];
              for (const q of reqs) {
                if (typeof q.url !== "string" || q.method !== "POST" || typeof q.body !== "string" || !Array.isArray(q.inputIndexes)) { note("BAD_OUTPUT", target, c, "malformed request", q); break; }
                const body = JSON.parse(q.body);
                if (!Array.isArray(body.inputs) || body.inputs.length !== q.inputIndexes.length) { note("BAD_OUTPUT", target, c, "body/inputIndexes mismatch", q.body); break; }
                for (const x of body.inputs) if (Object.values(x.properties).some((v) => typeof v !== "string")) note("BAD_OUTPUT", target, c, "non-string property value in body", q.body);
                seen.push(...q.inputIndexes);
              }
              if (n === "unreadable") note("LOST", target, c, `returned ${reqs.length} request(s) for inputs whose length cannot be read`, inputs);
              else if (typeof n === "number" && seen.join() !== Array.from({ length: n }, (_, i) => i).join()) note("LOST", target, c, `inputIndexes [${seen.slice(0, 10)}] do not cover the ${n} inputs in order`, inputs);
            } catch (e) { err = e; }
            break;
          }
          case "parse": {
            const status = r.chance(0.8) ? r.pick(STATUSES) : r.chance(0.5) ? g.number() : g.any();
            const body = r.chance(0.9) ? g.body([{ id: "1" }, { id: "2", objectWriteTraceId: "t2" }]) : g.any();
            cur = { status, body };
            try {
              const out = m.parseBatchResponse(status, body);
              if (!out || !Array.isArray(out.results)) note("BAD_OUTPUT", target, c, "parsed without results[]", body);
              // Any 2xx is a success (create answers 201, archive a bodiless 204).
              else if (!(Number.isInteger(status) && status >= 200 && status <= 299)) note("BAD_OUTPUT", target, c, `status ${describe(status)} parsed as a batch response`, body);
            } catch (e) { err = e; }
            break;
          }
          case "construct": {
            const opts = g.clientOptions();
            cur = opts;
            try {
              const client = new m.HubSpotBatch(opts);
              client.free?.();
            } catch (e) { err = e; }
            break;
          }
          case "updateArgs": {
            // A fresh instance per case, so a leaked borrow (free() failing) is pinned on it.
            const inputs = g.inputs(), opts = g.updateOptions();
            cur = { inputs, opts };
            const n = lengthOf(inputs);
            const client = newClient(0);
            dispatch.calls = 0;
            dispatch.current = goodServer(dispatch);
            const s = await callUpdate(target, c, client, inputs, opts);
            if (s.value) {
              const res = s.value;
              if (!res || !Array.isArray(res.results) || !Array.isArray(res.failed)) note("BAD_OUTPUT", target, c, "result lacks results/failed", res);
              else if (n === "unreadable") note("LOST", target, c, `resolved ${res.status} with ${res.results.length} results + ${res.failed.length} failed for inputs whose length cannot be read (should reject INVALID_INPUT)`, inputs);
              else if (typeof n === "number" && res.results.length + res.failed.length !== n) note("LOST", target, c, `results ${res.results.length} + failed ${res.failed.length} !== ${n} inputs`, inputs);
            } else if ("error" in s) {
              err = s.error;
              if (err?.code === "INVALID_INPUT" && dispatch.calls > 0) note("LATE_VALIDATION", target, c, `INVALID_INPUT rejection after ${dispatch.calls} request(s) were sent`, inputs);
            }
            await canary(target, c, client);
            try { client.free(); } catch (e) { note("BORROW_LEAK", target, c, `free() after the case failed: ${safeMsg(e)}`, cur); }
            break;
          }
          case "updateServer": {
            const n = 1 + r.int(5);
            const inputs = Array.from({ length: n }, (_, i) => {
              const x = r.chance(0.2) ? { id: `ext-${i}`, idProperty: "deal_external_id", properties: { amount: i } } : { id: String(i + 1), properties: { amount: i } };
              if (r.chance(0.3)) x.objectWriteTraceId = `t-${i}`;
              return x;
            });
            const exchanges = [];
            const client = shared[r.chance(0.25) ? 1 : 0];
            dispatch.current = randomServer(r, g, dispatch, exchanges, avoid);
            // No deadline of our own (mostly): a run that never settles must show as NEVER_SETTLED.
            const s = await callUpdate(target, c, client, inputs, r.chance(0.2) ? { signal: AbortSignal.timeout(1500) } : undefined);
            const wire = () => exchanges.map((e) => ({ status: e.status, sent: e.sent.map((x) => [x.id, x.objectWriteTraceId]), objects: e.objects }));
            if (s.value) {
              const bad = judgeResult(s.value, inputs, exchanges);
              if (bad) note("LOST", target, c, bad, wire());
            } else if ("error" in s) {
              err = s.error;
              if (err?.code === "HTTP_ERROR" && err.status !== 401 && err.status !== 403) note("WRONG_CODE", target, c, `rejected HTTP_ERROR ${err.status}; only 401/403 stop a run`, wire());
              if (err?.code === "RATE_LIMITED" && err.policyName !== "DAILY") note("WRONG_CODE", target, c, `rejected RATE_LIMITED ${err.policyName}; only DAILY stops a run`, wire());
            }
            await canary(target, c, client);
            break;
          }
          case "proxy": {
            const exchanges = [];
            dispatch.current = r.chance(0.5) ? goodServer(dispatch) : randomServer(r, g, dispatch, exchanges, avoid);
            let handler;
            const popts = r.chance(0.3)
              ? { accessToken: "fuzz-proxy-SECRET", allowedOrigins: g.any(), fetch: dispatch, ...(r.chance(0.5) ? { [g.string().slice(0, 10)]: g.any() } : {}) }
              : { accessToken: "fuzz-proxy-SECRET", allowedOrigins: r.chance(0.5) ? ["*"] : ["https://app.example.com"], fetch: dispatch, baseUrl: "http://127.0.0.1:9", maxRetries: 0, timeoutMs: 30, rateLimit: null };
            cur = popts;
            try {
              handler = m.createBatchUpdateHandler(popts);
            } catch (e) { err = e; break; }
            const method = r.pick(["POST", "POST", "POST", "OPTIONS", "GET", "PUT", "DELETE"]);
            const path = r.pick(["/update", "/", "/crm/v3/objects/0-3/batch/update", "/crm/v3/objects/contacts/batch/update", "/crm/v3/objects/../batch/update", "/x", "/crm/v3/objects/0-3/batch/update?x=1"]);
            const headers = {};
            if (r.chance(0.8)) headers.origin = r.pick(["https://app.example.com", "https://evil.example.com", "null", ""]);
            if (r.chance(0.7)) headers["content-type"] = r.pick(["application/json", "text/plain", "application/x-www-form-urlencoded"]);
            if (r.chance(0.2)) headers.authorization = "Bearer page-token";
            let body;
            if (method !== "GET" && method !== "OPTIONS") {
              body = r.chance(0.6) ? JSON.stringify(r.chance(0.5) ? { inputs: Array.from({ length: r.int(4) }, (_, i) => ({ id: String(i + 1), properties: { amount: String(i) } })) } : { inputs: g.jsonValue(1), idProperty: g.jsonValue(3), objectType: g.jsonValue(3) }) : g.body([]);
            }
            cur = { method, path, headers, body };
            let p;
            try { p = handler(new Request(`http://proxy.test${path}`, { method, headers, body })); } catch (e) { note("SYNC_THROW", target, c, `handler threw: ${safeMsg(e)}`, cur); break; }
            const s = await settle(p);
            if (s.pending) note("NEVER_SETTLED", target, c, "the proxy handler never answered", cur);
            else if ("error" in s) note("NOT_HUBSPOT_ERROR", target, c, `handler rejected instead of answering: ${safeMsg(s.error)}`, cur);
            else if (!(s.value instanceof Response)) note("BAD_OUTPUT", target, c, `handler resolved with ${describe(s.value)}`, cur);
            else {
              const text = await s.value.text();
              if (text.includes("fuzz-proxy-SECRET")) note("SECRET", target, c, "token in the proxy's answer", text);
            }
            break;
          }
        }
        if (err !== NONE) {
          const bad = judgeError(m, target, err);
          if (bad) note(bad.kind, target, c, bad.text, cur);
        }
        record(target, err);
        if (target !== "updateArgs" && target !== "updateServer") await canary(target, c, null);
      }
      byTarget[target].durationMs = Date.now() - tStart;
    }
    // The shared instances, once more, at the very end; then free() must work.
    where = { target: "final", c: -1 };
    for (const cl of shared) {
      if (!wedged) await canary("final", -1, cl);
      try { cl.free(); } catch (e) { note("BORROW_LEAK", "final", -1, `free() of a shared instance failed: ${safeMsg(e)}`, null); }
    }
  } finally {
    process.off("uncaughtException", onUncaught);
    process.off("unhandledRejection", onUncaught);
  }
  const executions = Object.values(byTarget).reduce((a, t) => a + t.executions, 0);
  return { executions, byTarget, problems, durationMs: Date.now() - t0 };
}
