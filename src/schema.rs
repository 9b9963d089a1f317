//! Checks property values against the object type's property definitions before they are
//! sent, so that a batch HubSpot would refuse whole is never sent (HubSpot asks that error
//! answers stay under 5% of an app's requests; see issue 15 and CONTRACT.md, "The error
//! budget").
//!
//! The types here follow HubSpot's OpenAPI schemas for `GET /crm/v3/properties/{objectType}`
//! (`Property`, `Option`, `PropertyModificationMetadata`, `CollectionResponsePropertyNoPaging`)
//! and `GET /crm/v3/pipelines/{objectType}` (`Pipeline`, `PipelineStage`,
//! `CollectionResponsePipelineNoPaging`): required fields as the spec says, everything else
//! optional, unknown fields ignored.
//!
//! **The rule: never reject what HubSpot would accept.** A false rejection fails a record
//! that HubSpot would have written, for good; a value let through costs at most one error
//! answer. So where the schema does not say, or where HubSpot's behaviour is not known, the
//! value is let through. Each such choice is written down where it is made. What is
//! rejected, and why we believe HubSpot rejects it too:
//!
//! | code | when | evidence |
//! | --- | --- | --- |
//! | `PROPERTY_DOESNT_EXIST` | no property of that name, when the list is complete (`SchemaData::all_properties`) | HubSpot's answer for unknown names |
//! | `READ_ONLY_VALUE` | `modificationMetadata.readOnlyValue` (or, without metadata, `calculated`) | the property's own flag |
//! | `INVALID_OPTION` | enumeration / bool value (or `;` part) that is no option's value or label, nor a pipeline or stage id | `x was not one of the allowed options: [...]`, seen for enumerations and `booleancheckbox` (`1`) |
//! | `INVALID_DECIMAL` | number that is not a decimal numeral (`abc`, `1,000`, `$5`, `NaN`) | HubSpot refuses even `1.42e-14` ("was not a valid number") |
//! | `INVALID_DATE` | date / datetime that is neither epoch milliseconds nor ISO 8601; date epoch not at midnight UTC | HubSpot's timestamp FAQ; `... is at 4:10:33.600 UTC, not midnight!` |
//! | `LEADING_TRAILING_WHITESPACE` | a non-string value refused above that starts or ends with whitespace | HubSpot's changelog, 2025 ("Enhanced validations for non-string properties") |

use std::collections::BTreeMap;
use std::fmt;

use serde::de::{self, Deserializer, Visitor};
use serde::{Deserialize, Serialize, Serializer};

// ---------------------------------------------------------------------------------------
// Wire types: GET /crm/v3/properties/{objectType}
// ---------------------------------------------------------------------------------------

/// One choice of an enumeration property: the spec's `Option` (renamed, as `Option` is
/// Rust's).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct PropertyOption {
    /// What HubSpot shows.
    pub label: String,
    /// What the API stores and expects.
    pub value: String,
    /// Hidden from HubSpot's UI only: the API still accepts the value, so the validator does.
    pub hidden: bool,
    /// Position in the UI.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub display_order: Option<i32>,
    /// Help text.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub description: Option<String>,
}

/// Who may change what about a property: the spec's `PropertyModificationMetadata`.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct PropertyModificationMetadata {
    /// Whether the property can be archived.
    pub archivable: bool,
    /// Whether the definition can be changed.
    pub read_only_definition: bool,
    /// Whether the options can be changed.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub read_only_options: Option<bool>,
    /// Whether a record's value can be set: the validator's read-only signal.
    pub read_only_value: bool,
}

/// A property definition: the spec's `Property`.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Property {
    /// Internal name, as used in `properties` of an input.
    pub name: String,
    /// Name shown in HubSpot.
    pub label: String,
    /// Data type: `string`, `number`, `date`, `datetime`, `enumeration`, `bool`,
    /// `phone_number`, ... (a `String`, not an enum, so that a type HubSpot adds later still
    /// deserializes; the validator lets values of unknown types through).
    #[serde(rename = "type")]
    pub type_: String,
    /// UI control: `text`, `textarea`, `number`, `date`, `select`, `radio`, `checkbox`,
    /// `booleancheckbox`, `calculation_equation`, ... (`checkbox` means multi-select).
    pub field_type: String,
    /// Property group.
    pub group_name: String,
    /// Help text.
    pub description: String,
    /// The choices of an enumeration; empty for other types.
    pub options: Vec<PropertyOption>,
    /// Whether archived.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub archived: Option<bool>,
    /// When archived.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub archived_at: Option<String>,
    /// Set by a HubSpot process (default properties only).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub calculated: Option<bool>,
    /// Formula of a calculated property.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub calculation_formula: Option<String>,
    /// When created.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub created_at: Option<String>,
    /// Who created it.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub created_user_id: Option<String>,
    /// The related currency property.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub currency_property_name: Option<String>,
    /// `non_sensitive`, `sensitive` or `highly_sensitive`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub data_sensitivity: Option<String>,
    /// How dates are shown.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub date_display_hint: Option<String>,
    /// Position in the UI.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub display_order: Option<i32>,
    /// The options live outside the definition (owners, pipeline stages...): `options` may be
    /// empty or partial.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub external_options: Option<bool>,
    /// Usable in forms.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub form_field: Option<bool>,
    /// Values must be unique across records (not checked here: it needs the records).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub has_unique_value: Option<bool>,
    /// Hidden from the UI.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub hidden: Option<bool>,
    /// A default property.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub hubspot_defined: Option<bool>,
    /// Who may change what.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub modification_metadata: Option<PropertyModificationMetadata>,
    /// How numbers are shown.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub number_display_hint: Option<String>,
    /// The object type the value refers to.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub referenced_object_type: Option<String>,
    /// Kinds of sensitive data.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub sensitive_data_categories: Option<Vec<String>>,
    /// Whether the currency symbol is shown.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub show_currency_symbol: Option<bool>,
    /// How text is shown.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub text_display_hint: Option<String>,
    /// When last updated.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub updated_at: Option<String>,
    /// Who last updated it.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub updated_user_id: Option<String>,
}

/// The body of `GET /crm/v3/properties/{objectType}`.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct CollectionResponsePropertyNoPaging {
    /// The object type's properties.
    pub results: Vec<Property>,
}

// ---------------------------------------------------------------------------------------
// Wire types: GET /crm/v3/pipelines/{objectType}
// ---------------------------------------------------------------------------------------

/// A stage: the spec's `PipelineStage`. Its `id` is what `dealstage` / `hs_pipeline_stage`
/// hold.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct PipelineStage {
    /// The value a record's stage property holds.
    pub id: String,
    /// Name shown in HubSpot.
    pub label: String,
    /// Whether archived.
    pub archived: bool,
    /// Position in the UI.
    pub display_order: i32,
    /// When created (`1970-01-01T00:00:00Z` for default stages).
    pub created_at: String,
    /// When last updated.
    pub updated_at: String,
    /// Per-object extras, e.g. deals' `probability`, tickets' `ticketState`.
    pub metadata: BTreeMap<String, MetadataValue>,
    /// When archived.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub archived_at: Option<String>,
    /// `CRM_PERMISSIONS_ENFORCEMENT`, `READ_ONLY` or `INTERNAL_ONLY`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub write_permissions: Option<String>,
}

/// A pipeline: the spec's `Pipeline`. Its `id` is what `pipeline` / `hs_pipeline` hold.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Pipeline {
    /// The value a record's pipeline property holds (`default` for deals' first one).
    pub id: String,
    /// Name shown in HubSpot.
    pub label: String,
    /// The stages.
    pub stages: Vec<PipelineStage>,
    /// Whether archived.
    pub archived: bool,
    /// Position in the UI.
    pub display_order: i32,
    /// When created.
    pub created_at: String,
    /// When last updated.
    pub updated_at: String,
    /// When archived.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub archived_at: Option<String>,
}

/// The body of `GET /crm/v3/pipelines/{objectType}`.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct CollectionResponsePipelineNoPaging {
    /// The object type's pipelines.
    pub results: Vec<Pipeline>,
}

/// A value of a stage's `metadata`, kept as text.
///
/// The spec says strings and HubSpot sends strings (`"probability": "0.2"`), but the same
/// spec's prose shows `{ "probability": 0.5 }`; a caller-supplied schema with a number there
/// must not make the whole schema unreadable for a field the validator never reads.
#[derive(Clone, Debug, PartialEq, Eq, Default)]
pub struct MetadataValue(pub String);

impl Serialize for MetadataValue {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.serialize_str(&self.0)
    }
}

impl<'de> Deserialize<'de> for MetadataValue {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        struct ScalarVisitor;
        impl Visitor<'_> for ScalarVisitor {
            type Value = MetadataValue;
            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("a string, number, boolean or null")
            }
            fn visit_str<E: de::Error>(self, v: &str) -> Result<MetadataValue, E> {
                Ok(MetadataValue(v.to_owned()))
            }
            fn visit_string<E: de::Error>(self, v: String) -> Result<MetadataValue, E> {
                Ok(MetadataValue(v))
            }
            fn visit_bool<E: de::Error>(self, v: bool) -> Result<MetadataValue, E> {
                Ok(MetadataValue(v.to_string()))
            }
            fn visit_i64<E: de::Error>(self, v: i64) -> Result<MetadataValue, E> {
                Ok(MetadataValue(v.to_string()))
            }
            fn visit_u64<E: de::Error>(self, v: u64) -> Result<MetadataValue, E> {
                Ok(MetadataValue(v.to_string()))
            }
            fn visit_f64<E: de::Error>(self, v: f64) -> Result<MetadataValue, E> {
                Ok(MetadataValue(v.to_string()))
            }
            fn visit_unit<E: de::Error>(self) -> Result<MetadataValue, E> {
                Ok(MetadataValue::default())
            }
            fn visit_none<E: de::Error>(self) -> Result<MetadataValue, E> {
                Ok(MetadataValue::default())
            }
        }
        deserializer.deserialize_any(ScalarVisitor)
    }
}

// ---------------------------------------------------------------------------------------
// Schema data and the index
// ---------------------------------------------------------------------------------------

/// Everything the validator knows of one object type: the `schema` option's data form
/// (`schema: { properties, pipelines }` in JS; CONTRACT.md's `SchemaData`).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct SchemaData {
    /// `results` of `GET /crm/v3/properties/{objectType}`.
    pub properties: Vec<Property>,
    /// `results` of `GET /crm/v3/pipelines/{objectType}`, when read. Absent (`None`), the
    /// stage and pipeline properties are not judged at all: their values live in the
    /// pipelines, and the property's own options need not list every pipeline's stages.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub pipelines: Option<Vec<Pipeline>>,
    /// Whether `properties` lists every property a record can be given, so that a name not
    /// listed is refused with `PROPERTY_DOESNT_EXIST`. `GET /crm/v3/properties/{objectType}`
    /// lists only `non_sensitive` properties unless asked with `dataSensitivity=sensitive` /
    /// `highly_sensitive`: a fetcher that did not read those lists sets this to `false`, and
    /// unlisted names are then let through. Defaults to `true` (a caller supplying the data
    /// vouches for it).
    #[serde(default = "yes")]
    pub all_properties: bool,
}

fn yes() -> bool {
    true
}

impl Default for SchemaData {
    fn default() -> Self {
        SchemaData {
            properties: Vec::new(),
            pipelines: None,
            all_properties: true,
        }
    }
}

impl SchemaData {
    /// From the two answers as HubSpot sends them (pipelines absent when not read, e.g. for
    /// an object type without pipelines or a token without the scope).
    pub fn from_collections(
        properties: CollectionResponsePropertyNoPaging,
        pipelines: Option<CollectionResponsePipelineNoPaging>,
    ) -> Self {
        SchemaData {
            properties: properties.results,
            pipelines: pipelines.map(|p| p.results),
            all_properties: true,
        }
    }
}

/// Property names whose values are pipeline ids (deals; tickets and custom objects).
const PIPELINE_PROPERTIES: [&str; 2] = ["pipeline", "hs_pipeline"];
/// Property names whose values are stage ids (deals; tickets, leads and custom objects).
const STAGE_PROPERTIES: [&str; 2] = ["dealstage", "hs_pipeline_stage"];

/// HubSpot's detail code of a violation (the `error` / `code` words of its answers).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum ViolationCode {
    /// `PROPERTY_DOESNT_EXIST`.
    PropertyDoesntExist,
    /// `READ_ONLY_VALUE`.
    ReadOnlyValue,
    /// `INVALID_OPTION`.
    InvalidOption,
    /// `INVALID_DECIMAL` (the emulator's word; HubSpot has also been seen to answer
    /// `INVALID_INTEGER` with the same message for `amount`).
    InvalidDecimal,
    /// `INVALID_DATE`.
    InvalidDate,
    /// `LEADING_TRAILING_WHITESPACE`.
    LeadingTrailingWhitespace,
}

impl ViolationCode {
    /// Every code.
    pub const ALL: [ViolationCode; 6] = [
        ViolationCode::PropertyDoesntExist,
        ViolationCode::ReadOnlyValue,
        ViolationCode::InvalidOption,
        ViolationCode::InvalidDecimal,
        ViolationCode::InvalidDate,
        ViolationCode::LeadingTrailingWhitespace,
    ];

    /// The code HubSpot's word names (`INVALID_INTEGER` is HubSpot's other word for a bad
    /// number); `None` for any other word.
    pub fn parse(word: &str) -> Option<ViolationCode> {
        if word == "INVALID_INTEGER" {
            return Some(ViolationCode::InvalidDecimal);
        }
        Self::ALL.into_iter().find(|c| c.as_str() == word)
    }

    /// The word HubSpot uses.
    pub fn as_str(self) -> &'static str {
        match self {
            ViolationCode::PropertyDoesntExist => "PROPERTY_DOESNT_EXIST",
            ViolationCode::ReadOnlyValue => "READ_ONLY_VALUE",
            ViolationCode::InvalidOption => "INVALID_OPTION",
            ViolationCode::InvalidDecimal => "INVALID_DECIMAL",
            ViolationCode::InvalidDate => "INVALID_DATE",
            ViolationCode::LeadingTrailingWhitespace => "LEADING_TRAILING_WHITESPACE",
        }
    }
}

impl fmt::Display for ViolationCode {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// Why one property value would be refused. The caller maps it to HubSpot's `ErrorDetail`
/// (`code`, `message`, `context: { propertyName: [property] }`).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Violation {
    /// HubSpot's code.
    pub code: ViolationCode,
    /// The property name, as the input spelled it.
    pub property: String,
    /// A message worded as HubSpot's (the emulator's where it has one).
    pub message: String,
}

/// What a property accepts, decided once when the schema is built.
#[derive(Clone, Debug, PartialEq, Eq)]
enum Rule {
    /// Anything: strings, unknown types, and everything the schema cannot judge.
    Any,
    /// Nothing, not even `""`.
    ReadOnly,
    /// A decimal numeral.
    Number,
    /// Epoch milliseconds at midnight UTC, or ISO 8601.
    Date,
    /// Epoch milliseconds or ISO 8601.
    DateTime,
    /// One of a known set, or a `;`-list of them.
    Options {
        /// Values and labels, sorted, for binary search.
        accepted: Vec<String>,
        /// `[a, b, c]`: the values, in HubSpot's order, for messages.
        listing: String,
        /// `checkbox` (multi-select): a message names the bad part, not the whole value.
        multi: bool,
    },
}

#[derive(Clone, Debug)]
struct Entry {
    property: Property,
    rule: Rule,
}

/// The validator for one object type: the properties indexed by name, each with its rule
/// decided once, so a check is a binary search and a parse.
#[derive(Clone, Debug)]
pub struct Schema {
    /// Sorted by name.
    entries: Vec<Entry>,
    /// `SchemaData::all_properties`.
    refuse_unknown: bool,
}

impl From<SchemaData> for Schema {
    fn from(data: SchemaData) -> Self {
        Schema::new(data)
    }
}

impl Schema {
    /// Indexes `data`. Never fails: what cannot be judged is let through.
    pub fn new(data: SchemaData) -> Self {
        let pipelines = data.pipelines;
        let mut entries: Vec<Entry> = data
            .properties
            .into_iter()
            .map(|property| {
                let rule = rule_for(&property, pipelines.as_deref());
                Entry { property, rule }
            })
            .collect();
        // Stable: should HubSpot ever list a name twice, the first one wins.
        entries.sort_by(|a, b| a.property.name.cmp(&b.property.name));
        entries.dedup_by(|later, earlier| later.property.name == earlier.property.name);
        Schema {
            entries,
            refuse_unknown: data.all_properties,
        }
    }

    /// Number of properties known.
    pub fn len(&self) -> usize {
        self.entries.len()
    }

    /// True when no property is known (every name would be refused: a caller should treat
    /// such a schema as unreadable rather than validate with it).
    pub fn is_empty(&self) -> bool {
        self.entries.is_empty()
    }

    /// The definition of `name`, if known.
    pub fn property(&self, name: &str) -> Option<&Property> {
        self.entry(name).map(|e| &e.property)
    }

    fn entry(&self, name: &str) -> Option<&Entry> {
        self.entries
            .binary_search_by(|e| e.property.name.as_str().cmp(name))
            .ok()
            .and_then(|i| self.entries.get(i))
    }

    /// Checks one already formatted value (numbers as plain decimals, booleans
    /// `"true"`/`"false"`, Dates as epoch milliseconds, lists joined with `;`, null as `""`).
    pub fn check(&self, name: &str, value: &str) -> Result<(), Violation> {
        let violation = |code: ViolationCode, message: String| Violation {
            code,
            property: name.to_owned(),
            message,
        };
        let Some(entry) = self.entry(name) else {
            // Unlisted names are refused only when the list is complete. Names are stored
            // lowercase; whether HubSpot folds the case of a name it is given is not known, so
            // a name that matches only when lowercased is let through.
            if !self.refuse_unknown
                || (name.bytes().any(|b| b.is_ascii_uppercase())
                    && self.entry(&name.to_ascii_lowercase()).is_some())
            {
                return Ok(());
            }
            return Err(violation(
                ViolationCode::PropertyDoesntExist,
                format!("Property \"{name}\" does not exist"),
            ));
        };
        let refused = match &entry.rule {
            Rule::ReadOnly => {
                return Err(violation(
                    ViolationCode::ReadOnlyValue,
                    format!("\"{name}\" is a read only property; its value cannot be set."),
                ))
            }
            // "" clears a writable property of any type.
            _ if value.is_empty() => return Ok(()),
            Rule::Any => return Ok(()),
            Rule::Number => {
                if is_decimal(value) {
                    return Ok(());
                }
                (
                    value,
                    ViolationCode::InvalidDecimal,
                    format!("{value} was not a valid number."),
                )
            }
            Rule::DateTime => {
                if is_epoch_millis(value) || is_iso8601(value) {
                    return Ok(());
                }
                (
                    value,
                    ViolationCode::InvalidDate,
                    format!(
                        "{value} was not a valid datetime: use epoch milliseconds or an ISO 8601 date."
                    ),
                )
            }
            Rule::Date => {
                if is_iso8601(value) {
                    return Ok(());
                }
                if is_epoch_millis(value) {
                    match not_midnight(value) {
                        None => return Ok(()),
                        Some(at) => {
                            return Err(violation(
                                ViolationCode::InvalidDate,
                                format!("{value} is at {at} UTC, not midnight!"),
                            ))
                        }
                    }
                }
                (
                    value,
                    ViolationCode::InvalidDate,
                    format!(
                        "{value} was not a valid date: use epoch milliseconds at midnight UTC or an ISO 8601 date."
                    ),
                )
            }
            Rule::Options {
                accepted,
                listing,
                multi,
            } => {
                let ok = |part: &str| accepted.binary_search_by(|a| a.as_str().cmp(part)).is_ok();
                if ok(value) {
                    return Ok(());
                }
                // Every non-empty `;` part must be an option. For single-select fields too:
                // whether HubSpot refuses `a;b` there when both are options is not known.
                // Empty parts are skipped (the emulator does; `;a` is HubSpot's append form).
                let Some(bad) = value.split(';').find(|p| !p.is_empty() && !ok(p)) else {
                    return Ok(());
                };
                let shown = if *multi { bad } else { value };
                (
                    shown,
                    ViolationCode::InvalidOption,
                    format!("{shown} was not one of the allowed options: {listing}"),
                )
            }
        };
        let (shown, code, message) = refused;
        // Since 2025 HubSpot refuses non-string values with outer whitespace under its own
        // code; only values refused anyway are named so, so this can never add a rejection.
        if has_outer_whitespace(shown) {
            return Err(violation(
                ViolationCode::LeadingTrailingWhitespace,
                format!("\"{shown}\" includes leading or trailing whitespace."),
            ));
        }
        Err(violation(code, message))
    }

    /// Checks every `(name, value)` of one input; all violations, in input order (HubSpot
    /// lists every bad value of a batch too).
    pub fn check_properties<'a>(
        &self,
        props: impl IntoIterator<Item = (&'a str, &'a str)>,
    ) -> Vec<Violation> {
        props
            .into_iter()
            .filter_map(|(name, value)| self.check(name, value).err())
            .collect()
    }
}

/// Decides what `property` accepts.
fn rule_for(property: &Property, pipelines: Option<&[Pipeline]>) -> Rule {
    let read_only = match &property.modification_metadata {
        Some(meta) => meta.read_only_value,
        // `calculated` is the only signal without the metadata. With the metadata it is not
        // used: the spec says it "has no effect for custom properties", and
        // `readOnlyValue` is the flag HubSpot's answers are consistent with.
        None => property.calculated == Some(true),
    };
    if read_only {
        return Rule::ReadOnly;
    }
    match property.type_.as_str() {
        "number" => Rule::Number,
        "date" => Rule::Date,
        "datetime" => Rule::DateTime,
        "enumeration" | "bool" => options_rule(property, pipelines),
        // string, phone_number, json, object_coordinates and types HubSpot adds later.
        _ => Rule::Any,
    }
}

fn options_rule(property: &Property, pipelines: Option<&[Pipeline]>) -> Rule {
    let name = property.name.as_str();
    let is_pipeline = PIPELINE_PROPERTIES.contains(&name);
    let is_stage = STAGE_PROPERTIES.contains(&name);
    // (value, label) pairs the property accepts.
    let mut choices: Vec<(&str, &str)> = Vec::new();
    if is_pipeline || is_stage {
        let Some(pipelines) = pipelines else {
            return Rule::Any;
        };
        // Stages of every pipeline, archived ones included: a record's own pipeline is not
        // known here, and whether HubSpot refuses an archived pipeline's stage is not known.
        for pipeline in pipelines {
            if is_pipeline {
                choices.push((&pipeline.id, &pipeline.label));
            } else {
                choices.extend(
                    pipeline
                        .stages
                        .iter()
                        .map(|s| (s.id.as_str(), s.label.as_str())),
                );
            }
        }
    } else if property.external_options == Some(true) {
        // Options stored elsewhere (owners...): the list may be empty or partial.
        return Rule::Any;
    }
    // Hidden options included: hidden only hides them in HubSpot's UI.
    choices.extend(
        property
            .options
            .iter()
            .map(|o| (o.value.as_str(), o.label.as_str())),
    );
    if choices.is_empty() {
        // An enumeration without options: the schema does not say.
        return Rule::Any;
    }
    if property.type_ == "bool" {
        // What the package writes for a boolean; HubSpot's bool properties list them anyway.
        choices.extend([("true", "true"), ("false", "false")]);
    }
    let mut listing = String::from("[");
    let mut listed: Vec<&str> = Vec::with_capacity(choices.len());
    for (value, _) in &choices {
        if !listed.contains(value) {
            if !listed.is_empty() {
                listing.push_str(", ");
            }
            listing.push_str(value);
            listed.push(value);
        }
    }
    listing.push(']');
    // Labels are accepted too. HubSpot's docs say the value must be used, but integrators
    // report `Yes`/`No` (the labels) being accepted for `booleancheckbox`; unsure, so let
    // through. Matching stays exact: `True` is reported refused where `true` is accepted.
    let mut accepted: Vec<String> = choices
        .iter()
        .flat_map(|(value, label)| [value.to_string(), label.to_string()])
        .collect();
    accepted.sort_unstable();
    accepted.dedup();
    Rule::Options {
        accepted,
        listing,
        multi: property.field_type == "checkbox",
    }
}

// ---------------------------------------------------------------------------------------
// Value grammars
// ---------------------------------------------------------------------------------------

/// Whether `c` counts as whitespace for HubSpot's `LEADING_TRAILING_WHITESPACE` rule
/// ("whitespace characters, including invisible unicode characters").
fn is_invisible(c: char) -> bool {
    c.is_whitespace()
        || matches!(
            c,
            '\u{180E}' | '\u{200B}'..='\u{200D}' | '\u{2060}' | '\u{FEFF}'
        )
}

fn has_outer_whitespace(s: &str) -> bool {
    s.chars().next().is_some_and(is_invisible) || s.chars().next_back().is_some_and(is_invisible)
}

/// `[+-]?(d+.?d*|.d+)([eE][+-]?d+)?`: the emulator's plain decimals, plus exponents.
///
/// Exponents are let through: HubSpot was seen refusing `1.4210854715202004e-14`, but one
/// value with a negative exponent and 17 significant digits cannot tell whether it refuses
/// the notation or the precision. `NaN`, `Infinity`, `1,000`, `$5`, hex and outer whitespace
/// are refused: a parser that refuses that exponent form refuses them too.
fn is_decimal(s: &str) -> bool {
    let mut c = Cursor::new(s);
    c.sign();
    let int = c.digits();
    let frac = if c.eat(b'.') { c.digits() } else { 0 };
    if int + frac == 0 {
        return false;
    }
    if c.eat(b'e') || c.eat(b'E') {
        c.sign();
        if c.digits() == 0 {
            return false;
        }
    }
    c.done()
}

/// `[+-]?d+`: epoch milliseconds, of any length (the emulator caps at 15 digits; a long
/// beyond that is HubSpot's to judge). Fractions are refused: HubSpot reads these as longs
/// (`INVALID_LONG` has been reported for non-integral time values).
fn is_epoch_millis(s: &str) -> bool {
    let mut c = Cursor::new(s);
    c.sign();
    c.digits() > 0 && c.done()
}

const DAY_MS: u64 = 86_400_000;

/// For an epoch-milliseconds text, `None` at midnight UTC, else the time of day as HubSpot
/// words it (`4:10:33.600`). Works on the digits, so any length is exact.
fn not_midnight(s: &str) -> Option<String> {
    let negative = s.starts_with('-');
    let rem = s
        .bytes()
        .filter(u8::is_ascii_digit)
        .fold(0u64, |acc, d| (acc * 10 + u64::from(d - b'0')) % DAY_MS);
    if rem == 0 {
        return None;
    }
    let ms = if negative { DAY_MS - rem } else { rem };
    Some(format!(
        "{}:{:02}:{:02}.{:03}",
        ms / 3_600_000,
        ms / 60_000 % 60,
        ms / 1000 % 60,
        ms % 1000
    ))
}

/// ISO 8601 calendar date, optionally with a time and zone, read leniently:
/// `YYYY-MM-DD` (or `±YYYYYY-MM-DD`), then optionally `T`/`t`/space, `hh:mm`, `:ss`,
/// `.f+`/`,f+`, and `Z`/`z`/`±hh`/`±hhmm`/`±hh:mm`.
///
/// A superset of the emulator's form (`YYYY-MM-DD(Thh:mm(:ss(.f{1,9})?)?(Z|±hh:?mm)?)?` that
/// `Date.parse` accepts). Fields are range-checked (month 1-12, day 1-31, hour 0-24, minute
/// 0-59, second 0-60, zone hour 0-23) but day-of-month is not checked against the month
/// (`2024-02-30` passes, as with `Date.parse`): whether HubSpot rolls it over is not known.
fn is_iso8601(s: &str) -> bool {
    let mut c = Cursor::new(s);
    let year_ok = if c.eat(b'+') || c.eat(b'-') {
        c.fixed(6).is_some()
    } else {
        c.fixed(4).is_some()
    };
    if !year_ok || !c.eat(b'-') || !c.field(2, 1, 12) || !c.eat(b'-') || !c.field(2, 1, 31) {
        return false;
    }
    if c.done() {
        return true;
    }
    if !(c.eat(b'T') || c.eat(b't') || c.eat(b' ')) {
        return false;
    }
    if !c.field(2, 0, 24) || !c.eat(b':') || !c.field(2, 0, 59) {
        return false;
    }
    if c.eat(b':') {
        if !c.field(2, 0, 60) {
            return false;
        }
        if (c.eat(b'.') || c.eat(b',')) && c.digits() == 0 {
            return false;
        }
    }
    if c.done() || ((c.eat(b'Z') || c.eat(b'z')) && c.done()) {
        return true;
    }
    if !(c.eat(b'+') || c.eat(b'-')) || !c.field(2, 0, 23) {
        return false;
    }
    if c.done() {
        return true;
    }
    c.eat(b':');
    c.field(2, 0, 59) && c.done()
}

/// A forward reader over ASCII bytes, without indexing.
struct Cursor<'a> {
    rest: &'a [u8],
}

impl<'a> Cursor<'a> {
    fn new(s: &'a str) -> Self {
        Cursor { rest: s.as_bytes() }
    }

    fn eat(&mut self, byte: u8) -> bool {
        match self.rest.split_first() {
            Some((&b, tail)) if b == byte => {
                self.rest = tail;
                true
            }
            _ => false,
        }
    }

    fn sign(&mut self) {
        let _ = self.eat(b'+') || self.eat(b'-');
    }

    /// Skips a run of digits; how many.
    fn digits(&mut self) -> usize {
        let n = self.rest.iter().take_while(|b| b.is_ascii_digit()).count();
        self.rest = self.rest.get(n..).unwrap_or_default();
        n
    }

    /// Exactly `n` digits, as a number.
    fn fixed(&mut self, n: usize) -> Option<u32> {
        let head = self.rest.get(..n)?;
        if !head.iter().all(u8::is_ascii_digit) {
            return None;
        }
        self.rest = self.rest.get(n..).unwrap_or_default();
        Some(
            head.iter()
                .fold(0u32, |acc, d| acc * 10 + u32::from(d - b'0')),
        )
    }

    /// Exactly `n` digits within `min..=max`.
    fn field(&mut self, n: usize, min: u32, max: u32) -> bool {
        self.fixed(n).is_some_and(|v| (min..=max).contains(&v))
    }

    fn done(&self) -> bool {
        self.rest.is_empty()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    /// A property from the fields that matter, the rest filled as HubSpot does.
    fn prop(name: &str, type_: &str, field_type: &str, extra: serde_json::Value) -> Property {
        let mut v = json!({
            "name": name, "label": name, "type": type_, "fieldType": field_type,
            "groupName": "g", "description": "", "options": [],
            "modificationMetadata": {"archivable": true, "readOnlyDefinition": false, "readOnlyValue": false}
        });
        if let (Some(obj), serde_json::Value::Object(more)) = (v.as_object_mut(), extra) {
            obj.extend(more);
        }
        serde_json::from_value(v).unwrap()
    }

    fn options(values: &[&str]) -> serde_json::Value {
        values
            .iter()
            .map(|v| json!({"label": v.to_uppercase(), "value": v, "hidden": false}))
            .collect()
    }

    fn pipeline(id: &str, stages: &[&str]) -> Pipeline {
        serde_json::from_value(json!({
            "id": id, "label": format!("Pipeline {id}"), "archived": false, "displayOrder": 0,
            "createdAt": "1970-01-01T00:00:00Z", "updatedAt": "1970-01-01T00:00:00Z",
            "stages": stages.iter().map(|s| json!({
                "id": s, "label": format!("Stage {s}"), "archived": false, "displayOrder": 0,
                "createdAt": "1970-01-01T00:00:00Z", "updatedAt": "1970-01-01T00:00:00Z",
                "metadata": {"probability": 0.5, "isClosed": "false"}
            })).collect::<Vec<_>>()
        }))
        .unwrap()
    }

    fn schema(properties: Vec<Property>, pipelines: Option<Vec<Pipeline>>) -> Schema {
        Schema::new(SchemaData {
            properties,
            pipelines,
            ..SchemaData::default()
        })
    }

    fn code(s: &Schema, name: &str, value: &str) -> Option<&'static str> {
        s.check(name, value).err().map(|v| v.code.as_str())
    }

    #[test]
    fn unknown_property() {
        let s = schema(vec![prop("dealname", "string", "text", json!({}))], None);
        let v = s.check("foo", "x").unwrap_err();
        assert_eq!(v.code, ViolationCode::PropertyDoesntExist);
        assert_eq!(v.property, "foo");
        assert_eq!(v.message, "Property \"foo\" does not exist");
        assert_eq!(code(&s, "foo", ""), Some("PROPERTY_DOESNT_EXIST"));
        // A name that only differs by case: HubSpot's handling is unknown, let through.
        assert_eq!(code(&s, "DealName", "x"), None);
        assert_eq!(code(&s, "dealname", "x"), None);
        // A list without the sensitive properties cannot tell a missing name.
        let partial = Schema::new(SchemaData {
            properties: vec![prop("dealname", "string", "text", json!({}))],
            all_properties: false,
            ..SchemaData::default()
        });
        assert_eq!(code(&partial, "foo", "x"), None);
    }

    #[test]
    fn read_only_and_calculated() {
        let ro = prop(
            "hs_object_id",
            "number",
            "number",
            json!({"modificationMetadata": {"archivable": false, "readOnlyDefinition": true, "readOnlyValue": true}}),
        );
        let mut legacy = prop("legacy", "string", "text", json!({"calculated": true}));
        legacy.modification_metadata = None;
        let writable_calc = prop(
            "writable_calc",
            "string",
            "text",
            json!({"calculated": true}),
        );
        let s = schema(vec![ro, legacy, writable_calc], None);
        let v = s.check("hs_object_id", "12").unwrap_err();
        assert_eq!(v.code, ViolationCode::ReadOnlyValue);
        assert_eq!(
            v.message,
            "\"hs_object_id\" is a read only property; its value cannot be set."
        );
        // Clearing is a write too.
        assert_eq!(code(&s, "hs_object_id", ""), Some("READ_ONLY_VALUE"));
        assert_eq!(code(&s, "legacy", "x"), Some("READ_ONLY_VALUE"));
        // calculated with readOnlyValue false: the metadata decides.
        assert_eq!(code(&s, "writable_calc", "x"), None);
    }

    #[test]
    fn empty_string_clears_any_writable_type() {
        let s = schema(
            vec![
                prop("n", "number", "number", json!({})),
                prop("d", "date", "date", json!({})),
                prop("dt", "datetime", "date", json!({})),
                prop(
                    "e",
                    "enumeration",
                    "select",
                    json!({"options": options(&["a"])}),
                ),
                prop(
                    "b",
                    "bool",
                    "booleancheckbox",
                    json!({"options": options(&["true", "false"])}),
                ),
            ],
            None,
        );
        for name in ["n", "d", "dt", "e", "b"] {
            assert_eq!(code(&s, name, ""), None, "{name}");
        }
    }

    #[test]
    fn numbers() {
        let s = schema(vec![prop("amount", "number", "number", json!({}))], None);
        for ok in [
            "0",
            "12",
            "-1.5",
            "+3",
            ".5",
            "5.",
            "-0.000001",
            "1500.25",
            "1e3",
            "1.4E-14",
            "123456789012345678901234567890",
        ] {
            assert_eq!(code(&s, "amount", ok), None, "{ok}");
        }
        for bad in [
            "abc", "1,000", "$5", "NaN", "Infinity", "0x10", "1e", ".", "-", "1.2.3", "12abc",
        ] {
            let v = s.check("amount", bad).unwrap_err();
            assert_eq!(v.code, ViolationCode::InvalidDecimal, "{bad}");
            assert_eq!(v.message, format!("{bad} was not a valid number."));
        }
        let v = s.check("amount", " 5").unwrap_err();
        assert_eq!(v.code, ViolationCode::LeadingTrailingWhitespace);
        assert_eq!(v.message, "\" 5\" includes leading or trailing whitespace.");
        assert_eq!(
            code(&s, "amount", "5\u{a0}"),
            Some("LEADING_TRAILING_WHITESPACE")
        );
        assert_eq!(
            code(&s, "amount", "\u{200b}5"),
            Some("LEADING_TRAILING_WHITESPACE")
        );
    }

    #[test]
    fn datetimes() {
        let s = schema(vec![prop("closedate", "datetime", "date", json!({}))], None);
        for ok in [
            "1704103200123",
            "0",
            "-86400001",
            "99999999999999999999",
            "2024-01-01",
            "2024-01-01T10:00",
            "2024-01-01T10:00Z",
            "2024-01-01T10:00:00Z",
            "2024-01-01T10:00:00.1Z",
            "2024-01-01T10:00:00.123456789Z",
            "2024-01-01T10:00:00,5Z",
            "2024-01-01T10:00:00+01:00",
            "2024-01-01T10:00:00-0530",
            "2024-01-01T10:00:00+01",
            "2024-01-01t10:00:00z",
            "2024-01-01 10:00:00",
            "2024-01-01T24:00:00Z",
            "2016-12-31T23:59:60Z",
            "+002024-01-01",
            "2024-02-30",
        ] {
            assert_eq!(code(&s, "closedate", ok), None, "{ok}");
        }
        for bad in [
            "tomorrow",
            "2024-13-01",
            "2024-00-10",
            "2024-01-00",
            "2024-01-32",
            "2024/01/01",
            "01/02/2024",
            "2024-1-1",
            "2024-01-01T",
            "2024-01-01T25:00",
            "2024-01-01T10:60",
            "2024-01-01T10:00:00.Z",
            "2024-01-01T10:00:00+24:00",
            "1704103200.5",
            "1.7e12",
            "2024-01-01Z",
            "24-01-01",
        ] {
            let v = s.check("closedate", bad).unwrap_err();
            assert_eq!(v.code, ViolationCode::InvalidDate, "{bad}");
            assert_eq!(
                v.message,
                format!(
                    "{bad} was not a valid datetime: use epoch milliseconds or an ISO 8601 date."
                )
            );
        }
        assert_eq!(
            code(&s, "closedate", "2024-01-01 "),
            Some("LEADING_TRAILING_WHITESPACE")
        );
    }

    #[test]
    fn dates_need_midnight_epochs() {
        let s = schema(vec![prop("due", "date", "date", json!({}))], None);
        for ok in [
            "1430438400000",
            "0",
            "-86400000",
            "2024-01-01",
            "2024-01-01T00:00:00Z",
            // A non-midnight ISO time on a date property: unknown to us, let through.
            "2024-01-01T10:00:00Z",
            "864000000000000000000",
        ] {
            assert_eq!(code(&s, "due", ok), None, "{ok}");
        }
        let v = s.check("due", "1570233600").unwrap_err();
        assert_eq!(v.code, ViolationCode::InvalidDate);
        assert_eq!(v.message, "1570233600 is at 4:10:33.600 UTC, not midnight!");
        let v = s.check("due", "-1").unwrap_err();
        assert_eq!(v.message, "-1 is at 23:59:59.999 UTC, not midnight!");
        let v = s.check("due", "1430438400001").unwrap_err();
        assert_eq!(
            v.message,
            "1430438400001 is at 0:00:00.001 UTC, not midnight!"
        );
        let v = s.check("due", "next week").unwrap_err();
        assert_eq!(v.code, ViolationCode::InvalidDate);
        assert_eq!(
            v.message,
            "next week was not a valid date: use epoch milliseconds at midnight UTC or an ISO 8601 date."
        );
    }

    #[test]
    fn enumerations() {
        let mut opts = options(&["a", "b", "c"]);
        if let Some(o) = opts.get_mut(2).and_then(|o| o.as_object_mut()) {
            o.insert("hidden".into(), json!(true));
        }
        let s = schema(
            vec![
                prop("single", "enumeration", "select", json!({"options": opts})),
                prop(
                    "multi",
                    "enumeration",
                    "checkbox",
                    json!({"options": options(&["x", "y"])}),
                ),
            ],
            None,
        );
        // Values, labels, hidden options.
        for ok in ["a", "b", "c", "A", "C"] {
            assert_eq!(code(&s, "single", ok), None, "{ok}");
        }
        let v = s.check("single", "z").unwrap_err();
        assert_eq!(v.code, ViolationCode::InvalidOption);
        assert_eq!(v.message, "z was not one of the allowed options: [a, b, c]");
        // Single-select with ;: each part valid is let through, otherwise the whole value is named.
        assert_eq!(code(&s, "single", "a;b"), None);
        let v = s.check("single", "a;z").unwrap_err();
        assert_eq!(
            v.message,
            "a;z was not one of the allowed options: [a, b, c]"
        );
        // Case matters ("True" is refused where "true" is accepted).
        assert_eq!(code(&s, "single", "Ab"), Some("INVALID_OPTION"));
        assert_eq!(
            code(&s, "single", " a"),
            Some("LEADING_TRAILING_WHITESPACE")
        );

        for ok in ["x", "y", "x;y", "y;x", ";x", "x;", ";", "x;;y", "X;y"] {
            assert_eq!(code(&s, "multi", ok), None, "{ok}");
        }
        let v = s.check("multi", "x;nope;y").unwrap_err();
        assert_eq!(v.code, ViolationCode::InvalidOption);
        assert_eq!(v.message, "nope was not one of the allowed options: [x, y]");
        let v = s.check("multi", "x; y").unwrap_err();
        assert_eq!(v.code, ViolationCode::LeadingTrailingWhitespace);
        assert_eq!(v.message, "\" y\" includes leading or trailing whitespace.");
    }

    #[test]
    fn booleans() {
        let yes_no = json!([
            {"label": "Yes", "value": "true", "hidden": false},
            {"label": "No", "value": "false", "hidden": false}
        ]);
        let s = schema(
            vec![
                prop("vip", "bool", "booleancheckbox", json!({"options": yes_no})),
                prop("bare", "bool", "booleancheckbox", json!({})),
            ],
            None,
        );
        for ok in ["true", "false", "Yes", "No"] {
            assert_eq!(code(&s, "vip", ok), None, "{ok}");
        }
        for bad in ["1", "0", "True", "FALSE", "yes", "on"] {
            let v = s.check("vip", bad).unwrap_err();
            assert_eq!(v.code, ViolationCode::InvalidOption, "{bad}");
            assert_eq!(
                v.message,
                format!("{bad} was not one of the allowed options: [true, false]")
            );
        }
        // A bool without options: the schema does not say.
        for any in ["true", "1", "yes", "whatever"] {
            assert_eq!(code(&s, "bare", any), None, "{any}");
        }
    }

    #[test]
    fn options_the_schema_cannot_judge_are_let_through() {
        let s = schema(
            vec![
                prop(
                    "owner",
                    "enumeration",
                    "select",
                    json!({"externalOptions": true, "options": options(&["1"])}),
                ),
                prop("empty", "enumeration", "select", json!({})),
                prop("future", "geo_point", "map", json!({})),
                prop("text", "string", "text", json!({})),
            ],
            None,
        );
        for (name, value) in [
            ("owner", "999"),
            ("empty", "x"),
            ("future", "1,2"),
            ("text", " any\u{0} "),
        ] {
            assert_eq!(code(&s, name, value), None, "{name}={value}");
        }
    }

    #[test]
    fn pipelines_and_stages() {
        let stage_prop = || {
            prop(
                "dealstage",
                "enumeration",
                "radio",
                json!({"options": options(&["s1"])}),
            )
        };
        let pipeline_prop = || {
            prop(
                "pipeline",
                "enumeration",
                "select",
                json!({"options": options(&["default"])}),
            )
        };
        let ticket_stage = || {
            prop(
                "hs_pipeline_stage",
                "enumeration",
                "select",
                json!({"externalOptions": true}),
            )
        };
        let ticket_pipeline = || {
            prop(
                "hs_pipeline",
                "enumeration",
                "select",
                json!({"externalOptions": true}),
            )
        };
        let all = || {
            vec![
                stage_prop(),
                pipeline_prop(),
                ticket_stage(),
                ticket_pipeline(),
            ]
        };

        // Without pipelines, stage and pipeline values are not judged (options need not be complete).
        let s = schema(all(), None);
        for name in ["dealstage", "pipeline", "hs_pipeline_stage", "hs_pipeline"] {
            assert_eq!(code(&s, name, "anything"), None, "{name}");
        }

        let s = schema(
            all(),
            Some(vec![
                pipeline("default", &["s1", "s2"]),
                pipeline("p2", &["s3"]),
            ]),
        );
        for (name, ok) in [
            ("dealstage", "s1"),
            ("dealstage", "s2"),
            ("dealstage", "s3"),
            ("dealstage", "Stage s3"),
            ("pipeline", "default"),
            ("pipeline", "p2"),
            ("pipeline", "Pipeline p2"),
            ("hs_pipeline_stage", "s3"),
            ("hs_pipeline", "p2"),
        ] {
            assert_eq!(code(&s, name, ok), None, "{name}={ok}");
        }
        let v = s.check("dealstage", "s9").unwrap_err();
        assert_eq!(v.code, ViolationCode::InvalidOption);
        assert_eq!(
            v.message,
            "s9 was not one of the allowed options: [s1, s2, s3]"
        );
        assert_eq!(code(&s, "pipeline", "p9"), Some("INVALID_OPTION"));
        assert_eq!(code(&s, "hs_pipeline_stage", "s9"), Some("INVALID_OPTION"));
        assert_eq!(
            s.check("hs_pipeline", "p9").unwrap_err().message,
            "p9 was not one of the allowed options: [default, p2]"
        );

        // Pipelines read but empty: the property's own options, or nothing known.
        let s = schema(all(), Some(vec![]));
        assert_eq!(code(&s, "dealstage", "s1"), None);
        assert_eq!(code(&s, "dealstage", "s2"), Some("INVALID_OPTION"));
        assert_eq!(code(&s, "hs_pipeline_stage", "s2"), None);
    }

    #[test]
    fn check_properties_lists_every_violation_in_order() {
        let s = schema(
            vec![
                prop("amount", "number", "number", json!({})),
                prop("dealname", "string", "text", json!({})),
            ],
            None,
        );
        let v = s.check_properties([
            ("amount", "x"),
            ("dealname", "ok"),
            ("nope", "1"),
            ("amount", "2"),
        ]);
        let got: Vec<_> = v
            .iter()
            .map(|v| (v.property.as_str(), v.code.as_str()))
            .collect();
        assert_eq!(
            got,
            [
                ("amount", "INVALID_DECIMAL"),
                ("nope", "PROPERTY_DOESNT_EXIST")
            ]
        );
        assert!(s.check_properties(std::iter::empty()).is_empty());
    }

    #[test]
    fn schema_data_from_js_shape_and_from_collections() {
        let data: SchemaData = serde_json::from_value(json!({
            "properties": [{
                "name": "a", "label": "A", "type": "string", "fieldType": "text",
                "groupName": "g", "description": "", "options": [], "someFutureField": [1, 2]
            }]
        }))
        .unwrap();
        assert!(data.pipelines.is_none());
        assert!(data.all_properties);
        let s = Schema::from(data.clone());
        assert_eq!(s.len(), 1);
        assert!(!s.is_empty());
        assert_eq!(s.property("a").map(|p| p.label.as_str()), Some("A"));
        let again = SchemaData::from_collections(
            CollectionResponsePropertyNoPaging {
                results: data.properties.clone(),
            },
            Some(CollectionResponsePipelineNoPaging { results: vec![] }),
        );
        assert_eq!(again.properties, data.properties);
        assert_eq!(again.pipelines, Some(vec![]));
        // Required fields are required.
        assert!(serde_json::from_value::<Property>(json!({"name": "a"})).is_err());
        // Stage metadata: strings as HubSpot sends them, numbers as the spec's prose shows.
        let p = pipeline("default", &["s"]);
        let meta = &p.stages.first().unwrap().metadata;
        assert_eq!(meta.get("probability"), Some(&MetadataValue("0.5".into())));
        assert_eq!(meta.get("isClosed"), Some(&MetadataValue("false".into())));
        let round: Pipeline = serde_json::from_str(&serde_json::to_string(&p).unwrap()).unwrap();
        assert_eq!(
            round.stages.first().unwrap().metadata.get("probability"),
            meta.get("probability")
        );
    }

    #[test]
    fn duplicate_names_keep_the_first() {
        let s = schema(
            vec![
                prop("x", "number", "number", json!({})),
                prop("x", "string", "text", json!({})),
            ],
            None,
        );
        assert_eq!(s.len(), 1);
        assert_eq!(code(&s, "x", "abc"), Some("INVALID_DECIMAL"));
    }
}
