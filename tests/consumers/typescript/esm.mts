// An ES-module TypeScript consumer (module nodenext / node16): named imports resolve through
// the "types" condition, and wasm-bindgen's own initSync is not part of the API.
import { HubSpotBatch, HubSpotError, buildBatchUpdateRequests, parseBatchResponse, formatPropertyValue, createBatchUpdateHandler, init } from "hubspot-batch";
import type { BatchUpdateResult } from "hubspot-batch";
const s: string = formatPropertyValue(1.5);
const p: Promise<void> = init();
export async function update(token: string): Promise<BatchUpdateResult> {
  return new HubSpotBatch({ accessToken: token }).update([{ id: "1", properties: { amount: 1 } }]);
}
// @ts-expect-error wasm-bindgen's initSync is not exported
import { initSync } from "hubspot-batch";
export { s, p, HubSpotError, buildBatchUpdateRequests, parseBatchResponse, createBatchUpdateHandler, initSync };
