// A minimal stand-in for HubSpot's batch-update endpoint, for the packaging tests: it answers
// every POST .../batch/update with 200 and all inputs updated, and allows CORS so that a page
// served from another 127.0.0.1 port can call it. It listens on 127.0.0.1 only. (The real
// emulator, with faults and rate limits, lives in tests/emulator/.)
import { createServer } from "node:http";

export async function startTinyHubSpot() {
  const requests = [];
  const server = createServer((req, res) => {
    const cors = {
      "access-control-allow-origin": "*",
      "access-control-allow-methods": "POST, OPTIONS",
      "access-control-allow-headers": "authorization, content-type",
      "access-control-max-age": "600",
    };
    if (req.method === "OPTIONS") {
      res.writeHead(204, cors);
      res.end();
      return;
    }
    let body = "";
    req.setEncoding("utf8");
    req.on("data", (c) => (body += c));
    req.on("end", () => {
      requests.push({ method: req.method, url: req.url, headers: req.headers, body });
      if (req.method !== "POST" || !/\/crm\/v3\/objects\/[^/]+\/batch\/update$/.test(req.url.split("?")[0])) {
        res.writeHead(404, { ...cors, "content-type": "application/json" });
        res.end(JSON.stringify({ status: "error", message: "not found", correlationId: "00000000-0000-0000-0000-000000000000", category: "OBJECT_NOT_FOUND" }));
        return;
      }
      let inputs;
      try {
        inputs = JSON.parse(body).inputs;
      } catch {}
      if (!Array.isArray(inputs)) inputs = [];
      const now = new Date().toISOString();
      res.writeHead(200, { ...cors, "content-type": "application/json;charset=utf-8" });
      res.end(
        JSON.stringify({
          status: "COMPLETE",
          results: inputs.map((i) => ({
            id: String(i.id),
            properties: { ...(i.properties ?? {}), hs_lastmodifieddate: now },
            createdAt: now,
            updatedAt: now,
            archived: false,
          })),
          startedAt: now,
          completedAt: now,
        }),
      );
    });
  });
  await new Promise((resolve) => server.listen(0, "127.0.0.1", resolve));
  return {
    url: `http://127.0.0.1:${server.address().port}`,
    requests,
    close: () => new Promise((resolve) => server.close(resolve)),
  };
}
