// A CommonJS TypeScript consumer (module nodenext / node16): `import x = require()` and named
// imports both resolve to index.d.cts.
import { HubSpotBatch, HubSpotError, buildBatchUpdateRequests, parseBatchResponse, formatPropertyValue, init } from "hubspot-batch";
import hb = require("hubspot-batch");
const s: string = formatPropertyValue(1.5);
const t: string = hb.formatPropertyValue(true);
const p: Promise<void> = init();
const c: hb.HubSpotBatch = new hb.HubSpotBatch({ accessToken: "x" });
const isError = (e: unknown): e is hb.HubSpotError => e instanceof hb.HubSpotError;
export { s, t, p, c, isError, HubSpotBatch, HubSpotError, buildBatchUpdateRequests, parseBatchResponse };
