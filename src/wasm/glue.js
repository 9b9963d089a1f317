// The glue's JavaScript: the caller's values described as plain data that serde-wasm-bindgen
// can read safely, and one fetch attempt (`send`, at the end).
//
// Why describe values: serde-wasm-bindgen reads objects with getters and Object.entries through imports that
// do not catch, so a throwing getter, a Proxy trap or a revoked Proxy would throw through the
// wasm frames. This file reads the caller's values once, catching all of that, and hands over
// a copy made only of strings, numbers, booleans, null, arrays and null-prototype objects.
// It judges nothing: the Rust core (src/input.rs, `Value`) validates and formats, and writes
// every message. What JSON has no word for is tagged `{"\0": what, v?}`:
//   undefined -> "undefined"; Date -> "Date" with v = getTime(); function, bigint, symbol ->
//   their typeof; a string with a lone surrogate (it cannot become UTF-8 unchanged) -> "lone";
//   an object that is not plain, or nested deeper than the shape allows -> "object" / "array";
//   a value whose reading threw -> "unreadable".

const TAG = "\0";
const OBJECT_PROTOTYPE = Object.prototype;
const GET_TIME = Date.prototype.getTime;
const MAX_LENGTH = 1e7;

const tag = (what, v) => (v === undefined ? { [TAG]: what } : { [TAG]: what, v });

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
  if (isArray(v)) return list ? items(v) : tag("array");
  if (isPlain(v)) return tag("object");
  try {
    return tag("Date", GET_TIME.call(v)); // throws unless v is a Date
  } catch {
    return tag("object");
  }
}

function items(v) {
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
      out[i] = value(v[i], false);
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
  const out = Object.create(null);
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

/** One input: any object (plain, null-prototype or a class instance) by its own fields;
 * `properties` a plain object of property values. */
function input(v) {
  if (typeof v !== "object" || v === null || isArray(v)) return value(v, false);
  return fields(v, (x, k) => (k === "properties" ? properties(x) : value(x, false)));
}

/** One property value, as formatPropertyValue takes it. */
export function describeValue(v) {
  return value(v, true);
}

/** An inputs array. */
export function describeInputs(v) {
  if (!isArray(v)) return value(v, false);
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
      out[i] = input(v[i]);
    } catch {
      out[i] = tag("unreadable");
    }
  }
  return out;
}

/** An options object: a plain object whose values may be plain objects one level down
 * (rateLimit); `undefined` and `null` as themselves. */
export function describeOptions(v) {
  if (v === undefined) return tag("undefined");
  if (v === null) return null;
  if (!plainObject(v)) return value(v, false);
  return fields(v, (x) => (plainObject(x) ? fields(x, listValue) : value(x, true)));
}

/** `text` with every `secret` (8 characters or more, as real tokens are) replaced. */
export function redact(text, secret) {
  return secret.length >= 8 && text.includes(secret) ? text.split(secret).join("[redacted]") : text;
}

/** The first character of `text` after white space ("" when none): enough to say what a
 * body that does not parse as JSON is. */
export function firstChar(text) {
  return text.trimStart().charAt(0);
}

/** The runtime's message for a failed fetch, with its cause's code (ECONNREFUSED...). */
function failure(e, secret) {
  let message = "fetch failed";
  try {
    message = typeof e?.message === "string" ? e.message : typeof e === "string" ? e : message;
    const cause = e?.cause?.code ?? e?.cause?.message;
    if (typeof cause === "string") message += ` (${cause})`;
  } catch {
    // an error whose fields throw: the plain message
  }
  return { error: redact(message, secret) };
}

/**
 * One attempt: `fetch(url, init)` called unbound (workerd requires it; `fetch` is the caller's
 * or the runtime's global one, looked up now), redirects not followed, and the answer's status,
 * the headers named in `names` (null when absent) and body text read. Resolves, never rejects:
 * `{ status, heard, headers, text }` (an echoed token redacted) or `{ error }`. Settles as soon
 * as `signal` aborts, even with a fetch that ignores it. `done`, when given, is called with it.
 */
export function send(fetch, url, method, headers, body, signal, names, secret, done) {
  const aborted = new Promise((resolve) => {
    const stop = () => resolve({ error: "aborted" });
    if (signal.aborted) stop();
    else signal.addEventListener("abort", stop, { once: true });
  });
  const attempt = async () => {
    const f = fetch ?? globalThis.fetch;
    if (typeof f !== "function") return { error: "this runtime has no global fetch; pass options.fetch" };
    let response;
    try {
      response = await f(url, { method, headers, body, signal, redirect: "manual" });
    } catch (e) {
      return failure(e, secret);
    }
    const heard = Date.now();
    try {
      let status = response.status;
      if (!(Number.isInteger(status) && status >= 0 && status <= 999)) {
        return { error: "fetch resolved to something that is not a Response" };
      }
      if (response.type === "opaqueredirect") status = 0;
      const values = names.map((n) => {
        const v = response.headers.get(n);
        return typeof v === "string" ? v : null;
      });
      const text = await response.text();
      if (typeof text !== "string") return { error: "the response body is not readable" };
      return { status, heard, headers: values, text: redact(text, secret) };
    } catch (e) {
      return failure(e, secret);
    }
  };
  const settled = Promise.race([attempt(), aborted]);
  if (done) settled.then(done);
  return settled;
}
