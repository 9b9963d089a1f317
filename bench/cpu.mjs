// CPU: build + parse, the package (wasm, in Node) against the plain-JS baseline (bench/baseline.mjs),
// side by side in one process, warmed up, several alternating rounds, medians.
//
//   node bench/cpu.mjs '{"variants":[{"name":"ours","pkg":"<pkg dir>"}],"quick":false}'   # prints JSON
//
// One op of "1 batch" = buildBatchUpdateRequests(100 inputs) + parseBatchResponse(200, body of 100 results).
// One op of "10k" = buildBatchUpdateRequests(10,000 inputs) -> 100 requests + 100 parseBatchResponse.
// The 200 bodies are real: captured from the emulator (tests/emulator) answering the very requests.
import { existsSync, readdirSync } from "node:fs";
import { createRequire } from "node:module";
import { join } from "node:path";
import { pathToFileURL } from "node:url";
import { performance } from "node:perf_hooks";
import { REPO, median } from "./lib.mjs";
import * as baseline from "./baseline.mjs";
import { floorImpl } from "./floor.mjs";

const require = createRequire(import.meta.url);
const opts = JSON.parse(process.argv[2] || "{}");
const quick = !!opts.quick;
const ROUNDS = opts.rounds ?? (quick ? 3 : 7);
const ROUND_MS = opts.roundMs ?? (quick ? 120 : 250);
const WARM_MS = opts.warmMs ?? (quick ? 150 : 600);

// --- data ------------------------------------------------------------------------------------------------
const STAGES = ["appointmentscheduled", "qualifiedtobuy", "presentationscheduled", "decisionmakerboughtin", "contractsent", "closedwon", "closedlost"];
const TAGS = [["renewal", "smb"], ["hot"], ["upsell", "enterprise", "hot"]];
function makeInputs(n, withBoolean) {
  const out = new Array(n);
  for (let i = 0; i < n; i++) {
    const p = {
      dealname: `Deal ${i + 1}: renewal 2025`,
      amount: Math.round((1000 + ((i * 3779.37) % 250000)) * 100) / 100,
      dealstage: STAGES[i % STAGES.length],
      closedate: new Date(Date.UTC(2025, 0, 1) + i * 3_600_000),
      tags: TAGS[i % TAGS.length],
      hubspot_owner_id: 10_000 + (i % 40),
      description: i % 4 === 0 ? null : "Customer asked for a quote; follow up next week.",
    };
    if (withBoolean) p.hs_priority_flag = i % 2 === 0; // booleans too (not an emulator property, so not in the captured bodies)
    out[i] = { id: String(i + 1), properties: p };
  }
  return out;
}

async function captureBodies(pkg, inputs) {
  const { startEmulator } = await import(join(REPO, "tests", "emulator", "emulator.mjs"));
  const em = await startEmulator({ deals: inputs.length, rateLimit: null, dailyLimit: null, seed: 5 });
  try {
    const reqs = pkg.buildBatchUpdateRequests(inputs, { accessToken: "emulator-token", baseUrl: em.url });
    const bodies = [];
    for (const r of reqs) {
      const res = await fetch(r.url, { method: "POST", headers: r.headers, body: r.body });
      const text = await res.text();
      if (res.status !== 200) throw new Error(`emulator answered ${res.status}: ${text.slice(0, 200)}`);
      bodies.push(text);
    }
    return bodies;
  } finally {
    await em.close();
  }
}

// --- checks: the baseline does the same job ------------------------------------------------------------------
const canon = (v) => (Array.isArray(v) ? v.map(canon) : v && typeof v === "object" ? Object.fromEntries(Object.keys(v).sort().map((k) => [k, canon(v[k])])) : v);
function sameJob(ours, inputs, bodies) {
  const notes = [];
  const a = ours.buildBatchUpdateRequests(inputs, { accessToken: "bench-token" });
  const b = baseline.buildBatchUpdateRequests(inputs, { accessToken: "bench-token" });
  if (a.length !== b.length) notes.push(`request counts differ: ${a.length} vs ${b.length}`);
  for (let i = 0; i < Math.min(a.length, b.length); i++) {
    if (a[i].body !== b[i].body) {
      notes.push(`request ${i} bodies differ`);
      break;
    }
    if (a[i].url !== b[i].url || JSON.stringify(canon(a[i].headers)) !== JSON.stringify(canon(b[i].headers))) {
      notes.push(`request ${i} url/headers differ`);
      break;
    }
  }
  const pa = canon(ours.parseBatchResponse(200, bodies[0]));
  const pb = canon(baseline.parseBatchResponse(200, bodies[0]));
  if (JSON.stringify(pa) !== JSON.stringify(pb)) notes.push("parsed 200 bodies differ (beyond key order)");
  // Both reject the same bad inputs.
  const bad = [
    [{ id: "1", properties: { a: 1 } }, { id: "1", properties: { a: 2 } }],
    [{ id: "1", properties: { a: {} } }],
    [{ id: "1", properties: { a: NaN } }],
    [{ id: "1", properties: { a: ["x;y"] } }],
    [{ id: "", properties: {} }],
  ];
  for (const inp of bad) {
    let ea = null, eb = null;
    try { ours.buildBatchUpdateRequests(inp, {}); } catch (e) { ea = e.code; }
    try { baseline.buildBatchUpdateRequests(inp, {}); } catch (e) { eb = e.code; }
    if (ea !== "INVALID_INPUT" || eb !== "INVALID_INPUT") notes.push(`bad input ${JSON.stringify(inp)}: ours ${ea}, baseline ${eb}`);
  }
  return notes;
}

// --- timing -------------------------------------------------------------------------------------------------
let sink = 0;
function runFor(fn, ms) {
  let n = 0;
  const t0 = performance.now();
  let t = t0;
  do {
    sink += fn();
    n++;
    t = performance.now();
  } while (t - t0 < ms);
  return n / ((t - t0) / 1000);
}

function scenarioFns(impl, inputs1, body1, inputs10k, bodies10k) {
  return {
    one: () => {
      const reqs = impl.buildBatchUpdateRequests(inputs1, { accessToken: "bench-token" });
      const r = impl.parseBatchResponse(200, body1);
      return reqs.length + r.results.length;
    },
    tenK: () => {
      const reqs = impl.buildBatchUpdateRequests(inputs10k, { accessToken: "bench-token" });
      let n = reqs.length;
      for (let i = 0; i < bodies10k.length; i++) n += impl.parseBatchResponse(200, bodies10k[i]).results.length;
      return n;
    },
    // The parts, for the "where does the time go" split.
    build10k: () => impl.buildBatchUpdateRequests(inputs10k, { accessToken: "bench-token" }).length,
    parse10k: () => {
      let n = 0;
      for (let i = 0; i < bodies10k.length; i++) n += impl.parseBatchResponse(200, bodies10k[i]).results.length;
      return n;
    },
  };
}

// A variant may be limited to some scenarios (`only`), to keep the run short.
// A variant is a package folder (`pkg`) or the crossing's floor (`floor`, bench/floor.mjs).
const variants = (opts.variants || [{ name: "ours", pkg: join(REPO, "pkg") }]).map((v) => ({ name: v.name, only: v.only, isFloor: !!v.floor, impl: v.floor ? floorImpl(v.floor) : require(join(v.pkg, "node.cjs")) }));
const impls = [...variants, { name: "baseline (plain JS)", impl: baseline, isBaseline: true }];

const inputs10k = makeInputs(10_000, true);
const bodies10k = await captureBodies(variants[0].impl, makeInputs(10_000, false));
const inputs1 = inputs10k.slice(0, 100);
const body1 = bodies10k[0];
const notes = sameJob(variants[0].impl, inputs10k, bodies10k);

const scenarios = ["one", "tenK", "build10k", "parse10k"];
const fns = impls.map((x) => scenarioFns(x.impl, inputs1, body1, inputs10k, bodies10k));
const samples = impls.map(() => Object.fromEntries(scenarios.map((s) => [s, []])));

const runs = (i, s) => !impls[i].only || impls[i].only.includes(s);
for (const s of scenarios) {
  for (let i = 0; i < impls.length; i++) if (runs(i, s)) runFor(fns[i][s], WARM_MS / (s === "one" ? 2 : 1));
  for (let r = 0; r < ROUNDS; r++) {
    // alternate the order every round so that neither side always runs second
    const order = impls.map((_, i) => i).filter((i) => runs(i, s));
    if (r % 2) order.reverse();
    for (const i of order) samples[i][s].push(runFor(fns[i][s], s === "one" ? ROUND_MS / 2 : ROUND_MS));
  }
}

// Where ours' build time goes: the JS half of the boundary alone, i.e. src/wasm/values.js's
// describeInputs (the walk that copies the caller's values into plain data before
// serde-wasm-bindgen reads them), from the package's own snippet of it. The rest of the build is
// serde-wasm-bindgen's crossings into and out of wasm, the core's work and JSON.stringify.
async function describeOnly(pkgDir) {
  const snippets = join(pkgDir, "node", "snippets");
  if (!existsSync(snippets)) return null;
  for (const d of readdirSync(snippets)) {
    const f = join(snippets, d, "src", "wasm", "values.js");
    if (!existsSync(f)) continue;
    const { describeInputs } = await import(pathToFileURL(f).href);
    if (typeof describeInputs !== "function") return null;
    const fn = () => describeInputs(inputs10k).length;
    runFor(fn, WARM_MS);
    const xs = [];
    for (let r = 0; r < ROUNDS; r++) xs.push(runFor(fn, ROUND_MS));
    return { file: f.slice(pkgDir.length + 1), median: median(xs), min: Math.min(...xs), max: Math.max(...xs) };
  }
  return null;
}
const describe10k = opts.variants?.[0]?.pkg ? await describeOnly(opts.variants[0].pkg) : null;

const result = {
  describe10k,
  rounds: ROUNDS,
  roundMs: ROUND_MS,
  notes,
  body1Bytes: body1.length,
  bodies10kBytes: bodies10k.reduce((a, b) => a + b.length, 0),
  requestBodyBytes: baseline.buildBatchUpdateRequests(inputs1, {})[0].body.length,
  // time ours / time baseline, round by round (the two ran next to each other, under the same load)
  pairedRatios: Object.fromEntries(
    impls.filter((x) => !x.isBaseline).map((x) => {
      const i = impls.indexOf(x), b = impls.length - 1;
      return [x.name, Object.fromEntries(scenarios.filter((s) => runs(i, s)).map((s) => {
        const rs = samples[i][s].map((v, r) => samples[b][s][r] / v);
        return [s, { median: median(rs), min: Math.min(...rs), max: Math.max(...rs) }];
      }))];
    }),
  ),
  impls: impls.map((x, i) => ({
    name: x.name,
    isBaseline: !!x.isBaseline,
    isFloor: !!x.isFloor,
    ...Object.fromEntries(scenarios.filter((s) => runs(i, s)).map((s) => [s, { median: median(samples[i][s]), min: Math.min(...samples[i][s]), max: Math.max(...samples[i][s]), samples: samples[i][s] }])),
  })),
  sink: sink > 0,
};
process.stdout.write(JSON.stringify(result) + "\n");
