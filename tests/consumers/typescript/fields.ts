// HubSpot's required fields are required (issue 13 item 8). crm-objects-v3.json requires
// `archived`, `createdAt`, `id`, `properties`, `updatedAt` on SimplePublicObject and `category`,
// `context`, `errors`, `links`, `message`, `status` on StandardError; @hubspot/api-client types
// them as required too. SimplePublicObject's are checked here. StandardError's, ErrorDetail's
// and BatchResponse's are not yet required in the typings (their serde defaults make tsify type
// them optional, and the npm build reads these types): issue 13 stays open for them. Checked with plain `tsc --strict` (tsconfig.fields.json: no
// noUncheckedIndexedAccess, which --strict does not include), as a user reads them: by index,
// with no `?.` and no `!`, into variables of exactly their types. The `@ts-expect-error` lines
// fail for the reason they give and no other.
import { HubSpotBatch, parseBatchResponse } from "hubspot-batch";
import type { BatchResponse, BatchUpdateResult, SimplePublicObject } from "hubspot-batch";

type Equal<A, B> = (<T>() => T extends A ? 1 : 2) extends <T>() => T extends B ? 1 : 2 ? true : false;
function assertType<T extends true>(): T | void {}

// Exact types, field by field (an optional field would add `| undefined` and fail these).
assertType<Equal<SimplePublicObject["id"], string>>();
assertType<Equal<SimplePublicObject["properties"], Record<string, string | null>>>();
assertType<Equal<SimplePublicObject["createdAt"], string>>();
assertType<Equal<SimplePublicObject["updatedAt"], string>>();
assertType<Equal<SimplePublicObject["archived"], boolean>>();
assertType<Equal<SimplePublicObject["archivedAt"], string | undefined>>();
assertType<Equal<BatchUpdateResult["results"], SimplePublicObject[]>>();
assertType<Equal<BatchResponse["results"], SimplePublicObject[]>>();

export async function read(client: HubSpotBatch): Promise<void> {
  const result = await client.update([{ id: "1", properties: { amount: 1500 } }]);
  for (let i = 0; i < result.results.length; i++) {
    const x: string | null = result.results[i].properties.x;
    const amount: string | null = result.results[i].properties.amount;
    const createdAt: string = result.results[i].createdAt;
    const updatedAt: string = result.results[i].updatedAt;
    const archived: boolean = result.results[i].archived;
    void [x, amount, createdAt, updatedAt, archived];
  }
  const parsed = parseBatchResponse(207, "{}");
  for (let i = 0; i < parsed.results.length; i++) {
    const x: string | null = parsed.results[i].properties.x;
    const createdAt: string = parsed.results[i].createdAt;
    void [x, createdAt];
  }
  const first: string | null = parsed.results[0].properties.amount;
  void first;
}

// --- wrong reads, each of which must NOT compile ---------------------------------------------------------
export async function wrong(client: HubSpotBatch): Promise<void> {
  const result = await client.update([{ id: "1", properties: { amount: 1500 } }]);
  // @ts-expect-error a property value may be null (HubSpot sends null for an empty property)
  const amount: string = result.results[0].properties.amount;
  // @ts-expect-error nor is it a number: HubSpot's values are strings
  const amountNumber: number | null = result.results[0].properties.amount;
  // @ts-expect-error createdAt is an ISO 8601 string, not a Date
  const createdAt: Date = result.results[0].createdAt;
  // @ts-expect-error an optional field stays optional: archivedAt may be missing
  const archivedAt: string = result.results[0].archivedAt;
  // @ts-expect-error an error's id may be missing
  const errorId: string = result.errors[0].id;
  // @ts-expect-error parseBatchResponse's values may be null too
  const parsedAmount: string = parseBatchResponse(200, "{}").results[0].properties.amount;
  // @ts-expect-error requestedAt is optional in the schema
  const requestedAt: string = parseBatchResponse(200, "{}").requestedAt;
  void [amount, amountNumber, createdAt, archivedAt, errorId, parsedAmount, requestedAt];
}
