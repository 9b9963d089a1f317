//! Helpers shared by the fuzz targets. Harness code: panics are the point.

use hubspot_batch::json::JsonValue;

pub mod engine;

/// Nesting depth of a value (a scalar is 0).
pub fn depth(v: &JsonValue) -> usize {
    match v {
        JsonValue::Array(items) => 1 + items.iter().map(depth).max().unwrap_or(0),
        JsonValue::Object(entries) => 1 + entries.iter().map(|(_, v)| depth(v)).max().unwrap_or(0),
        _ => 0,
    }
}

/// Whether every number in the value is finite (`to_json` writes non-finite as `null`).
pub fn all_finite(v: &JsonValue) -> bool {
    match v {
        JsonValue::Number(n) => n.is_finite(),
        JsonValue::Array(items) => items.iter().all(all_finite),
        JsonValue::Object(entries) => entries.iter().all(|(_, v)| all_finite(v)),
        _ => true,
    }
}
