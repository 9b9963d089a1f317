// A Node ES-module project: the packed package installs, `import` resolves to node.mjs, and a
// real update runs against the local HubSpot emulator. Also checks the package's manifest.
import { test, before, after } from "node:test";
import assert from "node:assert/strict";
import { execFile as execFileCb } from "node:child_process";
import { readFileSync, writeFileSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { promisify } from "node:util";
import { startEmulator } from "../../emulator/emulator.mjs";
import { TOKEN, checkNodeAppOutcome, removeDir, setUpProject } from "../support.mjs";

const execFile = promisify(execFileCb);
const HERE = dirname(fileURLToPath(import.meta.url));
const API = ["HubSpotBatch", "HubSpotError", "buildBatchRequests", "buildBatchUpdateRequests", "parseBatchResponse", "formatPropertyValue", "createBatchUpdateHandler", "init", "memoryRateLimiter", "durableObjectRateLimiter", "HubSpotRateLimiter"];

let dir;
before(async () => {
  dir = await setUpProject(HERE);
});
after(() => removeDir(dir));

async function runNode(file, args = [], env = {}) {
  const { stdout } = await execFile(process.execPath, [file, ...args], {
    cwd: dir,
    timeout: 30_000,
    env: { ...process.env, ...env },
  });
  return { stdout, json: JSON.parse(stdout.trim().split("\n").pop()) };
}

test("package.json is a valid npm package with the documented entry points", () => {
  const pkg = JSON.parse(readFileSync(join(dir, "node_modules/hubspot-batch/package.json"), "utf8"));
  assert.equal(pkg.name, "hubspot-batch");
  assert.match(pkg.version, /^\d+\.\d+\.\d+/);
  assert.equal(pkg.type, "module");
  const root = pkg.exports["."];
  assert.deepEqual(Object.keys(root), ["types", "workerd", "worker", "browser", "node", "import", "default"]);
  assert.deepEqual(Object.keys(root.node).slice(0, 2), ["import", "require"]);
  assert.equal(pkg.exports["./package.json"], "./package.json");
  assert.deepEqual(pkg.dependencies ?? {}, {}, "no runtime dependencies");
});

test("import gives the whole API, the same objects as require, and no extras", async () => {
  writeFileSync(
    join(dir, "exports.mjs"),
    `import * as ns from "hubspot-batch";
import { createRequire } from "node:module";
const cjs = createRequire(import.meta.url)("hubspot-batch");
const names = ${JSON.stringify(API)};
const r1 = await ns.init();
const r2 = await ns.init(); // idempotent
console.log(JSON.stringify({
  types: Object.fromEntries(names.map((n) => [n, typeof ns[n]])),
  notSame: names.filter((n) => cjs[n] !== ns[n]),
  keys: Object.keys(ns).sort(),
  resolved: import.meta.resolve("hubspot-batch"),
  init: [String(r1), String(r2)],
}));
`,
  );
  const { json } = await runNode("exports.mjs");
  for (const n of API) assert.equal(json.types[n], "function", `${n} is a function`);
  assert.deepEqual(json.notSame, [], "ESM and CJS exports are the same objects (one wasm instance)");
  assert.deepEqual(json.keys, [...API].sort(), "exactly the public API: no default, no initSync");
  assert.match(json.resolved, /hubspot-batch\/node\.mjs$/);
  assert.deepEqual(json.init, ["undefined", "undefined"]);
});

test("a real update against the HubSpot emulator, by import", { timeout: 45_000 }, async () => {
  const { url, close, emulator } = await startEmulator({ deals: 20 });
  try {
    const { stdout, json } = await runNode("app.mjs", [url], { HUBSPOT_TOKEN: TOKEN });
    assert.ok(!stdout.includes(TOKEN) && !stdout.includes("not-the-right-token"), "no token in anything the app printed");
    await checkNodeAppOutcome(json, emulator, assert);
  } finally {
    await close();
  }
});
