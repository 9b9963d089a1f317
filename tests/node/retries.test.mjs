// Retries (contract 4): 5xx, network errors, per-attempt timeouts and unreadable 200/207
// bodies are retried with backoff, at most maxRetries times per request, and then fail with
// the right category. Each test has its own emulator; the tests run concurrently.
import { after, describe, it } from "node:test";
import assert from "node:assert/strict";
import {
  assertAccountsForAll,
  assertWritten,
  client,
  dealInputs,
  range,
  spyFetch,
  stillWorks,
  usePackage,
  withEmu,
} from "./helpers.mjs";

usePackage();

// fault -> what a failed input says when retries ran out
const FAULTS = {
  500: { status: 500, categories: ["INTERNAL_ERROR", "HTTP_ERROR"] },
  502: { status: 502, categories: ["HTTP_ERROR"] },
  503: { status: 503, categories: ["SERVICE_UNAVAILABLE", "HTTP_ERROR"] },
  504: { status: 504, categories: ["GATEWAY_TIMEOUT", "HTTP_ERROR"] },
  reset: { status: null, categories: ["NETWORK_ERROR"] },
  hang: { status: null, categories: ["TIMEOUT"] },
  "html-200": { status: 200, categories: ["MALFORMED_RESPONSE"] },
  "truncated-json": { status: 200, categories: ["MALFORMED_RESPONSE"] },
};

// Attempts per distinct request body, in call order.
function attemptsByBody(fetch) {
  const by = new Map();
  for (const c of fetch.calls) {
    if (!by.has(c.body)) by.set(c.body, []);
    by.get(c.body).push(c);
  }
  return [...by.values()];
}

// Scheduling slack on top of a backoff's upper bound: the tests in this file run concurrently.
const BACKOFF_SLACK_MS = 200;
const gaps = []; // [fault, first, second backoff in ms], one per request of the fault tests

describe("retries", { concurrency: true }, () => {
  // One backoff drawn at the top of its range is allowed its slack; but the first backoffs are
  // drawn from 250..500 ms, so they cannot average 500 ms or more unless every one of them was
  // delayed by >125 ms on average, while doubled ones (500..1000) never average less. Same for
  // the second ones (500..1000 ms). This catches a doubled backoff however the jitter falls.
  after(() => {
    if (process.env.SHOW_BACKOFF) console.log(JSON.stringify(gaps));
    if (gaps.length === 0) return; // the fault tests did not run (a --test-name-pattern)
    const mean = (k) => gaps.reduce((a, g) => a + g[k], 0) / gaps.length;
    assert.ok(mean(1) < 500, `first backoffs average ${mean(1).toFixed(0)} ms over ${gaps.length} requests (250..500 each expected)`);
    assert.ok(mean(2) < 1000, `second backoffs average ${mean(2).toFixed(0)} ms over ${gaps.length} requests (500..1000 each expected)`);
  });

  for (const [fault, want] of Object.entries(FAULTS)) {
    it(`${fault}: retried maxRetries (2) times per request, then failed with ${want.categories[0]}`, () =>
      withEmu({ faultRate: 1, faultKinds: [fault] }, async (emu) => {
        const inputs = dealInputs(range(1, 6));
        // When each attempt ended for the client: its answer (status and headers) arrived, or
        // fetch rejected (a reset; a hang once its timeout aborted it).
        const fetch = spyFetch(async (input, init, call) => {
          try {
            return await globalThis.fetch(input, init);
          } finally {
            call.endedAt = performance.now();
          }
        });
        const c = client(emu, { fetch, maxRetries: 2, timeoutMs: 500, batchSize: 3 });
        const r = await c.update(inputs);
        assert.equal(r.status, "COMPLETE");
        assertAccountsForAll(r, inputs);
        assert.equal(r.results.length, 0, "nothing reported updated");
        for (const f of r.failed) {
          assert.equal(f.error.status, want.status, `inputs[${f.index}] status`);
          assert.ok(want.categories.includes(f.error.category), `inputs[${f.index}] category ${f.error.category}, expected ${want.categories.join(" or ")}`);
          assert.ok(f.error.message.length > 0);
        }
        const perBody = attemptsByBody(fetch);
        assert.equal(perBody.length, 2, "two distinct requests");
        for (const calls of perBody) {
          assert.equal(calls.length, 3, "1 attempt + maxRetries (2) retries per request");
          // Backoff runs from the end of an attempt: a hung one ends when its timeout aborts it.
          // The n-th retry waits between half and all of 500 ms * 2^(n-1) (README, Retries):
          // 250..500 ms, then 500..1000 ms. The gap is measured from when the answer (or the
          // rejection) reached the client, which is no later than when the client saw the
          // attempt end, so it is never shorter than the backoff (2 ms for timer rounding); on
          // top, the client reads the body and the event loop may be busy with the other tests
          // running alongside: BACKOFF_SLACK_MS. A doubled backoff (500..1000, 1000..2000) fails.
          if (fault === "hang") assert.ok(calls.slice(0, 2).every((c) => c.abortedAt !== undefined), "hung attempts aborted");
          assert.ok(calls.slice(0, 2).every((c) => c.endedAt !== undefined), "the first two attempts ended");
          const [g1, g2] = [calls[1].at - calls[0].endedAt, calls[2].at - calls[1].endedAt];
          gaps.push([fault, Math.round(g1), Math.round(g2)]);
          assert.ok(g1 >= 248 && g1 < 500 + BACKOFF_SLACK_MS, `first backoff ${g1.toFixed(0)} ms (250..500 expected, + ${BACKOFF_SLACK_MS} ms slack)`);
          assert.ok(g2 >= 498 && g2 < 1000 + BACKOFF_SLACK_MS, `second backoff ${g2.toFixed(0)} ms (500..1000 expected, + ${BACKOFF_SLACK_MS} ms slack)`);
        }
        assert.equal(emu.emulator.getLog().length, 6);
        assert.equal(r.stats.requests, 6);
        assert.equal(r.stats.retries, 4);
        assert.equal(r.stats.batches, 2);
        emu.emulator.configure({ faultRate: 0 });
        await stillWorks(c, emu);
      }));

    it(`${fault}: recovers when a retry succeeds`, () =>
      withEmu({}, async (emu) => {
        emu.emulator.queueFaults([fault, fault]);
        const inputs = dealInputs(range(1, 4));
        const fetch = spyFetch();
        const r = await client(emu, { fetch, maxRetries: 2, timeoutMs: 500 }).update(inputs);
        const updated = assertAccountsForAll(r, inputs);
        assert.equal(r.failed.length, 0, JSON.stringify(r.failed[0]));
        assert.equal(fetch.calls.length, 3);
        assert.equal(r.stats.retries, 2);
        assertWritten(emu.emulator, "deals", inputs, updated);
      }));
  }

  for (const fault of ["reset-after-apply", "504-after-apply"]) {
    it(`${fault}: retried (batch update is idempotent) and reported updated once`, () =>
      withEmu({}, async (emu) => {
        emu.emulator.queueFaults([fault]);
        const inputs = dealInputs(range(1, 4));
        const r = await client(emu, { maxRetries: 2, timeoutMs: 500 }).update(inputs);
        const updated = assertAccountsForAll(r, inputs);
        assert.equal(r.failed.length, 0);
        assert.equal(r.stats.retries, 1);
        assertWritten(emu.emulator, "deals", inputs, updated);
      }));
  }

  it("maxRetries 0: one attempt only", () =>
    withEmu({ faultRate: 1, faultKinds: ["503"] }, async (emu) => {
      const inputs = dealInputs(range(1, 3));
      const r = await client(emu, { maxRetries: 0 }).update(inputs);
      assertAccountsForAll(r, inputs);
      assert.equal(r.failed.length, 3);
      assert.equal(emu.emulator.getLog().length, 1);
      assert.equal(r.stats.retries, 0);
    }));

  it("chaos: random faults on every kind of request, nothing lost, nothing reported updated that was not written", () =>
    withEmu(
      {
        seed: 42,
        faultRate: 0.3,
        faultKinds: ["429-ten-secondly", "429-secondly-retry-after", "500", "502", "503", "504", "reset", "hang", "html-200", "truncated-json", "reset-after-apply", "504-after-apply"],
        rateLimit: { requests: 100, intervalMs: 1000 },
        unknownIds: "mixed",
      },
      async (emu) => {
        const inputs = range(1, 60).map((k) => ({
          id: k % 11 === 0 ? String(70_000 + k) : String(k),
          properties: { amount: `${k}.75`, dealname: `Chaos ${k}` },
        }));
        const progress = [];
        const r = await client(emu, { maxRetries: 3, timeoutMs: 500, batchSize: 5 }).update(inputs, { onProgress: (p) => progress.push(p) });
        const updated = assertAccountsForAll(r, inputs);
        assertWritten(emu.emulator, "deals", inputs, updated);
        const applied = new Set(emu.emulator.getLog().flatMap((e) => e.applied));
        for (const o of r.results) assert.ok(applied.has(o.id), `result ${o.id} was really applied`);
        assert.ok(r.results.length > 0);
        assert.equal(progress.at(-1).done, inputs.length);
        assert.ok(r.stats.retries > 0, "some faults were retried");
        assert.equal(r.stats.requests, emu.emulator.getLog().length);
      },
    ));
});
