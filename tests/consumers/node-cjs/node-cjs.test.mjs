// A Node CommonJS project: the packed package installs, `require` resolves to node.cjs, and a
// real update runs against the local HubSpot emulator.
import { test, before, after } from "node:test";
import assert from "node:assert/strict";
import { execFile as execFileCb } from "node:child_process";
import { writeFileSync } from "node:fs";
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

test("require gives the whole API from node.cjs, and no extras", async () => {
  writeFileSync(
    join(dir, "exports.cjs"),
    `const m = require("hubspot-batch");
const names = ${JSON.stringify(API)};
Promise.all([m.init(), m.init()]).then((r) => {
  console.log(JSON.stringify({
    types: Object.fromEntries(names.map((n) => [n, typeof m[n]])),
    keys: Object.keys(m).sort(),
    resolved: require.resolve("hubspot-batch"),
    init: r.map(String),
    formatted: m.formatPropertyValue(1.5),
  }));
});
`,
  );
  const { json } = await runNode("exports.cjs");
  for (const n of API) assert.equal(json.types[n], "function", `${n} is a function`);
  assert.deepEqual(json.keys, [...API].sort(), "exactly the public API: no default, no initSync");
  assert.match(json.resolved, /hubspot-batch[\\/]node\.cjs$/);
  assert.deepEqual(json.init, ["undefined", "undefined"]);
  assert.equal(json.formatted, "1.5");
});

test("a real update against the HubSpot emulator, by require", { timeout: 45_000 }, async () => {
  const { url, close, emulator } = await startEmulator({ deals: 20 });
  try {
    const { stdout, json } = await runNode("app.cjs", [url], { HUBSPOT_TOKEN: TOKEN });
    assert.ok(!stdout.includes(TOKEN) && !stdout.includes("not-the-right-token"), "no token in anything the app printed");
    await checkNodeAppOutcome(json, emulator, assert);
  } finally {
    await close();
  }
});
