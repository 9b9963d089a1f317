// The JS half of reading a plain batch answer during update() (src/wasm/answers.rs says
// when an answer is plain, and why this way): JSON.parse builds the objects handed to the
// caller, and the engine gets a small JSON text with only what it matches results by.

const DECODER = new TextDecoder("utf-8", { ignoreBOM: true });

/**
 * The answer's bytes (an ArrayBuffer the Rust side found plain) parsed: `[results, keys]`,
 * `keys` being `{"status", "results": [{"id", "objectWriteTraceId", "properties"}]}` as JSON
 * text, the properties only those named in `idProperties`. Null when the answer has
 * per-item errors (the long way reads those in full).
 */
export function plainAnswer(bytes, idProperties) {
  const body = JSON.parse(DECODER.decode(bytes));
  if (body.errors !== undefined && body.errors.length > 0) return null;
  const results = body.results;
  const keys = new Array(results.length);
  for (let j = 0; j < results.length; j++) {
    const o = results[j];
    // No prototype: an id property named "__proto__" stays a key.
    const properties = Object.create(null);
    for (let p = 0; p < idProperties.length; p++) {
      const name = idProperties[p];
      if (Object.hasOwn(o.properties, name)) properties[name] = o.properties[name];
    }
    // Every field the engine matches a result by (src/engine/ledger.rs: `apply`, `names`);
    // one it starts to read must be carried here too, or plain answers would lack it.
    keys[j] = { id: o.id, objectWriteTraceId: o.objectWriteTraceId, properties };
  }
  return [results, JSON.stringify({ status: body.status, results: keys })];
}

/**
 * Puts `results[places[n + 1]]` at `byInput[places[n]]` for each triple of `places`, and
 * deletes its `objectWriteTraceId` where `places[n + 2]` is 0 (the engine took it out: a
 * trace id it made itself).
 */
export function placeResults(byInput, results, places) {
  for (let n = 0; n + 2 < places.length; n += 3) {
    const o = results[places[n + 1]];
    if (places[n + 2] === 0 && o.objectWriteTraceId !== undefined) delete o.objectWriteTraceId;
    byInput[places[n]] = o;
  }
}
