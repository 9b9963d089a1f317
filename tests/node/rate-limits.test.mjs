// Rate limits (contract 3) and DAILY stopping the run (6). Each test has its own emulator, so
// the tests of this file run concurrently (they mostly wait).
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
  rejection,
  spyFetch,
  stillWorks,
  usePackage,
  withEmu,
} from "./helpers.mjs";

usePackage();

describe("rate limits", { concurrency: true }, () => {
  it("pacing: client and emulator at 10 requests / 1 s, 30 requests -> no 429s", () =>
    withEmu({ rateLimit: { requests: 10, intervalMs: 1000 } }, async (emu) => {
      const inputs = dealInputs(range(1, 30));
      const r = await client(emu, { batchSize: 1, rateLimit: { requests: 10, intervalMs: 1000 } }).update(inputs);
      const updated = assertAccountsForAll(r, inputs);
      assert.equal(r.failed.length, 0, JSON.stringify(r.failed[0]));
      assert.equal(emu.emulator.getState().rateLimited, 0, "the emulator answered no 429");
      assert.equal(r.stats.rateLimited, 0);
      assert.equal(r.stats.requests, 30);
      assert.ok(r.stats.durationMs >= 1900, `30 requests at 10/s take >= 2 s (took ${r.stats.durationMs})`);
      assertWritten(emu.emulator, "deals", inputs, updated);
    }));

  it("default options against the default-tier limit (100 / 10 s): 100 single-input requests, no 429s", () =>
    withEmu({}, async (emu) => {
      const inputs = dealInputs(range(1, 100));
      const r = await client(emu, { batchSize: 1 }).update(inputs);
      assertAccountsForAll(r, inputs);
      assert.equal(r.failed.length, 0);
      assert.equal(emu.emulator.getState().rateLimited, 0);
      assert.equal(r.stats.rateLimited, 0);
      assert.equal(r.stats.requests, 100);
    }));

  it("the emulator's own limiter (5 / 1 s) with client pacing off: 429s are waited out, nothing lost", () =>
    withEmu({ rateLimit: { requests: 5, intervalMs: 1000 } }, async (emu) => {
      const inputs = dealInputs(range(1, 12));
      const r = await client(emu, { batchSize: 1, rateLimit: null, maxRetries: 5 }).update(inputs);
      const updated = assertAccountsForAll(r, inputs);
      assert.equal(r.failed.length, 0, JSON.stringify(r.failed[0]));
      const state = emu.emulator.getState();
      assert.equal(r.stats.rateLimited, state.rateLimited, "stats.rateLimited counts the 429s received");
      assert.equal(r.stats.requests, 12 + state.rateLimited);
      assertWritten(emu.emulator, "deals", inputs, updated);
    }));

  for (const [fault, min, max] of [
    ["429-ten-secondly-retry-after", 1000, 3000],
    ["429-secondly-retry-after", 1000, 3000],
    ["429-secondly", 950, 3000],
    ["429-ten-secondly", 950, 3000], // emulator window 1000 ms: the engine must use the header, not 10 s
  ]) {
    it(`${fault}: retried after ${min} ms or more, then updated`, () =>
      withEmu({ rateLimit: { requests: 100, intervalMs: 1000 } }, async (emu) => {
        emu.emulator.queueFaults([fault]);
        const inputs = dealInputs(range(1, 5));
        const c = client(emu, { maxRetries: 2 });
        const r = await c.update(inputs);
        const updated = assertAccountsForAll(r, inputs);
        assert.equal(r.failed.length, 0);
        const log = emu.emulator.getLog();
        assert.equal(log.length, 2);
        assert.equal(log[0].status, 429);
        const gap = log[1].at - log[0].at;
        assert.ok(gap >= min && gap < max, `${fault}: retried after ${gap.toFixed(0)} ms, expected ${min}..${max}`);
        assert.equal(r.stats.rateLimited, 1);
        assert.equal(r.stats.retries, 1);
        assert.equal(r.stats.requests, 2);
        assertWritten(emu.emulator, "deals", inputs, updated);
      }));
  }

  it("429s count towards maxRetries: when they run out the inputs fail with the 429", () =>
    withEmu({}, async (emu) => {
      emu.emulator.queueFaults(["429-secondly-retry-after", "429-secondly-retry-after"]);
      const inputs = dealInputs(range(1, 4));
      const c = client(emu, { maxRetries: 1 });
      const r = await c.update(inputs);
      assertAccountsForAll(r, inputs);
      assert.equal(r.failed.length, 4);
      for (const f of r.failed) {
        assert.equal(f.error.status, 429);
        assert.equal(f.error.category, "RATE_LIMITS");
      }
      assert.equal(emu.emulator.getLog().length, 2);
      assert.equal(r.stats.rateLimited, 2);
      await stillWorks(c, emu);
    }));

  it("429 DAILY before anything was updated: rejects RATE_LIMITED (policyName DAILY), never retried", () =>
    withEmu({}, async (emu) => {
      emu.emulator.queueFaults(["429-daily"]);
      const fetch = spyFetch();
      const c = client(emu, { fetch, maxRetries: 3, concurrency: 1, batchSize: 5 });
      const err = await rejection(() => c.update(dealInputs(range(1, 15))));
      assertHubSpotError(pkg.HubSpotError, err, "RATE_LIMITED", "daily");
      assert.equal(err.policyName, "DAILY");
      assert.equal(err.status, 429);
      assert.equal(err.category, "RATE_LIMITS");
      assert.match(err.message, /daily limit/);
      assert.equal(fetch.calls.length, 1, "not retried, nothing more sent");
      assert.equal(emu.emulator.getLog().length, 1);
      await stillWorks(c, emu);
    }));

  it("429 DAILY (injected) after something was updated: resolves CANCELED, the rest in failed", () =>
    withEmu({}, async (emu) => {
      const fetch = spyFetch();
      fetch.onCall = (_, n) => {
        if (n === 3) emu.emulator.queueFaults(["429-daily"]);
      };
      const inputs = dealInputs(range(1, 25));
      const c = client(emu, { fetch, concurrency: 1, batchSize: 5, maxRetries: 3 });
      const r = await c.update(inputs);
      assert.equal(r.status, "CANCELED");
      const updated = assertAccountsForAll(r, inputs);
      assert.equal(r.results.length, 10);
      assert.deepEqual(r.failed.map((f) => f.index), range(10, 24));
      for (const f of r.failed.slice(0, 5)) {
        assert.equal(f.error.status, 429);
        assert.equal(f.error.category, "RATE_LIMITS");
      }
      assert.equal(fetch.calls.length, 3, "nothing sent after the DAILY 429");
      assertWritten(emu.emulator, "deals", inputs, updated);
      assert.equal(emu.emulator.getState().applied, 10);
      await stillWorks(c, emu);
    }));

  it("429 DAILY (the emulator's dailyLimit) after something was updated: CANCELED, nothing more sent", () =>
    withEmu({ dailyLimit: 2 }, async (emu) => {
      const inputs = dealInputs(range(1, 20));
      const c = client(emu, { concurrency: 1, batchSize: 5 });
      const r = await c.update(inputs);
      assert.equal(r.status, "CANCELED");
      const updated = assertAccountsForAll(r, inputs);
      assert.equal(r.results.length, 10);
      assert.equal(r.failed.length, 10);
      assert.ok(r.failed.every((f) => f.error.category === "RATE_LIMITS"), JSON.stringify(r.failed[0]));
      assert.equal(emu.emulator.getLog().length, 3);
      assert.equal(r.stats.rateLimited, 1);
      assertWritten(emu.emulator, "deals", inputs, updated);
      emu.emulator.configure({ dailyLimit: null });
      await stillWorks(c, emu);
    }));
});
