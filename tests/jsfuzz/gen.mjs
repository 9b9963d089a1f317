// Seeded generators of hostile JS values for the API fuzzer (tests/jsfuzz/fuzz.mjs).
// Every value is built fresh from the seeded PRNG, so a failing case replays from its seed.

const HUGE = 1 << 21; // 2 MiB strings: big enough to stress copies, small enough to stay fast
let hugeCache = null;
function huge() {
  hugeCache ??= {
    ascii: "x".repeat(HUGE),
    unicode: "é😀".repeat(HUGE / 4),
    surrogate: "a".repeat(HUGE / 2) + "\uD800" + "b".repeat(16),
    semis: "a;".repeat(HUGE / 4),
    json: "[" + "1,".repeat(HUGE / 4) + "1]",
  };
  return hugeCache;
}

const SPECIAL_STRINGS = [
  "", " ", "a", "1", "12", "-1", "0", "1e3", "NaN", "Infinity", ";", "a;b", ";;", "\0", "\u0000x",
  "\uD800", "\uDC00", "x\uD800", "\uDBFF\uDFFF", "\uDFFF\uDBFF", "😀", "\u2028\u2029", "é", "\uFEFF",
  "__proto__", "constructor", "prototype", "toString", "valueOf", "hasOwnProperty", "then",
  "id", "properties", "idProperty", "objectWriteTraceId", "hs_object_id", "deal_external_id",
  "0-3", "deals", "contacts", "2-1234", "../x", "a/b", "%2F", "?x=1", "#f", "a b",
  "https://api.hubapi.com", "http://127.0.0.1:1", "http://example.com", "javascript:alert(1)",
  "{}", "[]", "null", '{"status":"COMPLETE","results":[]}', "<html>", "\\", '"', "'",
];

const NUMBERS = [
  NaN, Infinity, -Infinity, -0, 0, 1, -1, 0.5, 1.5, 2, 99, 100, 101, 1000, 1e21, 1e-7, 1e308, -1e308,
  5e-324, -5e-324, 2 ** 31, 2 ** 32, 2 ** 53, 2 ** 53 + 2, -(2 ** 53), 0.1 + 0.2, Number.MAX_VALUE,
  Number.MIN_VALUE, Number.EPSILON, 4294967295, 4294967296, 65535, 200, 207, 429, 500, 599, 600, 99.5,
];

const BIGINTS = [0n, 1n, -1n, 2n ** 64n, -(2n ** 63n), 10n ** 400n];

const FUZZ_SYMBOL = Symbol("fuzz");
const tag = (e) => Object.defineProperty(e, "fuzzThrown", { value: true });

/** Whether `e` is a value the generator's own traps throw (the user's exception, unwrapped). */
export function isFuzzThrown(e) {
  if (e === 42 || e === undefined || e === FUZZ_SYMBOL) return true;
  try {
    return !!(e && typeof e === "object" && e.fuzzThrown === true);
  } catch {
    return false;
  }
}

function throwWith(r) {
  // Not only Errors: users can throw anything.
  const what = r.int(7);
  return () => {
    switch (what) {
      case 0: throw tag(new Error("fuzz trap"));
      case 1: throw tag(new TypeError("fuzz type trap"));
      case 2: throw 42;
      case 3: throw FUZZ_SYMBOL;
      case 4: throw undefined;
      case 5: throw tag({ message: { toString() { throw new Error("nested"); } } });
      default: throw tag(new RangeError("fuzz range"));
    }
  };
}

/** How often the top-level generators return a valid value (see makeGen's "Valid by construction"). */
export const PLAUSIBLE = 0.75;

const TRAPS = ["get", "set", "has", "ownKeys", "getOwnPropertyDescriptor", "getPrototypeOf", "defineProperty",
  "deleteProperty", "isExtensible", "preventExtensions", "setPrototypeOf", "apply", "construct"];

export function makeGen(r) {
  const g = {};

  g.string = () => {
    const k = r.int(10);
    if (k < 4) return r.pick(SPECIAL_STRINGS);
    if (k < 8) {
      const len = r.int(r.chance(0.2) ? 400 : 20);
      let s = "";
      for (let i = 0; i < len; i++) {
        const c = r.int(10);
        s += c < 6 ? String.fromCharCode(32 + r.int(95)) : c < 8 ? String.fromCharCode(r.int(0x10000)) : c < 9 ? ";" : String.fromCodePoint(0x10000 + r.int(0xfffff));
      }
      return s;
    }
    if (k < 9) return r.chance(0.5) ? `${r.int(100000)}` : `ext-${r.int(1000)}`;
    return r.pick(Object.values(huge()));
  };

  g.number = () => (r.chance(0.7) ? r.pick(NUMBERS) : r.chance(0.5) ? r.int(10000) - 5000 : (r() - 0.5) * 10 ** (r.int(40) - 20));

  g.date = () => {
    switch (r.int(8)) {
      case 6: return Object.create(Date.prototype); // instanceof Date, but not a Date
      case 0: return new Date(NaN);
      case 1: return new Date(8.64e15);
      case 2: return new Date(-8.64e15);
      case 3: return new Date(0);
      case 4: { const d = new Date(1_700_000_000_000); Object.defineProperty(d, "getTime", { get: throwWith(r) }); return d; }
      case 5: { const d = new Date(1_700_000_000_000); Object.setPrototypeOf(d, null); return d; }
      default: return new Date(1_700_000_000_000 + r.int(1e9));
    }
  };

  g.func = () => {
    switch (r.int(6)) {
      case 0: return () => {};
      case 1: return async function () {};
      case 2: return class Foo {};
      case 3: return Math.max;
      case 4: return Object.assign(() => {}, { id: "1", properties: { amount: "1" } }); // looks like an input
      default: return function* () {};
    }
  };

  /** An object whose reads fail in one way or another. */
  g.hostile = (target = {}) => {
    switch (r.int(9)) {
      case 0: { // every trap throws
        const handler = {};
        for (const t of TRAPS) handler[t] = throwWith(r);
        return new Proxy(target, handler);
      }
      case 1: { // one random trap throws
        return new Proxy(target, { [r.pick(TRAPS)]: throwWith(r) });
      }
      case 2: { // revoked
        const { proxy, revoke } = Proxy.revocable(target, {});
        revoke();
        return proxy;
      }
      case 3: { // throwing getters on every own key, and on the usual field names
        const o = {};
        for (const k of [...Object.keys(target), "id", "properties", "accessToken", "baseUrl"]) {
          Object.defineProperty(o, k, { get: throwWith(r), enumerable: true, configurable: true });
        }
        return o;
      }
      case 4: { // a value that changes on every read (validate-then-use races)
        let n = 0;
        return new Proxy(target, {
          get(t, k, rcv) {
            n++;
            if (typeof k === "string" && n % 2 === 0) return r.chance(0.5) ? g.primitive() : undefined;
            return Reflect.get(t, k, rcv);
          },
        });
      }
      case 5: { // ownKeys lies: names keys that do not exist, or duplicates
        return new Proxy(target, {
          ownKeys: () => ["ghost", "ghost2", ...Reflect.ownKeys(target)],
          getOwnPropertyDescriptor: (t, k) => Reflect.getOwnPropertyDescriptor(t, k) ?? { value: undefined, enumerable: true, configurable: true },
        });
      }
      case 6: { // conversion hooks throw
        const o = Object.assign(Object.create(null), target);
        o.toString = throwWith(r);
        o.valueOf = throwWith(r);
        o.toJSON = throwWith(r);
        o[Symbol.toPrimitive] = throwWith(r);
        return o;
      }
      case 7: { // getter that returns a Proxy that throws
        const o = { ...target };
        Object.defineProperty(o, r.pick(["id", "properties", "fetch", "rateLimit"]), {
          get: () => new Proxy({}, { get: throwWith(r), ownKeys: throwWith(r) }), enumerable: true,
        });
        return o;
      }
      default: { // a Proxy whose prototype chain is a throwing Proxy
        return Object.create(new Proxy({}, { get: throwWith(r), has: throwWith(r) }), Object.getOwnPropertyDescriptors(target));
      }
    }
  };

  g.primitive = () => {
    switch (r.int(9)) {
      case 0: return undefined;
      case 1: return null;
      case 2: return r.chance(0.5);
      case 3: return r.pick(BIGINTS);
      case 4: return Symbol("fuzz");
      case 5: case 6: return g.number();
      default: return g.string();
    }
  };

  g.object = (depth = 0) => {
    switch (r.int(16)) {
      case 0: return {};
      case 1: return Object.create(null);
      case 2: return Object.freeze({ a: g.primitive() });
      case 3: return new (class Thing { constructor() { this.id = "1"; this.properties = { amount: "1" }; } })();
      case 4: return new Map([["id", "1"]]);
      case 5: return new Set(["a"]);
      case 6: return /re/g;
      case 7: return new Error("e");
      case 8: return Promise.resolve(1);
      case 9: return new Uint8Array(r.int(8));
      case 10: return r.pick([new String("s"), new Number(1), new Boolean(false), Object(Symbol("b")), Object(1n)]);
      case 11: { const o = { a: 1 }; o.self = o; return o; } // cyclic
      case 12: return g.hostile({ a: 1 });
      case 13: return new ArrayBuffer(4);
      case 14: return g.date();
      default: {
        const o = {};
        for (let i = r.int(4); i > 0; i--) o[g.string().slice(0, 20)] = depth < 3 ? g.any(depth + 1) : g.primitive();
        return o;
      }
    }
  };

  g.array = (depth = 0) => {
    switch (r.int(10)) {
      case 0: return [];
      case 1: { const a = new Array(r.int(5) + 1); return a; } // holes
      case 2: { const a = ["a"]; a.push(a); return a; } // cyclic
      case 3: { let a = []; for (let i = 0; i < 2000; i++) a = [a]; return a; } // deep
      case 4: return Object.freeze(["a", "b"]);
      case 5: { const a = ["a", "b"]; Object.defineProperty(a, 1, { get: throwWith(r) }); return a; }
      case 6: return g.hostile(["a", "b"]);
      case 7: return r.chance(0.1) ? new Array(100_000).fill("a") : Array.from({ length: r.int(6) }, () => g.string());
      case 8: { class MyArr extends Array {} return MyArr.from(["x", "y"]); }
      default: return Array.from({ length: r.int(5) }, () => (depth < 3 ? g.any(depth + 1) : g.primitive()));
    }
  };

  g.any = (depth = 0) => {
    const k = r.int(10);
    if (k < 4) return g.primitive();
    if (k < 5) return g.func();
    if (k < 6) return g.date();
    if (k < 8) return g.object(depth);
    return g.array(depth);
  };

  /** A valid property value, or a hostile one. */
  g.propertyValue = () => {
    if (r.chance(0.6)) {
      switch (r.int(7)) {
        case 0: return g.string();
        case 1: return g.number();
        case 2: return r.chance(0.5);
        case 3: return g.date();
        case 4: return Array.from({ length: r.int(4) }, () => (r.chance(0.9) ? g.string().slice(0, 30) : g.any()));
        case 5: return null;
        default: return `${r.int(100000)}.5`;
      }
    }
    return g.any();
  };

  /** A mostly valid input with, sometimes, one part replaced by something hostile. */
  g.input = (i = 0) => {
    const input = { id: r.chance(0.8) ? String(i + 1) : g.string(), properties: {} };
    for (let k = r.int(4); k > 0; k--) input.properties[r.chance(0.7) ? r.pick(["amount", "dealname", "dealstage", "tags", "closedate"]) : g.string().slice(0, 40)] = g.propertyValue();
    if (r.chance(0.15)) input.idProperty = r.chance(0.6) ? "deal_external_id" : g.any();
    if (r.chance(0.15)) input.objectWriteTraceId = r.chance(0.6) ? `t-${i}-${r.int(1e6)}` : g.any();
    switch (r.int(12)) {
      case 0: input.properties = g.any(); break;
      case 1: input.id = g.any(); break;
      case 2: input[g.string().slice(0, 20)] = g.any(); break; // unknown field
      case 3: return g.hostile(input);
      case 4: return g.any();
      case 5: delete input.id; break;
      case 6: input.properties = g.hostile(input.properties); break;
      case 7: Object.setPrototypeOf(input, null); break;
      case 8: Object.freeze(input); break;
    }
    return input;
  };

  // ---- Valid by construction: what the package must accept. The top-level generators below
  // (inputs, buildOptions, clientOptions, updateOptions) return one of these most of the time
  // (PLAUSIBLE), so that the checks that run only on success ("nothing lost", requests cover
  // every input, the same instance keeps updating) see hundreds of cases, not twenty; the
  // rest are hostile. The jsfuzz test fails when fewer than half of a target's calls succeed.

  /** Any well-formed string (no lone surrogate): specials, random unicode, sometimes long. */
  g.wellFormed = () => {
    for (;;) {
      const s = r.chance(0.05) ? r.pick(["x".repeat(5000), "é😀".repeat(2000)]) : g.string();
      if (s.length <= HUGE / 2 && s.isWellFormed()) return s;
    }
  };
  /** `s` cut to at most `n` code units without splitting a surrogate pair. */
  const cut = (s, n) => {
    const t = s.slice(0, n);
    return t.isWellFormed() ? t : t.slice(0, -1);
  };
  g.validNumber = () => {
    for (;;) {
      const n = g.number();
      if (Number.isFinite(n)) return n;
    }
  };
  g.validDate = () => new Date(r.pick([0, 8.64e15, -8.64e15, 1_700_000_000_000 + r.int(1e9), -r.int(1e12), 0.5, -0.5]));
  g.validPropertyValue = () => {
    switch (r.int(8)) {
      case 0: case 1: return g.wellFormed();
      case 2: return g.validNumber();
      case 3: return r.chance(0.5);
      case 4: return g.validDate();
      case 5: return Array.from({ length: r.int(4) }, () => cut(g.wellFormed().replaceAll(";", ","), 40));
      case 6: return null;
      default: return `${r.int(100000)}.5`;
    }
  };
  /** A valid input; `i` makes its id and trace id unique within the call. */
  g.validInput = (i = 0) => {
    const input = { id: String(i + 1), properties: {} };
    switch (r.int(5)) {
      case 0: input.id = `ext-${i}`; input.idProperty = "deal_external_id"; break;
      case 1: input.id = `${cut(g.wellFormed(), 30)}-${i}`; break;
      case 2: input.id = String(i + 1); input.idProperty = "hs_object_id"; break;
      default: break;
    }
    for (let k = r.int(5); k > 0; k--) {
      const name = r.chance(0.7) ? r.pick(["amount", "dealname", "dealstage", "tags", "closedate", "description"]) : cut(g.wellFormed(), 40) || "p";
      // defineProperty: a name such as "__proto__" is an own property, not the prototype
      Object.defineProperty(input.properties, name, { value: g.validPropertyValue(), enumerable: true, writable: true, configurable: true });
    }
    if (r.chance(0.3)) input.objectWriteTraceId = `t-${i}-${r.int(1e6)}`;
    switch (r.int(10)) { // valid, but not plain: the package must read them all the same
      case 0: Object.setPrototypeOf(input, null); break;
      case 1: Object.freeze(input); break;
      case 2: Object.setPrototypeOf(input.properties, null); break;
      default: break;
    }
    return input;
  };
  g.validInputs = () => {
    const n = r.chance(0.05) ? 100 + r.int(200) : r.int(7);
    return Array.from({ length: n }, (_, i) => g.validInput(i));
  };
  const VALID_BASE_URLS = ["https://api.hubapi.com", "http://127.0.0.1:1", "http://localhost:1", "http://[::1]:1", "https://a/b",
    "http://127.255.255.255:65535/", "https://hubspot-proxy.example.workers.dev", "HTTP://LOCALHOST:1"];
  const VALID_OBJECT_TYPES = ["0-3", "deals", "contacts", "2-1234", "0-1", "p_custom_1"];
  const VALID_TOKENS = ["tok", "pat-na1-00000000-0000-0000-0000-000000000000", "x".repeat(500), "!~#$%&'*+-.^_`|"];
  g.validBuildOptions = () => {
    const o = {};
    if (r.chance(0.6)) o.accessToken = r.pick(VALID_TOKENS);
    if (r.chance(0.4)) o.baseUrl = r.pick(VALID_BASE_URLS);
    if (r.chance(0.4)) o.objectType = r.pick(VALID_OBJECT_TYPES);
    if (r.chance(0.4)) o.batchSize = 1 + r.int(100);
    if (r.chance(0.3)) o.idProperty = r.pick(["deal_external_id", "hs_object_id", "email"]);
    return o;
  };
  g.validClientOptions = () => {
    const o = g.validBuildOptions();
    delete o.idProperty;
    // Without a token, baseUrl must be a proxy (one that adds it), not HubSpot itself.
    if (!o.accessToken && (o.baseUrl ?? "https://api.hubapi.com") === "https://api.hubapi.com") o.baseUrl = r.pick(VALID_BASE_URLS.slice(1));
    if (r.chance(0.3)) o.concurrency = 1 + r.int(r.chance(0.5) ? 10 : 1000);
    if (r.chance(0.3)) o.rateLimit = r.chance(0.3) ? null : { requests: 1 + r.int(1000), intervalMs: r.chance(0.5) ? 1 + r.int(60_000) : 0.5 };
    if (r.chance(0.3)) o.maxRetries = r.int(101);
    if (r.chance(0.3)) o.timeoutMs = r.chance(0.8) ? 1 + r.int(60_000) : 0.25;
    if (r.chance(0.3)) o.fetch = r.pick([undefined, () => {}, globalThis.fetch, async () => new Response("{}")]);
    return o;
  };
  g.validUpdateOptions = () => {
    const o = {};
    if (r.chance(0.3)) o.idProperty = r.pick(["deal_external_id", "hs_object_id"]);
    if (r.chance(0.3)) o.signal = new AbortController().signal;
    if (r.chance(0.3)) o.onProgress = r.pick([() => {}, throwWith(r), () => { throw new Error("progress trap"); }]);
    return r.chance(0.15) ? undefined : o;
  };

  g.inputs = () => {
    if (r.chance(PLAUSIBLE)) return g.validInputs();
    switch (r.int(10)) {
      case 0: return g.any();
      case 1: return g.hostile(Array.from({ length: 2 }, (_, i) => g.input(i)));
      case 2: { const a = Array.from({ length: r.int(3) }, (_, i) => g.input(i)); a.push(a); return a; }
      default: return Array.from({ length: r.int(r.chance(0.1) ? 250 : 6) }, (_, i) => g.input(i));
    }
  };

  const CLIENT_KEYS = ["accessToken", "baseUrl", "objectType", "batchSize", "concurrency", "rateLimit", "maxRetries", "timeoutMs", "fetch"];
  g.optionValue = (key) => {
    if (r.chance(0.5)) {
      switch (key) {
        case "accessToken": return r.pick(["tok", "", " ", "a\nb", "\uD800", "x".repeat(5000), "Bearer x"]);
        case "baseUrl": return r.pick(["https://api.hubapi.com", "http://127.0.0.1:1", "http://localhost:1", "http://[::1]:1",
          "http://example.com", "http://10.0.0.1", "http://127.0.0.1.evil.com", "ftp://x", "", "not a url", "https://a/b?c#d",
          "http://127.255.255.255:65535/", "http://0.0.0.0", "http://localhost.evil.com", "https://user:pw@x.com", "http://[::ffff:127.0.0.1]:1"]);
        case "objectType": return r.pick(["0-3", "deals", "contacts", "2-1234", "", "../../x", "a/b", "0-3?x", "%2e%2e"]);
        case "rateLimit": return r.pick([null, { requests: 1, intervalMs: 1 }, { requests: 0, intervalMs: 1 }, { requests: 1e9, intervalMs: 1e9 },
          { requests: NaN, intervalMs: 1 }, { requests: 1 }, { requests: 1, intervalMs: 1, extra: 1 }, [], "100/10000"]);
        case "fetch": return r.pick([undefined, null, () => {}, "fetch", {}, globalThis.fetch]);
        default: return g.number();
      }
    }
    return g.any();
  };
  g.clientOptions = () => {
    if (r.chance(PLAUSIBLE)) return g.validClientOptions();
    switch (r.int(8)) {
      case 0: return g.any();
      case 1: return g.hostile({ accessToken: "t", baseUrl: "http://127.0.0.1:1" });
      default: {
        const o = {};
        for (const k of CLIENT_KEYS) if (r.chance(0.4)) o[k] = g.optionValue(k);
        if (r.chance(0.1)) o[g.string().slice(0, 20)] = g.any();
        if (r.chance(0.1)) Object.setPrototypeOf(o, r.chance(0.5) ? null : { accessToken: "proto-token" });
        return o;
      }
    }
  };
  g.buildOptions = () => {
    if (r.chance(PLAUSIBLE)) return g.validBuildOptions();
    if (r.chance(0.15)) return g.any();
    const o = {};
    for (const k of ["accessToken", "baseUrl", "objectType", "batchSize", "idProperty"]) if (r.chance(0.4)) o[k] = k === "idProperty" ? (r.chance(0.5) ? "deal_external_id" : g.any()) : g.optionValue(k);
    if (r.chance(0.1)) o[g.string().slice(0, 20)] = 1;
    return r.chance(0.1) ? g.hostile(o) : o;
  };
  g.updateOptions = () => {
    if (r.chance(PLAUSIBLE)) return g.validUpdateOptions();
    switch (r.int(10)) {
      case 0: return g.any();
      case 1: return undefined;
      case 2: return g.hostile({ idProperty: "deal_external_id" });
      default: {
        const o = {};
        if (r.chance(0.3)) o.idProperty = r.chance(0.5) ? "deal_external_id" : g.any();
        if (r.chance(0.3)) o.signal = r.pick([AbortSignal.abort("pre-aborted"), new AbortController().signal, { aborted: false }, g.any()]);
        if (r.chance(0.3)) o.onProgress = r.pick([() => {}, throwWith(r), g.any(), () => { throw new Error("progress trap"); }]);
        if (r.chance(0.1)) o[g.string().slice(0, 20)] = 1;
        return o;
      }
    }
  };

  /** A JSON-ish response body, from plausible to garbage. */
  g.body = (sentInputs = []) => {
    switch (r.int(14)) {
      case 0: return "";
      case 1: return g.string();
      case 2: return "[".repeat(r.int(200_000)) + "]".repeat(r.int(3));
      case 3: return '{"status":"COMPLETE","results":' + "[".repeat(20_000) + "]".repeat(20_000) + "}";
      case 4: return JSON.stringify(g.jsonValue(0));
      case 5: return huge().json;
      case 6: { const b = JSON.stringify(g.batchBody(sentInputs)); return b.slice(0, r.int(b.length + 1)); }
      case 7: return JSON.stringify(g.errorBody());
      case 8: return '{"status":"COMPLETE","results":[{"id":"1","properties":{"a":"\\uD800"}}],"x":' + "1".repeat(400) + "}";
      case 9: return '{"status":"COMPLETE","results":[],"results":[{"id":"1"}]}'; // duplicate key
      default: return JSON.stringify(g.batchBody(sentInputs));
    }
  };
  g.jsonValue = (d) => {
    switch (r.int(d > 3 ? 4 : 7)) {
      case 0: return null;
      case 1: return g.number();
      case 2: return r.chance(0.5);
      case 3: return g.string().slice(0, 100);
      case 4: return Array.from({ length: r.int(4) }, () => g.jsonValue(d + 1));
      default: {
        const o = {};
        for (let i = r.int(5); i > 0; i--) o[r.pick(["status", "results", "errors", "numErrors", "id", "properties", "objectWriteTraceId", "category", "message", "context", g.string().slice(0, 10)])] = g.jsonValue(d + 1);
        return o;
      }
    }
  };
  /** A 200/207-shaped body echoing some of `sent` (the inputs of the request), adversarially. */
  g.batchBody = (sent) => {
    const results = [];
    for (const x of sent) {
      if (r.chance(0.3)) continue; // left out
      const o = { id: x.id, properties: { amount: "1" }, createdAt: "2024-01-01T00:00:00Z", updatedAt: "2024-01-01T00:00:00Z", archived: false };
      switch (r.int(8)) {
        case 0: o.id = String(r.int(100)); break; // someone else
        case 1: o.objectWriteTraceId = `wrong-${r.int(100)}`; break;
        case 2: if (x.objectWriteTraceId) o.objectWriteTraceId = x.objectWriteTraceId; break;
        case 3: o.properties = g.jsonValue(3); break;
        case 4: if (x.idProperty) { o.id = String(r.int(100)); o.properties[x.idProperty] = x.id; } break;
        case 5: o.id = g.jsonValue(3); break;
        default: if (x.objectWriteTraceId && r.chance(0.7)) o.objectWriteTraceId = x.objectWriteTraceId;
      }
      results.push(o);
      if (r.chance(0.1)) results.push({ ...o }); // duplicated
    }
    if (r.chance(0.2)) results.push({ id: "999999", properties: {} }); // not asked for
    for (let i = results.length - 1; i > 0; i--) { const j = r.int(i + 1); [results[i], results[j]] = [results[j], results[i]]; }
    const body = { status: r.chance(0.9) ? "COMPLETE" : r.pick(["PENDING", "CANCELED", "weird", 1]), results, startedAt: "2024-01-01T00:00:00Z", completedAt: "2024-01-01T00:00:01Z" };
    if (r.chance(0.3)) {
      const pick = sent.filter(() => r.chance(0.3));
      body.numErrors = r.chance(0.8) ? 1 : "x";
      body.errors = [{ status: "error", category: r.pick(["OBJECT_NOT_FOUND", "VALIDATION_ERROR", g.string().slice(0, 20)]), message: "m",
        context: r.chance(0.8) ? { ids: pick.map((x) => x.id) } : g.jsonValue(2), ...(r.chance(0.3) && pick[0]?.objectWriteTraceId ? { objectWriteTraceId: pick[0].objectWriteTraceId } : {}) }];
    }
    if (r.chance(0.05)) delete body.results;
    return body;
  };
  g.errorBody = () => {
    const body = { status: "error", message: r.chance(0.2) ? `Property values were not valid: ${r.chance(0.5) ? JSON.stringify([{ isValid: false, message: "bad", error: "INVALID_OPTION", name: r.pick(["amount", "dealstage"]) }]) : g.string().slice(0, 50)}` : g.string().slice(0, 80),
      correlationId: r.chance(0.8) ? "0e2d3c4b-1111-4222-8333-444455556666" : g.jsonValue(3), category: r.pick(["VALIDATION_ERROR", "RATE_LIMITS", "CONFLICT", "INTERNAL_ERROR", "OBJECT_NOT_FOUND", "MISSING_SCOPES", "INVALID_AUTHENTICATION", g.string().slice(0, 20)]) };
    if (r.chance(0.4)) { body.errorType = "RATE_LIMIT"; body.policyName = r.pick(["TEN_SECONDLY_ROLLING", "SECONDLY", "DAILY", "weird", 3]); }
    if (r.chance(0.3)) body.errors = g.jsonValue(2);
    if (r.chance(0.2)) body.context = g.jsonValue(2);
    if (r.chance(0.1)) body.subCategory = g.jsonValue(2);
    return body;
  };

  return g;
}
