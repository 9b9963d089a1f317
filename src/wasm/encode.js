// JS values -> one JSON text, read by src/wasm/convert.rs.
//
// Why: reading inputs field by field from wasm costs ~10 boundary crossings per input (typeof
// checks, Object.entries, getters, String(n)); walking them here and handing over one string
// is several times faster. This file only *describes* values; the Rust core still judges
// them (validation, messages, formatting). It must never throw: everything a getter, a Proxy
// trap or an odd prototype can throw is caught and described.
//
// Encoding (every special value is a string starting with U+0000, which no other string
// starts with here: a user string that does is tagged "\0s"):
//   string                  the string itself ("\0s" + it if it starts with U+0000)
//   finite number           "\0n" + String(n)           (the JS text, so Rust never re-prints it)
//   NaN, +-Infinity         "\0x" + String(n)
//   boolean, null           themselves
//   undefined               "\0u"
//   Date                    "\0d" + String(getTime())   (NaN for an Invalid Date)
//   array (one level)       [items...]; a nested array is "\0oarray"
//   anything else           "\0o" + what it is          ("object", "function", "bigint", ...)
//   plain object (options)  {"e": [key, value, key, value, ...]}
// A string with a lone surrogate cannot become UTF-8 unchanged, so it is described, not sent.

const OBJECT_PROTOTYPE = Object.prototype;
const ARRAY_PROTOTYPE = Array.prototype;
const DATE_PROTOTYPE = Date.prototype;
const DATE_TO_JSON = Date.prototype.toJSON;
const DATE_TO_ISO = Date.prototype.toISOString;
const LONE_SURROGATE = /[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?:^|[^\uD800-\uDBFF])[\uDC00-\uDFFF]/;
const LONE = "\0ostring with a lone surrogate (invalid UTF-16)";

function wellFormed(s) {
  return typeof s.isWellFormed === "function" ? s.isWellFormed() : !LONE_SURROGATE.test(s);
}

function isArray(v) {
  try {
    return Array.isArray(v);
  } catch {
    return false; // a revoked Proxy
  }
}

function isPlainObject(v) {
  if (typeof v !== "object" || v === null || isArray(v)) return false;
  try {
    const proto = Object.getPrototypeOf(v);
    return proto === null || proto === OBJECT_PROTOTYPE;
  } catch {
    return false;
  }
}

function wholeLength(v) {
  let n;
  try {
    n = v.length;
  } catch {
    return -1;
  }
  return typeof n === "number" && n % 1 === 0 && n >= 0 && n <= 1e7 ? n : -1;
}

function value(v, deep) {
  switch (typeof v) {
    case "string":
      if (!wellFormed(v)) return LONE;
      return v.charCodeAt(0) === 0 ? "\0s" + v : v;
    case "number":
      return (Number.isFinite(v) ? "\0n" : "\0x") + v;
    case "boolean":
      return v;
    case "undefined":
      return "\0u";
    case "function":
      return "\0ofunction";
    case "bigint":
      return "\0obigint";
    case "symbol":
      return "\0osymbol";
  }
  if (v === null) return null;
  let date;
  try {
    date = v instanceof Date;
  } catch {
    date = false;
  }
  if (date) {
    let t;
    try {
      t = v.getTime();
    } catch {
      t = undefined;
    }
    return typeof t === "number" ? "\0d" + t : "\0oobject that inherits from Date but is not one";
  }
  try {
    if (!Array.isArray(v)) return "\0oobject";
  } catch {
    return "\0orevoked Proxy";
  }
  if (!deep) return "\0oarray";
  const n = wholeLength(v);
  if (n < 0) return "\0oarray whose length cannot be read";
  const items = new Array(n);
  for (let i = 0; i < n; i++) {
    try {
      items[i] = value(v[i], false);
    } catch {
      return "\0oarray whose elements cannot be read";
    }
  }
  return items;
}

/** Own enumerable entries, flattened to [key, value, ...], or null when reading them threw. */
function pairs(v, describe) {
  let entries;
  try {
    entries = Object.entries(v);
  } catch {
    return null;
  }
  const out = new Array(entries.length * 2);
  for (let i = 0; i < entries.length; i++) {
    out[2 * i] = entries[i][0];
    out[2 * i + 1] = describe(entries[i][1]);
  }
  return out;
}

const deepValue = (v) => value(v, true);

/** One property value (formatPropertyValue). */
export function encodeValue(v) {
  return JSON.stringify(value(v, true));
}

/** An options object: "\0f..." when it is not a readable plain object, else its pairs; a
 * nested plain object (rateLimit) is read one level more. */
export function encodeOptions(v) {
  if (v === undefined || v === null) return "[]";
  if (!isPlainObject(v)) return JSON.stringify("\0fobject");
  const out = pairs(v, (x) => {
    if (!isPlainObject(x)) return value(x, true);
    const inner = pairs(x, deepValue);
    return inner === null ? "\0oobject" : { e: inner };
  });
  return JSON.stringify(out === null ? "\0ffields" : out);
}

class Failed {
  constructor(what) {
    this.what = what;
  }
}

function input(item, index) {
  if (typeof item !== "object" || item === null || isArray(item)) return { v: value(item, true) };
  let entries;
  try {
    entries = Object.entries(item);
  } catch {
    throw new Failed("\0ffields:" + index);
  }
  // [id, properties, idProperty, objectWriteTraceId, ...unknown field names]
  const out = ["\0u", "\0u", "\0u", "\0u"];
  for (let i = 0; i < entries.length; i++) {
    const [key, v] = entries[i];
    switch (key) {
      case "id":
        out[0] = value(v, true);
        break;
      case "properties":
        if (isPlainObject(v)) {
          const p = pairs(v, deepValue);
          if (p === null) throw new Failed("\0fproperties:" + index);
          out[1] = p;
        } else {
          const d = value(v, true);
          out[1] = Array.isArray(d) ? "\0oarray" : d;
        }
        break;
      case "idProperty":
        out[2] = value(v, true);
        break;
      case "objectWriteTraceId":
        out[3] = value(v, true);
        break;
      default:
        out.push(key);
    }
  }
  return out;
}

/** The inputs array of update() and buildBatchUpdateRequests(). */
export function encodeInputs(inputs) {
  if (!isArray(inputs)) return JSON.stringify("\0farray");
  const n = wholeLength(inputs);
  if (n < 0) return JSON.stringify("\0flength");
  const out = new Array(n);
  try {
    for (let i = 0; i < n; i++) {
      let item;
      try {
        item = inputs[i];
      } catch {
        throw new Failed("\0fitem:" + i);
      }
      out[i] = input(item, i);
    }
  } catch (e) {
    if (e instanceof Failed) return JSON.stringify(e.what);
    throw e;
  }
  return JSON.stringify(out);
}

/** Whether JSON.stringify would call a toJSON it should not: only Date's own may run. */
function toJsonPatched() {
  return (
    DATE_PROTOTYPE.toJSON !== DATE_TO_JSON ||
    DATE_PROTOTYPE.toISOString !== DATE_TO_ISO ||
    "toJSON" in OBJECT_PROTOTYPE ||
    "toJSON" in ARRAY_PROTOTYPE ||
    "toJSON" in String.prototype ||
    "toJSON" in Number.prototype ||
    "toJSON" in Boolean.prototype
  );
}

/**
 * The fast path of buildBatchUpdateRequests (src/json_inputs.rs): `JSON.stringify(inputs)`
 * when every input is plain enough that JSON writes what the long way would read: plain
 * objects with known fields, and values that are strings, finite numbers, booleans, null,
 * arrays of strings or plain valid Dates. Otherwise null, and the caller takes the long way
 * (encodeInputs), which also finds the error if there is one. The Rust side checks the text
 * again.
 *
 * A Date goes as its getTime() number, which is what HubSpot gets either way: properties
 * objects that hold one are copied with the number in its place (toJSON's ISO text would
 * cost more than the copy).
 */
export function quickInputs(inputs) {
  try {
    if (!Array.isArray(inputs) || inputs.toJSON !== undefined || toJsonPatched()) return null;
    let copy = null;
    for (let i = 0; i < inputs.length; i++) {
      const item = inputs[i];
      if (typeof item !== "object" || item === null || Object.getPrototypeOf(item) !== OBJECT_PROTOTYPE) return null;
      // for-in: no array per object. It also lists inherited enumerable keys, which are
      // then refused as unknown (the long way reads own keys only): never wrong, only slower.
      let props = null;
      for (const key in item) {
        const v = item[key];
        if (key === "properties") props = v;
        else if (key === "id") {
          if (typeof v !== "string") return null;
        } else if (key === "idProperty" || key === "objectWriteTraceId") {
          if (typeof v !== "string" && v !== undefined) return null;
        } else return null;
      }
      if (typeof props !== "object" || props === null) return null;
      const proto = Object.getPrototypeOf(props);
      if (proto !== OBJECT_PROTOTYPE && proto !== null) return null;
      let dated = false;
      for (const name in props) {
        if (name === "__proto__") return null; // the copy below could not hold it
        const v = props[name];
        switch (typeof v) {
          case "string":
          case "boolean":
            continue;
          case "number":
            if (Number.isFinite(v)) continue;
            return null;
          case "object":
            if (v === null) continue;
            if (Object.getPrototypeOf(v) === DATE_PROTOTYPE) {
              if (!Number.isFinite(v.getTime())) return null;
              dated = true;
              continue;
            }
            if (Array.isArray(v) && Object.getPrototypeOf(v) === ARRAY_PROTOTYPE && v.toJSON === undefined) {
              for (let e = 0; e < v.length; e++) if (typeof v[e] !== "string") return null;
              continue;
            }
            return null;
          default:
            return null;
        }
      }
      if (dated) {
        // The same properties with each Date as its getTime() number.
        const p = {};
        for (const name in props) {
          const v = props[name];
          p[name] = typeof v === "object" && v !== null && Object.getPrototypeOf(v) === DATE_PROTOTYPE ? v.getTime() : v;
        }
        if (copy === null) copy = inputs.slice(0, i);
        copy.push({ id: item.id, properties: p, idProperty: item.idProperty, objectWriteTraceId: item.objectWriteTraceId });
      } else if (copy !== null) copy.push(item);
    }
    return JSON.stringify(copy === null ? inputs : copy);
  } catch {
    return null;
  }
}
