// node tests/jsfuzz/run.mjs [--seed S] [--seeds N] [--cases N] [--budget MS] [--target T,...] [--only-case N]
//                           [--avoid throwingResponse] [--verbose]
// Prints executions per target and every problem; exit 1 when there is one.
import { loadPackage } from "../chaos/support.mjs";
import { runFuzz, TARGETS } from "./fuzz.mjs";

const args = process.argv.slice(2);
const opt = (name, def) => { const i = args.indexOf(`--${name}`); return i < 0 ? def : args[i + 1]; };
const seed = Number(opt("seed", 1)), seeds = Number(opt("seeds", 1)), cases = Number(opt("cases", 600));
const budgetMs = Number(opt("budget", 600_000));
const targets = opt("target", null) ? opt("target").split(",") : TARGETS;
const onlyCase = opt("only-case", null) === null ? null : Number(opt("only-case"));
const m = await loadPackage();
const log = args.includes("--verbose") ? console.log : () => {};
let executions = 0, problems = 0;
for (let s = seed; s < seed + seeds; s++) {
  const out = await runFuzz(m, { seed: s, cases, budgetMs, targets, onlyCase, log, avoid: opt("avoid", "") ? opt("avoid").split(",") : [] });
  executions += out.executions;
  problems += out.problems.length;
  for (const [t, v] of Object.entries(out.byTarget)) console.log(`seed=${s} ${t.padEnd(12)} executions=${v.executions} ok=${v.ok} errors=${JSON.stringify(v.errors)}durationMs=${v.durationMs}${v.skipped ? ` SKIPPED ${v.skipped} (module wedged)` : ""}`);
  const kinds = {};
  for (const p of out.problems) (kinds[`${p.kind} ${p.target}: ${p.problem.replace(/\d+/g, "N").slice(0, 110)}`] ??= []).push(p.case);
  for (const [k, cs] of Object.entries(kinds)) console.log(`  ${String(cs.length).padStart(4)} x ${k}  (cases ${cs.slice(0, 6).join(",")}${cs.length > 6 ? ",..." : ""})`);
  if (args.includes("--verbose")) for (const p of out.problems) console.log(JSON.stringify(p));
  console.log(`seed=${s} executions=${out.executions} problems=${out.problems.length} duration=${out.durationMs}ms`);
}
console.log(`total: executions=${executions} problems=${problems}`);
process.exit(problems ? 1 : 0);
