// The size budget: fails when the browser entry (its .wasm + the minified browser glue, each gzip -9),
// or the full .wasm of the workerd and Node entries (gzip -9), is larger than bench/size-budget.json
// allows.
//
//   node bench/check-size.mjs <pkg dir>            # exit 0 within budget, 1 over it, 2 on error
//   node bench/check-size.mjs <pkg dir> --tighten  # lower the budgets to measured + 3% (never raises them)
//
// It also refuses a budget that went up (see checkRatchet: once per budget, to its ceiling).
//
// scripts/check-size wraps this; scripts/test runs it on the freshly built package.
import { execFileSync } from "node:child_process";
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

// The budgets only go down (issue 16). Starting from ANCHOR (main at ab8c3fc, whose budgets are
// below), the committed versions of bench/size-budget.json along HEAD's first-parent history,
// then the working copy, may raise a budget above the version before only ONCE per budget, and
// then to at most its CEILING: 80,000 B for the browser entry, the ceiling of the one-schema rebuild (issue 13);
// for the full wasm, that plus the edge proxy's share at the anchor (70,467 - 64,470 = 5,997 B,
// rounded up to 86,000 B). Lowering is always allowed (--tighten). Needs the git history back
// to ANCHOR: without it (a shallow clone) only the working copy against the anchor is checked,
// which still keeps every budget under its ceiling; a warning says so.
const ANCHOR = { commit: "ab8c3fcdcb26da73f56f0f42c9d02645a5740f1e", browserEntryGzipBytes: 64470, fullWasmGzipBytes: 70467 };
const CEILING = { browserEntryGzipBytes: 80_000, fullWasmGzipBytes: 86_000 };

function budgetHistory() {
  const git = (...args) => execFileSync("git", ["-C", REPO, ...args], { encoding: "utf8", stdio: ["ignore", "pipe", "pipe"] });
  let commits;
  try {
    git("cat-file", "-e", `${ANCHOR.commit}^{commit}`);
    commits = git("log", "--first-parent", "--format=%H", "--reverse", `${ANCHOR.commit}..HEAD`, "--", "bench/size-budget.json").split("\n").filter(Boolean);
  } catch (e) {
    return { error: String(e.stderr || e.message).trim().split("\n")[0] };
  }
  const versions = [{ where: `${ANCHOR.commit.slice(0, 7)} (anchor)`, budget: ANCHOR }];
  for (const c of commits) {
    try {
      versions.push({ where: `commit ${c.slice(0, 7)}`, budget: JSON.parse(git("show", `${c}:bench/size-budget.json`)) });
    } catch {
      versions.push({ where: `commit ${c.slice(0, 7)}`, budget: {} }); // deleted or unreadable: no budget, an unbounded raise
    }
  }
  return { versions };
}

function checkRatchet(current) {
  const h = budgetHistory();
  let versions;
  if (h.error) {
    const msg = `cannot read the budget's git history back to ${ANCHOR.commit.slice(0, 7)} (${h.error}), so cannot check that the budget only went down`;
    console.log(`warning: ${msg}; checking the working copy against the anchor only`);
    versions = [{ where: `${ANCHOR.commit.slice(0, 7)} (anchor)`, budget: ANCHOR }];
  } else versions = h.versions;
  versions.push({ where: "the working copy", budget: current });
  const refused = [];
  for (const key of Object.keys(CEILING)) {
    const value = (b) => (Number.isInteger(b[key]) && b[key] > 0 ? b[key] : Infinity);
    let raises = 0;
    for (let i = 1; i < versions.length; i++) {
      const before = value(versions[i - 1].budget), after = value(versions[i].budget);
      if (after <= before) continue;
      raises++;
      const what = `${key} raised from ${before} to ${after} in ${versions[i].where}`;
      if (after > CEILING[key]) refused.push(`${what}: above the ceiling of ${CEILING[key]}`);
      else if (raises > 1) refused.push(`${what}: the one raise (to at most ${CEILING[key]}) was already used`);
      else console.log(`budget: ${what} (the one raise allowed, at most ${CEILING[key]})`);
    }
  }
  if (refused.length) {
    fail(`${BUDGET_FILE} may only go down (issue 16), except once per budget to its ceiling:\n  ${refused.join("\n  ")}`, 1);
  }
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
checkRatchet(budget);

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
