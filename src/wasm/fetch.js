// One fetch attempt, for src/wasm/transport.rs: JS, because a promise chain here is smaller
// in the shipped wasm than the same steps awaited from Rust (bench/SIZE-NOTES.md).

/** `text` with every `secret` (8 characters or more, as real tokens are) replaced. */
export function redact(text, secret) {
  return secret.length >= 8 && text.includes(secret) ? text.split(secret).join("[redacted]") : text;
}

// Causes that mean no connection was made, so the request never went out (Node's codes; a
// browser's "Failed to fetch" says nothing, and is taken as maybe sent).
const UNSENT = ["ECONNREFUSED", "ENOTFOUND", "EAI_AGAIN", "UND_ERR_CONNECT_TIMEOUT"];

/** The runtime's message for a failed fetch, with its cause's code (ECONNREFUSED...), and
 * `unsent` when that code says no connection was made. */
function failure(e, secret) {
  let message = "fetch failed";
  let unsent = false;
  try {
    message = typeof e?.message === "string" ? e.message : typeof e === "string" ? e : message;
    const cause = e?.cause?.code ?? e?.cause?.message;
    if (typeof cause === "string") {
      message += ` (${cause})`;
      unsent = UNSENT.includes(cause);
    }
  } catch {
    // an error whose fields throw: the plain message
  }
  return { error: redact(message, secret), unsent };
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

// The shared limiter (the `rateLimiter` option): the engine asks for a permit per request id
// and gives each back once; these only call the limiter and report.
const FAILED = Symbol("no permit");

/** A run's permits from `limiter`: asked for, given back, and the releases made. */
export function permits(limiter) {
  return { limiter, held: new Map(), calls: [] };
}

/** Asks `limiter.acquire()` for request `id`'s permit. Resolves when the request may be sent
 * (the permit's `waitMs` after it came; at once when the limiter failed, and the request goes
 * without one); `done`, when given, is called then (with 0). */
export function acquire(run, id, done) {
  const entry = { ready: false };
  entry.permit = new Promise((r) => r(run.limiter.acquire())).catch(() => FAILED);
  run.held.set(id, entry);
  return entry.permit
    .then((permit) => {
      entry.ready = true;
      const wait = permit?.waitMs;
      return new Promise((r) => setTimeout(r, typeof wait === "number" && wait > 0 ? wait : 0));
    })
    .then(() => done?.(0));
}

/** Gives request `id`'s permit back with `limiter.release(permit, answeredAt)` (`null`: never
 * sent); a permit still being asked for is given back when it comes. */
export function release(run, id, answeredAt) {
  const entry = run.held.get(id);
  if (!entry) return;
  run.held.delete(id);
  const call = entry.permit
    .then((permit) => permit === FAILED || run.limiter.release(permit, answeredAt ?? null))
    .catch(() => {});
  // Awaited when the run ends (a Worker may cancel what is left once it has answered); one
  // still waiting for its permit is not, so an abort is not held up by the limiter.
  if (entry.ready) run.calls.push(call);
}

/** `send` for one request outside a run (the proxy's forwarding) under a permit of `limiter`
 * (a RateLimiter), as permit 0: sent once permitted, given back with when its answer arrived
 * (or now, without one). */
export function sendUnder(limiter, ...args) {
  const run = permits(limiter);
  const sent = acquire(run, 0).then(() => send(...args));
  return settle(run, sent.then((a) => (release(run, 0, a.heard ?? Date.now()), a)));
}

/** `result` (a run's promise), settled once the releases made have been taken. */
export function settle(run, result) {
  const after = () => Promise.all(run.calls);
  return result.then(
    (v) => after().then(() => v),
    (e) => after().then(() => Promise.reject(e)),
  );
}

// The edge proxy's answers (src/wasm/proxy.rs): `headers` a flat [name, value, ...] list.
const RELAY_FAILED = '{"status":"error","category":"HTTP_ERROR","message":"the proxy could not relay HubSpot\'s answer","correlationId":""}';

/** A Response: no body for 101, 204, 205 and 304; `Content-Type: application/json` unless the
 * headers name one; a JSON 502 should the runtime refuse it. */
export function respond(status, body, headers) {
  try {
    const h = new Headers();
    for (let i = 0; i + 1 < headers.length; i += 2) h.append(headers[i], headers[i + 1]);
    if (!h.has("content-type")) h.set("Content-Type", "application/json");
    return new Response([101, 204, 205, 304].includes(status) ? null : body, { status, headers: h });
  } catch {
    return new Response(RELAY_FAILED, { status: 502, headers: { "Content-Type": "application/json" } });
  }
}
