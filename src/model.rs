//! HubSpot's wire types, named and shaped as in HubSpot's OpenAPI files (`crm-objects-v3.json`,
//! cut to `hubspot-deals-batch-update.openapi.json` for batch update): the one description of
//! each shape. Natively they go through serde_json; in the npm build the JS engine parses and
//! prints JSON text and serde-wasm-bindgen carries the values.
//!
//! Fields the schema requires are required in the types (and so in the TypeScript typings).
//! Reading is lenient where HubSpot is known to leave such fields out (a missing `links` or
//! `errors` must not turn an applied update into a "malformed" answer): they default.
//!
//! HubSpot's words that decide what the client does (`category`, `policyName`) are parsed into
//! enums here, once, so no decision compares strings.

use std::fmt;

use serde::de::{Deserialize, Deserializer, MapAccess, Visitor};
use serde::ser::{Serialize, SerializeMap, Serializer};
use serde::{Deserialize as De, Serialize as Ser};

/// A JSON object as an ordered list of entries: keeps HubSpot's (and the caller's) key order,
/// and the maps here hold a handful of entries, so lookups stay cheap.
#[derive(Clone, Debug, PartialEq, Default)]
pub struct Map<V>(pub Vec<(String, V)>);

impl<V> Map<V> {
    /// An empty map.
    pub fn new() -> Self {
        Map(Vec::new())
    }

    /// The value under `key`, if any (the first, should a key repeat).
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

/// Declares a string enum of HubSpot words: known words as variants, anything else kept as
/// `Other` so that nothing HubSpot says is lost on the way to the caller.
macro_rules! words {
    ($(#[$doc:meta])* $name:ident { $($(#[$vdoc:meta])* $variant:ident = $text:literal,)* }) => {
        $(#[$doc])*
        #[derive(Clone, Debug, PartialEq, Eq)]
        pub enum $name {
            $($(#[$vdoc])* $variant,)*
            /// Any other word, as HubSpot wrote it.
            Other(String),
        }

        impl $name {
            /// The word for `text`.
            pub fn parse(text: &str) -> Self {
                match text {
                    $($text => $name::$variant,)*
                    other => $name::Other(other.to_owned()),
                }
            }

            /// The word as HubSpot writes it.
            pub fn as_str(&self) -> &str {
                match self {
                    $($name::$variant => $text,)*
                    $name::Other(s) => s,
                }
            }
        }

        impl Serialize for $name {
            fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
                serializer.serialize_str(self.as_str())
            }
        }

        impl<'de> Deserialize<'de> for $name {
            fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
                String::deserialize(deserializer).map(|s| $name::parse(&s))
            }
        }

        impl Default for $name {
            fn default() -> Self {
                $name::Other(String::new())
            }
        }
    };
}

words! {
    /// An error category: HubSpot's (`VALIDATION_ERROR`, `RATE_LIMITS`, ...) and the ones this
    /// package gives failures HubSpot did not categorise (`NETWORK_ERROR`, `NOT_UPDATED`, ...).
    Category {
        /// HubSpot refused a value or the request's shape.
        ValidationError = "VALIDATION_ERROR",
        /// HubSpot: a conflicting write (e.g. a unique value taken).
        Conflict = "CONFLICT",
        /// HubSpot: a rate limit was hit.
        RateLimits = "RATE_LIMITS",
        /// HubSpot: the record does not exist.
        ObjectNotFound = "OBJECT_NOT_FOUND",
        /// HubSpot left the input out of a successful answer: it was not written.
        NotUpdated = "NOT_UPDATED",
        /// The run ended before the input was sent.
        NotSent = "NOT_SENT",
        /// No HTTP answer.
        NetworkError = "NETWORK_ERROR",
        /// No answer within `timeoutMs`.
        Timeout = "TIMEOUT",
        /// The caller aborted.
        Aborted = "ABORTED",
        /// HubSpot (or a proxy) answered with a redirect, which is never followed.
        Redirect = "REDIRECT",
        /// A 2xx answer whose body is not what the schema says.
        MalformedResponse = "MALFORMED_RESPONSE",
        /// An HTTP error without a category.
        HttpError = "HTTP_ERROR",
        /// A 429 without a category.
        RateLimited = "RATE_LIMITED",
        /// A create whose request may have been applied (timeout, 5xx, network error once
        /// sent, malformed 2xx): not sent again, so no record is created twice.
        UnknownOutcome = "UNKNOWN_OUTCOME",
    }
}

words! {
    /// The rate-limit policy a 429 names.
    PolicyName {
        /// The rolling 10-second window.
        TenSecondlyRolling = "TEN_SECONDLY_ROLLING",
        /// The per-second limit.
        Secondly = "SECONDLY",
        /// The account's daily limit: never retried.
        Daily = "DAILY",
    }
}

/// One record to update: `SimplePublicObjectBatchInput`.
#[derive(Clone, Debug, PartialEq, Ser, De)]
#[cfg_attr(feature = "js", derive(tsify::Tsify))]
#[serde(rename_all = "camelCase")]
pub struct SimplePublicObjectBatchInput {
    /// The internal id, or the value of `idProperty`.
    pub id: String,
    /// A unique property whose value `id` is.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[cfg_attr(feature = "js", tsify(optional))]
    pub id_property: Option<String>,
    /// Echoed by HubSpot on the matching result or error.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[cfg_attr(feature = "js", tsify(optional))]
    pub object_write_trace_id: Option<String>,
    /// Property values, already formatted as HubSpot strings.
    #[cfg_attr(feature = "js", tsify(type = "Record<string, string>"))]
    pub properties: Map<String>,
}

/// A batch request body, `{"inputs": [...]}`: `BatchInputSimplePublicObjectBatchInput` with
/// `T` = [`SimplePublicObjectBatchInput`] (or a reference to one, to write a body without
/// copying the inputs).
#[derive(Clone, Debug, PartialEq, Ser, De)]
pub struct BatchInput<T> {
    /// At most 100 inputs.
    pub inputs: Vec<T>,
}

/// The batch update request body.
pub type BatchInputSimplePublicObjectBatchInput = BatchInput<SimplePublicObjectBatchInput>;

/// A record named by id: `SimplePublicObjectId` (the inputs of read and archive), also
/// `PublicObjectId` (an association's target).
#[derive(Clone, Debug, PartialEq, Ser, De)]
#[cfg_attr(feature = "js", derive(tsify::Tsify))]
pub struct SimplePublicObjectId {
    /// The internal id, or the value of `idProperty` (read).
    pub id: String,
}

/// An association made with a new record: `PublicAssociationsForObject`.
#[derive(Clone, Debug, PartialEq, Ser, De)]
#[cfg_attr(feature = "js", derive(tsify::Tsify))]
pub struct PublicAssociationsForObject {
    /// The record to associate with.
    pub to: SimplePublicObjectId,
    /// The association's types.
    pub types: Vec<AssociationSpec>,
}

/// An association type: `AssociationSpec`.
#[derive(Clone, Debug, PartialEq, Ser, De)]
#[cfg_attr(feature = "js", derive(tsify::Tsify))]
#[serde(rename_all = "camelCase")]
pub struct AssociationSpec {
    /// `HUBSPOT_DEFINED`, `USER_DEFINED`, `INTEGRATOR_DEFINED` or `WORK`.
    #[cfg_attr(
        feature = "js",
        tsify(type = "\"HUBSPOT_DEFINED\" | \"INTEGRATOR_DEFINED\" | \"USER_DEFINED\" | \"WORK\"")
    )]
    pub association_category: String,
    /// The association type's id.
    pub association_type_id: i32,
}

/// One record to create: `SimplePublicObjectInputForCreate`, with the `objectWriteTraceId`
/// HubSpot needs to report per-input errors (207) for a create.
#[derive(Clone, Debug, PartialEq, Ser, De)]
#[serde(rename_all = "camelCase")]
pub struct SimplePublicObjectInputForCreate {
    /// Associations to make with the new record.
    pub associations: Vec<PublicAssociationsForObject>,
    /// Echoed by HubSpot on the matching result or error.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub object_write_trace_id: Option<String>,
    /// Property values, formatted as HubSpot strings.
    pub properties: Map<String>,
}

/// The batch read request body: `BatchReadInputSimplePublicObjectId`.
#[derive(Clone, Debug, PartialEq, Ser, De)]
#[serde(rename_all = "camelCase")]
pub struct BatchReadInputSimplePublicObjectId {
    /// A unique property the ids are values of; left out for internal ids.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub id_property: Option<String>,
    /// The records.
    pub inputs: Vec<SimplePublicObjectId>,
    /// Properties to return.
    pub properties: Vec<String>,
    /// Properties to return with their history.
    pub properties_with_history: Vec<String>,
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

/// A written record: `SimplePublicObject`.
#[derive(Clone, Debug, PartialEq, Ser, De)]
#[cfg_attr(feature = "js", derive(tsify::Tsify))]
#[serde(rename_all = "camelCase")]
pub struct SimplePublicObject {
    /// Whether the record is archived.
    #[cfg_attr(not(feature = "js"), serde(default))]
    pub archived: bool,
    /// When it was archived.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[cfg_attr(feature = "js", tsify(optional))]
    pub archived_at: Option<String>,
    /// ISO 8601 creation time.
    #[cfg_attr(not(feature = "js"), serde(default))]
    pub created_at: String,
    /// The internal id.
    pub id: String,
    /// The trace id of the input that wrote this object, echoed by HubSpot.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[cfg_attr(feature = "js", tsify(optional))]
    pub object_write_trace_id: Option<String>,
    /// Property values; HubSpot sends `null` for empty ones.
    #[cfg_attr(not(feature = "js"), serde(default))]
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
    #[cfg_attr(not(feature = "js"), serde(default))]
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

/// What the run needs of a written record before it looks further: its id and the trace id
/// HubSpot echoes. In the npm build only this much of each result crosses into wasm (a
/// property value, needed only to match a result HubSpot echoed no trace id on, is read from
/// the JS object when asked); the caller gets the object as the JS engine parsed it.
#[derive(Clone, Debug, PartialEq, De)]
#[serde(rename_all = "camelCase")]
pub struct ObjectKeys {
    /// The internal id.
    pub id: String,
    /// The echoed trace id.
    #[serde(default)]
    pub object_write_trace_id: Option<String>,
}

/// A written record as the run's ledger sees it: enough to tie it to its input.
pub trait Written {
    /// The internal id.
    fn id(&self) -> &str;
    /// The echoed trace id.
    fn trace_id(&self) -> Option<&str>;
    /// Whether property `name` holds `value`.
    fn holds(&self, name: &str, value: &str) -> bool;
    /// Removes the echoed trace id (the client added it; the caller never sees it).
    fn clear_trace_id(&mut self);
    /// The result of an archived record, `{ id }`: archive's 204 has no body.
    fn archived(id: &str) -> Self;
}

impl Written for SimplePublicObject {
    fn id(&self) -> &str {
        &self.id
    }
    fn trace_id(&self) -> Option<&str> {
        self.object_write_trace_id.as_deref()
    }
    fn holds(&self, name: &str, value: &str) -> bool {
        self.properties.get(name).and_then(|v| v.as_deref()) == Some(value)
    }
    fn clear_trace_id(&mut self) {
        self.object_write_trace_id = None;
    }
    fn archived(id: &str) -> Self {
        SimplePublicObject {
            archived: true,
            archived_at: None,
            created_at: String::new(),
            id: id.to_owned(),
            object_write_trace_id: None,
            properties: Map::new(),
            properties_with_history: None,
            updated_at: String::new(),
            url: None,
            warnings: None,
        }
    }
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
    #[cfg_attr(not(feature = "js"), serde(default))]
    pub source_type: String,
    /// When the value was set.
    #[cfg_attr(not(feature = "js"), serde(default))]
    pub timestamp: String,
    /// The user who set it.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[cfg_attr(feature = "js", tsify(optional))]
    pub updated_by_user_id: Option<i32>,
    /// The value.
    #[cfg_attr(not(feature = "js"), serde(default))]
    pub value: String,
}

/// A warning on a written object: `PublicObjectWarning`.
#[derive(Clone, Debug, PartialEq, Ser, De)]
#[cfg_attr(feature = "js", derive(tsify::Tsify))]
pub struct PublicObjectWarning {
    /// Warning category.
    #[cfg_attr(not(feature = "js"), serde(default))]
    pub category: String,
    /// Context.
    #[cfg_attr(not(feature = "js"), serde(default))]
    #[cfg_attr(feature = "js", tsify(type = "Record<string, string>"))]
    pub context: Map<String>,
    /// Message.
    #[cfg_attr(not(feature = "js"), serde(default))]
    pub message: String,
}

/// A per-item error in a 207 answer: `StandardError`.
#[derive(Clone, Debug, PartialEq, Ser, De)]
#[cfg_attr(feature = "js", derive(tsify::Tsify))]
#[serde(rename_all = "camelCase")]
pub struct StandardError {
    /// Error category, e.g. `OBJECT_NOT_FOUND`.
    #[serde(default)]
    #[cfg_attr(feature = "js", tsify(type = "string"))]
    pub category: Category,
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
    /// An object in the schema; HubSpot also sends a plain string. Kept when it is a
    /// string; another shape is dropped (nothing decides by it).
    #[serde(
        default,
        deserialize_with = "string_or_nothing",
        skip_serializing_if = "Option::is_none"
    )]
    #[cfg_attr(feature = "js", tsify(optional, type = "string"))]
    pub sub_category: Option<String>,
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
    /// A specific code, e.g. `INVALID_OPTION` (`error` in the array HubSpot embeds in a 400's
    /// message, read as this same type).
    #[serde(default, alias = "error", skip_serializing_if = "Option::is_none")]
    #[cfg_attr(feature = "js", tsify(optional))]
    pub code: Option<String>,
    /// Context.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[cfg_attr(feature = "js", tsify(optional, type = "Record<string, string[]>"))]
    pub context: Option<Map<Vec<String>>>,
    /// The field the error is in (for property errors: the property name; `name` in the
    /// embedded array).
    #[serde(
        default,
        rename = "in",
        alias = "name",
        skip_serializing_if = "Option::is_none"
    )]
    #[cfg_attr(feature = "js", tsify(optional))]
    pub in_: Option<String>,
    /// Human-readable message.
    #[serde(default)]
    pub message: String,
    /// Sub-category.
    #[serde(
        default,
        deserialize_with = "string_or_nothing",
        skip_serializing_if = "Option::is_none"
    )]
    #[cfg_attr(feature = "js", tsify(optional))]
    pub sub_category: Option<String>,
}

/// HubSpot's error body for whole-request failures: `Error`, plus the fields 429s add.
#[derive(Clone, Debug, PartialEq, Ser, De, Default)]
#[serde(rename_all = "camelCase")]
pub struct Error {
    /// Category, e.g. `VALIDATION_ERROR`, `RATE_LIMITS`.
    #[serde(default)]
    pub category: Category,
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
    #[serde(
        default,
        deserialize_with = "string_or_nothing",
        skip_serializing_if = "Option::is_none"
    )]
    pub sub_category: Option<String>,
    /// 429 only: e.g. `RATE_LIMIT`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub error_type: Option<String>,
    /// 429 only: `TEN_SECONDLY_ROLLING`, `SECONDLY` or `DAILY`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub policy_name: Option<PolicyName>,
    /// 429 only, sometimes: the limit's group.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub group_name: Option<String>,
    /// `"error"` in HubSpot's bodies.
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub status: String,
}

/// A parsed 200 or 207 answer, its results of type `T` ([`SimplePublicObject`] for the
/// caller, [`ObjectKeys`] for the run in the npm build).
///
/// `BatchResponseSimplePublicObject` (200) is `BatchResponseSimplePublicObjectWithErrors` (207)
/// without `errors`/`numErrors`, so one type carries both; for a 200 `errors` is empty.
#[derive(Clone, Debug, PartialEq, Ser, De)]
#[cfg_attr(feature = "js", derive(tsify::Tsify))]
#[cfg_attr(feature = "js", tsify(type_params = "T = SimplePublicObject"))]
#[serde(rename_all = "camelCase")]
pub struct BatchResponse<T = SimplePublicObject> {
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
    /// The written objects.
    pub results: Vec<T>,
    /// ISO 8601 start time.
    #[serde(default)]
    pub started_at: String,
    /// Batch status.
    pub status: BatchStatus,
}

/// A string, or `None` for any other JSON value (HubSpot's `subCategory` is typed as an
/// object but sent as a string).
///
/// Another value is not walked in the npm build, where serde-wasm-bindgen does not need it
/// (and walking a hostile, deeply nested value would recurse until the wasm stack overflows).
/// serde_json needs it consumed; it limits the depth itself.
fn string_or_nothing<'de, D: Deserializer<'de>>(d: D) -> Result<Option<String>, D::Error> {
    struct V;
    impl<'de> Visitor<'de> for V {
        type Value = Option<String>;
        fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
            f.write_str("any value")
        }
        fn visit_str<E>(self, v: &str) -> Result<Self::Value, E> {
            Ok(Some(v.to_owned()))
        }
        fn visit_string<E>(self, v: String) -> Result<Self::Value, E> {
            Ok(Some(v))
        }
        fn visit_bool<E>(self, _: bool) -> Result<Self::Value, E> {
            Ok(None)
        }
        fn visit_i64<E>(self, _: i64) -> Result<Self::Value, E> {
            Ok(None)
        }
        fn visit_u64<E>(self, _: u64) -> Result<Self::Value, E> {
            Ok(None)
        }
        fn visit_f64<E>(self, _: f64) -> Result<Self::Value, E> {
            Ok(None)
        }
        fn visit_unit<E>(self) -> Result<Self::Value, E> {
            Ok(None)
        }
        fn visit_none<E>(self) -> Result<Self::Value, E> {
            Ok(None)
        }
        fn visit_some<D2: Deserializer<'de>>(self, d: D2) -> Result<Self::Value, D2::Error> {
            d.deserialize_any(V)
        }
        #[cfg_attr(target_arch = "wasm32", allow(unused_mut, unused_variables))]
        fn visit_seq<A: serde::de::SeqAccess<'de>>(
            self,
            mut a: A,
        ) -> Result<Self::Value, A::Error> {
            #[cfg(not(target_arch = "wasm32"))]
            while a.next_element::<serde::de::IgnoredAny>()?.is_some() {}
            Ok(None)
        }
        #[cfg_attr(target_arch = "wasm32", allow(unused_mut, unused_variables))]
        fn visit_map<A: MapAccess<'de>>(self, mut a: A) -> Result<Self::Value, A::Error> {
            #[cfg(not(target_arch = "wasm32"))]
            while a
                .next_entry::<serde::de::IgnoredAny, serde::de::IgnoredAny>()?
                .is_some()
            {}
            Ok(None)
        }
    }
    d.deserialize_any(V)
}
