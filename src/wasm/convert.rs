//! JS values in, JS values out.
//!
//! Reading never trusts the caller: getters and Proxy traps may throw, arrays may be cyclic,
//! prototypes may be odd. encode.js walks the values in JS, catching all of that, and hands
//! over one JSON text; this module turns it into the [`Value`]s the core judges, so bad input
//! becomes `INVALID_INPUT`, never a trap.

use js_sys::{Array, Function, Reflect};
use wasm_bindgen::prelude::*;
use wasm_bindgen::JsCast;

use crate::encoded::{self, OptionsError};
use crate::error::HubSpotError;
use crate::input::{RawInput, Value};

// The walk over JS values is in JS (encode.js says why, and how values are encoded): one call
// and one string per argument instead of a boundary crossing per field. The strings come back
// as JsValues and cross in one `TextEncoder` call (`large_string`), not through the generated
// glue's character loop.
#[wasm_bindgen(module = "/src/wasm/encode.js")]
extern "C" {
    #[wasm_bindgen(js_name = encodeValue, catch)]
    fn encode_value(v: &JsValue) -> Result<JsValue, JsValue>;
    #[wasm_bindgen(js_name = encodeOptions, catch)]
    fn encode_options(v: &JsValue) -> Result<JsValue, JsValue>;
    #[wasm_bindgen(js_name = encodeInputs, catch)]
    fn encode_inputs(v: &JsValue) -> Result<JsValue, JsValue>;
    #[wasm_bindgen(js_name = quickInputs, catch)]
    fn quick_inputs_js(v: &JsValue) -> Result<JsValue, JsValue>;
}

#[wasm_bindgen]
extern "C" {
    #[wasm_bindgen(js_namespace = Object, js_name = entries, catch)]
    fn object_entries(o: &JsValue) -> Result<Array, JsValue>;
}

fn text(encoded: Result<JsValue, JsValue>) -> Option<String> {
    super::transport::large_string(&encoded.ok()?)
}

/// A property value, arrays read one level deep.
pub fn value(v: &JsValue) -> Value {
    text(encode_value(v)).map_or(Value::Other("object"), |t| encoded::value(&t))
}

/// Own enumerable entries of an object, or `None` if reading them threw.
pub fn entries(v: &JsValue) -> Option<Vec<(String, JsValue)>> {
    let arr = object_entries(v).ok()?;
    let mut out = Vec::with_capacity(arr.length() as usize);
    for pair in arr.iter() {
        let pair: Array = pair.dyn_into().ok()?;
        out.push((pair.get(0).as_string().unwrap_or_default(), pair.get(1)));
    }
    Some(out)
}

/// An options object as entries of values; nested plain objects (such as `rateLimit`) are
/// read one more level.
pub fn options_entries(
    v: &JsValue,
    what: &str,
    code: fn(String) -> HubSpotError,
) -> Result<Vec<(String, Value)>, HubSpotError> {
    let read = text(encode_options(v)).ok_or(OptionsError::Unreadable);
    read.and_then(|t| encoded::options(&t))
        .map_err(|e| match e {
            OptionsError::NotObject => code(format!("{what}: expected an object")),
            OptionsError::Unreadable => code(format!("{what}: its fields cannot be read")),
        })
}

/// `buildBatchUpdateRequests()`'s fast path: `JSON.stringify(inputs)` (see
/// `crate::json_inputs`), or `None` when the inputs are not plain enough for it.
pub fn quick_inputs(inputs: &JsValue) -> Option<String> {
    text(quick_inputs_js(inputs))
}

/// The `inputs` argument of `update()` and `buildBatchUpdateRequests()`.
pub fn raw_inputs(inputs: &JsValue) -> Result<Vec<RawInput>, HubSpotError> {
    let text = text(encode_inputs(inputs))
        .ok_or_else(|| HubSpotError::invalid_input("inputs: reading them threw"))?;
    encoded::inputs(&text)
}

/// Serialises to plain JS objects through JSON text: the core writes it (with the hand-written
/// writers of `crate::write`, not serde), the engine's `JSON.parse` builds the objects. One
/// boundary crossing per value instead of one per field, and no serde-wasm-bindgen in the wasm
/// (see BENCHMARKS.md).
pub fn to_js(v: &dyn crate::write::WriteJson) -> Result<JsValue, JsValue> {
    js_sys::JSON::parse(&crate::write::to_json(v))
}

/// A field of an object that must be a function, if present.
pub fn function_field(v: &JsValue, key: &str) -> Option<Function> {
    Reflect::get(v, &key.into())
        .ok()
        .and_then(|f| f.dyn_into::<Function>().ok())
}
