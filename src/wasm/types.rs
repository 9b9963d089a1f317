//! The argument types of the JS API, declared as Rust types so their TypeScript is generated
//! (tsify) next to the code that reads them. They are read through `values` (a `Date` or a
//! (a `Date` or a function cannot go through serde), so these types are never built.
#![allow(dead_code)]

use serde::Serialize;
use tsify::Tsify;
use wasm_bindgen::prelude::*;

#[wasm_bindgen(typescript_custom_section)]
const PROPERTY_VALUE_TS: &str = r#"
/** A property value; it becomes a HubSpot string (see formatPropertyValue). */
export type PropertyValue = string | number | boolean | Date | readonly string[] | null;
/** A record to read or archive: its id (or, for read, its `idProperty` value). */
export type ObjectRef = string | { id: string };
/** HubSpot's five batch endpoints: `POST …/{objectType}/batch/{operation}`. */
export type BatchOperation = "update" | "upsert" | "create" | "read" | "archive";
/** What a call of any operation resolves with: every input in `results` or in `failed`. */
export type BatchResult<T> = BatchUpdateResult<T>;
/**
 * A rolling window shared by every client on one token (the `rateLimiter` option): the
 * package's `memoryRateLimiter` (one process) and `durableObjectRateLimiter` (a Cloudflare
 * Durable Object), or your own (Redis...). Each request is sent under one permit.
 */
export interface RateLimiter {
  /**
   * Takes one slot of the window for one request. Resolves when the request may be sent:
   * at once, or `permit.waitMs` after. A rejection lets the request go without a permit.
   */
  acquire(): Promise<RateLimitPermit>;
  /**
   * Gives `permit`'s slot back, once. `answeredAt` (epoch ms) is when the request's answer
   * arrived: HubSpot counted the request before that, so the slot stays taken until one
   * interval after it (a limiter with another clock takes the later of it and its own now).
   * `null`: the request was never sent, and the slot frees at once.
   */
  release(permit: RateLimitPermit, answeredAt: number | null): unknown;
}
/** One slot of a shared window, as `RateLimiter.acquire()` grants it. */
export interface RateLimitPermit {
  /** Milliseconds to wait before sending, from when `acquire()` resolved; default 0. */
  waitMs?: number;
}
"#;

/// One record to update.
#[derive(Serialize, Tsify)]
#[serde(rename_all = "camelCase")]
pub struct BatchUpdateInput {
    /// The internal id, or the value of `idProperty`.
    pub id: String,
    /// Property values by property name.
    #[tsify(type = "Record<string, PropertyValue>")]
    pub properties: (),
    /// Overrides `UpdateOptions.idProperty` for this input.
    #[tsify(optional)]
    pub id_property: Option<String>,
    /// Echoed by HubSpot; unique within one `update()` call.
    #[tsify(optional)]
    pub object_write_trace_id: Option<String>,
}

/// One record to create or update, keyed by a unique property.
#[derive(Serialize, Tsify)]
#[serde(rename_all = "camelCase")]
pub struct BatchUpsertInput {
    /// The value of `idProperty` that names the record.
    pub id: String,
    /// Property values by property name.
    #[tsify(type = "Record<string, PropertyValue>")]
    pub properties: (),
    /// The unique property `id` is a value of; required here or in the options.
    #[tsify(optional)]
    pub id_property: Option<String>,
    /// Echoed by HubSpot; unique within one call.
    #[tsify(optional)]
    pub object_write_trace_id: Option<String>,
}

/// One record to create.
#[derive(Serialize, Tsify)]
#[serde(rename_all = "camelCase")]
pub struct BatchCreateInput {
    /// Property values by property name.
    #[tsify(type = "Record<string, PropertyValue>")]
    pub properties: (),
    /// Associations to make with the new record.
    #[tsify(optional)]
    pub associations: Option<Vec<crate::model::PublicAssociationsForObject>>,
    /// Ties the result or error to this input; unique within one call (one is added when
    /// left out).
    #[tsify(optional)]
    pub object_write_trace_id: Option<String>,
}

/// An upserted record: HubSpot's `SimplePublicUpsertObject`.
#[derive(Serialize, Tsify)]
pub struct SimplePublicUpsertObject {
    /// The record.
    #[serde(flatten)]
    pub object: crate::model::SimplePublicObject,
    /// Whether HubSpot created it (rather than updated it).
    pub new: bool,
}

/// Options of a `create()` or `archive()` call.
#[derive(Serialize, Tsify)]
#[serde(rename_all = "camelCase")]
pub struct RunOptions {
    /// Aborting rejects with code `ABORTED` and sends nothing more.
    #[tsify(optional, type = "AbortSignal")]
    pub signal: Option<()>,
    /// Called as inputs settle.
    #[tsify(optional, type = "(progress: Progress) => void")]
    pub on_progress: Option<()>,
}

/// Options of a `read()` call.
#[derive(Serialize, Tsify)]
#[serde(rename_all = "camelCase")]
pub struct ReadOptions {
    /// Properties to return (the `idProperty` is added, to tie results to inputs).
    pub properties: Vec<String>,
    /// Properties to return with their history; at most 50 ids per request then.
    #[tsify(optional)]
    pub properties_with_history: Option<Vec<String>>,
    /// A unique property the ids are values of.
    #[tsify(optional)]
    pub id_property: Option<String>,
    /// Read archived records instead.
    #[tsify(optional)]
    pub archived: Option<bool>,
    /// Abort and progress.
    #[serde(flatten)]
    pub run: RunOptions,
}

/// Where and how requests go: shared by `ClientOptions` and `BuildOptions`.
#[derive(Serialize, Tsify)]
#[serde(rename_all = "camelCase")]
pub struct RequestOptions {
    /// Private-app or OAuth token (adds the Authorization header); leave out when `baseUrl` is
    /// a proxy that adds it.
    #[tsify(optional)]
    pub access_token: Option<String>,
    /// Default `"https://api.hubapi.com"`; `http:` only on loopback.
    #[tsify(optional)]
    pub base_url: Option<String>,
    /// Default `"0-3"` (deals); `"contacts"`, `"0-1"`, `"2-1234"`... pass through.
    #[tsify(optional)]
    pub object_type: Option<String>,
    /// Inputs per request, 1..100, default 100.
    #[tsify(optional)]
    pub batch_size: Option<u32>,
    /// `"v3"` (default: `/crm/v3/objects/…`) or a date version such as `"2026-03"`
    /// (`/crm/objects/2026-03/…`).
    #[tsify(optional, type = "\"v3\" | `${number}-${number}`")]
    pub api_version: Option<String>,
}

/// Options of `new HubSpotBatch()`.
#[derive(Serialize, Tsify)]
#[serde(rename_all = "camelCase")]
pub struct ClientOptions {
    /// Token, base URL, object type, batch size.
    #[serde(flatten)]
    pub request: RequestOptions,
    /// Requests in flight at most; default: the rate limit's `requests` (at most 250), or
    /// 10 with `rateLimit: null`.
    #[tsify(optional)]
    pub concurrency: Option<u32>,
    /// Rolling-window pacing, default `{ requests: 100, intervalMs: 10_000 }`; `null` = off.
    #[tsify(optional, type = "{ requests: number; intervalMs: number } | null")]
    pub rate_limit: Option<()>,
    /// Retries after the first attempt, per request; default 5.
    #[tsify(optional)]
    pub max_retries: Option<u32>,
    /// Per attempt, default 30 000.
    #[tsify(optional)]
    pub timeout_ms: Option<f64>,
    /// Default: the runtime's global fetch, looked up at call time. Called unbound.
    #[tsify(optional, type = "typeof globalThis.fetch")]
    pub fetch: Option<()>,
    /// A window shared with every other client on the token (a Durable Object, a process,
    /// Redis...): each request waits for its permit, and the client's own window steps aside.
    #[tsify(optional, type = "RateLimiter | null")]
    pub rate_limiter: Option<()>,
}

/// Options of one `update()` call.
#[derive(Serialize, Tsify)]
#[serde(rename_all = "camelCase")]
pub struct UpdateOptions {
    /// A unique property whose values the inputs' ids are.
    #[tsify(optional)]
    pub id_property: Option<String>,
    /// Aborting rejects with code `ABORTED` and sends nothing more.
    #[tsify(optional, type = "AbortSignal")]
    pub signal: Option<()>,
    /// Called as inputs settle.
    #[tsify(optional, type = "(progress: Progress) => void")]
    pub on_progress: Option<()>,
}

/// Options of `buildBatchUpdateRequests()`.
#[derive(Serialize, Tsify)]
#[serde(rename_all = "camelCase")]
pub struct BuildOptions {
    /// Token, base URL, object type, batch size.
    #[serde(flatten)]
    pub request: RequestOptions,
    /// Default idProperty for all inputs.
    #[tsify(optional)]
    pub id_property: Option<String>,
}

/// Options of `createBatchUpdateHandler()`: the edge proxy. The `ClientOptions` fields
/// configure how the proxy itself calls HubSpot (`baseUrl`, pacing, retries...).
#[derive(Serialize, Tsify)]
#[serde(rename_all = "camelCase")]
pub struct ProxyOptions {
    /// The HubSpot token, from a secret; never sent to the page.
    pub access_token: String,
    /// Origins allowed to call, e.g. `["https://app.example.com"]`; `"*"` allows any.
    pub allowed_origins: Vec<String>,
    /// Object types the proxy will touch; default `["0-3", "deals"]`.
    #[tsify(optional)]
    pub object_types: Option<Vec<String>>,
    /// The batch operations the proxy forwards and runs; default `["update"]`. Any other is
    /// refused with a JSON 403: list an operation only if every visitor of an allowed origin
    /// may do it (archive deletes records).
    #[tsify(
        optional,
        type = "readonly (\"update\" | \"upsert\" | \"create\" | \"read\" | \"archive\")[]"
    )]
    pub operations: Option<()>,
    /// Largest request body accepted; default 1 000 000 bytes.
    #[tsify(optional)]
    pub max_body_bytes: Option<u32>,
    /// How the proxy calls HubSpot.
    #[serde(flatten)]
    pub client: ClientOptions,
}
