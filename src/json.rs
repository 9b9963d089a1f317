//! A small JSON value, reader and string writer.
//!
//! The wasm build leaves serde_json out (it costs ~15 KB gzip), yet the core still has to read
//! the JSON array HubSpot embeds in `Property values were not valid: [...]` messages, carry
//! free-form objects such as `StandardError.subCategory`, and write request bodies. These
//! needs are small and bounded, so a few hundred lines here replace a large dependency.

use std::fmt;

use serde::de::{self, Deserialize, Deserializer, MapAccess, SeqAccess, Visitor};
use serde::ser::{Serialize, SerializeMap, SerializeSeq, Serializer};

/// Any JSON value. Objects keep their keys in document order.
#[derive(Clone, Debug, PartialEq)]
pub enum JsonValue {
    /// `null`
    Null,
    /// `true` / `false`
    Bool(bool),
    /// Any number (JSON numbers are read as `f64`, as JavaScript does).
    Number(f64),
    /// A string.
    String(String),
    /// An array.
    Array(Vec<JsonValue>),
    /// An object, keys in document order.
    Object(Vec<(String, JsonValue)>),
}

impl JsonValue {
    /// The value under `key` when this is an object.
    pub fn get(&self, key: &str) -> Option<&JsonValue> {
        match self {
            JsonValue::Object(entries) => entries.iter().find(|(k, _)| k == key).map(|(_, v)| v),
            _ => None,
        }
    }

    /// The string inside, when this is a string.
    pub fn as_str(&self) -> Option<&str> {
        match self {
            JsonValue::String(s) => Some(s),
            _ => None,
        }
    }

    /// Compact JSON text for this value.
    pub fn to_json(&self) -> String {
        let mut out = String::new();
        self.write(&mut out);
        out
    }

    pub(crate) fn write(&self, out: &mut String) {
        match self {
            JsonValue::Null => out.push_str("null"),
            JsonValue::Bool(b) => out.push_str(if *b { "true" } else { "false" }),
            JsonValue::Number(n) => write_f64(out, *n),
            JsonValue::String(s) => write_string(out, s),
            JsonValue::Array(items) => {
                out.push('[');
                for (i, item) in items.iter().enumerate() {
                    if i > 0 {
                        out.push(',');
                    }
                    item.write(out);
                }
                out.push(']');
            }
            JsonValue::Object(entries) => {
                out.push('{');
                for (i, (k, v)) in entries.iter().enumerate() {
                    if i > 0 {
                        out.push(',');
                    }
                    write_string(out, k);
                    out.push(':');
                    v.write(out);
                }
                out.push('}');
            }
        }
    }
}

/// `s` as a JSON string literal: how messages quote values (rather than `{:?}`, whose
/// escaping drags Unicode tables into the wasm; the two agree on printable text).
pub fn quote(s: &str) -> String {
    let mut out = String::with_capacity(s.len() + 2);
    write_string(&mut out, s);
    out
}

/// Appends `s` to `out` as a JSON string literal.
pub fn write_string(out: &mut String, s: &str) {
    out.reserve(s.len() + 2);
    out.push('"');
    // Copy runs of bytes that need no escape in one go; only ASCII bytes are ever escaped, so
    // every run ends on a character boundary.
    let mut start = 0;
    for (i, &b) in s.as_bytes().iter().enumerate() {
        let escape: &str = match b {
            b'"' => "\\\"",
            b'\\' => "\\\\",
            b'\n' => "\\n",
            b'\r' => "\\r",
            b'\t' => "\\t",
            0..=0x1f => "",
            _ => continue,
        };
        out.push_str(s.get(start..i).unwrap_or_default());
        if escape.is_empty() {
            out.push_str("\\u00");
            out.push(char::from_digit(u32::from(b >> 4), 16).unwrap_or('0'));
            out.push(char::from_digit(u32::from(b & 0xf), 16).unwrap_or('0'));
        } else {
            out.push_str(escape);
        }
        start = i + 1;
    }
    out.push_str(s.get(start..).unwrap_or_default());
    out.push('"');
}

/// Why a text is not JSON, with the byte offset where reading stopped.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct JsonSyntaxError {
    /// Byte offset of the problem.
    pub offset: usize,
}

impl fmt::Display for JsonSyntaxError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "invalid JSON at byte {}", self.offset)
    }
}

/// Nesting deeper than this is refused rather than risking the stack on hostile input.
const MAX_DEPTH: usize = 128;

/// Reads one JSON value that fills `text` (surrounding white space allowed).
pub fn parse(text: &str) -> Result<JsonValue, JsonSyntaxError> {
    let mut r = Reader {
        t: text,
        s: text.as_bytes(),
        pos: 0,
    };
    let value = r.value(0)?;
    r.ws();
    if r.pos != r.s.len() {
        return Err(r.err());
    }
    Ok(value)
}

/// Reads one JSON value at the start of `text` and returns it with the number of bytes used.
/// Used where JSON is embedded in prose followed by more text.
pub fn parse_prefix(text: &str) -> Result<(JsonValue, usize), JsonSyntaxError> {
    let mut r = Reader {
        t: text,
        s: text.as_bytes(),
        pos: 0,
    };
    let value = r.value(0)?;
    Ok((value, r.pos))
}

/// The length of the JSON number (RFC 8259's grammar) at the start of `s`, or the offset at
/// which it stops being one. Shared by every reader of JSON text here.
pub(crate) fn number_len(s: &[u8]) -> Result<usize, usize> {
    let digits = |i: &mut usize| {
        let from = *i;
        while let Some(b'0'..=b'9') = s.get(*i) {
            *i += 1;
        }
        *i > from
    };
    let mut i = usize::from(s.first() == Some(&b'-'));
    let int_start = i;
    if !digits(&mut i) {
        return Err(i);
    }
    // No leading zeros ("0" alone, or "0.5", but not "01").
    if i - int_start > 1 && s.get(int_start) == Some(&b'0') {
        return Err(int_start);
    }
    if s.get(i) == Some(&b'.') {
        i += 1;
        if !digits(&mut i) {
            return Err(i);
        }
    }
    if let Some(b'e' | b'E') = s.get(i) {
        i += 1;
        if let Some(b'+' | b'-') = s.get(i) {
            i += 1;
        }
        if !digits(&mut i) {
            return Err(i);
        }
    }
    Ok(i)
}

/// How many bytes at the start of `s` need no attention in a string: up to the first quote,
/// backslash or control character. A plain loop: at opt-level "z" a `position` closure is a
/// call per byte.
pub(crate) fn plain_run(s: &[u8]) -> usize {
    let mut n = 0;
    while let Some(&c) = s.get(n) {
        if c == b'"' || c == b'\\' || c < 0x20 {
            break;
        }
        n += 1;
    }
    n
}

/// A position in JSON text, with the primitives the readers here and in `encoded` share.
pub(crate) struct Reader<'a> {
    t: &'a str,
    s: &'a [u8],
    pos: usize,
}

impl<'a> Reader<'a> {
    /// A reader at the start of `text`.
    pub(crate) fn new(text: &'a str) -> Self {
        Reader {
            t: text,
            s: text.as_bytes(),
            pos: 0,
        }
    }

    /// Whether only white space is left.
    pub(crate) fn at_end(&mut self) -> bool {
        self.ws();
        self.pos == self.s.len()
    }

    pub(crate) fn err(&self) -> JsonSyntaxError {
        JsonSyntaxError { offset: self.pos }
    }

    #[inline(always)]
    pub(crate) fn peek(&self) -> Option<u8> {
        self.s.get(self.pos).copied()
    }

    /// Skips white space and returns the next byte, without taking it.
    pub(crate) fn next_byte(&mut self) -> Option<u8> {
        self.ws();
        self.peek()
    }

    /// Takes one byte known to be there (after `next_byte`).
    pub(crate) fn bump(&mut self) {
        self.pos += 1;
    }

    #[inline(always)]
    pub(crate) fn ws(&mut self) {
        while let Some(b' ' | b'\n' | b'\r' | b'\t') = self.peek() {
            self.pos += 1;
        }
    }

    pub(crate) fn eat(&mut self, lit: &[u8]) -> Result<(), JsonSyntaxError> {
        if self.s.get(self.pos..self.pos + lit.len()) == Some(lit) {
            self.pos += lit.len();
            Ok(())
        } else {
            Err(self.err())
        }
    }

    pub(crate) fn value(&mut self, depth: usize) -> Result<JsonValue, JsonSyntaxError> {
        if depth > MAX_DEPTH {
            return Err(self.err());
        }
        self.ws();
        match self.peek() {
            Some(b'n') => self.eat(b"null").map(|_| JsonValue::Null),
            Some(b't') => self.eat(b"true").map(|_| JsonValue::Bool(true)),
            Some(b'f') => self.eat(b"false").map(|_| JsonValue::Bool(false)),
            Some(b'"') => self.string().map(JsonValue::String),
            Some(b'[') => {
                self.pos += 1;
                let mut items = Vec::new();
                self.ws();
                if self.peek() == Some(b']') {
                    self.pos += 1;
                    return Ok(JsonValue::Array(items));
                }
                loop {
                    items.push(self.value(depth + 1)?);
                    self.ws();
                    match self.peek() {
                        Some(b',') => self.pos += 1,
                        Some(b']') => {
                            self.pos += 1;
                            return Ok(JsonValue::Array(items));
                        }
                        _ => return Err(self.err()),
                    }
                }
            }
            Some(b'{') => {
                self.pos += 1;
                let mut entries = Vec::new();
                self.ws();
                if self.peek() == Some(b'}') {
                    self.pos += 1;
                    return Ok(JsonValue::Object(entries));
                }
                loop {
                    self.ws();
                    if self.peek() != Some(b'"') {
                        return Err(self.err());
                    }
                    let key = self.string()?;
                    self.ws();
                    self.eat(b":")?;
                    let v = self.value(depth + 1)?;
                    entries.push((key, v));
                    self.ws();
                    match self.peek() {
                        Some(b',') => self.pos += 1,
                        Some(b'}') => {
                            self.pos += 1;
                            return Ok(JsonValue::Object(entries));
                        }
                        _ => return Err(self.err()),
                    }
                }
            }
            Some(b'-' | b'0'..=b'9') => self.number(),
            _ => Err(self.err()),
        }
    }

    fn number(&mut self) -> Result<JsonValue, JsonSyntaxError> {
        let start = self.pos;
        let len = number_len(self.s.get(start..).unwrap_or_default())
            .map_err(|at| JsonSyntaxError { offset: start + at })?;
        self.pos += len;
        // A number is ASCII, so this slice of the text needs no UTF-8 check.
        let text = self.t.get(start..self.pos).ok_or_else(|| self.err())?;
        crate::input::parse_f64(text)
            .map(JsonValue::Number)
            .ok_or(JsonSyntaxError { offset: start })
    }

    fn hex4(&mut self) -> Result<u32, JsonSyntaxError> {
        let mut n = 0u32;
        for _ in 0..4 {
            let d = match self.peek() {
                Some(c @ b'0'..=b'9') => c - b'0',
                Some(c @ b'a'..=b'f') => c - b'a' + 10,
                Some(c @ b'A'..=b'F') => c - b'A' + 10,
                _ => return Err(self.err()),
            };
            n = n * 16 + u32::from(d);
            self.pos += 1;
        }
        Ok(n)
    }

    pub(crate) fn string(&mut self) -> Result<String, JsonSyntaxError> {
        self.eat(b"\"")?;
        // Most strings have no escape: copy them with one exact allocation. (Growing a
        // `String::new()` goes through the allocator's slow path, which dominated reading.)
        let rest = self.s.get(self.pos..).unwrap_or_default();
        let run = plain_run(rest);
        if rest.get(run) == Some(&b'"') {
            let out = self
                .t
                .get(self.pos..self.pos + run)
                .ok_or_else(|| self.err())?;
            self.pos += run + 1;
            return Ok(out.to_owned());
        }
        let mut out = String::with_capacity(run + 16);
        loop {
            let run_start = self.pos;
            self.pos += plain_run(self.s.get(self.pos..).unwrap_or_default());
            // The text came in as a &str and runs end at ASCII bytes, so each run is a whole
            // slice of it: no UTF-8 check needed.
            out.push_str(self.t.get(run_start..self.pos).ok_or_else(|| self.err())?);
            match self.peek() {
                Some(b'"') => {
                    self.pos += 1;
                    return Ok(out);
                }
                Some(b'\\') => {
                    self.pos += 1;
                    let esc = self.peek().ok_or_else(|| self.err())?;
                    self.pos += 1;
                    match esc {
                        b'"' => out.push('"'),
                        b'\\' => out.push('\\'),
                        b'/' => out.push('/'),
                        b'b' => out.push('\u{8}'),
                        b'f' => out.push('\u{c}'),
                        b'n' => out.push('\n'),
                        b'r' => out.push('\r'),
                        b't' => out.push('\t'),
                        b'u' => {
                            let hi = self.hex4()?;
                            let code = if (0xD800..0xDC00).contains(&hi) {
                                // A surrogate pair; a lone half becomes U+FFFD as JS would show it.
                                // Only a following low surrogate is consumed; anything else
                                // is read on its own, as JSON.parse would.
                                let mark = self.pos;
                                let mut code = 0xFFFD;
                                if self.s.get(self.pos..self.pos + 2) == Some(b"\\u") {
                                    self.pos += 2;
                                    match self.hex4() {
                                        Ok(lo) if (0xDC00..0xE000).contains(&lo) => {
                                            code = 0x10000 + ((hi - 0xD800) << 10) + (lo - 0xDC00)
                                        }
                                        _ => self.pos = mark,
                                    }
                                }
                                code
                            } else {
                                hi
                            };
                            out.push(char::from_u32(code).unwrap_or('\u{FFFD}'));
                        }
                        _ => {
                            return Err(JsonSyntaxError {
                                offset: self.pos - 1,
                            })
                        }
                    }
                }
                _ => return Err(self.err()),
            }
        }
    }
}

impl Serialize for JsonValue {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        match self {
            JsonValue::Null => serializer.serialize_unit(),
            JsonValue::Bool(b) => serializer.serialize_bool(*b),
            JsonValue::Number(n) => serializer.serialize_f64(*n),
            JsonValue::String(s) => serializer.serialize_str(s),
            JsonValue::Array(items) => {
                let mut seq = serializer.serialize_seq(Some(items.len()))?;
                for item in items {
                    seq.serialize_element(item)?;
                }
                seq.end()
            }
            JsonValue::Object(entries) => {
                let mut map = serializer.serialize_map(Some(entries.len()))?;
                for (k, v) in entries {
                    map.serialize_entry(k, v)?;
                }
                map.end()
            }
        }
    }
}

impl<'de> Deserialize<'de> for JsonValue {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        struct V;
        impl<'de> Visitor<'de> for V {
            type Value = JsonValue;
            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("any JSON value")
            }
            fn visit_unit<E: de::Error>(self) -> Result<JsonValue, E> {
                Ok(JsonValue::Null)
            }
            fn visit_none<E: de::Error>(self) -> Result<JsonValue, E> {
                Ok(JsonValue::Null)
            }
            fn visit_some<D: Deserializer<'de>>(self, d: D) -> Result<JsonValue, D::Error> {
                JsonValue::deserialize(d)
            }
            fn visit_bool<E: de::Error>(self, v: bool) -> Result<JsonValue, E> {
                Ok(JsonValue::Bool(v))
            }
            fn visit_i64<E: de::Error>(self, v: i64) -> Result<JsonValue, E> {
                Ok(JsonValue::Number(v as f64))
            }
            fn visit_u64<E: de::Error>(self, v: u64) -> Result<JsonValue, E> {
                Ok(JsonValue::Number(v as f64))
            }
            fn visit_f64<E: de::Error>(self, v: f64) -> Result<JsonValue, E> {
                Ok(JsonValue::Number(v))
            }
            fn visit_str<E: de::Error>(self, v: &str) -> Result<JsonValue, E> {
                Ok(JsonValue::String(v.to_owned()))
            }
            fn visit_string<E: de::Error>(self, v: String) -> Result<JsonValue, E> {
                Ok(JsonValue::String(v))
            }
            fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<JsonValue, A::Error> {
                let mut items = Vec::new();
                while let Some(item) = seq.next_element()? {
                    items.push(item);
                }
                Ok(JsonValue::Array(items))
            }
            fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<JsonValue, A::Error> {
                let mut entries = Vec::new();
                while let Some((k, v)) = map.next_entry()? {
                    entries.push((k, v));
                }
                Ok(JsonValue::Object(entries))
            }
        }
        deserializer.deserialize_any(V)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_nested_values() {
        let v = parse(r#" {"a":[1,-2.5e3,true,null],"b":"x\"\u00e9\ud83d\ude00"} "#).unwrap();
        assert_eq!(
            v.get("a"),
            Some(&JsonValue::Array(vec![
                JsonValue::Number(1.0),
                JsonValue::Number(-2500.0),
                JsonValue::Bool(true),
                JsonValue::Null
            ]))
        );
        assert_eq!(v.get("b").and_then(JsonValue::as_str), Some("x\"é😀"));
    }

    #[test]
    fn refuses_bad_text_without_panicking() {
        for bad in [
            "",
            "{",
            "[1,",
            "\"abc",
            "{\"a\" 1}",
            "01x",
            "-",
            "1.",
            "1e",
            "tru",
            "\"\\x\"",
            "[1]x",
            "\"\\ud800\"",
            "{\"a\":1,}",
        ] {
            let r = parse(bad);
            if bad == "\"\\ud800\"" {
                assert_eq!(r.unwrap(), JsonValue::String("\u{FFFD}".into()));
            } else {
                assert!(r.is_err(), "{bad:?} should be refused");
            }
        }
        let deep = "[".repeat(10_000);
        assert!(parse(&deep).is_err());
    }

    #[test]
    fn prefix_reports_length() {
        let (v, used) = parse_prefix(r#"[{"a":1}] and more"#).unwrap();
        assert_eq!(used, 9);
        assert!(matches!(v, JsonValue::Array(_)));
    }

    #[test]
    fn writes_escaped_strings_like_serde_json() {
        for s in ["plain", "q\"b\\s/", "ctl\u{1}\u{1f}\n\t\r", "ünïcødé 😀"] {
            let mut out = String::new();
            write_string(&mut out, s);
            let back: String = serde_json::from_str(&out).unwrap();
            assert_eq!(back, s);
        }
    }

    #[test]
    fn round_trips_through_serde() {
        let v = parse(r#"{"x":[1,"two",{"three":null}],"y":false}"#).unwrap();
        let text = serde_json::to_string(&v).unwrap();
        let back: JsonValue = serde_json::from_str(&text).unwrap();
        assert_eq!(back, v);
        assert_eq!(parse(&v.to_json()).unwrap(), v);
    }
}

/// Why a JSON value does not have the expected shape. Deliberately without detail: formatting
/// serde's descriptions of unexpected values would pull float formatting into the wasm.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ShapeError;

impl fmt::Display for ShapeError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("unexpected JSON shape")
    }
}

impl std::error::Error for ShapeError {}

impl de::Error for ShapeError {
    fn custom<T: fmt::Display>(_msg: T) -> Self {
        ShapeError
    }
    fn invalid_type(_: de::Unexpected<'_>, _: &dyn de::Expected) -> Self {
        ShapeError
    }
    fn invalid_value(_: de::Unexpected<'_>, _: &dyn de::Expected) -> Self {
        ShapeError
    }
    fn invalid_length(_: usize, _: &dyn de::Expected) -> Self {
        ShapeError
    }
    fn unknown_variant(_: &str, _: &'static [&'static str]) -> Self {
        ShapeError
    }
    fn unknown_field(_: &str, _: &'static [&'static str]) -> Self {
        ShapeError
    }
    fn missing_field(_: &'static str) -> Self {
        ShapeError
    }
    fn duplicate_field(_: &'static str) -> Self {
        ShapeError
    }
}

impl<'de> de::IntoDeserializer<'de, ShapeError> for JsonValue {
    type Deserializer = JsonValue;
    fn into_deserializer(self) -> JsonValue {
        self
    }
}

/// Reads a [`JsonValue`] into any deserializable type: how the wasm build turns response
/// bodies into model types without serde_json.
impl<'de> Deserializer<'de> for JsonValue {
    type Error = ShapeError;

    fn deserialize_any<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, ShapeError> {
        match self {
            JsonValue::Null => visitor.visit_unit(),
            JsonValue::Bool(b) => visitor.visit_bool(b),
            JsonValue::Number(n) => {
                // Integers as integers, so integer fields accept them.
                if n.fract() == 0.0 && n.abs() < 9_007_199_254_740_992.0 {
                    visitor.visit_i64(n as i64)
                } else {
                    visitor.visit_f64(n)
                }
            }
            JsonValue::String(s) => visitor.visit_string(s),
            JsonValue::Array(items) => {
                visitor.visit_seq(de::value::SeqDeserializer::new(items.into_iter()))
            }
            JsonValue::Object(entries) => {
                visitor.visit_map(de::value::MapDeserializer::new(entries.into_iter()))
            }
        }
    }

    fn deserialize_option<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, ShapeError> {
        match self {
            JsonValue::Null => visitor.visit_none(),
            other => visitor.visit_some(other),
        }
    }

    fn deserialize_enum<V: Visitor<'de>>(
        self,
        _name: &'static str,
        _variants: &'static [&'static str],
        visitor: V,
    ) -> Result<V::Value, ShapeError> {
        match self {
            JsonValue::String(s) => {
                visitor.visit_enum(de::IntoDeserializer::<ShapeError>::into_deserializer(s))
            }
            _ => Err(ShapeError),
        }
    }

    serde::forward_to_deserialize_any! {
        bool i8 i16 i32 i64 i128 u8 u16 u32 u64 u128 f32 f64 char str string
        bytes byte_buf unit unit_struct newtype_struct seq tuple
        tuple_struct map struct identifier ignored_any
    }
}

/// Parses `text` and reads it as a `T`.
pub fn from_str<T: de::DeserializeOwned>(text: &str) -> Result<T, ShapeError> {
    let value = parse(text).map_err(|_| ShapeError)?;
    T::deserialize(value)
}

/// Serialises any `Serialize` value to compact JSON text. `None` fields that are not skipped
/// become `null`. Non-finite floats become `null`, as in JSON.stringify. The wasm build writes
/// its output types with the smaller hand-written [`crate::write`] instead; this stays for Rust
/// users and is the reference those writers are tested against.
pub fn to_string<T: Serialize + ?Sized>(value: &T) -> String {
    let mut out = String::with_capacity(256);
    // Writing to a String cannot fail, and the writer has no other error.
    let _ = value.serialize(Writer { out: &mut out });
    out
}

struct Writer<'a> {
    out: &'a mut String,
}

struct Compound<'a> {
    out: &'a mut String,
    first: bool,
    close: char,
}

impl Compound<'_> {
    fn sep(&mut self) {
        if !self.first {
            self.out.push(',');
        }
        self.first = false;
    }
}

/// Integer text without core::fmt.
pub(crate) fn write_int(out: &mut String, mut n: u64, negative: bool) {
    let mut buf = [0u8; 20];
    let mut i = buf.len();
    loop {
        i -= 1;
        if let Some(b) = buf.get_mut(i) {
            *b = b'0' + (n % 10) as u8;
        }
        n /= 10;
        if n == 0 || i == 0 {
            break;
        }
    }
    if negative {
        out.push('-');
    }
    for &b in buf.get(i..).unwrap_or_default() {
        out.push(char::from(b));
    }
}

/// A JSON number as the writers here write one: `null` for a non-finite value (as
/// `JSON.stringify` does), whole numbers without float formatting.
pub(crate) fn write_f64(out: &mut String, n: f64) {
    if !n.is_finite() {
        out.push_str("null");
    } else if n.fract() == 0.0 && n.abs() < 9_007_199_254_740_992.0 {
        write_int(out, n.abs() as u64, n < 0.0);
    } else {
        out.push_str(&crate::input::format_number(n));
    }
}

impl<'a> Serializer for Writer<'a> {
    type Ok = ();
    type Error = ShapeError;
    type SerializeSeq = Compound<'a>;
    type SerializeTuple = Compound<'a>;
    type SerializeTupleStruct = Compound<'a>;
    type SerializeTupleVariant = Compound<'a>;
    type SerializeMap = Compound<'a>;
    type SerializeStruct = Compound<'a>;
    type SerializeStructVariant = Compound<'a>;

    fn serialize_bool(self, v: bool) -> Result<(), ShapeError> {
        self.out.push_str(if v { "true" } else { "false" });
        Ok(())
    }
    fn serialize_i8(self, v: i8) -> Result<(), ShapeError> {
        self.serialize_i64(i64::from(v))
    }
    fn serialize_i16(self, v: i16) -> Result<(), ShapeError> {
        self.serialize_i64(i64::from(v))
    }
    fn serialize_i32(self, v: i32) -> Result<(), ShapeError> {
        self.serialize_i64(i64::from(v))
    }
    fn serialize_i64(self, v: i64) -> Result<(), ShapeError> {
        write_int(self.out, v.unsigned_abs(), v < 0);
        Ok(())
    }
    fn serialize_u8(self, v: u8) -> Result<(), ShapeError> {
        self.serialize_u64(u64::from(v))
    }
    fn serialize_u16(self, v: u16) -> Result<(), ShapeError> {
        self.serialize_u64(u64::from(v))
    }
    fn serialize_u32(self, v: u32) -> Result<(), ShapeError> {
        self.serialize_u64(u64::from(v))
    }
    fn serialize_u64(self, v: u64) -> Result<(), ShapeError> {
        write_int(self.out, v, false);
        Ok(())
    }
    fn serialize_f32(self, v: f32) -> Result<(), ShapeError> {
        self.serialize_f64(f64::from(v))
    }
    fn serialize_f64(self, v: f64) -> Result<(), ShapeError> {
        write_f64(self.out, v);
        Ok(())
    }
    fn serialize_char(self, v: char) -> Result<(), ShapeError> {
        let mut b = [0u8; 4];
        write_string(self.out, v.encode_utf8(&mut b));
        Ok(())
    }
    fn serialize_str(self, v: &str) -> Result<(), ShapeError> {
        write_string(self.out, v);
        Ok(())
    }
    fn serialize_bytes(self, v: &[u8]) -> Result<(), ShapeError> {
        let mut seq = self.serialize_seq(Some(v.len()))?;
        for b in v {
            SerializeSeq::serialize_element(&mut seq, b)?;
        }
        SerializeSeq::end(seq)
    }
    fn serialize_none(self) -> Result<(), ShapeError> {
        self.serialize_unit()
    }
    fn serialize_some<T: Serialize + ?Sized>(self, value: &T) -> Result<(), ShapeError> {
        value.serialize(self)
    }
    fn serialize_unit(self) -> Result<(), ShapeError> {
        self.out.push_str("null");
        Ok(())
    }
    fn serialize_unit_struct(self, _: &'static str) -> Result<(), ShapeError> {
        self.serialize_unit()
    }
    fn serialize_unit_variant(
        self,
        _: &'static str,
        _: u32,
        variant: &'static str,
    ) -> Result<(), ShapeError> {
        self.serialize_str(variant)
    }
    fn serialize_newtype_struct<T: Serialize + ?Sized>(
        self,
        _: &'static str,
        value: &T,
    ) -> Result<(), ShapeError> {
        value.serialize(self)
    }
    fn serialize_newtype_variant<T: Serialize + ?Sized>(
        self,
        _: &'static str,
        _: u32,
        variant: &'static str,
        value: &T,
    ) -> Result<(), ShapeError> {
        self.out.push('{');
        write_string(self.out, variant);
        self.out.push(':');
        value.serialize(Writer { out: self.out })?;
        self.out.push('}');
        Ok(())
    }
    fn serialize_seq(self, _: Option<usize>) -> Result<Compound<'a>, ShapeError> {
        self.out.push('[');
        Ok(Compound {
            out: self.out,
            first: true,
            close: ']',
        })
    }
    fn serialize_tuple(self, len: usize) -> Result<Compound<'a>, ShapeError> {
        self.serialize_seq(Some(len))
    }
    fn serialize_tuple_struct(
        self,
        _: &'static str,
        len: usize,
    ) -> Result<Compound<'a>, ShapeError> {
        self.serialize_seq(Some(len))
    }
    fn serialize_tuple_variant(
        self,
        _: &'static str,
        _: u32,
        _: &'static str,
        len: usize,
    ) -> Result<Compound<'a>, ShapeError> {
        self.serialize_seq(Some(len))
    }
    fn serialize_map(self, _: Option<usize>) -> Result<Compound<'a>, ShapeError> {
        self.out.push('{');
        Ok(Compound {
            out: self.out,
            first: true,
            close: '}',
        })
    }
    fn serialize_struct(self, _: &'static str, len: usize) -> Result<Compound<'a>, ShapeError> {
        self.serialize_map(Some(len))
    }
    fn serialize_struct_variant(
        self,
        _: &'static str,
        _: u32,
        _: &'static str,
        len: usize,
    ) -> Result<Compound<'a>, ShapeError> {
        self.serialize_map(Some(len))
    }
}

impl SerializeSeq for Compound<'_> {
    type Ok = ();
    type Error = ShapeError;
    fn serialize_element<T: Serialize + ?Sized>(&mut self, value: &T) -> Result<(), ShapeError> {
        self.sep();
        value.serialize(Writer { out: self.out })
    }
    fn end(self) -> Result<(), ShapeError> {
        self.out.push(self.close);
        Ok(())
    }
}

impl serde::ser::SerializeTuple for Compound<'_> {
    type Ok = ();
    type Error = ShapeError;
    fn serialize_element<T: Serialize + ?Sized>(&mut self, value: &T) -> Result<(), ShapeError> {
        SerializeSeq::serialize_element(self, value)
    }
    fn end(self) -> Result<(), ShapeError> {
        SerializeSeq::end(self)
    }
}

impl serde::ser::SerializeTupleStruct for Compound<'_> {
    type Ok = ();
    type Error = ShapeError;
    fn serialize_field<T: Serialize + ?Sized>(&mut self, value: &T) -> Result<(), ShapeError> {
        SerializeSeq::serialize_element(self, value)
    }
    fn end(self) -> Result<(), ShapeError> {
        SerializeSeq::end(self)
    }
}

impl serde::ser::SerializeTupleVariant for Compound<'_> {
    type Ok = ();
    type Error = ShapeError;
    fn serialize_field<T: Serialize + ?Sized>(&mut self, value: &T) -> Result<(), ShapeError> {
        SerializeSeq::serialize_element(self, value)
    }
    fn end(self) -> Result<(), ShapeError> {
        SerializeSeq::end(self)
    }
}

impl SerializeMap for Compound<'_> {
    type Ok = ();
    type Error = ShapeError;
    fn serialize_key<T: Serialize + ?Sized>(&mut self, key: &T) -> Result<(), ShapeError> {
        self.sep();
        key.serialize(Writer { out: self.out })?;
        self.out.push(':');
        Ok(())
    }
    fn serialize_value<T: Serialize + ?Sized>(&mut self, value: &T) -> Result<(), ShapeError> {
        value.serialize(Writer { out: self.out })
    }
    fn end(self) -> Result<(), ShapeError> {
        self.out.push(self.close);
        Ok(())
    }
}

impl serde::ser::SerializeStruct for Compound<'_> {
    type Ok = ();
    type Error = ShapeError;
    fn serialize_field<T: Serialize + ?Sized>(
        &mut self,
        key: &'static str,
        value: &T,
    ) -> Result<(), ShapeError> {
        self.sep();
        write_string(self.out, key);
        self.out.push(':');
        value.serialize(Writer { out: self.out })
    }
    fn end(self) -> Result<(), ShapeError> {
        self.out.push(self.close);
        Ok(())
    }
}

impl serde::ser::SerializeStructVariant for Compound<'_> {
    type Ok = ();
    type Error = ShapeError;
    fn serialize_field<T: Serialize + ?Sized>(
        &mut self,
        key: &'static str,
        value: &T,
    ) -> Result<(), ShapeError> {
        serde::ser::SerializeStruct::serialize_field(self, key, value)
    }
    fn end(self) -> Result<(), ShapeError> {
        self.out.push(self.close);
        Ok(())
    }
}

impl serde::ser::Error for ShapeError {
    fn custom<T: fmt::Display>(_msg: T) -> Self {
        ShapeError
    }
}

#[cfg(test)]
mod serde_tests {
    use super::*;
    use crate::model::{BatchResponse, Error};
    use crate::report::{BatchUpdateResult, FailedInput, FailureReason, RunStats};

    #[test]
    fn reads_model_types_like_serde_json() {
        let body = r#"{"status":"COMPLETE","results":[{"id":"1","properties":{"a":"5","b":null},"createdAt":"c","updatedAt":"u","archived":false,"objectWriteTraceId":"t"}],"numErrors":1,"errors":[{"status":"error","category":"OBJECT_NOT_FOUND","message":"m","context":{"ids":["9"]},"subCategory":{"x":[1,2.5]}}],"startedAt":"s","completedAt":"e","extra":{"ignored":true}}"#;
        let ours: BatchResponse = from_str(body).unwrap();
        let theirs: BatchResponse = serde_json::from_str(body).unwrap();
        assert_eq!(ours, theirs);
        let e = r#"{"status":"error","message":"x","correlationId":"c","category":"RATE_LIMITS","policyName":"DAILY","errors":[{"message":"d","in":"f","context":{"k":["v"]}}]}"#;
        assert_eq!(
            from_str::<Error>(e).unwrap(),
            serde_json::from_str::<Error>(e).unwrap()
        );
        assert!(from_str::<BatchResponse>(r#"{"status":"NOPE","results":[]}"#).is_err());
        assert!(from_str::<BatchResponse>(r#"{"status":"COMPLETE","results":"x"}"#).is_err());
        assert!(
            from_str::<BatchResponse>(r#"{"status":"COMPLETE","results":[],"numErrors":1.5}"#)
                .is_err()
        );
    }

    #[test]
    fn writes_json_like_serde_json() {
        let result = BatchUpdateResult {
            status: crate::model::BatchStatus::Canceled,
            results: vec![],
            errors: vec![],
            num_errors: 0,
            started_at: "a\"b".into(),
            completed_at: "c".into(),
            requested_at: None,
            failed: vec![FailedInput {
                index: 3,
                id: "x".into(),
                error: FailureReason::new(None, "NOT_UPDATED", "é\n"),
            }],
            stats: RunStats {
                requests: 1,
                retries: 0,
                rate_limited: 0,
                batches: 1,
                duration_ms: 12.5,
            },
        };
        let ours: serde_json::Value = serde_json::from_str(&to_string(&result)).unwrap();
        assert_eq!(ours, serde_json::to_value(&result).unwrap());
        assert_eq!(to_string(&-42i32), "-42");
        assert_eq!(to_string(&u64::MAX), "18446744073709551615");
        assert_eq!(to_string(&f64::NAN), "null");
        assert_eq!(to_string(&2.5f64), "2.5");
    }
}
