// Pure helpers for the demo page (no DOM): CSV parsing and writing, turning pasted text into
// BatchUpdateInput objects, and a sample-data generator. Imported by app.js in the browser and
// by tests/demo/demo.test.mjs in Node.

export const DEAL_STAGES = [
  "appointmentscheduled", "qualifiedtobuy", "presentationscheduled",
  "decisionmakerboughtin", "contractsent", "closedwon", "closedlost",
];
export const DEAL_TAGS = ["hot", "cold", "renewal", "upsell", "enterprise", "smb"];
export const LIFECYCLE_STAGES = [
  "subscriber", "lead", "marketingqualifiedlead", "salesqualifiedlead",
  "opportunity", "customer", "evangelist", "other",
];

// ---------------------------------------------------------------- CSV

/**
 * Parses RFC 4180 CSV (quoted fields, "" escapes, CRLF or LF, commas or semicolons or tabs).
 * Returns an array of rows (arrays of strings). Blank lines are dropped.
 */
export function parseCsv(text, delimiter = detectDelimiter(text)) {
  const rows = [];
  let row = [], field = "", quoted = false, i = 0, fieldStarted = false;
  const n = text.length;
  if (text.charCodeAt(0) === 0xfeff) i = 1; // BOM from spreadsheet exports
  const endField = () => { row.push(field); field = ""; fieldStarted = false; };
  const endRow = () => {
    endField();
    if (!(row.length === 1 && row[0] === "")) rows.push(row);
    row = [];
  };
  for (; i < n; i++) {
    const c = text[i];
    if (quoted) {
      if (c === '"') {
        if (text[i + 1] === '"') { field += '"'; i++; } else quoted = false;
      } else field += c;
    } else if (c === '"' && !fieldStarted) { quoted = true; fieldStarted = true; }
    else if (c === delimiter) endField();
    else if (c === "\n") endRow();
    else if (c === "\r") { if (text[i + 1] !== "\n") endRow(); }
    else { field += c; fieldStarted = true; }
  }
  if (quoted) throw new SyntaxError("CSV: a quoted field is not closed");
  if (field !== "" || row.length > 0) endRow();
  return rows;
}

function detectDelimiter(text) {
  const first = text.slice(0, text.search(/\r?\n|$/));
  const counts = [",", ";", "\t"].map((d) => [d, first.split(d).length - 1]);
  counts.sort((a, b) => b[1] - a[1]);
  return counts[0][1] > 0 ? counts[0][0] : ",";
}

const csvCell = (v) => {
  const s = v == null ? "" : String(v);
  return /[",\r\n;]/.test(s) || /^\s|\s$/.test(s) ? `"${s.replace(/"/g, '""')}"` : s;
};

/** Writes rows (arrays) as CSV with CRLF line ends, quoting only where needed. */
export function toCsv(rows) {
  return rows.map((r) => r.map(csvCell).join(",")).join("\r\n") + "\r\n";
}

// ---------------------------------------------------------------- input text -> inputs

/** The batch operations the page offers, and what their inputs are made of. */
export const OPERATIONS = ["update", "upsert", "create", "archive", "read"];
/** Operations whose inputs are only ids (other columns are ignored). */
export const ID_ONLY = new Set(["archive", "read"]);

/**
 * Turns pasted or uploaded text into the inputs of `operation` (default "update").
 *
 * CSV: a header row with an `id` column; every other column is a property, except columns
 * whose name starts with `#` (comments, e.g. the `#error` column of a downloaded failure file).
 * Empty cells are left out unless `emptyClears` (then they send "" which clears the value).
 * For `create` the `id` column is optional and ignored (a new record has no id yet: each row is
 * a set of properties); for `archive` and `read` only the `id` column is used.
 *
 * JSON: an array (or `{inputs: [...]}`) of either input objects
 * (`{id, properties, idProperty?, objectWriteTraceId?}`; for create `{properties,
 * associations?, objectWriteTraceId?}`) or flat objects (`{id, amount, ...}`); for archive and
 * read also plain ids (`["12", 13]`). Values are passed through untouched, so the package's own
 * validation and formatting apply.
 *
 * Returns `{format, operation, inputs, ids, columns, rows}`: `inputs` are what the package's
 * `operation` takes (BatchUpdateInput / BatchUpsertInput / BatchCreateInput / id strings),
 * `ids` the id of each row as given (`null` for create), `rows` the original records (objects
 * of column -> value) aligned with `inputs`, used to write failed rows back out. Throws
 * SyntaxError with a readable message for text that is neither.
 */
export function parseInputText(text, { format = "auto", emptyClears = false, operation = "update" } = {}) {
  if (!OPERATIONS.includes(operation)) throw new TypeError(`unknown operation ${operation}`);
  const trimmed = text.trim();
  if (!trimmed) return { format: "empty", operation, inputs: [], ids: [], columns: [], rows: [] };
  const fmt = format === "auto" ? (/^[[{]/.test(trimmed) ? "json" : "csv") : format;
  const parsed = fmt === "json" ? parseJsonInputs(trimmed, operation) : parseCsvInputs(text, emptyClears, operation);
  return { ...parsed, operation };
}

/** The input `operation` takes, from a row's id and properties (and the JSON item's extra fields). */
function shapeInput(operation, id, properties, extra = {}) {
  if (ID_ONLY.has(operation)) return id;
  if (operation === "create") {
    const input = { properties };
    if (extra.associations !== undefined) input.associations = extra.associations;
    if (extra.objectWriteTraceId !== undefined) input.objectWriteTraceId = extra.objectWriteTraceId;
    return input;
  }
  const input = { id, properties };
  if (extra.idProperty !== undefined) input.idProperty = extra.idProperty;
  if (extra.objectWriteTraceId !== undefined) input.objectWriteTraceId = extra.objectWriteTraceId;
  return input;
}

function parseCsvInputs(text, emptyClears, operation) {
  const table = parseCsv(text);
  if (table.length === 0) return { format: "csv", inputs: [], ids: [], columns: [], rows: [] };
  const header = table[0].map((h) => h.trim());
  const idCol = header.findIndex((h) => h.toLowerCase() === "id");
  const create = operation === "create";
  if (idCol < 0 && !create) throw new SyntaxError(`CSV: the header row needs an "id" column (found: ${header.join(", ") || "nothing"})`);
  const seen = new Set();
  header.forEach((h, i) => {
    if (!h && i !== idCol) throw new SyntaxError(`CSV: column ${i + 1} has no name in the header row`);
    if (seen.has(h)) throw new SyntaxError(`CSV: column "${h}" appears twice in the header row`);
    seen.add(h);
  });
  const propCols = ID_ONLY.has(operation) ? [] : header.map((h, i) => i).filter((i) => i !== idCol && !header[i].startsWith("#"));
  const inputs = [], ids = [], rows = [];
  for (let r = 1; r < table.length; r++) {
    const cells = table[r];
    if (cells.length > header.length && cells.slice(header.length).some((c) => c !== ""))
      throw new SyntaxError(`CSV line ${r + 1}: ${cells.length} cells but the header has ${header.length}`);
    const properties = {};
    for (const i of propCols) {
      const v = cells[i] ?? "";
      if (v !== "" || emptyClears) properties[header[i]] = v;
    }
    const id = create ? null : (cells[idCol] ?? "").trim();
    inputs.push(shapeInput(operation, id, properties));
    ids.push(id);
    rows.push(Object.fromEntries(header.map((h, i) => [h, cells[i] ?? ""])));
  }
  return { format: "csv", inputs, ids, columns: header, rows };
}

function parseJsonInputs(text, operation) {
  let data;
  try { data = JSON.parse(text); } catch (err) { throw new SyntaxError(`JSON: ${err.message}`); }
  if (data && !Array.isArray(data) && Array.isArray(data.inputs)) data = data.inputs;
  if (!Array.isArray(data)) throw new SyntaxError("JSON: expected an array of objects (or {\"inputs\": [...]})");
  const idOnly = ID_ONLY.has(operation), create = operation === "create";
  const columns = new Set(create ? [] : ["id"]);
  const ids = [];
  const inputs = data.map((item, i) => {
    if (idOnly && (typeof item === "string" || typeof item === "number")) {
      ids.push(String(item));
      return String(item);
    }
    if (!item || typeof item !== "object" || Array.isArray(item))
      throw new SyntaxError(`JSON: item ${i} is not an object`);
    const id = create ? null : typeof item.id === "number" ? String(item.id) : item.id;
    ids.push(id);
    if (idOnly) return id;
    let input;
    if (item.properties && typeof item.properties === "object" && !Array.isArray(item.properties)) {
      // Passed through whole (an unknown field such as a typo is the package's to refuse);
      // a create input has no id.
      const { id: _id, ...rest } = item;
      input = create ? rest : { ...item, id };
    } else {
      const { id: _id, idProperty, objectWriteTraceId, associations, ...properties } = item;
      input = shapeInput(operation, id, properties, { idProperty, objectWriteTraceId, associations });
    }
    for (const k of Object.keys(input.properties)) columns.add(k);
    return input;
  });
  const cols = [...columns];
  const rows = inputs.map((inp, i) => Object.fromEntries(cols.map((c) => [c, c === "id" ? ids[i] : inp.properties?.[c]])));
  return { format: "json", inputs, ids, columns: cols, rows };
}

/** A cell value of a JSON record, as text for CSV output. */
export function cellText(v) {
  if (v == null) return "";
  if (Array.isArray(v)) return v.join(";");
  if (v instanceof Date) return String(v.getTime());
  if (typeof v === "object") return JSON.stringify(v);
  return String(v);
}

// ---------------------------------------------------------------- sample data

/** Small seeded PRNG (mulberry32) so a sample can be regenerated exactly. */
export function rng(seed) {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

const DEAL_INVALID = [
  ["dealstage", () => "negotiation"],               // not one of the pipeline's stages
  ["amount", () => "12k"],                          // not a plain decimal
  ["closedate", () => "next friday"],               // not a date
  ["tags", () => "hot;lukewarm"],                   // one option unknown
  ["dealstage", () => "Closed Won"],                // label instead of internal value
  ["amount", () => "1e3"],                          // exponents are refused
];
const CONTACT_INVALID = [
  ["email", (id) => `user${id}-at-example.com`],
  ["lifecyclestage", () => "champion"],
];

/**
 * Generates `count` sample rows for `objectType` ("deals" or "contacts") as CSV text.
 * About `invalidRate` of them (at least one when count >= 20 and rate > 0) carry one
 * deliberately invalid value. Ids are distinct seeded record ids (1..poolSize), so every valid
 * row targets an existing record when count <= poolSize. Returns `{csv, invalid}` where
 * `invalid` lists the ids of the rows that were made invalid (for display only).
 */
export function generateSample({ objectType = "deals", count = 200, invalidRate = 0.02, seed = Date.now() & 0xffff, poolSize } = {}) {
  const rand = rng(seed);
  const pick = (arr) => arr[Math.floor(rand() * arr.length)];
  const contacts = objectType === "contacts" || objectType === "0-1";
  const pool = poolSize ?? (contacts ? 200 : 3000);
  // Distinct ids: a shuffled 1..max(pool, count) cut to count.
  const ids = Array.from({ length: Math.max(pool, count) }, (_, i) => i + 1);
  for (let i = ids.length - 1; i > 0; i--) {
    const j = Math.floor(rand() * (i + 1));
    [ids[i], ids[j]] = [ids[j], ids[i]];
  }
  ids.length = count;
  const nInvalid = invalidRate > 0 ? Math.max(count >= 20 ? 1 : 0, Math.round(count * invalidRate)) : 0;
  const invalidAt = new Set();
  while (invalidAt.size < Math.min(nInvalid, count)) invalidAt.add(Math.floor(rand() * count));

  const columns = contacts
    ? ["id", "firstname", "lastname", "lifecyclestage", "email"]
    : ["id", "dealname", "amount", "dealstage", "closedate", "tags"];
  const firstNames = ["Ada", "Grace", "Alan", "Edsger", "Barbara", "Ken", "Radia", "Linus", "Margaret", "Donald"];
  const lastNames = ["Lovelace", "Hopper", "Turing", "Dijkstra", "Liskov", "Thompson", "Perlman", "Torvalds", "Hamilton", "Knuth"];
  const rows = [], invalid = [];
  ids.forEach((id, i) => {
    let r;
    if (contacts) {
      r = {
        id: String(id),
        firstname: pick(firstNames),
        lastname: rand() < 0.6 ? pick(lastNames) : "",
        lifecyclestage: rand() < 0.7 ? pick(LIFECYCLE_STAGES) : "",
        email: "",
      };
    } else {
      const day = Date.UTC(2025, 0, 1) + Math.floor(rand() * 365) * 86_400_000;
      r = {
        id: String(id),
        dealname: rand() < 0.25 ? `Deal ${id} (renewal, ${pick(["Q1", "Q2", "Q3", "Q4"])})` : "",
        amount: (Math.round(rand() * 5_000_000) / 100).toFixed(2),
        dealstage: rand() < 0.6 ? pick(DEAL_STAGES) : "",
        closedate: rand() < 0.35 ? new Date(day).toISOString().slice(0, 10) : "",
        tags: rand() < 0.2 ? [pick(DEAL_TAGS), pick(DEAL_TAGS)].filter((t, k, a) => a.indexOf(t) === k).join(";") : "",
      };
    }
    if (invalidAt.has(i)) {
      const [prop, bad] = pick(contacts ? CONTACT_INVALID : DEAL_INVALID);
      r[prop] = bad(id);
      invalid.push(String(id));
    }
    rows.push(columns.map((c) => r[c]));
  });
  return { csv: toCsv([columns, ...rows]), invalid };
}

/**
 * Stage values a spreadsheet plausibly holds but the pipeline does not: labels instead of
 * internal values, an old stage name, typos. None is one of `DEAL_STAGES`.
 */
export const DIRTY_DEAL_STAGES = ["Closed Won", "negotiation", "closed_won", "Qualified To Buy", "contract-sent"];

/**
 * The "dirty data" sample: `count` deals for update (distinct seeded record ids, an amount and
 * a valid `dealstage` each), of which exactly `round(count * invalidRate)` (at least one when
 * the rate is above 0) have a `dealstage` that is not one of the pipeline's stages
 * (`DIRTY_DEAL_STAGES`). Everything else is valid, so exactly those rows should fail.
 * Returns `{csv, invalid}`: the row indexes with a bad stage, ascending.
 */
export function generateDirtySample({ count = 2000, invalidRate = 0.01, seed = Date.now() & 0xffff, poolSize = 3000 } = {}) {
  const rand = rng(seed);
  const pick = (arr) => arr[Math.floor(rand() * arr.length)];
  const shuffled = (n) => {
    const a = Array.from({ length: n }, (_, i) => i + 1);
    for (let i = a.length - 1; i > 0; i--) {
      const j = Math.floor(rand() * (i + 1));
      [a[i], a[j]] = [a[j], a[i]];
    }
    return a;
  };
  const ids = shuffled(Math.max(poolSize, count)).slice(0, count);
  const nBad = invalidRate > 0 ? Math.min(count, Math.max(1, Math.round(count * invalidRate))) : 0;
  const bad = new Set(shuffled(count).slice(0, nBad).map((i) => i - 1));
  const out = [["id", "amount", "dealstage"]];
  ids.forEach((id, i) => {
    const amount = (Math.round(rand() * 5_000_000) / 100).toFixed(2);
    out.push([String(id), amount, bad.has(i) ? pick(DIRTY_DEAL_STAGES) : pick(DEAL_STAGES)]);
  });
  return { csv: toCsv(out), invalid: [...bad].sort((a, b) => a - b) };
}

/**
 * Sample rows for any operation, as CSV text (update: `generateSample` itself).
 *
 * - upsert: `id` = values of the unique property (`deal_external_id` "ext-<n>" of seeded deals,
 *   contacts' `email`), `newRate` of them (default half) values no record has yet, so
 *   HubSpot creates those and updates the rest;
 * - create: no `id` column (new records); each row has a unique `description` (deals) or
 *   `email` (contacts) marker, `invalidRate` of them a deliberately invalid value;
 * - archive: distinct seeded record ids only;
 * - read: seeded record ids, `invalidRate` of them ids no record has (OBJECT_NOT_FOUND).
 *
 * Returns `{csv, invalid, fresh}`: the row indexes made invalid (or unknown, for read) and, for
 * upsert, the row indexes whose id is new.
 */
export function generateOperationSample({
  operation = "update", objectType = "deals", count = 200, invalidRate = 0.02, newRate = 0.5,
  seed = Date.now() & 0xffff, poolSize,
} = {}) {
  if (operation === "update") {
    const { csv, invalid } = generateSample({ objectType, count, invalidRate, seed, poolSize });
    const ids = parseCsv(csv).slice(1).map((r) => r[0]);
    return { csv, invalid: invalid.map((id) => ids.indexOf(id)), fresh: [] };
  }
  const rand = rng(seed);
  const pick = (arr) => arr[Math.floor(rand() * arr.length)];
  const contacts = objectType === "contacts" || objectType === "0-1";
  const pool = poolSize ?? (contacts ? 200 : 3000);
  const tag = seed.toString(36);
  const shuffled = (n) => {
    const ids = Array.from({ length: n }, (_, i) => i + 1);
    for (let i = ids.length - 1; i > 0; i--) {
      const j = Math.floor(rand() * (i + 1));
      [ids[i], ids[j]] = [ids[j], ids[i]];
    }
    return ids;
  };
  const chosen = (n, rate, atLeastOne) => {
    const k = rate > 0 ? Math.min(n, Math.max(atLeastOne && n >= 20 ? 1 : 0, Math.round(n * rate))) : 0;
    return new Set(shuffled(n).slice(0, k).map((i) => i - 1));
  };
  const seeded = shuffled(Math.max(pool, count)).slice(0, count);
  const firstNames = ["Ada", "Grace", "Alan", "Edsger", "Barbara", "Ken", "Radia", "Linus", "Margaret", "Donald"];
  const dealProps = () => ({
    amount: (Math.round(rand() * 5_000_000) / 100).toFixed(2),
    dealstage: pick(DEAL_STAGES),
  });
  const out = [], invalid = [], fresh = [];

  if (operation === "archive" || operation === "read") {
    const unknown = operation === "read" ? chosen(count, invalidRate, true) : new Set();
    out.push(["id"]);
    seeded.forEach((n, i) => {
      if (unknown.has(i)) { invalid.push(i); out.push([String(900000 + n)]); } else out.push([String(n)]);
    });
    return { csv: toCsv(out), invalid, fresh };
  }

  const bad = chosen(count, invalidRate, true);
  const isNew = operation === "upsert" ? chosen(count, newRate, false) : new Set();
  const columns = operation === "create"
    ? (contacts ? ["email", "firstname", "lifecyclestage"] : ["dealname", "amount", "dealstage", "closedate", "description"])
    : (contacts ? ["id", "firstname", "lifecyclestage"] : ["id", "dealname", "amount", "dealstage"]);
  out.push(columns);
  seeded.forEach((n, i) => {
    let r;
    if (contacts) {
      r = { firstname: pick(firstNames), lifecyclestage: pick(LIFECYCLE_STAGES) };
      if (operation === "create") r.email = `new-${tag}-${i + 1}@example.com`;
      else r.id = isNew.has(i) ? `new-${tag}-${i + 1}@example.com` : `user${n}@example.com`;
    } else if (operation === "create") {
      const day = Date.UTC(2025, 0, 1) + Math.floor(rand() * 365) * 86_400_000;
      r = { dealname: `New deal ${tag}-${i + 1}`, ...dealProps(), closedate: rand() < 0.5 ? new Date(day).toISOString().slice(0, 10) : "",
        description: `sample ${tag}-${i + 1}` };
    } else {
      const id = isNew.has(i) ? `ext-new-${tag}-${i + 1}` : `ext-${n}`;
      r = { id, dealname: isNew.has(i) ? `New deal ${id}` : `Deal ${n} (upserted)`, ...dealProps() };
    }
    if (isNew.has(i)) fresh.push(i);
    if (bad.has(i)) {
      const kinds = (contacts ? CONTACT_INVALID : DEAL_INVALID).filter(([p]) => columns.includes(p));
      const [prop, value] = pick(kinds);
      r[prop] = value(n);
      invalid.push(i);
    }
    out.push(columns.map((c) => r[c] ?? ""));
  });
  return { csv: toCsv(out), invalid, fresh };
}
