//! HubSpot's wire types, named and shaped as in HubSpot's OpenAPI file for
//! `POST /crm/v3/objects/{objectType}/batch/update`.
//!
//! Reading is lenient where HubSpot is known to leave out fields its schema calls required
//! (a missing `links` or `errors` must not turn an applied update into a "malformed" answer);
//! writing always emits every required field, so what users receive matches the schema.

use std::fmt;

use serde::de::{Deserialize, Deserializer, MapAccess, Visitor};
use serde::ser::{Serialize, SerializeMap, Serializer};
use serde::{Deserialize as De, Serialize as Ser};

use crate::json::JsonValue;

/// A JSON object as an ordered list of entries.
///
/// One small Vec-backed type instead of several `BTreeMap`s keeps the wasm smaller and keeps
/// HubSpot's key order; the maps here are a handful of entries, so lookups stay cheap.
#[derive(Clone, Debug, PartialEq, Default)]
pub struct Map<V>(pub Vec<(String, V)>);

impl<V> Map<V> {
    /// An empty map.
    pub fn new() -> Self {
        Map(Vec::new())
    }

    /// The value under `key`, if any (the first, should HubSpot repeat a key).
    pub fn get(&self, key: &str) -> Option<&V> {
        self.0.iter().find(|(k, _)| k == key).map(|(_, v)| v)
    }

    /// Number of entries.
    pub fn len(&self) -> usize {
        self.0.len()
    }

    /// True when there are no entries.
    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }
}

impl<V: Serialize> Serialize for Map<V> {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        let mut map = serializer.serialize_map(Some(self.0.len()))?;
        for (k, v) in &self.0 {
            map.serialize_entry(k, v)?;
        }
        map.end()
    }
}

impl<'de, V: Deserialize<'de>> Deserialize<'de> for Map<V> {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        struct MapVisitor<V>(std::marker::PhantomData<V>);
        impl<'de, V: Deserialize<'de>> Visitor<'de> for MapVisitor<V> {
            type Value = Map<V>;
            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("an object")
            }
            fn visit_map<A: MapAccess<'de>>(self, mut access: A) -> Result<Map<V>, A::Error> {
                let mut entries = Vec::with_capacity(access.size_hint().unwrap_or(0).min(64));
                while let Some((k, v)) = access.next_entry()? {
                    entries.push((k, v));
                }
                Ok(Map(entries))
            }
        }
        deserializer.deserialize_map(MapVisitor(std::marker::PhantomData))
    }
}

/// One record to update: `SimplePublicObjectBatchInput`.
#[derive(Clone, Debug, PartialEq, Ser, De)]
#[cfg_attr(feature = "js", derive(tsify::Tsify))]
#[serde(rename_all = "camelCase")]
pub struct SimplePublicObjectBatchInput {
    /// The internal id, or the value of `idProperty`.
    pub id: String,
    /// Property values, already formatted as HubSpot strings.
    #[cfg_attr(feature = "js", tsify(type = "Record<string, string>"))]
    pub properties: Map<String>,
    /// A unique property whose value `id` is.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[cfg_attr(feature = "js", tsify(optional))]
    pub id_property: Option<String>,
    /// Echoed by HubSpot on the matching result or error.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[cfg_attr(feature = "js", tsify(optional))]
    pub object_write_trace_id: Option<String>,
}

/// The request body: `BatchInputSimplePublicObjectBatchInput`.
#[derive(Clone, Debug, PartialEq, Ser, De)]
pub struct BatchInputSimplePublicObjectBatchInput {
    /// At most 100 inputs.
    pub inputs: Vec<SimplePublicObjectBatchInput>,
}

/// The `status` of a batch response.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Ser, De)]
#[cfg_attr(feature = "js", derive(tsify::Tsify))]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
pub enum BatchStatus {
    /// `CANCELED`
    Canceled,
    /// `COMPLETE`
    Complete,
    /// `PENDING`
    Pending,
    /// `PROCESSING`
    Processing,
}

/// An updated record: `SimplePublicObject`.
#[derive(Clone, Debug, PartialEq, Ser, De)]
#[cfg_attr(feature = "js", derive(tsify::Tsify))]
#[serde(rename_all = "camelCase")]
pub struct SimplePublicObject {
    /// Whether the record is archived.
    #[serde(default)]
    pub archived: bool,
    /// When it was archived.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[cfg_attr(feature = "js", tsify(optional))]
    pub archived_at: Option<String>,
    /// ISO 8601 creation time.
    #[serde(default)]
    pub created_at: String,
    /// The internal id.
    pub id: String,
    /// The trace id of the input that wrote this object, echoed by HubSpot.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[cfg_attr(feature = "js", tsify(optional))]
    pub object_write_trace_id: Option<String>,
    /// Property values; HubSpot sends `null` for empty ones.
    #[serde(default)]
    #[cfg_attr(feature = "js", tsify(type = "Record<string, string | null>"))]
    pub properties: Map<Option<String>>,
    /// Property histories, when asked for.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[cfg_attr(
        feature = "js",
        tsify(optional, type = "Record<string, ValueWithTimestamp[]>")
    )]
    pub properties_with_history: Option<Map<Vec<ValueWithTimestamp>>>,
    /// ISO 8601 time of the last update.
    #[serde(default)]
    pub updated_at: String,
    /// A link to the record.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[cfg_attr(feature = "js", tsify(optional))]
    pub url: Option<String>,
    /// Warnings HubSpot attached to the write.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[cfg_attr(feature = "js", tsify(optional))]
    pub warnings: Option<Vec<PublicObjectWarning>>,
}

/// One entry of a property's history: `ValueWithTimestamp`.
#[derive(Clone, Debug, PartialEq, Ser, De)]
#[cfg_attr(feature = "js", derive(tsify::Tsify))]
#[serde(rename_all = "camelCase")]
pub struct ValueWithTimestamp {
    /// Source id.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[cfg_attr(feature = "js", tsify(optional))]
    pub source_id: Option<String>,
    /// Source label.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[cfg_attr(feature = "js", tsify(optional))]
    pub source_label: Option<String>,
    /// Source type.
    #[serde(default)]
    pub source_type: String,
    /// When the value was set.
    #[serde(default)]
    pub timestamp: String,
    /// The user who set it.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[cfg_attr(feature = "js", tsify(optional))]
    pub updated_by_user_id: Option<i32>,
    /// The value.
    #[serde(default)]
    pub value: String,
}

/// A warning on a written object: `PublicObjectWarning`.
#[derive(Clone, Debug, PartialEq, Ser, De)]
#[cfg_attr(feature = "js", derive(tsify::Tsify))]
pub struct PublicObjectWarning {
    /// Warning category.
    #[serde(default)]
    pub category: String,
    /// Context.
    #[serde(default)]
    #[cfg_attr(feature = "js", tsify(type = "Record<string, string>"))]
    pub context: Map<String>,
    /// Message.
    #[serde(default)]
    pub message: String,
}

/// A per-item error in a 207 answer: `StandardError`.
#[derive(Clone, Debug, PartialEq, Ser, De)]
#[cfg_attr(feature = "js", derive(tsify::Tsify))]
#[serde(rename_all = "camelCase")]
pub struct StandardError {
    /// Error category, e.g. `OBJECT_NOT_FOUND`.
    #[serde(default)]
    pub category: String,
    /// Context, e.g. `{"ids": ["12"]}`.
    #[serde(default)]
    #[cfg_attr(feature = "js", tsify(type = "Record<string, string[]>"))]
    pub context: Map<Vec<String>>,
    /// Details.
    #[serde(default)]
    pub errors: Vec<ErrorDetail>,
    /// The id the error is about, when HubSpot gives one.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[cfg_attr(feature = "js", tsify(optional))]
    pub id: Option<String>,
    /// Links.
    #[serde(default)]
    #[cfg_attr(feature = "js", tsify(type = "Record<string, string>"))]
    pub links: Map<String>,
    /// Human-readable message.
    #[serde(default)]
    pub message: String,
    /// Status text, e.g. `"error"`.
    #[serde(default)]
    pub status: String,
    /// An object in the schema; HubSpot fills it in freely.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[cfg_attr(feature = "js", tsify(optional, type = "Record<string, unknown>"))]
    pub sub_category: Option<JsonValue>,
    /// Echo of the input's trace id. Not in the schema, but HubSpot sends it on batch errors,
    /// and it is the most reliable way to tie an error to its input.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[cfg_attr(feature = "js", tsify(optional))]
    pub object_write_trace_id: Option<String>,
}

/// One detail of an error: `ErrorDetail`.
#[derive(Clone, Debug, PartialEq, Ser, De, Default)]
#[cfg_attr(feature = "js", derive(tsify::Tsify))]
#[serde(rename_all = "camelCase")]
pub struct ErrorDetail {
    /// A specific code, e.g. `INVALID_OPTION`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[cfg_attr(feature = "js", tsify(optional))]
    pub code: Option<String>,
    /// Context.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[cfg_attr(feature = "js", tsify(optional, type = "Record<string, string[]>"))]
    pub context: Option<Map<Vec<String>>>,
    /// The field the error is in (for property errors: the property name).
    #[serde(default, rename = "in", skip_serializing_if = "Option::is_none")]
    #[cfg_attr(feature = "js", tsify(optional))]
    pub in_: Option<String>,
    /// Human-readable message.
    #[serde(default)]
    pub message: String,
    /// Sub-category.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[cfg_attr(feature = "js", tsify(optional))]
    pub sub_category: Option<String>,
}

/// HubSpot's error body for whole-request failures: `Error`, plus the fields 429s add.
#[derive(Clone, Debug, PartialEq, Ser, De, Default)]
#[serde(rename_all = "camelCase")]
pub struct Error {
    /// Category, e.g. `VALIDATION_ERROR`, `RATE_LIMITS`.
    #[serde(default)]
    pub category: String,
    /// Context.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub context: Option<Map<Vec<String>>>,
    /// HubSpot's id for this failure; quote it to HubSpot support.
    #[serde(default)]
    pub correlation_id: String,
    /// Details.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub errors: Option<Vec<ErrorDetail>>,
    /// Links.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub links: Option<Map<String>>,
    /// Human-readable message.
    #[serde(default)]
    pub message: String,
    /// Sub-category.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub sub_category: Option<JsonValue>,
    /// 429 only: e.g. `RATE_LIMIT`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub error_type: Option<String>,
    /// 429 only: `TEN_SECONDLY_ROLLING`, `SECONDLY` or `DAILY`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub policy_name: Option<String>,
    /// 429 only, sometimes: the limit's group.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub group_name: Option<String>,
}

/// A parsed 200 or 207 answer.
///
/// `BatchResponseSimplePublicObject` (200) is `BatchResponseSimplePublicObjectWithErrors` (207)
/// without `errors`/`numErrors`, so one type carries both; for a 200 `errors` is empty.
#[derive(Clone, Debug, PartialEq, Ser, De)]
#[cfg_attr(feature = "js", derive(tsify::Tsify))]
#[serde(rename_all = "camelCase")]
pub struct BatchResponse {
    /// ISO 8601 completion time.
    #[serde(default)]
    pub completed_at: String,
    /// Per-item errors (207 only).
    #[serde(default)]
    pub errors: Vec<StandardError>,
    /// Links.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[cfg_attr(feature = "js", tsify(optional, type = "Record<string, string>"))]
    pub links: Option<Map<String>>,
    /// Number of errors (207 only).
    #[serde(default)]
    pub num_errors: i32,
    /// When the request was received.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[cfg_attr(feature = "js", tsify(optional))]
    pub requested_at: Option<String>,
    /// The updated objects.
    pub results: Vec<SimplePublicObject>,
    /// ISO 8601 start time.
    #[serde(default)]
    pub started_at: String,
    /// Batch status.
    pub status: BatchStatus,
}
