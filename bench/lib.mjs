// Shared helpers of the benchmarks (bench/*.mjs). No dependencies beyond Node and the repo's
// devDependencies.
import { execFileSync } from "node:child_process";
import { cpSync, existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync } from "node:fs";
import { cpus, loadavg, tmpdir } from "node:os";
import { dirname, join, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { brotliCompressSync, constants as zc, gzipSync } from "node:zlib";

export const REPO = resolve(dirname(fileURLToPath(import.meta.url)), "..");
export const BENCH = join(REPO, "bench");
export const NODE_MODULES = join(REPO, "node_modules");

// --- compression -------------------------------------------------------------------------------------
/** gzip -9 (zlib level 9; the same deflate stream as `gzip -9 -n`, header aside). */
export const gzip9 = (buf) => gzipSync(buf, { level: 9 }).length;
/** brotli quality 11 (node:zlib's maximum, what static hosts pre-compress with). */
export const brotli = (buf) =>
  brotliCompressSync(buf, {
    params: { [zc.BROTLI_PARAM_QUALITY]: 11, [zc.BROTLI_PARAM_SIZE_HINT]: buf.length },
  }).length;
/** raw / gzip -9 / brotli 11; brotli is left out (null) above `brotliMax` bytes: q11 takes ~3 s per MB. */
export const sizes = (buf, brotliMax = 1 << 20) => ({ raw: buf.length, gzip: gzip9(buf), brotli: buf.length <= brotliMax ? brotli(buf) : null });

// --- statistics ----------------------------------------------------------------------------------------
export function median(xs) {
  const s = [...xs].sort((a, b) => a - b);
  const n = s.length;
  if (n === 0) return NaN;
  return n % 2 ? s[(n - 1) / 2] : (s[n / 2 - 1] + s[n / 2]) / 2;
}
export const min = (xs) => Math.min(...xs);
export const max = (xs) => Math.max(...xs);

// --- formatting ----------------------------------------------------------------------------------------
export const kb = (n) => (n / 1024).toFixed(1);
export const fmtInt = (n) => (n == null ? "—" : Math.round(n).toLocaleString("en-US"));
export const fmtMs = (n) => (n >= 100 ? Math.round(n).toLocaleString("en-US") : n.toFixed(1));
export function fmtNum(n, digits = 3) {
  if (!Number.isFinite(n)) return String(n);
  if (Math.abs(n) >= 100) return Math.round(n).toLocaleString("en-US");
  return Number(n.toPrecision(digits)).toString();
}

/** A Markdown table: header row + rows (arrays of cells). Right-aligns cells that look numeric. */
export function mdTable(header, rows) {
  const numeric = header.map((_, i) => rows.length > 0 && rows.every((r) => /^[-+~<>≤≥−]?[\d.,]+( ?[%x×]| ?s| ms| KB)?$/.test(String(r[i]).trim()) || String(r[i]).trim() === ""));
  const line = (cells) => "| " + cells.map((c) => String(c).replace(/\|/g, "\\|")).join(" | ") + " |";
  return [line(header), "| " + header.map((_, i) => (numeric[i] ? "---:" : "---")).join(" | ") + " |", ...rows.map(line)].join("\n");
}

/** The same table as plain text for the terminal. */
export function textTable(header, rows) {
  const all = [header, ...rows].map((r) => r.map(String));
  const w = header.map((_, i) => Math.max(...all.map((r) => r[i].length)));
  const line = (r) => r.map((c, i) => (i === 0 ? c.padEnd(w[i]) : c.padStart(w[i]))).join("  ");
  return [line(all[0]), w.map((x) => "-".repeat(x)).join("  "), ...all.slice(1).map(line)].join("\n");
}

// --- the package under test ------------------------------------------------------------------------------
/**
 * Copies the built package (and the un-optimised wasm-bindgen stage, when present) into a fresh
 * temp folder laid out as a consumer project: <dir>/node_modules/hubspot-batch. Other engineers
 * rebuild pkg/ while we run, so every measurement uses this snapshot, never pkg/ itself.
 */
export function snapshotPackage(pkgDir = join(REPO, "pkg")) {
  const need = ["package.json", "hubspot_batch_bg.wasm", "hubspot_batch.js", "hubspot_batch_browser_bg.wasm", "hubspot_batch_browser.js", "browser.js", "workerd.js", "node.cjs", "node.mjs", "node/hubspot_batch.js"];
  const missing = need.filter((f) => !existsSync(join(pkgDir, f)));
  if (missing.length) throw new Error(`${pkgDir} is incomplete (missing ${missing.join(", ")}): run scripts/build-pkg`);
  const dir = mkdtempSync(join(tmpdir(), "hubspot-batch-bench-"));
  const pkg = join(dir, "node_modules", "hubspot-batch");
  mkdirSync(pkg, { recursive: true });
  cpSync(pkgDir, pkg, { recursive: true });
  // web/: the browser build (the browser entry's wasm); workerd/: the full build (workerd, Node).
  const copyStage = (sub, name) => {
    const f = join(REPO, "target", "npm-stage", sub, "hubspot_batch_bg.wasm");
    if (!existsSync(f)) return null;
    cpSync(f, join(dir, name));
    return join(dir, name);
  };
  const stage = copyStage("web", "stage_bg.wasm");
  const stageFull = copyStage("workerd", "stage_full_bg.wasm");
  return { dir, pkg, stage, stageFull, cleanup: () => rmSync(dir, { recursive: true, force: true }) };
}

// --- the machine ------------------------------------------------------------------------------------------
function tryRun(cmd, args) {
  try {
    return execFileSync(cmd, args, { encoding: "utf8", stdio: ["ignore", "pipe", "ignore"] }).trim();
  } catch {
    return "n/a";
  }
}

export function machineInfo(pkgDir) {
  let model = cpus()[0]?.model?.trim() || "unknown";
  try {
    const m = readFileSync("/proc/cpuinfo", "utf8").match(/^model name\s*:\s*(.+)$/m);
    if (m) model = m[1].trim();
  } catch {}
  let pkgVersion = "?";
  try {
    pkgVersion = JSON.parse(readFileSync(join(pkgDir, "package.json"), "utf8")).version;
  } catch {}
  const cargoBin = join(process.env.CARGO_HOME || join(process.env.HOME || "/root", ".cargo"), "bin");
  const tool = (name) => (existsSync(join(cargoBin, name)) ? join(cargoBin, name) : name);
  return {
    date: new Date().toISOString().replace(/\.\d+Z$/, "Z"),
    nproc: tryRun("nproc", []),
    cpu: model,
    os: tryRun("uname", ["-sr"]),
    node: process.version,
    rustc: tryRun(tool("rustc"), ["--version"]),
    wasmBindgen: tryRun(tool("wasm-bindgen"), ["--version"]),
    wasmOpt: tryRun(join(NODE_MODULES, ".bin", "wasm-opt"), ["--version"]),
    esbuild: tryRun(join(NODE_MODULES, ".bin", "esbuild"), ["--version"]),
    pkgVersion,
    gitHead: tryRun("git", ["-C", REPO, "rev-parse", "--short", "HEAD"]),
    gitDirty: tryRun("git", ["-C", REPO, "status", "--porcelain", "--", "src", "Cargo.toml", "Cargo.lock"]) !== "",
    loadStart: loadavg(),
  };
}

export const loadNow = () => loadavg().map((x) => x.toFixed(2)).join(" ");
