//! The crossing's floor: a batch update's inputs carried into wasm by serde-wasm-bindgen, its
//! bodies carried out and turned into text by `JSON.stringify`, and an answer parsed by
//! `JSON.parse` with only each result's id carried in. Nothing is checked or formatted: the
//! inputs arrive as strings already. What this costs, any design on these rules costs at least.

use serde::ser::{SerializeMap, Serializer};
use serde::{Deserialize, Serialize};
use wasm_bindgen::prelude::*;

#[wasm_bindgen]
extern "C" {
    #[wasm_bindgen(js_namespace = JSON, js_name = stringify, catch)]
    fn json_stringify(v: &JsValue) -> Result<JsValue, JsValue>;
    #[wasm_bindgen(js_namespace = JSON, js_name = parse, catch)]
    fn json_parse(v: &JsValue) -> Result<JsValue, JsValue>;
}

/// Property values in the caller's order, read from and written out as a JS object.
struct Properties(Vec<(String, String)>);

impl<'de> Deserialize<'de> for Properties {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct V;
        impl<'de> serde::de::Visitor<'de> for V {
            type Value = Properties;
            fn expecting(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                f.write_str("an object of strings")
            }
            fn visit_map<A: serde::de::MapAccess<'de>>(
                self,
                mut a: A,
            ) -> Result<Properties, A::Error> {
                let mut out = Vec::with_capacity(a.size_hint().unwrap_or(0));
                while let Some(entry) = a.next_entry()? {
                    out.push(entry);
                }
                Ok(Properties(out))
            }
        }
        d.deserialize_map(V)
    }
}

impl Serialize for Properties {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        let mut map = s.serialize_map(Some(self.0.len()))?;
        for (k, v) in &self.0 {
            map.serialize_entry(k, v)?;
        }
        map.end()
    }
}

#[derive(Deserialize, Serialize)]
struct Input {
    id: String,
    properties: Properties,
}

#[derive(Serialize)]
struct Body<'a> {
    inputs: &'a [Input],
}

/// The request bodies for `inputs` (`[{ id, properties: { name: "text" } }]`), 100 a body.
#[wasm_bindgen]
pub fn build(inputs: JsValue) -> Result<js_sys::Array, JsValue> {
    let inputs: Vec<Input> = serde_wasm_bindgen::from_value(inputs)?;
    let out = js_sys::Array::new();
    for chunk in inputs.chunks(100) {
        let body =
            Body { inputs: chunk }.serialize(&serde_wasm_bindgen::Serializer::json_compatible())?;
        out.push(&json_stringify(&body)?);
    }
    Ok(out)
}

/// What `update()` must do before its first request at least: carry every input into wasm.
/// Returns how many there were.
#[wasm_bindgen]
pub fn read(inputs: JsValue) -> Result<usize, JsValue> {
    let inputs: Vec<Input> = serde_wasm_bindgen::from_value(inputs)?;
    Ok(inputs.len())
}

/// Only what the read of an input's outcome needs.
#[derive(Deserialize)]
struct Key {
    #[allow(dead_code)]
    id: String,
}

#[derive(Deserialize)]
struct Keys {
    results: Vec<Key>,
}

/// A 200 body, parsed by the JS engine; the caller gets the object, wasm reads the ids.
#[wasm_bindgen]
pub fn parse(text: JsValue) -> Result<JsValue, JsValue> {
    let parsed = json_parse(&text)?;
    let keys: Keys = serde_wasm_bindgen::from_value(parsed.clone())?;
    if keys.results.is_empty() {
        return Err(JsValue::from_str("no results"));
    }
    Ok(parsed)
}
