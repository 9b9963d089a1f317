// HubSpot's required fields are required (issue 13 item 8). crm-objects-v3.json requires
// `archived`, `createdAt`, `id`, `properties`, `updatedAt` on SimplePublicObject and `category`,
// `context`, `errors`, `links`, `message`, `status` on StandardError; @hubspot/api-client types
// them as required too. Checked with plain `tsc --strict` (tsconfig.fields.json: no
// noUncheckedIndexedAccess, which --strict does not include), as a user reads them: by index,
// with no `?.` and no `!`, into variables of exactly their types. The `@ts-expect-error` lines
// fail for the reason they give and no other.
import { HubSpotBatch, parseBatchResponse } from "hubspot-batch";
import type { BatchResponse, BatchUpdateResult, ErrorDetail, SimplePublicObject, StandardError } from "hubspot-batch";

type Equal<A, B> = (<T>() => T extends A ? 1 : 2) extends <T>() => T extends B ? 1 : 2 ? true : false;
function assertType<T extends true>(): T | void {}

// Exact types, field by field (an optional field would add `| undefined` and fail these).
assertType<Equal<SimplePublicObject["id"], string>>();
assertType<Equal<SimplePublicObject["properties"], Record<string, string | null>>>();
assertType<Equal<SimplePublicObject["createdAt"], string>>();
assertType<Equal<SimplePublicObject["updatedAt"], string>>();
assertType<Equal<SimplePublicObject["archived"], boolean>>();
assertType<Equal<SimplePublicObject["archivedAt"], string | undefined>>();
assertType<Equal<StandardError["category"], string>>();
assertType<Equal<StandardError["context"], Record<string, string[]>>>();
assertType<Equal<StandardError["errors"], ErrorDetail[]>>();
assertType<Equal<StandardError["links"], Record<string, string>>>();
assertType<Equal<StandardError["message"], string>>();
assertType<Equal<StandardError["status"], string>>();
assertType<Equal<ErrorDetail["message"], string>>();
assertType<Equal<BatchUpdateResult["results"], SimplePublicObject[]>>();
assertType<Equal<BatchUpdateResult["errors"], StandardError[]>>();
// parseBatchResponse always returns these (`[]` and 0 for a 200).
assertType<Equal<BatchResponse["results"], SimplePublicObject[]>>();
assertType<Equal<BatchResponse["errors"], StandardError[]>>();
assertType<Equal<BatchResponse["numErrors"], number>>();
assertType<Equal<BatchResponse["startedAt"], string>>();
assertType<Equal<BatchResponse["completedAt"], string>>();

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
  for (let i = 0; i < result.errors.length; i++) {
    const context: Record<string, string[]> = result.errors[i].context;
    const category: string = result.errors[i].category;
    const message: string = result.errors[i].message;
    const details: ErrorDetail[] = result.errors[i].errors;
    void [context, category, message, details];
  }

  const parsed = parseBatchResponse(207, "{}");
  for (let i = 0; i < parsed.results.length; i++) {
    const x: string | null = parsed.results[i].properties.x;
    const createdAt: string = parsed.results[i].createdAt;
    void [x, createdAt];
  }
  for (let i = 0; i < parsed.errors.length; i++) {
    const context: Record<string, string[]> = parsed.errors[i].context;
    void context;
  }
  const first: string | null = parsed.results[0].properties.amount;
  const firstContext: Record<string, string[]> = parsed.errors[0].context;
  void [first, firstContext];
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
  // @ts-expect-error context's values are lists of strings
  const context: Record<string, string> = result.errors[0].context;
  // @ts-expect-error an optional field stays optional: archivedAt may be missing
  const archivedAt: string = result.results[0].archivedAt;
  // @ts-expect-error an error's id may be missing
  const errorId: string = result.errors[0].id;
  // @ts-expect-error parseBatchResponse's values may be null too
  const parsedAmount: string = parseBatchResponse(200, "{}").results[0].properties.amount;
  // @ts-expect-error requestedAt is optional in the schema
  const requestedAt: string = parseBatchResponse(200, "{}").requestedAt;
  void [amount, amountNumber, createdAt, context, archivedAt, errorId, parsedAmount, requestedAt];
}
