// scripts/chaos: chaos runs with figures. See RELIABILITY.md.
//   node tests/chaos/run.mjs [--seeds N] [--first S] [--inputs N] [--parallel P] [--fault-rate R]
//                            [--max-retries R] [--timeout MS] [--concurrency C] [--no-daily] [--json]
// One line per seed, then totals; exit 1 on any violation.
import { performance } from "node:perf_hooks";
import { loadPackage } from "./support.mjs";
import { formatSummary, runChaos, runDaily } from "./chaos.mjs";

const args = process.argv.slice(2);
const opt = (name, def) => {
  const i = args.indexOf(`--${name}`);
  if (i < 0) return def;
  const v = Number(args[i + 1]);
  if (!Number.isFinite(v)) { console.error(`--${name} needs a number`); process.exit(2); }
  return v;
};
const flag = (name) => args.includes(`--${name}`);
if (flag("help") || flag("h")) {
  console.log("usage: scripts/chaos [--seeds N] [--first S] [--inputs N] [--parallel P] [--fault-rate R] [--max-retries R] [--timeout MS] [--concurrency C] [--no-daily] [--json]");
  process.exit(0);
}
const seeds = opt("seeds", 5), first = opt("first", 1), inputs = opt("inputs", 10_000);
const parallel = Math.max(1, opt("parallel", 2));
const overrides = { inputs };
if (args.includes("--fault-rate")) overrides.faultRate = opt("fault-rate");
if (args.includes("--max-retries")) overrides.maxRetries = opt("max-retries");
if (args.includes("--timeout")) overrides.timeoutMs = opt("timeout");
if (args.includes("--concurrency")) overrides.concurrency = opt("concurrency");

const m = await loadPackage();
const t0 = performance.now();
const queue = Array.from({ length: seeds }, (_, i) => first + i);
const done = [], failures = [];
async function worker() {
  for (let seed; (seed = queue.shift()) !== undefined; ) {
    try {
      const s = await runChaos(m, { ...overrides, seed });
      done.push(s);
      console.log(formatSummary(s) + `  (fault rate ${s.faultRate}, unknownIds ${s.unknownIds}, requests ${s.requests}, 429s ${s.rateLimited} (${s.realRateLimited} from the emulator's own limiter), max attempts ${s.maxAttempts}, failed valid ${s.failedValid} of which applied ${s.failedButApplied}, bound ${s.bound}ms)`);
      if (flag("json")) console.log(JSON.stringify(s));
    } catch (e) {
      failures.push(e);
      console.log(`seed=${seed} FAILED\n${e.stack ?? e}`);
    }
  }
}
await Promise.all(Array.from({ length: Math.min(parallel, seeds) }, worker));

let daily = null;
if (!flag("no-daily")) {
  try {
    daily = await runDaily(m, { seed: first, ...overrides, inputs: Math.min(inputs, 3000) });
    console.log(`daily: first request DAILY -> rejected ${daily.first.code} after ${daily.first.requests} request; ` +
      `mid-run DAILY -> CANCELED, updated=${daily.mid.updated} failed=${daily.mid.failed} (DAILY ${daily.mid.dailyFailed}) lost=${daily.mid.lost}`);
  } catch (e) {
    failures.push(e);
    console.log(`daily FAILED\n${e.stack ?? e}`);
  }
}

const sum = (k) => done.reduce((a, s) => a + s[k], 0);
console.log(`total: runs=${done.length}/${seeds} inputs=${sum("inputs")} faults=${sum("faults")} retries=${sum("retries")} ` +
  `requests=${sum("requests")} failed=${sum("failed")} lost=${sum("lost")} violations=${failures.length} wall=${Math.round(performance.now() - t0)}ms`);
process.exit(failures.length ? 1 : 0);
