// The caller's JS values, described as plain data that serde-wasm-bindgen can read safely.
//
// Why: serde-wasm-bindgen reads objects with getters and Object.entries through imports that
// do not catch, so a throwing getter, a Proxy trap or a revoked Proxy would throw through the
// wasm frames. This file reads the caller's values once, catching all of that, and hands over
// a copy made only of strings, numbers, booleans, null, arrays, plain objects and the BigInts
// that stand for Dates (below).
// It judges nothing: the Rust core (src/input.rs, `Value`) validates and formats, and writes
// every message. What JSON has no word for is tagged `{"\0": what}`:
//   undefined -> "undefined"; function, bigint, symbol -> their typeof; a string with a lone
//   surrogate (it cannot become UTF-8 unchanged) -> "lone"; an object that is not plain, or
//   nested deeper than the shape allows -> "object" / "array"; a value whose reading threw ->
//   "unreadable".
// A Date crosses as a BigInt: DATE_ZERO + getTime(), or DATE_BASE when invalid. Both lie above
// i64::MAX, and serde-wasm-bindgen hands Rust a u64 only for such a BigInt (a JS number comes
// as i64 or f64, a caller's BigInt is tagged), so nothing else reads as one. It is what makes a
// Date cheap: one value, where a tagged object crossed as an object of two entries.

const TAG = "\0";
const OBJECT_PROTOTYPE = Object.prototype;
const GET_TIME = Date.prototype.getTime;
const MAX_LENGTH = 1e7;

const tag = (what) => ({ [TAG]: what });
const DATE_BASE = 1n << 63n;
const DATE_ZERO = DATE_BASE + (1n << 62n);

// String.prototype.isWellFormed (Node 20, Chrome 111, Safari 16.4, Firefox 119, workerd), taken
// as it is when the package loads.
const IS_WELL_FORMED = String.prototype.isWellFormed;
const wellFormed = (s) => IS_WELL_FORMED.call(s);

function isArray(v) {
  try {
    return Array.isArray(v);
  } catch {
    return false; // a revoked Proxy
  }
}

function isPlain(v) {
  try {
    const proto = Object.getPrototypeOf(v);
    return proto === null || proto === OBJECT_PROTOTYPE;
  } catch {
    return false;
  }
}

/** A primitive, a Date, or the tag of anything else; arrays (of such) when `list`. */
function value(v, list) {
  switch (typeof v) {
    case "string":
      return wellFormed(v) ? v : tag("lone");
    case "number":
    case "boolean":
      return v;
    case "undefined":
    case "function":
    case "bigint":
    case "symbol":
      return tag(typeof v);
  }
  if (v === null) return null;
  if (isArray(v)) return list ? items(v, element) : tag("array");
  if (isPlain(v)) return tag("object");
  try {
    const ms = GET_TIME.call(v); // throws unless v is a Date
    return ms === ms ? DATE_ZERO + BigInt(ms) : DATE_BASE;
  } catch {
    return tag("object");
  }
}

const element = (x) => value(x, false);

/** The elements of array `v`, each described by `describe`. */
function items(v, describe) {
  let n;
  try {
    n = v.length;
  } catch {
    return tag("unreadable");
  }
  if (!(Number.isInteger(n) && n >= 0 && n <= MAX_LENGTH)) return tag("unreadable");
  const out = new Array(n);
  for (let i = 0; i < n; i++) {
    try {
      out[i] = describe(v[i]);
    } catch {
      out[i] = tag("unreadable");
    }
  }
  return out;
}

/** The own enumerable string-keyed fields of `v`, each described by `describe(value, key)`. */
function fields(v, describe) {
  let keys;
  try {
    keys = Object.keys(v);
  } catch {
    return tag("unreadable");
  }
  // A plain object keeps V8's fast properties (a null-prototype one is a dictionary, which
  // Object.entries reads slowly); only a "__proto__" key needs the null prototype.
  const out = keys.includes("__proto__") ? Object.create(null) : {};
  for (const k of keys) {
    if (k === TAG || !wellFormed(k)) return tag("object");
    try {
      out[k] = describe(v[k], k);
    } catch {
      out[k] = tag("unreadable");
    }
  }
  return out;
}

const listValue = (v) => value(v, true);
const plainObject = (v) => typeof v === "object" && v !== null && !isArray(v) && isPlain(v);
const properties = (v) => (plainObject(v) ? fields(v, listValue) : value(v, true));

/** Arrays and plain objects `depth` levels down (a create's associations), then values. */
function tree(v, depth) {
  if (depth > 0 && isArray(v)) return items(v, (x) => tree(x, depth - 1));
  if (depth > 0 && plainObject(v)) return fields(v, (x) => tree(x, depth - 1));
  return value(v, false);
}

/** One input: any object (plain, null-prototype or a class instance) by its own fields;
 * `properties` a plain object of property values, `associations` four levels of arrays and
 * objects (`[{ to: { id }, types: [{ … }] }]`). */
function input(v) {
  if (typeof v !== "object" || v === null || isArray(v)) return value(v, false);
  return fields(v, (x, k) =>
    k === "properties" ? properties(x) : k === "associations" ? tree(x, 4) : value(x, false),
  );
}

/** One property value, as formatPropertyValue takes it. */
export function describeValue(v) {
  return value(v, true);
}

/** An inputs array. */
export function describeInputs(v) {
  return isArray(v) ? items(v, input) : value(v, false);
}

/** Whether `v` is a RateLimiter: `acquire` and `release` methods, its own or inherited. */
const isLimiter = (v) => typeof v?.acquire === "function" && typeof v.release === "function";

/** An options object: a plain object whose values may be plain objects one level down
 * (rateLimit), and a RateLimiter tagged "limiter"; `undefined` and `null` as themselves. */
export function describeOptions(v) {
  if (v === undefined) return tag("undefined");
  if (v === null) return null;
  if (!plainObject(v)) return value(v, false);
  return fields(v, (x, k) =>
    k === "rateLimiter" && isLimiter(x) ? tag("limiter") : plainObject(x) ? fields(x, listValue) : value(x, true),
  );
}

/** The first character of `text` after white space ("" when none): enough to say what a
 * body that does not parse as JSON is. */
export function firstChar(text) {
  return text.trimStart().charAt(0);
}
