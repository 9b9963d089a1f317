#!/usr/bin/env node
// CLI for the HubSpot emulator: prints one JSON line {"url": ...} once listening,
// so scripts can start it on port 0 and read the address back.
import { parseArgs } from "node:util";
import { startEmulator, ALL_FAULT_KINDS } from "./emulator.mjs";

const USAGE = `usage: node tests/emulator/server.mjs [--port N] [--host 127.0.0.1] [--seed N] [--deals N]
  [--contacts N] [--sandbox] [--cors] [--static DIR] [--rate-limit 100/10000|off]
  [--daily-limit N|off] [--latency MS] [--fault-rate 0..1] [--fault-kinds a,b,...]
  [--unknown-ids error207|omit|mixed] [--no-schema-access] [--schema-fault-rate 0..1]
  [--api-versions 2025-09,2026-03] [--token T]... [--log]
fault kinds: ${ALL_FAULT_KINDS.join(", ")}`;

function fail(msg) {
  process.stderr.write(`${msg}\n${USAGE}\n`);
  process.exit(2);
}

let values;
try {
  ({ values } = parseArgs({
    options: {
      port: { type: "string" }, host: { type: "string" }, seed: { type: "string" },
      deals: { type: "string" }, contacts: { type: "string" }, sandbox: { type: "boolean" },
      cors: { type: "boolean" }, static: { type: "string" }, "rate-limit": { type: "string" },
      "daily-limit": { type: "string" }, latency: { type: "string" }, "fault-rate": { type: "string" },
      "fault-kinds": { type: "string" }, "unknown-ids": { type: "string" },
      "no-schema-access": { type: "boolean" }, "schema-fault-rate": { type: "string" }, "api-versions": { type: "string" },
      token: { type: "string", multiple: true }, log: { type: "boolean" }, help: { type: "boolean", short: "h" },
    },
  }));
} catch (err) {
  fail(err.message);
}
if (values.help) { process.stdout.write(`${USAGE}\n`); process.exit(0); }

const int = (name) => {
  const v = values[name];
  if (v === undefined) return undefined;
  if (!/^\d+$/.test(v)) fail(`--${name} must be a non-negative integer`);
  return Number(v);
};
const opts = {
  port: int("port"), host: values.host, seed: int("seed"), deals: int("deals"), contacts: int("contacts"),
  sandbox: values.sandbox, cors: values.cors, staticDir: values.static, latencyMs: int("latency"),
  unknownIds: values["unknown-ids"], tokens: values.token, log: values.log,
};
const rl = values["rate-limit"];
if (rl === "off") opts.rateLimit = null;
else if (rl !== undefined) {
  const m = /^(\d+)\/(\d+)$/.exec(rl);
  if (!m) fail("--rate-limit must be REQUESTS/INTERVAL_MS or off");
  opts.rateLimit = { requests: Number(m[1]), intervalMs: Number(m[2]) };
}
if (values["daily-limit"] === "off") opts.dailyLimit = null;
else opts.dailyLimit = int("daily-limit");
if (values["fault-rate"] !== undefined) opts.faultRate = Number(values["fault-rate"]);
if (values["no-schema-access"]) opts.schemaAccess = false;
if (values["schema-fault-rate"] !== undefined) opts.schemaFaultRate = Number(values["schema-fault-rate"]);
if (values["api-versions"] !== undefined) opts.apiVersions = values["api-versions"].split(",").filter(Boolean);
if (values["fault-kinds"] !== undefined) opts.faultKinds = values["fault-kinds"].split(",").filter(Boolean);
for (const k of Object.keys(opts)) if (opts[k] === undefined) delete opts[k];

let server;
try {
  server = await startEmulator(opts);
} catch (err) {
  fail(err.message);
}
process.stdout.write(`${JSON.stringify({ url: server.url })}\n`);

const stop = async () => {
  await server.close();
  process.exit(0);
};
process.once("SIGINT", stop);
process.once("SIGTERM", stop);
