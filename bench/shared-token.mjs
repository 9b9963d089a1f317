// Several uncoordinated clients on one token (issue 15, part 3): N `HubSpotBatch` instances in one
// process, started together, each updating its own 5,000 deals, against the emulator (its own
// process on 127.0.0.1, a rolling window per token, answers after `latency` ms, the rate-limit
// headers on every answer). Nothing tells one client about the others but HubSpot's
// `X-HubSpot-RateLimit-Remaining`.
//
//   node bench/shared-token.mjs [--pkg DIR] [--clients 1,4,8] [--deals 5000] [--rate 100/10000]
//                               [--latency 50] [--batch-size 100] [--limiter none|memory|both]
//                               [--repeat 1] [--json]
//
// Each client is told the token's limit (`rateLimit`, from --rate) and sends --batch-size inputs
// a request. Small windows of one input each (`--rate 20/1000 --batch-size 1`) are what the
// shared limiter's figures in README.md were measured with.
//
// Per client count it prints: requests the emulator saw, 429s and their share, wall (from the
// first update() call to the last one settling), bound and wall/bound, inputs lost (neither in
// `results` nor in `failed`) and failed. Bound = the least wall time any client (or all of them
// together) can reach: (windows - 1) x interval + one latency, windows = ceil(requests / limit),
// as bench/run.mjs counts it for the throughput rows. --json prints one JSON line per run instead.
import { createRequire } from "node:module";
import { join } from "node:path";
import { performance } from "node:perf_hooks";
import { parseArgs } from "node:util";
import { REPO } from "./lib.mjs";
import { dealInputs, startEmulatorProcess } from "./throughput.mjs";

const require = createRequire(import.meta.url);

const { values } = parseArgs({
  options: {
    pkg: { type: "string", default: join(REPO, "pkg") },
    clients: { type: "string", default: "1,4,8" },
    deals: { type: "string", default: "5000" },
    rate: { type: "string", default: "100/10000" },
    latency: { type: "string", default: "50" },
    "batch-size": { type: "string", default: "100" },
    repeat: { type: "string", default: "1" },
    json: { type: "boolean", default: false },
    // none: each client on its own (the headers are all they share); memory: all on one
    // memoryRateLimiter (issue 15 part 4, the exact way); both: one run of each.
    limiter: { type: "string", default: "none" },
  },
});
const [requests, intervalMs] = values.rate.split("/").map(Number);
const deals = Number(values.deals);
const latencyMs = Number(values.latency);
const batchSize = Number(values["batch-size"]);
const { HubSpotBatch, memoryRateLimiter } = require(join(values.pkg, "node.cjs"));

/** One run of `n` clients; resolves with its figures. */
async function run(n, limiter) {
  const em = await startEmulatorProcess([
    "--deals", String(n * deals), "--seed", "3", "--rate-limit", `${requests}/${intervalMs}`,
    "--latency", String(latencyMs), "--daily-limit", "off",
  ]);
  try {
    // Client k updates deals k*deals+1 .. (k+1)*deals.
    const inputs = Array.from({ length: n }, (_, k) =>
      dealInputs(deals).map((x, i) => ({ ...x, id: String(k * deals + i + 1) })),
    );
    const shared = limiter === "memory" ? memoryRateLimiter({ requests, intervalMs }) : null;
    const options = { accessToken: "emulator-token", baseUrl: em.url, rateLimit: { requests, intervalMs }, batchSize };
    const clients = inputs.map(() => new HubSpotBatch({ ...options, ...(shared ? { rateLimiter: shared } : {}) }));
    const t0 = performance.now();
    const results = await Promise.all(clients.map((c, k) => c.update(inputs[k])));
    const wallMs = performance.now() - t0;
    const state = await em.control("state");
    const batches = n * Math.ceil(deals / batchSize);
    const boundMs = (Math.ceil(batches / requests) - 1) * intervalMs + latencyMs;
    let lost = 0, failed = 0, updated = 0;
    for (const [k, r] of results.entries()) {
      const seen = new Set(r.failed.map((f) => f.index));
      updated += r.results.length;
      failed += r.failed.length;
      lost += inputs[k].length - r.results.length - seen.size;
    }
    return {
      clients: n,
      limiter,
      deals: n * deals,
      batches,
      requests: state.requests,
      rateLimited: state.rateLimited,
      share429: state.requests ? state.rateLimited / state.requests : 0,
      wallMs,
      boundMs,
      wallOverBound: wallMs / boundMs,
      updated,
      failed,
      lost,
      perClient: results.map((r) => ({ requests: r.stats.requests, rateLimited: r.stats.rateLimited, durationMs: r.stats.durationMs })),
    };
  } finally {
    await em.stop();
  }
}

const pct = (x) => `${(100 * x).toFixed(1)}%`;
if (!values.json) {
  console.log(`${deals.toLocaleString("en-US")} deals per client, ${batchSize} a request, ${requests}/${intervalMs / 1000} s, latency ${latencyMs} ms, package ${values.pkg}`);
  console.log("clients | limiter | requests | 429s | 429 share | wall | bound | wall/bound | lost | failed");
}
for (const n of values.clients.split(",").map(Number)) {
  for (const limiter of values.limiter === "both" ? ["none", "memory"] : [values.limiter])
  for (let i = 0; i < Number(values.repeat); i++) {
    const r = await run(n, limiter);
    if (values.json) console.log(JSON.stringify(r));
    else
      console.log(
        `${n} | ${limiter} | ${r.requests} | ${r.rateLimited} | ${pct(r.share429)} | ${(r.wallMs / 1000).toFixed(2)} s | ` +
          `${(r.boundMs / 1000).toFixed(2)} s | ${r.wallOverBound.toFixed(3)} | ${r.lost} | ${r.failed}`,
      );
  }
}
process.exit(0);
