// Shared by the reliability suites (tests/chaos/, tests/jsfuzz/, tests/secrets/); not a test file.
//
// The package under test is the PACKED tarball (tests/support/install-pkg.mjs), installed once
// per tarball into a consumer folder in the OS temp dir and imported from there by its bare name,
// as a user's code would. node --test runs test files in separate processes: a mkdir lock makes
// the first one install and the others wait.
import { createHash } from "node:crypto";
import { existsSync, mkdirSync, rmSync, statSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { pathToFileURL } from "node:url";
import { installPackedPackage, packedTarball } from "../support/install-pkg.mjs";

export const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

async function withDirLock(lock, fn) {
  const started = Date.now();
  for (;;) {
    try {
      mkdirSync(lock);
      break;
    } catch (e) {
      if (e.code !== "EEXIST") throw e;
      try {
        if (Date.now() - statSync(lock).mtimeMs > 120_000) rmSync(lock, { recursive: true, force: true });
      } catch {}
      if (Date.now() - started > 180_000) throw new Error(`timed out waiting for ${lock}`);
      await sleep(100);
    }
  }
  try {
    return await fn();
  } finally {
    rmSync(lock, { recursive: true, force: true });
  }
}

let consumer = null;

/** The folder where the packed tarball is installed (node_modules/hubspot-batch). */
export function consumerDir() {
  consumer ??= (async () => {
    const tgz = await packedTarball();
    const st = statSync(tgz);
    const key = createHash("sha256").update(`${tgz}\0${st.size}\0${st.mtimeMs}`).digest("hex").slice(0, 16);
    const root = join(tmpdir(), "hubspot-batch-reliability");
    mkdirSync(root, { recursive: true });
    const dir = join(root, `consumer-${key}`);
    const ready = join(dir, ".ready");
    if (existsSync(ready)) return dir;
    return withDirLock(`${dir}.lock`, async () => {
      if (existsSync(ready)) return dir;
      rmSync(dir, { recursive: true, force: true });
      await installPackedPackage(dir);
      writeFileSync(join(dir, "consumer.mjs"), 'export * from "hubspot-batch";\n');
      writeFileSync(ready, tgz + "\n");
      return dir;
    });
  })();
  return consumer;
}

/** The package as `import * as m from "hubspot-batch"` sees it (Node ESM entry). */
export async function loadPackage() {
  const dir = await consumerDir();
  return import(pathToFileURL(join(dir, "consumer.mjs")).href);
}

/** Seeded PRNG (mulberry32): the same seed gives the same sequence. */
export function rng(seed) {
  let a = seed >>> 0;
  const next = () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
  next.int = (n) => Math.floor(next() * n); // 0..n-1
  next.pick = (arr) => arr[Math.floor(next() * arr.length)];
  next.chance = (p) => next() < p;
  return next;
}
