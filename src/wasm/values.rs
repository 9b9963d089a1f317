//! Values across the boundary, through serde-wasm-bindgen: the caller's arguments in (as
//! `values.js` describes them, so nothing the caller passes can throw through wasm), results
//! out, and JSON text through the JS engine's `JSON.parse` and `JSON.stringify`.

use js_sys::{Function, JsString, Reflect};
use serde::de::DeserializeOwned;
use serde::Serialize;
use wasm_bindgen::prelude::*;
use wasm_bindgen::JsCast;

use crate::error::HubSpotError;
use crate::input::Value;

#[wasm_bindgen(module = "/src/wasm/values.js")]
extern "C" {
    // `catch` although they never throw: a wrapper in the glue, so the .wasm imports
    // everything from the glue's one module (scripts/short-names.mjs relies on it).
    #[wasm_bindgen(js_name = describeValue, catch)]
    fn describe_value(v: &JsValue) -> Result<JsValue, JsValue>;
    #[wasm_bindgen(js_name = describeInputs, catch)]
    fn describe_inputs(v: &JsValue) -> Result<JsValue, JsValue>;
    #[wasm_bindgen(js_name = describeOptions, catch)]
    fn describe_options(v: &JsValue) -> Result<JsValue, JsValue>;
}

#[wasm_bindgen]
extern "C" {
    /// `JSON.parse`, catching what it throws.
    #[wasm_bindgen(js_namespace = JSON, js_name = parse, catch)]
    pub fn json_parse(text: &JsValue) -> Result<JsValue, JsValue>;
    /// `JSON.stringify`, catching what it throws.
    #[wasm_bindgen(js_namespace = JSON, js_name = stringify, catch)]
    fn json_stringify(v: &JsValue) -> Result<JsValue, JsValue>;
}

/// Reads a described value: it is plain data, so serde-wasm-bindgen cannot throw on it.
fn described(v: Result<JsValue, JsValue>) -> Value {
    v.ok()
        .and_then(|v| serde_wasm_bindgen::from_value(v).ok())
        .unwrap_or(Value::Other("a value whose reading threw"))
}

/// One property value, as given to `formatPropertyValue`.
pub fn value(v: &JsValue) -> Value {
    described(describe_value(v))
}

/// A call's `inputs` argument.
pub fn inputs(v: &JsValue) -> Value {
    described(describe_inputs(v))
}

/// An options argument: `Value::Undefined`, `Value::Null`, an object, or what it was.
pub fn options(v: &JsValue) -> Value {
    described(describe_options(v))
}

/// The entries of an options argument (none for `undefined` or `null`), or the error `fail`
/// makes of `"{what}: expected an object"`.
pub fn option_entries(
    v: &JsValue,
    what: &str,
    fail: fn(String) -> HubSpotError,
) -> Result<Vec<(String, Value)>, HubSpotError> {
    match options(v) {
        Value::Undefined | Value::Null => Ok(Vec::new()),
        Value::Object(entries) => Ok(entries),
        _ => Err(fail(format!("{what}: expected an object"))),
    }
}

/// `v[key]` (read again after [`options`] judged it), `undefined` if reading it throws.
pub fn field(v: &JsValue, key: &str) -> JsValue {
    Reflect::get(v, &key.into()).unwrap_or_default()
}

/// `v[key]` when it is a function (read again after [`options`] judged it: a getter that
/// throws now yields `None`).
pub fn function_field(v: &JsValue, key: &str) -> Option<Function> {
    Reflect::get(v, &key.into())
        .ok()
        .and_then(|f| f.dyn_into::<Function>().ok())
}

/// A model value as JS data: maps as plain objects (not `Map`s), as `JSON.parse` makes them.
pub fn to_js<T: Serialize + ?Sized>(v: &T) -> Result<JsValue, JsValue> {
    v.serialize(&serde_wasm_bindgen::Serializer::json_compatible())
        .map_err(JsValue::from)
}

/// A model value as JSON text, written by the JS engine.
pub fn to_json<T: Serialize + ?Sized>(v: &T) -> Result<JsString, JsValue> {
    json_stringify(&to_js(v)?)?
        .dyn_into::<JsString>()
        .map_err(|_| JsValue::from_str("JSON.stringify gave no string"))
}

/// Reads JS data (as `JSON.parse` made it) as a model value.
pub fn from_js<T: DeserializeOwned>(v: JsValue) -> Result<T, serde_wasm_bindgen::Error> {
    serde_wasm_bindgen::from_value(v)
}
