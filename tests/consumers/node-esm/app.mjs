// A Node.js ES-module project using hubspot-batch by `import`, as a user writes it.
//   HUBSPOT_TOKEN=... node app.mjs [baseUrl]
// Prints one JSON line with what happened.
import { HubSpotBatch, HubSpotError, buildBatchUpdateRequests, formatPropertyValue, init } from "hubspot-batch";
import { inputs } from "./inputs.mjs";

const baseUrl = process.argv[2]; // undefined = https://api.hubapi.com
await init(); // never needed, and harmless

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
