//! Hand-written JSON writers for the output types: what the wasm build hands to JS.
//!
//! The counterpart of [`crate::read`]. Writing through the serde derives
//! ([`crate::json::to_string`]) monomorphises serde's `Serializer` machinery for every type
//! and field (several KB of wasm); these writers are one small function per type. They write
//! exactly the text the serde derives write through [`crate::json::to_string`]: same field
//! names and order, the same fields skipped when absent, `null` for a `None` that is not
//! skipped, numbers and strings escaped the same way (checked by tests/properties.rs against
//! it and against serde_json). The serde derives stay for Rust users.

use crate::json::{write_f64, write_int, write_string, JsonValue};
use crate::model::{
    BatchResponse, BatchStatus, ErrorDetail, Map, PublicObjectWarning, SimplePublicObject,
    StandardError, ValueWithTimestamp,
};
use crate::report::{BatchUpdateResult, FailedInput, FailureReason, Progress, RunStats};

/// A value that writes itself as compact JSON text.
pub trait WriteJson {
    /// Appends this value's JSON text to `out`.
    fn write_json(&self, out: &mut String);
}

/// The compact JSON text of `v`.
pub fn to_json<T: WriteJson + ?Sized>(v: &T) -> String {
    let mut out = String::with_capacity(256);
    v.write_json(&mut out);
    out
}

/// Writes a JSON object one field at a time.
pub struct Object<'a> {
    out: &'a mut String,
    empty: bool,
}

impl<'a> Object<'a> {
    /// Starts an object in `out`.
    pub fn new(out: &'a mut String) -> Self {
        out.push('{');
        Object { out, empty: true }
    }

    /// Writes `key: value`. `key` is written as is: a plain identifier, with nothing to escape.
    /// (Taking `&dyn` keeps this one function rather than one per field type.)
    pub fn field(&mut self, key: &str, value: &dyn WriteJson) -> &mut Self {
        if !self.empty {
            self.out.push(',');
        }
        self.empty = false;
        self.out.push('"');
        self.out.push_str(key);
        self.out.push_str("\":");
        value.write_json(self.out);
        self
    }

    /// Writes `key: value` when there is a value; nothing for `None` (serde's
    /// `skip_serializing_if = "Option::is_none"`).
    pub fn some(&mut self, key: &str, value: Option<&dyn WriteJson>) -> &mut Self {
        match value {
            Some(v) => self.field(key, v),
            None => self,
        }
    }

    /// Closes the object.
    pub fn end(&mut self) {
        self.out.push('}');
    }
}

/// `Some(&value)` as a `&dyn WriteJson`, for [`Object::some`].
fn opt<T: WriteJson>(v: &Option<T>) -> Option<&dyn WriteJson> {
    v.as_ref().map(|v| v as &dyn WriteJson)
}

impl<T: WriteJson + ?Sized> WriteJson for &T {
    fn write_json(&self, out: &mut String) {
        (**self).write_json(out)
    }
}

impl WriteJson for str {
    fn write_json(&self, out: &mut String) {
        write_string(out, self)
    }
}

impl WriteJson for String {
    fn write_json(&self, out: &mut String) {
        write_string(out, self)
    }
}

impl WriteJson for bool {
    fn write_json(&self, out: &mut String) {
        out.push_str(if *self { "true" } else { "false" })
    }
}

impl WriteJson for u16 {
    fn write_json(&self, out: &mut String) {
        write_int(out, u64::from(*self), false)
    }
}

impl WriteJson for u32 {
    fn write_json(&self, out: &mut String) {
        write_int(out, u64::from(*self), false)
    }
}

impl WriteJson for usize {
    fn write_json(&self, out: &mut String) {
        write_int(out, *self as u64, false)
    }
}

impl WriteJson for i32 {
    fn write_json(&self, out: &mut String) {
        write_int(out, u64::from(self.unsigned_abs()), *self < 0)
    }
}

impl WriteJson for f64 {
    fn write_json(&self, out: &mut String) {
        write_f64(out, *self)
    }
}

/// `null` for `None` (where serde does not skip it).
impl<T: WriteJson> WriteJson for Option<T> {
    fn write_json(&self, out: &mut String) {
        match self {
            Some(v) => v.write_json(out),
            None => out.push_str("null"),
        }
    }
}

impl<T: WriteJson> WriteJson for [T] {
    fn write_json(&self, out: &mut String) {
        out.push('[');
        for (i, item) in self.iter().enumerate() {
            if i > 0 {
                out.push(',');
            }
            item.write_json(out);
        }
        out.push(']');
    }
}

impl<T: WriteJson> WriteJson for Vec<T> {
    fn write_json(&self, out: &mut String) {
        self.as_slice().write_json(out)
    }
}

impl<V: WriteJson> WriteJson for Map<V> {
    fn write_json(&self, out: &mut String) {
        out.push('{');
        for (i, (k, v)) in self.0.iter().enumerate() {
            if i > 0 {
                out.push(',');
            }
            write_string(out, k);
            out.push(':');
            v.write_json(out);
        }
        out.push('}');
    }
}

impl WriteJson for JsonValue {
    fn write_json(&self, out: &mut String) {
        self.write(out)
    }
}

impl WriteJson for BatchStatus {
    fn write_json(&self, out: &mut String) {
        out.push_str(match self {
            BatchStatus::Canceled => "\"CANCELED\"",
            BatchStatus::Complete => "\"COMPLETE\"",
            BatchStatus::Pending => "\"PENDING\"",
            BatchStatus::Processing => "\"PROCESSING\"",
        })
    }
}

impl WriteJson for SimplePublicObject {
    fn write_json(&self, out: &mut String) {
        Object::new(out)
            .field("archived", &self.archived)
            .some("archivedAt", opt(&self.archived_at))
            .field("createdAt", &self.created_at)
            .field("id", &self.id)
            .some("objectWriteTraceId", opt(&self.object_write_trace_id))
            .field("properties", &self.properties)
            .some("propertiesWithHistory", opt(&self.properties_with_history))
            .field("updatedAt", &self.updated_at)
            .some("url", opt(&self.url))
            .some("warnings", opt(&self.warnings))
            .end()
    }
}

impl WriteJson for ValueWithTimestamp {
    fn write_json(&self, out: &mut String) {
        Object::new(out)
            .some("sourceId", opt(&self.source_id))
            .some("sourceLabel", opt(&self.source_label))
            .field("sourceType", &self.source_type)
            .field("timestamp", &self.timestamp)
            .some("updatedByUserId", opt(&self.updated_by_user_id))
            .field("value", &self.value)
            .end()
    }
}

impl WriteJson for PublicObjectWarning {
    fn write_json(&self, out: &mut String) {
        Object::new(out)
            .field("category", &self.category)
            .field("context", &self.context)
            .field("message", &self.message)
            .end()
    }
}

impl WriteJson for StandardError {
    fn write_json(&self, out: &mut String) {
        Object::new(out)
            .field("category", &self.category)
            .field("context", &self.context)
            .field("errors", &self.errors)
            .some("id", opt(&self.id))
            .field("links", &self.links)
            .field("message", &self.message)
            .field("status", &self.status)
            .some("subCategory", opt(&self.sub_category))
            .some("objectWriteTraceId", opt(&self.object_write_trace_id))
            .end()
    }
}

impl WriteJson for ErrorDetail {
    fn write_json(&self, out: &mut String) {
        Object::new(out)
            .some("code", opt(&self.code))
            .some("context", opt(&self.context))
            .some("in", opt(&self.in_))
            .field("message", &self.message)
            .some("subCategory", opt(&self.sub_category))
            .end()
    }
}

impl WriteJson for BatchResponse {
    fn write_json(&self, out: &mut String) {
        Object::new(out)
            .field("completedAt", &self.completed_at)
            .field("errors", &self.errors)
            .some("links", opt(&self.links))
            .field("numErrors", &self.num_errors)
            .some("requestedAt", opt(&self.requested_at))
            .field("results", &self.results)
            .field("startedAt", &self.started_at)
            .field("status", &self.status)
            .end()
    }
}

impl WriteJson for BatchUpdateResult {
    fn write_json(&self, out: &mut String) {
        Object::new(out)
            .field("status", &self.status)
            .field("results", &self.results)
            .field("errors", &self.errors)
            .field("numErrors", &self.num_errors)
            .field("startedAt", &self.started_at)
            .field("completedAt", &self.completed_at)
            .some("requestedAt", opt(&self.requested_at))
            .field("failed", &self.failed)
            .field("stats", &self.stats)
            .end()
    }
}

impl WriteJson for FailedInput {
    fn write_json(&self, out: &mut String) {
        Object::new(out)
            .field("index", &self.index)
            .field("id", &self.id)
            .field("error", &self.error)
            .end()
    }
}

impl WriteJson for FailureReason {
    fn write_json(&self, out: &mut String) {
        let errors = (!self.errors.is_empty()).then_some(&self.errors as &dyn WriteJson);
        Object::new(out)
            .field("status", &self.status)
            .field("category", &self.category)
            .field("message", &self.message)
            .some("correlationId", opt(&self.correlation_id))
            .some("subCategory", opt(&self.sub_category))
            .some("context", opt(&self.context))
            .some("errors", errors)
            .end()
    }
}

impl WriteJson for RunStats {
    fn write_json(&self, out: &mut String) {
        Object::new(out)
            .field("requests", &self.requests)
            .field("retries", &self.retries)
            .field("rateLimited", &self.rate_limited)
            .field("batches", &self.batches)
            .field("durationMs", &self.duration_ms)
            .end()
    }
}

impl WriteJson for Progress {
    fn write_json(&self, out: &mut String) {
        Object::new(out)
            .field("done", &self.done)
            .field("failed", &self.failed)
            .field("total", &self.total)
            .end()
    }
}
