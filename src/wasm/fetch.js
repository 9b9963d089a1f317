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
