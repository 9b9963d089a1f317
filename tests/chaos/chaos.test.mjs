// Bounded chaos runs (issue 6): 2 seeds x 10,000 inputs against the emulator with 20-30 %
// mixed faults, unknown ids and invalid records, plus the DAILY 429 runs. The two seeds run
// side by side (each waits mostly on 429 pauses, not on the CPU). Figures: scripts/chaos.
// CHAOS_SEEDS=3,4 CHAOS_INPUTS=2000 override the seeds and the size.
import { test, before } from "node:test";
import assert from "node:assert/strict";
import { loadPackage } from "./support.mjs";
import { formatSummary, runChaos, runDaily } from "./chaos.mjs";

const SEEDS = (process.env.CHAOS_SEEDS ?? "1,2").split(",").map(Number);
const INPUTS = Number(process.env.CHAOS_INPUTS ?? 10_000);

let m;
before(async () => {
  m = await loadPackage();
});

test(`chaos: ${SEEDS.length} seeds x ${INPUTS} inputs, nothing lost, attempts and time bounded`, { timeout: 120_000 }, async (t) => {
  const runs = await Promise.allSettled(SEEDS.map((seed) => runChaos(m, { seed, inputs: INPUTS })));
  const errors = [];
  for (const r of runs) {
    if (r.status === "fulfilled") {
      t.diagnostic(formatSummary(r.value));
      console.log(formatSummary(r.value));
      assert.equal(r.value.lost, 0);
      assert.ok(r.value.faults > 0, "faults were injected");
    } else errors.push(r.reason);
  }
  if (errors.length) throw errors[0];
});

test("chaos: a DAILY 429 stops the run (rejects first, CANCELED mid-run), nothing lost", { timeout: 60_000 }, async (t) => {
  const out = await runDaily(m, { seed: SEEDS[0] });
  t.diagnostic(JSON.stringify(out));
  assert.equal(out.mid.lost, 0);
});

test("chaos: the checker itself catches each kind of lie", async () => {
  const { selfCheck } = await import("./chaos.mjs");
  const out = await selfCheck(m);
  assert.deepEqual(out.clean, [], "a clean run passes");
  for (const k of ["unknownInResults", "swappedValue", "dropped", "storedDiffers"]) assert.ok(out[k].length > 0, `${k} is caught`);
});
