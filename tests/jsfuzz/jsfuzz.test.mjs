// JS fuzzing of the public API (issue 6), bounded: one seed, ~2,600 executions, < 30 s; then
// known-bugs.mjs (RELIABILITY.md's findings, one process each, ~15 s).
// One test per target so a failure names the API; each failure lists the problem kinds with
// the cases that show them, and how to replay one:
//   node tests/jsfuzz/run.mjs --seed S --target T --only-case N --verbose
// JSFUZZ_SEED and JSFUZZ_CASES override the seed and the size.
import { test, before } from "node:test";
import assert from "node:assert/strict";
import { execFile } from "node:child_process";
import { fileURLToPath } from "node:url";
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
  console.log(`jsfuzz successes: ${Object.entries(out.byTarget).map(([t, s]) => `${t} ${s.ok}/${s.executions}`).join(", ")}`);
});

// The targets whose success-only checks matter most ("nothing lost", requests cover every input,
// the instance keeps updating): the generator must make most of their calls valid (gen.mjs,
// PLAUSIBLE), so that at least half succeed; else those checks see a handful of cases.
const MOSTLY_OK = ["build", "construct", "updateArgs", "updateServer"];

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
    if (MOSTLY_OK.includes(target)) {
      assert.ok(s.ok * 2 >= s.executions, `only ${s.ok} of ${s.executions} calls succeeded (at least half must): ${JSON.stringify(s.errors)}`);
    }
  });
}

// RELIABILITY.md's findings, each reproduced in its own process: all must be FIXED, and a check
// that crashes counts as a failure (it proves nothing), not as "not present".
test("jsfuzz: known-bugs.mjs finds every known bug fixed, and every check runs", { timeout: 300_000 }, async () => {
  const script = fileURLToPath(new URL("./known-bugs.mjs", import.meta.url));
  const { code, stdout, stderr } = await new Promise((resolve) => {
    execFile(process.execPath, [script], { encoding: "utf8", timeout: 280_000 }, (err, stdout, stderr) => resolve({ code: err ? err.code ?? err.signal : 0, stdout, stderr }));
  });
  console.log(stdout.trimEnd());
  const lines = stdout.trim().split("\n");
  const summary = lines.at(-1) ?? "";
  const m = /^0 of (\d+) still present, 0 check\(s\) failed$/.exec(summary);
  assert.ok(m && code === 0, `known-bugs.mjs exited ${code}:\n${stdout}${stderr}`);
  assert.equal(lines.filter((l) => l.startsWith("FIXED ")).length, Number(m[1]), "one FIXED line per check");
  assert.ok(Number(m[1]) >= 9, `${m[1]} checks (RELIABILITY.md lists B1-B9)`);
});

test("jsfuzz: the shared instances still work and free() at the end", () => {
  const mine = out.problems.filter((p) => p.target === "final");
  assert.equal(mine.length, 0, grouped(mine));
  assert.ok(out.executions >= 1000, `executions ${out.executions}`);
});
