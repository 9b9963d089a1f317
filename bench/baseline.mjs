// A plain-JS baseline for the CPU benchmark: what a careful hand-written JS library would do for
// buildBatchUpdateRequests + parseBatchResponse, with the same validation (types per value,
// unknown fields, empty and duplicate ids, duplicate trace ids, non-finite numbers, invalid Dates,
// `;` in array elements), the same formatting (number/Date/array/bool/null -> string, numbers in
// plain decimal), JSON.stringify'd bodies, and JSON.parse + shape checks of 200/207 responses.
// It is not the package; it is the yardstick the wasm build is compared with (target: <= 2x).

const INPUT_KEYS = new Set(["id", "properties", "idProperty", "objectWriteTraceId"]);
const STATUSES = new Set(["CANCELED", "COMPLETE", "PENDING", "PROCESSING"]);

export class BaselineError extends Error {
  constructor(code, message) {
    super(message);
    this.name = "HubSpotError";
    this.code = code;
  }
}
const invalid = (msg) => new BaselineError("INVALID_INPUT", msg);

/** Number -> plain decimal (no exponent), as HubSpot wants. */
function plainDecimal(n) {
  const s = String(n);
  if (!s.includes("e")) return s === "-0" ? "0" : s;
  // d.ddde[+-]x -> shift the point
  const [mant, expS] = s.split("e");
  const exp = Number(expS);
  const neg = mant.startsWith("-");
  const digits = mant.replace("-", "").replace(".", "");
  const point = (mant.replace("-", "").indexOf(".") + 1 || mant.replace("-", "").length + 1) - 1 + exp;
  let out;
  if (point <= 0) out = "0." + "0".repeat(-point) + digits;
  else if (point >= digits.length) out = digits + "0".repeat(point - digits.length);
  else out = digits.slice(0, point) + "." + digits.slice(point);
  return (neg ? "-" : "") + out;
}

export function formatPropertyValue(v, where = "value") {
  switch (typeof v) {
    case "string":
      return v;
    case "number":
      if (!Number.isFinite(v)) throw invalid(`${where}: expected a finite number, got ${v}`);
      return plainDecimal(v);
    case "boolean":
      return v ? "true" : "false";
    case "object":
      if (v === null) return "";
      if (v instanceof Date) {
        const t = v.getTime();
        if (Number.isNaN(t)) throw invalid(`${where}: invalid Date`);
        return String(t);
      }
      if (Array.isArray(v)) {
        for (let i = 0; i < v.length; i++) {
          const e = v[i];
          if (typeof e !== "string") throw invalid(`${where}[${i}]: expected string, got ${typeof e}`);
          if (e.includes(";")) throw invalid(`${where}[${i}]: an element of a multi-value property cannot contain ';'`);
        }
        return v.join(";");
      }
  }
  throw invalid(`${where}: expected string, number, boolean, Date, string[] or null, got ${typeof v}`);
}

const isPlainObject = (o) => o !== null && typeof o === "object" && !Array.isArray(o);

export function buildBatchUpdateRequests(inputs, options = {}) {
  const { accessToken, baseUrl = "https://api.hubapi.com", objectType = "0-3", batchSize = 100, idProperty } = options;
  if (!Array.isArray(inputs)) throw invalid("inputs: expected an array");
  if (!Number.isInteger(batchSize) || batchSize < 1 || batchSize > 100) throw new BaselineError("INVALID_CONFIG", "batchSize: expected 1..100");
  const seen = new Map();
  const traces = new Set();
  const wire = new Array(inputs.length);
  for (let i = 0; i < inputs.length; i++) {
    const input = inputs[i];
    if (!isPlainObject(input)) throw invalid(`inputs[${i}]: expected an object`);
    for (const k in input) if (!INPUT_KEYS.has(k)) throw invalid(`inputs[${i}].${k}: unknown field`);
    const { id, properties } = input;
    if (typeof id !== "string" || id === "") throw invalid(`inputs[${i}].id: expected a non-empty string`);
    const idp = input.idProperty ?? idProperty;
    if (input.idProperty !== undefined && (typeof input.idProperty !== "string" || input.idProperty === "")) throw invalid(`inputs[${i}].idProperty: expected a non-empty string`);
    const key = (idp ?? "") + "\u0000" + id;
    const prev = seen.get(key);
    if (prev !== undefined) throw invalid(`inputs[${i}].id: duplicate of inputs[${prev}].id (${JSON.stringify(id)})`);
    seen.set(key, i);
    const trace = input.objectWriteTraceId;
    if (trace !== undefined) {
      if (typeof trace !== "string" || trace === "") throw invalid(`inputs[${i}].objectWriteTraceId: expected a non-empty string`);
      if (traces.has(trace)) throw invalid(`inputs[${i}].objectWriteTraceId: duplicate`);
      traces.add(trace);
    }
    if (!isPlainObject(properties)) throw invalid(`inputs[${i}].properties: expected an object`);
    const props = {};
    for (const name in properties) {
      if (!Object.prototype.hasOwnProperty.call(properties, name)) continue;
      props[name] = formatPropertyValue(properties[name], `inputs[${i}].properties.${name}`);
    }
    const w = { id, properties: props };
    if (idp !== undefined) w.idProperty = idp;
    if (trace !== undefined) w.objectWriteTraceId = trace;
    wire[i] = w;
  }
  const url = `${baseUrl.replace(/\/+$/, "")}/crm/v3/objects/${encodeURIComponent(objectType)}/batch/update`;
  const headers = { "Content-Type": "application/json" };
  if (accessToken !== undefined) headers.Authorization = `Bearer ${accessToken}`;
  const out = [];
  for (let start = 0; start < wire.length; start += batchSize) {
    const end = Math.min(start + batchSize, wire.length);
    const inputIndexes = [];
    for (let j = start; j < end; j++) inputIndexes.push(j);
    out.push({ url, method: "POST", headers: { ...headers }, body: JSON.stringify({ inputs: wire.slice(start, end) }), inputIndexes });
  }
  return out;
}

// --- parsing -----------------------------------------------------------------------------------------------
const malformed = (msg) => new BaselineError("MALFORMED_RESPONSE", msg);
const str = (v, where) => {
  if (typeof v !== "string") throw malformed(`${where}: expected a string`);
  return v;
};
const optStr = (v, where) => (v === undefined || v === null ? undefined : str(v, where));

function stringMap(o, where, nullable) {
  if (!isPlainObject(o)) throw malformed(`${where}: expected an object`);
  for (const k in o) {
    const v = o[k];
    if (typeof v !== "string" && !(nullable && v === null)) throw malformed(`${where}.${k}: expected a string`);
  }
  return o;
}

function checkObject(r, where) {
  if (!isPlainObject(r)) throw malformed(`${where}: expected an object`);
  str(r.id, `${where}.id`);
  stringMap(r.properties, `${where}.properties`, true);
  str(r.createdAt, `${where}.createdAt`);
  str(r.updatedAt, `${where}.updatedAt`);
  if (r.archived !== undefined && typeof r.archived !== "boolean") throw malformed(`${where}.archived: expected a boolean`);
  optStr(r.archivedAt, `${where}.archivedAt`);
  optStr(r.objectWriteTraceId, `${where}.objectWriteTraceId`);
  optStr(r.url, `${where}.url`);
  if (r.propertiesWithHistory !== undefined) {
    if (!isPlainObject(r.propertiesWithHistory)) throw malformed(`${where}.propertiesWithHistory: expected an object`);
    for (const k in r.propertiesWithHistory) {
      const h = r.propertiesWithHistory[k];
      if (!Array.isArray(h)) throw malformed(`${where}.propertiesWithHistory.${k}: expected an array`);
      for (const e of h) if (!isPlainObject(e) || typeof e.value !== "string" || typeof e.timestamp !== "string" || typeof e.sourceType !== "string") throw malformed(`${where}.propertiesWithHistory.${k}: bad entry`);
    }
  }
}

function checkErrorDetail(d, where) {
  if (!isPlainObject(d)) throw malformed(`${where}: expected an object`);
  str(d.message, `${where}.message`);
  optStr(d.code, `${where}.code`);
  optStr(d.subCategory, `${where}.subCategory`);
  optStr(d.in, `${where}.in`);
  if (d.context !== undefined) for (const k in d.context) if (!Array.isArray(d.context[k])) throw malformed(`${where}.context.${k}: expected an array`);
}

function checkStandardError(e, where) {
  if (!isPlainObject(e)) throw malformed(`${where}: expected an object`);
  str(e.status, `${where}.status`);
  str(e.category, `${where}.category`);
  str(e.message, `${where}.message`);
  optStr(e.id, `${where}.id`);
  if (e.errors !== undefined) {
    if (!Array.isArray(e.errors)) throw malformed(`${where}.errors: expected an array`);
    e.errors.forEach((d, j) => checkErrorDetail(d, `${where}.errors[${j}]`));
  }
  if (e.context !== undefined) {
    if (!isPlainObject(e.context)) throw malformed(`${where}.context: expected an object`);
    for (const k in e.context) {
      const a = e.context[k];
      if (!Array.isArray(a) || a.some((x) => typeof x !== "string")) throw malformed(`${where}.context.${k}: expected string[]`);
    }
  }
  if (e.links !== undefined) stringMap(e.links, `${where}.links`, false);
}

export function parseBatchResponse(status, body) {
  if (status !== 200 && status !== 207) {
    let err;
    try {
      err = JSON.parse(body);
    } catch {}
    const e = new BaselineError(status === 429 ? "RATE_LIMITED" : "HTTP_ERROR", (err && typeof err.message === "string" && err.message) || `HTTP ${status}`);
    e.status = status;
    throw e;
  }
  let r;
  try {
    r = JSON.parse(body);
  } catch (e) {
    throw malformed(`response body is not JSON: ${e.message}`);
  }
  if (!isPlainObject(r)) throw malformed("response: expected an object");
  if (!STATUSES.has(r.status)) throw malformed("status: expected CANCELED, COMPLETE, PENDING or PROCESSING");
  if (!Array.isArray(r.results)) throw malformed("results: expected an array");
  for (let i = 0; i < r.results.length; i++) checkObject(r.results[i], `results[${i}]`);
  str(r.startedAt, "startedAt");
  str(r.completedAt, "completedAt");
  optStr(r.requestedAt, "requestedAt");
  if (r.links !== undefined) stringMap(r.links, "links", false);
  if (r.errors === undefined) r.errors = [];
  else if (!Array.isArray(r.errors)) throw malformed("errors: expected an array");
  else for (let i = 0; i < r.errors.length; i++) checkStandardError(r.errors[i], `errors[${i}]`);
  if (r.numErrors === undefined) r.numErrors = r.errors.length;
  else if (!Number.isInteger(r.numErrors) || r.numErrors < 0) throw malformed("numErrors: expected a non-negative integer");
  return r;
}
