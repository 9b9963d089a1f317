//! `createBatchUpdateHandler` in the browser build (feature `proxy` off): the edge proxy holds
//! the HubSpot token, which a page must never have, so the browser entry's wasm leaves the
//! proxy out. The export stays, with the same typing, and throws a clear `INVALID_CONFIG`.

use wasm_bindgen::prelude::*;

use super::errors;
use crate::error::HubSpotError;

/// Why the browser build has no proxy, and where to find it.
const NOT_IN_BROWSER: &str = "createBatchUpdateHandler is not available in the browser \
build of hubspot-batch: the proxy holds the HubSpot token, which must never reach a page. \
Create the handler in a Cloudflare Worker (the package's \"workerd\"/\"worker\" entry) or in \
Node.js, and point the page's HubSpotBatch at it with baseUrl.";

/// Creates the edge proxy's request handler. Not in the browser build: always throws
/// `INVALID_CONFIG` (use it from a Worker or Node.js).
#[wasm_bindgen(js_name = createBatchUpdateHandler, unchecked_return_type = "(request: Request) => Promise<Response>")]
pub fn create_batch_update_handler(
    #[wasm_bindgen(unchecked_param_type = "ProxyOptions")] options: JsValue,
) -> Result<JsValue, JsValue> {
    drop(options);
    Err(errors::to_js(&HubSpotError::invalid_config(NOT_IN_BROWSER)))
}
