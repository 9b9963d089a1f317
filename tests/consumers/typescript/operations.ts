// The four operations beside update, type-checked with tsc --strict like consumer.ts: inputs
// and results typed from HubSpot's OpenAPI schemas, and `@ts-expect-error` lines proving that
// wrong calls fail to compile.
import { HubSpotBatch, buildBatchRequests, parseBatchResponse } from "hubspot-batch";
import type {
  BatchCreateInput,
  BatchOperation,
  BatchResult,
  BatchUpsertInput,
  ObjectRef,
  ReadOptions,
  SimplePublicObject,
  SimplePublicObjectId,
  SimplePublicUpsertObject,
} from "hubspot-batch";

type Equal<A, B> = (<T>() => T extends A ? 1 : 2) extends <T>() => T extends B ? 1 : 2 ? true : false;
const exact = <T extends true>(): T | undefined => undefined;

export async function operations(client: HubSpotBatch): Promise<void> {
  const upserts: BatchUpsertInput[] = [{ id: "ext-1", properties: { amount: 10, closedate: new Date() } }];
  const up = await client.upsert(upserts, { idProperty: "deal_external_id" });
  exact<Equal<typeof up, BatchResult<SimplePublicUpsertObject>>>();
  const isNew: boolean = up.results[0].new;
  const amount: string | null = up.results[0].properties.amount;

  const creates: BatchCreateInput[] = [
    {
      properties: { dealname: "New" },
      associations: [{ to: { id: "7" }, types: [{ associationCategory: "HUBSPOT_DEFINED", associationTypeId: 3 }] }],
      objectWriteTraceId: "row-1",
    },
  ];
  const created = await client.create(creates, { onProgress: (p) => void p.done });
  const createdAt: string = created.results[0].createdAt;
  const maybe: boolean | undefined = created.failed[0].error.mayHaveApplied;

  const refs: ObjectRef[] = ["1", { id: "2" }];
  const options: ReadOptions = { properties: ["amount"], propertiesWithHistory: ["dealstage"], archived: false };
  const read = await client.read(refs, options);
  exact<Equal<typeof read.results, SimplePublicObject[]>>();
  const archived = await client.archive(refs, { signal: new AbortController().signal });
  exact<Equal<typeof archived.results, SimplePublicObjectId[]>>();

  const op: BatchOperation = "upsert";
  const requests = buildBatchRequests(op, upserts, { idProperty: "deal_external_id", apiVersion: "2026-03" });
  const url: string = requests[0].url;
  const parsed = parseBatchResponse(204, "");
  new HubSpotBatch({ accessToken: "x", apiVersion: "2026-03" });
  new HubSpotBatch({ accessToken: "x", apiVersion: "v3" });

  // @ts-expect-error read needs the properties to return
  await client.read(refs, {});
  // @ts-expect-error read takes ids, not objects with properties
  await client.read([{ id: "1", properties: {} }], { properties: [] });
  // @ts-expect-error a create input has no id
  await client.create([{ id: "1", properties: {} }]);
  // @ts-expect-error an upsert input needs an id
  await client.upsert([{ properties: {} }], { idProperty: "email" });
  // @ts-expect-error archive takes no idProperty
  await client.archive(["1"], { idProperty: "email" });
  // @ts-expect-error an association type id is a number
  await client.create([{ properties: {}, associations: [{ to: { id: "1" }, types: [{ associationCategory: "HUBSPOT_DEFINED", associationTypeId: "3" }] }] }]);
  // @ts-expect-error not an operation
  buildBatchRequests("delete", []);
  // @ts-expect-error apiVersion is "v3" or a date
  new HubSpotBatch({ accessToken: "x", apiVersion: "v4" });
  void [isNew, amount, createdAt, maybe, url, parsed];
}
