// Chaos runs: one seeded update() of many inputs against the local HubSpot emulator with a
// mix of injected faults, unknown ids and invalid records, then a check of the ledger against
// what the emulator really stored. Used by chaos.test.mjs (bounded) and scripts/chaos (figures).
//
//   import { runChaos, runDaily } from "./chaos.mjs";
//   const s = await runChaos(m, { seed: 1, inputs: 10_000 });   // throws on any violation
//   console.log(formatSummary(s));
//
// The checks (see RELIABILITY.md for the reasoning, in particular the time bound):
//   1. accounting: results.length + failed.length === inputs.length, each failed index once,
//      results are exactly the inputs not failed, in input order, each with its input's
//      record id and the values sent;
//   2. nothing reported updated is unapplied: every input in results was written by the
//      emulator (writes >= 1) with exactly the values sent (getRecords);
//   3. no false failures or false successes by kind: invalid (bad dealstage) and unknown-id
//      inputs are never in results; a valid input only fails with a transient reason
//      (retries ran out), never VALIDATION_ERROR / OBJECT_NOT_FOUND / NOT_UPDATED;
//   4. attempts per request: identical request bodies (same input ids in the same batch)
//      are sent at most maxRetries + 1 times; the client's stats agree with the wire;
//   5. the run ends within a time bound derived from the options;
//   6. onProgress ends at done === total and never goes backwards.
import { startEmulator, FAULT_KINDS } from "../emulator/emulator.mjs";
import { performance } from "node:perf_hooks";
import { rng } from "./support.mjs";

export const TOKEN = "emulator-token";

/** The main fault mix: every kind except 429-daily (which stops the run; see runDaily). */
export const MAIN_FAULT_KINDS = FAULT_KINDS.filter((k) => k !== "429-daily");

export const DEFAULTS = Object.freeze({
  inputs: 10_000,
  batchSize: 100,
  concurrency: 6,
  maxRetries: 3,
  timeoutMs: 400,
  rate: { requests: 100, intervalMs: 1000 }, // emulator and client alike
  latencyMs: 2,
  unknownRate: 0.01, // inputs whose id does not exist
  invalidRate: 0.001, // inputs with a bad dealstage
  idPropertyRate: 0.1, // inputs addressed by deal_external_id
});

// Engine constants (src/engine/mod.rs), used by the time bound.
const BACKOFF_BASE_MS = 500;
const BACKOFF_MAX_MS = 30_000;
const PAUSE_JITTER = 1.05; // a 429 waits its window plus up to 5 %
const RETRY_AFTER_MS = 1000; // the emulator's Retry-After: 1
const SECONDLY_MS = 1000;

/** Categories a VALID input may fail with: retries ran out on a transient fault. */
export const TRANSIENT = new Set([
  "TIMEOUT", "NETWORK_ERROR", "MALFORMED_RESPONSE", "RATE_LIMITS", "HTTP_ERROR",
  "INTERNAL_ERROR", "SERVICE_UNAVAILABLE", "GATEWAY_TIMEOUT", "BAD_GATEWAY",
]);

const STAGES = ["appointmentscheduled", "qualifiedtobuy", "presentationscheduled",
  "decisionmakerboughtin", "contractsent", "closedwon", "closedlost"];
const TAGS = ["hot", "cold", "renewal", "upsell", "enterprise", "smb"];

/** Which unknown-id mode a seed uses: error207, omit and mixed in turn. */
export const unknownModeFor = (seed) => ["error207", "omit", "mixed"][((seed % 3) + 3) % 3];

/**
 * The inputs of one run, each with what the harness expects: `kind` ("valid", "unknown",
 * "invalid"), `recordId` (the internal id it writes) and `expected` (the stored strings).
 */
export function makeInputs(seed, n, o = DEFAULTS) {
  const r = rng(seed * 7919 + 17);
  const inputs = [], meta = [];
  for (let i = 0; i < n; i++) {
    const rid = String(i + 1);
    const props = {}, expected = {};
    const set = (k, v, s) => { props[k] = v; expected[k] = s; };
    // A value that differs per seed and per input, so a stale or swapped write shows.
    const cents = (seed * 100_003 + i) % 1_000_000;
    if (r.chance(0.5)) set("amount", `${cents}.25`, `${cents}.25`);
    else set("amount", cents, String(cents));
    if (r.chance(0.3)) set("dealname", `chaos ${seed}/${i} ✓ "q" \\ 𝄞`, `chaos ${seed}/${i} ✓ "q" \\ 𝄞`);
    if (r.chance(0.2)) { const s = r.pick(STAGES); set("dealstage", s, s); }
    if (r.chance(0.15)) { const t = [r.pick(TAGS), r.pick(TAGS.slice(0, 3))].filter((x, j, a) => a.indexOf(x) === j); set("tags", t, t.join(";")); }
    if (r.chance(0.1)) { const d = new Date(1_700_000_000_000 + seed * 1000 + i); set("closedate", d, String(d.getTime())); }
    if (r.chance(0.05)) set("description", null, "");
    let kind = "valid", input;
    const byExt = r.chance(o.idPropertyRate);
    if (r.chance(o.unknownRate)) {
      kind = "unknown";
      input = byExt
        ? { id: `ext-missing-${seed}-${i}`, idProperty: "deal_external_id", properties: props }
        : { id: String(10_000_000 + i), properties: props };
    } else if (r.chance(o.invalidRate)) {
      kind = "invalid";
      props.dealstage = `not-a-stage-${seed}`;
      input = { id: rid, properties: props };
    } else {
      input = byExt ? { id: `ext-${rid}`, idProperty: "deal_external_id", properties: props } : { id: rid, properties: props };
    }
    if (r.chance(0.1)) input.objectWriteTraceId = `trace-${seed}-${i}`;
    inputs.push(input);
    meta.push({ kind, recordId: rid, expected });
  }
  return { inputs, meta };
}

/** A fetch wrapper that records every request's batch key (its input ids, in order). */
function wireRecorder(onRequest) {
  const sent = [];
  const f = (url, init) => {
    let key = "?";
    try {
      key = JSON.parse(init.body).inputs.map((x) => `${x.idProperty ?? ""}:${x.id}`).join(",");
    } catch {}
    sent.push({ key, url: String(url) });
    onRequest?.(sent.length);
    return globalThis.fetch(url, init);
  };
  f.sent = sent;
  return f;
}

/**
 * The time bound for a run, in ms (derivation in RELIABILITY.md). A greedy scheduler of C
 * slots finishes within total slot work / C plus the longest chain (Graham's bound), plus
 * the time everything is held: 429 pauses and pacing.
 *   work    = Q * T                           every attempt ends within timeoutMs
 *   chain   = (R+1) * T + sum_{k=1..R} max(backoff_k, P)   one request's worst life
 *   pauses  = N429 * P                         each 429 holds all requests at most P
 *   pacing  = ceil(Q / L) * I                  the rolling window, L per I ms
 *   slack   = 1000 ms + 2 ms per request (event loop, JSON, wasm)
 * with Q requests sent, N429 429 answers, backoff_k = min(500 * 2^(k-1), 30000) and
 * P = 1.05 * max(Retry-After, SECONDLY 1 s, the reported interval I).
 * A priori (options only): Q <= B * (R+1) for B batches, N429 <= Q.
 */
export function timeBound({ requests, rateLimited, options }) {
  const { concurrency: C, maxRetries: R, timeoutMs: T, rate } = options;
  const P = PAUSE_JITTER * Math.max(RETRY_AFTER_MS, SECONDLY_MS, rate.intervalMs);
  let chain = (R + 1) * T;
  for (let k = 1; k <= R; k++) chain += Math.max(Math.min(BACKOFF_BASE_MS * 2 ** (k - 1), BACKOFF_MAX_MS), P);
  const work = (requests * T) / C;
  const pauses = rateLimited * P;
  const pacing = Math.ceil(requests / rate.requests) * rate.intervalMs;
  const slack = 1000 + 2 * requests;
  return { bound: Math.ceil(work + chain + pauses + pacing + slack), work, chain, pauses, pacing, slack };
}

class Violations {
  constructor(label) { this.label = label; this.list = []; }
  check(ok, msg) { if (!ok && this.list.length < 50) this.list.push(msg()); return ok; }
  throwIfAny() {
    if (this.list.length) {
      const e = new Error(`${this.label}: ${this.list.length} violation(s):\n  ${this.list.join("\n  ")}`);
      e.violations = this.list;
      throw e;
    }
  }
}

/**
 * Checks a finished run against the emulator. Returns { lost, updated, failedValid, ... }
 * and records violations in `v`.
 */
export function checkLedger(v, emulator, inputs, meta, result, { objectType = "deals" } = {}) {
  const n = inputs.length;
  let lost = 0;
  v.check(result && Array.isArray(result.results) && Array.isArray(result.failed), () => "result has results[] and failed[]");
  v.check(result.results.length + result.failed.length === n,
    () => `results (${result.results.length}) + failed (${result.failed.length}) !== inputs (${n})`);
  const failedAt = new Map();
  for (const f of result.failed) {
    v.check(Number.isInteger(f.index) && f.index >= 0 && f.index < n, () => `failed index ${f.index} out of range`);
    v.check(!failedAt.has(f.index), () => `input ${f.index} listed twice in failed`);
    v.check(f.id === inputs[f.index]?.id, () => `failed[${f.index}].id ${f.id} !== input id ${inputs[f.index]?.id}`);
    v.check(typeof f.error?.category === "string" && f.error.category && typeof f.error.message === "string",
      () => `failed[${f.index}] has no category/message`);
    failedAt.set(f.index, f);
  }
  const updated = [];
  for (let i = 0; i < n; i++) if (!failedAt.has(i)) updated.push(i);
  v.check(updated.length === result.results.length,
    () => `${updated.length} inputs not in failed but ${result.results.length} results`);
  // Results come in input order: the k-th result belongs to the k-th input not failed.
  const records = emulator.getRecords(objectType, updated.map((i) => meta[i].recordId));
  const byKind = { valid: 0, unknown: 0, invalid: 0 };
  for (let k = 0; k < updated.length; k++) {
    const i = updated[k], m = meta[i], res = result.results[k], rec = records[k];
    byKind[m.kind]++;
    let ok = v.check(m.kind === "valid", () => `inputs[${i}] (${m.kind}, id ${inputs[i].id}) reported updated`);
    ok = v.check(res && String(res.id) === m.recordId, () => `results[${k}].id ${res?.id} !== record ${m.recordId} of inputs[${i}]`) && ok;
    for (const [p, s] of Object.entries(m.expected)) {
      ok = v.check(res?.properties?.[p] === s, () => `results[${k}].properties.${p} ${JSON.stringify(res?.properties?.[p])} !== sent ${JSON.stringify(s)}`) && ok;
    }
    // The point of the whole exercise: reported updated => really written, with these values.
    ok = v.check(rec && rec.writes >= 1, () => `inputs[${i}] (record ${m.recordId}) reported updated but never written`) && ok;
    for (const [p, s] of Object.entries(m.expected)) {
      ok = v.check(rec?.properties?.[p] === s, () => `record ${m.recordId}.${p} = ${JSON.stringify(rec?.properties?.[p])}, sent ${JSON.stringify(s)} (inputs[${i}] in results)`) && ok;
    }
    if (!ok) lost++;
  }
  const failedByCategory = {};
  let failedValid = 0;
  for (const [i, f] of failedAt) {
    const m = meta[i], cat = f.error.category;
    failedByCategory[cat] = (failedByCategory[cat] ?? 0) + 1;
    if (m.kind === "valid") {
      failedValid++;
      v.check(TRANSIENT.has(cat), () => `valid inputs[${i}] (id ${inputs[i].id}) failed with ${cat}: ${f.error.message}`);
    } else if (m.kind === "unknown") {
      v.check(cat === "OBJECT_NOT_FOUND" || cat === "NOT_UPDATED" || TRANSIENT.has(cat), () => `unknown inputs[${i}] failed with ${cat}`);
    } else {
      v.check(cat === "VALIDATION_ERROR" || TRANSIENT.has(cat), () => `invalid inputs[${i}] failed with ${cat}`);
    }
  }
  return { lost, updated: updated.length, failedValid, failedByCategory, byKind };
}

/** Attempts per distinct request body <= maxRetries + 1; returns { distinct, maxAttempts }. */
function checkAttempts(v, sent, maxRetries) {
  const count = new Map();
  for (const s of sent) count.set(s.key, (count.get(s.key) ?? 0) + 1);
  let maxAttempts = 0;
  for (const [key, c] of count) {
    maxAttempts = Math.max(maxAttempts, c);
    v.check(c <= maxRetries + 1, () => `request [${key.slice(0, 60)}...] sent ${c} times > maxRetries + 1 = ${maxRetries + 1}`);
  }
  return { distinct: count.size, maxAttempts };
}

function checkProgress(v, progress, n) {
  let prev = { done: 0, failed: 0 };
  for (const p of progress) {
    v.check(p.total === n, () => `onProgress total ${p.total} !== ${n}`);
    v.check(p.done >= prev.done && p.failed >= prev.failed && p.failed <= p.done && p.done <= n,
      () => `onProgress went ${JSON.stringify(prev)} -> ${JSON.stringify(p)}`);
    prev = p;
  }
  v.check(progress.length > 0 && prev.done === n, () => `onProgress ended at ${JSON.stringify(prev)}, total ${n}`);
}

/** One chaos run. Resolves with the summary; throws an Error listing violations. */
export async function runChaos(m, opts = {}) {
  const o = { ...DEFAULTS, ...opts };
  const seed = o.seed ?? 1;
  const fr = rng(seed * 31 + 5);
  const faultRate = o.faultRate ?? 0.2 + fr() * 0.1; // 20-30 %
  const unknownIds = o.unknownIds ?? unknownModeFor(seed);
  const { inputs, meta } = makeInputs(seed, o.inputs, o);
  const emu = await startEmulator({
    seed, deals: o.inputs, contacts: 1, dailyLimit: null, rateLimit: o.rate, latencyMs: o.latencyMs,
    faultRate, faultKinds: o.faultKinds ?? MAIN_FAULT_KINDS, unknownIds,
  });
  const v = new Violations(`seed=${seed}`);
  try {
    const fetch = wireRecorder();
    const client = new m.HubSpotBatch({
      accessToken: TOKEN, baseUrl: emu.url, fetch, batchSize: o.batchSize, concurrency: o.concurrency,
      maxRetries: o.maxRetries, timeoutMs: o.timeoutMs, rateLimit: o.rate,
    });
    const progress = [];
    const t0 = performance.now();
    const result = await client.update(inputs, { onProgress: (p) => progress.push({ ...p }) });
    const duration = performance.now() - t0;

    v.check(result.status === "COMPLETE", () => `status ${result.status}, expected COMPLETE`);
    const ledger = checkLedger(v, emu.emulator, inputs, meta, result);
    const log = emu.emulator.getLog(0);
    const state = emu.emulator.getState();
    const { distinct, maxAttempts } = checkAttempts(v, fetch.sent, o.maxRetries);
    // The client's own counters agree with what went over the wire and what arrived.
    v.check(result.stats.requests === fetch.sent.length, () => `stats.requests ${result.stats.requests} !== sent ${fetch.sent.length}`);
    v.check(log.length === fetch.sent.length, () => `emulator saw ${log.length} requests, client sent ${fetch.sent.length}`);
    v.check(result.stats.retries === fetch.sent.length - distinct,
      () => `stats.retries ${result.stats.retries} !== sent ${fetch.sent.length} - distinct bodies ${distinct}`);
    v.check(result.stats.batches === distinct, () => `stats.batches ${result.stats.batches} !== distinct bodies ${distinct}`);
    checkProgress(v, progress, inputs.length);
    const faults = Object.values(state.faultsInjected).reduce((a, b) => a + b, 0);
    // Informational: failed inputs that HubSpot did apply (an answer lost after applying);
    // allowed ("failed" means "not confirmed"), the reverse is not.
    const failedIdx = result.failed.filter((f) => meta[f.index].kind === "valid").map((f) => f.index);
    const failedRecs = emu.emulator.getRecords("deals", failedIdx.map((i) => meta[i].recordId));
    const failedButApplied = failedRecs.filter((r) => r && r.writes > 0).length;
    const rateLimited = log.filter((e) => e.status === 429).length;
    const tb = timeBound({ requests: fetch.sent.length, rateLimited, options: o });
    v.check(duration <= tb.bound, () => `took ${Math.round(duration)} ms > bound ${tb.bound} ms (${JSON.stringify(tb)})`);
    v.check(ledger.lost === 0, () => `lost = ${ledger.lost}`);
    const summary = {
      seed, inputs: inputs.length, faultRate: +faultRate.toFixed(3), unknownIds, faults,
      faultsByKind: state.faultsInjected, rateLimited, realRateLimited: state.rateLimited, requests: fetch.sent.length, batches: distinct,
      retries: result.stats.retries, maxAttempts, failed: result.failed.length, failedValid: ledger.failedValid,
      failedButApplied,
      failedByCategory: ledger.failedByCategory, updated: ledger.updated, lost: ledger.lost,
      kinds: meta.reduce((a, x) => ((a[x.kind] = (a[x.kind] ?? 0) + 1), a), {}),
      duration: Math.round(duration), bound: tb.bound,
    };
    v.throwIfAny();
    return summary;
  } finally {
    await emu.close();
  }
}

export function formatSummary(s) {
  return `seed=${s.seed} inputs=${s.inputs} faults=${s.faults} retries=${s.retries} failed=${s.failed} lost=${s.lost} duration=${s.duration}ms`;
}

/**
 * DAILY 429s stop the run. Two runs:
 *  - "first": the very first request gets 429-daily: update() rejects with RATE_LIMITED,
 *    policyName DAILY, nothing retried, nothing more sent;
 *  - "mid": chaos mix as usual, and a 429-daily is queued once `afterRequests` requests went
 *    out: the run resolves CANCELED, every input accounted for, everything in results really
 *    written, the DAILY batch never retried, no request sent after the DAILY answer except
 *    those already in flight.
 */
export async function runDaily(m, opts = {}) {
  const o = { ...DEFAULTS, inputs: 3000, ...opts };
  const seed = o.seed ?? 1;
  const { inputs, meta } = makeInputs(seed, o.inputs, o);
  const out = {};
  // 1. DAILY on the first request: reject.
  {
    const emu = await startEmulator({ seed, deals: o.inputs, contacts: 1, dailyLimit: null, rateLimit: o.rate });
    try {
      emu.emulator.queueFaults(["429-daily"]);
      const fetch = wireRecorder();
      const client = new m.HubSpotBatch({ accessToken: TOKEN, baseUrl: emu.url, fetch, concurrency: 1,
        maxRetries: o.maxRetries, timeoutMs: o.timeoutMs, rateLimit: o.rate });
      let err = null;
      try { await client.update(inputs); } catch (e) { err = e; }
      const v = new Violations(`daily-first seed=${seed}`);
      v.check(err instanceof m.HubSpotError, () => `expected a HubSpotError rejection, got ${err}`);
      v.check(err?.code === "RATE_LIMITED" && err?.policyName === "DAILY" && err?.status === 429,
        () => `code ${err?.code} policyName ${err?.policyName} status ${err?.status}`);
      v.check(fetch.sent.length === 1, () => `${fetch.sent.length} requests sent, expected 1`);
      v.check(emu.emulator.getState().applied === 0, () => "something was applied");
      v.throwIfAny();
      out.first = { requests: fetch.sent.length, code: err.code };
    } finally {
      await emu.close();
    }
  }
  // 2. DAILY mid-run, among the usual faults.
  {
    const emu = await startEmulator({ seed, deals: o.inputs, contacts: 1, dailyLimit: null, rateLimit: o.rate,
      latencyMs: o.latencyMs, faultRate: 0.2, faultKinds: MAIN_FAULT_KINDS, unknownIds: unknownModeFor(seed) });
    try {
      const after = o.afterRequests ?? Math.floor(o.inputs / o.batchSize / 2);
      const fetch = wireRecorder((n) => { if (n === after) emu.emulator.queueFaults(["429-daily"]); });
      const client = new m.HubSpotBatch({ accessToken: TOKEN, baseUrl: emu.url, fetch, batchSize: o.batchSize,
        concurrency: o.concurrency, maxRetries: o.maxRetries, timeoutMs: o.timeoutMs, rateLimit: o.rate });
      const result = await client.update(inputs);
      const v = new Violations(`daily-mid seed=${seed}`);
      v.check(result.status === "CANCELED", () => `status ${result.status}, expected CANCELED`);
      const ledger = checkLedger(v, emu.emulator, inputs, meta, result);
      checkAttempts(v, fetch.sent, o.maxRetries);
      const log = emu.emulator.getLog(0);
      const daily = log.find((e) => e.fault === "429-daily");
      v.check(daily, () => "no 429-daily was served");
      if (daily) {
        // Requests arriving after the DAILY answer went out can only be ones already in flight.
        const dailyIdx = log.indexOf(daily);
        const later = log.length - dailyIdx - 1;
        v.check(later <= o.concurrency - 1, () => `${later} requests after the DAILY 429 (concurrency ${o.concurrency})`);
      }
      const dailyFailed = result.failed.filter((f) => f.error.category === "RATE_LIMITS" && /daily/i.test(f.error.message));
      v.check(dailyFailed.length > 0, () => "no input failed with the DAILY limit");
      v.throwIfAny();
      out.mid = { requests: fetch.sent.length, updated: ledger.updated, failed: result.failed.length, lost: ledger.lost,
        dailyFailed: dailyFailed.length };
    } finally {
      await emu.close();
    }
  }
  return out;
}

/**
 * The checker's own test: a clean run passes checkLedger, and each kind of lie is caught
 * (an unknown input moved into results, a value swapped, an input dropped, a record that the
 * emulator holds with other values). Returns the violation lists, one per lie.
 */
export async function selfCheck(m) {
  const { inputs, meta } = makeInputs(99, 300, { ...DEFAULTS, unknownRate: 0.05, invalidRate: 0.02 });
  const emu = await startEmulator({ seed: 99, deals: 300, contacts: 1, dailyLimit: null, rateLimit: null });
  try {
    const client = new m.HubSpotBatch({ accessToken: TOKEN, baseUrl: emu.url, rateLimit: null, batchSize: 50 });
    const result = await client.update(inputs);
    const run = (label, r) => { const v = new Violations(label); checkLedger(v, emu.emulator, inputs, meta, r); return v.list; };
    const clean = run("clean", result);
    const clone = () => structuredClone(result);
    const out = { clean };
    // 1. an unknown input reported updated
    {
      const r = clone();
      const f = r.failed.findIndex((x) => meta[x.index].kind === "unknown");
      const idx = r.failed[f].index;
      r.failed.splice(f, 1);
      const k = inputs.slice(0, idx).filter((_, i) => !r.failed.some((x) => x.index === i)).length;
      r.results.splice(k, 0, { id: meta[idx].recordId, properties: { ...meta[idx].expected } });
      out.unknownInResults = run("lie 1", r);
    }
    // 2. a value swapped in a result
    {
      const r = clone();
      r.results[3].properties.amount = "0.01";
      out.swappedValue = run("lie 2", r);
    }
    // 3. an input dropped from failed
    {
      const r = clone();
      r.failed.pop();
      out.dropped = run("lie 3", r);
    }
    // 4. the emulator holds other values than the ones reported (written after the fact)
    {
      const i = result.failed.length ? inputs.findIndex((_, j) => !result.failed.some((x) => x.index === j)) : 0;
      await new m.HubSpotBatch({ accessToken: TOKEN, baseUrl: emu.url, rateLimit: null })
        .update([{ id: meta[i].recordId, properties: { amount: "0.02" } }]);
      out.storedDiffers = run("lie 4", result);
    }
    return out;
  } finally {
    await emu.close();
  }
}
