// examples/worker (the edge proxy Worker) on the real workerd runtime, through miniflare 3:
// its sources with the packed package installed next to them, bundled the way wrangler bundles
// (esbuild, "workerd" condition, .wasm as a CompiledWasm module), with the bindings wrangler
// would give it (HUBSPOT_TOKEN secret, ALLOWED_ORIGINS var, HUBSPOT_BASE_URL pointing at the
// local HubSpot emulator). Every request is real HTTP on 127.0.0.1.
import { test, before, after } from "node:test";
import assert from "node:assert/strict";
import { readFileSync, writeFileSync } from "node:fs";
import { request as httpRequest } from "node:http";
import { basename, join } from "node:path";
import { startEmulator } from "../../emulator/emulator.mjs";
import { EXAMPLE_WORKER_DIR, TOKEN, bundleWorker, removeDir, setUpProject, startWorker } from "../support.mjs";

const ORIGIN = "https://app.example.com";
const OTHER_ORIGIN = "https://evil.example";
const BATCH = "/crm/v3/objects/0-3/batch/update";

let dir, hub, worker, config, bundle;
const seen = []; // every response body the tests read: the token must be in none

before(async () => {
  dir = await setUpProject(EXAMPLE_WORKER_DIR, { name: "worker", only: ["src", "wrangler.toml"] });
  config = readFileSync(join(dir, "wrangler.toml"), "utf8");
  hub = await startEmulator({ deals: 20 });
  bundle = await bundleWorker(join(dir, mainOf(config)), join(dir, "dist"));
  worker = await startWorker({
    ...bundle,
    compatibilityDate: compatibilityDateOf(config),
    bindings: { HUBSPOT_TOKEN: TOKEN, ALLOWED_ORIGINS: `${ORIGIN}, http://127.0.0.1:5173`, HUBSPOT_BASE_URL: hub.url },
  });
});

after(async () => {
  await worker?.close();
  await hub?.close();
  removeDir(dir);
});

function mainOf(toml) {
  return /^main\s*=\s*"([^"]+)"/m.exec(toml)[1];
}
function compatibilityDateOf(toml) {
  return /^compatibility_date\s*=\s*"(\d{4}-\d{2}-\d{2})"/m.exec(toml)[1];
}

async function call(path, { method = "POST", origin = ORIGIN, body, headers = {} } = {}) {
  const res = await fetch(worker.url + path, {
    method,
    headers: { ...(origin ? { Origin: origin } : {}), ...(body !== undefined ? { "Content-Type": "application/json" } : {}), ...headers },
    body: body === undefined ? undefined : typeof body === "string" ? body : JSON.stringify(body),
  });
  const text = await res.text();
  seen.push(text, JSON.stringify([...res.headers]));
  let json;
  try {
    json = JSON.parse(text);
  } catch {}
  return { status: res.status, headers: res.headers, text, json };
}

/** A POST that declares a `bytes`-long body and sends none of it: what the proxy answers on
 * the headers alone. Sending a large body the server does not read races the server's close
 * (workerd resets the connection, and the client may lose the answer: seen once in CI); here
 * no body byte is in flight, and an answer that waited for the body fails the test. */
function headersOnly(path, bytes) {
  return new Promise((resolve, reject) => {
    const req = httpRequest(worker.url + path, {
      method: "POST",
      headers: { Origin: ORIGIN, "Content-Type": "application/json", "Content-Length": String(bytes) },
    });
    const timer = setTimeout(() => {
      req.destroy();
      reject(new Error(`${path}: no answer on the headers alone within 10 s (did the proxy wait for the body?)`));
    }, 10_000);
    req.on("response", (res) => {
      let text = "";
      res.setEncoding("utf8");
      res.on("data", (d) => (text += d));
      res.on("end", () => {
        clearTimeout(timer);
        req.destroy();
        seen.push(text);
        let json;
        try {
          json = JSON.parse(text);
        } catch {}
        resolve({ status: res.statusCode, headers: res.headers, text, json });
      });
    });
    req.on("error", (e) => {
      clearTimeout(timer);
      reject(e);
    });
    req.flushHeaders();
  });
}

const apiRequests = () => hub.emulator.getState().requests;

test("wrangler.toml: entry, compatibility date, no account id, token only as a secret", () => {
  assert.equal(mainOf(config), "src/index.js");
  assert.match(compatibilityDateOf(config), /^20\d\d-\d\d-\d\d$/);
  assert.doesNotMatch(config, /^\s*account_id\s*=/m);
  assert.doesNotMatch(config, /^\s*HUBSPOT_TOKEN\s*=/m, "the token is a secret, never a [vars] entry");
  const pkg = JSON.parse(readFileSync(join(EXAMPLE_WORKER_DIR, "package.json"), "utf8"));
  assert.ok(pkg.dependencies?.["hubspot-batch"], "the example depends on hubspot-batch");
  // the "workerd" condition picks the full build (with the proxy), not the browser one
  assert.deepEqual(bundle.wasmFiles.map((f) => basename(f)), ["hubspot_batch_bg.wasm"]);
});

test("HubSpot's batch endpoint is forwarded with the token and reaches the emulator", async () => {
  const before = hub.emulator.getLog(0).length;
  const r = await call(BATCH, { body: { inputs: [{ id: "1", properties: { dealname: "via the proxy" } }] } });
  assert.equal(r.status, 200, r.text);
  assert.equal(r.json.status, "COMPLETE");
  assert.deepEqual(r.json.results.map((x) => x.id), ["1"]);
  assert.equal(r.headers.get("access-control-allow-origin"), ORIGIN);
  assert.equal(r.headers.get("x-hubspot-ratelimit-max"), "100", "rate-limit headers are passed on");
  assert.equal(hub.emulator.getRecord("deals", "1").properties.dealname, "via the proxy");
  const entries = hub.emulator.getLog(0).slice(before);
  assert.equal(entries.length, 1);
  assert.equal(entries[0].authorization, "bearer-valid");
  assert.equal(entries[0].path, BATCH);
});

test("a HubSpotBatch client with baseUrl = the Worker updates through it (no token of its own)", async () => {
  const { HubSpotBatch } = await import(join(dir, "node_modules", "hubspot-batch", "node.mjs"));
  // Node's fetch sends no Origin; a page's does. Add it, as the browser would.
  const withOrigin = (url, init) => fetch(url, { ...init, headers: { ...init.headers, Origin: ORIGIN } });
  const client = new HubSpotBatch({ baseUrl: worker.url, batchSize: 2, fetch: withOrigin });
  const result = await client.update([
    { id: "2", properties: { amount: 10 } },
    { id: "3", properties: { amount: 20 } },
    { id: "999999", properties: { amount: 30 } },
  ]);
  assert.deepEqual(result.results.map((x) => x.id), ["2", "3"]);
  assert.deepEqual(result.failed.map((f) => [f.index, f.error.category]), [[2, "OBJECT_NOT_FOUND"]]);
  assert.equal(hub.emulator.getRecord("deals", "3").properties.amount, "20");
});

test("POST /update runs a whole update() at the edge", async () => {
  const r = await call("/update", {
    body: {
      inputs: [
        { id: "ext-4", properties: { dealstage: "closedwon", amount: 4000 } },
        { id: "ext-5", properties: { dealstage: "no-such-stage" } },
        { id: "ext-999999", properties: { dealname: "nobody" } },
      ],
      idProperty: "deal_external_id",
    },
  });
  assert.equal(r.status, 200, r.text);
  assert.equal(r.json.status, "COMPLETE");
  assert.deepEqual(r.json.results.map((x) => x.id), ["4"]);
  assert.deepEqual(r.json.failed.map((f) => [f.index, f.id]), [[1, "ext-5"], [2, "ext-999999"]]);
  assert.equal(r.json.failed[0].error.category, "VALIDATION_ERROR");
  assert.equal(r.json.results.length + r.json.failed.length, 3);
  assert.equal(r.headers.get("access-control-allow-origin"), ORIGIN);
  const d4 = hub.emulator.getRecord("deals", "4");
  assert.equal(d4.properties.dealstage, "closedwon");
  assert.equal(d4.properties.amount, "4000");
  assert.equal(hub.emulator.getRecord("deals", "5").writes, 0);
});

test("a disallowed origin gets 403 and no CORS headers; nothing reaches HubSpot", async () => {
  const n = apiRequests();
  for (const path of [BATCH, "/update"]) {
    const r = await call(path, { origin: OTHER_ORIGIN, body: { inputs: [{ id: "1", properties: { dealname: "evil" } }] } });
    assert.equal(r.status, 403, r.text);
    assert.equal(r.json.category, "ORIGIN_NOT_ALLOWED");
    assert.equal(r.headers.get("access-control-allow-origin"), null);
  }
  const none = await call(BATCH, { origin: null, body: { inputs: [] } });
  assert.equal(none.status, 403, "a request without an Origin is refused too");
  assert.equal(apiRequests(), n);
  assert.notEqual(hub.emulator.getRecord("deals", "1").properties.dealname, "evil");
});

test("a disallowed object type gets 403 (forwarded and at the edge)", async () => {
  const n = apiRequests();
  const fwd = await call("/crm/v3/objects/contacts/batch/update", { body: { inputs: [{ id: "1", properties: { firstname: "x" } }] } });
  assert.equal(fwd.status, 403, fwd.text);
  assert.equal(fwd.json.category, "OBJECT_TYPE_NOT_ALLOWED");
  assert.equal(fwd.headers.get("access-control-allow-origin"), ORIGIN, "an allowed page can read the refusal");
  const edge = await call("/update", { body: { objectType: "0-1", inputs: [{ id: "1", properties: { firstname: "x" } }] } });
  assert.equal(edge.status, 403, edge.text);
  assert.equal(edge.json.category, "OBJECT_TYPE_NOT_ALLOWED");
  assert.equal(apiRequests(), n);
});

test("by default only update is served: archive and the others get a JSON 403 and reach nothing", async () => {
  const n = apiRequests();
  for (const op of ["archive", "create", "upsert", "read"]) {
    for (const path of [`/crm/v3/objects/0-3/batch/${op}`, `/crm/objects/2026-03/0-3/batch/${op}`, `/${op}`]) {
      const r = await call(path, { body: { inputs: [{ id: "7" }] } });
      assert.equal(r.status, 403, `${path}: ${r.text}`);
      assert.equal(r.json.category, "OPERATION_NOT_ALLOWED", path);
      assert.match(r.json.message, new RegExp(`\\b${op}\\b.*options\\.operations`), path);
      assert.match(r.headers.get("content-type"), /application\/json/);
      assert.equal(r.headers.get("access-control-allow-origin"), ORIGIN, "an allowed page can read the refusal");
    }
  }
  // refused on the path alone: a 2 MB body (over the cap) is not even waited for
  const big = await headersOnly("/crm/v3/objects/0-3/batch/archive", 2_000_000);
  assert.equal(big.status, 403, big.text);
  assert.equal(big.json.category, "OPERATION_NOT_ALLOWED");
  assert.equal(apiRequests(), n, "nothing reached HubSpot");
  assert.equal(hub.emulator.getRecord("deals", "7").archived, false);
  // an unknown operation word is no route at all
  const unknown = await call("/crm/v3/objects/0-3/batch/delete", { body: { inputs: [{ id: "7" }] } });
  assert.equal(unknown.status, 404, unknown.text);
  assert.equal(unknown.json.category, "NOT_FOUND");
});

test("the dated API path is forwarded to the same path", async () => {
  const before = hub.emulator.getLog(0).length;
  const path = "/crm/objects/2026-03/0-3/batch/update";
  const r = await call(path, { body: { inputs: [{ id: "8", properties: { dealname: "dated" } }] } });
  assert.equal(r.status, 200, r.text);
  assert.deepEqual(r.json.results.map((x) => x.id), ["8"]);
  const entries = hub.emulator.getLog(0).slice(before);
  assert.deepEqual(entries.map((e) => e.path), [path]);
  assert.equal(hub.emulator.getRecord("deals", "8").properties.dealname, "dated");
});

test("a Worker with operations update and read forwards read, and still refuses archive", async () => {
  const reader = await startWorker({
    ...bundle,
    compatibilityDate: compatibilityDateOf(config),
    bindings: { HUBSPOT_TOKEN: TOKEN, ALLOWED_ORIGINS: ORIGIN, HUBSPOT_BASE_URL: hub.url, OPERATIONS: "update, read" },
  });
  const post = async (path, body) => {
    const res = await fetch(reader.url + path, { method: "POST", headers: { Origin: ORIGIN, "Content-Type": "application/json" }, body: JSON.stringify(body) });
    const text = await res.text();
    seen.push(text);
    return { status: res.status, text, json: JSON.parse(text), headers: res.headers };
  };
  try {
    const before = hub.emulator.getLog(0).length;
    const read = { inputs: [{ id: "9" }, { id: "10" }], properties: ["dealname"] };
    for (const path of ["/crm/v3/objects/0-3/batch/read", "/crm/objects/2026-03/deals/batch/read?archived=false"]) {
      const r = await post(path, read);
      assert.equal(r.status, 200, `${path}: ${r.text}`);
      assert.deepEqual(r.json.results.map((x) => x.id).sort(), ["10", "9"], path);
      assert.ok("dealname" in r.json.results[0].properties, r.text);
      assert.equal(r.headers.get("access-control-allow-origin"), ORIGIN);
    }
    const entries = hub.emulator.getLog(0).slice(before);
    assert.deepEqual(entries.map((e) => [e.path, e.authorization]), [
      ["/crm/v3/objects/0-3/batch/read", "bearer-valid"],
      ["/crm/objects/2026-03/deals/batch/read", "bearer-valid"],
    ]);
    const upd = await post(BATCH, { inputs: [{ id: "9", properties: { dealname: "still updates" } }] });
    assert.equal(upd.status, 200, upd.text);
    // The run route: a whole read() at the edge, with the call's options from the body.
    const run = await post("/read", { inputs: ["9", "424242"], properties: ["dealname"] });
    assert.equal(run.status, 200, run.text);
    assert.deepEqual(run.json.results.map((x) => [x.id, x.properties.dealname]), [["9", "still updates"]]);
    assert.deepEqual(run.json.failed.map((f) => [f.index, f.error.category]), [[1, "OBJECT_NOT_FOUND"]]);
    const n = apiRequests();
    const arch = await post("/crm/v3/objects/0-3/batch/archive", { inputs: [{ id: "9" }] });
    assert.equal(arch.status, 403, arch.text);
    assert.equal(arch.json.category, "OPERATION_NOT_ALLOWED");
    assert.equal(apiRequests(), n);
    assert.equal(hub.emulator.getRecord("deals", "9").archived, false);
  } finally {
    await reader.close();
  }
});

test("a Worker with archive listed forwards it (HubSpot's 204 passes through)", async () => {
  const archiver = await startWorker({
    ...bundle,
    compatibilityDate: compatibilityDateOf(config),
    bindings: { HUBSPOT_TOKEN: TOKEN, ALLOWED_ORIGINS: ORIGIN, HUBSPOT_BASE_URL: hub.url, OPERATIONS: "archive" },
  });
  try {
    const res = await fetch(archiver.url + "/crm/v3/objects/0-3/batch/archive", {
      method: "POST",
      headers: { Origin: ORIGIN, "Content-Type": "application/json" },
      body: JSON.stringify({ inputs: [{ id: "11" }] }),
    });
    assert.equal(res.status, 204, await res.text());
    assert.equal(hub.emulator.getRecord("deals", "11").archived, true);
    const upd = await fetch(archiver.url + BATCH, {
      method: "POST",
      headers: { Origin: ORIGIN, "Content-Type": "application/json" },
      body: JSON.stringify({ inputs: [{ id: "12", properties: { dealname: "x" } }] }),
    });
    assert.equal(upd.status, 403, "update is not implied when the list leaves it out");
    seen.push(await upd.text());
  } finally {
    await archiver.close();
  }
});

test("malformed JSON gets 400", async () => {
  const n = apiRequests();
  for (const path of [BATCH, "/update"]) {
    const r = await call(path, { body: '{"inputs": [' });
    assert.equal(r.status, 400, r.text);
    assert.equal(r.json.category, "VALIDATION_ERROR");
  }
  const shape = await call(BATCH, { body: { inputs: [{ id: 1, properties: "no" }] } });
  assert.equal(shape.status, 400, "a body that is JSON but not a batch is 400 too");
  assert.equal(apiRequests(), n);
});

test("an oversized body gets 413", async () => {
  const n = apiRequests();
  // declared too large: refused by its Content-Length, before a byte of it is read
  const r = await headersOnly(BATCH, 1_100_000);
  assert.equal(r.status, 413, r.text);
  assert.equal(r.json.category, "PAYLOAD_TOO_LARGE");
  // streamed (chunked, no Content-Length): refused by its size once read
  const chunk = new TextEncoder().encode("x".repeat(64 * 1024));
  let sent = 0;
  const stream = new ReadableStream({
    pull(controller) {
      if (sent === 0) controller.enqueue(new TextEncoder().encode('{"inputs":[{"id":"1","properties":{"description":"'));
      if (sent >= 20) return controller.close();
      sent++;
      controller.enqueue(chunk);
    },
  });
  const res = await fetch(worker.url + BATCH, { method: "POST", headers: { Origin: ORIGIN, "Content-Type": "application/json" }, body: stream, duplex: "half" });
  const text = await res.text();
  seen.push(text);
  assert.equal(res.status, 413, text);
  assert.equal(apiRequests(), n);
});

test("preflight: 204 with CORS headers for an allowed origin, none for another", async () => {
  const preflight = { "Access-Control-Request-Method": "POST", "Access-Control-Request-Headers": "content-type" };
  const ok = await call(BATCH, { method: "OPTIONS", headers: preflight });
  assert.equal(ok.status, 204);
  assert.equal(ok.headers.get("access-control-allow-origin"), ORIGIN);
  assert.match(ok.headers.get("access-control-allow-methods"), /\bPOST\b/);
  assert.match(ok.headers.get("access-control-allow-headers").toLowerCase(), /\bcontent-type\b/);
  assert.match(ok.headers.get("vary") ?? "", /Origin/i);
  const second = await call("/update", { method: "OPTIONS", origin: "http://127.0.0.1:5173", headers: preflight });
  assert.equal(second.status, 204, "every listed origin is allowed (the list is comma-separated, spaces trimmed)");
  assert.equal(second.headers.get("access-control-allow-origin"), "http://127.0.0.1:5173");
  const other = await call(BATCH, { method: "OPTIONS", origin: OTHER_ORIGIN, headers: preflight });
  assert.notEqual(other.status, 204);
  for (const h of ["access-control-allow-origin", "access-control-allow-methods", "access-control-allow-headers"]) {
    assert.equal(other.headers.get(h), null, `${h} for a disallowed origin`);
  }
});

test("the token appears in no response", () => {
  assert.ok(seen.length > 10);
  for (const s of seen) assert.ok(!s.includes(TOKEN), `token leaked in: ${s.slice(0, 200)}`);
});

test("without the HUBSPOT_TOKEN secret the Worker answers 500 and says what is missing", async () => {
  const bare = await startWorker({
    ...(await bundleWorker(join(dir, mainOf(config)), join(dir, "dist-bare"))),
    compatibilityDate: compatibilityDateOf(config),
    bindings: { ALLOWED_ORIGINS: ORIGIN },
  });
  try {
    const res = await fetch(bare.url + BATCH, { method: "POST", headers: { Origin: ORIGIN, "Content-Type": "application/json" }, body: '{"inputs":[]}' });
    assert.equal(res.status, 500);
    assert.match(await res.text(), /HUBSPOT_TOKEN/);
  } finally {
    await bare.close();
  }
});

test("unbundled: the Worker importing the package's workerd entry runs under miniflare's module rules", async () => {
  // No bundler: the bare specifier becomes the path of the "workerd" export, and miniflare's
  // rules load the .js files as ES modules and the .wasm as a compiled module.
  const pkg = JSON.parse(readFileSync(join(dir, "node_modules/hubspot-batch/package.json"), "utf8"));
  const entry = pkg.exports["."].workerd;
  const src = readFileSync(join(dir, "src", "index.js"), "utf8").replace('from "hubspot-batch"', `from "../node_modules/hubspot-batch/${entry.replace(/^\.\//, "")}"`);
  writeFileSync(join(dir, "src", "index.unbundled.js"), src);
  const unbundled = await startWorker({
    scriptPath: join(dir, "src", "index.unbundled.js"),
    modulesRoot: dir,
    compatibilityDate: compatibilityDateOf(config),
    bindings: { HUBSPOT_TOKEN: TOKEN, ALLOWED_ORIGINS: ORIGIN, HUBSPOT_BASE_URL: hub.url },
  });
  try {
    const res = await fetch(unbundled.url + "/update", {
      method: "POST",
      headers: { Origin: ORIGIN, "Content-Type": "application/json" },
      body: JSON.stringify({ inputs: [{ id: "6", properties: { dealname: "unbundled" } }] }),
    });
    const out = await res.json();
    assert.equal(res.status, 200, JSON.stringify(out));
    assert.deepEqual(out.results.map((x) => x.id), ["6"]);
    assert.equal(hub.emulator.getRecord("deals", "6").properties.dealname, "unbundled");
  } finally {
    await unbundled.close();
  }
});
