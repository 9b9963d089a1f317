// Several uncoordinated clients on one token (issue 15, part 3): nothing tells one `HubSpotBatch`
// about the others but HubSpot's `X-HubSpot-RateLimit-Remaining`, which counts everyone's
// requests. bench/shared-token.mjs is the full-size run (5,000 deals per client at 100/10 s); this
// is the same pattern shorter: 50 requests per client (batches of 10) at 100 per 2 s.
import { describe, it } from "node:test";
import assert from "node:assert/strict";
import { assertAccountsForAll, assertWritten, client, dealInputs, range, usePackage, withEmu } from "./helpers.mjs";

usePackage();

const RATE = { requests: 100, intervalMs: 2000 };

/** `n` clients on one token, each updating its own `each` deals in batches of 10, started together. */
async function sharedRun(emu, n, each) {
  const inputs = Array.from({ length: n }, (_, k) => dealInputs(range(k * each + 1, (k + 1) * each)));
  const clients = inputs.map(() => client(emu, { batchSize: 10, rateLimit: RATE }));
  const results = await Promise.all(clients.map((c, k) => c.update(inputs[k])));
  for (const [k, r] of results.entries()) {
    const updated = assertAccountsForAll(r, inputs[k]);
    assert.equal(r.failed.length, 0, JSON.stringify(r.failed[0]?.error));
    assertWritten(emu.emulator, "deals", inputs[k], updated);
  }
  const { requests, rateLimited } = emu.emulator.getState();
  assert.equal(
    results.reduce((a, r) => a + r.stats.rateLimited, 0),
    rateLimited,
    "every 429 the emulator sent is in some client's stats",
  );
  return { requests, rateLimited };
}

describe("a token shared by uncoordinated clients", { concurrency: true }, () => {
  for (const n of [4, 8]) {
    it(`${n} clients, 50 requests each at 100 / 2 s: at most 5% of the requests are 429s, nothing lost`, (t) =>
      withEmu({ deals: n * 500, rateLimit: RATE, latencyMs: 20 }, async (emu) => {
        const { requests, rateLimited } = await sharedRun(emu, n, 500);
        t.diagnostic(`${requests} requests, ${rateLimited} x 429`);
        assert.ok(rateLimited <= 0.05 * requests, `${rateLimited} of ${requests} requests were 429s`);
      }));
  }

  it("one client alone on the token: no 429, one request before the first answer, then the window", () =>
    withEmu({ deals: 1500, rateLimit: RATE, latencyMs: 20 }, async (emu) => {
      const { requests, rateLimited } = await sharedRun(emu, 1, 1500);
      assert.equal(rateLimited, 0);
      assert.equal(requests, 150);
      // The first window: the probe, then the other 99 once its answer said no one else spends it.
      const log = emu.emulator.getLog();
      const first = log[0].at;
      assert.equal(log.filter((e) => e.at - first < 1000).length, 100, "a whole window in the first second");
    }));
});
