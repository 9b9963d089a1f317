//! Input validation and property formatting.
//!
//! Values arrive as [`Value`]: a faithful picture of what the caller passed (from JS, any
//! value at all), so that every refusal can name the exact `inputs[i].field` before anything
//! is sent.

use crate::error::HubSpotError;
use crate::model::{
    AssociationSpec, Map, PublicAssociationsForObject, SimplePublicObjectBatchInput,
    SimplePublicObjectId,
};
use crate::operation::Operation;

/// A value as the caller gave it: the JS types a property value or field may hold.
///
/// In the npm build the glue describes the caller's JS values (catching whatever a getter or a
/// Proxy throws, tagging what JSON has no word for: `undefined`, functions..., and passing a
/// `Date` as a BigInt, see `DATE_ZERO`) and serde-wasm-bindgen hands them over; [`Value`]'s
/// `Deserialize` reads that description. It is the one way JS values come into the core:
/// inputs, options and single property values.
#[derive(Clone, Debug, PartialEq)]
pub enum Value {
    /// A string.
    Str(String),
    /// A number (JS numbers are `f64`).
    Number(f64),
    /// A boolean.
    Bool(bool),
    /// A `Date`, as epoch milliseconds (NaN for an invalid date).
    Date(f64),
    /// An array.
    List(Vec<Value>),
    /// `null`.
    Null,
    /// `undefined`, or a missing field.
    Undefined,
    /// A plain object.
    Object(Vec<(String, Value)>),
    /// Anything else; the name says what it was (`"object"`, `"bigint"`, `"function"`...).
    Other(&'static str),
}

/// The key that marks a described value JSON has no word for: `{"\u{0}": "undefined"}`.
/// A plain object never has it (the glue describes one that does as an `object`).
pub const TAG: &str = "\u{0}";

/// A described `Date` crosses as the integer `DATE_ZERO + ms` (a JS BigInt), an invalid one
/// as `DATE_BASE`: above `i64::MAX`, where no JS number and no caller's value can be.
const DATE_BASE: u64 = 1 << 63;
const DATE_ZERO: u64 = DATE_BASE + (1 << 62);

/// The `Date` that `v` stands for (see [`DATE_ZERO`]).
fn date(v: u64) -> Value {
    Value::Date(if v == DATE_BASE {
        f64::NAN
    } else {
        v.wrapping_sub(DATE_ZERO) as i64 as f64
    })
}

/// What a tag's name stands for.
fn tagged(name: &str) -> Value {
    match name {
        "undefined" => Value::Undefined,
        "function" => Value::Other("function"),
        "limiter" => Value::Other("RateLimiter"),
        "bigint" => Value::Other("bigint"),
        "symbol" => Value::Other("symbol"),
        "array" => Value::Other("array"),
        "lone" => Value::Other("string with a lone surrogate (invalid UTF-16)"),
        "unreadable" => Value::Other("a value whose reading threw"),
        _ => Value::Other("object"),
    }
}

impl<'de> serde::Deserialize<'de> for Value {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        use serde::de::{MapAccess, SeqAccess, Visitor};
        struct V;
        impl<'de> Visitor<'de> for V {
            type Value = Value;
            fn expecting(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                f.write_str("a described JS value")
            }
            fn visit_str<E>(self, v: &str) -> Result<Value, E> {
                Ok(Value::Str(v.to_owned()))
            }
            fn visit_string<E>(self, v: String) -> Result<Value, E> {
                Ok(Value::Str(v))
            }
            fn visit_bool<E>(self, v: bool) -> Result<Value, E> {
                Ok(Value::Bool(v))
            }
            fn visit_i64<E>(self, v: i64) -> Result<Value, E> {
                Ok(Value::Number(v as f64))
            }
            fn visit_u64<E>(self, v: u64) -> Result<Value, E> {
                // Only a BigInt above i64::MAX comes as a u64: a Date (see DATE_ZERO).
                Ok(date(v))
            }
            fn visit_f64<E>(self, v: f64) -> Result<Value, E> {
                Ok(Value::Number(v))
            }
            fn visit_unit<E>(self) -> Result<Value, E> {
                Ok(Value::Null)
            }
            fn visit_none<E>(self) -> Result<Value, E> {
                Ok(Value::Null)
            }
            fn visit_some<D2: serde::Deserializer<'de>>(self, d: D2) -> Result<Value, D2::Error> {
                d.deserialize_any(V)
            }
            fn visit_seq<A: SeqAccess<'de>>(self, mut a: A) -> Result<Value, A::Error> {
                let mut items = Vec::with_capacity(a.size_hint().unwrap_or(0).min(1024));
                while let Some(item) = a.next_element()? {
                    items.push(item);
                }
                Ok(Value::List(items))
            }
            fn visit_map<A: MapAccess<'de>>(self, mut a: A) -> Result<Value, A::Error> {
                let mut entries = Vec::with_capacity(a.size_hint().unwrap_or(0).min(1024));
                let mut tag: Option<String> = None;
                while let Some(key) = a.next_key::<String>()? {
                    if key == TAG {
                        tag = Some(a.next_value()?);
                    } else {
                        let value: Value = a.next_value()?;
                        entries.push((key, value));
                    }
                }
                Ok(match tag {
                    Some(name) => tagged(&name),
                    None => Value::Object(entries),
                })
            }
        }
        d.deserialize_any(V)
    }
}

/// One input as given, before validation.
#[derive(Clone, Debug, PartialEq)]
pub enum RawInput {
    /// An object with these fields.
    Object {
        /// `id`
        id: Value,
        /// `properties`: the entries when it is a plain object, else what it was.
        properties: Result<Vec<(String, Value)>, Value>,
        /// `idProperty`
        id_property: Value,
        /// `objectWriteTraceId`
        object_write_trace_id: Value,
        /// `associations` (create)
        associations: Value,
        /// Keys of the object other than the five above.
        unknown_fields: Vec<String>,
    },
    /// Not an object; the name says what it was.
    NotObject(&'static str),
}

impl RawInput {
    /// Reads one input from what the caller passed.
    pub fn from_value(value: Value) -> RawInput {
        let Value::Object(entries) = value else {
            return RawInput::NotObject(type_name(&value));
        };
        let mut id = Value::Undefined;
        let mut properties = Err(Value::Undefined);
        let mut id_property = Value::Undefined;
        let mut object_write_trace_id = Value::Undefined;
        let mut associations = Value::Undefined;
        let mut unknown_fields = Vec::new();
        for (key, v) in entries {
            match key.as_str() {
                "id" => id = v,
                "properties" => {
                    properties = match v {
                        Value::Object(entries) => Ok(entries),
                        other => Err(other),
                    }
                }
                "idProperty" => id_property = v,
                "objectWriteTraceId" => object_write_trace_id = v,
                "associations" => associations = v,
                // An own field set to `undefined` is as good as absent.
                _ if v == Value::Undefined => {}
                _ => unknown_fields.push(key),
            }
        }
        RawInput::Object {
            id,
            properties,
            id_property,
            object_write_trace_id,
            associations,
            unknown_fields,
        }
    }

    /// Reads a call's `inputs` argument: an array of inputs.
    pub fn list(value: Value) -> Result<Vec<RawInput>, HubSpotError> {
        match value {
            Value::List(items) => Ok(items.into_iter().map(RawInput::from_value).collect()),
            other => Err(HubSpotError::invalid_input(format!(
                "inputs: expected an array of inputs, got {}",
                type_name(&other)
            ))),
        }
    }
}

const EXPECTED_VALUE: &str = "expected string, number, boolean, Date, string[] or null";

/// Formats a number the way HubSpot reads numbers: plain decimal, never exponent notation,
/// the shortest digits that read back as the same `f64` (Rust's `Display` for `f64` writes
/// exactly that: `1e21` as `1000000000000000000000`, `1.5e-7` as `0.00000015`).
pub fn format_number(n: f64) -> String {
    if n == 0.0 {
        // Both zeros: JS prints -0 as "0" too.
        return "0".to_owned();
    }
    n.to_string()
}

/// Reads a non-negative decimal (`12`, `1.5`, `.5`) as HTTP headers carry them; `None` for
/// anything else. (No exponent: no header this reads uses one, and it keeps a general float
/// parser out of the wasm.)
pub fn parse_decimal(text: &str) -> Option<f64> {
    let (int_part, frac_part) = crate::text::split_once(text, ".").unwrap_or((text, ""));
    let digits = |s: &str| s.bytes().all(|b| b.is_ascii_digit());
    if (int_part.is_empty() && frac_part.is_empty()) || !digits(int_part) || !digits(frac_part) {
        return None;
    }
    let mut value = 0.0f64;
    for b in int_part.bytes() {
        value = value * 10.0 + f64::from(b - b'0');
    }
    let mut scale = 0.1;
    for b in frac_part.bytes() {
        value += f64::from(b - b'0') * scale;
        scale /= 10.0;
    }
    Some(value)
}

/// Why a property value cannot be stored: the message, and for an array the element at
/// fault.
#[derive(Clone, Debug, PartialEq)]
pub struct ValueError {
    /// The array element at fault, if any.
    pub element: Option<usize>,
    /// What is wrong, for people.
    pub message: String,
}

impl ValueError {
    fn new(message: String) -> Self {
        ValueError {
            element: None,
            message,
        }
    }

    /// What follows the value's path in a message: `: why`, or `[i]: why` for an element.
    pub fn after_path(&self) -> String {
        match self.element {
            Some(i) => format!("[{i}]: {}", self.message),
            None => format!(": {}", self.message),
        }
    }
}

/// Formats one property value as the string HubSpot stores (contract point 7).
pub fn format_value(value: &Value) -> Result<String, ValueError> {
    match value {
        Value::Str(s) => Ok(s.clone()),
        Value::Number(n) if n.is_finite() => Ok(format_number(*n)),
        Value::Number(n) => Err(ValueError::new(format!(
            "expected a finite number, got {}",
            js_number(*n)
        ))),
        Value::Bool(b) => Ok(if *b { "true" } else { "false" }.to_owned()),
        Value::Date(ms) if ms.is_finite() => Ok(format_number(ms.trunc())),
        Value::Date(_) => Err(ValueError::new(
            "expected a valid Date, got an Invalid Date".to_owned(),
        )),
        Value::Null => Ok(String::new()),
        Value::List(items) => {
            let mut out = String::new();
            for (i, item) in items.iter().enumerate() {
                let element = |message: String| ValueError {
                    element: Some(i),
                    message,
                };
                let Value::Str(s) = item else {
                    return Err(element(format!("expected string, got {}", type_name(item))));
                };
                if s.contains(';') {
                    return Err(element(
                        "contains \";\", which HubSpot uses to separate the values of a multi-select property".to_owned(),
                    ));
                }
                if i > 0 {
                    out.push(';');
                }
                out.push_str(s);
            }
            Ok(out)
        }
        other => Err(ValueError::new(format!(
            "{EXPECTED_VALUE}, got {}",
            type_name(other)
        ))),
    }
}

fn js_number(n: f64) -> &'static str {
    if n.is_nan() {
        "NaN"
    } else if n > 0.0 {
        "Infinity"
    } else {
        "-Infinity"
    }
}

pub(crate) fn type_name(v: &Value) -> &'static str {
    match v {
        Value::Str(_) => "string",
        Value::Number(_) => "number",
        Value::Bool(_) => "boolean",
        Value::Date(_) => "Date",
        Value::List(_) => "array",
        Value::Null => "null",
        Value::Undefined => "undefined",
        Value::Object(_) => "object",
        Value::Other(name) => name,
    }
}

/// Writes `.name` or `["name"]` so paths stay readable for odd property names.
fn push_key(path: &mut String, key: &str) {
    let plain = !key.is_empty()
        && key
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || c == '_' || c == '$')
        && !key.as_bytes().first().is_some_and(u8::is_ascii_digit);
    if plain {
        path.push('.');
        path.push_str(key);
    } else {
        path.push('[');
        path.push_str(&format!("{key:?}"));
        path.push(']');
    }
}

fn optional_string(
    value: &Value,
    path: impl FnOnce() -> String,
) -> Result<Option<String>, HubSpotError> {
    match value {
        Value::Undefined => Ok(None),
        Value::Str(s) if !s.is_empty() => Ok(Some(s.clone())),
        Value::Str(_) => Err(HubSpotError::invalid_input(format!(
            "{}: expected a non-empty string",
            path()
        ))),
        other => Err(HubSpotError::invalid_input(format!(
            "{}: expected a string, got {}",
            path(),
            type_name(other)
        ))),
    }
}

/// Validates and formats a whole call's inputs. `default_id_property` is
/// `UpdateOptions.idProperty`; an input's own `idProperty` overrides it.
///
/// Refuses, naming the input and field: non-objects, unknown fields, empty or non-string ids,
/// property values of the wrong type, and duplicates of (idProperty, id) or of
/// `objectWriteTraceId` within the call.
pub fn validate_inputs(
    raw: &[RawInput],
    default_id_property: Option<&str>,
) -> Result<Vec<SimplePublicObjectBatchInput>, HubSpotError> {
    validate_one_by_one(Operation::Update, raw, default_id_property).map(|(inputs, _)| inputs)
}

/// Validated inputs of any operation, and each create input's associations (empty for other
/// operations), for [`crate::request::Plan::associations`].
pub type Validated = (
    Vec<SimplePublicObjectBatchInput>,
    Vec<Vec<PublicAssociationsForObject>>,
);

/// Validates a call's `inputs` (as the caller gave them) for `operation`: the objects of an
/// update, upsert or create ([`validate_writes`]), or the ids of a read or archive
/// (`"id"` or `{ id }` each). `default_id_property` is the call's `idProperty`.
pub fn validate_for(
    operation: Operation,
    inputs: Value,
    default_id_property: Option<&str>,
) -> Result<Validated, HubSpotError> {
    // An id stands for `{ id }`.
    let mut inputs = inputs;
    if let (true, Value::List(items)) = (operation.takes_ids(), &mut inputs) {
        for item in items {
            if let Value::Str(id) = item {
                let id = std::mem::take(id);
                *item = Value::Object(vec![("id".to_owned(), Value::Str(id))]);
            }
        }
    }
    let raw = RawInput::list(inputs)?;
    validate_one_by_one(operation, &raw, default_id_property)
}

fn validate_one_by_one(
    operation: Operation,
    raw: &[RawInput],
    default_id_property: Option<&str>,
) -> Result<Validated, HubSpotError> {
    if let Some(p) = default_id_property {
        if p.is_empty() {
            return Err(HubSpotError::invalid_input(
                "idProperty: expected a non-empty string",
            ));
        }
    }
    let mut out = Vec::with_capacity(raw.len());
    let mut associations = Vec::new();
    for (index, item) in raw.iter().enumerate() {
        let (input, links) = validate_one(operation, index, item, default_id_property)?;
        out.push(input);
        if operation == Operation::Create {
            associations.push(links);
        }
    }
    check_unique(&out)?;
    Ok((out, associations))
}

fn validate_one(
    operation: Operation,
    index: usize,
    item: &RawInput,
    default_id_property: Option<&str>,
) -> Result<
    (
        SimplePublicObjectBatchInput,
        Vec<PublicAssociationsForObject>,
    ),
    HubSpotError,
> {
    let create = operation == Operation::Create;
    let RawInput::Object {
        id,
        properties,
        id_property,
        object_write_trace_id,
        associations,
        unknown_fields,
    } = item
    else {
        let RawInput::NotObject(what) = item else {
            return Err(HubSpotError::invalid_input(format!(
                "inputs[{index}]: expected an object"
            )));
        };
        return Err(HubSpotError::invalid_input(format!(
            "inputs[{index}]: expected {}, got {what}",
            shape(operation)
        )));
    };
    // The fields an input of this operation has: a create's has no id (HubSpot assigns
    // one), a read's or archive's only an id.
    let ids = operation.takes_ids();
    let given = [
        ("id", *id != Value::Undefined && create),
        ("properties", properties.is_ok() && ids),
        (
            "idProperty",
            *id_property != Value::Undefined && (create || ids),
        ),
        (
            "objectWriteTraceId",
            *object_write_trace_id != Value::Undefined && ids,
        ),
        ("associations", *associations != Value::Undefined && !create),
    ];
    let misplaced = given.iter().find(|(_, wrong)| *wrong).map(|(k, _)| *k);
    if let Some(field) = unknown_fields.first().map(String::as_str).or(misplaced) {
        let mut path = format!("inputs[{index}]");
        push_key(&mut path, field);
        return Err(HubSpotError::invalid_input(format!(
            "{path}: unknown field (an input to {} is {})",
            operation.word(),
            shape(operation)
        )));
    }
    let id = match id {
        Value::Undefined if create => String::new(),
        Value::Str(s) if !s.is_empty() => s.clone(),
        Value::Str(_) => {
            return Err(HubSpotError::invalid_input(format!(
                "inputs[{index}].id: expected a non-empty string"
            )))
        }
        other => {
            return Err(HubSpotError::invalid_input(format!(
                "inputs[{index}].id: expected a non-empty string, got {}",
                type_name(other)
            )))
        }
    };
    let entries = match properties {
        Ok(entries) => entries,
        Err(Value::Undefined) if ids => &Vec::new(),
        Err(what) => {
            return Err(HubSpotError::invalid_input(format!(
                "inputs[{index}].properties: expected an object of property values, got {}",
                type_name(what)
            )))
        }
    };
    let mut formatted = Vec::with_capacity(entries.len());
    for (name, value) in entries {
        if name.is_empty() {
            return Err(HubSpotError::invalid_input(format!(
                "inputs[{index}].properties: a property name is empty"
            )));
        }
        // No HubSpot property has this name, and a JS object cannot carry it: the request
        // body (a JS object until JSON.stringify) would drop it without a word.
        if name == "__proto__" {
            return Err(HubSpotError::invalid_input(format!(
                "inputs[{index}].properties[\"__proto__\"]: not a property name"
            )));
        }
        match format_value(value) {
            Ok(s) => formatted.push((name.clone(), s)),
            Err(reason) => {
                let mut path = format!("inputs[{index}].properties");
                push_key(&mut path, name);
                path.push_str(&reason.after_path());
                return Err(HubSpotError::invalid_input(path));
            }
        }
    }
    let id_property = optional_string(id_property, || format!("inputs[{index}].idProperty"))?
        .or_else(|| default_id_property.map(str::to_owned));
    if operation == Operation::Upsert && id_property.is_none() {
        return Err(HubSpotError::invalid_input(format!(
            "inputs[{index}].idProperty: upsert needs the unique property its id is a value of (set idProperty on the input or in the options)"
        )));
    }
    let object_write_trace_id = optional_string(object_write_trace_id, || {
        format!("inputs[{index}].objectWriteTraceId")
    })?;
    let links = match associations {
        Value::Undefined => Vec::new(),
        v => read_associations(v, index)?,
    };
    Ok((
        SimplePublicObjectBatchInput {
            id,
            properties: Map(formatted),
            id_property,
            object_write_trace_id,
        },
        links,
    ))
}

/// What an input of `operation` is, for messages.
fn shape(operation: Operation) -> &'static str {
    match operation {
        Operation::Create => "an object with properties, associations? and objectWriteTraceId?",
        Operation::Read | Operation::Archive => "an id (a string) or { id }",
        _ => "an object with id, properties, idProperty? and objectWriteTraceId?",
    }
}

/// A create input's `associations`: `[{ to: { id }, types: [{ associationCategory,
/// associationTypeId }] }]`, each field checked and named in the error.
fn read_associations(
    value: &Value,
    index: usize,
) -> Result<Vec<PublicAssociationsForObject>, HubSpotError> {
    fn field<'a>(v: &'a Value, key: &str) -> &'a Value {
        match v {
            Value::Object(entries) => entries
                .iter()
                .find(|(k, _)| k == key)
                .map_or(&Value::Undefined, |(_, v)| v),
            _ => &Value::Undefined,
        }
    }
    // Loops, not iterator adapters: each adapter chain is its own code in the wasm.
    fn read(value: &Value) -> Option<Vec<PublicAssociationsForObject>> {
        let Value::List(items) = value else {
            return None;
        };
        let mut out = Vec::with_capacity(items.len());
        for item in items {
            let (Value::Str(to), Value::List(types)) =
                (field(field(item, "to"), "id"), field(item, "types"))
            else {
                return None;
            };
            let mut specs = Vec::with_capacity(types.len());
            for spec in types {
                let (Value::Str(category), Value::Number(n)) = (
                    field(spec, "associationCategory"),
                    field(spec, "associationTypeId"),
                ) else {
                    return None;
                };
                if n.fract() != 0.0 || !(0.0..=f64::from(i32::MAX)).contains(n) {
                    return None;
                }
                specs.push(AssociationSpec {
                    association_category: category.clone(),
                    association_type_id: *n as i32,
                });
            }
            out.push(PublicAssociationsForObject {
                to: SimplePublicObjectId { id: to.clone() },
                types: specs,
            });
        }
        Some(out)
    }
    read(value).ok_or_else(|| {
        HubSpotError::invalid_input(format!(
            "inputs[{index}].associations: expected [{{ to: {{ id }}, types: [{{ associationCategory, associationTypeId }}] }}]"
        ))
    })
}

/// The property an input's id is a value of; `None` and `hs_object_id` both mean the
/// internal id.
pub fn id_key(input: &SimplePublicObjectBatchInput) -> &str {
    id_key_of(input.id_property.as_deref())
}

/// [`id_key`] of an `idProperty`: `""` for HubSpot's own id.
pub fn id_key_of(id_property: Option<&str>) -> &str {
    match id_property {
        None | Some("hs_object_id") => "",
        Some(p) => p,
    }
}

pub(crate) fn check_unique(inputs: &[SimplePublicObjectBatchInput]) -> Result<(), HubSpotError> {
    // A create input has no id (""): only its trace id must be unique.
    if let Some((a, b)) = first_duplicate(inputs, |x| {
        (!x.id.is_empty()).then(|| (id_key(x), x.id.as_str()))
    }) {
        let quoted = inputs
            .get(b)
            .map(|x| format!("{:?}", x.id))
            .unwrap_or_default();
        return Err(HubSpotError::invalid_input(format!(
            "inputs[{b}].id: duplicate of inputs[{a}].id ({quoted}); HubSpot rejects a batch that names a record twice"
        )));
    }
    if let Some((a, b)) = first_duplicate(inputs, |x| {
        x.object_write_trace_id.as_deref().map(|t| ("", t))
    }) {
        return Err(HubSpotError::invalid_input(format!(
            "inputs[{b}].objectWriteTraceId: duplicate of inputs[{a}].objectWriteTraceId; trace ids must be unique within one call"
        )));
    }
    Ok(())
}

/// The first input `b` (in order) whose key an earlier input `a` already had, as `(a, b)`;
/// inputs without a key are skipped.
///
/// One pass over a small open-addressing table of input positions. (A sort would find the
/// same pairs, but the standard sorts add ~13 KB to the wasm, and std's `HashMap` ~4 KB.)
pub(crate) fn first_duplicate<'a, T>(
    inputs: &'a [T],
    key: impl Fn(&'a T) -> Option<(&'a str, &'a str)>,
) -> Option<(usize, usize)> {
    first_duplicate_at(inputs.len(), &|i| inputs.get(i).and_then(&key))
}

/// [`first_duplicate`] over positions `0..len`, one copy for every caller: it was inlined at
/// each of its four call sites.
#[inline(never)]
fn first_duplicate_at<'a>(
    len: usize,
    key: &dyn Fn(usize) -> Option<(&'a str, &'a str)>,
) -> Option<(usize, usize)> {
    // Slots hold position + 1, so that 0 is empty and the table is allocated zeroed (a
    // non-zero `vec![x; n]` links a fill loop into the wasm).
    let size = (len * 2).next_power_of_two().max(8);
    let mut slots = vec![0usize; size];
    // FNV-1a over both parts, split by a byte that UTF-8 text never holds. (Loops rather
    // than `chain().fold()`: fewer generic instances in the wasm.)
    fn fnv(mut h: u64, bytes: &[u8]) -> u64 {
        for &b in bytes {
            h = (h ^ u64::from(b)).wrapping_mul(0x0100_0000_01b3);
        }
        h
    }
    let hash = |(p, id): (&str, &str)| {
        fnv(
            fnv(fnv(0xcbf2_9ce4_8422_2325, p.as_bytes()), &[0xff]),
            id.as_bytes(),
        )
    };
    for b in 0..len {
        let Some(k) = key(b) else { continue };
        let mut i = hash(k) as usize;
        loop {
            i &= size - 1;
            match slots.get_mut(i) {
                Some(slot) if *slot == 0 => {
                    *slot = b + 1;
                    break;
                }
                Some(slot) => {
                    let a = *slot - 1;
                    if key(a) == Some(k) {
                        return Some((a, b));
                    }
                }
                None => break,
            }
            i += 1;
        }
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;
    use serde::Deserialize;

    proptest! {
        #![proptest_config(ProptestConfig { cases: 5000, ..ProptestConfig::default() })]

        /// `parse_decimal` reads what Rust reads among plain non-negative decimals, and
        /// refuses everything else (signs, exponents, words, white space).
        #[test]
        fn decimal_parse_agrees(text in "[+-]{0,2}[0-9a-z.]{0,6}") {
            check_decimal(&text);
        }
    }

    /// A described Date (values.js: `DATE_ZERO + getTime()`, `DATE_BASE` when invalid) reads
    /// back as its milliseconds across the whole range of JS dates.
    #[test]
    fn a_date_crosses_as_a_u64_above_i64_max() {
        use serde::de::IntoDeserializer;
        let read = |v: u64| {
            let d: serde::de::value::U64Deserializer<serde::de::value::Error> =
                v.into_deserializer();
            Value::deserialize(d).unwrap()
        };
        for ms in [
            0i64,
            1,
            -1,
            1_572_480_000_000,
            8_640_000_000_000_000,
            -8_640_000_000_000_000,
        ] {
            let v = DATE_ZERO.wrapping_add(ms as u64);
            assert!(v > i64::MAX as u64);
            assert_eq!(read(v), Value::Date(ms as f64));
        }
        assert!(matches!(read(DATE_BASE), Value::Date(ms) if ms.is_nan()));
        assert_eq!(
            format_value(&read(DATE_ZERO + 1_572_480_000_000)).unwrap(),
            "1572480000000"
        );
    }

    #[test]
    fn first_duplicate_finds_the_same_pair_as_a_naive_scan() {
        let mut seed = 7u64;
        for round in 0..300 {
            let n = round % 40;
            let inputs: Vec<SimplePublicObjectBatchInput> = (0..n)
                .map(|_| {
                    seed = seed
                        .wrapping_mul(6364136223846793005)
                        .wrapping_add(1442695040888963407);
                    let r = (seed >> 33) as usize;
                    SimplePublicObjectBatchInput {
                        id: format!("{}", r % (n + 3)),
                        properties: Map::new(),
                        id_property: [None, Some("hs_object_id"), Some("email")][r / 7 % 3]
                            .map(str::to_owned),
                        object_write_trace_id: (r % 5 > 1).then(|| format!("t{}", r / 11 % 50)),
                    }
                })
                .collect();
            type Key = fn(&SimplePublicObjectBatchInput) -> Option<(&str, &str)>;
            let keys: [Key; 2] = [
                |x| Some((id_key(x), x.id.as_str())),
                |x| x.object_write_trace_id.as_deref().map(|t| ("", t)),
            ];
            for key in keys {
                let naive = (0..inputs.len()).find_map(|b| {
                    let kb = key(&inputs[b])?;
                    (0..b)
                        .find(|&a| key(&inputs[a]) == Some(kb))
                        .map(|a| (a, b))
                });
                assert_eq!(first_duplicate(&inputs, key), naive);
            }
        }
    }

    /// Whether `t` is a plain non-negative decimal: digits, at most one point, a digit.
    fn is_plain_decimal(t: &str) -> bool {
        t.bytes().any(|b| b.is_ascii_digit())
            && t.bytes().all(|b| b.is_ascii_digit() || b == b'.')
            && t.bytes().filter(|&b| b == b'.').count() <= 1
    }

    /// `parse_decimal(t)` against Rust's own reading of `t`: the same set of accepted texts
    /// among plain decimals, values equal to within a few units of the last place (it sums
    /// digits, it is not correctly rounded; headers need no more), and nothing else accepted.
    fn check_decimal(t: &str) {
        let ours = parse_decimal(t);
        if !is_plain_decimal(t) {
            assert_eq!(ours, None, "{t:?} is not a plain decimal");
            return;
        }
        let rust = t.parse::<f64>().expect("Rust reads plain decimals");
        let ours = ours.unwrap_or_else(|| panic!("{t:?} refused"));
        // Below about 1e-290 the digits' scale runs into subnormals: compare absolutely.
        let close = ours == rust
            || ((ours - rust) / rust).abs() <= 1e-12
            || (rust < 1e-290 && (ours - rust).abs() <= 1e-300);
        assert!(close, "{t:?}: {ours:?} vs {rust:?}");
    }

    #[test]
    fn parse_decimal_checks_text_like_rust() {
        let mut texts: Vec<String> = [
            "",
            "+",
            "-",
            ".",
            "+.",
            "e",
            "1e",
            "1e+",
            "1e-",
            ".e1",
            "1.e1",
            ".5",
            "+.5",
            "-.5e-3",
            "1.",
            "-1.",
            "0",
            "-0",
            "+0",
            "00",
            "007",
            "1e5",
            "1E5",
            "1e+5",
            "1E-5",
            "2.5",
            "123456789012345",
            "1234567890123456",
            "9007199254740993",
            "-9007199254740993",
            "99999999999999999999999",
            "1e400",
            "-1e400",
            "1e-400",
            "4.9e-324",
            "2.2250738585072014e-308",
            "0.1",
            "0.30000000000000004",
            "17976931348623157e292",
            "inf",
            "-inf",
            "+inf",
            "INF",
            "Infinity",
            "-infinity",
            "infinit",
            "infinityx",
            "nan",
            "NaN",
            "-nan",
            "+NaN",
            "nana",
            " 1",
            "1 ",
            "1_0",
            "0x10",
            "1e5.5",
            "1..2",
            "--1",
            "+-1",
            "1e--1",
            "١",
            "1\u{0}",
            "1,5",
            "Infinity1",
            "e5",
            "-e5",
            "0e0",
            "0.0e-0",
            "10000",
            "3.0",
            "3.",
        ]
        .iter()
        .map(|s| s.to_string())
        .collect();
        for i in 0..2000u64 {
            let x = f64::from_bits(i.wrapping_mul(0x9E37_79B9_7F4A_7C15));
            texts.push(format!("{x}"));
            texts.push(format!("{x:e}"));
            texts.push(format!("{}", (i * 7919) % 1_000_003));
        }
        let mut accepted = 0;
        for t in &texts {
            check_decimal(t);
            accepted += usize::from(parse_decimal(t).is_some());
        }
        // The plain decimals among them, and the whole numbers: most of the 2000 of each.
        assert!(accepted > 2000, "only {accepted} accepted");
        for (t, want) in [
            ("12", 12.0),
            ("1.5", 1.5),
            (".5", 0.5),
            ("1.", 1.0),
            ("007", 7.0),
        ] {
            assert_eq!(parse_decimal(t), Some(want), "{t}");
        }
        for t in [
            "", ".", "+1", "-1", "1e3", "1 ", " 1", "inf", "NaN", "1..2", "0x10", "1_0",
        ] {
            assert_eq!(parse_decimal(t), None, "{t}");
        }
    }

    fn input(id: &str, props: Vec<(&str, Value)>) -> RawInput {
        RawInput::Object {
            id: Value::Str(id.into()),
            properties: Ok(props.into_iter().map(|(k, v)| (k.to_owned(), v)).collect()),
            id_property: Value::Undefined,
            object_write_trace_id: Value::Undefined,
            associations: Value::Undefined,
            unknown_fields: vec![],
        }
    }

    fn err(raw: &[RawInput]) -> String {
        validate_inputs(raw, None).unwrap_err().message
    }

    #[test]
    fn formats_values_as_hubspot_strings() {
        assert_eq!(format_value(&Value::Number(1.5)).unwrap(), "1.5");
        assert_eq!(
            format_value(&Value::Number(1e21)).unwrap(),
            "1000000000000000000000"
        );
        assert_eq!(format_value(&Value::Number(1e-7)).unwrap(), "0.0000001");
        assert_eq!(format_value(&Value::Number(-0.0)).unwrap(), "0");
        assert_eq!(format_value(&Value::Number(42.0)).unwrap(), "42");
        assert_eq!(
            format_value(&Value::Number(0.1 + 0.2)).unwrap(),
            "0.30000000000000004"
        );
        assert_eq!(format_value(&Value::Bool(true)).unwrap(), "true");
        assert_eq!(format_value(&Value::Bool(false)).unwrap(), "false");
        assert_eq!(
            format_value(&Value::Date(1_572_480_000_000.0)).unwrap(),
            "1572480000000"
        );
        assert_eq!(format_value(&Value::Null).unwrap(), "");
        assert_eq!(
            format_value(&Value::List(vec![
                Value::Str("a".into()),
                Value::Str("b c".into())
            ]))
            .unwrap(),
            "a;b c"
        );
        assert_eq!(format_value(&Value::List(vec![])).unwrap(), "");
        assert!(format_value(&Value::Number(f64::NAN))
            .unwrap_err()
            .message
            .contains("NaN"));
        assert!(format_value(&Value::Number(f64::INFINITY)).is_err());
        assert!(format_value(&Value::Date(f64::NAN)).is_err());
        assert!(format_value(&Value::List(vec![Value::Str("a;b".into())])).is_err());
        assert!(format_value(&Value::Other("object")).is_err());
        assert!(format_value(&Value::Undefined).is_err());
    }

    #[test]
    fn numbers_are_written_in_plain_decimal() {
        for (x, plain) in [
            (1e21, "1000000000000000000000"),
            (1.5e-7, "0.00000015"),
            (-1.25e2, "-125"),
            (1.2345e3, "1234.5"),
            (123.5, "123.5"),
            (0.0, "0"),
            (-0.0, "0"),
            (9_007_199_254_740_993.0, "9007199254740992"),
        ] {
            assert_eq!(format_number(x), plain, "{x:e}");
        }
        let tiny = format_number(5e-324);
        assert!(tiny.starts_with("0.000") && tiny.ends_with('5'), "{tiny}");
        assert_eq!(tiny.parse::<f64>(), Ok(5e-324));
        // Rust's own plain Display, for a spread of values: never an exponent.
        let mut x = 1.234_567_890_123e-30_f64;
        while x < 1e40 {
            assert_eq!(format_number(x), format!("{x}"));
            assert_eq!(format_number(-x), format!("{}", -x));
            assert!(!format_number(x).contains(['e', 'E']));
            x *= 7.3;
        }
    }

    #[test]
    fn names_the_input_and_field() {
        let raw = vec![
            input("1", vec![]),
            input("2", vec![]),
            input("3", vec![]),
            input("4", vec![("amount", Value::Other("object"))]),
        ];
        assert_eq!(
            err(&raw),
            "inputs[3].properties.amount: expected string, number, boolean, Date, string[] or null, got object"
        );
        let raw = vec![input(
            "1",
            vec![("tags", Value::List(vec![Value::Str("x;y".into())]))],
        )];
        assert!(err(&raw).starts_with("inputs[0].properties.tags[0]: contains \";\""));
        let raw = vec![input("1", vec![("my prop", Value::Number(f64::NAN))])];
        assert_eq!(
            err(&raw),
            "inputs[0].properties[\"my prop\"]: expected a finite number, got NaN"
        );
        assert_eq!(
            err(&[RawInput::NotObject("number")]),
            "inputs[0]: expected an object with id, properties, idProperty? and objectWriteTraceId?, got number"
        );
        assert_eq!(
            err(&[input("", vec![])]),
            "inputs[0].id: expected a non-empty string"
        );
        let missing_props = RawInput::Object {
            id: Value::Str("1".into()),
            properties: Err(Value::Undefined),
            id_property: Value::Undefined,
            object_write_trace_id: Value::Undefined,
            associations: Value::Undefined,
            unknown_fields: vec![],
        };
        assert!(err(&[missing_props]).starts_with("inputs[0].properties: expected an object"));
        let unknown = RawInput::Object {
            id: Value::Str("1".into()),
            properties: Ok(vec![]),
            id_property: Value::Undefined,
            object_write_trace_id: Value::Undefined,
            associations: Value::Undefined,
            unknown_fields: vec!["idproperty".into()],
        };
        assert!(err(&[unknown]).starts_with("inputs[0].idproperty: unknown field"));
    }

    #[test]
    fn refuses_duplicates_per_id_property() {
        let raw = vec![input("1", vec![]), input("2", vec![]), input("1", vec![])];
        assert!(err(&raw).starts_with("inputs[2].id: duplicate of inputs[0].id (\"1\")"));
        // The same value under a different idProperty names a different record.
        let mut other = input("1", vec![]);
        if let RawInput::Object { id_property, .. } = &mut other {
            *id_property = Value::Str("deal_external_id".into());
        }
        assert!(validate_inputs(&[input("1", vec![]), other], None).is_ok());
        // hs_object_id is the internal id.
        let mut same = input("1", vec![]);
        if let RawInput::Object { id_property, .. } = &mut same {
            *id_property = Value::Str("hs_object_id".into());
        }
        assert!(validate_inputs(&[input("1", vec![]), same], None).is_err());
    }

    #[test]
    fn refuses_duplicate_trace_ids() {
        let with_trace = |id: &str, t: &str| RawInput::Object {
            id: Value::Str(id.into()),
            properties: Ok(vec![]),
            id_property: Value::Undefined,
            object_write_trace_id: Value::Str(t.into()),
            associations: Value::Undefined,
            unknown_fields: vec![],
        };
        let raw = vec![
            with_trace("1", "a"),
            with_trace("2", "b"),
            with_trace("3", "a"),
        ];
        assert!(err(&raw).starts_with("inputs[2].objectWriteTraceId: duplicate of inputs[0]"));
        assert!(validate_inputs(
            &[with_trace("1", "a"), input("2", vec![]), input("3", vec![])],
            None
        )
        .is_ok());
    }

    #[test]
    fn applies_the_default_id_property() {
        let out = validate_inputs(
            &[input("ext-1", vec![("dealname", Value::Str("x".into()))])],
            Some("deal_external_id"),
        )
        .unwrap();
        assert_eq!(out[0].id_property.as_deref(), Some("deal_external_id"));
        assert_eq!(
            out[0].properties.get("dealname").map(String::as_str),
            Some("x")
        );
    }
}
