//! HubSpot's answers read by the JS engine: `JSON.parse` makes the objects the caller gets,
//! and only what the run needs of them ([`ObjectKeys`], errors) crosses into wasm.

use js_sys::{Array, JsString, Reflect};
use serde::Serialize;
use wasm_bindgen::prelude::*;

use super::values::{from_js, json_parse};
use crate::model::{self, BatchResponse, ObjectKeys, Written};
use crate::response::{self, Body, Unreadable};

#[wasm_bindgen(module = "/src/wasm/values.js")]
extern "C" {
    #[wasm_bindgen(js_name = firstChar)]
    fn first_char(text: &JsString) -> String;
}

/// A written record: its keys for the ledger, and the object as `JSON.parse` made it for the
/// caller (serialized as it is).
pub struct JsObject {
    keys: ObjectKeys,
    value: JsValue,
}

impl Written for JsObject {
    fn id(&self) -> &str {
        &self.keys.id
    }
    fn trace_id(&self) -> Option<&str> {
        self.keys.object_write_trace_id.as_deref()
    }
    fn holds(&self, name: &str, value: &str) -> bool {
        // Read from the JS object: only a result HubSpot echoed no trace id on asks.
        Reflect::get(&self.value, &"properties".into())
            .ok()
            .filter(JsValue::is_object)
            .and_then(|p| Reflect::get(&p, &name.into()).ok())
            .and_then(|v| v.as_string())
            .is_some_and(|v| v == value)
    }
    fn clear_trace_id(&mut self) {
        self.keys.object_write_trace_id = None;
        let _ = Reflect::delete_property(&self.value.clone().into(), &"objectWriteTraceId".into());
    }
    fn archived(id: &str) -> Self {
        let value = js_sys::Object::new();
        let _ = Reflect::set(&value, &"id".into(), &id.into());
        JsObject {
            keys: ObjectKeys {
                id: id.to_owned(),
                object_write_trace_id: None,
            },
            value: value.into(),
        }
    }
}

impl Serialize for JsObject {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        serde_wasm_bindgen::preserve::serialize(&self.value, s)
    }
}

/// Reads the body of an answer with `status`.
pub fn read_body(status: u16, text: &JsString) -> Body<JsObject> {
    let Ok(parsed) = json_parse(text) else {
        return Body::Unreadable(Unreadable::of_text(&first_char(text)));
    };
    if response::is_batch_status(status) {
        return match batch(parsed) {
            Some(b) => Body::Batch(b),
            None => Body::Unreadable(Unreadable::WrongShape),
        };
    }
    let Ok(mut error) = from_js::<model::Error>(parsed) else {
        return Body::Unreadable(Unreadable::WrongShape);
    };
    response::take_embedded_details(&mut error, |t| {
        json_parse(&t.into()).ok().and_then(|v| from_js(v).ok())
    });
    Body::Error(error)
}

/// A batch answer: its keys read into wasm, its results kept as the JS objects.
fn batch(parsed: JsValue) -> Option<BatchResponse<JsObject>> {
    let keys: BatchResponse<ObjectKeys> = from_js(parsed.clone()).ok()?;
    let objects: Array = Reflect::get(&parsed, &"results".into())
        .ok()?
        .dyn_into()
        .ok()?;
    // A loop rather than zip/map/collect: no `from_iter` instance for this use (size).
    let mut results = Vec::with_capacity(keys.results.len());
    let mut values = objects.iter();
    for keys in keys.results {
        let Some(value) = values.next() else { break };
        results.push(JsObject { keys, value });
    }
    Some(BatchResponse {
        completed_at: keys.completed_at,
        errors: keys.errors,
        links: keys.links,
        num_errors: keys.num_errors,
        requested_at: keys.requested_at,
        results,
        started_at: keys.started_at,
        status: keys.status,
    })
}

use wasm_bindgen::JsCast;
