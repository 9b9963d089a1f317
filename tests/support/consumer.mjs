// Shared by the test suites that import the package in-process (tests/node/, and through
// tests/chaos/support.mjs: tests/chaos/, tests/jsfuzz/, tests/secrets/); not a test file.
//
// The package under test is the PACKED tarball (install-pkg.mjs), installed once per tarball
// (keyed by its path, size and mtime) into a consumer folder under `<os tmpdir>/<cacheName>/`
// and imported from there by its bare name "hubspot-batch", exactly as a user's code would.
// node --test runs test files in separate processes: a mkdir lock makes the first one install
// and the others wait for it.
//
//   import { loadConsumerPackage } from "../support/consumer.mjs";
//   const m = await loadConsumerPackage("hubspot-batch-my-suite");
import { createHash } from "node:crypto";
import { existsSync, mkdirSync, readdirSync, rmSync, statSync, writeFileSync } from "node:fs";
import { createRequire } from "node:module";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { pathToFileURL } from "node:url";
import { installPackedPackage, packedTarball, withDirLock } from "./install-pkg.mjs";

const consumers = new Map(); // cacheName -> Promise<dir>

/**
 * The folder (under `<os tmpdir>/<cacheName>/`) where the packed tarball is installed
 * (node_modules/hubspot-batch), installing it the first time.
 */
export function consumerDir(cacheName) {
  if (!cacheName) throw new Error("consumerDir: a cache folder name is required");
  if (!consumers.has(cacheName)) consumers.set(cacheName, installConsumer(cacheName));
  return consumers.get(cacheName);
}

async function installConsumer(cacheName) {
  const tgz = await packedTarball();
  const st = statSync(tgz);
  const key = createHash("sha256").update(`${tgz}\0${st.size}\0${st.mtimeMs}`).digest("hex").slice(0, 16);
  const root = join(tmpdir(), cacheName);
  mkdirSync(root, { recursive: true });
  const dir = join(root, `consumer-${key}`);
  // Old consumer folders (of tarballs built more than a day ago) are removed.
  for (const name of readdirSync(root)) {
    const p = join(root, name);
    try {
      if (name.startsWith("consumer-") && !name.endsWith(".lock") && p !== dir && Date.now() - statSync(p).mtimeMs > 86_400_000) {
        rmSync(p, { recursive: true, force: true });
      }
    } catch {}
  }
  const ready = join(dir, ".ready");
  if (existsSync(ready)) return dir;
  return withDirLock(`${dir}.lock`, async () => {
    if (existsSync(ready)) return dir;
    rmSync(dir, { recursive: true, force: true });
    await installPackedPackage(dir);
    // A user's ES module and a user's CommonJS module, each importing the package by name.
    writeFileSync(join(dir, "consumer.mjs"), 'export * from "hubspot-batch";\n');
    writeFileSync(join(dir, "consumer.cjs"), 'module.exports = require("hubspot-batch");\n');
    writeFileSync(ready, tgz + "\n");
    return dir;
  });
}

/** The package as `import * as m from "hubspot-batch"` sees it (Node ESM entry). */
export async function loadConsumerPackage(cacheName) {
  const dir = await consumerDir(cacheName);
  return import(pathToFileURL(join(dir, "consumer.mjs")).href);
}

/** The package as `require("hubspot-batch")` sees it (Node CommonJS entry). */
export async function requireConsumerPackage(cacheName) {
  const dir = await consumerDir(cacheName);
  return createRequire(join(dir, "package.json"))("hubspot-batch");
}
