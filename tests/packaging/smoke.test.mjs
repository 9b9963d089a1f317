// The packed package installs into a fresh project and loads in Node (ESM and CommonJS).
import { test, before, after } from "node:test";
import assert from "node:assert/strict";
import { execFile as execFileCb } from "node:child_process";
import { readFileSync, rmSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { promisify } from "node:util";
import { installPackedPackage } from "../support/install-pkg.mjs";

const execFile = promisify(execFileCb);
const API = ["HubSpotBatch", "HubSpotError", "buildBatchUpdateRequests", "parseBatchResponse", "formatPropertyValue", "init"];

let dir;
before(async () => {
  dir = await installPackedPackage();
});
after(() => dir && rmSync(dir, { recursive: true, force: true }));

async function runNode(file, source) {
  writeFileSync(join(dir, file), source);
  const { stdout } = await execFile(process.execPath, [file], { cwd: dir, timeout: 30_000 });
  return JSON.parse(stdout.trim().split("\n").pop());
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

test("ESM import works in Node and gives the same functions as require", async () => {
  const out = await runNode(
    "esm.mjs",
    `import * as ns from "hubspot-batch";
import { ${API.join(", ")} } from "hubspot-batch";
import { createRequire } from "node:module";
const cjs = createRequire(import.meta.url)("hubspot-batch");
const names = ${JSON.stringify(API)};
const values = { ${API.join(", ")} };
const initResult = await init();
await init(); // idempotent
console.log(JSON.stringify({
  types: Object.fromEntries(names.map((n) => [n, typeof values[n]])),
  same: names.filter((n) => cjs[n] !== values[n]),
  keys: Object.keys(ns),
  resolved: import.meta.resolve("hubspot-batch"),
  initResult: initResult === undefined ? "undefined" : String(initResult),
  formatted: formatPropertyValue(1.5),
}));
`,
  );
  for (const n of API) assert.equal(out.types[n], "function", `${n} is a function`);
  assert.deepEqual(out.same, [], "ESM and CJS exports are the same objects (one instance)");
  assert.ok(!out.keys.includes("default"), "no default export");
  assert.ok(!out.keys.includes("initSync"), "no initSync export");
  assert.match(out.resolved, /hubspot-batch\/node\.mjs$/);
  assert.equal(out.initResult, "undefined");
  assert.equal(out.formatted, "1.5");
});

test("CommonJS require works in Node", async () => {
  const out = await runNode(
    "cjs.cjs",
    `const m = require("hubspot-batch");
const names = ${JSON.stringify(API)};
m.init().then((r) => {
  console.log(JSON.stringify({
    types: Object.fromEntries(names.map((n) => [n, typeof m[n]])),
    keys: Object.keys(m),
    resolved: require.resolve("hubspot-batch"),
    initResult: r === undefined ? "undefined" : String(r),
    formatted: m.formatPropertyValue(1.5),
  }));
});
`,
  );
  for (const n of API) assert.equal(out.types[n], "function", `${n} is a function`);
  assert.ok(!out.keys.includes("default"), "no default export");
  assert.ok(!out.keys.includes("initSync"), "no initSync export");
  assert.match(out.resolved, /hubspot-batch[\\/]node\.cjs$/);
  assert.equal(out.initResult, "undefined");
  assert.equal(out.formatted, "1.5");
});
