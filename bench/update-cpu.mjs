// update()'s own time, with no network and no pacing: an injected fetch answers every
// request at once with a HubSpot-shaped body made from the request (the time spent making
// it is taken out). For comparing two builds of the package side by side, in one process,
// taking turns:
//
//   node bench/update-cpu.mjs <pkg dir> [<pkg dir> ...] [rounds]    (default: pkg, 20)
//
// Prints, per package, the median and minimum of its rounds: the time from the update()
// call to its result, for 20,000 inputs in 200 batches, less the fetch stand-in's time.
// Not part of scripts/bench: a figure for a before/after, such as bench/SIZE-NOTES.md's.
import { createRequire } from "node:module";
import { resolve } from "node:path";
import { performance } from "node:perf_hooks";
import { dealInputs } from "./throughput.mjs";

const require = createRequire(import.meta.url);
const args = process.argv.slice(2);
const rounds = /^\d+$/.test(args.at(-1) ?? "") ? Number(args.pop()) : 20;
const pkgs = args.length ? args.map((p) => resolve(p)) : [resolve("pkg")];
const N = 20000;
const inputs = () => dealInputs(N);

const now = new Date().toISOString();
let standIn = 0;
const fetch = async (url, init) => {
  const t = performance.now();
  const results = JSON.parse(init.body).inputs.map((x) => ({
    id: x.id,
    properties: { ...x.properties, hs_lastmodifieddate: now, hs_object_id: x.id, hs_closed_amount: null },
    createdAt: "2024-01-01T01:10:00.000Z", updatedAt: now, archived: false, objectWriteTraceId: x.objectWriteTraceId,
  }));
  const body = JSON.stringify({ status: "COMPLETE", results, startedAt: now, completedAt: now });
  const r = new Response(body, { status: 200, headers: { "content-type": "application/json;charset=utf-8" } });
  standIn += performance.now() - t;
  return r;
};

const clients = pkgs.map((p) => new (require(`${p}/node.cjs`).HubSpotBatch)({
  accessToken: "bench-token-0123456789", baseUrl: "http://127.0.0.1:9", fetch,
  rateLimit: { requests: 1000, intervalMs: 10 },
}));
const times = pkgs.map(() => []);
for (let r = 0; r < rounds; r++) {
  for (let c = 0; c < clients.length; c++) {
    const x = inputs();
    standIn = 0;
    const t0 = performance.now();
    const result = await clients[c].update(x);
    times[c].push(performance.now() - t0 - standIn);
    if (result.results.length !== N) throw new Error(`${pkgs[c]}: ${result.results.length} of ${N} updated`);
  }
}
const median = (a) => a.slice().sort((x, y) => x - y)[a.length >> 1];
pkgs.forEach((p, c) => console.log(`${p}: median ${median(times[c]).toFixed(0)} ms, min ${Math.min(...times[c]).toFixed(0)} ms (${rounds} rounds, ${N} inputs, ${N / 100} answers)`));
