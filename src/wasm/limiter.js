// Shared rate windows for the `rateLimiter` option (the RateLimiter interface in index.d.ts):
// one window of `requests` per `intervalMs` for every client on a token. Plain JS, no wasm:
// scripts/build-pkg copies this file into the package next to the entries (not a
// wasm-bindgen snippet), and each entry exports what `limiters(HubSpotBatch)` makes.
//
// The rule is the client's own (src/engine/window.rs): a request holds a slot from its permit
// until one interval after its answer arrived. HubSpot counts a request when it arrives, after
// we send it and before we hear back, so no window of HubSpot's ever holds more than
// `requests` of ours, whatever the latency and its jitter. A permit given back unused frees
// its slot at once; one never given back (a process that died) is taken as answered once its
// lease ends. Each slot is held 2% longer than the interval: HubSpot's clock and ours, and the
// moments each side reads them (a busy event loop), are never quite the same.

const LEASE_MS = 120_000;

/** A rolling window of `requests` per `intervalMs`, shared by whoever holds it. */
class Window {
  constructor(requests, intervalMs, leaseMs) {
    this.requests = requests;
    this.intervalMs = intervalMs + Math.ceil(intervalMs / 50);
    this.leaseMs = leaseMs;
    this.slots = new Map(); // permit id -> { from, until } (until: Infinity while in flight)
    this.waiting = [];
    this.next = 1;
    this.timer = undefined;
  }

  /** When a new slot may start at `now`: now, when enough answered slots have ended, or
   * undefined while that depends on answers still to come. */
  freeAt(now) {
    const ends = [];
    for (const [id, s] of this.slots) {
      // Never given back: taken as answered when its lease ended.
      if (s.until === Infinity && now >= s.from + this.leaseMs) s.until = s.from + this.leaseMs + this.intervalMs;
      if (s.until <= now) this.slots.delete(id);
      else if (s.until !== Infinity) ends.push(s.until);
    }
    const excess = this.slots.size + 1 - this.requests;
    if (excess <= 0) return now;
    ends.sort((a, b) => a - b);
    return ends[excess - 1];
  }

  /** Grants what can be granted, first come first served. */
  serve() {
    const now = Date.now();
    let at;
    while (this.waiting.length && (at = this.freeAt(now)) !== undefined) {
      const id = this.next++;
      this.slots.set(id, { from: at, until: Infinity });
      this.waiting.shift()({ id, waitMs: at - now });
    }
    clearTimeout(this.timer);
    if (this.waiting.length) {
      // Every slot waits on an answer: wake when the first lease ends, in case none comes.
      let first = Infinity;
      for (const s of this.slots.values()) first = Math.min(first, s.from + this.leaseMs);
      this.timer = setTimeout(() => this.serve(), Math.min(Math.max(first - now, 0), LEASE_MS));
    }
  }

  acquire() {
    return new Promise((resolve) => {
      this.waiting.push(resolve);
      this.serve();
    });
  }

  release(permit, answeredAt) {
    const s = this.slots.get(permit?.id);
    if (!s) return;
    if (answeredAt === null || answeredAt === undefined) {
      this.slots.delete(permit.id); // never sent: HubSpot never counted it
    } else if (s.until === Infinity) {
      // The later of the caller's clock and ours: right on one clock, safe across two.
      const now = Date.now();
      const at = typeof answeredAt === "number" ? Math.min(Math.max(answeredAt, now), now + this.leaseMs) : now;
      s.until = at + this.intervalMs;
    }
    this.serve();
  }
}

/** The exports, with `HubSpotBatch` to check options exactly as the client checks `rateLimit`
 * (and throw the same HubSpotError INVALID_CONFIG). */
export function limiters(HubSpotBatch) {
  const check = (options, extra) => {
    if (options !== undefined && (typeof options !== "object" || options === null)) options = { requests: NaN };
    const { requests = 100, intervalMs = 10_000, ...rest } = options ?? {};
    for (const k of Object.keys(rest)) if (!extra.includes(k)) rest.unknown = true;
    // The client's own parser judges the window (and refuses unknown fields).
    new HubSpotBatch({ baseUrl: "http://127.0.0.1", rateLimit: { requests, intervalMs, ...(rest.unknown ? rest : {}) } });
    return { requests, intervalMs, rest };
  };
  const registry = (globalThis[Symbol.for("hubspot-batch.memoryRateLimiters")] ??= new Map());

  /** A window in this process's memory, for every client given it. With `key`, the same
   * window for every call with that key in the process. */
  function memoryRateLimiter(options) {
    const { requests, intervalMs, rest } = check(options, ["key"]);
    const key = rest.key;
    if (key !== undefined && typeof key !== "string") check({ requests: NaN }, []);
    const make = () => {
      const w = new Window(requests, intervalMs, LEASE_MS);
      return { acquire: () => w.acquire(), release: (permit, answeredAt) => w.release(permit, answeredAt) };
    };
    if (key === undefined) return make();
    const name = `${key}\n${requests}/${intervalMs}`;
    if (!registry.has(name)) registry.set(name, make());
    return registry.get(name);
  }

  /** A RateLimiter backed by a Durable Object of class HubSpotRateLimiter: `namespace` is its
   * binding, `name` the instance (one per token or account). */
  function durableObjectRateLimiter(namespace, options) {
    const { requests, intervalMs, rest } = check(options, ["name"]);
    const name = rest.name ?? "hubspot";
    if (typeof namespace?.idFromName !== "function" || typeof name !== "string") check({ requests: NaN }, []);
    const call = (path, body) =>
      namespace
        .get(namespace.idFromName(name))
        .fetch(`https://hubspot-rate-limiter/${path}`, { method: "POST", body: JSON.stringify({ requests, intervalMs, ...body }) });
    return {
      acquire: () => call("acquire", {}).then((r) => r.json()),
      release: (permit, answeredAt) => call("release", { permit, answeredAt }).then((r) => r.arrayBuffer()),
    };
  }

  /** The Durable Object: one instance holds the window for every caller. Its state lives in
   * memory: an instance is only evicted after being idle, when the window is empty anyway. */
  class HubSpotRateLimiter {
    constructor(state, env) {
      this.windows = new Map();
    }

    async fetch(request) {
      const path = new URL(request.url).pathname;
      const body = await request.json().catch(() => ({}));
      const requests = Number.isInteger(body.requests) && body.requests > 0 ? body.requests : 100;
      const intervalMs = body.intervalMs > 0 && body.intervalMs <= 86_400_000 ? body.intervalMs : 10_000;
      const key = `${requests}/${intervalMs}`;
      if (!this.windows.has(key)) this.windows.set(key, new Window(requests, intervalMs, LEASE_MS));
      const w = this.windows.get(key);
      if (path === "/acquire") return Response.json(await w.acquire());
      if (path === "/release") {
        w.release(body.permit, body.answeredAt);
        return new Response(null, { status: 204 });
      }
      return new Response(null, { status: 404 });
    }
  }

  return { memoryRateLimiter, durableObjectRateLimiter, HubSpotRateLimiter };
}
