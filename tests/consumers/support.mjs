// Shared by the consumer projects in this folder (not a test file: node --test only runs
// *.test.{js,mjs,cjs}). Every project installs the PACKED tarball (tests/support/install-pkg.mjs)
// into a fresh temp folder, next to a copy of its own files, and uses the package by its bare
// name, exactly as a user's project would. Everything listens on 127.0.0.1, port 0.
import { cpSync, mkdirSync, mkdtempSync, readdirSync, rmSync } from "node:fs";
import { createServer } from "node:http";
import { readFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { basename, extname, join, resolve, sep } from "node:path";
import { installPackedPackage, REPO_DIR } from "../support/install-pkg.mjs";

export { REPO_DIR };
export const TOKEN = "emulator-token";
export const EXAMPLE_WORKER_DIR = join(REPO_DIR, "examples", "worker");

/**
 * A fresh temp folder holding a copy of `projectDir` (test files left out; `only`: just these
 * entries of it) with the packed package installed into it. Returns the folder; remove it with `rmSync(dir, {recursive: true})`.
 */
export async function setUpProject(projectDir, { name = basename(projectDir), only } = {}) {
  const dir = mkdtempSync(join(tmpdir(), `hubspot-batch-${name}-`));
  const filter = (src) => !/\.test\.(m|c)?js$/.test(src) && !src.split(sep).includes("node_modules") && !src.split(sep).includes("dist");
  if (projectDir && only) {
    // Just these entries (e.g. an example's sources without its package.json, whose other
    // dependencies would have to come from the registry).
    for (const entry of only) cpSync(join(projectDir, entry), join(dir, entry), { recursive: true, filter });
  } else if (projectDir) {
    cpSync(projectDir, dir, { recursive: true, filter });
  }
  await installPackedPackage(dir);
  return dir;
}

/** Removes a folder made by setUpProject (best effort). */
export function removeDir(dir) {
  if (dir) rmSync(dir, { recursive: true, force: true });
}

const CONTENT_TYPES = {
  ".html": "text/html; charset=utf-8",
  ".js": "text/javascript",
  ".mjs": "text/javascript",
  ".json": "application/json",
  ".wasm": "application/wasm",
  ".css": "text/css",
};

/** A static file server for `root` on 127.0.0.1 (its own origin). */
export function serveStatic(root) {
  root = resolve(root);
  const server = createServer(async (req, res) => {
    let path;
    try {
      path = decodeURIComponent(new URL(req.url, "http://x").pathname);
    } catch {
      res.writeHead(400).end();
      return;
    }
    const file = resolve(root, "." + (path.endsWith("/") ? path + "index.html" : path));
    if (!file.startsWith(root + sep)) {
      res.writeHead(404).end();
      return;
    }
    try {
      const body = await readFile(file);
      res.writeHead(200, { "content-type": CONTENT_TYPES[extname(file)] ?? "application/octet-stream", "cache-control": "no-store" });
      res.end(body);
    } catch {
      res.writeHead(404).end();
    }
  });
  return new Promise((done) =>
    server.listen(0, "127.0.0.1", () =>
      done({
        url: `http://127.0.0.1:${server.address().port}`,
        close: () => new Promise((r) => { server.closeAllConnections?.(); server.close(r); }),
      }),
    ),
  );
}

/**
 * Bundles a Worker the way wrangler does by default: esbuild, ES module output, the export
 * conditions "workerd", "worker", "browser", and every `.wasm` import kept as an import of a
 * sibling module (wrangler's CompiledWasm rule). Returns the output folder and the wasm files.
 */
export async function bundleWorker(entry, outDir) {
  const esbuild = await import("esbuild");
  mkdirSync(outDir, { recursive: true });
  const wasmFiles = [];
  await esbuild.build({
    entryPoints: [entry],
    outfile: join(outDir, "index.js"),
    bundle: true,
    format: "esm",
    target: "es2022",
    platform: "neutral",
    conditions: ["workerd", "worker", "browser"],
    mainFields: ["module", "main"],
    logLevel: "warning",
    plugins: [
      {
        name: "wasm-modules",
        setup(build) {
          build.onResolve({ filter: /\.wasm$/ }, (args) => {
            const abs = resolve(args.resolveDir, args.path);
            wasmFiles.push(abs);
            return { path: `./${basename(abs)}`, external: true };
          });
        },
      },
    ],
  });
  for (const f of wasmFiles) cpSync(f, join(outDir, basename(f)));
  return { scriptPath: join(outDir, "index.js"), modulesRoot: outDir, wasmFiles, files: readdirSync(outDir) };
}

export const MODULE_RULES = [
  { type: "ESModule", include: ["**/*.js", "**/*.mjs"] },
  { type: "CompiledWasm", include: ["**/*.wasm"] },
];

/**
 * Runs a Worker on workerd through miniflare 3, listening on 127.0.0.1 (port 0), with its
 * Durable Objects (`{ BINDING: "ClassName" }`) when given. Returns { url, mf, close }.
 */
export async function startWorker({ scriptPath, modulesRoot, bindings, durableObjects, compatibilityDate = "2025-07-18" }) {
  const { Miniflare } = await import("miniflare");
  const mf = new Miniflare({
    modules: true,
    scriptPath,
    modulesRoot,
    modulesRules: MODULE_RULES,
    compatibilityDate,
    bindings,
    ...(durableObjects ? { durableObjects } : {}),
    host: "127.0.0.1",
    port: 0,
  });
  const url = (await mf.ready).origin;
  return { url, mf, close: () => mf.dispose() };
}

/**
 * What the node-esm and node-cjs apps (same inputs, see node-esm/inputs.mjs) must have done,
 * checked from their output AND from the emulator's records and log.
 */
export async function checkNodeAppOutcome(out, emulator, assert) {
  const { result, progress, rejected, planned } = out;
  // planned: the sans-IO requests, batches of 3 in input order, with the token header
  assert.deepEqual(planned.map((r) => r.inputIndexes), [[0, 1, 2], [3, 4, 5]]);
  assert.ok(planned.every((r) => r.url.endsWith("/crm/v3/objects/0-3/batch/update")));
  assert.equal(out.formatted, String(Date.UTC(2026, 0, 15)));

  // the ledger: every input either updated or failed, once
  assert.equal(result.status, "COMPLETE");
  assert.equal(result.results.length + result.failed.length, 6);
  assert.deepEqual(result.results.map((r) => r.id).sort(), ["1", "2", "3", "4"]);
  assert.deepEqual(result.failed.map((f) => [f.index, f.id, f.error.category]), [
    [4, "999999", "OBJECT_NOT_FOUND"],
    [5, "5", "VALIDATION_ERROR"],
  ]);
  assert.equal(result.failed[1].error.status, 400);
  assert.match(result.failed[1].error.message, /not-a-stage/);
  assert.ok(result.failed[1].error.errors?.some((d) => d.code === "INVALID_OPTION"), JSON.stringify(result.failed[1].error));
  assert.ok(result.stats.requests >= 2 && result.stats.batches >= 2, JSON.stringify(result.stats));
  assert.equal(typeof result.startedAt, "string");
  assert.equal(typeof result.completedAt, "string");
  assert.deepEqual(progress.at(-1), { done: 6, failed: 2, total: 6 });

  // a wrong token: the call rejects with HubSpot's 401, and the token is not in the error
  assert.equal(rejected?.instanceOfHubSpotError, true, JSON.stringify(rejected));
  assert.equal(rejected.instanceOfError, true);
  assert.equal(rejected.name, "HubSpotError");
  assert.equal(rejected.code, "HTTP_ERROR");
  assert.equal(rejected.status, 401);
  assert.equal(rejected.category, "INVALID_AUTHENTICATION");

  // what the emulator holds now
  const [d1, d2, d3, d4, d5] = emulator.getRecords("deals", ["1", "2", "3", "4", "5"]);
  assert.equal(d1.properties.dealstage, "closedwon");
  assert.equal(d1.properties.amount, "1500.5");
  assert.equal(d1.properties.closedate, String(Date.UTC(2026, 0, 15)));
  assert.equal(d2.properties.dealname, "Renewal 2026");
  assert.equal(d2.properties.tags, "renewal;smb");
  assert.equal(d3.properties.description, "");
  assert.equal(d4.properties.amount, "42");
  for (const d of [d1, d2, d3, d4]) assert.equal(d.writes, 1, `deal ${d.id} written once`);
  assert.equal(d5.writes, 0, "the invalid input was not applied");
  assert.notEqual(d5.properties.dealstage, "not-a-stage");

  const log = emulator.getLog(0);
  assert.ok(log.some((e) => e.authorization === "bearer-valid" && e.status === 200));
  assert.ok(log.some((e) => e.authorization === "bearer-invalid" && e.status === 401));
}
