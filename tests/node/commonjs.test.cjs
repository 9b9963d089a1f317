// CommonJS: require("hubspot-batch") from the installed tarball does a real update over HTTP.
"use strict";

const { test, before, after } = require("node:test");
const assert = require("node:assert/strict");

let h; // ./helpers.mjs
let cjs; // require("hubspot-batch")
let esm; // import("hubspot-batch")
let emu;

before(async () => {
  h = await import("./helpers.mjs");
  cjs = await h.requirePackage();
  esm = await h.loadPackage();
  const { startEmulator } = await import("../emulator/emulator.mjs");
  emu = await startEmulator({ deals: 100, contacts: 20, unknownIds: "omit" });
});

after(async () => {
  await emu?.close();
});

test("require('hubspot-batch') exposes the API, the same objects as import", () => {
  for (const n of ["HubSpotBatch", "HubSpotError", "buildBatchUpdateRequests", "parseBatchResponse", "formatPropertyValue"]) {
    assert.equal(typeof cjs[n], "function", n);
    assert.equal(cjs[n], esm[n], `${n}: one instance for ESM and CommonJS`);
  }
  assert.equal(cjs.formatPropertyValue(1e21), "1000000000000000000000");
});

test("CommonJS: a real update over HTTP, nothing lost", async () => {
  const { HubSpotBatch } = cjs;
  const client = new HubSpotBatch({ accessToken: h.TOKEN, baseUrl: emu.url, batchSize: 4 });
  const inputs = [
    ...h.dealInputs([1, 2, 3, 4, 5]),
    { id: "99999", properties: { amount: "1" } }, // unknown, silently omitted by the emulator
    { id: "6", properties: { tags: ["hot", "smb"], closedate: new Date(1714557600000), description: null } },
  ];
  const r = await client.update(inputs);
  assert.equal(r.status, "COMPLETE");
  const updated = h.assertAccountsForAll(r, inputs);
  assert.deepEqual(r.failed.map((f) => [f.index, f.error.category]), [[5, "NOT_UPDATED"]]);
  h.assertWritten(emu.emulator, "deals", inputs, updated, (x) =>
    x.id === "6" ? { tags: "hot;smb", closedate: "1714557600000", description: "" } : x.properties,
  );
  assert.equal(r.stats.requests, 2);
});

test("CommonJS: errors are HubSpotError instances with codes", async () => {
  const { HubSpotBatch, HubSpotError } = cjs;
  assert.throws(() => new HubSpotBatch({ accessToken: h.TOKEN, baseUrl: "http://example.com" }), (e) => e instanceof HubSpotError && e.code === "INVALID_CONFIG");
  const client = new HubSpotBatch({ accessToken: h.TOKEN, baseUrl: emu.url });
  const before = emu.emulator.getLog().length;
  const err = await client.update([{ id: "1", properties: { amount: Infinity } }]).then(
    () => assert.fail("should reject"),
    (e) => e,
  );
  assert.ok(err instanceof HubSpotError);
  assert.ok(err instanceof esm.HubSpotError, "the ESM class too");
  assert.equal(err.code, "INVALID_INPUT");
  assert.match(err.message, /inputs\[0\]\.properties\.amount/);
  assert.equal(emu.emulator.getLog().length, before, "nothing sent");
  const r = await client.update(h.dealInputs([7]));
  assert.equal(r.results.length, 1);
});
