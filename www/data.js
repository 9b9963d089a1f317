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

/**
 * Turns pasted or uploaded text into `BatchUpdateInput`s.
 *
 * CSV: a header row with an `id` column; every other column is a property, except columns
 * whose name starts with `#` (comments, e.g. the `#error` column of a downloaded failure file).
 * Empty cells are left out unless `emptyClears` (then they send "" which clears the value).
 *
 * JSON: an array (or `{inputs: [...]}`) of either BatchUpdateInput objects
 * (`{id, properties, idProperty?, objectWriteTraceId?}`) or flat objects (`{id, amount, ...}`).
 * Values are passed through untouched, so the package's own validation and formatting apply.
 *
 * Returns `{format, inputs, columns, rows}`; `rows` are the original records (objects of column
 * -> value) aligned with `inputs`, used to write failed rows back out. Throws SyntaxError with a
 * readable message for text that is neither.
 */
export function parseInputText(text, { format = "auto", emptyClears = false } = {}) {
  const trimmed = text.trim();
  if (!trimmed) return { format: "empty", inputs: [], columns: [], rows: [] };
  const fmt = format === "auto" ? (/^[[{]/.test(trimmed) ? "json" : "csv") : format;
  return fmt === "json" ? parseJsonInputs(trimmed) : parseCsvInputs(text, emptyClears);
}

function parseCsvInputs(text, emptyClears) {
  const table = parseCsv(text);
  if (table.length === 0) return { format: "csv", inputs: [], columns: [], rows: [] };
  const header = table[0].map((h) => h.trim());
  const idCol = header.findIndex((h) => h.toLowerCase() === "id");
  if (idCol < 0) throw new SyntaxError(`CSV: the header row needs an "id" column (found: ${header.join(", ") || "nothing"})`);
  const seen = new Set();
  header.forEach((h, i) => {
    if (!h && i !== idCol) throw new SyntaxError(`CSV: column ${i + 1} has no name in the header row`);
    if (seen.has(h)) throw new SyntaxError(`CSV: column "${h}" appears twice in the header row`);
    seen.add(h);
  });
  const propCols = header.map((h, i) => i).filter((i) => i !== idCol && !header[i].startsWith("#"));
  const inputs = [], rows = [];
  for (let r = 1; r < table.length; r++) {
    const cells = table[r];
    if (cells.length > header.length && cells.slice(header.length).some((c) => c !== ""))
      throw new SyntaxError(`CSV line ${r + 1}: ${cells.length} cells but the header has ${header.length}`);
    const properties = {};
    for (const i of propCols) {
      const v = cells[i] ?? "";
      if (v !== "" || emptyClears) properties[header[i]] = v;
    }
    inputs.push({ id: (cells[idCol] ?? "").trim(), properties });
    rows.push(Object.fromEntries(header.map((h, i) => [h, cells[i] ?? ""])));
  }
  return { format: "csv", inputs, columns: header, rows };
}

function parseJsonInputs(text) {
  let data;
  try { data = JSON.parse(text); } catch (err) { throw new SyntaxError(`JSON: ${err.message}`); }
  if (data && !Array.isArray(data) && Array.isArray(data.inputs)) data = data.inputs;
  if (!Array.isArray(data)) throw new SyntaxError("JSON: expected an array of objects (or {\"inputs\": [...]})");
  const columns = new Set(["id"]);
  const inputs = data.map((item, i) => {
    if (!item || typeof item !== "object" || Array.isArray(item))
      throw new SyntaxError(`JSON: item ${i} is not an object`);
    const id = typeof item.id === "number" ? String(item.id) : item.id;
    let input;
    if (item.properties && typeof item.properties === "object" && !Array.isArray(item.properties)) {
      input = { ...item, id };
    } else {
      const { id: _id, idProperty, objectWriteTraceId, ...properties } = item;
      input = { id, properties };
      if (idProperty !== undefined) input.idProperty = idProperty;
      if (objectWriteTraceId !== undefined) input.objectWriteTraceId = objectWriteTraceId;
    }
    for (const k of Object.keys(input.properties)) columns.add(k);
    return input;
  });
  const cols = [...columns];
  const rows = inputs.map((inp) => Object.fromEntries(cols.map((c) => [c, c === "id" ? inp.id : inp.properties[c]])));
  return { format: "json", inputs, columns: cols, rows };
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
