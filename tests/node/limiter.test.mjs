// The rateLimiter option in Node (issue 15, part 4): several clients of one process on one token
// share memoryRateLimiter's window and HubSpot (the emulator, counting at arrival) answers no
// 429; the RateLimiter interface as a custom limiter sees it (a Redis-backed one plugs in the
// same way); bad limiters are refused; a failing one does not stop a run.
import { describe, it } from "node:test";
import assert from "node:assert/strict";
import {
  assertAccountsForAll,
  assertHubSpotError,
  assertWritten,
  client,
  dealInputs,
  pkg,
  range,
  usePackage,
  withEmu,
} from "./helpers.mjs";

usePackage();

const LIMIT = { requests: 20, intervalMs: 1000 };

describe("rateLimiter", { concurrency: true }, () => {
  it("4 clients of one process share memoryRateLimiter: 0 x 429, nothing lost, wall <= 1.10x the bound", () =>
    withEmu({ rateLimit: LIMIT }, async (emu) => {
      const limiter = pkg.memoryRateLimiter(LIMIT);
      const per = 30;
      const t0 = Date.now();
      const runs = await Promise.all(
        range(0, 3).map(async (c) => {
          const inputs = dealInputs(range(1 + c * per, (c + 1) * per));
          const r = await client(emu, { batchSize: 1, rateLimiter: limiter }).update(inputs);
          return { inputs, r };
        }),
      );
      const wall = Date.now() - t0;
      const requests = runs.reduce((n, x) => n + x.r.stats.requests, 0);
      const limited = emu.emulator.getState().rateLimited;
      const bound = (requests / LIMIT.requests) * LIMIT.intervalMs;
      console.log(`memoryRateLimiter, 4 clients: ${requests} requests, ${limited} x 429, wall ${wall} ms, bound ${bound} ms, wall/bound ${(wall / bound).toFixed(3)}`);
      assert.equal(limited, 0, "the emulator answered no 429");
      for (const { inputs, r } of runs) {
        const updated = assertAccountsForAll(r, inputs);
        assert.equal(r.failed.length, 0, JSON.stringify(r.failed[0]));
        assert.equal(r.stats.rateLimited, 0);
        assertWritten(emu.emulator, "deals", inputs, updated);
      }
      assert.equal(requests, 4 * per);
      assert.ok(wall <= 1.1 * bound, `wall ${wall} ms vs bound ${bound} ms`);
    }));

  it("memoryRateLimiter with a key is one window per process; bad windows are INVALID_CONFIG", () => {
    const a = pkg.memoryRateLimiter({ key: "acct-1", ...LIMIT });
    assert.equal(pkg.memoryRateLimiter({ key: "acct-1", ...LIMIT }), a);
    assert.notEqual(pkg.memoryRateLimiter({ key: "acct-2", ...LIMIT }), a);
    assert.notEqual(pkg.memoryRateLimiter(LIMIT), pkg.memoryRateLimiter(LIMIT), "without a key, a new window each time");
    for (const bad of [{ requests: 0 }, { intervalMs: -1 }, { requests: 1.5 }, { requets: 5 }, "100/10s"]) {
      let err;
      try {
        pkg.memoryRateLimiter(bad);
      } catch (e) {
        err = e;
      }
      assertHubSpotError(pkg.HubSpotError, err, "INVALID_CONFIG", JSON.stringify(bad));
    }
  });

  it("a RateLimiter of your own (as a Redis-backed one would be): one acquire per request, each permit released once with when its answer arrived", () =>
    withEmu({}, async (emu) => {
      const calls = [];
      let next = 0;
      const limiter = {
        async acquire() {
          const permit = { id: ++next, waitMs: next === 1 ? 50 : 0 };
          calls.push(["acquire", permit.id, Date.now()]);
          return permit;
        },
        async release(permit, answeredAt) {
          calls.push(["release", permit.id, answeredAt]);
        },
      };
      const inputs = dealInputs(range(1, 5));
      const t0 = Date.now();
      const r = await client(emu, { batchSize: 1, rateLimiter: limiter }).update(inputs);
      assert.equal(r.results.length, 5);
      const acquired = calls.filter((c) => c[0] === "acquire").map((c) => c[1]);
      const released = calls.filter((c) => c[0] === "release");
      assert.deepEqual(acquired, [1, 2, 3, 4, 5]);
      assert.deepEqual(released.map((c) => c[1]).sort(), [1, 2, 3, 4, 5], "every permit given back once, before update() resolved");
      for (const [, , at] of released) assert.ok(typeof at === "number" && at >= t0 && at <= Date.now(), `answeredAt ${at}`);
      const log = emu.emulator.getLog(0);
      assert.equal(log.length, 5);
    }));

  it("a permit never used goes back with null; a limiter that fails lets the run go on", () =>
    withEmu({}, async (emu) => {
      const released = [];
      const failing = {
        acquire: () => Promise.reject(new Error("limiter down")),
        release: (p, at) => released.push(at),
      };
      const inputs = dealInputs(range(1, 3));
      const r = await client(emu, { batchSize: 1, rateLimiter: failing }).update(inputs);
      assert.equal(r.results.length, 3, "sent without permits");
      assert.deepEqual(released, [], "nothing to give back");
      // A 401 stops the run: the permit asked for meanwhile is never used.
      const back = [];
      let n = 0;
      const slow = {
        acquire: () => new Promise((res) => setTimeout(() => res({ id: ++n }), n === 0 ? 0 : 100)),
        release: (p, at) => back.push([p.id, at]),
      };
      const bad = new pkg.HubSpotBatch({ accessToken: "wrong-token", baseUrl: emu.url, batchSize: 1, rateLimiter: slow });
      await assert.rejects(bad.update(dealInputs(range(1, 3))), (e) => e.code === "HTTP_ERROR" && e.status === 401);
      await new Promise((res) => setTimeout(res, 300));
      assert.equal(back.length, n, `every permit given back: ${JSON.stringify(back)}`);
      assert.ok(back.some(([, at]) => at === null), "the unused one with null");
    }));

  it("rateLimiter must be a RateLimiter: INVALID_CONFIG otherwise", () => {
    for (const bad of [{}, { acquire() {} }, 42, "redis", () => {}]) {
      let err;
      try {
        new pkg.HubSpotBatch({ accessToken: "t", rateLimiter: bad });
      } catch (e) {
        err = e;
      }
      assertHubSpotError(pkg.HubSpotError, err, "INVALID_CONFIG", String(bad));
      assert.match(err.message, /options\.rateLimiter/);
    }
    // null is no limiter; a class instance with inherited methods is one.
    new pkg.HubSpotBatch({ accessToken: "t", rateLimiter: null });
    class Limiter {
      acquire() {
        return Promise.resolve({});
      }
      release() {}
    }
    new pkg.HubSpotBatch({ accessToken: "t", rateLimiter: new Limiter() });
    assert.throws(() => pkg.createBatchUpdateHandler({ accessToken: "t", allowedOrigins: ["*"], rateLimiter: {} }), (e) => e.code === "INVALID_CONFIG");
  });
});
