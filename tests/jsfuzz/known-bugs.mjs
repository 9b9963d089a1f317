// Minimal reproducers of the package bugs the fuzzers found (see RELIABILITY.md, "Findings").
//   node tests/jsfuzz/known-bugs.mjs          # one line per bug: FIXED, STILL PRESENT or CHECK FAILED
// Each check runs in its own child process, because some of them wedge the module. A check that
// crashes, hangs (30 s) or prints anything else is CHECK FAILED: it proves nothing, so it counts
// as a failure. Exit status 0 only when every check ran and every bug is FIXED.
import { execFileSync } from "node:child_process";
import { fileURLToPath } from "node:url";
import { loadPackage } from "../chaos/support.mjs";

const SELF = fileURLToPath(import.meta.url);
const within = (p, ms) => Promise.race([Promise.resolve(p).then((v) => ({ value: v }), (e) => ({ error: e })), new Promise((r) => setTimeout(() => r({ pending: true }), ms))]);
const OK = (init) => JSON.stringify({ status: "COMPLETE", results: JSON.parse(init.body).inputs.map((x) => ({ id: x.id, objectWriteTraceId: x.objectWriteTraceId, properties: {} })) });
const good = async (u, init) => new Response(OK(init));
const base = { accessToken: "t", baseUrl: "http://127.0.0.1:9", rateLimit: null, maxRetries: 0, timeoutMs: 100 };
const inputs = (n) => Array.from({ length: n }, (_, i) => ({ id: String(i + 1), properties: { amount: i } }));
const throwingStatus = async (u, init) => new Proxy(new Response(OK(init)), {
  get(t, p) { if (p === "status") throw new Error("status getter trap"); const v = Reflect.get(t, p, t); return typeof v === "function" ? v.bind(t) : v; },
});

// Each returns true when the bug is present.
const BUGS = {
  async "B1 a Response whose status getter throws: update() never settles, and with 2 in flight every later update() in the process hangs"(m) {
    process.on("uncaughtException", () => {});
    const a = await within(new m.HubSpotBatch({ ...base, fetch: throwingStatus, batchSize: 1, concurrency: 2 }).update(inputs(2)), 1500);
    const b = await within(new m.HubSpotBatch({ ...base, fetch: good }).update(inputs(1)), 1500);
    return !!(a.pending || b.pending);
  },
  async "B2 an inputs array whose length cannot be read: update() resolves COMPLETE with 0 results and 0 failed"(m) {
    const unreadable = new Proxy(inputs(2), { get() { throw new Error("user trap"); } });
    const r = await within(new m.HubSpotBatch({ ...base, fetch: good }).update(unreadable), 1500);
    return !!r.value;
  },
  async "B3 an array property value whose elements cannot be read is sent as \"\" (clears the property)"(m) {
    const unreadable = new Proxy(["hot", "cold"], { get() { throw new Error("user trap"); } });
    try { return m.formatPropertyValue(unreadable) === ""; } catch { return false; }
  },
  async "B4 update() throws synchronously (a TypeError, not a HubSpotError) for Object.create(Date.prototype) or a revoked Proxy"(m) {
    const c = new m.HubSpotBatch({ ...base, fetch: good });
    const { proxy, revoke } = Proxy.revocable([], {});
    revoke();
    for (const bad of [[{ id: "1", properties: { closedate: Object.create(Date.prototype) } }], proxy]) {
      try { c.update(bad).catch(() => {}); } catch { return true; }
    }
    return false;
  },
  async "B5 after such a synchronous throw, the instance stays borrowed: free() fails for ever"(m) {
    const c = new m.HubSpotBatch({ ...base, fetch: good });
    try { c.update([{ id: "1", properties: { closedate: Object.create(Date.prototype) } }]).catch(() => {}); } catch {}
    try { c.free(); return false; } catch { return true; }
  },
  async "B6 the user's own exception comes out unwrapped (a Date whose getTime getter throws)"(m) {
    const d = new Date(0);
    Object.defineProperty(d, "getTime", { get() { throw new RangeError("user"); } });
    try { m.formatPropertyValue(d); return false; } catch (e) { return !(e instanceof m.HubSpotError); }
  },
  async "B7 parseBatchResponse(Symbol() or 200n, body) throws a TypeError, not INVALID_INPUT"(m) {
    try { m.parseBatchResponse(200n, "{}"); return false; } catch (e) { return !(e instanceof m.HubSpotError); }
  },
  async "B8 proxy forward route: an upstream 204/205 makes the handler resolve undefined instead of a Response"(m) {
    const h = m.createBatchUpdateHandler({ ...base, allowedOrigins: ["*"], fetch: async () => new Response(null, { status: 204 }) });
    const res = await h(new Request("https://p.test/crm/v3/objects/0-3/batch/update", { method: "POST", headers: { origin: "https://a.test", "content-type": "application/json" }, body: '{"inputs":[{"id":"1","properties":{"amount":"1"}}]}' }));
    return !(res instanceof Response);
  },
  async "B9 a token echoed by the server (error message, correlationId, context) comes out in failed[].error unredacted"(m) {
    const fetch = async (u, init) => new Response(JSON.stringify({ status: "error", category: "INTERNAL_ERROR", message: `bad ${init.headers.Authorization}`, correlationId: "x" }), { status: 404 });
    const r = await new m.HubSpotBatch({ ...base, accessToken: "pat-na1-SECRET-echo", fetch }).update(inputs(1));
    return JSON.stringify(r).includes("pat-na1-SECRET-echo");
  },
};

if (process.argv[2] === "--one") {
  const m = await loadPackage();
  const present = await BUGS[process.argv[3]](m);
  process.stdout.write(present ? "STILL PRESENT" : "FIXED");
  process.exit(0);
}
let present = 0;
let broken = 0; // checks that crashed, hung or printed something else: they prove nothing
for (const name of Object.keys(BUGS)) {
  let out;
  try {
    out = execFileSync(process.execPath, [SELF, "--one", name], { encoding: "utf8", timeout: 30_000, stdio: ["ignore", "pipe", "pipe"] });
  } catch (e) {
    const why = String(e.stderr ?? "").split("\n").find((l) => /^[A-Za-z]*(Error|Exception)\b.*:/.test(l)) ?? e.message.split("\n")[0];
    out = `CHECK FAILED (${e.signal ?? `exit ${e.status}`}): ${why.trim().slice(0, 200)}`;
  }
  if (out === "STILL PRESENT") present++;
  else if (out !== "FIXED") {
    broken++;
    if (!out.startsWith("CHECK FAILED")) out = `CHECK FAILED: printed ${JSON.stringify(out.slice(0, 80))}`;
  }
  console.log(`${out.padEnd(14)} ${name}`);
}
console.log(`${present} of ${Object.keys(BUGS).length} still present, ${broken} check(s) failed`);
// Exit 1 unless every check ran and found its bug fixed (tests/jsfuzz/jsfuzz.test.mjs runs this).
process.exit(present || broken ? 1 : 0);
