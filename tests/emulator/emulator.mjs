// Local emulator of HubSpot's CRM batch update endpoint
// (POST /crm/v3/objects/{objectType}/batch/update) with fault injection.
// Plain Node >= 20, no dependencies. Shared by the tests, the demo page and the
// benchmarks, so the exported names, options and control API are a contract
// (see README.md in this folder).

import http from "node:http";
import { randomUUID } from "node:crypto";
import { readFile, stat } from "node:fs/promises";
import path from "node:path";
import { performance } from "node:perf_hooks";

export const FAULT_KINDS = Object.freeze([
  "429-ten-secondly", "429-ten-secondly-retry-after", "429-secondly", "429-secondly-retry-after",
  "429-daily", "500", "502", "503", "504", "reset", "hang", "html-200", "truncated-json",
  "reset-after-apply", "504-after-apply",
]);

const PORTAL_ID = 12345;
const MAX_BODY = 10 * 1024 * 1024; // HubSpot-like cap; beyond it we answer 413
const HANG_MS = 120_000;
const KEEP_ALIVE_MS = 15_000;
const MAX_LOG = 100_000; // oldest entries are dropped so week-long benchmarks don't eat memory
const FORBIDDEN_TOKEN = "forbidden-token"; // always known, always lacks the write scope
const RATE_GROUP = `publicapi:private-app:1001:${PORTAL_ID}`;

// ---------------------------------------------------------------- schemas

const DEAL_STAGES = ["appointmentscheduled", "qualifiedtobuy", "presentationscheduled",
  "decisionmakerboughtin", "contractsent", "closedwon", "closedlost"];
const LIFECYCLE = ["subscriber", "lead", "marketingqualifiedlead", "salesqualifiedlead",
  "opportunity", "customer", "evangelist", "other"];
const RO = { readOnly: true };

const SCHEMAS = {
  deals: {
    label: "DEAL", scope: "crm.objects.deals.write", nullProperty: "hs_closed_amount",
    props: {
      dealname: { type: "string" }, amount: { type: "number" },
      dealstage: { type: "enumeration", options: DEAL_STAGES },
      pipeline: { type: "enumeration", options: ["default"] },
      closedate: { type: "datetime" }, hubspot_owner_id: { type: "string" },
      description: { type: "string" }, deal_external_id: { type: "string", unique: true },
      tags: { type: "enumeration", multi: true, options: ["hot", "cold", "renewal", "upsell", "enterprise", "smb"] },
      hs_object_id: RO, hs_lastmodifieddate: RO, createdate: RO, hs_closed_amount: RO,
    },
  },
  contacts: {
    label: "CONTACT", scope: "crm.objects.contacts.write", nullProperty: "hs_email_domain",
    props: {
      email: { type: "string", unique: true, email: true }, firstname: { type: "string" },
      lastname: { type: "string" }, phone: { type: "string" },
      lifecyclestage: { type: "enumeration", options: LIFECYCLE },
      hs_object_id: RO, hs_lastmodifieddate: RO, createdate: RO, hs_email_domain: RO,
    },
  },
};
const OBJECT_TYPES = { "0-3": "deals", deals: "deals", "0-1": "contacts", contacts: "contacts" };
// Own-key lookups only: names such as "__proto__" or "constructor" come from the network.
const kindOf = (objectType) => (Object.hasOwn(OBJECT_TYPES, objectType) ? OBJECT_TYPES[objectType] : undefined);
const propDef = (schema, name) => (Object.hasOwn(schema.props, name) ? schema.props[name] : undefined);
const uniqueProps = (kind) => Object.keys(SCHEMAS[kind].props).filter((p) => SCHEMAS[kind].props[p].unique);

// ---------------------------------------------------------------- helpers

// Small seeded PRNG: all behaviour (faults, shuffles, mixed mode, data) is reproducible per seed.
function mulberry32(seed) {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

const hsError = (category, message, extra = {}) =>
  ({ status: "error", message, correlationId: randomUUID(), category, ...extra });

class ControlError extends Error {
  constructor(status, message) { super(message); this.status = status; }
}
const bad = (msg) => { throw new ControlError(400, msg); };

const isInt = (v, min) => Number.isInteger(v) && v >= min;
const NUMBER_RE = /^[+-]?(\d+\.?\d*|\.\d+)$/; // plain decimal only: catches clients sending "1e+21"
const EPOCH_MS_RE = /^-?\d{1,15}$/;
const ISO_RE = /^\d{4}-\d{2}-\d{2}(T\d{2}:\d{2}(:\d{2}(\.\d{1,9})?)?(Z|[+-]\d{2}:?\d{2})?)?$/;
const EMAIL_RE = /^[^\s@]+@[^\s@]+\.[^\s@]+$/;

// Validation of one property value; returns [error, message] or null when valid.
function checkValue(def, value) {
  if (value === "") return null; // "" clears any writable property
  switch (def.type) {
    case "number":
      return NUMBER_RE.test(value) ? null : ["INVALID_DECIMAL", `${value} was not a valid number.`];
    case "datetime":
      return (EPOCH_MS_RE.test(value) || (ISO_RE.test(value) && !Number.isNaN(Date.parse(value)))) ? null
        : ["INVALID_DATE", `${value} was not a valid datetime: use epoch milliseconds or an ISO 8601 date.`];
    case "enumeration": {
      const parts = def.multi ? value.split(";").filter((s) => s !== "") : [value];
      const badOpt = parts.find((p) => !def.options.includes(p));
      return badOpt === undefined ? null
        : ["INVALID_OPTION", `${badOpt} was not one of the allowed options: [${def.options.join(", ")}]`];
    }
    default:
      return def.email && !EMAIL_RE.test(value) ? ["INVALID_EMAIL", `Email address ${value} is invalid`] : null;
  }
}

const propError = (name, error, message) =>
  ({ isValid: false, message, error, name, localizedErrorMessage: message, portalId: PORTAL_ID });

// ---------------------------------------------------------------- config

const DEFAULTS = {
  seed: 1, deals: 3000, contacts: 200, sandbox: false, cors: false,
  rateLimit: { requests: 100, intervalMs: 10_000 }, dailyLimit: 250_000, latencyMs: 0,
  faultRate: 0, faultKinds: FAULT_KINDS, unknownIds: "error207",
};

// Validates and merges a config patch; throws ControlError(400) on a bad value so that
// a typo in a test is loud instead of silently ignored.
function mergeConfig(cur, patch, allowed) {
  if (patch === null || typeof patch !== "object" || Array.isArray(patch)) bad("config must be a JSON object");
  const next = { ...cur };
  for (const [k, v] of Object.entries(patch)) {
    if (v === undefined) continue;
    if (!allowed.includes(k)) bad(`unknown config key: ${k}`);
    switch (k) {
      case "seed": case "deals": case "contacts":
        if (!isInt(v, 0) || (k === "seed" ? v > 0xffffffff : v > 5_000_000)) bad(`${k} must be a non-negative integer`);
        break;
      case "sandbox": case "cors":
        if (typeof v !== "boolean") bad(`${k} must be a boolean`);
        break;
      case "rateLimit":
        if (v !== null && !(v && isInt(v.requests, 1) && isInt(v.intervalMs, 1)))
          bad("rateLimit must be null or {requests: int >= 1, intervalMs: int >= 1}");
        next[k] = v && { requests: v.requests, intervalMs: v.intervalMs };
        continue;
      case "dailyLimit":
        if (v !== null && !isInt(v, 0)) bad("dailyLimit must be null or an integer >= 0");
        break;
      case "latencyMs":
        if (typeof v !== "number" || !(v >= 0 && v <= 600_000)) bad("latencyMs must be a number 0..600000");
        break;
      case "faultRate":
        if (typeof v !== "number" || !(v >= 0 && v <= 1)) bad("faultRate must be a number 0..1");
        break;
      case "faultKinds":
        if (!Array.isArray(v) || v.some((f) => !FAULT_KINDS.includes(f)))
          bad(`faultKinds must be an array of: ${FAULT_KINDS.join(", ")}`);
        next[k] = [...v];
        continue;
      case "unknownIds":
        if (!["error207", "omit", "mixed"].includes(v)) bad("unknownIds must be error207, omit or mixed");
        break;
    }
    next[k] = v;
  }
  return next;
}
const RUNTIME_KEYS = ["rateLimit", "dailyLimit", "latencyMs", "faultRate", "faultKinds", "unknownIds", "sandbox", "cors"];

// ---------------------------------------------------------------- state

class Emulator {
  constructor(config, tokens) {
    this.cfg = config;
    this.tokens = tokens;
    this.reset({});
  }

  // Reseeds data and clears log, queue, counters and rate-limit windows; keeps config.
  reset(opts = {}) {
    this.cfg = mergeConfig(this.cfg, opts ?? {}, ["seed", "deals", "contacts"]);
    const { seed } = this.cfg;
    this.rng = mulberry32(seed);
    this.stores = { deals: seedDeals(this.cfg.deals, seed), contacts: seedContacts(this.cfg.contacts, seed) };
    this.log = [];
    this.seq = 0;
    this.queue = [];
    this.t0 = performance.now();
    this.windows = new Map(); // bucket -> arrival times (ms) of accepted requests
    this.daily = 0;
    this.counters = { requests: 0, applied: 0, faultsInjected: {}, rateLimited: 0 };
    return this.getState();
  }

  configure(patch = {}) {
    this.cfg = mergeConfig(this.cfg, patch, RUNTIME_KEYS);
    return this.getConfig();
  }

  getConfig() { return structuredClone(this.cfg); }

  queueFaults(kinds) {
    if (!Array.isArray(kinds) || kinds.some((f) => !FAULT_KINDS.includes(f)))
      bad(`faults must be an array of: ${FAULT_KINDS.join(", ")}`);
    this.queue.push(...kinds);
    return { queued: this.queue.length };
  }

  getState() {
    return {
      deals: this.stores.deals.records.size, contacts: this.stores.contacts.records.size,
      ...structuredClone(this.counters), queuedFaults: this.queue.length,
    };
  }

  store(objectType) {
    const kind = kindOf(objectType);
    if (!kind) throw new ControlError(404, `Unknown object type: ${objectType}`);
    return this.stores[kind];
  }

  getRecord(objectType, id) {
    const r = this.store(objectType).records.get(String(id));
    return r ? { id: r.id, properties: Object.fromEntries(r.properties), writes: r.writes, createdAt: r.createdAt, updatedAt: r.updatedAt } : null;
  }

  getRecords(objectType, ids) {
    if (!Array.isArray(ids)) bad("ids must be an array");
    this.store(objectType);
    return ids.map((id) => this.getRecord(objectType, id));
  }

  getLog(since = 0) {
    const first = this.log.length ? this.log[0].seq : 0;
    return this.log.slice(Math.max(0, Number(since) - first + 1)).map((e) => structuredClone(e));
  }

  now() { return Math.round((performance.now() - this.t0) * 1000) / 1000; }

  addLog(entry) {
    entry.seq = ++this.seq;
    this.log.push(entry);
    if (this.log.length > MAX_LOG) this.log.splice(0, this.log.length - MAX_LOG);
    return entry;
  }

  // Draws this request's fault (queue first) plus a private RNG seed. Always consumes
  // three numbers so that the sequence does not depend on faultRate.
  drawFault() {
    const roll = this.rng(), pick = this.rng(), seed = (this.rng() * 2 ** 32) >>> 0;
    let fault = this.queue.length ? this.queue.shift() : null;
    const kinds = this.cfg.faultKinds;
    if (!fault && kinds.length && roll < this.cfg.faultRate) fault = kinds[Math.floor(pick * kinds.length)];
    if (fault) this.counters.faultsInjected[fault] = (this.counters.faultsInjected[fault] ?? 0) + 1;
    return { fault, rng: mulberry32(seed) };
  }

  // Rolling-window + daily limiter. Counts the request at arrival if accepted.
  // Returns { limited: null | "TEN_SECONDLY_ROLLING" | "DAILY", headers }.
  rateCheck(bucket, count) {
    const { rateLimit, dailyLimit } = this.cfg;
    const t = performance.now();
    let win = this.windows.get(bucket);
    if (!win) this.windows.set(bucket, (win = []));
    if (rateLimit) while (win.length && win[0] <= t - rateLimit.intervalMs) win.shift();
    let limited = null;
    if (count) {
      if (dailyLimit !== null && this.daily >= dailyLimit) limited = "DAILY";
      else if (rateLimit && win.length >= rateLimit.requests) limited = "TEN_SECONDLY_ROLLING";
      else {
        if (rateLimit) win.push(t); // with the window off, keep nothing (long benchmarks)
        this.daily++;
      }
      if (limited) this.counters.rateLimited++;
    }
    const headers = {};
    if (rateLimit) {
      headers["X-HubSpot-RateLimit-Max"] = String(rateLimit.requests);
      headers["X-HubSpot-RateLimit-Remaining"] = String(Math.max(0, rateLimit.requests - win.length));
      headers["X-HubSpot-RateLimit-Interval-Milliseconds"] = String(rateLimit.intervalMs);
    }
    if (dailyLimit !== null) {
      headers["X-HubSpot-RateLimit-Daily"] = String(dailyLimit);
      headers["X-HubSpot-RateLimit-Daily-Remaining"] = String(Math.max(0, dailyLimit - this.daily));
    }
    return { limited, headers };
  }

  // The batch update proper: validate everything, then apply all or nothing.
  // Returns { status, body, applied: [internal ids] }. Pure of I/O.
  batchUpdate(objectType, payload, rng, startedAt) {
    const kind = kindOf(objectType);
    const fail = (message, status = 400, category = "VALIDATION_ERROR") =>
      ({ status, body: hsError(category, message), applied: [] });
    if (!kind) return fail(`Unable to infer object type from: ${objectType}`);
    if (!payload || typeof payload !== "object" || Array.isArray(payload) || !Array.isArray(payload.inputs))
      return fail("Invalid input JSON: the body must be an object with an array property \"inputs\"");
    const { inputs } = payload;
    if (inputs.length > 100) return fail(`Batch input size of ${inputs.length} exceeds limit of 100`);
    const schema = SCHEMAS[kind], store = this.stores[kind];

    // Shape checks: HubSpot deserialises into typed objects, so non-strings are rejected.
    // (Plain indexed loops here and below: this runs for every request of every benchmark,
    // mostly before the JIT has warmed up, where iterators and Object.entries cost most.)
    for (let i = 0; i < inputs.length; i++) {
      const inp = inputs[i];
      if (!inp || typeof inp !== "object" || Array.isArray(inp)) return fail(`Invalid input JSON: inputs[${i}] must be an object`);
      if (typeof inp.id !== "string") return fail(`Invalid input JSON: inputs[${i}].id must be a string`);
      const props = inp.properties;
      if (!props || typeof props !== "object" || Array.isArray(props))
        return fail(`Invalid input JSON: inputs[${i}].properties must be an object`);
      for (const k of Object.keys(props)) {
        const v = props[k];
        if (typeof v !== "string") return fail(`Invalid input JSON: inputs[${i}].properties.${k} must be a string, got ${v === null ? "null" : typeof v}`);
      }
      if (inp.idProperty !== undefined && typeof inp.idProperty !== "string")
        return fail(`Invalid input JSON: inputs[${i}].idProperty must be a string`);
      if (inp.objectWriteTraceId !== undefined && typeof inp.objectWriteTraceId !== "string")
        return fail(`Invalid input JSON: inputs[${i}].objectWriteTraceId must be a string`);
      const idp = inp.idProperty ?? "hs_object_id";
      if (idp !== "hs_object_id" && !propDef(schema, idp)?.unique)
        return fail(`Property ${idp} is not a unique property of ${schema.label} objects and cannot be used as idProperty`);
    }

    // Duplicates (same idProperty): list every occurrence of a repeated id.
    const seen = new Map(), keys = new Array(inputs.length);
    let repeated = false;
    for (let i = 0; i < inputs.length; i++) {
      const inp = inputs[i];
      const key = (keys[i] = `${inp.idProperty ?? "hs_object_id"}\0${inp.id}`);
      const n = (seen.get(key) ?? 0) + 1;
      seen.set(key, n);
      if (n > 1) repeated = true;
    }
    if (repeated) {
      const dups = inputs.filter((inp, i) => seen.get(keys[i]) > 1).map((inp) => inp.id);
      return fail(`Duplicate IDs found in batch input: [${dups.join(", ")}]`);
    }

    // Resolve targets before anything changes (a batch that renames a unique value
    // must not affect how the other inputs of the same batch are looked up).
    const targets = inputs.map((inp) => {
      const idp = inp.idProperty ?? "hs_object_id";
      const id = idp === "hs_object_id" ? inp.id : store.unique[idp].get(inp.id);
      return id === undefined ? null : store.records.get(id) ?? null;
    });

    // Property values: any bad one rejects the whole batch with HubSpot's message format.
    const errors = [];
    const claimed = new Map(); // `${prop}\0${value}` -> record id claiming it in this batch
    for (let i = 0; i < inputs.length; i++) {
      const props = inputs[i].properties;
      for (const name of Object.keys(props)) {
        const value = props[name];
        const def = propDef(schema, name);
        if (!def) { errors.push(propError(name, "PROPERTY_DOESNT_EXIST", `Property "${name}" does not exist`)); continue; }
        if (def.readOnly) { errors.push(propError(name, "READ_ONLY_VALUE", `"${name}" is a read only property; its value cannot be set.`)); continue; }
        const e = checkValue(def, value);
        if (e) { errors.push(propError(name, e[0], e[1])); continue; }
        if (def.unique && value !== "" && targets[i]) {
          const owner = store.unique[name].get(value), key = `${name}\0${value}`;
          const other = claimed.get(key);
          if ((owner !== undefined && owner !== targets[i].id) || (other !== undefined && other !== targets[i].id))
            errors.push(propError(name, "NOT_UNIQUE", `${value} is already used by another ${schema.label.toLowerCase()} for the unique property ${name}`));
          claimed.set(key, targets[i].id);
        }
      }
    }
    if (errors.length) return fail(`Property values were not valid: ${JSON.stringify(errors)}`);

    // Apply. (The hot path of every benchmark: plain loops, no per-property allocations.)
    const results = [], applied = [], unknown = [];
    const { props: defs, nullProperty } = schema;
    let stampMs = NaN, now = "";
    for (let i = 0; i < inputs.length; i++) {
      const inp = inputs[i], rec = targets[i];
      if (!rec) { unknown.push(inp.id); continue; }
      // The time of this write, formatted again only when the millisecond changed.
      const ms = Date.now();
      if (ms !== stampMs) { stampMs = ms; now = new Date(ms).toISOString(); }
      const sent = inp.properties, stored = rec.properties;
      // Every name was checked against the schema above, so no "__proto__" and the like here.
      const echoed = {};
      for (const name of Object.keys(sent)) {
        const value = sent[name];
        if (defs[name].unique) {
          const old = stored.get(name);
          if (old && store.unique[name].get(old) === rec.id) store.unique[name].delete(old);
          if (value !== "") store.unique[name].set(value, rec.id);
        }
        stored.set(name, value);
        echoed[name] = value;
      }
      stored.set("hs_lastmodifieddate", now);
      rec.updatedAt = now;
      rec.writes++;
      this.counters.applied++;
      applied.push(rec.id);
      echoed.hs_lastmodifieddate = now;
      echoed.hs_object_id = rec.id;
      echoed[nullProperty] = null;
      const obj = { id: rec.id, properties: echoed, createdAt: rec.createdAt, updatedAt: now, archived: false };
      if (inp.objectWriteTraceId !== undefined) obj.objectWriteTraceId = inp.objectWriteTraceId;
      results.push(obj);
    }
    // HubSpot does not promise result order: shuffle so clients that assume it break here.
    for (let i = results.length - 1; i > 0; i--) {
      const j = Math.floor(rng() * (i + 1));
      [results[i], results[j]] = [results[j], results[i]];
    }
    const coin = rng(); // always drawn so "mixed" doesn't shift other draws
    const mode = this.cfg.unknownIds === "mixed" ? (coin < 0.5 ? "error207" : "omit") : this.cfg.unknownIds;
    const body = { status: "COMPLETE", results, startedAt, completedAt: new Date().toISOString() };
    if (unknown.length && mode === "error207") {
      body.numErrors = 1;
      body.errors = [{
        status: "error", category: "OBJECT_NOT_FOUND",
        message: `Could not get some ${schema.label} objects, they may be deleted or not exist. Check that ids are valid.`,
        context: { ids: unknown }, links: {}, errors: [],
      }];
      return { status: 207, body, applied };
    }
    return { status: 200, body, applied };
  }
}

function newStore(kind) {
  return { records: new Map(), unique: Object.fromEntries(uniqueProps(kind).map((p) => [p, new Map()])) };
}

function addRecord(store, id, created, properties) {
  const createdAt = new Date(created).toISOString();
  // A Map: updates add properties the seed did not set, which is slow on plain objects.
  const stored = new Map(Object.entries(properties));
  stored.set("hs_object_id", id).set("createdate", createdAt).set("hs_lastmodifieddate", createdAt);
  store.records.set(id, { id, properties: stored, createdAt, updatedAt: createdAt, writes: 0 });
  for (const [p, idx] of Object.entries(store.unique)) if (stored.get(p)) idx.set(stored.get(p), id);
}

const BASE_TIME = Date.UTC(2024, 0, 1);

function seedDeals(n, seed) {
  const rng = mulberry32(seed ^ 0x5eed0003), store = newStore("deals");
  for (let i = 1; i <= n; i++) {
    const id = String(i);
    addRecord(store, id, BASE_TIME + i * 60_000, {
      dealname: `Deal ${id}`, amount: String(Math.floor(rng() * 100_000) + 100),
      dealstage: DEAL_STAGES[Math.floor(rng() * DEAL_STAGES.length)], pipeline: "default",
      deal_external_id: `ext-${id}`,
    });
  }
  return store;
}

const FIRST = ["Ada", "Grace", "Alan", "Edsger", "Barbara", "Donald", "Frances", "Ken"];
const LAST = ["Lovelace", "Hopper", "Turing", "Dijkstra", "Liskov", "Knuth", "Allen", "Thompson"];

function seedContacts(n, seed) {
  const rng = mulberry32(seed ^ 0x5eed0001), store = newStore("contacts");
  for (let i = 1; i <= n; i++) {
    const id = String(i);
    addRecord(store, id, BASE_TIME + i * 60_000, {
      email: `user${id}@example.com`, firstname: FIRST[Math.floor(rng() * FIRST.length)],
      lastname: LAST[Math.floor(rng() * LAST.length)],
      lifecyclestage: LIFECYCLE[Math.floor(rng() * LIFECYCLE.length)],
    });
  }
  return store;
}

// ---------------------------------------------------------------- HTTP

const CONTENT_TYPES = {
  ".html": "text/html; charset=utf-8", ".htm": "text/html; charset=utf-8",
  ".js": "text/javascript; charset=utf-8", ".mjs": "text/javascript; charset=utf-8",
  ".css": "text/css; charset=utf-8", ".json": "application/json; charset=utf-8",
  ".map": "application/json; charset=utf-8", ".wasm": "application/wasm",
  ".svg": "image/svg+xml", ".png": "image/png", ".ico": "image/x-icon",
  ".txt": "text/plain; charset=utf-8", ".ts": "text/plain; charset=utf-8",
};
const JSON_TYPE = "application/json;charset=utf-8";
const HTML_502 = "<html><body><h1>502 Bad Gateway</h1></body></html>";
const HTML_200 = "<!DOCTYPE html><html><head><title>HubSpot</title></head><body><h1>We'll be right back</h1><p>HubSpot is undergoing maintenance.</p></body></html>";

function send(res, status, body, headers = {}) {
  if (res.destroyed || res.headersSent) return;
  // Encoded once: a string would be measured, then encoded again when written.
  const buf = Buffer.isBuffer(body) ? body : Buffer.from(typeof body === "string" ? body : JSON.stringify(body));
  res.writeHead(status, { "Content-Type": JSON_TYPE, "Content-Length": buf.length, ...headers });
  res.end(res.req.method === "HEAD" ? undefined : buf);
}

// Reads the body up to MAX_BODY; past it keeps draining (so the 413 can be read by the
// client) and gives up on the socket only for absurd sizes.
function readBody(req) {
  return new Promise((resolve) => {
    const chunks = [];
    let size = 0, done = false;
    const finish = (v) => { if (!done) { done = true; resolve(v); } };
    req.on("data", (c) => {
      size += c.length;
      if (size <= MAX_BODY) chunks.push(c);
      else if (size > 10 * MAX_BODY) { req.socket.destroy(); finish({ aborted: true }); }
    });
    req.on("end", () => finish(size > MAX_BODY ? { tooLarge: true } : { buf: Buffer.concat(chunks) }));
    req.on("error", () => finish({ aborted: true }));
    req.on("close", () => finish({ aborted: true }));
  });
}

function classifyAuth(header, tokens) {
  if (header === undefined) return { kind: "none" };
  const m = /^Bearer\s+(\S+)\s*$/i.exec(header);
  if (!m) return { kind: "bearer-invalid" };
  if (m[1] === FORBIDDEN_TOKEN) return { kind: "bearer-valid", forbidden: true, bucket: "forbidden" };
  const i = tokens.indexOf(m[1]);
  // The bucket is the token's position, so the token itself is never kept in any state.
  return i < 0 ? { kind: "bearer-invalid" } : { kind: "bearer-valid", bucket: `token#${i}` };
}

const CONTROL_CORS = { "Access-Control-Allow-Origin": "*" };
const API_CORS = {
  "Access-Control-Allow-Origin": "*",
  "Access-Control-Expose-Headers": "X-HubSpot-RateLimit-Max, X-HubSpot-RateLimit-Remaining, X-HubSpot-RateLimit-Interval-Milliseconds, X-HubSpot-RateLimit-Daily, X-HubSpot-RateLimit-Daily-Remaining, Retry-After, X-HubSpot-Correlation-Id",
};
const preflight = (req, methods) => ({
  "Access-Control-Allow-Origin": "*", "Access-Control-Allow-Methods": methods,
  "Access-Control-Allow-Headers": req.headers["access-control-request-headers"] || "authorization, content-type",
  "Access-Control-Max-Age": "600",
});

/**
 * Starts the emulator. Resolves once it is listening.
 * @returns {Promise<{url: string, port: number, close: () => Promise<void>, emulator: Emulator}>}
 */
export async function startEmulator(options = {}) {
  const { port = 0, host = "127.0.0.1", tokens = ["emulator-token"], staticDir, log = false, ...rest } = options;
  if (!(host === "localhost" || host === "::1" || /^127\.\d{1,3}\.\d{1,3}\.\d{1,3}$/.test(host)))
    throw new Error(`host must be a loopback address, got ${host}`);
  if (!Array.isArray(tokens) || tokens.some((t) => typeof t !== "string" || !t)) throw new Error("tokens must be an array of non-empty strings");
  const cfg = mergeConfig(DEFAULTS, rest, Object.keys(DEFAULTS));
  const emu = new Emulator(cfg, [...tokens]);
  const staticRoot = staticDir ? path.resolve(staticDir) : null;
  const timers = new Set(), hanging = new Set();

  // Timers that close() can cancel; unref so they never keep the process alive alone.
  const later = (ms, fn) => {
    const t = setTimeout(() => { timers.delete(t); fn(); }, ms);
    t.unref();
    timers.add(t);
  };
  const sleep = (ms) => new Promise((r) => (ms > 0 ? later(ms, r) : r()));

  async function handleApi(req, res, pathname) {
    const startedAt = new Date().toISOString();
    emu.counters.requests++;
    const auth = classifyAuth(req.headers.authorization, emu.tokens);
    const entry = emu.addLog({
      seq: 0, at: emu.now(), method: req.method, path: pathname, objectType: null, inputIds: [], traceIds: [],
      status: null, fault: null, applied: [], authorization: auth.kind,
    });
    const cors = emu.cfg.cors ? API_CORS : {};
    const reply = (status, body, headers = {}) => { entry.status = status; send(res, status, body, { ...cors, ...headers }); };

    if (req.method === "OPTIONS") {
      return emu.cfg.cors ? (entry.status = 204, res.writeHead(204, preflight(req, "POST, OPTIONS")).end())
        : reply(405, hsError("METHOD_NOT_ALLOWED", "HTTP method OPTIONS is not supported by this URL"), { Allow: "POST" });
    }
    const m = /^\/crm\/v3\/objects\/([^/]+)\/batch\/update\/?$/.exec(pathname);
    if (!m) return reply(404, hsError("OBJECT_NOT_FOUND", `No route for ${req.method} ${pathname}`));
    if (req.method !== "POST")
      return reply(405, hsError("METHOD_NOT_ALLOWED", `HTTP method ${req.method} is not supported by this URL`), { Allow: "POST" });
    try { entry.objectType = decodeURIComponent(m[1]); } catch { entry.objectType = m[1]; }

    // Decisions made at arrival (auth, limiter, fault draw) so their order is the arrival order.
    let early = null, fault = null, rng = null, rl;
    const sandboxed = auth.kind === "none" && emu.cfg.sandbox;
    if (auth.kind === "bearer-invalid" || (auth.kind === "none" && !sandboxed)) {
      rl = emu.rateCheck("anonymous", false);
      early = [401, hsError("INVALID_AUTHENTICATION", "Authentication credentials not found. This API supports OAuth 2.0 authentication and you can find more details at https://developers.hubspot.com/docs/methods/auth/oauth-overview")];
    } else if (auth.forbidden) {
      rl = emu.rateCheck(auth.bucket, false);
      const scope = SCHEMAS[kindOf(entry.objectType) ?? "deals"].scope;
      early = [403, hsError("MISSING_SCOPES", "This app hasn't been granted all required scopes to make this call. Read more about required scopes here: https://developers.hubspot.com/scopes.", {
        errors: [{ message: "One or more of the following scopes are required.", context: { requiredGranularScopes: [scope] } }],
        links: { scopes: "https://developers.hubspot.com/scopes" },
      })];
    } else {
      rl = emu.rateCheck(sandboxed ? "sandbox" : auth.bucket, true);
      if (rl.limited === "DAILY")
        early = [429, hsError("RATE_LIMITS", "You have reached your daily limit.", { errorType: "RATE_LIMIT", policyName: "DAILY" })];
      else if (rl.limited)
        early = [429, hsError("RATE_LIMITS", "You have reached your ten_secondly_rolling limit.", { errorType: "RATE_LIMIT", policyName: "TEN_SECONDLY_ROLLING", groupName: RATE_GROUP })];
      else ({ fault, rng } = emu.drawFault());
    }
    entry.fault = res.fault = fault;
    const headers = rl.headers;

    const body = await readBody(req);
    if (body.aborted) return; // client went away; nothing to answer
    if (fault === "hang") {
      // Never answer; the socket is cut after HANG_MS or by close().
      hanging.add(req.socket);
      req.socket.once("close", () => hanging.delete(req.socket));
      later(HANG_MS, () => req.socket.destroy());
      return;
    }
    await sleep(emu.cfg.latencyMs);
    if (early) return reply(early[0], early[1], headers);
    if (body.tooLarge) return reply(413, hsError("VALIDATION_ERROR", `Request body exceeds ${MAX_BODY} bytes`), { ...headers, Connection: "close" });

    // Faults that replace the whole exchange (nothing is applied).
    const e429 = (msg, policyName, retry) => reply(429, hsError("RATE_LIMITS", msg, { errorType: "RATE_LIMIT", policyName, ...(policyName === "TEN_SECONDLY_ROLLING" ? { groupName: RATE_GROUP } : {}) }), retry ? { ...headers, "Retry-After": "1" } : headers);
    switch (fault) {
      case "429-ten-secondly": case "429-ten-secondly-retry-after":
        return e429("You have reached your ten_secondly_rolling limit.", "TEN_SECONDLY_ROLLING", fault.endsWith("retry-after"));
      case "429-secondly": case "429-secondly-retry-after":
        return e429("You have reached your secondly limit.", "SECONDLY", fault.endsWith("retry-after"));
      case "429-daily": return e429("You have reached your daily limit.", "DAILY", false);
      case "500": return reply(500, hsError("INTERNAL_ERROR", "internal error"), headers);
      case "502": return reply(502, HTML_502, { ...headers, "Content-Type": "text/html" });
      case "503": return reply(503, hsError("SERVICE_UNAVAILABLE", "Service Unavailable"), headers);
      case "504": return reply(504, hsError("GATEWAY_TIMEOUT", "Gateway Timeout"), headers);
      case "reset": return void req.socket.destroy();
      case "html-200": return reply(200, HTML_200, { ...headers, "Content-Type": "text/html; charset=utf-8" });
    }

    // The real thing.
    let payload, result;
    const ctype = String(req.headers["content-type"] ?? "");
    try { payload = JSON.parse(body.buf.toString("utf8")); } catch (err) { payload = err; }
    if (payload && typeof payload === "object" && Array.isArray(payload.inputs)) {
      // Best-effort ids for the log, even when the batch is rejected below.
      entry.inputIds = payload.inputs.map((i) => (i && typeof i === "object" && i.id != null ? String(i.id) : null));
      entry.traceIds = payload.inputs.map((i) => (i && typeof i.objectWriteTraceId === "string" ? i.objectWriteTraceId : null));
    }
    if (!kindOf(entry.objectType)) result = emu.batchUpdate(entry.objectType, null, rng, startedAt);
    else if (!/^application\/json\s*(;|$)/i.test(ctype))
      result = { status: 415, body: hsError("VALIDATION_ERROR", `Content type '${ctype || "none"}' not supported; use application/json`), applied: [] };
    else if (payload instanceof Error)
      result = { status: 400, body: hsError("VALIDATION_ERROR", `Invalid input JSON: ${payload.message}`), applied: [] };
    else result = emu.batchUpdate(entry.objectType, payload, rng, startedAt);
    entry.applied = result.applied;

    switch (fault) {
      case "truncated-json": {
        const full = JSON.stringify(result.body);
        return reply(result.status, full.slice(0, Math.floor(full.length / 2)), headers);
      }
      case "reset-after-apply": return void req.socket.destroy();
      case "504-after-apply": return reply(504, hsError("GATEWAY_TIMEOUT", "Gateway Timeout"), headers);
    }
    reply(result.status, result.body, headers);
  }

  async function handleControl(req, res, url) {
    if (req.method === "OPTIONS") return res.writeHead(204, preflight(req, "GET, POST, OPTIONS")).end();
    const reply = (status, body) => send(res, status, body, CONTROL_CORS);
    const route = url.pathname.replace(/\/+$/, "");
    const readJson = async () => {
      const b = await readBody(req);
      if (b.aborted) throw new ControlError(400, "aborted");
      if (b.tooLarge) throw new ControlError(413, "body too large");
      const text = b.buf.toString("utf8").trim();
      if (!text) return {};
      try { return JSON.parse(text); } catch { throw new ControlError(400, "body is not valid JSON"); }
    };
    const is = (method, p) => req.method === method && route === p;
    const rec = /^\/_emulator\/records\/([^/]+)(?:\/([^/]+))?$/.exec(route);
    try {
      if (is("POST", "/_emulator/reset")) return reply(200, emu.reset(await readJson()));
      if (is("GET", "/_emulator/config")) return reply(200, emu.getConfig());
      if (is("POST", "/_emulator/config")) return reply(200, emu.configure(await readJson()));
      if (is("POST", "/_emulator/faults")) return reply(200, emu.queueFaults((await readJson()).faults));
      if (is("GET", "/_emulator/state")) return reply(200, emu.getState());
      if (is("GET", "/_emulator/log")) return reply(200, emu.getLog(Number(url.searchParams.get("since")) || 0));
      if (rec) {
        const type = decodeURIComponent(rec[1]), sub = rec[2] && decodeURIComponent(rec[2]);
        if (req.method === "POST" && sub === "query") return reply(200, emu.getRecords(type, (await readJson()).ids));
        if (req.method === "GET" && sub !== undefined) {
          const r = emu.getRecord(type, sub);
          return r ? reply(200, r) : reply(404, { status: "error", message: `No ${type} record ${sub}`, category: "OBJECT_NOT_FOUND" });
        }
        if (req.method === "GET") {
          const ids = (url.searchParams.get("ids") ?? "").split(",").filter((s) => s !== "");
          return reply(200, emu.getRecords(type, ids));
        }
      }
      reply(404, { status: "error", message: `No control route ${req.method} ${url.pathname}`, category: "OBJECT_NOT_FOUND" });
    } catch (err) {
      if (!(err instanceof ControlError)) throw err;
      reply(err.status, { status: "error", message: err.message, category: "VALIDATION_ERROR" });
    }
  }

  async function handleStatic(req, res, pathname) {
    const notFound = () => send(res, 404, { status: "error", message: "Not found", category: "OBJECT_NOT_FOUND" });
    let rel;
    try { rel = decodeURIComponent(pathname); } catch { return notFound(); }
    let file = path.resolve(staticRoot, "." + rel);
    // Refuse anything that escapes the folder (../, encoded or not).
    if (rel.includes("\0") || (file !== staticRoot && !file.startsWith(staticRoot + path.sep))) return notFound();
    try {
      if ((await stat(file)).isDirectory()) file = path.join(file, "index.html");
      const data = await readFile(file);
      const type = CONTENT_TYPES[path.extname(file).toLowerCase()] ?? "application/octet-stream";
      send(res, 200, data, { "Content-Type": type, "Cache-Control": "no-store" });
    } catch { notFound(); }
  }

  const server = http.createServer(async (req, res) => {
    const t = performance.now();
    if (log) res.once("close", () => process.stderr.write(
      `[emulator] ${req.method} ${req.url.split("?")[0]} ${res.headersSent ? res.statusCode : "-"} ${(performance.now() - t).toFixed(1)}ms${res.fault ? ` fault=${res.fault}` : ""}\n`));
    try {
      const url = new URL(req.url, "http://emulator.invalid");
      if (url.pathname === "/_emulator" || url.pathname.startsWith("/_emulator/")) await handleControl(req, res, url);
      else if (staticRoot && (req.method === "GET" || req.method === "HEAD") && !/^\/crm(\/|$)/.test(url.pathname))
        await handleStatic(req, res, url.pathname);
      else await handleApi(req, res, url.pathname);
    } catch (err) {
      // Last line of defence: a bug here must not take the shared emulator down.
      process.stderr.write(`[emulator] internal error: ${err?.stack ?? err}\n`);
      send(res, 500, hsError("INTERNAL_ERROR", "emulator internal error"));
    }
  });
  // Idle connections stay open 15 s instead of Node's 5 s, longer than HubSpot's 10 s window:
  // a client pacing by that window finds its connections still open for the next one, as it
  // would with an API edge that keeps them for minutes, instead of opening a new one per
  // request while the server is busiest. (Clients read this from the Keep-Alive header.)
  server.keepAliveTimeout = KEEP_ALIVE_MS;
  // Malformed HTTP (odd methods, garbage): answer 400 and drop the connection.
  server.on("clientError", (err, socket) => {
    if (socket.writable && !socket.destroyed) socket.end("HTTP/1.1 400 Bad Request\r\nConnection: close\r\nContent-Length: 0\r\n\r\n");
    socket.destroy();
  });

  await new Promise((resolve, reject) => {
    server.once("error", reject);
    server.listen(port, host, () => { server.off("error", reject); resolve(); });
  });
  const actualPort = server.address().port;
  const urlHost = host.includes(":") ? `[${host}]` : host;
  let closing = null;
  return {
    url: `http://${urlHost}:${actualPort}`,
    port: actualPort,
    emulator: emu,
    close() {
      closing ??= new Promise((resolve) => {
        for (const t of timers) clearTimeout(t);
        timers.clear();
        for (const s of hanging) s.destroy();
        server.close(() => resolve());
        server.closeAllConnections(); // keep-alive and in-flight sockets would delay close() otherwise
      });
      return closing;
    },
  };
}
