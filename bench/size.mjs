// Size of the built package: the .wasm, each entry's JS glue, the browser entry as a bundler
// ships it (wasm + minified glue), what a browser app grows by when it imports the package, the
// same for @hubspot/api-client, where the bytes are (twiggy), and wasm-opt -O vs -Oz.
//
//   node bench/size.mjs [pkg dir]            # prints JSON
//
// Used by bench/run.mjs (scripts/bench) and, for browserEntry() only, by bench/check-size.mjs.
import { execFile as execFileCb } from "node:child_process";
import { createHash } from "node:crypto";
import { existsSync, mkdirSync, readFileSync, readdirSync, rmSync, statSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, relative } from "node:path";
import { promisify } from "node:util";
import { NODE_MODULES, REPO, brotli, gzip9, sizes } from "./lib.mjs";

const execFile = promisify(execFileCb);
// The browser entry's .wasm (built without the edge proxy), and the full one workerd and Node load.
export const WASM = "hubspot_batch_browser_bg.wasm";
export const FULL_WASM = "hubspot_batch_bg.wasm";

async function esbuild() {
  return import(join(NODE_MODULES, "esbuild", "lib", "main.js")).then((m) => m.default ?? m);
}

/** The browser entry (browser.js + the web glue it imports) bundled and minified by esbuild. */
export async function minifiedBrowserGlue(pkgDir) {
  const { build } = await esbuild();
  const out = await build({
    entryPoints: [join(pkgDir, "browser.js")],
    bundle: true,
    minify: true,
    format: "esm",
    platform: "browser",
    target: "es2022",
    write: false,
    logLevel: "silent",
  });
  return Buffer.from(out.outputFiles[0].contents);
}

/** What a browser downloads for the package: its .wasm + the minified glue, each gzip -9. */
export async function browserEntry(pkgDir) {
  const wasm = readFileSync(join(pkgDir, WASM));
  const glue = await minifiedBrowserGlue(pkgDir);
  return {
    wasm: sizes(wasm),
    glue: sizes(glue),
    gzip: gzip9(wasm) + gzip9(glue),
    brotli: brotli(wasm) + brotli(glue),
  };
}

function fileSizes(pkgDir, files) {
  const rows = files.map((f) => ({ file: f, ...sizes(readFileSync(join(pkgDir, f))) }));
  const total = rows.reduce((a, r) => ({ raw: a.raw + r.raw, gzip: a.gzip + r.gzip, brotli: a.brotli + r.brotli }), { raw: 0, gzip: 0, brotli: 0 });
  return { files, ...total };
}

// --- a tiny browser app, with and without the package ----------------------------------------------------
const PROXY = "https://hubspot-proxy.example.workers.dev";
export const APPS = {
  // The same button, sending one batch update by hand.
  plain: `const url = "${PROXY}/crm/v3/objects/0-3/batch/update", inputs = [{ id: "1", properties: { amount: "1500" } }];
document.querySelector("#go").addEventListener("click", async () => console.log(await (await fetch(url, { method: "POST", headers: { "content-type": "application/json" }, body: JSON.stringify({ inputs }) })).json()));
`,
  ours: `import { HubSpotBatch } from "hubspot-batch";
const hubspot = new HubSpotBatch({ baseUrl: "${PROXY}" });
document.querySelector("#go").addEventListener("click", async () => console.log(await hubspot.update([{ id: "1", properties: { amount: 1500 } }])));
`,
  apiClient: `import { Client } from "@hubspot/api-client";
const hubspot = new Client({ basePath: "${PROXY}" });
document.querySelector("#go").addEventListener("click", async () => console.log(await hubspot.crm.deals.batchApi.update({ inputs: [{ id: "1", properties: { amount: "1500" } }] })));
`,
};

async function esbuildApp(appDir, name, platform, extra = {}) {
  const { build } = await esbuild();
  const entry = join(appDir, `${name}.js`);
  writeFileSync(entry, APPS[name]);
  try {
    const out = await build({
      entryPoints: [entry],
      bundle: true,
      minify: true,
      format: "esm",
      platform,
      target: "es2022",
      write: false,
      logLevel: "silent",
      nodePaths: [NODE_MODULES],
      metafile: true,
      ...extra,
    });
    const js = Buffer.from(out.outputFiles[0].contents);
    return { ok: true, platform, js: sizes(js) };
  } catch (e) {
    const unresolved = [...new Set((e.errors || []).map((x) => (x.text.match(/Could not resolve "([^"]+)"/) || [])[1]).filter(Boolean))].sort();
    return { ok: false, platform, errors: (e.errors || []).length, unresolved, message: e.errors?.[0]?.text ?? String(e) };
  }
}

/** vite build (default config, no plugins) of index.html + the app; every emitted file. */
async function viteApp(appDir, name) {
  const root = join(appDir, `vite-${name}`);
  mkdirSync(root, { recursive: true });
  writeFileSync(join(root, "index.html"), `<!doctype html>\n<html><head><meta charset="utf-8"><title>app</title></head><body><button id="go">go</button><script type="module" src="./main.js"></script></body></html>\n`);
  writeFileSync(join(root, "main.js"), APPS[name]);
  // vite/rolldown resolve bare imports from the app's folder upwards: appDir/node_modules has the package.
  await execFile(process.execPath, [join(NODE_MODULES, "vite", "bin", "vite.js"), "build", "--logLevel", "error"], { cwd: root, timeout: 120_000 });
  const dist = join(root, "dist");
  const files = [];
  const walk = (d) => {
    for (const e of readdirSync(d, { withFileTypes: true })) {
      const p = join(d, e.name);
      if (e.isDirectory()) walk(p);
      else files.push({ file: relative(dist, p), ...sizes(readFileSync(p)) });
    }
  };
  walk(dist);
  const pick = (re) => files.filter((f) => re.test(f.file)).reduce((a, f) => ({ raw: a.raw + f.raw, gzip: a.gzip + f.gzip, brotli: a.brotli + f.brotli }), { raw: 0, gzip: 0, brotli: 0 });
  return { files, js: pick(/\.js$/), wasm: pick(/\.wasm$/), all: pick(/\.(js|wasm)$/) };
}

// --- twiggy ----------------------------------------------------------------------------------------------------
function twiggyBin() {
  const p = join(process.env.CARGO_HOME || join(process.env.HOME || "/root", ".cargo"), "bin", "twiggy");
  return existsSync(p) ? p : "twiggy";
}

/** Which crate an item belongs to, from its demangled name (a heuristic, for a rough split). */
function crateOf(name) {
  if (/^"[^"]*" subsection$|custom section/.test(name)) return "(name section: stripped when shipped)";
  if (/^data segment|^data\[/.test(name)) return "(data segments: strings, tables)";
  if (/^(\w+\[\d+\]|import |export |type\[|\w+ section headers|wasm magic bytes)/.test(name)) return "(imports, exports, types, section headers)";
  if (/-> Externref externref shim|externref shim$/.test(name)) return "exports + wasm-bindgen shims";
  if (/^(__wbindgen|__wbg|__externref|hubspotbatch_|hubspoterror_)|^(formatPropertyValue|buildBatchUpdateRequests|parseBatchResponse|createBatchUpdateHandler)$/.test(name)) return "exports + wasm-bindgen shims";
  const m = name.match(/^[<&\s]*(?:mut |dyn )?([A-Za-z_][A-Za-z0-9_]*)/);
  let c = m ? m[1] : "(other)";
  if (/^(core|alloc|std|dlmalloc|compiler_builtins|__rustc|__multi3|memcmp|memcpy|memset|memmove|fmax|fmin)$/.test(c)) return "core / alloc / std (incl. float formatting, dlmalloc)";
  if (/^(f64|f32|u8|u16|u32|u64|u128|usize|i8|i16|i32|i64|i128|isize|bool|char|str)$/.test(c)) return "core / alloc / std (incl. float formatting, dlmalloc)";
  if (c === "serde_core" || c === "serde") return "serde";
  if (/^(wasm_bindgen|js_sys|web_sys|wasm_bindgen_futures|gloo_net|gloo_timers)$/.test(c)) return "wasm-bindgen / js-sys / web-sys / gloo";
  if (c === "hubspot_batch") return "hubspot_batch (our code)";
  if (/^[A-Z][A-Za-z0-9]*$/.test(c)) return "(generic impls: <T as ...>)";
  return c;
}

export async function twiggy(stageWasm, n = 25) {
  const bin = twiggyBin();
  try {
    const { stdout: text } = await execFile(bin, ["top", "-n", String(n), stageWasm], { maxBuffer: 16 << 20 });
    const { stdout: json } = await execFile(bin, ["top", "-f", "json", stageWasm], { maxBuffer: 64 << 20 });
    const items = JSON.parse(json);
    const total = statSync(stageWasm).size;
    const byCrate = new Map();
    for (const it of items) {
      const c = crateOf(it.name);
      byCrate.set(c, (byCrate.get(c) || 0) + it.shallow_size);
    }
    let crates = [...byCrate.entries()].map(([crate, bytes]) => ({ crate, bytes })).sort((a, b) => b.bytes - a.bytes);
    const small = crates.filter((c) => c.bytes < total * 0.005);
    crates = crates.filter((c) => c.bytes >= total * 0.005);
    if (small.length) crates.push({ crate: `(${small.length} others, each < 0.5%)`, bytes: small.reduce((a, c) => a + c.bytes, 0) });
    return { ok: true, file: stageWasm, total, text: text.trimEnd(), top: items.slice(0, n).map((i) => ({ name: i.name, bytes: i.shallow_size, percent: i.shallow_size_percent })), crates };
  } catch (e) {
    return { ok: false, message: `twiggy failed: ${e.message.split("\n")[0]}` };
  }
}

// --- wasm-opt levels -----------------------------------------------------------------------------------------
const CACHE = join(tmpdir(), "hubspot-batch-bench-cache");

/**
 * Runs wasm-opt on the un-optimised stage wasm with exactly scripts/build-pkg's flags, at `level`
 * (short import/export names included; their mapping is written next to it as `<out>.names.json`).
 * Cached by the input's hash (wasm-opt takes ~8 s of CPU here).
 */
export async function wasmOpt(stageWasm, level) {
  const input = readFileSync(stageWasm);
  const hash = createHash("sha256").update(input).digest("hex").slice(0, 16);
  mkdirSync(CACHE, { recursive: true });
  const out = join(CACHE, `${hash}${level}.wasm`);
  const bin = join(NODE_MODULES, ".bin", "wasm-opt");
  if (!existsSync(out) || !existsSync(`${out}.names.json`)) {
    const { stdout } = await execFile(bin, ["--print-features", stageWasm]);
    const features = stdout.split("\n").map((s) => s.trim()).filter(Boolean);
    const tmp = `${out}.${process.pid}.tmp`;
    const { stdout: names } = await execFile(bin, [...features, level, "--strip-debug", "--strip-producers", "--strip-target-features", "--minify-imports-and-exports-and-modules", "-o", tmp, stageWasm], { timeout: 300_000, maxBuffer: 1 << 24 });
    const fs = await import("node:fs");
    fs.writeFileSync(`${out}.names.json`, names);
    fs.renameSync(tmp, out);
  }
  return out;
}

// --- everything -------------------------------------------------------------------------------------------------
export async function measureSize({ pkgDir, appDir, stageWasm, quick = false }) {
  const res = {};
  res.wasm = sizes(readFileSync(join(pkgDir, WASM)));
  res.fullWasm = sizes(readFileSync(join(pkgDir, FULL_WASM)));
  res.glue = {
    browser: fileSizes(pkgDir, ["browser.js", "hubspot_batch_browser.js"]),
    node: fileSizes(pkgDir, ["node.mjs", "node.cjs", "node/hubspot_batch.js"]),
    workerd: fileSizes(pkgDir, ["workerd.js", "hubspot_batch.js"]),
  };
  res.browserEntry = await browserEntry(pkgDir);

  // Bundle growth of a 3-line browser app.
  const apps = join(appDir, "apps");
  mkdirSync(apps, { recursive: true });
  res.esbuild = {
    plain: await esbuildApp(apps, "plain", "browser"),
    ours: await esbuildApp(apps, "ours", "browser"),
    apiClientBrowser: await esbuildApp(apps, "apiClient", "browser"),
  };
  if (!res.esbuild.apiClientBrowser.ok && !quick) {
    res.esbuild.apiClientNode = await esbuildApp(apps, "apiClient", "node");
    // What is left for the browser once Node's built-ins are left out (they would need polyfills).
    res.esbuild.apiClientBrowserExternal = await esbuildApp(apps, "apiClient", "browser", { external: res.esbuild.apiClientBrowser.unresolved });
  }
  if (!quick) {
    try {
      res.vite = { plain: await viteApp(appDir, "plain"), ours: await viteApp(appDir, "ours") };
    } catch (e) {
      res.vite = { error: String(e.message || e).split("\n").slice(0, 5).join(" ") };
    }
  }
  res.twiggy = stageWasm ? await twiggy(stageWasm) : { ok: false, message: "no target/npm-stage/web/hubspot_batch_bg.wasm (run scripts/build-pkg)" };

  // wasm-opt -O vs -Oz, from the same un-optimised stage.
  if (stageWasm && !quick) {
    res.optLevels = {};
    const levels = ["-Oz", "-O"];
    for (const level of levels) {
      try {
        const f = await wasmOpt(stageWasm, level);
        res.optLevels[level] = { file: f, ...sizes(readFileSync(f)) };
      } catch (e) {
        res.optLevels[level] = { error: String(e.message || e).split("\n")[0] };
      }
    }
    const oz = res.optLevels["-Oz"];
    res.ozMatchesPkg = !!oz?.file && Buffer.compare(readFileSync(oz.file), readFileSync(join(pkgDir, WASM))) === 0;
  }
  return res;
}

if (import.meta.url === `file://${process.argv[1]}`) {
  const { snapshotPackage } = await import("./lib.mjs");
  const snap = snapshotPackage(process.argv[2] || join(REPO, "pkg"));
  try {
    console.log(JSON.stringify(await measureSize({ pkgDir: snap.pkg, appDir: snap.dir, stageWasm: snap.stage, quick: process.argv.includes("--quick") }), null, 2));
  } finally {
    snap.cleanup();
  }
}
