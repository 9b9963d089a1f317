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
