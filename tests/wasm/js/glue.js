// The JS side of the wasm-bindgen-test suites (tests/glue.rs).
//
// The crate's JS glue (src/wasm) is private to Rust, but its #[wasm_bindgen] exports are linked
// into the test module, so the test module's own generated JS (the file the runner loads) exports
// HubSpotBatch, HubSpotError, formatPropertyValue... exactly as the npm package does. `load()`
// imports that module (already evaluated, so the same instance) and the functions below call
// into it, so the Rust tests exercise the glue through its real JS surface.
let api = null;

export function isNode() {
  return typeof process === "object" && process !== null && typeof process.versions?.node === "string";
}

export async function load() {
  if (api) return;
  // This file is served as snippets/<crate>-<hash>/js/glue.js next to the generated module:
  // Node runs it as `wasm-bindgen-test.js`; the browser runner imports `./wasm-bindgen-test`.
  const name = isNode() ? "wasm-bindgen-test.js" : "wasm-bindgen-test";
  const ns = await import(new URL(`../../../${name}`, import.meta.url).href);
  const m = typeof ns.formatPropertyValue === "function" ? ns : ns.default;
  if (!m || typeof m.HubSpotBatch !== "function" || typeof m.HubSpotError !== "function") {
    throw new Error(`the test module's glue does not export the package API (got: ${Object.keys(ns)})`);
  }
  api = m;
}

export const exportedNames = () => Object.keys(api).filter((k) => !k.startsWith("__")).sort();
export const formatPropertyValue = (v) => api.formatPropertyValue(v);
export const buildBatchUpdateRequests = (inputs, options) => api.buildBatchUpdateRequests(inputs, options);
export const parseBatchResponse = (status, body) => api.parseBatchResponse(status, body);
export const newClient = (options) => new api.HubSpotBatch(options);
export const update = (client, inputs, options) => client.update(inputs, options);
export const createBatchUpdateHandler = (options) => api.createBatchUpdateHandler(options);
export const callHandler = (handler, request) => handler(request);
export const isHubSpotError = (e) => e instanceof api.HubSpotError;
export const isError = (e) => e instanceof Error;

// What a fetch was called with as `this`: workerd throws "Illegal invocation" unless unbound.
export function recordingThis(f, seen) {
  return function (input, init) {
    seen.push(this === undefined || this === globalThis);
    return f(input, init);
  };
}

// A fetch answer that never comes; it rejects when the request's signal aborts (as fetch does).
export function pendingUntilAborted(init) {
  return new Promise((_, reject) => {
    const signal = init && init.signal;
    if (signal) signal.addEventListener("abort", () => reject(signal.reason ?? new Error("aborted")));
  });
}

export function setGlobalFetch(f) {
  const old = globalThis.fetch;
  globalThis.fetch = f;
  return old;
}

// new Request(url, { method, headers, body }); the browser drops a forbidden `Origin` header,
// so the tests ask whether it stuck.
export function makeRequest(url, method, headers, body) {
  return new Request(url, { method, headers, body: body ?? undefined });
}

export function symbolValue() {
  return Symbol("s");
}

export function bigintValue() {
  return 10n;
}

export function throwingGetterInput() {
  return [{ id: "1", get properties() { throw new Error("getter"); } }];
}

export function cyclicArray() {
  const a = ["x"];
  a.push(a);
  return a;
}

export function proxyThatThrows() {
  return new Proxy({}, { ownKeys() { throw new Error("trap"); }, get() { throw new Error("trap"); } });
}
