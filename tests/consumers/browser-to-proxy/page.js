// A page on its own origin that updates deals through the edge proxy Worker. It has no token:
// `baseUrl` is the Worker, which adds it. `?proxy=<worker url>` says where the Worker is.
import { HubSpotBatch, HubSpotError } from "hubspot-batch";

const proxy = new URLSearchParams(location.search).get("proxy");
const out = { proxy, seen: [] };

// Everything the page's JS gets back from the network, recorded (the client looks the global
// fetch up at call time, so it goes through this too).
const realFetch = globalThis.fetch;
globalThis.fetch = async function recordingFetch(input, init) {
  const res = await realFetch(input, init);
  const copy = res.clone();
  out.seen.push({
    url: String(input),
    sentHeaders: Object.fromEntries(new Headers(init?.headers ?? {})),
    status: res.status,
    headers: [...res.headers],
    body: await copy.text(),
  });
  return res;
};

const log = (line) => (document.getElementById("log").textContent += line + "\n");

try {
  // 1. The client in the page, HubSpot's endpoint forwarded by the Worker.
  const client = new HubSpotBatch({ baseUrl: proxy, batchSize: 2 });
  out.progress = [];
  out.result = await client.update(
    [
      { id: "1", properties: { dealstage: "closedwon", amount: 1200 } },
      { id: "2", properties: { dealname: "Through the proxy", tags: ["upsell"] } },
      { id: "3", properties: { dealstage: "not-a-stage" } },
      { id: "4", properties: { closedate: new Date(Date.UTC(2026, 5, 30)) } },
      { id: "999999", properties: { dealname: "nobody" } },
    ],
    { onProgress: (p) => out.progress.push(p) },
  );
  log(`client: ${out.result.results.length} updated, ${out.result.failed.length} failed`);

  // 2. A whole update run at the edge: POST /update.
  const res = await fetch(`${proxy}/update`, {
    method: "POST",
    headers: { "Content-Type": "application/json" },
    body: JSON.stringify({ inputs: [{ id: "ext-6", properties: { amount: 66 } }], idProperty: "deal_external_id" }),
  });
  out.edge = { status: res.status, result: await res.json() };
  log(`edge: ${out.edge.result.results.length} updated`);

  // 3. An object type the proxy does not allow: HubSpotError with the proxy's 403.
  try {
    await new HubSpotBatch({ baseUrl: proxy, objectType: "contacts" }).update([{ id: "1", properties: { firstname: "x" } }]);
    out.refused = "not refused";
  } catch (e) {
    out.refused = { isHubSpotError: e instanceof HubSpotError, code: e.code, status: e.status, category: e.category, message: e.message };
  }
  document.getElementById("status").textContent = "done";
} catch (e) {
  out.error = String((e && e.stack) || e);
  document.getElementById("status").textContent = `error: ${e && e.message}`;
}
window.__result = out;
