// The shared budget at the edge (issue 15, part 4), on the real workerd runtime through
// miniflare: the package's HubSpotRateLimiter Durable Object holds one rolling window for a
// token, and every caller asks it before each request.
//  - 8 concurrent invocations of a Worker (tests/consumers/worker/limiter/worker.js), each its
//    own HubSpotBatch on the same token, updating deals through the local HubSpot emulator,
//    which counts a rolling window per token at arrival (20 requests per 1 s here, to keep the
//    test short): no 429, nothing lost, wall within 1.10x the bound (requests / limit x interval).
//  - examples/worker with its wrangler.toml Durable Object binding: 8 clients forwarding through
//    it, none pacing itself, and the proxy's limiter keeps HubSpot's count within the limit.
// The figures are printed (requests, 429s, wall, wall / bound).
import { test, after } from "node:test";
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { startEmulator } from "../../emulator/emulator.mjs";
import { EXAMPLE_WORKER_DIR, TOKEN, bundleWorker, removeDir, setUpProject, startWorker } from "../support.mjs";

const HERE = dirname(fileURLToPath(import.meta.url));
const LIMIT = { requests: 20, intervalMs: 1000 };
const CALLERS = 8;
const PER_CALLER = 20; // single-input requests each: 160 requests, a bound of 8 s
const ORIGIN = "https://app.example.com";

const dirs = [];
const closers = [];

after(async () => {
  for (const close of closers.reverse()) await close();
  for (const d of dirs) removeDir(d);
});

/** A fresh emulator (its window holds nothing of another test's), counting 20 per 1 s. */
async function emulator() {
  const hub = await startEmulator({ deals: 1000, rateLimit: LIMIT });
  closers.push(() => hub.close());
  return hub;
}

/** The emulator's 429 count and log length now. */
const mark = (hub) => ({ limited: hub.emulator.getState().rateLimited, log: hub.emulator.getLog(0).length });

function report(what, { requests, limited, wall }) {
  const bound = (requests / LIMIT.requests) * LIMIT.intervalMs;
  const ratio = wall / bound;
  console.log(
    `${what}: ${requests} requests, ${limited} x 429, wall ${wall} ms, bound ${bound} ms, wall/bound ${ratio.toFixed(3)}`,
  );
  return ratio;
}

test("8 concurrent Worker invocations on one token share the Durable Object's window: 0 x 429, nothing lost, wall <= 1.10x the bound", { timeout: 120_000 }, async () => {
  const dir = await setUpProject(join(HERE, "limiter"), { name: "worker-limiter" });
  dirs.push(dir);
  const bundle = await bundleWorker(join(dir, "worker.js"), join(dir, "dist"));
  const hub = await emulator();
  const worker = await startWorker({
    ...bundle,
    bindings: { HUBSPOT_TOKEN: TOKEN, HUBSPOT_BASE_URL: hub.url },
    durableObjects: { LIMITER: "HubSpotRateLimiter" },
  });
  closers.push(() => worker.close());
  const before = mark(hub);
  const t0 = Date.now();
  const outs = await Promise.all(
    Array.from({ length: CALLERS }, async (_, c) => {
      const ids = Array.from({ length: PER_CALLER }, (_, i) => String(1 + c * PER_CALLER + i));
      const res = await fetch(worker.url + "/run", { method: "POST", body: JSON.stringify({ ids, ...LIMIT }) });
      const text = await res.text();
      assert.equal(res.status, 200, text);
      return { ids, ...JSON.parse(text) };
    }),
  );
  const wall = Date.now() - t0;
  const after = mark(hub);
  const requests = outs.reduce((n, o) => n + o.stats.requests, 0);
  const limited = after.limited - before.limited;
  const ratio = report("Durable Object, 8 callers", { requests, limited, wall });
  assert.equal(limited, 0, "HubSpot (the emulator) answered no 429");
  assert.equal(outs.reduce((n, o) => n + o.stats.rateLimited, 0), 0);
  for (const o of outs) {
    assert.deepEqual(o.failed, [], "nothing failed");
    assert.deepEqual(o.updated, o.ids, "every input updated, in order");
    for (const id of o.ids) assert.equal(hub.emulator.getRecord("deals", id).properties.dealname, `shared ${id}`);
  }
  assert.equal(requests, CALLERS * PER_CALLER, "one request per input: no retries");
  assert.equal(after.log - before.log, requests, "the emulator saw exactly these requests");
  assert.ok(ratio <= 1.1, `wall ${wall} ms is ${ratio.toFixed(3)}x the bound`);
});

test("examples/worker with its wrangler.toml Durable Object: 8 clients forwarding through it, none pacing itself: 0 x 429", { timeout: 120_000 }, async () => {
  const dir = await setUpProject(EXAMPLE_WORKER_DIR, { name: "worker-example-limiter", only: ["src", "wrangler.toml"] });
  dirs.push(dir);
  const toml = readFileSync(join(dir, "wrangler.toml"), "utf8");
  const binding = /\[\[durable_objects\.bindings\]\]\s*name\s*=\s*"([^"]+)"\s*class_name\s*=\s*"([^"]+)"/.exec(toml);
  assert.ok(binding, "wrangler.toml binds the Durable Object");
  assert.match(toml, /new_sqlite_classes\s*=\s*\["HubSpotRateLimiter"\]/, "and declares its class in a migration");
  const bundle = await bundleWorker(join(dir, "src", "index.js"), join(dir, "dist"));
  const hub = await emulator();
  const worker = await startWorker({
    ...bundle,
    compatibilityDate: /^compatibility_date\s*=\s*"([^"]+)"/m.exec(toml)[1],
    bindings: {
      HUBSPOT_TOKEN: TOKEN,
      ALLOWED_ORIGINS: ORIGIN,
      HUBSPOT_BASE_URL: hub.url,
      RATE_LIMIT: `${LIMIT.requests}/${LIMIT.intervalMs}`,
    },
    durableObjects: { [binding[1]]: binding[2] },
  });
  closers.push(() => worker.close());
  const { HubSpotBatch } = await import(join(dir, "node_modules", "hubspot-batch", "node.mjs"));
  const withOrigin = (url, init) => fetch(url, { ...init, headers: { ...init.headers, Origin: ORIGIN } });
  const before = mark(hub);
  const t0 = Date.now();
  const results = await Promise.all(
    Array.from({ length: CALLERS }, (_, c) => {
      // Pacing off in the page: only the proxy's shared window stands between them and HubSpot.
      const client = new HubSpotBatch({ baseUrl: worker.url, batchSize: 1, rateLimit: null, concurrency: 5, fetch: withOrigin });
      const ids = Array.from({ length: PER_CALLER }, (_, i) => String(501 + c * PER_CALLER + i));
      return client.update(ids.map((id) => ({ id, properties: { amount: Number(id) } }))).then((r) => ({ ids, r }));
    }),
  );
  const wall = Date.now() - t0;
  const after = mark(hub);
  const requests = after.log - before.log;
  const limited = after.limited - before.limited;
  const ratio = report("examples/worker proxy, 8 clients", { requests, limited, wall });
  assert.equal(limited, 0, "HubSpot (the emulator) answered no 429");
  for (const { ids, r } of results) {
    assert.equal(r.failed.length, 0, JSON.stringify(r.failed[0]));
    assert.deepEqual(r.results.map((x) => x.id), ids);
  }
  assert.equal(requests, CALLERS * PER_CALLER);
  assert.ok(ratio <= 1.1, `wall ${wall} ms is ${ratio.toFixed(3)}x the bound`);
});
