// Throughput against the emulator (tests/emulator) with a rate limit and latency: the package's
// HubSpotBatch#update() vs @hubspot/api-client's crm.deals.batchApi.update() with Promise.all.
//
//   node bench/throughput.mjs '<scenario JSON>'     # one scenario; prints one JSON line
//
// A scenario: { client: "ours" | "apiClient" | "floor" | "startup", deals, rateLimit: {requests, intervalMs}, latencyMs,
//   pkg (ours, floor: the package folder), options (ours: extra ClientOptions; apiClient: extra Client config),
//   overFetch (floor: send through the global fetch instead of node:http) }
// "floor" is a reference, not a client anyone would ship: our pacing rule (a request's slot frees one
// interval after its answer's headers arrived) with next to no CPU: every body is built before the clock
// starts, requests go out through node:http with keep-alive, answers are drained unread. What it reaches
// is what this pacing rule allows against this emulator on this machine when the client costs nothing.
// The emulator runs in its own process (like a remote server), started here on 127.0.0.1:0 and
// stopped at the end. Each scenario runs in a fresh process (bench/run.mjs spawns them one by one).
import { spawn } from "node:child_process";
import http from "node:http";
import { createRequire } from "node:module";
import { join } from "node:path";
import { performance } from "node:perf_hooks";
import { REPO } from "./lib.mjs";

const require = createRequire(import.meta.url);

export async function startEmulatorProcess(args) {
  const child = spawn(process.execPath, [join(REPO, "tests", "emulator", "server.mjs"), "--port", "0", ...args], { stdio: ["ignore", "pipe", "inherit"] });
  const url = await new Promise((resolve, reject) => {
    let buf = "";
    const t = setTimeout(() => reject(new Error("emulator did not start in 30 s")), 30_000);
    child.stdout.on("data", (d) => {
      buf += d;
      const line = buf.split("\n")[0];
      if (buf.includes("\n")) {
        clearTimeout(t);
        try {
          resolve(JSON.parse(line).url);
        } catch (e) {
          reject(e);
        }
      }
    });
    child.once("exit", (code) => reject(new Error(`emulator exited with ${code}`)));
  });
  const control = async (path) => (await fetch(`${url}/_emulator/${path}`)).json();
  const stop = () =>
    new Promise((resolve) => {
      if (child.exitCode !== null) return resolve();
      child.once("exit", resolve);
      child.kill("SIGTERM");
    });
  return { url, control, stop };
}

/** The largest number of accepted requests that arrived within any `intervalMs` window. */
function maxInWindow(times, intervalMs) {
  let best = 0;
  for (let i = 0, j = 0; i < times.length; i++) {
    while (times[i] - times[j] >= intervalMs) j++;
    best = Math.max(best, i - j + 1);
  }
  return best;
}

/** The deals every scenario updates (also bench/update-cpu.mjs). */
export function dealInputs(n) {
  const stages = ["qualifiedtobuy", "contractsent", "closedwon"];
  return Array.from({ length: n }, (_, i) => ({
    id: String(i + 1),
    properties: { amount: 1000 + (i % 500) * 10.5, dealstage: stages[i % 3], closedate: new Date(Date.UTC(2025, 5, 1) + i * 60_000) },
  }));
}

async function runOurs(sc, url) {
  const { HubSpotBatch } = require(join(sc.pkg, "node.cjs"));
  // upsert (issue 14): the same deals keyed by deal_external_id, every other one new.
  const upsert = sc.operation === "upsert";
  const inputs = upsert
    ? dealInputs(sc.deals).map((x, i) => ({ ...x, id: i % 2 ? `ext-new-${i}` : `ext-${x.id}` }))
    : dealInputs(sc.deals);
  const client = new HubSpotBatch({ accessToken: "emulator-token", baseUrl: url, ...(sc.options || {}) });
  const t0 = performance.now();
  const r = upsert ? await client.upsert(inputs, { idProperty: "deal_external_id" }) : await client.update(inputs);
  const wallMs = performance.now() - t0;
  return { wallMs, updated: r.results.length, failed: r.failed.length, stats: r.stats, status: r.status };
}

async function runApiClient(sc, url) {
  const { Client } = require("@hubspot/api-client");
  const client = new Client({ accessToken: "emulator-token", basePath: url, ...(sc.options || {}) });
  // The same 200 chunks of 100, properties formatted by hand (the SDK wants strings).
  const inputs = dealInputs(sc.deals).map((x) => ({ id: x.id, properties: { amount: String(x.properties.amount), dealstage: x.properties.dealstage, closedate: String(x.properties.closedate.getTime()) } }));
  const chunks = [];
  for (let i = 0; i < inputs.length; i += 100) chunks.push(inputs.slice(i, i + 100));
  const t0 = performance.now();
  const calls = chunks.map((inputs) => client.crm.deals.batchApi.update({ inputs }));
  // What `await Promise.all(calls)` does: resolves when all succeed, rejects at the first failure.
  let promiseAllMs = null, promiseAllOutcome = null;
  const all = Promise.all(calls).then(
    () => ((promiseAllMs = performance.now() - t0), (promiseAllOutcome = "resolved")),
    (e) => ((promiseAllMs = performance.now() - t0), (promiseAllOutcome = `rejected (HTTP ${e?.code ?? "?"})`)),
  );
  const settled = await Promise.allSettled(calls);
  await all;
  const wallMs = performance.now() - t0;
  const ok = settled.filter((s) => s.status === "fulfilled");
  return {
    wallMs,
    promiseAllMs,
    promiseAllOutcome,
    updated: ok.reduce((a, s) => a + (s.value?.results?.length ?? 0), 0),
    failed: settled.reduce((a, s, i) => a + (s.status === "rejected" ? chunks[i].length : 0), 0),
    chunksRejected: settled.filter((s) => s.status === "rejected").length,
  };
}

async function runFloor(sc, url) {
  const { buildBatchUpdateRequests } = require(join(sc.pkg, "node.cjs"));
  // The same bodies as ours sends, trace ids included, encoded before the clock starts.
  const inputs = dealInputs(sc.deals).map((x, i) => ({ ...x, objectWriteTraceId: `hsb-0123abcd-${i}` }));
  const requests = buildBatchUpdateRequests(inputs, { accessToken: "emulator-token", baseUrl: url }).map((r) => {
    const body = Buffer.from(r.body);
    return { path: new URL(r.url).pathname, headers: { ...r.headers, "Content-Length": String(body.length) }, body };
  });
  const { hostname, port } = new URL(url);
  const agent = new http.Agent({ keepAlive: true, maxSockets: Infinity });
  let rateLimited = 0;
  // Resolves when the answer's headers arrived (the time the slot counts from) and when it was drained.
  const send = sc.overFetch
    ? // The same through the runtime's fetch (Node's undici), as our client must send: what
      // fetch itself costs, its body read with arrayBuffer() as ours does.
      async (r) => {
        const { "Content-Length": _, ...headers } = r.headers; // fetch sets it itself
        const res = await fetch(url + r.path, { method: "POST", headers, body: r.body, redirect: "manual" });
        const heard = performance.now();
        if (res.status === 429) rateLimited++;
        await res.arrayBuffer();
        return { heard, status: res.status };
      }
    : (r) =>
        new Promise((resolve, reject) => {
          const req = http.request({ host: hostname, port, path: r.path, method: "POST", agent, headers: r.headers }, (res) => {
            const heard = performance.now();
            if (res.statusCode === 429) rateLimited++;
            res.resume();
            res.on("end", () => resolve({ heard, status: res.statusCode }));
          });
          req.on("error", reject);
          req.end(r.body);
        });
  const { requests: limit, intervalMs } = sc.rateLimit;
  const slots = []; // per request: a promise of the time its slot frees
  const answers = [];
  const cpu0 = process.cpuUsage();
  const t0 = performance.now();
  for (let i = 0; i < requests.length; i++) {
    // Request i takes the slot of request i - limit.
    if (i >= limit) {
      const free = await slots[i - limit];
      const wait = free - performance.now();
      if (wait > 0) await new Promise((r) => setTimeout(r, wait));
    }
    const answer = send(requests[i]);
    slots.push(answer.then((a) => a.heard + intervalMs));
    answers.push(answer);
  }
  const done = await Promise.all(answers);
  const wallMs = performance.now() - t0;
  const cpu = process.cpuUsage(cpu0);
  agent.destroy();
  const ok = done.filter((a) => a.status === 200).length;
  // Its CPU from the start of the clock only (the bodies were built before).
  return { wallMs, updated: ok * 100, failed: (done.length - ok) * 100, floorRateLimited: rateLimited, clientCpuMs: (cpu.user + cpu.system) / 1000 };
}

/** Start-up: from the update() call to its first fetch() call, in this (fresh) process: reading
 * and validating every input (contract: invalid input rejects before anything is sent) and
 * building the first body. The fetch never answers; the run is then aborted. */
async function runStartup(sc) {
  const { HubSpotBatch } = require(join(sc.pkg, "node.cjs"));
  const inputs = dealInputs(sc.deals);
  const ac = new AbortController();
  let t0 = 0, firstMs = null;
  const fetch = () => {
    if (firstMs === null) {
      firstMs = performance.now() - t0;
      ac.abort();
    }
    return new Promise(() => {});
  };
  const client = new HubSpotBatch({ accessToken: "emulator-token", baseUrl: "http://127.0.0.1:9", fetch });
  t0 = performance.now();
  const run = client.update(inputs, { signal: ac.signal });
  const syncMs = performance.now() - t0;
  const aborted = await run.then(() => false, (e) => e.code === "ABORTED");
  if (!aborted || firstMs === null) throw new Error("the start-up run did not reach fetch and abort");
  return { firstFetchMs: firstMs, validateMs: syncMs };
}

/** The crossing's floor for start-up (bench/floor.mjs): the same inputs, their property values
 * formatted in JS first (timed apart: the floor validates and formats nothing), carried into
 * wasm by serde-wasm-bindgen, and the first body written; in a fresh process as above. */
async function runStartupFloor(sc) {
  const { floorImpl } = await import("./floor.mjs");
  const floor = floorImpl(sc.floor);
  const inputs = dealInputs(sc.deals);
  const t0 = performance.now();
  const strings = floor.prepare(inputs);
  const t1 = performance.now();
  const n = floor.read(strings);
  floor.buildBatchUpdateRequests(strings.slice(0, 100));
  const t2 = performance.now();
  if (n !== sc.deals) throw new Error(`the floor read ${n} inputs`);
  return { firstFetchMs: t2 - t1, formatMs: t1 - t0 };
}

export async function runScenario(sc) {
  if (sc.client === "startup") return runStartup(sc);
  if (sc.client === "startupFloor") return runStartupFloor(sc);
  const em = await startEmulatorProcess([
    "--deals", String(sc.deals), "--seed", "3",
    "--rate-limit", sc.rateLimit ? `${sc.rateLimit.requests}/${sc.rateLimit.intervalMs}` : "off",
    "--latency", String(sc.latencyMs ?? 0), "--daily-limit", "off",
  ]);
  // Count the SDK's retry messages (it logs each retry with console.error) instead of printing them.
  let retryLogs = 0;
  const origError = console.error;
  console.error = (...a) => (String(a[0]).startsWith("Request failed with status code") ? retryLogs++ : origError(...a));
  try {
    const cpu0 = process.cpuUsage();
    const run = { ours: runOurs, apiClient: runApiClient, floor: runFloor }[sc.client];
    const out = await run(sc, em.url);
    const cpu = process.cpuUsage(cpu0);
    out.clientCpuMs ??= (cpu.user + cpu.system) / 1000; // this process: the client, its JSON and HTTP work
    const state = await em.control("state");
    const log = await em.control("log?since=0");
    const accepted = log.filter((e) => e.status !== 429).map((e) => e.at).sort((a, b) => a - b);
    const arrivals = log.map((e) => e.at).sort((a, b) => a - b);
    return {
      ...out,
      sdkRetryLogs: retryLogs,
      emulator: { requests: state.requests, applied: state.applied, rateLimited: state.rateLimited },
      firstToLastArrivalMs: arrivals.length ? arrivals[arrivals.length - 1] - arrivals[0] : 0,
      maxAcceptedInWindow: sc.rateLimit ? maxInWindow(accepted, sc.rateLimit.intervalMs) : null,
      // when the first window's requests had all arrived, and when the second window's first one did
      firstWindowSentMs: sc.rateLimit && accepted.length >= sc.rateLimit.requests ? accepted[sc.rateLimit.requests - 1] - accepted[0] : null,
      secondWindowStartMs: sc.rateLimit && accepted.length > sc.rateLimit.requests ? accepted[sc.rateLimit.requests] - accepted[0] : null,
    };
  } finally {
    console.error = origError;
    await em.stop();
  }
}

if (import.meta.url === `file://${process.argv[1]}`) {
  const sc = JSON.parse(process.argv[2]);
  const out = await runScenario(sc);
  process.stdout.write(JSON.stringify(out) + "\n");
  process.exit(0); // the SDK may hold sockets open (keep-alive agents)
}
