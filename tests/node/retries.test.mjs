// Retries (contract 4): 5xx, network errors, per-attempt timeouts and unreadable 200/207
// bodies are retried with backoff, at most maxRetries times per request, and then fail with
// the right category. Each test has its own emulator; the tests run concurrently.
import { describe, it } from "node:test";
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

describe("retries", { concurrency: true }, () => {
  for (const [fault, want] of Object.entries(FAULTS)) {
    it(`${fault}: retried maxRetries (2) times per request, then failed with ${want.categories[0]}`, () =>
      withEmu({ faultRate: 1, faultKinds: [fault] }, async (emu) => {
        const inputs = dealInputs(range(1, 6));
        const fetch = spyFetch();
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
          const ended = (c) => (fault === "hang" ? c.abortedAt : c.at);
          if (fault === "hang") assert.ok(calls.slice(0, 2).every((c) => c.abortedAt !== undefined), "hung attempts aborted");
          const [g1, g2] = [calls[1].at - ended(calls[0]), calls[2].at - ended(calls[1])];
          assert.ok(g1 >= 190 && g1 < 2000, `first backoff ${g1.toFixed(0)} ms (250..500 expected)`);
          assert.ok(g2 >= 440 && g2 < 3000, `second backoff ${g2.toFixed(0)} ms (500..1000 expected)`);
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
