// A Worker in which every invocation is one caller: its own HubSpotBatch on the token, sharing
// HubSpot's budget with the other invocations (other isolates, in production) only through the
// package's HubSpotRateLimiter Durable Object, bound as LIMITER.
//   POST /run { ids: string[], requests, intervalMs }  ->  the update's stats and counts
import { HubSpotBatch, durableObjectRateLimiter } from "hubspot-batch";

export { HubSpotRateLimiter } from "hubspot-batch";

export default {
  async fetch(request, env) {
    const { ids, requests, intervalMs, batchSize = 1 } = await request.json();
    const client = new HubSpotBatch({
      accessToken: env.HUBSPOT_TOKEN,
      baseUrl: env.HUBSPOT_BASE_URL,
      batchSize,
      rateLimiter: durableObjectRateLimiter(env.LIMITER, { name: "one-token", requests, intervalMs }),
    });
    const started = Date.now();
    const result = await client.update(ids.map((id) => ({ id, properties: { dealname: `shared ${id}` } })));
    return Response.json({
      stats: result.stats,
      updated: result.results.map((r) => r.id),
      failed: result.failed.map((f) => [f.id, f.error.category]),
      started,
      ended: Date.now(),
    });
  },
};
