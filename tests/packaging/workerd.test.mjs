// The packed package works in a Cloudflare Worker on the real workerd runtime (through miniflare 3):
//  - bundled the way wrangler bundles (esbuild, conditions workerd/worker/browser, `.wasm` imports
//    kept as separate CompiledWasm modules);
//  - unbundled, the Worker importing the package's workerd entry directly, miniflare's module
//    rules doing the loading.
// All traffic stays on 127.0.0.1.
import { test, before, after } from "node:test";
import assert from "node:assert/strict";
import { copyFileSync, mkdirSync, rmSync, writeFileSync } from "node:fs";
import { basename, join } from "node:path";
import { installPackedPackage } from "../support/install-pkg.mjs";
import { startTinyHubSpot } from "../support/tiny-hubspot.mjs";

const workerSource = (from) => `
import { HubSpotBatch, HubSpotError, buildBatchUpdateRequests, parseBatchResponse, formatPropertyValue, init } from ${JSON.stringify(from)};

export default {
  async fetch(request) {
    const out = {};
    try {
      out.types = { HubSpotBatch: typeof HubSpotBatch, HubSpotError: typeof HubSpotError, buildBatchUpdateRequests: typeof buildBatchUpdateRequests, parseBatchResponse: typeof parseBatchResponse, formatPropertyValue: typeof formatPropertyValue, init: typeof init };
      out.formatted = formatPropertyValue(1.5);
      const api = new URL(request.url).searchParams.get("api");
      const result = await new HubSpotBatch({ accessToken: "test-token", baseUrl: api }).update([{ id: "1", properties: { amount: 1.5 } }]);
      out.updated = result.results.length;
      out.failed = Array.isArray(result.failed) ? result.failed.length : 0;
      out.initResult = String(await init());
    } catch (e) {
      out.error = String((e && e.stack) || e);
    }
    return Response.json(out);
  },
};
`;

const MODULE_RULES = [
  { type: "ESModule", include: ["**/*.js", "**/*.mjs"] },
  { type: "CompiledWasm", include: ["**/*.wasm"] },
];

let dir, hubspot;

before(async () => {
  dir = await installPackedPackage();
  hubspot = await startTinyHubSpot();
});

after(async () => {
  await hubspot?.close();
  if (dir) rmSync(dir, { recursive: true, force: true });
});

async function runWorker(scriptPath, modulesRoot) {
  const { Miniflare } = await import("miniflare");
  const mf = new Miniflare({
    modules: true,
    scriptPath,
    modulesRoot,
    modulesRules: MODULE_RULES,
    compatibilityDate: "2025-01-01",
    host: "127.0.0.1",
    port: 0,
  });
  try {
    const res = await mf.dispatchFetch(`http://127.0.0.1/?api=${encodeURIComponent(hubspot.url)}`);
    return await res.json();
  } finally {
    await mf.dispose();
  }
}

function checkResult(out) {
  assert.equal(out.error, undefined, out.error);
  for (const [name, type] of Object.entries(out.types)) assert.equal(type, "function", `${name} is a function`);
  assert.equal(out.formatted, "1.5");
  assert.equal(out.updated, 1, "update() went through workerd's fetch");
  assert.equal(out.failed, 0);
  assert.equal(out.initResult, "undefined");
}

test("a Worker bundled like wrangler does runs on workerd", { timeout: 120_000 }, async () => {
  const esbuild = await import("esbuild");
  const src = join(dir, "worker-src.js");
  const out = join(dir, "worker-dist");
  mkdirSync(out, { recursive: true });
  writeFileSync(src, workerSource("hubspot-batch"));
  const wasmFiles = [];
  await esbuild.build({
    entryPoints: [src],
    outfile: join(out, "worker.js"),
    bundle: true,
    format: "esm",
    target: "es2022",
    conditions: ["workerd", "worker", "browser"],
    logLevel: "warning",
    plugins: [
      {
        // What wrangler's module collector does: `.wasm` imports stay imports of sibling modules.
        name: "wasm-modules",
        setup(build) {
          build.onResolve({ filter: /\.wasm$/ }, (args) => {
            const abs = join(args.resolveDir, args.path);
            wasmFiles.push(abs);
            return { path: `./${basename(abs)}`, external: true };
          });
        },
      },
    ],
  });
  assert.ok(wasmFiles.length >= 1, "the workerd entry imports its .wasm");
  for (const f of wasmFiles) copyFileSync(f, join(out, basename(f)));
  checkResult(await runWorker(join(out, "worker.js"), out));
});

test("an unbundled Worker importing the workerd entry runs on workerd", { timeout: 120_000 }, async () => {
  const script = join(dir, "worker-unbundled.js");
  writeFileSync(script, workerSource("./node_modules/hubspot-batch/workerd.js"));
  checkResult(await runWorker(script, dir));
});
