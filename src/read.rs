//! Hand-written readers from a [`JsonValue`] into the model types.
//!
//! The wasm build reads response bodies (and the proxy's request bodies) with these instead of
//! the serde derives: one small table-driven reader per type replaces serde's visitors
//! monomorphised over the JSON value (several KB of wasm). They accept and refuse exactly
//! what the serde derives accept and refuse through [`JsonValue`]'s `Deserializer` (checked
//! by the tests below against it and against serde_json): unknown keys are ignored, a known
//! key given twice is refused, `null` is only accepted for `Option` fields, a field marked
//! `#[serde(default)]` may be missing, and a struct may also be given as an array of its
//! fields in declaration order (as serde allows; elements past the last field are ignored).

use crate::json::{JsonValue, ShapeError};
use crate::model::{
    BatchInputSimplePublicObjectBatchInput, BatchResponse, BatchStatus, Error, ErrorDetail, Map,
    PublicObjectWarning, SimplePublicObject, SimplePublicObjectBatchInput, StandardError,
    ValueWithTimestamp,
};

/// Reading state. `ok` turns false at the first value of the wrong shape; the readers then
/// carry on with defaults and the whole value is refused at the end. (No early returns: each
/// would need its own drop code for the fields read so far, which is most of the size.)
struct Cx {
    ok: bool,
}

type Read<T> = fn(&mut Cx, JsonValue) -> T;

impl Cx {
    fn fail<T: Default>(&mut self) -> T {
        self.ok = false;
        T::default()
    }

    /// Splits an object (by key) or an array (by position) into the fields named `names`.
    fn fields(&mut self, v: JsonValue, names: &[&str]) -> Fields {
        let mut slots: Vec<Option<JsonValue>> = Vec::with_capacity(names.len());
        for _ in names {
            slots.push(None);
        }
        match v {
            // Values are moved out with `mem::replace` rather than by `into_iter()`: each
            // `IntoIter<T>` links its own drop code.
            JsonValue::Object(mut entries) => {
                for (k, v) in entries.iter_mut() {
                    if let Some(i) = names.iter().position(|n| n == k) {
                        match slots.get_mut(i) {
                            Some(slot @ None) => {
                                *slot = Some(std::mem::replace(v, JsonValue::Null))
                            }
                            _ => self.ok = false,
                        }
                    }
                }
            }
            JsonValue::Array(mut items) => {
                for (i, v) in items.iter_mut().enumerate() {
                    if let Some(slot) = slots.get_mut(i) {
                        *slot = Some(std::mem::replace(v, JsonValue::Null));
                    }
                }
            }
            _ => self.ok = false,
        }
        Fields(slots)
    }
}

/// Runs a reader over a whole value.
fn run<T>(v: JsonValue, read: Read<T>) -> Result<T, ShapeError> {
    let mut cx = Cx { ok: true };
    let out = read(&mut cx, v);
    if cx.ok {
        Ok(out)
    } else {
        Err(ShapeError)
    }
}

/// The values of a struct's fields, in declaration order; `None` where the field is missing.
struct Fields(Vec<Option<JsonValue>>);

impl Fields {
    /// The field at `i`, taken out. Not inlined: inlined at each of the ~50 fields it was
    /// 1 KB gzip of the browser wasm (bounds check, move and drop code at every call site).
    #[inline(never)]
    fn take(&mut self, i: usize) -> Option<JsonValue> {
        self.0.get_mut(i).and_then(Option::take)
    }
}

/// A required field.
fn required<T: Default>(cx: &mut Cx, v: Option<JsonValue>, read: Read<T>) -> T {
    match v {
        Some(v) => read(cx, v),
        None => cx.fail(),
    }
}

/// A `#[serde(default)]` field: missing is the default, anything else goes through `read`.
/// Not inlined: -124 bytes gzip of the browser wasm.
#[inline(never)]
fn or_default<T: Default>(cx: &mut Cx, v: Option<JsonValue>, read: Read<T>) -> T {
    match v {
        Some(v) => read(cx, v),
        None => T::default(),
    }
}

/// An `Option<T>` field (all of them are `#[serde(default)]`): missing or `null` is `None`.
// `optional` is not inlined either: measured -100 bytes gzip of the browser wasm.
#[inline(never)]
fn optional<T>(cx: &mut Cx, v: Option<JsonValue>, read: Read<T>) -> Option<T> {
    match v {
        None | Some(JsonValue::Null) => None,
        Some(v) => Some(read(cx, v)),
    }
}

fn string(cx: &mut Cx, v: JsonValue) -> String {
    match v {
        JsonValue::String(s) => s,
        _ => cx.fail(),
    }
}

fn opt_string(cx: &mut Cx, v: Option<JsonValue>) -> Option<String> {
    optional(cx, v, string)
}

fn boolean(cx: &mut Cx, v: JsonValue) -> bool {
    match v {
        JsonValue::Bool(b) => b,
        _ => cx.fail(),
    }
}

/// An `i32`: an integral number in range (serde reads a JSON value's integral numbers as
/// integers and refuses fractional ones for integer fields).
fn int32(cx: &mut Cx, v: JsonValue) -> i32 {
    match v {
        JsonValue::Number(n)
            if n.fract() == 0.0 && (f64::from(i32::MIN)..=f64::from(i32::MAX)).contains(&n) =>
        {
            n as i32
        }
        _ => cx.fail(),
    }
}

/// A `Vec<T>`: an array.
fn list<T>(cx: &mut Cx, v: JsonValue, read: Read<T>) -> Vec<T> {
    let mut out = Vec::new();
    each_item(cx, v, &mut |cx, v| out.push(read(cx, v)));
    out
}

/// Calls `each` with every item of an array (fails on anything else). The loop is here once
/// rather than in every `list::<T>` (~0.2 KB of wasm each).
#[inline(never)]
fn each_item(cx: &mut Cx, v: JsonValue, each: &mut dyn FnMut(&mut Cx, JsonValue)) {
    let JsonValue::Array(mut items) = v else {
        cx.ok = false;
        return;
    };
    for v in items.iter_mut() {
        each(cx, std::mem::replace(v, JsonValue::Null));
    }
}

/// A [`Map<V>`]: an object, entries kept in order (repeated keys too).
fn map<V>(cx: &mut Cx, v: JsonValue, read: Read<V>) -> Map<V> {
    let mut out = Vec::new();
    each_entry(cx, v, &mut |cx, k, v| out.push((k, read(cx, v))));
    Map(out)
}

/// Calls `each` with every entry of an object (fails on anything else), like [`each_item`].
#[inline(never)]
fn each_entry(cx: &mut Cx, v: JsonValue, each: &mut dyn FnMut(&mut Cx, String, JsonValue)) {
    let JsonValue::Object(mut entries) = v else {
        cx.ok = false;
        return;
    };
    for (k, v) in entries.iter_mut() {
        each(cx, std::mem::take(k), std::mem::replace(v, JsonValue::Null));
    }
}

fn strings(cx: &mut Cx, v: JsonValue) -> Vec<String> {
    list(cx, v, string)
}

fn string_map(cx: &mut Cx, v: JsonValue) -> Map<String> {
    map(cx, v, string)
}

fn strings_map(cx: &mut Cx, v: JsonValue) -> Map<Vec<String>> {
    map(cx, v, strings)
}

fn any_value(_: &mut Cx, v: JsonValue) -> JsonValue {
    v
}

fn batch_status(cx: &mut Cx, v: Option<JsonValue>) -> BatchStatus {
    match v.as_ref().and_then(JsonValue::as_str) {
        Some("CANCELED") => BatchStatus::Canceled,
        Some("COMPLETE") => BatchStatus::Complete,
        Some("PENDING") => BatchStatus::Pending,
        Some("PROCESSING") => BatchStatus::Processing,
        _ => {
            cx.ok = false;
            BatchStatus::Complete
        }
    }
}

fn value_with_timestamp(cx: &mut Cx, v: JsonValue) -> ValueWithTimestamp {
    let mut f = cx.fields(
        v,
        &[
            "sourceId",
            "sourceLabel",
            "sourceType",
            "timestamp",
            "updatedByUserId",
            "value",
        ],
    );
    ValueWithTimestamp {
        source_id: opt_string(cx, f.take(0)),
        source_label: opt_string(cx, f.take(1)),
        source_type: or_default(cx, f.take(2), string),
        timestamp: or_default(cx, f.take(3), string),
        updated_by_user_id: optional(cx, f.take(4), int32),
        value: or_default(cx, f.take(5), string),
    }
}

fn public_object_warning(cx: &mut Cx, v: JsonValue) -> PublicObjectWarning {
    let mut f = cx.fields(v, &["category", "context", "message"]);
    PublicObjectWarning {
        category: or_default(cx, f.take(0), string),
        context: or_default(cx, f.take(1), string_map),
        message: or_default(cx, f.take(2), string),
    }
}

fn simple_public_object(cx: &mut Cx, v: JsonValue) -> SimplePublicObject {
    let mut f = cx.fields(
        v,
        &[
            "archived",
            "archivedAt",
            "createdAt",
            "id",
            "objectWriteTraceId",
            "properties",
            "propertiesWithHistory",
            "updatedAt",
            "url",
            "warnings",
        ],
    );
    SimplePublicObject {
        archived: or_default(cx, f.take(0), boolean),
        archived_at: opt_string(cx, f.take(1)),
        created_at: or_default(cx, f.take(2), string),
        id: required(cx, f.take(3), string),
        object_write_trace_id: opt_string(cx, f.take(4)),
        properties: or_default(cx, f.take(5), |cx, v| {
            map(cx, v, |cx, v| opt_string(cx, Some(v)))
        }),
        properties_with_history: optional(cx, f.take(6), |cx, v| {
            map(cx, v, |cx, v| list(cx, v, value_with_timestamp))
        }),
        updated_at: or_default(cx, f.take(7), string),
        url: opt_string(cx, f.take(8)),
        warnings: optional(cx, f.take(9), |cx, v| list(cx, v, public_object_warning)),
    }
}

fn error_detail(cx: &mut Cx, v: JsonValue) -> ErrorDetail {
    let mut f = cx.fields(v, &["code", "context", "in", "message", "subCategory"]);
    ErrorDetail {
        code: opt_string(cx, f.take(0)),
        context: optional(cx, f.take(1), strings_map),
        in_: opt_string(cx, f.take(2)),
        message: or_default(cx, f.take(3), string),
        sub_category: opt_string(cx, f.take(4)),
    }
}

fn error_details(cx: &mut Cx, v: JsonValue) -> Vec<ErrorDetail> {
    list(cx, v, error_detail)
}

fn standard_error(cx: &mut Cx, v: JsonValue) -> StandardError {
    let mut f = cx.fields(
        v,
        &[
            "category",
            "context",
            "errors",
            "id",
            "links",
            "message",
            "status",
            "subCategory",
            "objectWriteTraceId",
        ],
    );
    StandardError {
        category: or_default(cx, f.take(0), string),
        context: or_default(cx, f.take(1), strings_map),
        errors: or_default(cx, f.take(2), error_details),
        id: opt_string(cx, f.take(3)),
        links: or_default(cx, f.take(4), string_map),
        message: or_default(cx, f.take(5), string),
        status: or_default(cx, f.take(6), string),
        sub_category: optional(cx, f.take(7), any_value),
        object_write_trace_id: opt_string(cx, f.take(8)),
    }
}

fn read_batch_response(cx: &mut Cx, v: JsonValue) -> BatchResponse {
    let mut f = cx.fields(
        v,
        &[
            "completedAt",
            "errors",
            "links",
            "numErrors",
            "requestedAt",
            "results",
            "startedAt",
            "status",
        ],
    );
    BatchResponse {
        completed_at: or_default(cx, f.take(0), string),
        errors: or_default(cx, f.take(1), |cx, v| list(cx, v, standard_error)),
        links: optional(cx, f.take(2), string_map),
        num_errors: or_default(cx, f.take(3), int32),
        requested_at: opt_string(cx, f.take(4)),
        results: required(cx, f.take(5), |cx, v| list(cx, v, simple_public_object)),
        started_at: or_default(cx, f.take(6), string),
        status: batch_status(cx, f.take(7)),
    }
}

fn read_error(cx: &mut Cx, v: JsonValue) -> Error {
    let mut f = cx.fields(
        v,
        &[
            "category",
            "context",
            "correlationId",
            "errors",
            "links",
            "message",
            "subCategory",
            "errorType",
            "policyName",
            "groupName",
        ],
    );
    Error {
        category: or_default(cx, f.take(0), string),
        context: optional(cx, f.take(1), strings_map),
        correlation_id: or_default(cx, f.take(2), string),
        errors: optional(cx, f.take(3), error_details),
        links: optional(cx, f.take(4), string_map),
        message: or_default(cx, f.take(5), string),
        sub_category: optional(cx, f.take(6), any_value),
        error_type: opt_string(cx, f.take(7)),
        policy_name: opt_string(cx, f.take(8)),
        group_name: opt_string(cx, f.take(9)),
    }
}

fn batch_input(cx: &mut Cx, v: JsonValue) -> SimplePublicObjectBatchInput {
    let mut f = cx.fields(v, &["id", "properties", "idProperty", "objectWriteTraceId"]);
    SimplePublicObjectBatchInput {
        id: required(cx, f.take(0), string),
        properties: required(cx, f.take(1), string_map),
        id_property: opt_string(cx, f.take(2)),
        object_write_trace_id: opt_string(cx, f.take(3)),
    }
}

fn read_batch_input_body(cx: &mut Cx, v: JsonValue) -> BatchInputSimplePublicObjectBatchInput {
    let mut f = cx.fields(v, &["inputs"]);
    BatchInputSimplePublicObjectBatchInput {
        inputs: required(cx, f.take(0), |cx, v| list(cx, v, batch_input)),
    }
}

/// Reads a 200/207 body.
pub fn batch_response(v: JsonValue) -> Result<BatchResponse, ShapeError> {
    run(v, read_batch_response)
}

/// Reads HubSpot's error body.
pub fn error(v: JsonValue) -> Result<Error, ShapeError> {
    run(v, read_error)
}

/// Reads a batch update request body (what the proxy forwards).
pub fn batch_input_body(
    v: JsonValue,
) -> Result<BatchInputSimplePublicObjectBatchInput, ShapeError> {
    run(v, read_batch_input_body)
}

/// Parses `text` and reads it with `read` (one of this module's public readers).
pub fn from_str<T>(
    text: &str,
    read: fn(JsonValue) -> Result<T, ShapeError>,
) -> Result<T, ShapeError> {
    read(crate::json::parse(text).map_err(|_| ShapeError)?)
}

#[cfg(test)]
pub(crate) mod tests {
    use super::*;
    use serde::de::DeserializeOwned;
    use std::fmt::Debug;

    /// Same answer as serde over JsonValue (what the wasm build used before), and, where
    /// serde_json reads the text the same way, as serde_json.
    fn agree<T: DeserializeOwned + PartialEq + Debug>(
        text: &str,
        read: fn(JsonValue) -> Result<T, ShapeError>,
    ) {
        let ours = from_str(text, read).ok();
        let serde_value = crate::json::from_str::<T>(text).ok();
        assert_eq!(
            ours, serde_value,
            "hand-written vs serde over JsonValue: {text}"
        );
        // serde_json differs from serde-over-JsonValue on integral floats such as 1.0 for
        // integer fields (JsonValue keeps no int/float distinction), on numbers out of f64
        // range, on -0 (a float to serde_json), and on structs given as arrays with extra
        // elements; skip those texts.
        if !text.contains(".0")
            && !text.contains("-0")
            && !text.contains("e400")
            && !text.contains("[[")
            && !text.starts_with('[')
        {
            let sj = serde_json::from_str::<T>(text).ok();
            assert_eq!(ours, sj, "hand-written vs serde_json: {text}");
        }
    }

    const BATCH: &[&str] = &[
        r#"{"status":"COMPLETE","results":[]}"#,
        r#"{"status":"COMPLETE","results":[{"id":"1","properties":{"a":"5","b":null},"createdAt":"c","updatedAt":"u","archived":false,"objectWriteTraceId":"t"}],"numErrors":1,"errors":[{"status":"error","category":"OBJECT_NOT_FOUND","message":"m","context":{"ids":["9"]},"subCategory":{"x":[1,2.5,-0,1e400]}}],"startedAt":"s","completedAt":"e","extra":{"ignored":true}}"#,
        r#"{"status":"PENDING","results":[{"id":"1","propertiesWithHistory":{"a":[{"sourceType":"API","timestamp":"t","value":"v","updatedByUserId":12,"sourceId":null}]},"warnings":[{"category":"c","context":{"k":"v"},"message":"m"}],"url":"u","archivedAt":null}],"links":{"a":"b"},"requestedAt":"r"}"#,
        r#"{"status":"NOPE","results":[]}"#,
        r#"{"status":"COMPLETE","results":"x"}"#,
        r#"{"status":"COMPLETE","results":[],"numErrors":1.5}"#,
        r#"{"status":"COMPLETE","results":[],"numErrors":1.0}"#,
        r#"{"status":"COMPLETE","results":[],"numErrors":-0}"#,
        r#"{"status":"COMPLETE","results":[],"numErrors":2147483648}"#,
        r#"{"status":"COMPLETE","results":[],"numErrors":-2147483648}"#,
        r#"{"status":"COMPLETE","results":[],"numErrors":1e300}"#,
        r#"{"status":"COMPLETE","results":[],"numErrors":null}"#,
        r#"{"status":"COMPLETE","results":[],"numErrors":"1"}"#,
        r#"{"status":"COMPLETE","results":[],"errors":null}"#,
        r#"{"status":"COMPLETE","results":[],"links":null}"#,
        r#"{"status":"COMPLETE","results":[],"links":[]}"#,
        r#"{"status":"COMPLETE","results":[],"links":{"a":1}}"#,
        r#"{"status":"COMPLETE","results":[],"completedAt":null}"#,
        r#"{"status":"COMPLETE","results":[],"requestedAt":5}"#,
        r#"{"status":"COMPLETE","results":[],"status":"COMPLETE"}"#,
        r#"{"status":"COMPLETE","results":[],"unknown":1,"unknown":2}"#,
        r#"{"status":null,"results":[]}"#,
        r#"{"status":1,"results":[]}"#,
        r#"{"status":"complete","results":[]}"#,
        r#"{"results":[]}"#,
        r#"{"status":"COMPLETE"}"#,
        r#"{"status":"COMPLETE","results":null}"#,
        r#"{"status":"COMPLETE","results":[{}]}"#,
        r#"{"status":"COMPLETE","results":[{"id":1}]}"#,
        r#"{"status":"COMPLETE","results":[{"id":"1","id":"2"}]}"#,
        r#"{"status":"COMPLETE","results":[{"id":"1","archived":null}]}"#,
        r#"{"status":"COMPLETE","results":[{"id":"1","archived":"false"}]}"#,
        r#"{"status":"COMPLETE","results":[{"id":"1","properties":null}]}"#,
        r#"{"status":"COMPLETE","results":[{"id":"1","properties":{"a":1}}]}"#,
        r#"{"status":"COMPLETE","results":[{"id":"1","properties":{"a":"1","a":"2"}}]}"#,
        r#"{"status":"COMPLETE","results":[{"id":"1","properties":[]}]}"#,
        r#"{"status":"COMPLETE","results":[{"id":"1","warnings":null}]}"#,
        r#"{"status":"COMPLETE","results":[{"id":"1","warnings":[null]}]}"#,
        r#"{"status":"COMPLETE","results":[{"id":"1","propertiesWithHistory":{"a":null}}]}"#,
        r#"{"status":"COMPLETE","results":[{"id":"1","propertiesWithHistory":{"a":[{"updatedByUserId":1.5}]}}]}"#,
        r#"{"status":"COMPLETE","results":[{"id":"1","propertiesWithHistory":{"a":[{"updatedByUserId":null}]}}]}"#,
        r#"{"status":"COMPLETE","results":[["c",null,"a","1"]]}"#,
        r#"{"status":"COMPLETE","results":[[false,null,"a","1",null,{},null,"u",null,null]]}"#,
        r#"{"status":"COMPLETE","results":[[false,null,"a","1",null,{},null,"u",null,null,1]]}"#,
        r#"{"status":"COMPLETE","results":[[false,null,"a"]]}"#,
        r#"{"status":"COMPLETE","results":[[]]}"#,
        r#"{"status":"COMPLETE","results":[],"errors":[{"subCategory":null}]}"#,
        r#"{"status":"COMPLETE","results":[],"errors":[{"subCategory":"s","id":"1","links":{},"errors":[{"in":"x","code":"c","context":{"a":["b"]},"subCategory":"s"}]}]}"#,
        r#"{"status":"COMPLETE","results":[],"errors":[{"context":{"ids":"9"}}]}"#,
        r#"{"status":"COMPLETE","results":[],"errors":[{"context":null}]}"#,
        r#"{"status":"COMPLETE","results":[],"errors":[{"errors":[{"context":null}]}]}"#,
        r#"{"status":"COMPLETE","results":[],"errors":[{"errors":[{"in":null,"message":null}]}]}"#,
        r#"{"status":"COMPLETE","results":[],"errors":[[]]}"#,
        r#"{"status":"COMPLETE","results":[],"errors":[["c",{},[],"1",{},"m","s",{"a":1},"t"]]}"#,
        r#"["e",[],null,0,null,[],"s","COMPLETE"]"#,
        r#"["e",[],null,0,null,[]]"#,
        r#"["e",[],null,0,null,[],"s","COMPLETE",1]"#,
        r#"[]"#,
        r#"null"#,
        r#""COMPLETE""#,
        r#"1"#,
        r#"{"status":"COMPLETE","results":[]"#,
        r#"<html></html>"#,
    ];

    #[test]
    fn batch_responses_read_like_serde() {
        for text in BATCH {
            agree(text, batch_response);
        }
    }

    #[test]
    fn error_bodies_read_like_serde() {
        for text in [
            r#"{"status":"error","message":"x","correlationId":"c","category":"RATE_LIMITS","policyName":"DAILY","errors":[{"message":"d","in":"f","context":{"k":["v"]}}]}"#,
            r#"{"status":"error","message":"You have reached your ten_secondly_rolling limit.","errorType":"RATE_LIMIT","correlationId":"c-1","policyName":"TEN_SECONDLY_ROLLING","groupName":"g","category":"RATE_LIMITS","links":{"a":"b"},"context":{"x":["y","z"]},"subCategory":"sub"}"#,
            r#"{}"#,
            r#"{"message":null}"#,
            r#"{"message":1}"#,
            r#"{"errors":null,"links":null,"context":null,"subCategory":null,"policyName":null}"#,
            r#"{"errors":{}}"#,
            r#"{"errors":[1]}"#,
            r#"{"context":{"a":[1]}}"#,
            r#"{"context":{"a":"b"}}"#,
            r#"{"subCategory":{"deep":[[[{}]]]}}"#,
            r#"{"message":"a","message":"b"}"#,
            r#"{"category":"c","extra":[1,2,{"x":null}]}"#,
            r#"["c"]"#,
            r#"["c",null,"id",null,null,"m",null,null,"DAILY",null]"#,
            r#"["c",null,"id",null,null,"m",null,null,"DAILY",null,null]"#,
            r#"[1]"#,
            r#"[]"#,
            r#""x""#,
            r#"true"#,
            "",
            "<html>",
        ] {
            agree(text, error);
        }
    }

    #[test]
    fn request_bodies_read_like_serde() {
        for text in [
            r#"{"inputs":[]}"#,
            r#"{"inputs":[{"id":"1","properties":{"a":"b"}}]}"#,
            r#"{"inputs":[{"id":"1","properties":{"a":"b"},"idProperty":"p","objectWriteTraceId":"t","x":1}]}"#,
            r#"{"inputs":[{"id":"1","properties":{"a":"b"},"idProperty":null}]}"#,
            r#"{"inputs":[{"id":"1"}]}"#,
            r#"{"inputs":[{"properties":{}}]}"#,
            r#"{"inputs":[{"id":"1","properties":null}]}"#,
            r#"{"inputs":[{"id":"1","properties":{"a":null}}]}"#,
            r#"{"inputs":[{"id":"1","properties":{"a":1}}]}"#,
            r#"{"inputs":[{"id":1,"properties":{}}]}"#,
            r#"{"inputs":[["1",{}]]}"#,
            r#"{"inputs":[["1",{},null,null,null]]}"#,
            r#"{"inputs":null}"#,
            r#"{"inputs":{}}"#,
            r#"{}"#,
            r#"[[]]"#,
            r#"[[],1]"#,
            r#"{"inputs":[],"inputs":[]}"#,
        ] {
            agree(text, batch_input_body);
        }
    }

    use proptest::prelude::*;

    /// Values shaped like HubSpot's bodies, with wrong types and nulls mixed in.
    pub(crate) fn arb_value() -> impl Strategy<Value = JsonValue> {
        let keys = prop::sample::select(vec![
            "status",
            "results",
            "errors",
            "numErrors",
            "id",
            "properties",
            "context",
            "message",
            "category",
            "links",
            "subCategory",
            "in",
            "code",
            "archived",
            "warnings",
            "propertiesWithHistory",
            "updatedByUserId",
            "value",
            "inputs",
            "policyName",
            "other",
        ]);
        let leaf = prop_oneof![
            Just(JsonValue::Null),
            any::<bool>().prop_map(JsonValue::Bool),
            prop_oneof![Just(0.0), Just(1.0), Just(-3.0), Just(2.5), Just(3e9)]
                .prop_map(JsonValue::Number),
            prop::sample::select(vec!["COMPLETE", "PENDING", "x", "", "1"])
                .prop_map(|s| JsonValue::String(s.to_owned())),
        ];
        leaf.prop_recursive(5, 64, 6, move |inner| {
            prop_oneof![
                prop::collection::vec(inner.clone(), 0..5).prop_map(JsonValue::Array),
                prop::collection::vec((keys.clone(), inner), 0..6).prop_map(|e| {
                    JsonValue::Object(e.into_iter().map(|(k, v)| (k.to_owned(), v)).collect())
                }),
            ]
        })
    }

    /// An object with some of `fields`, each either well typed (`good`) or anything at all.
    pub(crate) fn shaped(
        fields: Vec<(&'static str, BoxedStrategy<JsonValue>)>,
    ) -> impl Strategy<Value = JsonValue> {
        shaped_with(fields, 0.9, 12, 0.1)
    }

    /// [`shaped`] with the odds: a field is there with probability `present`, well typed
    /// `good` times in `good + 1`, and a key is repeated with probability `dup`.
    pub(crate) fn shaped_with(
        fields: Vec<(&'static str, BoxedStrategy<JsonValue>)>,
        present: f64,
        good: u32,
        dup: f64,
    ) -> impl Strategy<Value = JsonValue> {
        let n = fields.len();
        let strategies: Vec<_> = fields
            .into_iter()
            .map(|(k, g)| {
                prop::option::weighted(present, prop_oneof![good => g, 1 => arb_value()])
                    .prop_map(move |v| v.map(|v| (k.to_owned(), v)))
            })
            .collect();
        let order = prop::collection::vec(0..n, 0..n);
        (strategies, order, prop::bool::weighted(dup)).prop_map(|(entries, order, dup)| {
            let mut entries: Vec<_> = entries.into_iter().flatten().collect();
            // A shuffled order, and now and then a repeated key.
            for (i, j) in order.into_iter().enumerate() {
                if i < entries.len() && j < entries.len() {
                    entries.swap(i, j);
                }
            }
            if dup && !entries.is_empty() {
                let first = entries[0].clone();
                entries.push(first);
            }
            JsonValue::Object(entries)
        })
    }

    pub(crate) fn s() -> BoxedStrategy<JsonValue> {
        prop::sample::select(vec!["COMPLETE", "COMPLETE", "PENDING", "x", ""])
            .prop_map(|s| JsonValue::String(s.to_owned()))
            .boxed()
    }

    pub(crate) fn arr(item: BoxedStrategy<JsonValue>) -> BoxedStrategy<JsonValue> {
        prop::collection::vec(item, 0..3)
            .prop_map(JsonValue::Array)
            .boxed()
    }

    pub(crate) fn obj(item: BoxedStrategy<JsonValue>) -> BoxedStrategy<JsonValue> {
        prop::collection::vec((s(), item), 0..3)
            .prop_map(|e| {
                JsonValue::Object(
                    e.into_iter()
                        .map(|(k, v)| (k.as_str().unwrap_or("").to_owned(), v))
                        .collect(),
                )
            })
            .boxed()
    }

    pub(crate) fn detail() -> BoxedStrategy<JsonValue> {
        shaped(vec![
            ("code", s()),
            ("context", obj(arr(s()))),
            ("in", s()),
            ("message", s()),
            ("subCategory", s()),
        ])
        .boxed()
    }

    fn batch_like() -> BoxedStrategy<JsonValue> {
        let n = prop_oneof![Just(0.0), Just(2.0), Just(-1.0), Just(0.5)]
            .prop_map(JsonValue::Number)
            .boxed();
        let object = shaped(vec![
            ("id", s()),
            ("archived", any::<bool>().prop_map(JsonValue::Bool).boxed()),
            (
                "properties",
                obj(prop_oneof![s(), Just(JsonValue::Null)].boxed()),
            ),
            ("createdAt", s()),
            (
                "propertiesWithHistory",
                obj(arr(shaped(vec![
                    ("value", s()),
                    ("sourceType", s()),
                    ("updatedByUserId", n.clone()),
                ])
                .boxed())),
            ),
            (
                "warnings",
                arr(shaped(vec![("category", s()), ("context", obj(s()))]).boxed()),
            ),
        ])
        .boxed();
        let standard = shaped(vec![
            ("category", s()),
            ("context", obj(arr(s()))),
            ("errors", arr(detail())),
            ("id", s()),
            ("links", obj(s())),
            ("subCategory", arb_value().boxed()),
        ])
        .boxed();
        shaped(vec![
            ("status", s()),
            ("results", arr(object)),
            ("errors", arr(standard)),
            ("numErrors", n),
            ("links", obj(s())),
            ("completedAt", s()),
        ])
        .boxed()
    }

    fn error_like() -> BoxedStrategy<JsonValue> {
        shaped(vec![
            ("category", s()),
            ("context", obj(arr(s()))),
            ("correlationId", s()),
            ("errors", arr(detail())),
            ("links", obj(s())),
            ("message", s()),
            ("subCategory", arb_value().boxed()),
            ("policyName", s()),
        ])
        .boxed()
    }

    fn input_like() -> BoxedStrategy<JsonValue> {
        shaped(vec![(
            "inputs",
            arr(shaped(vec![
                ("id", s()),
                ("properties", obj(s())),
                ("idProperty", s()),
                ("objectWriteTraceId", s()),
            ])
            .boxed()),
        )])
        .boxed()
    }

    proptest! {
        #![proptest_config(ProptestConfig { cases: 3000, ..ProptestConfig::default() })]
        #[test]
        fn random_values_read_like_serde(
            v in prop_oneof![arb_value(), batch_like(), error_like(), input_like()]
        ) {
            let text = v.to_json();
            prop_assert_eq!(batch_response(v.clone()).ok(), crate::json::from_str::<BatchResponse>(&text).ok(), "{}", text);
            prop_assert_eq!(error(v.clone()).ok(), crate::json::from_str::<Error>(&text).ok(), "{}", text);
            prop_assert_eq!(
                batch_input_body(v.clone()).ok(),
                crate::json::from_str::<BatchInputSimplePublicObjectBatchInput>(&text).ok(),
                "{}", text
            );
            prop_assert_eq!(run(v.clone(), standard_error).ok(), crate::json::from_str::<StandardError>(&text).ok(), "{}", text);
            prop_assert_eq!(run(v, simple_public_object).ok(), crate::json::from_str::<SimplePublicObject>(&text).ok(), "{}", text);
        }

    }

    #[test]
    fn the_generators_reach_accepted_bodies() {
        use proptest::strategy::ValueTree;
        use proptest::test_runner::TestRunner;
        let mut runner = TestRunner::deterministic();
        let (mut batch, mut err, mut input) = (0, 0, 0);
        for _ in 0..2000 {
            batch += batch_response(batch_like().new_tree(&mut runner).unwrap().current()).is_ok()
                as u32;
            err += error(error_like().new_tree(&mut runner).unwrap().current()).is_ok() as u32;
            input += batch_input_body(input_like().new_tree(&mut runner).unwrap().current()).is_ok()
                as u32;
        }
        assert!(
            batch > 50 && err > 50 && input > 50,
            "{batch} {err} {input}"
        );
    }
}
