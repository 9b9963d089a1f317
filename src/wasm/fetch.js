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
 * One attempt (under a permit of `limiter`, a RateLimiter, when given): `fetch(url, init)` called unbound (workerd requires it; `fetch` is the caller's
 * or the runtime's global one, looked up now), redirects not followed, and the answer's status,
 * the headers named in `names` (null when absent) and body text read. Resolves, never rejects:
 * `{ status, heard, headers, text }` (an echoed token redacted) or `{ error }`. Settles as soon
 * as `signal` aborts, even with a fetch that ignores it. `done`, when given, is called with it.
 */
export function send(fetch, url, method, headers, body, signal, names, secret, done, limiter) {
  if (limiter) {
    // One request outside a run (the proxy's forwarding) under a shared limiter, as permit 0:
    // sent once permitted, given back with when its answer arrived (or now, without one).
    const run = permits(limiter);
    const settled = acquire(run, 0)
      .then((at) => new Promise((r) => setTimeout(r, at - Date.now())))
      .then(() => send(fetch, url, method, headers, body, signal, names, secret));
    return settle(run, settled.then((a) => (release(run, 0, a.heard ?? Date.now()), a))).then((a) => {
      if (done) done(a);
      return a;
    });
  }
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

/** Asks `limiter.acquire()` for request `id`'s permit. Resolves with when the request may be
 * sent (epoch ms: now plus the permit's `waitMs`), or NaN when the limiter failed; `done`,
 * when given, is called with it too. */
export function acquire(run, id, done) {
  const entry = { ready: false };
  let at = NaN;
  entry.permit = new Promise((r) => r(run.limiter.acquire())).then(
    (permit) => {
      const wait = permit?.waitMs;
      at = Date.now() + (typeof wait === "number" && wait > 0 ? wait : 0);
      return permit;
    },
    () => FAILED,
  );
  run.held.set(id, entry);
  return entry.permit.then(() => {
    entry.ready = true;
    if (done) done(at);
    return at;
  });
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

/** `result` (a run's promise), settled once the releases made have been taken. */
export function settle(run, result) {
  const after = () => Promise.all(run.calls);
  return result.then(
    (v) => after().then(() => v),
    (e) => after().then(() => Promise.reject(e)),
  );
}
