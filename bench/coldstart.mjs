// Cold start: importing and initialising the package.
//  - Node: a fresh `node` process per sample; in-process time of `await import("hubspot-batch")`
//    (or require) + the first formatPropertyValue() call, and the whole process's wall time
//    against an empty script.
//  - workerd (miniflare 3): new Miniflare(...) + the first request, for a Worker that imports the
//    package (bundled the way wrangler bundles: the .wasm stays a CompiledWasm module) vs an
//    empty Worker. The difference is what the package adds.
//
//   node bench/coldstart.mjs '{"appDir":"<dir with node_modules/hubspot-batch>","quick":false}'
import { execFileSync } from "node:child_process";
import { copyFileSync, mkdirSync, writeFileSync } from "node:fs";
import { basename, join } from "node:path";
import { performance } from "node:perf_hooks";
import { NODE_MODULES, median } from "./lib.mjs";

const opts = JSON.parse(process.argv[2] || "{}");
const appDir = opts.appDir;
const quick = !!opts.quick;
const NODE_N = opts.nodeRuns ?? (quick ? 3 : 10);
const WORKERD_N = opts.workerdRuns ?? (quick ? 2 : 10);

// --- Node ------------------------------------------------------------------------------------------------
const dir = join(appDir, "cold");
mkdirSync(dir, { recursive: true });
writeFileSync(join(dir, "esm.mjs"), `const t0 = performance.now();
const { formatPropertyValue } = await import("hubspot-batch");
const v = formatPropertyValue(1.5);
const t1 = performance.now();
if (v !== "1.5") throw new Error("bad value " + v);
process.stdout.write(JSON.stringify({ importMs: t1 - t0, sinceStart: t1 }));
`);
writeFileSync(join(dir, "cjs.cjs"), `const t0 = performance.now();
const { formatPropertyValue } = require("hubspot-batch");
const v = formatPropertyValue(1.5);
const t1 = performance.now();
if (v !== "1.5") throw new Error("bad value " + v);
process.stdout.write(JSON.stringify({ importMs: t1 - t0, sinceStart: t1 }));
`);
writeFileSync(join(dir, "empty.mjs"), `process.stdout.write(JSON.stringify({ importMs: 0, sinceStart: performance.now() }));\n`);
writeFileSync(join(dir, "empty.cjs"), `process.stdout.write(JSON.stringify({ importMs: 0, sinceStart: performance.now() }));\n`);

function nodeSample(file) {
  const t0 = performance.now();
  const out = execFileSync(process.execPath, [file], { cwd: dir, encoding: "utf8", timeout: 30_000 });
  const wallMs = performance.now() - t0;
  return { ...JSON.parse(out), wallMs };
}

const FILES = { empty: "empty.mjs", esm: "esm.mjs", emptyCjs: "empty.cjs", cjs: "cjs.cjs" };
const nodeSamples = Object.fromEntries(Object.keys(FILES).map((k) => [k, []]));
nodeSample(join(dir, "esm.mjs")); // once to warm the OS file cache
for (let i = 0; i < NODE_N; i++) {
  const order = Object.keys(FILES);
  if (i % 2) order.reverse();
  for (const k of order) nodeSamples[k].push(nodeSample(join(dir, FILES[k])));
}
const summarise = (xs) => ({
  importMs: median(xs.map((x) => x.importMs)),
  wallMs: median(xs.map((x) => x.wallMs)),
  importMin: Math.min(...xs.map((x) => x.importMs)),
  importMax: Math.max(...xs.map((x) => x.importMs)),
});
const node = Object.fromEntries(Object.entries(nodeSamples).map(([k, v]) => [k, summarise(v)]));
node.runs = NODE_N;

// --- workerd through miniflare 3 ---------------------------------------------------------------------------
let workerd;
try {
  const esbuild = await import(join(NODE_MODULES, "esbuild", "lib", "main.js")).then((m) => m.default ?? m);
  const { Miniflare } = await import(join(NODE_MODULES, "miniflare", "dist", "src", "index.js"));
  const wdir = join(appDir, "worker");
  const out = join(wdir, "dist");
  mkdirSync(out, { recursive: true });
  writeFileSync(join(wdir, "pkg-worker.js"), `import { formatPropertyValue } from "hubspot-batch";
export default { fetch() { return new Response(formatPropertyValue(1.5)); } };
`);
  writeFileSync(join(wdir, "empty-worker.js"), `export default { fetch() { return new Response("1.5"); } };\n`);
  for (const name of ["pkg-worker", "empty-worker"]) {
    await esbuild.build({
      entryPoints: [join(wdir, `${name}.js`)],
      outfile: join(out, `${name}.js`),
      bundle: true,
      format: "esm",
      target: "es2022",
      conditions: ["workerd", "worker", "browser"],
      logLevel: "silent",
      plugins: [
        {
          // What wrangler does: a `.wasm` import stays an import of a sibling CompiledWasm module.
          name: "wasm-modules",
          setup(build) {
            build.onResolve({ filter: /\.wasm$/ }, (args) => {
              const abs = join(args.resolveDir, args.path);
              copyFileSync(abs, join(out, basename(abs)));
              return { path: `./${basename(abs)}`, external: true };
            });
          },
        },
      ],
    });
  }
  const MODULE_RULES = [
    { type: "ESModule", include: ["**/*.js"] },
    { type: "CompiledWasm", include: ["**/*.wasm"] },
  ];
  async function sample(name) {
    const t0 = performance.now();
    const mf = new Miniflare({ modules: true, scriptPath: join(out, `${name}.js`), modulesRoot: out, modulesRules: MODULE_RULES, compatibilityDate: "2025-01-01", host: "127.0.0.1", port: 0 });
    try {
      const res = await mf.dispatchFetch("http://127.0.0.1/");
      const text = await res.text();
      const ms = performance.now() - t0;
      if (text !== "1.5") throw new Error(`${name} answered ${res.status} ${text.slice(0, 200)}`);
      return ms;
    } finally {
      await mf.dispose();
    }
  }
  const s = { pkg: [], empty: [] };
  await sample("empty-worker"); // first start of workerd pays for loading the binary from disk
  for (let i = 0; i < WORKERD_N; i++) {
    for (const k of i % 2 ? ["pkg", "empty"] : ["empty", "pkg"]) s[k].push(await sample(k === "pkg" ? "pkg-worker" : "empty-worker"));
  }
  const diffs = s.pkg.map((x, i) => x - s.empty[i]);
  workerd = { ok: true, runs: WORKERD_N, pkgMs: median(s.pkg), emptyMs: median(s.empty), diffMs: median(s.pkg) - median(s.empty), pairedDiffMs: median(diffs), samples: s };
} catch (e) {
  workerd = { ok: false, message: String(e.stack || e).split("\n").slice(0, 4).join(" ") };
}

process.stdout.write(JSON.stringify({ node, workerd }) + "\n");
