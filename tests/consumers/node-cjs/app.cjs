// A Node.js CommonJS project using hubspot-batch by `require`, as a user writes it.
//   HUBSPOT_TOKEN=... node app.cjs [baseUrl]
// Prints one JSON line with what happened.
"use strict";
const { HubSpotBatch, HubSpotError, buildBatchUpdateRequests, formatPropertyValue } = require("hubspot-batch");
const { inputs } = require("./inputs.cjs");

async function main() {
  const baseUrl = process.argv[2];
  const planned = buildBatchUpdateRequests(inputs, { baseUrl, batchSize: 3 });
  const client = new HubSpotBatch({ accessToken: process.env.HUBSPOT_TOKEN, baseUrl, batchSize: 3 });
  const progress = [];
  const result = await client.update(inputs, { onProgress: (p) => progress.push(p) });
  let rejected = null;
  try {
    await new HubSpotBatch({ accessToken: "not-the-right-token", baseUrl }).update([{ id: "1", properties: { dealname: "x" } }]);
  } catch (e) {
    rejected = { instanceOfHubSpotError: e instanceof HubSpotError, instanceOfError: e instanceof Error, name: e.name, code: e.code, status: e.status, category: e.category, message: e.message };
  }
  console.log(JSON.stringify({
    planned: planned.map((r) => ({ url: r.url, inputIndexes: r.inputIndexes, authorization: "authorization" in r.headers || "Authorization" in r.headers })),
    formatted: formatPropertyValue(new Date(Date.UTC(2026, 0, 15))),
    result,
    progress,
    rejected,
  }));
}

main().catch((e) => {
  console.error(e);
  process.exitCode = 1;
});
