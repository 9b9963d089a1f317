// The size budget: fails when the browser entry (its .wasm + the minified browser glue, each gzip -9),
// or the full .wasm of the workerd and Node entries (gzip -9), is larger than bench/size-budget.json
// allows.
//
//   node bench/check-size.mjs <pkg dir>            # exit 0 within budget, 1 over it, 2 on error
//   node bench/check-size.mjs <pkg dir> --tighten  # lower the budgets to measured + 3% (never raises them)
//
// scripts/check-size wraps this; scripts/test runs it on the freshly built package.
import { existsSync, readFileSync, writeFileSync } from "node:fs";
import { join, resolve } from "node:path";
import { BENCH, REPO, gzip9 } from "./lib.mjs";
import { FULL_WASM, WASM, browserEntry } from "./size.mjs";

const BUDGET_FILE = join(BENCH, "size-budget.json");
const HEADROOM = 0.03;

const args = process.argv.slice(2);
const pkgDir = resolve(args.find((a) => !a.startsWith("--")) ?? join(REPO, "pkg"));
const tighten = args.includes("--tighten");

function fail(msg, code = 2) {
  console.error(`check-size: ${msg}`);
  process.exit(code);
}

if (![WASM, FULL_WASM, "browser.js"].every((f) => existsSync(join(pkgDir, f)))) {
  fail(`${pkgDir} lacks ${WASM}, ${FULL_WASM} or browser.js: run scripts/build-pkg first`);
}
let budget;
try {
  budget = JSON.parse(readFileSync(BUDGET_FILE, "utf8"));
} catch (e) {
  fail(`cannot read ${BUDGET_FILE}: ${e.message}`);
}
let limit = budget.browserEntryGzipBytes;
if (!Number.isInteger(limit) || limit <= 0) fail(`${BUDGET_FILE}: browserEntryGzipBytes must be a positive integer`);

let m;
try {
  m = await browserEntry(pkgDir);
} catch (e) {
  fail(`measuring ${pkgDir} failed: ${e.message}`);
}
const kb = (n) => `${(n / 1024).toFixed(1)} KB`;
const pct = ((m.gzip / limit - 1) * 100).toFixed(1);
console.log(`browser entry (gzip -9): wasm ${m.wasm.gzip} + minified glue ${m.glue.gzip} = ${m.gzip} bytes (${kb(m.gzip)})`);
console.log(`budget:                  ${limit} bytes (${kb(limit)}), bench/size-budget.json; measured is ${pct >= 0 ? "+" : ""}${pct}% of it`);
if (budget.targetGzipBytes) console.log(`target (issue 5):        ${budget.targetGzipBytes} bytes (${kb(budget.targetGzipBytes)}): ${m.gzip <= budget.targetGzipBytes ? "met" : "not met"}`);

// The full .wasm (with the edge proxy) that the workerd and Node entries load has a budget of its own.
const full = gzip9(readFileSync(join(pkgDir, FULL_WASM)));
let fullLimit = budget.fullWasmGzipBytes;
if (fullLimit !== undefined && (!Number.isInteger(fullLimit) || fullLimit <= 0)) fail(`${BUDGET_FILE}: fullWasmGzipBytes must be a positive integer`);
console.log(`workerd/Node wasm:       ${FULL_WASM} ${full} bytes gzip -9 (${kb(full)}); budget ${fullLimit ?? "none"}`);

if (tighten) {
  const next = Math.ceil(m.gzip * (1 + HEADROOM));
  const nextFull = Math.ceil(full * (1 + HEADROOM));
  const date = new Date().toISOString().slice(0, 10);
  let changed = false;
  if (next < limit) {
    budget.browserEntryGzipBytes = next;
    budget.measuredGzipBytes = m.gzip;
    budget.measuredAt = date;
    console.log(`budget lowered to ${next} bytes (measured + ${HEADROOM * 100}%)`);
    limit = next;
    changed = true;
  } else {
    console.log(`budget left at ${limit} bytes (measured + ${HEADROOM * 100}% = ${next} would not lower it; it never goes up by itself)`);
  }
  if (fullLimit === undefined || nextFull < fullLimit) {
    budget.fullWasmGzipBytes = nextFull;
    budget.measuredFullWasmGzipBytes = full;
    budget.measuredAt = date;
    console.log(`${FULL_WASM} budget ${fullLimit === undefined ? "set" : "lowered"} to ${nextFull} bytes (measured + ${HEADROOM * 100}%)`);
    fullLimit = nextFull;
    changed = true;
  }
  if (changed) writeFileSync(BUDGET_FILE, JSON.stringify(budget, null, 2) + "\n");
}

let over = false;
if (m.gzip > limit) {
  console.error(`check-size: FAIL: the browser entry is ${m.gzip - limit} bytes over budget. Make it smaller; raise the budget in bench/size-budget.json only on purpose, in its own reviewed change.`);
  over = true;
}
if (fullLimit !== undefined && full > fullLimit) {
  console.error(`check-size: FAIL: ${FULL_WASM} (workerd and Node) is ${full - fullLimit} bytes over its budget (fullWasmGzipBytes). Make it smaller; raise the budget only on purpose, in its own reviewed change.`);
  over = true;
}
if (over) process.exit(1);
if (m.gzip < limit / (1 + 2 * HEADROOM)) {
  console.log(`(well under budget: run \`scripts/check-size ${args[0] ?? "pkg"} --tighten\` to lock the gain in)`);
}
console.log("check-size: ok");
