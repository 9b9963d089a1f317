// Chaos runs for upsert, create, read and archive: one seeded call of many inputs against the
// emulator with 30 % mixed faults (faults that strike after the write was applied included),
// then a check of the ledger against what the emulator really holds. Used by
// operations.test.mjs.
//
//   const s = await runOperationChaos(m, { op: "create", seed: 1, inputs: 5000 }); // throws on violations
//
// The checks, per operation:
//   every op: results.length + failed.length === inputs.length, each failed index once, a valid
//     input fails only for a transient reason (retries ran out) or, for create, UNKNOWN_OUTCOME;
//   upsert: each result is the record whose deal_external_id is the input's id, holding the
//     values sent; `new` is a boolean; no value of deal_external_id is on two records;
//   create: each result is a record holding its input's description (unique per input); no
//     description is on two records (duplicates created = 0); every created record belongs to
//     an input in results or to a failed input with mayHaveApplied: true; every UNKNOWN_OUTCOME
//     has mayHaveApplied: true;
//   read: each result is the record its id names, with the stored values; unknown ids are
//     never in results and fail with OBJECT_NOT_FOUND (or a transient reason);
//   archive: each result's record is archived.
// "lost" counts inputs reported done that are not (or not as sent), and created records the
// ledger does not account for.
import { startEmulator, ALL_FAULT_KINDS } from "../emulator/emulator.mjs";
import { rng } from "./support.mjs";
import { TRANSIENT, TOKEN } from "./chaos.mjs";

/** Every kind except the DAILY 429 (which stops a run) and the 2-minute hangs. */
export const OPERATION_FAULT_KINDS = ALL_FAULT_KINDS.filter((k) => k !== "429-daily");

const OPTIONS = { batchSize: 100, concurrency: 6, maxRetries: 3, timeoutMs: 400, rate: { requests: 100, intervalMs: 1000 } };

function makeInputs(op, seed, n) {
  const r = rng(seed * 104_729 + op.length);
  const inputs = [], meta = [];
  for (let i = 0; i < n; i++) {
    const amount = `${(seed * 7 + i) % 100_000}.5`;
    if (op === "upsert") {
      // Half the keys exist (ext-<id> of a seeded deal), half are new.
      const existing = r.chance(0.5);
      const id = existing ? `ext-${i + 1}` : `up-${seed}-${i}`;
      inputs.push({ id, properties: { amount, dealname: `U ${seed}/${i}` } });
      meta.push({ kind: "valid", existing });
    } else if (op === "create") {
      inputs.push({ properties: { dealname: `C ${seed}/${i}`, description: `c-${seed}-${i}`, amount } });
      meta.push({ kind: "valid" });
    } else {
      const unknown = op === "read" && r.chance(0.01);
      inputs.push(unknown ? String(50_000_000 + i) : String(i + 1));
      meta.push({ kind: unknown ? "unknown" : "valid" });
    }
  }
  return { inputs, meta };
}

export async function runOperationChaos(m, { op, seed = 1, inputs: n = 5000, faultRate = 0.3 } = {}) {
  const { inputs, meta } = makeInputs(op, seed, n);
  const emu = await startEmulator({
    seed, deals: n, contacts: 1, dailyLimit: null, rateLimit: OPTIONS.rate, latencyMs: 2,
    faultRate, faultKinds: OPERATION_FAULT_KINDS, unknownIds: ["error207", "omit", "mixed"][seed % 3],
  });
  const violations = [];
  const check = (ok, msg) => { if (!ok && violations.length < 30) violations.push(msg()); return ok; };
  try {
    const client = new m.HubSpotBatch({
      accessToken: TOKEN, baseUrl: emu.url, batchSize: OPTIONS.batchSize, concurrency: OPTIONS.concurrency,
      maxRetries: OPTIONS.maxRetries, timeoutMs: OPTIONS.timeoutMs, rateLimit: OPTIONS.rate,
    });
    const options = op === "upsert" ? { idProperty: "deal_external_id" } : op === "read" ? { properties: ["amount", "dealname"] } : undefined;
    const before = op === "read" ? new Map(emu.emulator.records("deals").map((rec) => [rec.id, rec])) : null;
    const result = await client[op](inputs, options);
    const em = emu.emulator;
    check(result.results.length + result.failed.length === n, () => `results ${result.results.length} + failed ${result.failed.length} !== ${n}`);
    const failedAt = new Map();
    for (const f of result.failed) {
      check(!failedAt.has(f.index), () => `input ${f.index} failed twice`);
      failedAt.set(f.index, f);
      const allowed = meta[f.index].kind === "unknown"
        ? f.error.category === "OBJECT_NOT_FOUND" || TRANSIENT.has(f.error.category)
        : TRANSIENT.has(f.error.category) || (op === "create" && f.error.category === "UNKNOWN_OUTCOME");
      check(allowed, () => `inputs[${f.index}] (${meta[f.index].kind}) failed with ${f.error.category}: ${f.error.message}`);
      if (f.error.category === "UNKNOWN_OUTCOME") check(f.error.mayHaveApplied === true, () => `inputs[${f.index}] UNKNOWN_OUTCOME without mayHaveApplied`);
    }
    const done = inputs.map((_, i) => i).filter((i) => !failedAt.has(i));
    let lost = 0;
    done.forEach((i, k) => {
      const res = result.results[k];
      const rec = res && em.getRecord("deals", res.id);
      let ok = check(meta[i].kind === "valid", () => `inputs[${i}] (${meta[i].kind}) in results`);
      if (op === "upsert") {
        ok = check(rec?.properties.deal_external_id === inputs[i].id && rec.properties.amount === inputs[i].properties.amount,
          () => `results[${k}] (record ${res?.id}) is not inputs[${i}] (${inputs[i].id}) as sent`) && ok;
        ok = check(typeof res?.new === "boolean", () => `results[${k}].new is not a boolean`) && ok;
      } else if (op === "create") {
        ok = check(rec?.properties.description === inputs[i].properties.description && rec.writes >= 1,
          () => `results[${k}] (record ${res?.id}) does not hold inputs[${i}]'s description`) && ok;
      } else if (op === "read") {
        const seeded = before.get(inputs[i]);
        ok = check(res?.id === inputs[i] && res.properties.amount === (seeded?.properties.amount ?? null),
          () => `results[${k}] ${JSON.stringify(res)} is not record ${inputs[i]} as stored`) && ok;
      } else {
        ok = check(res?.id === inputs[i] && rec?.archived === true, () => `results[${k}] ${res?.id}: record ${inputs[i]} not archived`) && ok;
      }
      if (!ok) lost++;
    });
    let duplicates = 0, unaccounted = 0, unknownOutcome = 0, unknownButApplied = 0;
    if (op === "create") {
      duplicates = em.duplicates("deals", "description", { createdBy: "create" }).length;
      check(duplicates === 0, () => `${duplicates} descriptions created twice`);
      const byDescription = new Map(em.records("deals", { createdBy: "create" }).map((rec) => [rec.properties.description, rec]));
      inputs.forEach((x, i) => {
        const f = failedAt.get(i);
        if (f?.error.category === "UNKNOWN_OUTCOME") unknownOutcome++;
        if (f && byDescription.has(x.properties.description)) {
          if (f.error.mayHaveApplied) unknownButApplied++;
          else if (check(false, () => `inputs[${i}] was created but failed without mayHaveApplied (${f.error.category})`)) unaccounted++;
        }
      });
      lost += unaccounted + duplicates;
    }
    if (op === "upsert") {
      duplicates = em.duplicates("deals", "deal_external_id").length;
      check(duplicates === 0, () => `${duplicates} deal_external_id values on two records`);
      lost += duplicates;
    }
    const state = em.getState();
    const summary = {
      op, seed, inputs: n, faults: Object.values(state.faultsInjected).reduce((a, b) => a + b, 0),
      requests: result.stats.requests, retries: result.stats.retries, done: result.results.length,
      failed: result.failed.length, unknownOutcome, unknownButApplied, duplicates, lost,
    };
    if (violations.length) {
      const e = new Error(`${op} seed=${seed}: ${violations.length} violation(s):\n  ${violations.join("\n  ")}\n${JSON.stringify(summary)}`);
      throw e;
    }
    return summary;
  } finally {
    await emu.close();
  }
}
