// A browser app built by Vite with its default config. It updates deals through hubspot-batch.
// HubSpot (and the emulator) refuse CORS, so the API is this page's own origin: the emulator
// serves the built app too. `?api=<url>` points it elsewhere (the dev-server test does).
// No token in the page: the emulator runs in sandbox mode (in production: a proxy holds it).
import { HubSpotBatch, HubSpotError, buildBatchUpdateRequests, createBatchUpdateHandler } from "hubspot-batch";

const api = new URLSearchParams(location.search).get("api") ?? location.origin;

const inputs = [
  { id: "1", properties: { dealstage: "closedwon", amount: 1500, closedate: new Date(Date.UTC(2026, 0, 15)) } },
  { id: "2", properties: { dealname: "From the browser", tags: ["hot", "enterprise"] } },
  { id: "3", properties: { amount: 99.95, description: null } },
  { id: "4", properties: { dealstage: "no-such-stage" } },
  { id: "5", properties: { dealstage: "contractsent" } },
];

const status = document.getElementById("status");
const rows = document.getElementById("rows");
const out = { api };

try {
  // What will be sent, without sending it: 3 requests of at most 2 inputs.
  const planned = buildBatchUpdateRequests(inputs, { baseUrl: api, batchSize: 2 });
  out.planned = planned.map((r) => ({ url: r.url, method: r.method, inputIndexes: r.inputIndexes, body: JSON.parse(r.body) }));

  const client = new HubSpotBatch({ baseUrl: api, batchSize: 2 });
  out.progress = [];
  const result = await client.update(inputs, { onProgress: (p) => out.progress.push(p) });
  out.result = result;
  for (const r of result.results) rows.insertAdjacentHTML("beforeend", `<tr><td></td><td>${r.id}</td><td>updated</td></tr>`);
  for (const f of result.failed) rows.insertAdjacentHTML("beforeend", `<tr><td>${f.index}</td><td>${f.id}</td><td>failed: ${f.error.category}</td></tr>`);
  status.textContent = `${result.results.length} updated, ${result.failed.length} failed`;

  // A call-level error: a typo in an input is refused before anything is sent.
  try {
    await client.update([{ id: "1", propertys: {} }]);
  } catch (e) {
    out.invalid = { isHubSpotError: e instanceof HubSpotError, code: e.code, message: e.message };
  }

  // The browser build leaves the edge proxy out (a page must not hold the token): the export
  // is there, typed as usual, and throws.
  try {
    createBatchUpdateHandler({ accessToken: "pat-na1-not-a-real-token", allowedOrigins: ["*"] });
    out.proxyStub = { threw: false };
  } catch (e) {
    out.proxyStub = { threw: true, isHubSpotError: e instanceof HubSpotError, isError: e instanceof Error, name: e.name, code: e.code, message: e.message };
  }
} catch (e) {
  out.error = String((e && e.stack) || e);
  status.textContent = `error: ${e && e.message}`;
}
window.__result = out;
