// The shipped typings resolve and type-check for TypeScript consumers in each module mode:
// nodenext / node16 (ESM .mts and CommonJS .cts) and bundler. skipLibCheck is off, so the
// package's own .d.ts files are checked too.
import { test, before, after } from "node:test";
import assert from "node:assert/strict";
import { execFile as execFileCb } from "node:child_process";
import { mkdirSync, rmSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { promisify } from "node:util";
import { installPackedPackage, REPO_DIR } from "../support/install-pkg.mjs";

const execFile = promisify(execFileCb);
const TSC = join(REPO_DIR, "node_modules", "typescript", "bin", "tsc");
const NAMES = "HubSpotBatch, HubSpotError, buildBatchUpdateRequests, parseBatchResponse, formatPropertyValue, init";

const ESM = `import { ${NAMES} } from "hubspot-batch";
const s: string = formatPropertyValue(1.5);
const p: Promise<void> = init();
// @ts-expect-error wasm-bindgen's initSync is not part of the package's API
import { initSync } from "hubspot-batch";
export { s, p, HubSpotBatch, HubSpotError, buildBatchUpdateRequests, parseBatchResponse, initSync };
`;
const CJS = `import { ${NAMES} } from "hubspot-batch";
import hb = require("hubspot-batch");
const s: string = formatPropertyValue(1.5);
const t: string = hb.formatPropertyValue(true);
const p: Promise<void> = init();
export { s, t, p, HubSpotBatch, HubSpotError, buildBatchUpdateRequests, parseBatchResponse };
`;

let dir;
before(async () => {
  dir = await installPackedPackage();
  mkdirSync(join(dir, "ts"), { recursive: true });
  writeFileSync(join(dir, "ts", "esm.mts"), ESM);
  writeFileSync(join(dir, "ts", "cjs.cts"), CJS);
  writeFileSync(join(dir, "ts", "bundler.ts"), ESM);
});
after(() => dir && rmSync(dir, { recursive: true, force: true }));

async function tsc(name, compilerOptions, files) {
  const config = join(dir, `tsconfig.${name}.json`);
  writeFileSync(
    config,
    JSON.stringify({
      compilerOptions: { noEmit: true, strict: true, target: "es2022", lib: ["es2022", "dom"], types: [], skipLibCheck: false, ...compilerOptions },
      files,
    }),
  );
  try {
    await execFile(process.execPath, [TSC, "-p", config], { cwd: dir, timeout: 60_000 });
  } catch (e) {
    assert.fail(`tsc (${name}) failed:\n${e.stdout}${e.stderr}`);
  }
}

for (const mode of ["nodenext", "node16"]) {
  test(`typings: module ${mode} (ESM and CommonJS consumers)`, { timeout: 90_000 }, async () => {
    await tsc(mode, { module: mode, moduleResolution: mode }, ["ts/esm.mts", "ts/cjs.cts"]);
  });
}

test("typings: moduleResolution bundler", { timeout: 90_000 }, async () => {
  await tsc("bundler", { module: "esnext", moduleResolution: "bundler" }, ["ts/bundler.ts"]);
});
