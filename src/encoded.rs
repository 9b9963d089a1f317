//! The compact JSON form in which the npm glue hands JS values to the core.
//!
//! `src/wasm/encode.js` walks the caller's values in JS and writes them as one JSON text (its
//! header documents the form: tagged strings for numbers, Dates and values that cannot be
//! sent). Reading that text here, straight into [`Value`]s and [`RawInput`]s without an
//! intermediate JSON tree, is what makes a call cost one boundary crossing instead of one per
//! field. The core then judges the values exactly as it judges any other [`RawInput`].
//!
//! The text comes from our own encoder, but it is still read defensively: anything that is
//! not in the form is an error, never a panic.

use crate::error::HubSpotError;
use crate::input::{parse_f64, type_name, RawInput, Value};
use crate::json::{JsonSyntaxError, Reader};

type Read<T> = Result<T, JsonSyntaxError>;

/// Nesting allowed in the form: an options object holding a plain object holding an array.
const MAX_DEPTH: u8 = 4;

/// What the encoder calls the values it describes instead of sending, as the core names them.
const OTHER_NAMES: [&str; 10] = [
    "object",
    "array",
    "function",
    "bigint",
    "symbol",
    "revoked Proxy",
    "object that inherits from Date but is not one",
    "array whose length cannot be read",
    "array whose elements cannot be read",
    "string with a lone surrogate (invalid UTF-16)",
];

/// One property value (what `formatPropertyValue` was given).
pub fn value(text: &str) -> Value {
    let mut r = Reader::new(text);
    match value_at(&mut r, 0) {
        Ok(v) if r.at_end() => v,
        _ => Value::Other("object"),
    }
}

/// Why an options object could not be read.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum OptionsError {
    /// It was not a plain object.
    NotObject,
    /// Reading its fields threw (a getter or a Proxy trap).
    Unreadable,
}

/// An options object as entries; nested plain objects (such as `rateLimit`) become
/// [`Value::Object`], and numbers become [`Value::Number`].
pub fn options(text: &str) -> Result<Vec<(String, Value)>, OptionsError> {
    let mut r = Reader::new(text);
    let read = match r.next_byte() {
        Some(b'"') => {
            return Err(match r.string().as_deref() {
                Ok("\0fobject") => OptionsError::NotObject,
                _ => OptionsError::Unreadable,
            })
        }
        _ => pairs(&mut r, 1),
    };
    match read {
        Ok(mut entries) if r.at_end() => {
            numeric_entries(&mut entries);
            Ok(entries)
        }
        _ => Err(OptionsError::Unreadable),
    }
}

/// The inputs of one call, or the `INVALID_INPUT` error the encoder found while reading them.
pub fn inputs(text: &str) -> Result<Vec<RawInput>, HubSpotError> {
    let mut r = Reader::new(text);
    let threw = || HubSpotError::invalid_input("inputs: reading them threw");
    if r.next_byte() == Some(b'"') {
        let failure = r.string().map_err(|_| threw())?;
        return Err(HubSpotError::invalid_input(failure_message(&failure)));
    }
    let mut out = Vec::new();
    list(&mut r, |r| {
        out.push(input(r)?);
        Ok(())
    })
    .map_err(|_| threw())?;
    if !r.at_end() {
        return Err(threw());
    }
    Ok(out)
}

/// The message for the encoder's `"\0f<what>[:<index>]"`.
fn failure_message(failure: &str) -> String {
    let rest = failure.get(2..).unwrap_or_default();
    let (what, index) = crate::text::split_once_any(rest, b":").unwrap_or((rest, ""));
    match what {
        "array" => "inputs: expected an array of { id, properties }".to_owned(),
        "length" => "inputs: its length cannot be read (at most 10,000,000 inputs)".to_owned(),
        "item" => format!("inputs[{index}]: reading it threw"),
        "fields" => format!("inputs[{index}]: its fields cannot be read"),
        _ => format!("inputs[{index}].properties: its values cannot be read"),
    }
}

/// One input: `{"v": value}` for a non-object, else
/// `[id, properties, idProperty, objectWriteTraceId, ...unknown field names]`, where
/// `properties` is `[name, value, ...]` for a plain object and a value otherwise.
fn input(r: &mut Reader) -> Read<RawInput> {
    if r.next_byte() == Some(b'{') {
        r.bump();
        let v = keyed(r, "v", |r| value_at(r, 1))?;
        return Ok(RawInput::NotObject(match v {
            Value::List(_) => "array",
            other => type_name(&other),
        }));
    }
    let mut slot = 0;
    let mut id = Value::Undefined;
    let mut properties = Err(Value::Undefined);
    let mut id_property = Value::Undefined;
    let mut object_write_trace_id = Value::Undefined;
    let mut unknown_fields = Vec::new();
    list(r, |r| {
        match slot {
            0 => id = value_at(r, 1)?,
            1 if r.next_byte() == Some(b'[') => properties = Ok(pairs(r, 2)?),
            1 => properties = Err(value_at(r, 1)?),
            2 => id_property = value_at(r, 1)?,
            3 => object_write_trace_id = value_at(r, 1)?,
            _ => {
                r.ws();
                unknown_fields.push(r.string()?);
            }
        }
        slot += 1;
        Ok(())
    })?;
    Ok(RawInput::Object {
        id,
        properties,
        id_property,
        object_write_trace_id,
        unknown_fields,
    })
}

/// `{"<key>": <read>}`, after its `{`.
fn keyed<T>(r: &mut Reader, key: &str, read: impl FnOnce(&mut Reader) -> Read<T>) -> Read<T> {
    r.ws();
    if r.string()? != key {
        return Err(r.err());
    }
    r.ws();
    r.eat(b":")?;
    let v = read(r)?;
    r.ws();
    r.eat(b"}")?;
    Ok(v)
}

/// `[name, value, name, value, ...]`.
fn pairs(r: &mut Reader, depth: u8) -> Read<Vec<(String, Value)>> {
    let mut out = Vec::new();
    let mut name = None;
    list(r, |r| {
        match name.take() {
            None => {
                r.ws();
                name = Some(r.string()?);
            }
            Some(n) => out.push((n, value_at(r, depth)?)),
        }
        Ok(())
    })?;
    if name.is_some() {
        return Err(r.err());
    }
    Ok(out)
}

/// `[item, ...]`, calling `each` at every item.
fn list(r: &mut Reader, mut each: impl FnMut(&mut Reader) -> Read<()>) -> Read<()> {
    r.ws();
    r.eat(b"[")?;
    if r.next_byte() == Some(b']') {
        r.bump();
        return Ok(());
    }
    loop {
        each(r)?;
        match r.next_byte() {
            Some(b',') => r.bump(),
            Some(b']') => {
                r.bump();
                return Ok(());
            }
            _ => return Err(r.err()),
        }
    }
}

fn value_at(r: &mut Reader, depth: u8) -> Read<Value> {
    if depth > MAX_DEPTH {
        return Err(r.err());
    }
    match r.next_byte() {
        Some(b'"') => r.string().map(tagged),
        Some(b't') => r.eat(b"true").map(|_| Value::Bool(true)),
        Some(b'f') => r.eat(b"false").map(|_| Value::Bool(false)),
        Some(b'n') => r.eat(b"null").map(|_| Value::Null),
        Some(b'[') => {
            let mut items = Vec::new();
            list(r, |r| {
                items.push(value_at(r, depth + 1)?);
                Ok(())
            })?;
            Ok(Value::List(items))
        }
        Some(b'{') => {
            r.bump();
            keyed(r, "e", |r| pairs(r, depth + 1)).map(Value::Object)
        }
        _ => Err(r.err()),
    }
}

/// A string, or the value a tag (a leading U+0000) stands for.
// Not inlined: a smaller wasm (measured with scripts/check-size; see bench/SIZE-NOTES.md).
#[inline(never)]
fn tagged(s: String) -> Value {
    if !s.starts_with("\0") {
        return Value::Str(s);
    }
    let rest = s.get(2..).unwrap_or_default();
    match s.as_bytes().get(1) {
        // A copy rather than `s.drain(..2)`, whose char-boundary assertion and `Drain` linked
        // panic code into the wasm.
        Some(b's') => Value::Str(rest.to_owned()),
        Some(b'n') => Value::Decimal(rest.to_owned()),
        Some(b'x') => Value::Number(match rest {
            "Infinity" => f64::INFINITY,
            "-Infinity" => f64::NEG_INFINITY,
            _ => f64::NAN,
        }),
        Some(b'd') => Value::Date(parse_f64(rest).unwrap_or(f64::NAN)),
        Some(b'u') => Value::Undefined,
        _ => Value::Other(
            OTHER_NAMES
                .iter()
                .find(|n| **n == rest)
                .unwrap_or(&"object"),
        ),
    }
}

/// Options read the numbers they hold as numbers.
fn numeric(v: Value) -> Value {
    match v {
        Value::Decimal(text) => Value::Number(parse_f64(&text).unwrap_or(f64::NAN)),
        Value::Object(mut entries) => {
            numeric_entries(&mut entries);
            Value::Object(entries)
        }
        other => other,
    }
}

/// [`numeric`] on every value, in place (an in-place `into_iter().map().collect()` links
/// two `try_fold`s and a drop helper into the wasm).
fn numeric_entries(entries: &mut [(String, Value)]) {
    for (_, v) in entries.iter_mut() {
        *v = numeric(std::mem::replace(v, Value::Undefined));
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn obj(
        id: Value,
        properties: Result<Vec<(String, Value)>, Value>,
        id_property: Value,
        trace: Value,
        unknown: &[&str],
    ) -> RawInput {
        RawInput::Object {
            id,
            properties,
            id_property,
            object_write_trace_id: trace,
            unknown_fields: unknown.iter().map(|s| s.to_string()).collect(),
        }
    }

    fn s(v: &str) -> Value {
        Value::Str(v.to_owned())
    }

    #[test]
    fn reads_every_tag() {
        let text = r#"[["1",["a","x","b","\u0000n1.5","c","\u0000d1700000000000","d",["p","q"],"e",null,"f",true,"g","\u0000xNaN","h","\u0000x-Infinity","i","\u0000u","j","\u0000sA","k","\u0000obigint","l","\u0000dNaN","m","\u0000onot a known name"],"\u0000u","t1","extra"]]"#;
        let text = text.replace("\\u0000sA", "\\u0000s\\u0000A");
        let got = inputs(&text).unwrap();
        let props = vec![
            ("a".to_owned(), s("x")),
            ("b".to_owned(), Value::Decimal("1.5".into())),
            ("c".to_owned(), Value::Date(1_700_000_000_000.0)),
            ("d".to_owned(), Value::List(vec![s("p"), s("q")])),
            ("e".to_owned(), Value::Null),
            ("f".to_owned(), Value::Bool(true)),
            ("g".to_owned(), Value::Number(f64::NAN)),
            ("h".to_owned(), Value::Number(f64::NEG_INFINITY)),
            ("i".to_owned(), Value::Undefined),
            ("j".to_owned(), s("\0A")),
            ("k".to_owned(), Value::Other("bigint")),
            ("l".to_owned(), Value::Date(f64::NAN)),
            ("m".to_owned(), Value::Other("object")),
        ];
        let RawInput::Object { properties, .. } = &got[0] else {
            panic!("{got:?}")
        };
        let got_props = properties.as_ref().unwrap();
        assert_eq!(got_props.len(), props.len());
        for ((k1, v1), (k2, v2)) in got_props.iter().zip(&props) {
            assert_eq!(k1, k2);
            match (v1, v2) {
                (Value::Number(a), Value::Number(b)) | (Value::Date(a), Value::Date(b)) => {
                    assert!(
                        a.to_bits() == b.to_bits() || (a.is_nan() && b.is_nan()),
                        "{k1}"
                    )
                }
                _ => assert_eq!(v1, v2, "{k1}"),
            }
        }
        let RawInput::Object {
            id,
            id_property,
            object_write_trace_id,
            unknown_fields,
            ..
        } = &got[0]
        else {
            unreachable!()
        };
        assert_eq!(id, &s("1"));
        assert_eq!(id_property, &Value::Undefined);
        assert_eq!(object_write_trace_id, &s("t1"));
        assert_eq!(unknown_fields, &["extra".to_owned()]);
    }

    #[test]
    fn non_objects_and_odd_properties() {
        let got = inputs(r#"[{"v":"\u0000n5"},{"v":["a"]},{"v":null},["1","\u0000oarray"],["2","str","\u0000u","\u0000u"],["3"]]"#).unwrap();
        assert_eq!(
            got,
            vec![
                RawInput::NotObject("number"),
                RawInput::NotObject("array"),
                RawInput::NotObject("null"),
                obj(
                    s("1"),
                    Err(Value::Other("array")),
                    Value::Undefined,
                    Value::Undefined,
                    &[]
                ),
                obj(
                    s("2"),
                    Err(s("str")),
                    Value::Undefined,
                    Value::Undefined,
                    &[]
                ),
                obj(
                    s("3"),
                    Err(Value::Undefined),
                    Value::Undefined,
                    Value::Undefined,
                    &[]
                ),
            ]
        );
    }

    #[test]
    fn failures_become_messages() {
        let msg = |t: &str| inputs(t).unwrap_err().message;
        assert_eq!(
            msg(r#""\u0000farray""#),
            "inputs: expected an array of { id, properties }"
        );
        assert_eq!(
            msg(r#""\u0000flength""#),
            "inputs: its length cannot be read (at most 10,000,000 inputs)"
        );
        assert_eq!(msg(r#""\u0000fitem:7""#), "inputs[7]: reading it threw");
        assert_eq!(
            msg(r#""\u0000ffields:2""#),
            "inputs[2]: its fields cannot be read"
        );
        assert_eq!(
            msg(r#""\u0000fproperties:0""#),
            "inputs[0].properties: its values cannot be read"
        );
        for bad in [
            "",
            "[",
            "[[]",
            "[{\"w\":1}]",
            "[[1]]",
            "[[\"1\",[\"a\"]]]",
            "[] x",
            "[[\"1\",[],\"u\",\"u\",5]]",
        ] {
            assert_eq!(msg(bad), "inputs: reading them threw", "{bad}");
        }
    }

    #[test]
    fn options_and_values() {
        assert_eq!(
            options(
                r#"["batchSize","\u0000n50","rateLimit",{"e":["requests","\u0000n190"]},"fetch","\u0000ofunction"]"#
            ),
            Ok(vec![
                ("batchSize".to_owned(), Value::Number(50.0)),
                (
                    "rateLimit".to_owned(),
                    Value::Object(vec![("requests".to_owned(), Value::Number(190.0))])
                ),
                ("fetch".to_owned(), Value::Other("function")),
            ])
        );
        assert_eq!(options(r#""\u0000fobject""#), Err(OptionsError::NotObject));
        assert_eq!(options(r#""\u0000ffields""#), Err(OptionsError::Unreadable));
        assert_eq!(options("[1"), Err(OptionsError::Unreadable));
        assert_eq!(
            value(r#"["a","\u0000oarray"]"#),
            Value::List(vec![s("a"), Value::Other("array")])
        );
        assert_eq!(value(r#""\u0000n1e+21""#), Value::Decimal("1e+21".into()));
        assert_eq!(value("[[[[[[1]]]]]]"), Value::Other("object"));
        assert_eq!(value("nul"), Value::Other("object"));
    }
}
