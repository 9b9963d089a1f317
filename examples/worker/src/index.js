// A Cloudflare Worker that lets browser apps batch-update HubSpot records without ever seeing
// the HubSpot token. It is hubspot-batch's edge proxy, `createBatchUpdateHandler`, configured
// from the Worker's environment:
//
//   HUBSPOT_TOKEN      secret (`npx wrangler secret put HUBSPOT_TOKEN`): a private-app token
//                      with the crm.objects.deals.write scope. Never sent to the page.
//   ALLOWED_ORIGINS    comma-separated origins of the pages that may call the proxy, e.g.
//                      "https://app.example.com,https://admin.example.com" ("*" allows any).
//   HUBSPOT_BASE_URL   optional; where HubSpot is (default https://api.hubapi.com). The tests
//                      point it at a local HubSpot emulator.
//   OPERATIONS         optional; comma-separated batch operations the pages may use, from
//                      update, upsert, create, read, archive (default "update"). Every other
//                      one is refused with a JSON 403: a page must not archive records only
//                      because the proxy could forward the path.
//   HUBSPOT_LIMITER    Durable Object binding (wrangler.toml) of the package's HubSpotRateLimiter:
//                      one rolling window for the token, shared by every isolate, so forwarded
//                      requests and edge runs together never exceed HubSpot's limit.
//   RATE_LIMIT         optional; HubSpot's limit for the token, "requests/intervalMs"
//                      (default "100/10000").
//
// Routes (see the package README), for the listed operations only:
//   OPTIONS *                                      CORS preflight (allowed origins only)
//   POST /crm/v3/objects/{type}/batch/{op}         HubSpot's endpoint, forwarded with the token
//   POST /crm/objects/{YYYY-MM}/{type}/batch/{op}  (the dated API too):
//                                                  `new HubSpotBatch({ baseUrl: <this Worker> })`
//                                                  in the page uses it.
//   POST /update  { inputs, idProperty?, objectType? }   a whole update() run at the edge.
import { createBatchUpdateHandler, durableObjectRateLimiter, HubSpotRateLimiter } from "hubspot-batch";

// The Durable Object class must be exported by the Worker's main module.
export { HubSpotRateLimiter };

// The handler is built once per configuration and reused across requests (an isolate serves
// many requests; the environment only changes on a new deployment).
let cached = { key: null, handler: null };

function handlerFor(env) {
  const key = JSON.stringify([env.HUBSPOT_TOKEN, env.ALLOWED_ORIGINS, env.HUBSPOT_BASE_URL ?? null, env.OPERATIONS ?? null, env.RATE_LIMIT ?? null]);
  if (cached.key !== key) {
    const options = {
      accessToken: env.HUBSPOT_TOKEN,
      allowedOrigins: String(env.ALLOWED_ORIGINS ?? "")
        .split(",")
        .map((o) => o.trim())
        .filter(Boolean),
    };
    if (env.HUBSPOT_BASE_URL) options.baseUrl = env.HUBSPOT_BASE_URL;
    if (env.OPERATIONS) options.operations = String(env.OPERATIONS).split(",").map((o) => o.trim()).filter(Boolean);
    if (env.HUBSPOT_LIMITER) {
      // One instance for this Worker's token (named by what it is for, never by the token).
      const [requests, intervalMs] = String(env.RATE_LIMIT ?? "100/10000").split("/").map(Number);
      options.rateLimiter = durableObjectRateLimiter(env.HUBSPOT_LIMITER, { name: "hubspot-token", requests, intervalMs });
    }
    // Throws HubSpotError INVALID_CONFIG for a missing token, no origins, a bad origin, an
    // unknown operation or a non-https base URL; its message never contains the token.
    cached = { key, handler: createBatchUpdateHandler(options) };
  }
  return cached.handler;
}

function misconfigured(message) {
  return new Response(JSON.stringify({ status: "error", category: "PROXY_MISCONFIGURED", message, correlationId: "" }), {
    status: 500,
    headers: { "Content-Type": "application/json" },
  });
}

export default {
  /**
   * @param {Request} request
   * @param {{ HUBSPOT_TOKEN?: string, ALLOWED_ORIGINS?: string, HUBSPOT_BASE_URL?: string, OPERATIONS?: string, RATE_LIMIT?: string, HUBSPOT_LIMITER?: import("hubspot-batch").RateLimiterNamespace }} env
   * @returns {Promise<Response>}
   */
  async fetch(request, env) {
    if (!env.HUBSPOT_TOKEN) return misconfigured("the HUBSPOT_TOKEN secret is not set (npx wrangler secret put HUBSPOT_TOKEN)");
    if (!env.ALLOWED_ORIGINS) return misconfigured("ALLOWED_ORIGINS is not set (wrangler.toml [vars])");
    let handler;
    try {
      handler = handlerFor(env);
    } catch (e) {
      // Logged for `wrangler tail`; the page only learns that the proxy is misconfigured.
      console.error(`hubspot-batch proxy: ${e && e.message}`);
      return misconfigured("the proxy's configuration is invalid; see the Worker's logs");
    }
    return handler(request);
  },
};
