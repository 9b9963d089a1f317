// Shared by the test suites that consume the npm package the way a user does: from the packed
// tarball, installed into a fresh folder.
//
//   import { installPackedPackage } from "../support/install-pkg.mjs";
//   const dir = await installPackedPackage();          // a new temp folder
//   const dir = await installPackedPackage(someDir);   // or one you made
//   // then run `node file.mjs` with cwd = dir, or bundle from dir, ...
//
// The tarball is HUBSPOT_BATCH_TGZ when set (scripts/test sets it after scripts/pack); otherwise
// pkg/ is packed with scripts/pack, once per process, and again only when a file in pkg/ is newer
// than the tarball. pkg/ itself must exist (scripts/build-pkg): tests never build the crate.
import { execFile as execFileCb } from "node:child_process";
import { existsSync, mkdirSync, mkdtempSync, readdirSync, rmSync, statSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { promisify } from "node:util";

const execFile = promisify(execFileCb);

export const REPO_DIR = resolve(dirname(fileURLToPath(import.meta.url)), "..", "..");
export const PKG_DIR = process.env.PKG_DIR ? resolve(process.env.PKG_DIR) : join(REPO_DIR, "pkg");
const PACK_DEST = process.env.PACK_DEST ? resolve(process.env.PACK_DEST) : join(REPO_DIR, "target", "npm");

let packing = null;

function newestMtime(dir) {
  let newest = 0;
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    const p = join(dir, entry.name);
    const t = entry.isDirectory() ? newestMtime(p) : statSync(p).mtimeMs;
    if (t > newest) newest = t;
  }
  return newest;
}

function existingTarball() {
  if (!existsSync(PACK_DEST)) return null;
  const f = readdirSync(PACK_DEST).find((n) => /^hubspot-batch-.*\.tgz$/.test(n));
  return f ? join(PACK_DEST, f) : null;
}

/**
 * Runs `fn` holding the cross-process lock `lock` (a folder: mkdir is atomic), for the test
 * files that node --test runs in parallel processes. A lock older than 2 minutes belongs to a
 * process that died and is taken over; waiting gives up after 3 minutes.
 */
export async function withDirLock(lock, fn, pollMs = 100) {
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
      await new Promise((r) => setTimeout(r, pollMs));
    }
  }
  try {
    return await fn();
  } finally {
    rmSync(lock, { recursive: true, force: true });
  }
}

/** The absolute path of the packed tarball, packing pkg/ when needed. */
export async function packedTarball() {
  if (process.env.HUBSPOT_BATCH_TGZ) {
    const tgz = resolve(process.env.HUBSPOT_BATCH_TGZ);
    if (!existsSync(tgz)) throw new Error(`HUBSPOT_BATCH_TGZ=${tgz} does not exist`);
    return tgz;
  }
  packing ??= (async () => {
    if (!existsSync(join(PKG_DIR, "package.json"))) {
      throw new Error(`${PKG_DIR} has no package.json: build it first with scripts/build-pkg`);
    }
    mkdirSync(PACK_DEST, { recursive: true });
    return withDirLock(join(PACK_DEST, ".pack.lock"), async () => {
      const current = existingTarball();
      if (current && statSync(current).mtimeMs >= newestMtime(PKG_DIR)) return current;
      const { stdout } = await execFile(join(REPO_DIR, "scripts", "pack"), [], {
        env: { ...process.env, PKG_DIR, PACK_DEST },
        maxBuffer: 16 * 1024 * 1024,
      });
      return stdout.trim().split("\n").pop();
    }, 200);
  })();
  try {
    return await packing;
  } catch (e) {
    packing = null;
    throw e;
  }
}

/**
 * Installs the packed `hubspot-batch` tarball into `dir` (a new temp folder when omitted) as a
 * user would (`npm install <tarball>`), and returns the folder. The folder gets a minimal
 * package.json without "type", so name files .mjs / .cjs to pick the module system.
 */
export async function installPackedPackage(dir) {
  const tgz = await packedTarball();
  dir = dir ? resolve(dir) : mkdtempSync(join(tmpdir(), "hubspot-batch-consumer-"));
  mkdirSync(dir, { recursive: true });
  if (!existsSync(join(dir, "package.json"))) {
    writeFileSync(
      join(dir, "package.json"),
      JSON.stringify({ name: "hubspot-batch-consumer", version: "0.0.0", private: true }, null, 2) + "\n",
    );
  }
  await execFile(
    "npm",
    ["install", tgz, "--no-audit", "--no-fund", "--prefer-offline", "--loglevel=error", "--no-package-lock"],
    { cwd: dir, maxBuffer: 16 * 1024 * 1024 },
  );
  if (!existsSync(join(dir, "node_modules", "hubspot-batch", "package.json"))) {
    throw new Error(`npm install of ${tgz} into ${dir} did not create node_modules/hubspot-batch`);
  }
  return dir;
}
