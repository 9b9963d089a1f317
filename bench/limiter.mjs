// Several clients on one token, with and without a shared rateLimiter (issue 15, part 4), in
// Node against the emulator in its own process (tests/emulator/server.mjs), which counts a
// rolling window per token at arrival.
//
//   node bench/limiter.mjs [clients=4,8] [requestsPerClient=40] [limit=20/1000] [latencyMs=20]
//
// For each client count: the clients run at once, each its own HubSpotBatch (batchSize 1, the
// emulator's window as its own rateLimit), first each on its own (what the issue measured), then
// all on one memoryRateLimiter. Prints a JSON line per run: requests, 429s, wall, bound
// (requests / limit x interval) and wall / bound. Needs a built pkg/ (scripts/build-pkg).
// Not part of bench/run.mjs or BENCHMARKS.md.
import { join } from "node:path";
import { createRequire } from "node:module";
import { REPO } from "./lib.mjs";
import { startEmulatorProcess } from "./throughput.mjs";

const require = createRequire(import.meta.url);
const pkg = require(join(REPO, "pkg", "node.cjs"));

const [clientsArg = "4,8", perArg = "40", limitArg = "20/1000", latencyArg = "20"] = process.argv.slice(2);
const [requests, intervalMs] = limitArg.split("/").map(Number);
const per = Number(perArg);

async function run(clients, shared) {
  const emu = await startEmulatorProcess(["--deals", String(clients * per + 10), "--rate-limit", `${requests}/${intervalMs}`, "--latency", latencyArg]);
  try {
    const limiter = shared ? pkg.memoryRateLimiter({ requests, intervalMs }) : undefined;
    const t0 = Date.now();
    const results = await Promise.all(
      Array.from({ length: clients }, (_, c) => {
        const client = new pkg.HubSpotBatch({
          accessToken: "emulator-token",
          baseUrl: emu.url,
          batchSize: 1,
          rateLimit: { requests, intervalMs },
          ...(limiter ? { rateLimiter: limiter } : {}),
        });
        const inputs = Array.from({ length: per }, (_, i) => ({ id: String(1 + c * per + i), properties: { dealname: `bench ${c}` } }));
        return client.update(inputs);
      }),
    );
    const wall = Date.now() - t0;
    const sent = results.reduce((n, r) => n + r.stats.requests, 0);
    const limited = results.reduce((n, r) => n + r.stats.rateLimited, 0);
    const lost = results.reduce((n, r) => n + r.failed.length, 0);
    const bound = ((clients * per) / requests) * intervalMs;
    return { clients, limiter: shared ? "memoryRateLimiter" : "none", requests: sent, rateLimited: limited, failed: lost, wallMs: wall, boundMs: bound, wallOverBound: Number((wall / bound).toFixed(3)) };
  } finally {
    await emu.stop();
  }
}

for (const clients of clientsArg.split(",").map(Number)) {
  for (const shared of [false, true]) console.log(JSON.stringify(await run(clients, shared)));
}
