// Local emulator of HubSpot's CRM batch endpoints
// (POST /crm/v3/objects/{objectType}/batch/{update|upsert|create|read|archive}, also under
// /crm/objects/{YYYY-MM}/...) and of the read-only schema routes
// (GET /crm/v3/properties/{objectType}, GET /crm/v3/pipelines/{objectType}), with rate limits
// and fault injection. Plain Node >= 20, no dependencies. Shared by the tests, the demo page
// and the benchmarks, so the exported names, options and control API are a contract
// (see README.md in this folder).

import http from "node:http";
import { randomUUID } from "node:crypto";
import { readFile, stat } from "node:fs/promises";
import path from "node:path";
import { performance } from "node:perf_hooks";

// The default random mix. Kept as it was before the other operations arrived, so that seeded
// runs built on it draw the same faults; the kinds added since are in EXTRA_FAULT_KINDS.
export const FAULT_KINDS = Object.freeze([
  "429-ten-secondly", "429-ten-secondly-retry-after", "429-secondly", "429-secondly-retry-after",
  "429-daily", "500", "502", "503", "504", "reset", "hang", "html-200", "truncated-json",
  "reset-after-apply", "504-after-apply",
]);
/** More faults that strike after the request was processed (a valid write is applied). */
export const EXTRA_FAULT_KINDS = Object.freeze([
  "hang-after-apply", "500-after-apply", "502-after-apply", "html-200-after-apply",
]);
/** Every kind the queue, `faultKinds` and the CLI accept. */
export const ALL_FAULT_KINDS = Object.freeze([...FAULT_KINDS, ...EXTRA_FAULT_KINDS]);
/** Kinds after which the write was applied (when the batch was valid) but the answer is lost or garbled. */
export const AFTER_APPLY_FAULT_KINDS = Object.freeze([
  "truncated-json", "reset-after-apply", "504-after-apply", ...EXTRA_FAULT_KINDS,
]);
export const BATCH_OPERATIONS = Object.freeze(["update", "upsert", "create", "read", "archive"]);

const PORTAL_ID = 12345;
const MAX_BODY = 10 * 1024 * 1024; // HubSpot-like cap; beyond it we answer 413
const HANG_MS = 120_000;
const KEEP_ALIVE_MS = 15_000;
const MAX_LOG = 100_000; // oldest entries are dropped so week-long benchmarks don't eat memory
const FORBIDDEN_TOKEN = "forbidden-token"; // always known, always lacks the scopes
const RATE_GROUP = `publicapi:private-app:1001:${PORTAL_ID}`;
const BASE_TIME = Date.UTC(2024, 0, 1);
const SCHEMA_TIME = new Date(BASE_TIME).toISOString();
const DAY_MS = 86_400_000;

// ---------------------------------------------------------------- schemas
//
// The one place where object types, properties and pipelines are defined. The validation of
// every write and the schema routes (GET /crm/v3/properties/..., /crm/v3/pipelines/...) are
// both derived from it, so what the schema routes say is exactly what the emulator enforces.

// Deal pipelines. HubSpot keeps stage options on the pipelines; the `dealstage` property lists
// them too (as HubSpot's does), derived from here. [id, label, probability].
const PIPELINES = {
  deals: [{
    id: "default", label: "Sales Pipeline", displayOrder: 0,
    stages: [
      ["appointmentscheduled", "Appointment Scheduled", "0.2"],
      ["qualifiedtobuy", "Qualified To Buy", "0.4"],
      ["presentationscheduled", "Presentation Scheduled", "0.6"],
      ["decisionmakerboughtin", "Decision Maker Bought-In", "0.8"],
      ["contractsent", "Contract Sent", "0.9"],
      ["closedwon", "Closed Won", "1.0"],
      ["closedlost", "Closed Lost", "0.0"],
    ],
  }],
};

const opt = (value, label, hidden = false) => ({ value, label, hidden });
const DEAL_STAGE_OPTIONS = PIPELINES.deals.flatMap((p) => p.stages.map(([id, label]) => opt(id, label)));
const DEAL_STAGES = DEAL_STAGE_OPTIONS.map((o) => o.value); // seeding draws from this order
const LIFECYCLE_OPTIONS = [
  opt("subscriber", "Subscriber"), opt("lead", "Lead"), opt("marketingqualifiedlead", "Marketing Qualified Lead"),
  opt("salesqualifiedlead", "Sales Qualified Lead"), opt("opportunity", "Opportunity"), opt("customer", "Customer"),
  opt("evangelist", "Evangelist"), opt("other", "Other"),
];
const LIFECYCLE = LIFECYCLE_OPTIONS.map((o) => o.value);
const BOOL_OPTIONS = [opt("true", "Yes"), opt("false", "No")];

// A property: label, type (string | number | enumeration | date | datetime | bool), fieldType,
// and where they apply: options (enumeration, bool; a "checkbox" enumeration is multi-select,
// values joined by ";"), externalOptions (options live elsewhere: any value accepted), unique
// (hasUniqueValue; usable as idProperty), email (string checked for x@y.z), readOnly
// (modificationMetadata.readOnlyValue), calculated, custom (not hubspotDefined).
const str = (label, fieldType = "text", extra = {}) => ({ label, type: "string", fieldType, ...extra });
const RO = { readOnly: true };
const SCHEMAS = {
  deals: {
    label: "DEAL", scope: "crm.objects.deals.write", readScope: "crm.objects.deals.read",
    schemaScope: "crm.schemas.deals.read", groupName: "dealinformation", nullProperty: "hs_closed_amount",
    defaultRead: ["amount", "closedate", "dealname", "dealstage", "pipeline"],
    props: {
      dealname: str("Deal Name"),
      amount: { label: "Amount", type: "number", fieldType: "number" },
      dealstage: { label: "Deal Stage", type: "enumeration", fieldType: "radio", options: DEAL_STAGE_OPTIONS },
      pipeline: { label: "Pipeline", type: "enumeration", fieldType: "select",
        options: PIPELINES.deals.map((p) => opt(p.id, p.label)) },
      closedate: { label: "Close Date", type: "datetime", fieldType: "date" },
      hubspot_owner_id: { label: "Deal owner", type: "enumeration", fieldType: "select", options: [], externalOptions: true },
      description: str("Deal Description", "textarea"),
      deal_external_id: str("External ID", "text", { unique: true, custom: true }),
      tags: { label: "Tags", type: "enumeration", fieldType: "checkbox", custom: true, options: [
        opt("hot", "Hot"), opt("cold", "Cold"), opt("renewal", "Renewal"), opt("upsell", "Upsell"),
        opt("enterprise", "Enterprise"), opt("smb", "SMB"), opt("legacy", "Legacy", true)] },
      is_priority: { label: "Priority deal", type: "bool", fieldType: "booleancheckbox", options: BOOL_OPTIONS, custom: true },
      renewal_date: { label: "Renewal date", type: "date", fieldType: "date", custom: true },
      hs_object_id: { label: "Record ID", type: "number", fieldType: "number", ...RO },
      hs_lastmodifieddate: { label: "Last Modified Date", type: "datetime", fieldType: "date", ...RO },
      createdate: { label: "Create Date", type: "datetime", fieldType: "date", ...RO },
      hs_closed_amount: { label: "Closed amount", type: "number", fieldType: "calculation_equation", calculated: true, ...RO },
    },
  },
  contacts: {
    label: "CONTACT", scope: "crm.objects.contacts.write", readScope: "crm.objects.contacts.read",
    schemaScope: "crm.schemas.contacts.read", groupName: "contactinformation", nullProperty: "hs_email_domain",
    defaultRead: ["email", "firstname", "lastname"],
    props: {
      email: str("Email", "text", { unique: true, email: true }),
      firstname: str("First Name"), lastname: str("Last Name"), phone: str("Phone Number", "phonenumber"),
      lifecyclestage: { label: "Lifecycle Stage", type: "enumeration", fieldType: "radio", options: LIFECYCLE_OPTIONS },
      is_vip: { label: "VIP", type: "bool", fieldType: "booleancheckbox", options: BOOL_OPTIONS, custom: true },
      signup_date: { label: "Signup date", type: "date", fieldType: "date", custom: true },
      hs_object_id: { label: "Record ID", type: "number", fieldType: "number", ...RO },
      hs_lastmodifieddate: { label: "Last Modified Date", type: "datetime", fieldType: "date", ...RO },
      createdate: { label: "Create Date", type: "datetime", fieldType: "date", ...RO },
      hs_email_domain: { label: "Email Domain", type: "string", fieldType: "text", calculated: true, ...RO },
    },
  },
};
// Derived once: option values for validation, multi-select flags.
for (const schema of Object.values(SCHEMAS)) {
  for (const def of Object.values(schema.props)) {
    def.values = def.options ? def.options.map((o) => o.value) : null;
    def.multi = def.fieldType === "checkbox";
  }
}

const OBJECT_TYPES = { "0-3": "deals", deals: "deals", "0-1": "contacts", contacts: "contacts" };
// Own-key lookups only: names such as "__proto__" or "constructor" come from the network.
const kindOf = (objectType) => (Object.hasOwn(OBJECT_TYPES, objectType) ? OBJECT_TYPES[objectType] : undefined);
const propDef = (schema, name) => (Object.hasOwn(schema.props, name) ? schema.props[name] : undefined);
const uniqueProps = (kind) => Object.keys(SCHEMAS[kind].props).filter((p) => SCHEMAS[kind].props[p].unique);

// The schema routes' bodies, shaped per crm-properties-v3.json (CollectionResponsePropertyNoPaging)
// and crm-pipelines-v3.json (CollectionResponsePipelineNoPaging). Built once.
function propertyJson(schema, name, def, i) {
  return {
    name, label: def.label, type: def.type, fieldType: def.fieldType, description: "",
    groupName: schema.groupName,
    options: (def.options ?? []).map((o, j) => ({ label: o.label, value: o.value, displayOrder: j, hidden: o.hidden })),
    displayOrder: i, calculated: !!def.calculated, externalOptions: !!def.externalOptions,
    hasUniqueValue: !!def.unique, hidden: false, hubspotDefined: !def.custom,
    modificationMetadata: { archivable: !!def.custom, readOnlyDefinition: !def.custom, readOnlyValue: !!def.readOnly },
    formField: !def.readOnly, dataSensitivity: "non_sensitive",
    createdAt: SCHEMA_TIME, updatedAt: SCHEMA_TIME, archived: false,
  };
}
function pipelineJson(p) {
  const epoch = new Date(0).toISOString(); // "The default pipelines will have createdAt = 0."
  return {
    id: p.id, label: p.label, displayOrder: p.displayOrder, archived: false, createdAt: epoch, updatedAt: epoch,
    stages: p.stages.map(([id, label, probability], i) => ({
      id, label, displayOrder: i, archived: false, createdAt: epoch, updatedAt: epoch,
      metadata: { isClosed: String(id === "closedwon" || id === "closedlost"), probability },
      writePermissions: "CRM_PERMISSIONS_ENFORCEMENT",
    })),
  };
}
const SCHEMA_BODIES = Object.fromEntries(Object.entries(SCHEMAS).map(([kind, schema]) => [kind, {
  properties: JSON.stringify({ results: Object.entries(schema.props).map(([n, d], i) => propertyJson(schema, n, d, i)) }),
  pipelines: PIPELINES[kind] ? JSON.stringify({ results: PIPELINES[kind].map(pipelineJson) }) : null,
}]));

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
const isObj = (v) => v !== null && typeof v === "object" && !Array.isArray(v);
const NUMBER_RE = /^[+-]?(\d+\.?\d*|\.\d+)$/; // plain decimal only: catches clients sending "1e+21"
const EPOCH_MS_RE = /^-?\d{1,15}$/;
const ISO_RE = /^\d{4}-\d{2}-\d{2}(T\d{2}:\d{2}(:\d{2}(\.\d{1,9})?)?(Z|[+-]\d{2}:?\d{2})?)?$/;
const DATE_RE = /^\d{4}-\d{2}-\d{2}$/;
const EMAIL_RE = /^[^\s@]+@[^\s@]+\.[^\s@]+$/;
const VERSION_RE = /^\d{4}-\d{2}$/;
const ASSOCIATION_CATEGORIES = ["HUBSPOT_DEFINED", "INTEGRATOR_DEFINED", "USER_DEFINED", "WORK"];

const optionError = (def, value) =>
  ["INVALID_OPTION", `${value} was not one of the allowed options: [${def.values.join(", ")}]`];

// A date property takes midnight UTC: epoch milliseconds, YYYY-MM-DD or an ISO date-time.
function checkDate(value) {
  let ms = NaN;
  if (EPOCH_MS_RE.test(value)) ms = Number(value);
  else if (DATE_RE.test(value)) {
    ms = Date.parse(`${value}T00:00:00Z`);
    if (!Number.isNaN(ms) && new Date(ms).toISOString().slice(0, 10) !== value) ms = NaN; // 2024-02-30
  } else if (ISO_RE.test(value)) ms = Date.parse(value);
  if (!Number.isFinite(ms)) return ["INVALID_DATE", `${value} was not a valid date: use epoch milliseconds at midnight UTC or YYYY-MM-DD.`];
  if (((ms % DAY_MS) + DAY_MS) % DAY_MS !== 0) {
    const d = new Date(ms);
    return ["INVALID_DATE", `${value} is at ${d.getUTCHours()}:${d.getUTCMinutes()}:${d.getUTCSeconds()}.${d.getUTCMilliseconds()} UTC, not midnight!`];
  }
  return null;
}

// Validation of one property value; returns [error, message] or null when valid.
function checkValue(def, value) {
  if (value === "") return null; // "" clears any writable property
  switch (def.type) {
    case "number":
      return NUMBER_RE.test(value) ? null : ["INVALID_DECIMAL", `${value} was not a valid number.`];
    case "datetime":
      return (EPOCH_MS_RE.test(value) || (ISO_RE.test(value) && !Number.isNaN(Date.parse(value)))) ? null
        : ["INVALID_DATE", `${value} was not a valid datetime: use epoch milliseconds or an ISO 8601 date.`];
    case "date":
      return checkDate(value);
    case "bool":
      return value === "true" || value === "false" ? null : optionError(def, value);
    case "enumeration": {
      if (def.externalOptions) return null; // options live elsewhere (owners): not judged here
      const parts = def.multi ? value.split(";").filter((s) => s !== "") : [value];
      const badOpt = parts.find((p) => !def.values.includes(p));
      return badOpt === undefined ? null : optionError(def, badOpt);
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
  schemaAccess: true, schemaFaultRate: 0, apiVersions: ["2025-09", "2026-03"],
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
      case "sandbox": case "cors": case "schemaAccess":
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
      case "faultRate": case "schemaFaultRate":
        if (typeof v !== "number" || !(v >= 0 && v <= 1)) bad(`${k} must be a number 0..1`);
        break;
      case "faultKinds":
        if (!Array.isArray(v) || v.some((f) => !ALL_FAULT_KINDS.includes(f)))
          bad(`faultKinds must be an array of: ${ALL_FAULT_KINDS.join(", ")}`);
        next[k] = [...v];
        continue;
      case "unknownIds":
        if (!["error207", "omit", "mixed"].includes(v)) bad("unknownIds must be error207, omit or mixed");
        break;
      case "apiVersions":
        if (!Array.isArray(v) || v.some((x) => typeof x !== "string" || !VERSION_RE.test(x)))
          bad("apiVersions must be an array of YYYY-MM strings");
        next[k] = [...v];
        continue;
    }
    next[k] = v;
  }
  return next;
}
const RUNTIME_KEYS = ["rateLimit", "dailyLimit", "latencyMs", "faultRate", "faultKinds", "unknownIds", "sandbox", "cors",
  "schemaAccess", "schemaFaultRate", "apiVersions"];

// ---------------------------------------------------------------- state

const OP_COUNTERS = ["update", "upsert", "create", "read", "archive", "properties", "pipelines"];

class Emulator {
  constructor(config, tokens) {
    this.cfg = config;
    this.tokens = tokens;
    this.reset({});
  }

  // Reseeds data and clears log, queues, counters and rate-limit windows; keeps config.
  reset(opts = {}) {
    this.cfg = mergeConfig(this.cfg, opts ?? {}, ["seed", "deals", "contacts"]);
    const { seed } = this.cfg;
    this.rng = mulberry32(seed);
    this.schemaRng = mulberry32(seed ^ 0x5c4e3a11); // its own stream: schema reads never shift batch faults
    this.stores = { deals: seedDeals(this.cfg.deals, seed), contacts: seedContacts(this.cfg.contacts, seed) };
    this.log = [];
    this.seq = 0;
    this.queue = [];
    this.schemaQueue = [];
    this.t0 = performance.now();
    this.windows = new Map(); // bucket -> arrival times (ms) of accepted requests
    this.daily = 0;
    this.counters = {
      requests: 0, applied: 0, faultsInjected: {}, rateLimited: 0,
      created: { create: 0, upsert: 0 }, operations: Object.fromEntries(OP_COUNTERS.map((o) => [o, 0])),
    };
    return this.getState();
  }

  configure(patch = {}) {
    this.cfg = mergeConfig(this.cfg, patch, RUNTIME_KEYS);
    return this.getConfig();
  }

  getConfig() { return structuredClone(this.cfg); }

  // target "batch" (default): the next batch requests, any operation; "schema": the next
  // schema route requests (GET properties / pipelines).
  queueFaults(kinds, target = "batch") {
    if (!Array.isArray(kinds) || kinds.some((f) => !ALL_FAULT_KINDS.includes(f)))
      bad(`faults must be an array of: ${ALL_FAULT_KINDS.join(", ")}`);
    if (target !== "batch" && target !== "schema") bad("target must be batch or schema");
    const q = target === "schema" ? this.schemaQueue : this.queue;
    q.push(...kinds);
    return { queued: q.length };
  }

  getState() {
    const { deals, contacts } = this.stores;
    return {
      deals: deals.records.size, contacts: contacts.records.size,
      ...structuredClone(this.counters), queuedFaults: this.queue.length, queuedSchemaFaults: this.schemaQueue.length,
      archived: { deals: deals.archived.size, contacts: contacts.archived.size },
    };
  }

  store(objectType) {
    const kind = kindOf(objectType);
    if (!kind) throw new ControlError(404, `Unknown object type: ${objectType}`);
    return this.stores[kind];
  }

  // Live or archived; null when the id never existed.
  getRecord(objectType, id) {
    const st = this.store(objectType);
    const r = st.records.get(String(id)) ?? st.archived.get(String(id));
    return r ? snapshot(r) : null;
  }

  getRecords(objectType, ids) {
    if (!Array.isArray(ids)) bad("ids must be an array");
    this.store(objectType);
    return ids.map((id) => this.getRecord(objectType, id));
  }

  // Every record matching the filter, by ascending id:
  //   createdBy: "seed" | "create" | "upsert" or an array of them; archived: true | false
  //   (default both); where: {property: value} (all must match; null matches unset).
  records(objectType, filter = {}) {
    const st = this.store(objectType);
    if (!isObj(filter)) bad("filter must be an object");
    const { createdBy, archived, where, ...rest } = filter;
    if (Object.keys(rest).length) bad(`unknown filter key: ${Object.keys(rest)[0]}`);
    const by = createdBy === undefined ? null : [createdBy].flat();
    if (by && by.some((b) => !["seed", "create", "upsert"].includes(b))) bad("createdBy must be seed, create or upsert (or an array of them)");
    if (archived !== undefined && typeof archived !== "boolean") bad("archived must be a boolean");
    if (where !== undefined && !isObj(where)) bad("where must be an object");
    const conds = Object.entries(where ?? {});
    const out = [];
    for (const map of archived === true ? [st.archived] : archived === false ? [st.records] : [st.records, st.archived]) {
      for (const r of map.values()) {
        if (by && !by.includes(r.createdBy)) continue;
        if (conds.some(([p, v]) => (r.properties.get(p) ?? null) !== v)) continue;
        out.push(snapshot(r));
      }
    }
    return out.sort((a, b) => Number(a.id) - Number(b.id));
  }

  // Groups of two or more records (live or archived) sharing a non-empty value of `property`:
  // [{value, ids}]. With a value the test made unique per input, each group is a duplicate.
  duplicates(objectType, property, filter = {}) {
    if (typeof property !== "string" || !property) bad("property must be a non-empty string");
    const groups = new Map();
    for (const r of this.records(objectType, filter)) {
      const v = r.properties[property];
      if (v === undefined || v === null || v === "") continue;
      if (!groups.has(v)) groups.set(v, []);
      groups.get(v).push(r.id);
    }
    return [...groups].filter(([, ids]) => ids.length > 1).map(([value, ids]) => ({ value, ids }));
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

  // The same for the schema routes, from their own queue, rate and RNG stream.
  drawSchemaFault() {
    const roll = this.schemaRng(), pick = this.schemaRng();
    let fault = this.schemaQueue.length ? this.schemaQueue.shift() : null;
    const kinds = this.cfg.faultKinds;
    if (!fault && kinds.length && roll < this.cfg.schemaFaultRate) fault = kinds[Math.floor(pick * kinds.length)];
    if (fault) this.counters.faultsInjected[fault] = (this.counters.faultsInjected[fault] ?? 0) + 1;
    return { fault, rng: null };
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

  // One batch request of any operation. Returns { status, body, applied: [internal ids] };
  // body is null for archive's 204. Pure of I/O.
  batch(op, objectType, payload, rng, startedAt, { archived = false } = {}) {
    const kind = kindOf(objectType);
    if (!kind) return failure(`Unable to infer object type from: ${objectType}`);
    if (!isObj(payload) || !Array.isArray(payload.inputs))
      return failure("Invalid input JSON: the body must be an object with an array property \"inputs\"");
    const { inputs } = payload;
    const withHistory = op === "read" && Array.isArray(payload.propertiesWithHistory) && payload.propertiesWithHistory.length > 0;
    const limit = withHistory ? 50 : 100;
    if (inputs.length > limit) return failure(`Batch input size of ${inputs.length} exceeds limit of ${limit}`);
    if (op === "read") return this.read(kind, payload, rng, startedAt, archived);
    if (op === "archive") return this.archive(kind, inputs);
    return this.write(op, kind, inputs, rng, startedAt);
  }

  // Kept for callers of the update-only emulator.
  batchUpdate(objectType, payload, rng, startedAt) { return this.batch("update", objectType, payload, rng, startedAt); }

  // update, upsert and create: validate everything, then apply (all or nothing, except create's
  // per-input errors when every input carries an objectWriteTraceId).
  write(op, kind, inputs, rng, startedAt) {
    const schema = SCHEMAS[kind], store = this.stores[kind];
    const isCreate = op === "create", isUpsert = op === "upsert";

    // Shape checks: HubSpot deserialises into typed objects, so non-strings are rejected.
    // (Plain indexed loops here and below: this runs for every request of every benchmark,
    // mostly before the JIT has warmed up, where iterators and Object.entries cost most.)
    for (let i = 0; i < inputs.length; i++) {
      const inp = inputs[i];
      if (!isObj(inp)) return failure(`Invalid input JSON: inputs[${i}] must be an object`);
      if (!isCreate && typeof inp.id !== "string") return failure(`Invalid input JSON: inputs[${i}].id must be a string`);
      const props = inp.properties;
      if (!isObj(props)) return failure(`Invalid input JSON: inputs[${i}].properties must be an object`);
      for (const k of Object.keys(props)) {
        const v = props[k];
        if (typeof v !== "string") return failure(`Invalid input JSON: inputs[${i}].properties.${k} must be a string, got ${v === null ? "null" : typeof v}`);
      }
      if (inp.objectWriteTraceId !== undefined && typeof inp.objectWriteTraceId !== "string")
        return failure(`Invalid input JSON: inputs[${i}].objectWriteTraceId must be a string`);
      if (isCreate) {
        const e = associationsError(inp.associations, i);
        if (e) return failure(e);
        continue;
      }
      if (inp.idProperty !== undefined && typeof inp.idProperty !== "string")
        return failure(`Invalid input JSON: inputs[${i}].idProperty must be a string`);
      if (isUpsert) {
        if (inp.idProperty === undefined) return failure(`Invalid input JSON: inputs[${i}].idProperty is required for upsert`);
        if (!propDef(schema, inp.idProperty)?.unique)
          return failure(`Property ${inp.idProperty} is not a unique property of ${schema.label} objects and cannot be used as idProperty for upsert`);
      } else {
        const idp = inp.idProperty ?? "hs_object_id";
        if (idp !== "hs_object_id" && !propDef(schema, idp)?.unique)
          return failure(`Property ${idp} is not a unique property of ${schema.label} objects and cannot be used as idProperty`);
      }
    }

    // Duplicates (same idProperty): list every occurrence of a repeated id.
    if (!isCreate) {
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
        return failure(`Duplicate IDs found in batch input: [${dups.join(", ")}]`);
      }
    }

    // Resolve targets before anything changes (a batch that renames a unique value
    // must not affect how the other inputs of the same batch are looked up).
    // null: unknown (update) or to be created (upsert, create).
    const targets = inputs.map((inp) => {
      if (isCreate) return null;
      const idp = inp.idProperty ?? "hs_object_id";
      const id = idp === "hs_object_id" ? inp.id : store.unique[idp].get(inp.id);
      return id === undefined ? null : store.records.get(id) ?? null;
    });

    // Property values: any bad one rejects the whole batch with HubSpot's message format,
    // except for create with an objectWriteTraceId on every input: then each bad input is a
    // per-input error of a 207 and the others are created.
    const perInput = isCreate && inputs.length > 0 && inputs.every((inp) => typeof inp.objectWriteTraceId === "string");
    const errors = [], badInputs = perInput ? new Map() : null; // index -> its errors
    const claimed = new Map(); // `${prop}\0${value}` -> record id (or "new#i") claiming it in this batch
    for (let i = 0; i < inputs.length; i++) {
      const props = inputs[i].properties;
      const self = targets[i] ? targets[i].id : op === "update" ? null : `new#${i}`;
      const errs = perInput ? [] : errors;
      for (const name of Object.keys(props)) {
        const value = props[name];
        const def = propDef(schema, name);
        if (!def) { errs.push(propError(name, "PROPERTY_DOESNT_EXIST", `Property "${name}" does not exist`)); continue; }
        if (def.readOnly) { errs.push(propError(name, "READ_ONLY_VALUE", `"${name}" is a read only property; its value cannot be set.`)); continue; }
        const e = checkValue(def, value);
        if (e) { errs.push(propError(name, e[0], e[1])); continue; }
        if (def.unique && value !== "" && self !== null) {
          const owner = store.unique[name].get(value), key = `${name}\0${value}`;
          const other = claimed.get(key);
          if ((owner !== undefined && owner !== self) || (other !== undefined && other !== self))
            errs.push(propError(name, "NOT_UNIQUE", `${value} is already used by another ${schema.label.toLowerCase()} for the unique property ${name}`));
          claimed.set(key, self);
        }
      }
      if (isUpsert && !targets[i]) claimed.set(`${inputs[i].idProperty}\0${inputs[i].id}`, self); // the new record's key
      if (perInput && errs.length) badInputs.set(i, errs);
    }
    if (errors.length) return failure(`Property values were not valid: ${JSON.stringify(errors)}`);

    // Apply. (The hot path of every benchmark: plain loops, no per-property allocations.)
    const results = [], applied = [], unknown = [];
    const { props: defs, nullProperty } = schema;
    let stampMs = NaN, now = "";
    for (let i = 0; i < inputs.length; i++) {
      if (perInput && badInputs.has(i)) continue;
      const inp = inputs[i];
      let rec = targets[i];
      if (!rec && op === "update") { unknown.push(inp.id); continue; }
      // The time of this write, formatted again only when the millisecond changed.
      const ms = Date.now();
      if (ms !== stampMs) { stampMs = ms; now = new Date(ms).toISOString(); }
      const isNew = !rec;
      const echoed = {};
      if (isNew) {
        rec = this.newRecord(kind, now, op);
        if (isUpsert) {
          const idp = inp.idProperty;
          rec.properties.set(idp, inp.id);
          store.unique[idp].set(inp.id, rec.id);
          echoed[idp] = inp.id;
        }
      }
      const sent = inp.properties, stored = rec.properties;
      // Every name was checked against the schema above, so no "__proto__" and the like here.
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
      if (isNew) echoed.createdate = rec.createdAt;
      echoed.hs_lastmodifieddate = now;
      echoed.hs_object_id = rec.id;
      echoed[nullProperty] = null;
      const obj = { id: rec.id, properties: echoed, createdAt: rec.createdAt, updatedAt: now, archived: false };
      if (isUpsert) obj.new = isNew;
      if (inp.objectWriteTraceId !== undefined) obj.objectWriteTraceId = inp.objectWriteTraceId;
      results.push(obj);
    }
    shuffle(results, rng);
    const coin = rng(); // always drawn so "mixed" doesn't shift other draws
    const body = { status: "COMPLETE", results, startedAt, completedAt: new Date().toISOString() };
    if (perInput && badInputs.size) {
      body.numErrors = badInputs.size;
      body.errors = [...badInputs].map(([i, errs]) => ({
        status: "error", category: "VALIDATION_ERROR",
        message: `Property values were not valid: ${JSON.stringify(errs)}`,
        context: { objectWriteTraceId: [inputs[i].objectWriteTraceId] }, links: {}, errors: [],
      }));
      return { status: 207, body, applied };
    }
    if (unknown.length && this.unknownMode(coin) === "error207") {
      body.numErrors = 1;
      body.errors = [notFound(schema, unknown)];
      return { status: 207, body, applied };
    }
    return { status: isCreate ? 201 : 200, body, applied };
  }

  unknownMode(coin) {
    return this.cfg.unknownIds === "mixed" ? (coin < 0.5 ? "error207" : "omit") : this.cfg.unknownIds;
  }

  newRecord(kind, now, op) {
    const store = this.stores[kind], id = String(store.nextId++);
    const properties = new Map([["hs_object_id", id], ["createdate", now], ["hs_lastmodifieddate", now]]);
    const rec = { id, properties, writes: 0, createdAt: now, updatedAt: now, createdBy: op, archived: false };
    store.records.set(id, rec);
    this.counters.created[op]++;
    return rec;
  }

  // batch/read: the found records with the requested properties; unknown ids per `unknownIds`.
  read(kind, payload, rng, startedAt, archived) {
    const schema = SCHEMAS[kind], store = this.stores[kind], { inputs } = payload;
    for (const key of ["properties", "propertiesWithHistory"]) {
      const v = payload[key];
      if (v !== undefined && v !== null && !(Array.isArray(v) && v.every((s) => typeof s === "string")))
        return failure(`Invalid input JSON: ${key} must be an array of strings`);
    }
    if (payload.idProperty !== undefined && payload.idProperty !== null && typeof payload.idProperty !== "string")
      return failure("Invalid input JSON: idProperty must be a string");
    const idp = payload.idProperty ?? "hs_object_id";
    if (idp !== "hs_object_id" && !propDef(schema, idp)?.unique)
      return failure(`Property ${idp} is not a unique property of ${schema.label} objects and cannot be used as idProperty`);
    for (let i = 0; i < inputs.length; i++) {
      if (!isObj(inputs[i]) || typeof inputs[i].id !== "string") return failure(`Invalid input JSON: inputs[${i}].id must be a string`);
    }
    // Requested properties: always hs_object_id, createdate, hs_lastmodifieddate; unknown names
    // are left out (as HubSpot does), known but unset ones are null.
    const asked = payload.properties?.length ? payload.properties : schema.defaultRead;
    const names = [...new Set([...asked, "createdate", "hs_lastmodifieddate", "hs_object_id"])].filter((n) => propDef(schema, n));
    const history = (payload.propertiesWithHistory ?? []).filter((n) => propDef(schema, n));
    const find = (id) => {
      if (!archived) {
        const rid = idp === "hs_object_id" ? id : store.unique[idp].get(id);
        return rid === undefined ? undefined : store.records.get(rid);
      }
      if (idp === "hs_object_id") return store.archived.get(id);
      for (const r of store.archived.values()) if (r.properties.get(idp) === id) return r;
      return undefined;
    };
    const results = [], unknown = [], seen = new Set();
    for (const { id } of inputs) {
      const rec = find(id);
      if (!rec) { unknown.push(id); continue; }
      if (seen.has(rec.id)) continue; // asked twice: answered once
      seen.add(rec.id);
      const properties = {};
      for (const n of names) properties[n] = rec.properties.get(n) ?? null;
      const obj = { id: rec.id, properties, createdAt: rec.createdAt, updatedAt: rec.updatedAt, archived: rec.archived };
      if (rec.archived) obj.archivedAt = rec.archivedAt;
      if (history.length) {
        // One entry per property: its current value at the record's last write (no deeper history kept).
        obj.propertiesWithHistory = Object.fromEntries(history.map((n) => {
          const v = rec.properties.get(n);
          return [n, v === undefined ? [] : [{ value: v, timestamp: rec.updatedAt, sourceType: "API", sourceId: "emulator" }]];
        }));
      }
      results.push(obj);
    }
    shuffle(results, rng);
    const coin = rng();
    const body = { status: "COMPLETE", results, startedAt, completedAt: new Date().toISOString() };
    if (unknown.length && this.unknownMode(coin) === "error207") {
      body.numErrors = 1;
      body.errors = [notFound(schema, unknown)];
      return { status: 207, body, applied: [] };
    }
    return { status: 200, body, applied: [] };
  }

  // batch/archive: 204 with no body, whether or not the ids exist (as HubSpot).
  archive(kind, inputs) {
    const store = this.stores[kind];
    for (let i = 0; i < inputs.length; i++) {
      if (!isObj(inputs[i]) || typeof inputs[i].id !== "string") return failure(`Invalid input JSON: inputs[${i}].id must be a string`);
    }
    const applied = [], now = new Date().toISOString();
    for (const { id } of inputs) {
      const rec = store.records.get(id);
      if (!rec) continue;
      store.records.delete(id);
      // Its unique values are free again (an upsert by one of them creates a new record).
      for (const [p, idx] of Object.entries(store.unique)) {
        const v = rec.properties.get(p);
        if (v && idx.get(v) === id) idx.delete(v);
      }
      rec.archived = true;
      rec.archivedAt = now;
      store.archived.set(id, rec);
      this.counters.applied++;
      applied.push(id);
    }
    return { status: 204, body: null, applied };
  }
}

const failure = (message, status = 400, category = "VALIDATION_ERROR") =>
  ({ status, body: hsError(category, message), applied: [] });

const notFound = (schema, ids) => ({
  status: "error", category: "OBJECT_NOT_FOUND",
  message: `Could not get some ${schema.label} objects, they may be deleted or not exist. Check that ids are valid.`,
  context: { ids }, links: {}, errors: [],
});

// HubSpot does not promise result order: shuffle so clients that assume it break here.
function shuffle(results, rng) {
  for (let i = results.length - 1; i > 0; i--) {
    const j = Math.floor(rng() * (i + 1));
    [results[i], results[j]] = [results[j], results[i]];
  }
}

// associations of a create input (optional): [{to: {id}, types: [{associationCategory, associationTypeId}]}].
function associationsError(assocs, i) {
  if (assocs === undefined || assocs === null) return null;
  const at = `Invalid input JSON: inputs[${i}].associations`;
  if (!Array.isArray(assocs)) return `${at} must be an array`;
  for (let j = 0; j < assocs.length; j++) {
    const a = assocs[j];
    if (!isObj(a) || !isObj(a.to) || typeof a.to.id !== "string") return `${at}[${j}].to.id must be a string`;
    if (!Array.isArray(a.types)) return `${at}[${j}].types must be an array`;
    for (const t of a.types) {
      if (!isObj(t) || !ASSOCIATION_CATEGORIES.includes(t.associationCategory) || !Number.isInteger(t.associationTypeId))
        return `${at}[${j}].types: each needs associationCategory (${ASSOCIATION_CATEGORIES.join(", ")}) and an integer associationTypeId`;
    }
  }
  return null;
}

function snapshot(r) {
  const s = { id: r.id, properties: Object.fromEntries(r.properties), writes: r.writes, createdAt: r.createdAt,
    updatedAt: r.updatedAt, archived: r.archived, createdBy: r.createdBy };
  if (r.archived) s.archivedAt = r.archivedAt;
  return s;
}

function newStore(kind) {
  return { records: new Map(), archived: new Map(), nextId: 1,
    unique: Object.fromEntries(uniqueProps(kind).map((p) => [p, new Map()])) };
}

function addRecord(store, id, created, properties) {
  const createdAt = new Date(created).toISOString();
  // A Map: updates add properties the seed did not set, which is slow on plain objects.
  const stored = new Map(Object.entries(properties));
  stored.set("hs_object_id", id).set("createdate", createdAt).set("hs_lastmodifieddate", createdAt);
  store.records.set(id, { id, properties: stored, createdAt, updatedAt: createdAt, writes: 0, createdBy: "seed", archived: false });
  for (const [p, idx] of Object.entries(store.unique)) if (stored.get(p)) idx.set(stored.get(p), id);
  store.nextId = Math.max(store.nextId, Number(id) + 1);
}

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
  if (status === 204) return void res.writeHead(204, headers).end(); // archive: no body, no Content-Type
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

// {kind: "batch", op, version, objectType} or {kind: "schema", op: "properties" | "pipelines",
// version, objectType}; null when no route matches (or the date version is not served).
function parseRoute(pathname, versions) {
  let m = /^\/crm\/(?:v3\/objects|objects\/([^/]+))\/([^/]+)\/batch\/([^/]+)\/?$/.exec(pathname);
  if (m) {
    const [, version, objectType, op] = m;
    if (!BATCH_OPERATIONS.includes(op) || (version !== undefined && !versions.includes(version))) return null;
    return { kind: "batch", op, version: version ?? "v3", objectType };
  }
  m = /^\/crm\/(?:v3\/(properties|pipelines)|(properties|pipelines)\/([^/]+))\/([^/]+)\/?$/.exec(pathname);
  if (m) {
    const [, v3op, vop, version, objectType] = m;
    if (version !== undefined && !versions.includes(version)) return null;
    return { kind: "schema", op: v3op ?? vop, version: version ?? "v3", objectType };
  }
  return null;
}

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

  // Hangs the exchange: never answers; the socket is cut after HANG_MS or by close().
  function hang(req) {
    hanging.add(req.socket);
    req.socket.once("close", () => hanging.delete(req.socket));
    later(HANG_MS, () => req.socket.destroy());
  }

  async function handleApi(req, res, url) {
    const pathname = url.pathname;
    const startedAt = new Date().toISOString();
    emu.counters.requests++;
    const auth = classifyAuth(req.headers.authorization, emu.tokens);
    const route = parseRoute(pathname, emu.cfg.apiVersions);
    const entry = emu.addLog({
      seq: 0, at: emu.now(), method: req.method, path: pathname, objectType: null, inputIds: [], traceIds: [],
      status: null, fault: null, applied: [], authorization: auth.kind, op: route?.op ?? null, apiVersion: route?.version ?? null,
    });
    const cors = emu.cfg.cors ? API_CORS : {};
    const reply = (status, body, headers = {}) => { entry.status = status; send(res, status, body, { ...cors, ...headers }); };
    const sandboxed = auth.kind === "none" && emu.cfg.sandbox;
    const bucket = auth.kind === "bearer-valid" ? auth.bucket : sandboxed ? "sandbox" : "anonymous";
    const allow = route?.kind === "schema" ? "GET" : "POST";

    if (req.method === "OPTIONS") {
      return emu.cfg.cors ? (entry.status = 204, res.writeHead(204, preflight(req, `${allow}, OPTIONS`)).end())
        : reply(405, hsError("METHOD_NOT_ALLOWED", "HTTP method OPTIONS is not supported by this URL"), { Allow: allow, ...emu.rateCheck(bucket, false).headers });
    }
    // Not counted in the window, but answered with its headers like every other answer.
    if (!route) return reply(404, hsError("OBJECT_NOT_FOUND", `No route for ${req.method} ${pathname}`), emu.rateCheck(bucket, false).headers);
    if (req.method !== allow && !(allow === "GET" && req.method === "HEAD"))
      return reply(405, hsError("METHOD_NOT_ALLOWED", `HTTP method ${req.method} is not supported by this URL`), { Allow: allow, ...emu.rateCheck(bucket, false).headers });
    try { entry.objectType = decodeURIComponent(route.objectType); } catch { entry.objectType = route.objectType; }
    emu.counters.operations[route.op]++;
    const schema = SCHEMAS[kindOf(entry.objectType) ?? "deals"];
    const scope = route.op === "properties" ? schema.schemaScope : route.op === "read" || route.op === "pipelines" ? schema.readScope : schema.scope;

    // Decisions made at arrival (auth, limiter, fault draw) so their order is the arrival order.
    let early = null, fault = null, rng = null, rl;
    const missingScopes = () => [403, hsError("MISSING_SCOPES", "This app hasn't been granted all required scopes to make this call. Read more about required scopes here: https://developers.hubspot.com/scopes.", {
      errors: [{ message: "One or more of the following scopes are required.", context: { requiredGranularScopes: [scope] } }],
      links: { scopes: "https://developers.hubspot.com/scopes" },
    })];
    if (auth.kind === "bearer-invalid" || (auth.kind === "none" && !sandboxed)) {
      rl = emu.rateCheck("anonymous", false);
      early = [401, hsError("INVALID_AUTHENTICATION", "Authentication credentials not found. This API supports OAuth 2.0 authentication and you can find more details at https://developers.hubspot.com/docs/methods/auth/oauth-overview")];
    } else if (auth.forbidden || (route.kind === "schema" && !emu.cfg.schemaAccess)) {
      rl = emu.rateCheck(bucket, false);
      early = missingScopes();
    } else {
      rl = emu.rateCheck(bucket, true);
      if (rl.limited === "DAILY")
        early = [429, hsError("RATE_LIMITS", "You have reached your daily limit.", { errorType: "RATE_LIMIT", policyName: "DAILY" })];
      else if (rl.limited)
        early = [429, hsError("RATE_LIMITS", "You have reached your ten_secondly_rolling limit.", { errorType: "RATE_LIMIT", policyName: "TEN_SECONDLY_ROLLING", groupName: RATE_GROUP })];
      else ({ fault, rng } = route.kind === "schema" ? emu.drawSchemaFault() : emu.drawFault());
    }
    entry.fault = res.fault = fault;
    const headers = rl.headers;

    const body = await readBody(req);
    if (body.aborted) return; // client went away; nothing to answer
    if (fault === "hang") return hang(req);
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
    let result;
    if (route.kind === "schema") {
      const kind = kindOf(entry.objectType);
      const text = kind && SCHEMA_BODIES[kind][route.op];
      if (!kind) result = failure(`Unable to infer object type from: ${entry.objectType}`);
      else if (!text) result = failure(`Object type ${SCHEMAS[kind].label} does not support pipelines`);
      else result = { status: 200, body: text, applied: [] };
    } else {
      let payload;
      const ctype = String(req.headers["content-type"] ?? "");
      try { payload = JSON.parse(body.buf.toString("utf8")); } catch (err) { payload = err; }
      if (payload && typeof payload === "object" && Array.isArray(payload.inputs)) {
        // Best-effort ids for the log, even when the batch is rejected below.
        entry.inputIds = payload.inputs.map((i) => (i && typeof i === "object" && i.id != null ? String(i.id) : null));
        entry.traceIds = payload.inputs.map((i) => (i && typeof i.objectWriteTraceId === "string" ? i.objectWriteTraceId : null));
      }
      if (!kindOf(entry.objectType)) result = emu.batch(route.op, entry.objectType, null, rng, startedAt);
      else if (!/^application\/json\s*(;|$)/i.test(ctype))
        result = failure(`Content type '${ctype || "none"}' not supported; use application/json`, 415);
      else if (payload instanceof Error) result = failure(`Invalid input JSON: ${payload.message}`);
      else result = emu.batch(route.op, entry.objectType, payload, rng, startedAt, { archived: url.searchParams.get("archived") === "true" });
    }
    entry.applied = result.applied;

    // Faults after processing: a valid write is applied, the answer is lost or garbled.
    switch (fault) {
      case "truncated-json": {
        if (result.status === 204) break; // archive: nothing to cut, the 204 goes out as it is
        const full = typeof result.body === "string" ? result.body : JSON.stringify(result.body);
        return reply(result.status, full.slice(0, Math.floor(full.length / 2)), headers);
      }
      case "reset-after-apply": return void req.socket.destroy();
      case "hang-after-apply": return hang(req);
      case "500-after-apply": return reply(500, hsError("INTERNAL_ERROR", "internal error"), headers);
      case "502-after-apply": return reply(502, HTML_502, { ...headers, "Content-Type": "text/html" });
      case "504-after-apply": return reply(504, hsError("GATEWAY_TIMEOUT", "Gateway Timeout"), headers);
      case "html-200-after-apply": return reply(200, HTML_200, { ...headers, "Content-Type": "text/html; charset=utf-8" });
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
    const dup = /^\/_emulator\/duplicates\/([^/]+)$/.exec(route);
    try {
      if (is("POST", "/_emulator/reset")) return reply(200, emu.reset(await readJson()));
      if (is("GET", "/_emulator/config")) return reply(200, emu.getConfig());
      if (is("POST", "/_emulator/config")) return reply(200, emu.configure(await readJson()));
      if (is("POST", "/_emulator/faults")) {
        const b = await readJson();
        return reply(200, emu.queueFaults(b.faults, b.target ?? "batch"));
      }
      if (is("GET", "/_emulator/state")) return reply(200, emu.getState());
      if (is("GET", "/_emulator/log")) return reply(200, emu.getLog(Number(url.searchParams.get("since")) || 0));
      if (dup && req.method === "GET")
        return reply(200, emu.duplicates(decodeURIComponent(dup[1]), url.searchParams.get("property") ?? ""));
      if (rec) {
        const type = decodeURIComponent(rec[1]), sub = rec[2] && decodeURIComponent(rec[2]);
        if (req.method === "POST" && sub === "query") return reply(200, emu.getRecords(type, (await readJson()).ids));
        if (req.method === "POST" && sub === "list") return reply(200, emu.records(type, await readJson()));
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
      else await handleApi(req, res, url);
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
