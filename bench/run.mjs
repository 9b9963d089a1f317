// scripts/bench: the benchmarks of issues 5 and 13, printed as tables and written to BENCHMARKS.md.
//
//   node bench/run.mjs            # the full run (~5 min), rewrites BENCHMARKS.md
//   node bench/run.mjs --quick    # a smoke run (< 30 s, small sizes); prints only, unless --write
//   options: --pkg DIR (default pkg/), --out FILE (default BENCHMARKS.md), --json FILE (raw results),
//            --only lines,size,cpu,throughput,coldstart (prints only, unless --write), --no-write,
//            --from-json FILE (no run: the tables from the raw results of an earlier --json; prints only,
//            unless --write; lines are counted now when FILE has none)
//
// Everything is measured on a snapshot of the built package (pkg/ is copied first: others rebuild it).
// Heavy parts run in child processes, one at a time, each with a time limit.
import { spawn } from "node:child_process";
import { existsSync, readFileSync, writeFileSync } from "node:fs";
import { join, relative, resolve } from "node:path";
import { performance } from "node:perf_hooks";
import { REPO, fmtInt, fmtMs, fmtNum, kb, loadNow, machineInfo, mdTable, snapshotPackage, textTable } from "./lib.mjs";
import { measureLines } from "./lines.mjs";
import { measureSize, wasmOpt } from "./size.mjs";
import { buildFloor } from "./floor.mjs";

const argv = process.argv.slice(2);
const flag = (n) => argv.includes(n);
const opt = (n, d) => (argv.includes(n) ? argv[argv.indexOf(n) + 1] : d);
const QUICK = flag("--quick");
// A partial run (--quick, --only) never overwrites BENCHMARKS.md unless --write says so.
const WRITE = flag("--write") || (!QUICK && !flag("--no-write") && !flag("--only") && !flag("--from-json"));
const PKG = resolve(opt("--pkg", join(REPO, "pkg")));
const OUT = resolve(opt("--out", join(REPO, "BENCHMARKS.md")));
const JSON_OUT = opt("--json", null);
const FROM_JSON = opt("--from-json", null);
const ONLY = new Set((opt("--only", "lines,size,cpu,throughput,coldstart,sharing")).split(","));
const COMMAND = `scripts/bench${QUICK ? " --quick" : ""}`;

// Issue 13 ("One schema"): what must hold when it lands.
const TARGET_ENTRY_GZIP = 80_000; // bytes, gzip -9
const BEFORE_ENTRY_GZIP = 64_005; // main at ab8c3fc, before issue 13 (bench/SIZE-NOTES.md)
const TARGET_CPU_RATIO = 3;
const TARGET_STARTUP_MS = 120; // update() call to first fetch, 20,000 inputs (79-88 ms before)
const TARGET_VS_FETCH = 0.02; // the 20,000-deal run against the zero-CPU fetch reference
const TARGET_LINES = 4800; // production lines of src/ for the update features (6,533 before)
const TARGET_JSON_SHARE = 0.12; // of those, reading/writing/converting JSON or values (37% before)
// Issue 5, kept as a record.
const TARGET_BOUND = 0.05;

const T0 = performance.now();
const log = (...a) => process.stderr.write(`[bench ${((performance.now() - T0) / 1000).toFixed(0).padStart(3)} s] ${a.join(" ")}\n`);
const phases = [];

/** Runs `node bench/<script> ...args` in its own process group, killed (with the emulator it
 * started, nothing else) after `timeoutMs`; resolves with its output. */
function spawnBench(script, args, timeoutMs) {
  return new Promise((resolveP) => {
    const t0 = performance.now();
    const p = spawn(process.execPath, [join(REPO, "bench", script), ...args], { cwd: REPO, detached: true, stdio: ["ignore", "pipe", "pipe"] });
    let out = "", err = "", timedOut = false;
    p.stdout.on("data", (d) => (out += d));
    p.stderr.on("data", (d) => (err += d));
    const timer = setTimeout(() => {
      timedOut = true;
      try {
        process.kill(-p.pid, "SIGKILL");
      } catch {}
    }, timeoutMs);
    p.on("close", (code) => {
      clearTimeout(timer);
      const tail = (err || out).trim().split("\n").slice(-3).join(" ");
      resolveP({ out, code, timedOut, tail, secs: (performance.now() - t0) / 1000 });
    });
  });
}

/** Runs `node <script> <json arg>`; resolves with its last stdout line as JSON. */
async function child(script, arg, timeoutMs) {
  const r = await spawnBench(script, [JSON.stringify(arg)], timeoutMs);
  if (r.timedOut) return { error: `did not finish within ${timeoutMs / 1000} s (killed)`, secs: r.secs };
  try {
    return { ...JSON.parse(r.out.trim().split("\n").pop()), secs: r.secs };
  } catch {
    return { error: `exit ${r.code}: ${r.tail}`, secs: r.secs };
  }
}

/** Runs `node bench/<script> ...args`; resolves with every JSON line it printed (or an error). */
async function childLines(script, args, timeoutMs) {
  const r = await spawnBench(script, args, timeoutMs);
  if (r.timedOut) return { error: `did not finish within ${timeoutMs / 1000} s (killed)` };
  const rows = r.out.trim().split("\n").filter((l) => l.startsWith("{")).map((l) => JSON.parse(l));
  return r.code === 0 ? { rows } : { error: `exit ${r.code}: ${r.tail}`, rows };
}

// --- run ------------------------------------------------------------------------------------------------------
const started = performance.now();
const R = FROM_JSON ? JSON.parse(readFileSync(FROM_JSON, "utf8")) : { quick: QUICK };
const machine = R.machine ?? (R.machine = {});
const loads = R.loads ?? [`start: ${loadNow()}`];
if (FROM_JSON) {
  log(`tables from ${FROM_JSON} (measured ${machine.date}); nothing is run`);
  if (!R.lines && ONLY.has("lines")) R.lines = measureLines();
} else {
const snap = snapshotPackage(PKG);
Object.assign(machine, machineInfo(snap.pkg));
log(`${COMMAND}: package ${machine.pkgVersion} snapshot of ${relative(process.cwd(), PKG) || "."} in ${snap.dir}; load ${loadNow()}`);

try {
  if (ONLY.has("lines")) {
    log("lines: production lines of src/ (prod-lines.sh's count), JSON/encoding share ...");
    R.lines = measureLines();
  }

  if (ONLY.has("size")) {
    log("size: files, esbuild/vite bundles, @hubspot/api-client bundle, twiggy, wasm-opt levels ...");
    const t = performance.now();
    R.size = await measureSize({ pkgDir: snap.pkg, appDir: snap.dir, stageWasm: snap.stage, quick: QUICK });
    R.size.secs = (performance.now() - t) / 1000;
    loads.push(`after size: ${loadNow()}`);
    phases.push(`size ${R.size.secs.toFixed(0)} s`);
  }

  let floorDir = null;
  function buildFloorOrNote() {
    if (floorDir || R.floorError) return floorDir;
    log("floor: building bench/floor (cargo, wasm-bindgen, wasm-opt) ...");
    try {
      floorDir = buildFloor();
    } catch (e) {
      R.floorError = String(e.message).split("\n")[0];
      log(`floor: build failed (${R.floorError}); no floor rows`);
    }
    return floorDir;
  }
  if (ONLY.has("cpu")) {
    log("cpu: build + parse, ours vs plain JS ...");
    const variants = [{ name: "ours (wasm, -Oz as shipped)", pkg: snap.pkg }];
    // Node loads the full build (with the proxy), so the -O variant is made from its stage.
    let oFile = null;
    if (!QUICK && R.size?.optLevels && snap.stageFull) {
      try {
        oFile = await wasmOpt(snap.stageFull, "-O");
        // The package's glue carries the short names of the -Oz build: the -O build can stand
        // in for it only if wasm-opt gave it the same ones.
        const same = readFileSync(`${oFile}.names.json`, "utf8") === readFileSync(`${await wasmOpt(snap.stageFull, "-Oz")}.names.json`, "utf8");
        if (!same) {
          log("wasm-opt -O gave other short names than -Oz: no -O variant in the CPU run");
          oFile = null;
        }
      } catch (e) {
        log(`wasm-opt -O of the full build failed: ${e.message}`);
        oFile = null;
      }
    }
    if (oFile) {
      // the same package with the -O wasm: does speed buy anything?
      const { cpSync, mkdirSync } = await import("node:fs");
      const oPkg = join(snap.dir, "pkg-O");
      mkdirSync(oPkg, { recursive: true });
      cpSync(snap.pkg, oPkg, { recursive: true });
      cpSync(oFile, join(oPkg, "hubspot_batch_bg.wasm"));
      variants.push({ name: "ours (wasm, -O)", pkg: oPkg, only: ["one", "tenK"] });
    }
    // The crossing's floor (bench/floor.mjs): what the issue's rules cost before any of our work.
    floorDir = buildFloorOrNote();
    if (floorDir) variants.push({ name: "floor: the crossing alone (bench/floor)", floor: floorDir });
    R.cpu = await child("cpu.mjs", { quick: QUICK, variants }, 240_000);
    phases.push(`cpu ${R.cpu.secs.toFixed(0)} s`);
    loads.push(`after cpu: ${loadNow()}`);
  }

  if (ONLY.has("throughput")) {
    const lat = 50;
    const scenarios = QUICK
      ? [
          { group: "A", label: "ours, default options (told 10/1 s)", client: "ours", deals: 2000, rateLimit: { requests: 10, intervalMs: 1000 }, latencyMs: lat, options: { rateLimit: { requests: 10, intervalMs: 1000 } } },
          { group: "A", label: "ours, upsert (half new, by deal_external_id)", client: "ours", operation: "upsert", deals: 2000, rateLimit: { requests: 10, intervalMs: 1000 }, latencyMs: lat, options: { rateLimit: { requests: 10, intervalMs: 1000 } } },
          { group: "A", label: "reference: zero-CPU client, our pacing", client: "floor", deals: 2000, rateLimit: { requests: 10, intervalMs: 1000 }, latencyMs: lat, options: {} },
          { group: "A", label: "reference: zero-CPU client over fetch, our pacing", client: "floor", overFetch: true, deals: 2000, rateLimit: { requests: 10, intervalMs: 1000 }, latencyMs: lat, options: {} },
          { group: "A", label: "@hubspot/api-client, out of the box (no retries)", client: "apiClient", deals: 2000, rateLimit: { requests: 10, intervalMs: 1000 }, latencyMs: lat, options: {} },
        ]
      : [
          { group: "A", label: "ours, default options (concurrency 100: the window)", repeat: 3, client: "ours", deals: 20000, rateLimit: { requests: 100, intervalMs: 10000 }, latencyMs: lat, options: {} },
          { group: "A", label: "ours, upsert (half new, by deal_external_id), default options", repeat: 3, client: "ours", operation: "upsert", deals: 20000, rateLimit: { requests: 100, intervalMs: 10000 }, latencyMs: lat, options: {} },
          { group: "A", label: "ours, concurrency 10 (the default before)", client: "ours", deals: 20000, rateLimit: { requests: 100, intervalMs: 10000 }, latencyMs: lat, options: { concurrency: 10 } },
          { group: "A", label: "reference: zero-CPU client, our pacing", repeat: 3, client: "floor", deals: 20000, rateLimit: { requests: 100, intervalMs: 10000 }, latencyMs: lat, options: {} },
          { group: "A", label: "reference: zero-CPU client over fetch, our pacing", repeat: 3, client: "floor", overFetch: true, deals: 20000, rateLimit: { requests: 100, intervalMs: 10000 }, latencyMs: lat, options: {} },
          { group: "A", label: "@hubspot/api-client, out of the box (no retries)", client: "apiClient", deals: 20000, rateLimit: { requests: 100, intervalMs: 10000 }, latencyMs: lat, options: {} },
          { group: "A", label: "@hubspot/api-client, numberOfApiCallRetries: 3", client: "apiClient", deals: 20000, rateLimit: { requests: 100, intervalMs: 10000 }, latencyMs: lat, options: { numberOfApiCallRetries: 3 } },
          { group: "B", label: "ours, rateLimit 190/10 s, default concurrency (190)", repeat: 3, client: "ours", deals: 38000, rateLimit: { requests: 190, intervalMs: 10000 }, latencyMs: lat, options: { rateLimit: { requests: 190, intervalMs: 10000 } } },
          { group: "B", label: "ours, rateLimit 190/10 s, concurrency 10", client: "ours", deals: 38000, rateLimit: { requests: 190, intervalMs: 10000 }, latencyMs: lat, options: { rateLimit: { requests: 190, intervalMs: 10000 }, concurrency: 10 } },
          { group: "B", label: "reference: zero-CPU client, our pacing", repeat: 3, client: "floor", deals: 38000, rateLimit: { requests: 190, intervalMs: 10000 }, latencyMs: lat, options: {} },
          { group: "B", label: "reference: zero-CPU client over fetch, our pacing", repeat: 3, client: "floor", overFetch: true, deals: 38000, rateLimit: { requests: 190, intervalMs: 10000 }, latencyMs: lat, options: {} },
        ];
    R.throughput = [];
    for (const sc of scenarios) {
      // The headline rows (ours with default options, and the zero-CPU reference) run REPEAT
      // times and report the run with the median wall time: one run varies by a few percent here.
      const times = QUICK || !sc.repeat ? 1 : sc.repeat;
      const runs = [];
      for (let k = 0; k < times; k++) {
        log(`throughput: ${sc.deals} deals at ${sc.rateLimit.requests}/${sc.rateLimit.intervalMs / 1000} s, ${sc.label}${times > 1 ? ` (run ${k + 1} of ${times})` : ""} ...`);
        runs.push(await child("throughput.mjs", { ...sc, pkg: snap.pkg }, QUICK ? 30_000 : 90_000));
      }
      const ran = runs.filter((r) => !r.error).sort((a, b) => a.wallMs - b.wallMs);
      const res = ran.length === runs.length ? ran[(ran.length - 1) >> 1] : runs.find((r) => r.error);
      const requests = Math.ceil(sc.deals / 100);
      const boundMs = (Math.ceil(requests / sc.rateLimit.requests) - 1) * sc.rateLimit.intervalMs + sc.latencyMs;
      R.throughput.push({ ...sc, boundMs, result: { ...res, walls: runs.length > 1 ? runs.map((r) => r.wallMs ?? null) : undefined }, load: loadNow() });
    }
    // Start-up of update(): fresh processes, as the runs above are.
    R.startup = [];
    for (const deals of QUICK ? [2000] : [20000, 38000]) {
      const n = QUICK ? 1 : 5;
      log(`throughput: start-up of update() with ${deals} inputs (${n} fresh processes) ...`);
      const runs = [];
      for (let k = 0; k < n; k++) runs.push(await child("throughput.mjs", { client: "startup", deals, pkg: snap.pkg }, 30_000));
      R.startup.push({ deals, runs });
    }
    if (!QUICK && buildFloorOrNote()) {
      log("throughput: start-up of the crossing's floor with 20000 inputs (5 fresh processes) ...");
      const runs = [];
      for (let k = 0; k < 5; k++) runs.push(await child("throughput.mjs", { client: "startupFloor", deals: 20000, floor: floorDir }, 30_000));
      R.startupFloor = { deals: 20000, runs };
    }
    loads.push(`after throughput: ${loadNow()}`);
    phases.push(`throughput ${R.throughput.reduce((a, t) => a + (t.result.secs || 0), 0).toFixed(0)} s`);
  }

  if (ONLY.has("coldstart")) {
    log("cold start: node (fresh processes), workerd via miniflare ...");
    R.coldstart = await child("coldstart.mjs", { appDir: snap.dir, quick: QUICK }, 180_000);
    phases.push(`cold start ${R.coldstart.secs.toFixed(0)} s`);
    loads.push(`after cold start: ${loadNow()}`);
  }

  if (ONLY.has("sharing")) {
    log("sharing: 1, 4 and 8 clients on one token, each on its own and all on one memoryRateLimiter ...");
    const t = performance.now();
    R.sharing = await childLines("shared-token.mjs", ["--json", "--pkg", snap.pkg, "--clients", QUICK ? "1,4" : "1,4,8", "--deals", QUICK ? "500" : "5000", "--limiter", "both"], 900_000);
    phases.push(`sharing ${((performance.now() - t) / 1000).toFixed(0)} s`);
    loads.push(`after sharing: ${loadNow()}`);
  }
} finally {
  snap.cleanup();
}
R.totalSecs = (performance.now() - started) / 1000;
R.loads = loads;
R.phases = phases;
}

// --- report ------------------------------------------------------------------------------------------------------
const md = [];
const term = [];
const section = (title) => {
  md.push(`\n## ${title}\n`);
  term.push(`\n== ${title} ==`);
};
const table = (header, rows) => {
  md.push(mdTable(header, rows), "");
  term.push(textTable(header, rows));
};
const para = (s) => md.push(s, "");
const met = (ok) => (ok ? "**met**" : "**not met**");
const metT = (ok) => (ok ? "met" : "NOT MET");
const signedMs = (x) => `${x >= 0 ? "+" : "−"}${fmtMs(Math.abs(x))} ms`;
const pct = (x) => `${x >= 0 ? "+" : ""}${(x * 100).toFixed(1)}%`;
const signedB = (x) => `${x >= 0 ? "+" : "−"}${fmtInt(Math.abs(x))} B`;
const summary = []; // issue 13's targets
const summary5 = []; // issue 5's, kept as a record

md.push(`# Benchmarks

Generated by \`${COMMAND}\` (bench/run.mjs) on ${machine.date}; do not edit by hand, re-run it.
Everything is measured on the **built package** (\`pkg/\`, from \`scripts/build-pkg\`; the command builds it
when it is missing). Sizes are deterministic; times depend on the machine and its load (below).`);

md.push(`
**Reproduce**

\`\`\`sh
scripts/build-pkg            # if pkg/ is missing or stale
scripts/bench                # everything (~5 min): prints the tables and rewrites BENCHMARKS.md
scripts/bench --quick        # smoke run for CI (< 30 s): small sizes, prints only (add --write to write)
scripts/check-size pkg       # the size budget alone (bench/size-budget.json), as scripts/test runs it
\`\`\`
`);

section("Machine");
table(["", ""], [
  ["date", machine.date],
  ["nproc", machine.nproc],
  ["CPU", machine.cpu],
  ["OS", machine.os],
  ["Node", machine.node],
  ["rustc", machine.rustc],
  ["wasm-bindgen", machine.wasmBindgen],
  ["wasm-opt", machine.wasmOpt],
  ["esbuild", machine.esbuild],
  ["package", `hubspot-batch ${machine.pkgVersion} (git ${machine.gitHead}${machine.gitDirty ? ", with uncommitted changes in src/" : ""})`],
  ["load average (1/5/15 min)", loads.join("; ")],
  ["total run time", `${R.totalSecs.toFixed(0)} s (${(R.phases ?? phases).join(", ")})`],
]);
para(`The machine is shared (${machine.nproc} cores; other engineers' builds, tests and fuzzers run at the same time), so
CPU and wall times are inflated by the load shown above. Each CPU figure is the median of alternating rounds run
side by side in one process, which cancels most of the load from the *ratios*; absolute ops/s are lower bounds.`);

// --- size
if (R.size) {
  const s = R.size;
  section("1. Size");
  para("Sizes in bytes; gzip = zlib level 9 (what `gzip -9` does), brotli = quality 11 (node:zlib; not computed for files over 1 MB, shown as —). KB = 1024 bytes.");
  table(["file(s)", "raw", "gzip -9", "brotli"], [
    ["hubspot_batch_browser_bg.wasm (browser entry: no edge proxy)", fmtInt(s.wasm.raw), fmtInt(s.wasm.gzip), fmtInt(s.wasm.brotli)],
    ["hubspot_batch_bg.wasm (workerd and Node entries: everything)", fmtInt(s.fullWasm.raw), fmtInt(s.fullWasm.gzip), fmtInt(s.fullWasm.brotli)],
    ["browser glue: browser.js + hubspot_batch_browser.js", fmtInt(s.glue.browser.raw), fmtInt(s.glue.browser.gzip), fmtInt(s.glue.browser.brotli)],
    ["Node glue: node.mjs + node.cjs + node/hubspot_batch.js", fmtInt(s.glue.node.raw), fmtInt(s.glue.node.gzip), fmtInt(s.glue.node.brotli)],
    ["workerd glue: workerd.js + hubspot_batch.js", fmtInt(s.glue.workerd.raw), fmtInt(s.glue.workerd.gzip), fmtInt(s.glue.workerd.brotli)],
    ["browser glue minified (esbuild --bundle --minify browser.js)", fmtInt(s.browserEntry.glue.raw), fmtInt(s.browserEntry.glue.gzip), fmtInt(s.browserEntry.glue.brotli)],
    ["**browser entry = wasm + minified glue**", fmtInt(s.browserEntry.wasm.raw + s.browserEntry.glue.raw), `**${fmtInt(s.browserEntry.gzip)}** (${kb(s.browserEntry.gzip)} KB)`, `${fmtInt(s.browserEntry.brotli)} (${kb(s.browserEntry.brotli)} KB)`],
  ]);
  const entryOk = s.browserEntry.gzip <= TARGET_ENTRY_GZIP;
  let budget = null;
  try {
    budget = JSON.parse(readFileSync(join(REPO, "bench", "size-budget.json"), "utf8")).browserEntryGzipBytes;
  } catch {}
  para(`Target (issue 13): browser entry ≤ ${fmtInt(TARGET_ENTRY_GZIP)} B gzip -9. Measured ${fmtInt(s.browserEntry.gzip)} B: ${met(entryOk)} (${signedB(s.browserEntry.gzip - BEFORE_ENTRY_GZIP)} against ${fmtInt(BEFORE_ENTRY_GZIP)} B before the one-schema rebuild, main at ab8c3fc; its .wasm alone is ${kb(s.wasm.gzip)} KB gzip; the full .wasm of the workerd and Node entries, with the edge proxy, is ${kb(s.fullWasm.gzip)} KB). The budget that stops it growing is \`bench/size-budget.json\`${budget ? ` (${fmtInt(budget)} bytes = ${kb(budget)} KB; ${s.browserEntry.gzip <= budget ? "within it" : "**over it**"})` : ""}, checked by \`scripts/check-size\` in \`scripts/test\`; \`scripts/check-size pkg --tighten\` lowers it to measured + 3% after a size win (it never raises it).`);
  summary.push(["browser entry (wasm + minified glue), gzip -9", `≤ ${fmtInt(TARGET_ENTRY_GZIP)} B (before: ${fmtInt(BEFORE_ENTRY_GZIP)} B)`, `${fmtInt(s.browserEntry.gzip)} B (${signedB(s.browserEntry.gzip - BEFORE_ENTRY_GZIP)})`, metT(entryOk)]);

  md.push("### What a browser app grows by\n");
  term.push("\n-- what a browser app grows by --");
  para("A 3-line app (a button that sends one batch update). *plain* sends it with a hand-written `fetch`; *hubspot-batch* imports `HubSpotBatch`; *@hubspot/api-client* calls `client.crm.deals.batchApi.update({inputs})`. esbuild: `--bundle --minify --format=esm --target=es2022` (esbuild leaves the package's `new URL('./hubspot_batch_browser_bg.wasm', import.meta.url)` alone, so the .wasm is added as the separate file a bundler emits). vite: `vite build` with the default config, every emitted .js and .wasm.");
  const e = s.esbuild;
  const rows = [];
  const wasmG = s.wasm.gzip, wasmB = s.wasm.brotli, wasmR = s.wasm.raw;
  rows.push(["plain (no library)", "esbuild, browser", fmtInt(e.plain.js.raw), fmtInt(e.plain.js.gzip), fmtInt(e.plain.js.brotli), "0"]);
  rows.push(["hubspot-batch: JS", "esbuild, browser", fmtInt(e.ours.js.raw), fmtInt(e.ours.js.gzip), fmtInt(e.ours.js.brotli), fmtInt(e.ours.js.gzip - e.plain.js.gzip)]);
  rows.push(["hubspot-batch: JS + .wasm", "esbuild, browser", fmtInt(e.ours.js.raw + wasmR), fmtInt(e.ours.js.gzip + wasmG), fmtInt(e.ours.js.brotli + wasmB), `**${fmtInt(e.ours.js.gzip + wasmG - e.plain.js.gzip)}**`]);
  if (s.vite && !s.vite.error) {
    rows.push(["plain (no library)", "vite build", fmtInt(s.vite.plain.all.raw), fmtInt(s.vite.plain.all.gzip), fmtInt(s.vite.plain.all.brotli), "0"]);
    rows.push(["hubspot-batch (JS + .wasm asset)", "vite build", fmtInt(s.vite.ours.all.raw), fmtInt(s.vite.ours.all.gzip), fmtInt(s.vite.ours.all.brotli), `**${fmtInt(s.vite.ours.all.gzip - s.vite.plain.all.gzip)}**`]);
  }
  if (e.apiClientBrowser.ok) {
    rows.push(["@hubspot/api-client", "esbuild, browser", fmtInt(e.apiClientBrowser.js.raw), fmtInt(e.apiClientBrowser.js.gzip), fmtInt(e.apiClientBrowser.js.brotli), `**${fmtInt(e.apiClientBrowser.js.gzip - e.plain.js.gzip)}**`]);
  } else {
    rows.push(["@hubspot/api-client", "esbuild, browser", "fails", "", "", ""]);
    if (e.apiClientBrowserExternal?.ok) rows.push([`@hubspot/api-client, Node built-ins (${e.apiClientBrowser.unresolved.join(", ")}) left external`, "esbuild, browser", fmtInt(e.apiClientBrowserExternal.js.raw), fmtInt(e.apiClientBrowserExternal.js.gzip), fmtInt(e.apiClientBrowserExternal.js.brotli), `**${fmtInt(e.apiClientBrowserExternal.js.gzip - e.plain.js.gzip)}**`]);
    if (e.apiClientNode?.ok) rows.push(["@hubspot/api-client", "esbuild, **node**", fmtInt(e.apiClientNode.js.raw), fmtInt(e.apiClientNode.js.gzip), fmtInt(e.apiClientNode.js.brotli), fmtInt(e.apiClientNode.js.gzip - e.plain.js.gzip)]);
  }
  table(["app", "bundler", "raw", "gzip -9", "brotli", "growth, gzip"], rows);
  if (!e.apiClientBrowser.ok) para(`@hubspot/api-client **cannot be bundled for the browser** as is: esbuild --platform=browser stops with ${e.apiClientBrowser.errors} errors, all Node built-ins it requires (${e.apiClientBrowser.unresolved.map((x) => `\`${x}\``).join(", ")}). The rows above show it bundled for Node, and for the browser with those built-ins left out (they would still need polyfills). Its CommonJS \`require()\`s of every API group are all bundled: importing \`Client\` pulls in the whole SDK.`);
  if (s.vite?.error) para(`vite build failed: ${s.vite.error}`);

  if (s.optLevels) {
    md.push("### wasm-opt -O vs -Oz\n");
    term.push("\n-- wasm-opt levels --");
    para("The un-optimised wasm-bindgen output of the browser build (`target/npm-stage/web/hubspot_batch_bg.wasm`) through `wasm-opt` with exactly `scripts/build-pkg`'s flags (features, `--strip-debug --strip-producers --strip-target-features`), at each level. `WASM_OPT_LEVEL=-O scripts/build-pkg` ships the -O one.");
    const lv = Object.entries(s.optLevels).filter(([, v]) => !v.error);
    table(["level", "raw", "gzip -9", "brotli", "vs -Oz, gzip"], lv.map(([k, v]) => [k + (k === "-Oz" ? " (default)" : ""), fmtInt(v.raw), fmtInt(v.gzip), fmtInt(v.brotli), k === "-Oz" ? "" : pct(v.gzip / s.optLevels["-Oz"].gzip - 1)]));
    for (const [k, v] of Object.entries(s.optLevels)) if (v.error) para(`wasm-opt ${k} failed: ${v.error}`);
    para(s.ozMatchesPkg ? "The -Oz result is byte-identical to the shipped `pkg/hubspot_batch_browser_bg.wasm` (the build is reproducible)." : "Note: the -Oz result here differs from the shipped `pkg/hubspot_batch_browser_bg.wasm` (pkg/ and target/npm-stage/ come from different builds?).");
  }

  if (s.twiggy?.ok) {
    md.push("### Where the bytes are\n");
    term.push("\n-- where the bytes are (twiggy, un-optimised stage) --");
    para(`\`twiggy top\` on the un-optimised stage of the browser build, \`target/npm-stage/web/hubspot_batch_bg.wasm\` (${fmtInt(s.twiggy.total)} bytes, with the name section that wasm-opt strips; the shipped file is ${fmtInt(s.wasm.raw)}). By crate (an item counts for the crate its name starts with, so serde code generated for our types counts as ours; generic std code instantiated for a type counts as std):`);
    table(["crate / kind", "bytes", "% of stage", "% without name section"], (() => {
      const names = s.twiggy.crates.find((c) => c.crate.startsWith("(name section")) || { bytes: 0 };
      const rest = s.twiggy.total - names.bytes;
      return s.twiggy.crates.map((c) => [c.crate, fmtInt(c.bytes), `${((c.bytes / s.twiggy.total) * 100).toFixed(1)}%`, c === names ? "" : `${((c.bytes / rest) * 100).toFixed(1)}%`]);
    })());
    md.push("Top 25 items (`~/.cargo/bin/twiggy top -n 25 target/npm-stage/web/hubspot_batch_bg.wasm`):\n", "```", s.twiggy.text, "```", "");
    term.push(s.twiggy.text.split("\n").slice(0, 14).join("\n"), "  ...");
  } else if (s.twiggy) {
    para(`twiggy: ${s.twiggy.message}`);
  }
}

// --- cpu
if (R.cpu) {
  section("2. CPU: build + parse");
  const c = R.cpu;
  if (c.error) {
    para(`The CPU benchmark failed: ${c.error}`);
  } else {
    para(`In Node, one process, warmed up, then ${c.rounds} rounds of at least ${c.roundMs} ms each (half that for one batch; an op that takes longer runs once), the implementations taking turns in alternating order. One **1-batch** op = \`buildBatchUpdateRequests\` of 100 inputs + \`parseBatchResponse(200, body)\` of a real 100-result answer (${fmtInt(c.body1Bytes)} bytes, captured from the emulator; request body ${fmtInt(c.requestBodyBytes)} bytes). One **10k** op = \`buildBatchUpdateRequests\` of 10,000 inputs (100 requests) + 100 \`parseBatchResponse\` (${fmtInt(c.bodies10kBytes)} bytes in all). Inputs have 7-8 properties each: strings, numbers, Dates, string arrays, null, booleans. The baseline is \`bench/baseline.mjs\`: plain JS with the same validation, formatting and shape checks; before timing, the run checks that it produces byte-identical request bodies and the same parsed results, and rejects the same bad inputs${c.notes.length ? ` (**differences found: ${c.notes.join("; ")}**)` : " (it does)"}.`);
    const base = c.impls.find((x) => x.isBaseline);
    const scen = [["one", "1 batch (100 inputs): build + parse", 100], ["tenK", "10k inputs, 100 batches: build + parse", 10000], ["build10k", "10k: build only", 10000], ["parse10k", "10k: parse only (100 bodies)", 10000]];
    const rows = [];
    const ratioOf = (im, k) => c.pairedRatios[im.name][k];
    for (const [k, label, n] of scen) {
      for (const im of c.impls) {
        if (!im[k]) continue;
        const pr = im.isBaseline ? null : ratioOf(im, k);
        const ratio = im.isBaseline ? "1" : `**${pr.median.toFixed(2)}×** (${pr.min.toFixed(1)}-${pr.max.toFixed(1)})`;
        rows.push([label, im.name, fmtNum(im[k].median), fmtInt(im[k].median * n), `${fmtMs(1000 / im[k].median)} ms`, ratio]);
      }
    }
    table(["scenario", "implementation", "ops/s (median)", "inputs/s", "time per op", "time ours / baseline (median of rounds, min-max)"], rows);
    const ours = c.impls[0];
    const r1 = ratioOf(ours, "one").median, r10 = ratioOf(ours, "tenK").median;
    para(`The ratio is taken round by round (ours and the baseline ran next to each other, under the same load) and the median of the rounds is shown; ops/s are the medians of each side. Target (issue 13): ours ≤ ${TARGET_CPU_RATIO}× the baseline's time (issue 5 asked for 2×; before issue 13: 1.71× and 1.30×). 1 batch: ${r1.toFixed(2)}× ${met(r1 <= TARGET_CPU_RATIO)}; 10k: ${r10.toFixed(2)}× ${met(r10 <= TARGET_CPU_RATIO)}. For 10k, build alone is ${ratioOf(ours, "build10k").median.toFixed(2)}× and parse alone ${ratioOf(ours, "parse10k").median.toFixed(2)}× the baseline's time, i.e. about ${fmtNum(1e6 / ours.build10k.median / 10000)} µs per input to build and ${fmtNum(1e6 / ours.parse10k.median / 10000)} µs per result to parse (baseline: ${fmtNum(1e6 / base.build10k.median / 10000)} and ${fmtNum(1e6 / base.parse10k.median / 10000)} µs).`);
    if (c.describe10k) {
      const d = c.describe10k, b = ours.build10k.median;
      para(`Where ours' build time goes: of the 10k build (${fmtMs(1000 / b)} ms), describing the caller's values in JS alone (\`${d.file}\`'s \`describeInputs\`, the walk before serde-wasm-bindgen reads them) takes ${fmtMs(1000 / d.median)} ms (${((b / d.median) * 100).toFixed(0)}%, ${fmtNum(1e6 / d.median / 10000)} µs per input); the rest, ${fmtMs(1000 / b - 1000 / d.median)} ms, is serde-wasm-bindgen's crossings into and out of wasm, the core's validation and formatting, and \`JSON.stringify\` of the bodies.`);
    }
    para("How the data crosses the JS/wasm boundary (issue 13): the caller's inputs and options are read once in JS by `src/wasm/values.js` (catching throwing getters and Proxies, tagging what JSON has no word for) into plain data that serde-wasm-bindgen carries into wasm; request bodies are written in wasm and turned into text by the JS engine's `JSON.stringify`; answers are parsed by `JSON.parse`, only each result's keys (`ObjectKeys`: id and trace id) and the errors cross into wasm, and the caller gets the objects as `JSON.parse` made them. There is no hand-written JSON reader or writer and no second path for plain data (the fast paths of before are gone).");
    const floor = c.impls.find((x) => x.isFloor);
    const f1 = floor && ratioOf(floor, "one").median, f10 = floor && ratioOf(floor, "tenK").median;
    if (floor) {
      para(`**The floor of the rules** (*floor* rows; \`bench/floor/\`, built like the package: opt-level z, LTO, the pinned wasm-bindgen, wasm-opt -Oz): a crate that does only what any design on issue 13's rules must do for these jobs, and nothing else. Its inputs cross into wasm through serde-wasm-bindgen as typed structs (\`{ id, properties }\`, every value already a string: the floor is given the property values formatted by the baseline beforehand, outside the timing, so it validates, formats and tags nothing); each body of 100 crosses out through serde-wasm-bindgen and becomes text through \`JSON.stringify\`; each answer is parsed by \`JSON.parse\` and only its results' ids cross in. It checks nothing and keeps no ledger. It writes the same request bodies byte for byte. It takes **${f1.toFixed(2)}×** the baseline's time for one batch and **${f10.toFixed(2)}×** for 10k (build alone ${ratioOf(floor, "build10k").median.toFixed(2)}×, parse alone ${ratioOf(floor, "parse10k").median.toFixed(2)}×). ${f1 > TARGET_CPU_RATIO ? `So the one-batch target (≤ ${TARGET_CPU_RATIO}×) is out of reach of any implementation on these rules: the crossing alone costs more.` : `So the rules leave room under the one-batch target.`} ${f10 > TARGET_CPU_RATIO ? `The same holds for 10k.` : `For 10k they leave ${(TARGET_CPU_RATIO - f10).toFixed(2)}× of the baseline's time (${fmtMs((TARGET_CPU_RATIO - f10) * (1000 / base.tenK.median))} ms) for everything the floor leaves out: describing what the caller passed, validation, formatting, the ledger; ours spends ${fmtMs(1000 / ours.tenK.median - 1000 / floor.tenK.median)} ms on it.`}`);
    }
    const withFloor = (r, f) => `${r.toFixed(2)}×${f ? ` (the rules' floor: ${f.toFixed(2)}×)` : ""}`;
    summary.push(["CPU, 1 batch build + parse, time ours / plain JS", `≤ ${TARGET_CPU_RATIO}× (before: 1.71×)`, withFloor(r1, f1), metT(r1 <= TARGET_CPU_RATIO)]);
    summary.push(["CPU, 10k inputs build + parse, time ours / plain JS", `≤ ${TARGET_CPU_RATIO}× (before: 1.30×)`, withFloor(r10, f10), metT(r10 <= TARGET_CPU_RATIO)]);
  }
}

// --- throughput
if (R.throughput) {
  section("3. Throughput against the emulator");
  para(`The emulator (\`tests/emulator/server.mjs\`, its own process on 127.0.0.1) enforces a rolling window per token and answers after ${R.throughput[0].latencyMs} ms of latency; each run is a fresh process and a fresh emulator. **Bound** = the least wall time any client can reach: (windows − 1) × interval + one latency (requests beyond the first window cannot start before it has rolled). *ours* = \`new HubSpotBatch({accessToken, baseUrl, ...options}).update(inputs)\`; *reference: zero-CPU client* = our pacing rule (each request's slot frees one interval after its answer's headers arrived) with next to no client CPU (every body built before the clock starts, \`node:http\` with keep-alive, answers drained unread): what this pacing rule reaches against this emulator on this machine when the client itself costs nothing; *reference: zero-CPU client over fetch* = the same, sent through Node's global \`fetch\` (undici) and read with \`arrayBuffer()\`, as our client must send (the package sends through the runtime's \`fetch\`): what fetch itself adds; *@hubspot/api-client* = \`client.crm.deals.batchApi.update({inputs})\` for the same chunks of 100, all started at once and awaited with \`Promise.all\` (client \`basePath\` = the emulator). "Promise.all" is when that \`await\` returns or throws; "wall" is when the last call settled. 429s, requests and max accepted in any window come from the emulator.`);
  const rows = [];
  for (const t of R.throughput) {
    const r = t.result;
    if (r.error) {
      rows.push([t.group, t.label, fmtInt(t.deals), `${t.rateLimit.requests}/${t.rateLimit.intervalMs / 1000} s`, "error", `${(t.boundMs / 1000).toFixed(2)} s`, "", "", "", "", "", r.error]);
      continue;
    }
    const over = r.wallMs / t.boundMs - 1;
    const updated = `${fmtInt(r.updated)}${r.failed ? ` (${fmtInt(r.failed)} lost)` : ""}`;
    const pa = r.promiseAllMs != null ? `Promise.all ${r.promiseAllOutcome} at ${(r.promiseAllMs / 1000).toFixed(2)} s` : "";
    rows.push([t.group, t.label, fmtInt(t.deals), `${t.rateLimit.requests}/${t.rateLimit.intervalMs / 1000} s`, `${(r.wallMs / 1000).toFixed(2)} s`, `${(t.boundMs / 1000).toFixed(2)} s`, r.failed ? "n/a (lost)" : pct(over), fmtInt(r.emulator.requests), fmtInt(r.emulator.rateLimited), updated, `${(r.clientCpuMs / 1000).toFixed(2)} s`, [r.walls ? `median of ${r.walls.length} runs (walls ${r.walls.map((w) => (w == null ? "error" : `${(w / 1000).toFixed(2)} s`)).join(", ")})` : "", pa, r.stats ? `${((r.wallMs - r.stats.durationMs) / 1000).toFixed(2)} s outside the engine (stats.durationMs ${(r.stats.durationMs / 1000).toFixed(2)} s)` : "", r.firstWindowSentMs != null ? `window 1 sent in ${(r.firstWindowSentMs / 1000).toFixed(2)} s` : "", r.secondWindowStartMs != null ? `window 2 from ${(r.secondWindowStartMs / 1000).toFixed(2)} s` : "", `max ${r.maxAcceptedInWindow} accepted in a window`, `load ${t.load.split(" ")[0]}`].filter(Boolean).join("; ")]);
  }
  table(["", "client", "deals", "limit", "wall", "bound", "over bound", "requests", "429s", "updated", "client CPU", "notes"], rows);
  const ok = (t) => !t.result.error && t.result.emulator.rateLimited === 0 && t.result.failed === 0 && t.result.wallMs <= t.boundMs * (1 + TARGET_BOUND);
  const def = R.throughput.find((t) => t.client === "ours" && t.group === "A");
  const b190 = R.throughput.find((t) => t.client === "ours" && t.group === "B");
  if (def) {
    const over = def.result.error ? NaN : def.result.wallMs / def.boundMs - 1;
    summary5.push([`throughput, ${fmtInt(def.deals)} deals at ${def.rateLimit.requests}/${def.rateLimit.intervalMs / 1000} s, default options`, "≤ bound + 5%, 0 × 429", def.result.error ? "error" : `${pct(over)}, ${def.result.emulator.rateLimited} × 429`, metT(ok(def))]);
  }
  if (b190) {
    const over = b190.result.error ? NaN : b190.result.wallMs / b190.boundMs - 1;
    summary5.push([`throughput, ${fmtInt(b190.deals)} deals at 190/10 s, rateLimit told, default concurrency`, "≤ bound + 5%, 0 × 429", b190.result.error ? "error" : `${pct(over)}, ${b190.result.emulator.rateLimited} × 429`, metT(ok(b190))]);
  }
  const best = R.throughput.filter((t) => t.client === "ours" && ok(t)).map((t) => t.label);
  // Issue 13: ours with default options against the zero-CPU client over fetch, same scenario.
  const vsFetch = [];
  for (const o of R.throughput.filter((t) => t.client === "ours" && !t.options?.concurrency)) {
    const ref = R.throughput.find((t) => t.client === "floor" && t.overFetch && t.group === o.group && t.deals === o.deals);
    if (!ref || o.result.error || ref.result.error) continue;
    const over = o.result.wallMs / ref.result.wallMs - 1;
    const okF = over <= TARGET_VS_FETCH && o.result.emulator.rateLimited === 0 && !o.result.failed;
    vsFetch.push({ o, ref, over, ok: okF });
  }
  const headline = vsFetch.find((v) => v.o.group === "A");
  if (headline) {
    const { o, ref, over, ok: okF } = headline;
    summary.push([`throughput, ${fmtInt(o.deals)} deals at ${o.rateLimit.requests}/${o.rateLimit.intervalMs / 1000} s, default options, wall / zero-CPU fetch reference's`, `≤ +${TARGET_VS_FETCH * 100}%, 0 × 429`, `${pct(over)} (${(o.result.wallMs / 1000).toFixed(2)} s vs ${(ref.result.wallMs / 1000).toFixed(2)} s), ${o.result.emulator.rateLimited} × 429`, metT(okF)]);
  } else if (def) {
    summary.push([`throughput, ${fmtInt(def.deals)} deals, wall / zero-CPU fetch reference's`, `≤ +${TARGET_VS_FETCH * 100}%, 0 × 429`, "no reference run", "NOT MEASURED"]);
  }
  if (vsFetch.length) para(`Target (issue 13): the ${fmtInt(vsFetch[0].o.deals)}-deal run with default options within ${TARGET_VS_FETCH * 100}% of the zero-CPU client over fetch (the same scenario, medians of 3 runs each), with zero 429s: ${vsFetch.map((v) => `${fmtInt(v.o.deals)} deals at ${v.o.rateLimit.requests}/${v.o.rateLimit.intervalMs / 1000} s ${pct(v.over)} (${(v.o.result.wallMs / 1000).toFixed(2)} s vs ${(v.ref.result.wallMs / 1000).toFixed(2)} s, ${v.o.result.emulator.rateLimited} × 429) ${met(v.ok)}`).join("; ")}. The ${fmtInt(vsFetch[0].o.deals)}-deal row is the target; the others are shown the same way.`);
  para(`Issue 5's target, kept as a record: within 5% of the bound with zero 429s. Runs that meet it: ${best.length ? best.join("; ") : "none"}.`);
  para("`@hubspot/api-client` does not retry unless told to: `numberOfApiCallRetries` is unset by default (no retry decorator), so out of the box `Promise.all` rejects at the first 429 and the records of every 429'd chunk are simply not updated. With `numberOfApiCallRetries: 3` (its README's example) it waits a fixed 10 s after a `TEN_SECONDLY_ROLLING` 429 and resends. *client CPU* is the CPU time of the process running the client (wasm, JSON, HTTP), not the emulator's.");
  const burst = R.throughput.find((t) => t.client === "apiClient" && !t.result.error && !t.result.failed && t.result.secondWindowStartMs != null);
  const oursA = R.throughput.filter((t) => t.client === "ours" && !t.result.error);
  if (burst && oursA.length) {
    const perBatch = (t) => (t.result.clientCpuMs / (t.deals / 100)).toFixed(1);
    para(`Reading the runs: ${burst.label} sends its whole second window in one burst at ${(burst.result.secondWindowStartMs / 1000).toFixed(2)} s and is done ${((burst.result.wallMs - burst.result.secondWindowStartMs) / 1000).toFixed(2)} s later, i.e. ${pct(burst.result.wallMs / burst.boundMs - 1)} over the bound (with ${burst.result.emulator.rateLimited} 429s). Our client sends no 429s; each of its windows starts as the previous one's answers arrived, i.e. one latency plus the emulator's processing of that window later (the reference row shows what that alone costs). Client CPU per batch of 100: ours ${oursA.map((t) => `${perBatch(t)} ms (${t.label.replace(/^ours, /, "")})`).join(", ")}; @hubspot/api-client ${perBatch(burst)} ms.`);
  }
  const floors = R.throughput.filter((t) => t.client === "floor" && !t.overFetch && !t.result.error);
  const fetchFloors = R.throughput.filter((t) => t.client === "floor" && t.overFetch && !t.result.error);
  if (fetchFloors.length) para(`Over Node's \`fetch\` the same zero-CPU client reaches ${fetchFloors.map((t) => `${pct(t.result.wallMs / t.boundMs - 1)} (${fmtInt(t.deals)} deals at ${t.rateLimit.requests}/${t.rateLimit.intervalMs / 1000} s)`).join(" and ")}: undici's cold start (about 0.5 ms per call for the first hundred) delays the first window, and its answers' heard times spread more, which the next window inherits. Our client is measured against the bound, like every row; this row shows how much of the gap any client that sends through \`fetch\` has here.`);
  if (floors.length) para(`The zero-CPU reference: ${floors.map((t) => `${fmtInt(t.deals)} deals at ${t.rateLimit.requests}/${t.rateLimit.intervalMs / 1000} s ${pct(t.result.wallMs / t.boundMs - 1)}`).join(", ")}. The emulator is one Node process: it answers a window's requests one after the other (JSON parse, checks, a 30 KB answer each), so even a client that costs nothing gets its first window's answers spread over that time, and the next window, which may not start before them, inherits the spread. What our client adds on top is its own CPU: validating the inputs before the first request (contract: invalid input rejects before anything is sent), building bodies, and reading answers and turning their objects into JS objects (competing with the emulator for the machine's 2 cores).`);
  const floorOk = R.startupFloor?.runs.filter((r) => !r.error) ?? [];
  const floorStartup = floorOk.length
    ? { ms: [...floorOk.map((r) => r.firstFetchMs)].sort((a, b) => a - b)[(floorOk.length - 1) >> 1], formatMs: [...floorOk.map((r) => r.formatMs)].sort((a, b) => a - b)[(floorOk.length - 1) >> 1], n: floorOk.length }
    : null;
  if (R.startup?.length) {
    const parts = R.startup.map(({ deals, runs }) => {
      const ok = runs.filter((r) => !r.error);
      if (!ok.length) return `${fmtInt(deals)} inputs: failed (${runs[0]?.error})`;
      const first = ok.map((r) => r.firstFetchMs).sort((a, b) => a - b);
      const mid = ok.map((r) => r.validateMs).sort((a, b) => a - b)[(ok.length - 1) >> 1];
      return `${fmtInt(deals)} inputs **${first[(first.length - 1) >> 1].toFixed(0)} ms** (${first[0].toFixed(0)}-${first[first.length - 1].toFixed(0)} ms; of which reading and validating them ${mid.toFixed(0)} ms)`;
    });
    const s20 = R.startup.find((x) => x.deals === 20000);
    const ok20 = s20?.runs.filter((r) => !r.error).map((r) => r.firstFetchMs).sort((a, b) => a - b) ?? [];
    if (ok20.length) {
      const m = ok20[(ok20.length - 1) >> 1];
      summary.push(["update() start-up, 20,000 inputs: call to first fetch (median)", `≤ ${TARGET_STARTUP_MS} ms (before: 79-88 ms)`, `${m.toFixed(0)} ms (${ok20[0].toFixed(0)}-${ok20[ok20.length - 1].toFixed(0)} ms)${floorStartup ? `; the rules' floor: ${floorStartup.ms.toFixed(0)} ms` : ""}`, metT(m <= TARGET_STARTUP_MS)]);
    }
    para(`*Start-up*: from the \`update()\` call to its first \`fetch()\`, in a fresh process like the runs above (median of ${R.startup[0].runs.length}; a \`fetch\` that never answers, then the run is aborted): ${parts.join("; ")}. Every input is read and validated before the first request leaves (contract: invalid input rejects before anything is sent), so this delays the first window, and through it every later one.${floorStartup ? ` The floor of the rules (\`bench/floor/\`, see section 2: the inputs carried into wasm by serde-wasm-bindgen as typed structs of strings, and the first body written; nothing checked) takes **${floorStartup.ms.toFixed(0)} ms** for the same 20,000 inputs in a fresh process (median of ${floorStartup.n}), once their property values are strings; formatting them in JS beforehand took ${floorStartup.formatMs.toFixed(0)} ms more. What ours spends beyond that is describing the caller's values, reading them as any JS value, validating and formatting.` : ""}`);
  }
  para("The headline rows (ours with default options, and the zero-CPU reference) run 3 times each and show the run with the median wall time (all three walls are in the notes); the other rows run once (a run is bounded by the 10 s window). On this shared machine the same configuration varies by a few percent between runs, so differences smaller than that are noise. *outside the engine* = wall − `stats.durationMs`: turning the finished result into JS objects and resolving the promise (`stats.durationMs` runs from the `update()` call, so reading and validating the inputs count inside it).");
  para("Our client paces by holding each request's slot until one interval after its answer's headers arrived (README: HubSpot never sees more than the limit whatever the latency). So each window after the first starts late by the time the previous window's requests took to be answered. By default the whole window is in flight at once (concurrency = the rate limit's requests), so that time is one latency plus the server's processing of the window; with concurrency c it grows to about (limit / c) × (latency + server time + our own CPU per batch), as the concurrency-10 rows show.");
}

// --- cold start
if (R.coldstart) {
  section("4. Cold start");
  const c = R.coldstart;
  if (c.error) para(`The cold-start benchmark failed: ${c.error}`);
  else {
    const n = c.node;
    para(`Node: a fresh \`node\` process per sample (${n.runs} samples each, alternating, median); *import + init* is measured inside the process around \`await import("hubspot-batch")\` (or \`require\`) plus the first \`formatPropertyValue(1.5)\` call: the nodejs glue reads and instantiates the .wasm synchronously. *process wall* is the whole \`node file\` run, against a script that imports nothing; *vs empty* is a difference of two medians of whole-process times and, on a loaded machine, mostly Node's own start-up noise: the in-process figure is the one to watch.`);
    table(["Node", "import + init (median)", "min-max", "process wall (median)", "vs empty"], [
      ["empty .mjs script", "", "", `${fmtMs(n.empty.wallMs)} ms`, ""],
      ["ESM `import` (.mjs)", `**${fmtMs(n.esm.importMs)} ms**`, `${fmtMs(n.esm.importMin)}-${fmtMs(n.esm.importMax)} ms`, `${fmtMs(n.esm.wallMs)} ms`, signedMs(n.esm.wallMs - n.empty.wallMs)],
      ["empty .cjs script", "", "", `${fmtMs(n.emptyCjs.wallMs)} ms`, ""],
      ["CommonJS `require` (.cjs)", `**${fmtMs(n.cjs.importMs)} ms**`, `${fmtMs(n.cjs.importMin)}-${fmtMs(n.cjs.importMax)} ms`, `${fmtMs(n.cjs.wallMs)} ms`, signedMs(n.cjs.wallMs - n.emptyCjs.wallMs)],
    ]);
    const w = c.workerd;
    if (w.ok) {
      para(`workerd through miniflare ${"3"}: time from \`new Miniflare({...})\` to the body of the first response, for a Worker bundled like wrangler does (esbuild, conditions workerd/worker/browser, the .wasm a CompiledWasm module) that imports the package and answers \`formatPropertyValue(1.5)\`, against an empty Worker (${w.runs} samples each, alternating, median; the first workerd start is discarded).`);
      table(["workerd (miniflare 3)", "new Miniflare + first request (median)"], [
        ["empty Worker", `${fmtMs(w.emptyMs)} ms`],
        ["Worker importing hubspot-batch", `${fmtMs(w.pkgMs)} ms`],
        ["**difference (what the package adds)**", `**${signedMs(w.diffMs)}** (median of paired differences ${signedMs(w.pairedDiffMs)})`],
      ]);
    } else para(`workerd: ${w.message}`);
  }
}

// --- lines
if (R.lines) {
  const L = R.lines;
  section("5. Production lines");
  para(`Production lines of \`src/\`: code only, no tests, comments or blank lines, as \`../shared/tools/prod-lines.sh\` counts them (every .rs up to its first \`#[cfg(test\` line, files named tests.rs and files under a tests/ folder left out, plus .js/.mjs). \`bench/lines.mjs\` counts the same way${L.script ? (L.script.total === L.total ? ` and checked its total against the script's (${fmtInt(L.script.total)}, the same)` : ` and the script printed ${L.script.total ?? L.script.error}: **they differ**`) : " (the script was not found beside the checkout, so not cross-checked)"}. Code that other open issues added is counted apart: whole files, and what the commits of an issue added to shared files (production lines at the range's end less those at its start, by the same rule; needs the git history).`);
  table(["what", "lines"], [
    ["all of src/ (prod-lines.sh)", fmtInt(L.total)],
    ...L.other.map((o) => [`of which ${o.file.includes("..") ? `what commits ${o.file} added` : o.file}: ${o.issue}, counted apart`, o.lines == null ? "unknown (no git history here)" : fmtInt(o.lines)]),
    ["**the update features** (all less the above)", `**${fmtInt(L.update)}**`],
    ["of these, reading, writing or converting JSON or values across the boundary (the list below, without src/wasm/errors.rs)", `${fmtInt(L.jsonLines)} (${(L.jsonShare * 100).toFixed(1)}%)`],
    ["the same with src/wasm/errors.rs (error objects made for JS)", `${fmtInt(L.jsonBroadLines)} (${(L.jsonBroadShare * 100).toFixed(1)}%)`],
  ]);
  para("What the JSON/encoding share counts: the kinds of code issue 13's 37% counted (readers, writers, re-encoders of JSON, and the glue that converts values across the JS/wasm boundary), as they are now. Whole files, or single items (from their first line to their closing brace). The serde and tsify attributes on the model types are not counted (they are the one schema's field annotations: " + fmtInt(L.annotations) + " lines across src/), nor are the one-line calls to `to_json`/`json_parse` in the driver and the proxy. `src/wasm/errors.rs` (the `HubSpotError` object made for JS) was not in the issue's list before either, so it is shown apart.");
  table(["file", "item", "lines", "what"], L.json.map((x) => [x.file, x.item ? `lines ${x.from}-${x.to}` : "whole file", fmtInt(x.lines), `${x.what}${x.broad ? " (broad figure only)" : ""}${x.missing ? " (file missing)" : ""}`]));
  table(["file", "lines"], Object.entries(L.perFile).map(([f, n]) => [f, fmtInt(n)]));
  summary.push(["production lines of src/, update features (other issues' code apart)", `≤ ${fmtInt(TARGET_LINES)} (before: 6,533)`, `${fmtInt(L.update)} (+ ${L.other.map((o) => `${o.lines == null ? "?" : fmtInt(o.lines)} ${o.file.includes("..") ? `from ${o.file}` : `in ${o.file}`}`).join(", ")})`, metT(L.update <= TARGET_LINES)]);
  summary.push(["of these, JSON/encoding share", `< ${TARGET_JSON_SHARE * 100}% (before: 37%)`, `${(L.jsonShare * 100).toFixed(1)}% (${fmtInt(L.jsonLines)} lines; ${(L.jsonBroadShare * 100).toFixed(1)}% with src/wasm/errors.rs)`, metT(L.jsonShare < TARGET_JSON_SHARE)]);
}

// --- sharing one token (issue 15)
if (R.sharing) {
  section("6. One token, several clients (issue 15)");
  const S = R.sharing;
  if (S.error) para(`The sharing benchmark failed: ${S.error}`);
  para("`bench/shared-token.mjs`: N `HubSpotBatch` instances in one process, started together on one token, each updating its own deals with default options (told the token's limit, 100 per 10 s, which is the default), against the emulator (its own process, a rolling window per token counted at arrival, 50 ms latency, `X-HubSpot-RateLimit-*` on every answer). *headers only*: nothing tells a client of the others but HubSpot's remaining count (the window's sharing rule, DESIGN.md). *memoryRateLimiter*: all clients on one shared limiter, the exact way (the Durable Object does the same across Worker isolates; its workerd test prints its own figures). Bound = (windows − 1) × interval + one latency, windows = ⌈batches / limit⌉, as in section 3. 429s, requests: the emulator's. Lost = inputs in neither `results` nor `failed`.");
  const rows = (S.rows || []).map((r) => [
    fmtInt(r.clients),
    r.limiter === "memory" ? "memoryRateLimiter" : "headers only",
    fmtInt(r.deals),
    fmtInt(r.requests),
    `${fmtInt(r.rateLimited)} (${(100 * r.share429).toFixed(1)}%)`,
    `${(r.wallMs / 1000).toFixed(2)} s`,
    `${(r.boundMs / 1000).toFixed(2)} s`,
    `${r.wallOverBound.toFixed(2)}×`,
    fmtInt(r.lost),
  ]);
  table(["clients", "sharing", "deals", "requests", "429s", "wall", "bound", "wall / bound", "lost"], rows);
  const many = (S.rows || []).filter((r) => r.clients > 1);
  const judge = (kind) => {
    const rs = many.filter((r) => r.limiter === kind);
    if (!rs.length) return "not run";
    const share = rs.every((r) => r.share429 <= (kind === "memory" ? 0 : 0.05));
    const wall = rs.every((r) => r.wallOverBound <= 1.1);
    const lost = rs.every((r) => r.lost === 0);
    return `429s ${met(share)}, wall ${met(wall)}, nothing lost ${met(lost)}`;
  };
  para(`Targets (issue 15), for 4 and 8 clients: headers only, at most 5% 429s, wall within 1.10× the bound, nothing lost: ${judge("none")}. A shared limiter, 0 × 429, wall within 1.10× the bound: ${judge("memory")}. A lone client must be as fast as before: its one-client rows here, and the 20,000-deal rows of section 3 (one round trip more at most: the first request goes alone until HubSpot's first answer says whether the token is shared).`);
}

// --- summary first
const head = md.splice(0, 2);
head.push("\n## Targets (issue 13)\n", mdTable(["what", "target", "measured", ""], summary), "");
if (summary5.length) head.push("Issue 5's targets, kept as a record (issue 13 replaced its size and CPU targets; its throughput target is against the bound):\n", mdTable(["what", "target", "measured", ""], summary5), "");
md.unshift(...head);

const text = md.join("\n").replace(/\n{3,}/g, "\n\n").trimEnd() + "\n";
process.stdout.write(`\n== Targets (issue 13) ==\n${textTable(["what", "target", "measured", ""], summary)}\n${summary5.length ? `\n== Targets (issue 5, a record) ==\n${textTable(["what", "target", "measured", ""], summary5)}\n` : ""}${term.join("\n").replace(/\*\*/g, "")}\n\n(total ${R.totalSecs.toFixed(0)} s)\n`);
if (JSON_OUT) writeFileSync(resolve(JSON_OUT), JSON.stringify(R, null, 2) + "\n");
if (WRITE) {
  writeFileSync(OUT, text);
  log(`wrote ${relative(process.cwd(), OUT) || OUT}`);
} else {
  log(`not writing ${relative(REPO, OUT)} (${QUICK ? "--quick" : flag("--only") ? "--only" : "--no-write"}; pass --write to)`);
}
