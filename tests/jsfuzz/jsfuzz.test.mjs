// JS fuzzing of the public API (issue 6), bounded: one seed, ~2,600 executions, < 30 s.
// One test per target so a failure names the API; each failure lists the problem kinds with
// the cases that show them, and how to replay one:
//   node tests/jsfuzz/run.mjs --seed S --target T --only-case N --verbose
// JSFUZZ_SEED and JSFUZZ_CASES override the seed and the size.
import { test, before } from "node:test";
import assert from "node:assert/strict";
import { loadPackage } from "../chaos/support.mjs";
import { runFuzz, TARGETS } from "./fuzz.mjs";

const SEED = Number(process.env.JSFUZZ_SEED ?? 1);
const CASES = Number(process.env.JSFUZZ_CASES ?? 500);
let out;

before(async () => {
  const m = await loadPackage();
  out = await runFuzz(m, { seed: SEED, cases: CASES, budgetMs: 40_000 });
  const line = `jsfuzz seed=${SEED} executions=${out.executions} problems=${out.problems.length} duration=${out.durationMs}ms`;
  console.log(line);
});

function grouped(problems) {
  const kinds = {};
  for (const p of problems) (kinds[`${p.kind}: ${p.problem.replace(/\d+/g, "N").slice(0, 140)}`] ??= []).push(p);
  return Object.entries(kinds).map(([k, ps]) => `${ps.length} x ${k}\n      e.g. case ${ps[0].case}: ${ps[0].value.slice(0, 200)}\n      replay: node tests/jsfuzz/run.mjs --seed ${ps[0].seed} --target ${ps[0].target} --only-case ${ps[0].case} --verbose`).join("\n  ");
}

for (const target of TARGETS) {
  test(`jsfuzz ${target}: HubSpotError with the right code or success, never a trap; instance keeps working`, (t) => {
    const s = out.byTarget[target];
    t.diagnostic(`executions=${s.executions} ok=${s.ok} errors=${JSON.stringify(s.errors)} durationMs=${s.durationMs}${s.skipped ? ` skipped=${s.skipped}` : ""}`);
    assert.ok(s.executions > 0, "the target ran");
    const mine = out.problems.filter((p) => p.target === target);
    assert.equal(mine.length, 0, `${mine.length} problem(s):\n  ${grouped(mine)}`);
    assert.ok(!s.skipped, `${s.skipped} cases skipped: the module's async executor was wedged by an earlier case`);
  });
}

test("jsfuzz: the shared instances still work and free() at the end", () => {
  const mine = out.problems.filter((p) => p.target === "final");
  assert.equal(mine.length, 0, grouped(mine));
  assert.ok(out.executions >= 1000, `executions ${out.executions}`);
});
