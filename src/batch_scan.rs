//! A check of a batch response body that builds nothing: the fast path of
//! `parseBatchResponse` in the npm build.
//!
//! The long way reads the body into the model ([`crate::read::batch_response`]), writes the
//! model back as JSON and lets the JS engine's `JSON.parse` build the objects: two passes of
//! JSON text in wasm and one in JS. Most bodies are plain: every key is one the schema knows,
//! no `null` where the model has an `Option` (the long way would drop the key), every field
//! the model always writes is there, and no string holds a lone surrogate (the long way would
//! replace it). For such a body `JSON.parse(body)` already is what the long way returns,
//! keys aside in order, except for the top-level fields with defaults that it lacks, which
//! the caller adds ([`Fill`]). [`check`] says whether a body is plain, reading it once
//! without allocating; anything else (unknown keys, odd shapes, bodies the long way refuses)
//! gives `None`, and the caller goes the long way, which also writes the error. Tests check
//! that both ways give the same value.

/// A top-level field `JSON.parse(body)` lacks, and the default the long way gives it.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Fill {
    /// `completedAt` or `startedAt`: `""`.
    EmptyString(&'static str),
    /// `errors`: `[]`.
    EmptyList(&'static str),
    /// `numErrors`: `0`.
    Zero(&'static str),
}

#[derive(Clone, Copy)]
enum Kind {
    Str,
    /// `Option<String>` as a map value: `null` is kept.
    StrOrNull,
    Bool,
    Int,
    Status,
    /// Any JSON value (`subCategory`).
    Any,
    List(&'static Kind),
    Map(&'static Kind),
    Object(&'static [Field]),
}

/// A model field: its JSON name and kind, and whether the long way always writes it (a
/// required field, or a `#[serde(default)]` one that is not an `Option`).
#[derive(Clone, Copy)]
struct Field {
    name: &'static str,
    kind: Kind,
    written: bool,
}

const fn f(name: &'static str, kind: Kind, written: bool) -> Field {
    Field {
        name,
        kind,
        written,
    }
}

const STRINGS: Kind = Kind::List(&Kind::Str);

static WARNING: [Field; 3] = [
    f("category", Kind::Str, true),
    f("context", Kind::Map(&Kind::Str), true),
    f("message", Kind::Str, true),
];

static VALUE_WITH_TIMESTAMP: [Field; 6] = [
    f("sourceId", Kind::Str, false),
    f("sourceLabel", Kind::Str, false),
    f("sourceType", Kind::Str, true),
    f("timestamp", Kind::Str, true),
    f("updatedByUserId", Kind::Int, false),
    f("value", Kind::Str, true),
];

static OBJECT: [Field; 10] = [
    f("archived", Kind::Bool, true),
    f("archivedAt", Kind::Str, false),
    f("createdAt", Kind::Str, true),
    f("id", Kind::Str, true),
    f("objectWriteTraceId", Kind::Str, false),
    f("properties", Kind::Map(&Kind::StrOrNull), true),
    f(
        "propertiesWithHistory",
        Kind::Map(&Kind::List(&Kind::Object(&VALUE_WITH_TIMESTAMP))),
        false,
    ),
    f("updatedAt", Kind::Str, true),
    f("url", Kind::Str, false),
    f("warnings", Kind::List(&Kind::Object(&WARNING)), false),
];

static DETAIL: [Field; 5] = [
    f("code", Kind::Str, false),
    f("context", Kind::Map(&STRINGS), false),
    f("in", Kind::Str, false),
    f("message", Kind::Str, true),
    f("subCategory", Kind::Str, false),
];

static STANDARD_ERROR: [Field; 9] = [
    f("category", Kind::Str, true),
    f("context", Kind::Map(&STRINGS), true),
    f("errors", Kind::List(&Kind::Object(&DETAIL)), true),
    f("id", Kind::Str, false),
    f("links", Kind::Map(&Kind::Str), true),
    f("message", Kind::Str, true),
    f("status", Kind::Str, true),
    f("subCategory", Kind::Any, false),
    f("objectWriteTraceId", Kind::Str, false),
];

static BATCH: [Field; 8] = [
    f("completedAt", Kind::Str, true),
    f("errors", Kind::List(&Kind::Object(&STANDARD_ERROR)), true),
    f("links", Kind::Map(&Kind::Str), false),
    f("numErrors", Kind::Int, true),
    f("requestedAt", Kind::Str, false),
    f("results", Kind::List(&Kind::Object(&OBJECT)), true),
    f("startedAt", Kind::Str, true),
    f("status", Kind::Status, true),
];

/// Nesting allowed inside `subCategory`, as in [`crate::json::parse`].
const MAX_DEPTH: u32 = 128;

/// `Some(fields to add)` when `JSON.parse(body)` plus those fields is what the long way
/// makes of this 200/207 body; `None` to go the long way.
pub fn check(body: &str) -> Option<Vec<Fill>> {
    let mut w = Walk {
        s: body.as_bytes(),
        pos: 0,
    };
    let seen = w.object(&BATCH, 0)?;
    if w.peek().is_some() {
        return None;
    }
    let mut fill = Vec::new();
    for (i, field) in BATCH.iter().enumerate() {
        if seen & (1 << i) != 0 {
            continue;
        }
        fill.push(match field.name {
            "completedAt" | "startedAt" => Fill::EmptyString(field.name),
            "errors" => Fill::EmptyList(field.name),
            "numErrors" => Fill::Zero(field.name),
            _ if field.written => return None, // results, status: required
            _ => continue,
        });
    }
    Some(fill)
}

struct Walk<'a> {
    s: &'a [u8],
    pos: usize,
}

impl<'a> Walk<'a> {
    /// The next byte after white space, not taken.
    #[inline(always)]
    fn peek(&mut self) -> Option<u8> {
        while let Some(b' ' | b'\n' | b'\r' | b'\t') = self.s.get(self.pos) {
            self.pos += 1;
        }
        self.s.get(self.pos).copied()
    }

    #[inline(always)]
    fn eat(&mut self, b: u8) -> Option<()> {
        (self.peek()? == b).then(|| self.pos += 1)
    }

    /// A string's content, escapes as they are. `None` for invalid text and for `\u`
    /// escapes of surrogates (a lone one would be replaced by the long way, and telling
    /// lone from paired is not worth it here).
    fn string(&mut self) -> Option<&'a [u8]> {
        self.eat(b'"')?;
        let start = self.pos;
        loop {
            self.pos += crate::json::plain_run(self.s.get(self.pos..)?);
            match *self.s.get(self.pos)? {
                b'"' => {
                    let out = self.s.get(start..self.pos);
                    self.pos += 1;
                    return out;
                }
                b'\\' => match *self.s.get(self.pos + 1)? {
                    b'"' | b'\\' | b'/' | b'b' | b'f' | b'n' | b'r' | b't' => self.pos += 2,
                    b'u' => {
                        let hex = self.s.get(self.pos + 2..self.pos + 6)?;
                        if !hex.iter().all(u8::is_ascii_hexdigit)
                            || matches!(hex.first(), Some(b'd' | b'D'))
                                && matches!(
                                    hex.get(1),
                                    Some(b'8'..=b'9' | b'a'..=b'f' | b'A'..=b'F')
                                )
                        {
                            return None;
                        }
                        self.pos += 6;
                    }
                    _ => return None,
                },
                _ => return None,
            }
        }
    }

    /// A JSON number's text.
    fn number(&mut self) -> Option<&'a str> {
        self.peek()?;
        let start = self.pos;
        self.pos += crate::json::number_len(self.s.get(start..)?).ok()?;
        std::str::from_utf8(self.s.get(start..self.pos)?).ok()
    }

    fn literal(&mut self, word: &[u8]) -> Option<()> {
        self.peek()?;
        (self.s.get(self.pos..self.pos + word.len())? == word).then(|| self.pos += word.len())
    }

    /// `[item, ...]` or `{"key": item, ...}`, calling `each` at every item.
    // Not inlined: a smaller wasm (measured with scripts/check-size; see bench/SIZE-NOTES.md).
    #[inline(never)]
    fn items(
        &mut self,
        close: u8,
        keyed: bool,
        mut each: impl FnMut(&mut Self) -> Option<()>,
    ) -> Option<()> {
        self.pos += 1; // the opening bracket, already peeked
        if self.peek()? == close {
            self.pos += 1;
            return Some(());
        }
        loop {
            if keyed {
                self.string()?;
                self.eat(b':')?;
            }
            each(self)?;
            match self.peek()? {
                b',' => self.pos += 1,
                b if b == close => {
                    self.pos += 1;
                    return Some(());
                }
                _ => return None,
            }
        }
    }

    fn value(&mut self, kind: Kind, depth: u32) -> Option<()> {
        match (kind, self.peek()?) {
            (Kind::Str | Kind::StrOrNull, b'"') => self.string().map(|_| ()),
            (Kind::StrOrNull, b'n') => self.literal(b"null"),
            (Kind::Bool, b't') => self.literal(b"true"),
            (Kind::Bool, b'f') => self.literal(b"false"),
            (Kind::Int, _) => {
                let n = self.number_value()?;
                (n.fract() == 0.0 && (f64::from(i32::MIN)..=f64::from(i32::MAX)).contains(&n))
                    .then_some(())
            }
            (Kind::Status, b'"') => matches!(
                self.string()?,
                b"CANCELED" | b"COMPLETE" | b"PENDING" | b"PROCESSING"
            )
            .then_some(()),
            (Kind::Any, _) => self.any(depth),
            (Kind::List(item), b'[') => self.items(b']', false, |w| w.value(*item, depth + 1)),
            (Kind::Map(item), b'{') => self.items(b'}', true, |w| w.value(*item, depth + 1)),
            (Kind::Object(fields), b'{') => {
                let seen = self.object(fields, depth)?;
                let all = fields
                    .iter()
                    .enumerate()
                    .all(|(i, f)| !f.written || seen & (1 << i) != 0);
                all.then_some(())
            }
            _ => None,
        }
    }

    /// An object of the model: known keys only, each at most once. Returns which were seen.
    fn object(&mut self, fields: &'static [Field], depth: u32) -> Option<u32> {
        if depth > MAX_DEPTH || self.peek()? != b'{' {
            return None;
        }
        let mut seen = 0u32;
        self.pos += 1;
        if self.peek()? == b'}' {
            self.pos += 1;
            return Some(seen);
        }
        loop {
            let key = self.string()?;
            let i = fields.iter().position(|f| f.name.as_bytes() == key)?;
            if seen & (1 << i) != 0 {
                return None;
            }
            seen |= 1 << i;
            self.eat(b':')?;
            self.value(fields.get(i)?.kind, depth + 1)?;
            match self.peek()? {
                b',' => self.pos += 1,
                b'}' => {
                    self.pos += 1;
                    return Some(seen);
                }
                _ => return None,
            }
        }
    }

    /// Any JSON value but a top-level `null` (an `Option` the long way would drop).
    fn any(&mut self, depth: u32) -> Option<()> {
        if depth > MAX_DEPTH {
            return None;
        }
        match self.peek()? {
            b'"' => self.string().map(|_| ()),
            b't' => self.literal(b"true"),
            b'f' => self.literal(b"false"),
            b'[' => self.items(b']', false, |w| w.any_or_null(depth + 1)),
            b'{' => self.items(b'}', true, |w| w.any_or_null(depth + 1)),
            _ => self.number_value().map(|_| ()),
        }
    }

    /// A number the long way writes back as `JSON.parse` reads it: finite (it writes
    /// anything else as `null`) and not -0 (it writes `0`).
    fn number_value(&mut self) -> Option<f64> {
        let text = self.number()?;
        // Short integers need no float parsing (which in the npm build calls into JS).
        let n = match text.strip_prefix("-").unwrap_or(text) {
            t if t.len() <= 9 && t.bytes().all(|b| b.is_ascii_digit()) => {
                let v = t.bytes().fold(0f64, |n, d| n * 10.0 + f64::from(d - b'0'));
                if text.starts_with("-") {
                    -v
                } else {
                    v
                }
            }
            _ => crate::input::parse_f64(text)?,
        };
        (n.is_finite() && !(n == 0.0 && n.is_sign_negative())).then_some(n)
    }

    fn any_or_null(&mut self, depth: u32) -> Option<()> {
        if self.peek()? == b'n' {
            self.literal(b"null")
        } else {
            self.any(depth)
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::json::JsonValue;
    use crate::read::tests::{arb_value, arr, detail, obj, s, shaped_with};
    use proptest::prelude::*;

    /// What the long way returns, as JS would see it: `None` when it refuses the body.
    fn long_way(body: &str) -> Option<serde_json::Value> {
        let model = crate::read::batch_response(crate::json::parse(body).ok()?).ok()?;
        Some(normal(
            serde_json::from_str(&crate::json::to_string(&model)).ok()?,
        ))
    }

    /// What the fast path returns: `JSON.parse(body)` and the fields it adds.
    fn fast_way(body: &str) -> Option<serde_json::Value> {
        let fill = check(body)?;
        let mut v: serde_json::Value = serde_json::from_str(body).expect("checked bodies are JSON");
        let o = v.as_object_mut().expect("an object");
        for f in fill {
            let (k, d) = match f {
                Fill::EmptyString(k) => (k, serde_json::json!("")),
                Fill::EmptyList(k) => (k, serde_json::json!([])),
                Fill::Zero(k) => (k, serde_json::json!(0)),
            };
            assert!(o.insert(k.to_owned(), d).is_none(), "{k} was there");
        }
        Some(normal(v))
    }

    /// Numbers as JS holds them (1.0 and 1 are one value), so equality is JS's.
    fn normal(v: serde_json::Value) -> serde_json::Value {
        use serde_json::Value as V;
        match v {
            // -0 is told apart, as Object.is would.
            V::Number(n) => match n.as_f64().expect("finite") {
                z if z == 0.0 && z.is_sign_negative() => V::String("-0".into()),
                z => V::from(z),
            },
            V::Array(a) => V::Array(a.into_iter().map(normal).collect()),
            V::Object(o) => V::Object(o.into_iter().map(|(k, v)| (k, normal(v))).collect()),
            other => other,
        }
    }

    fn text() -> BoxedStrategy<JsonValue> {
        prop_oneof![
            4 => s(),
            1 => "[a-z\"\\\\/\u{1}é😀]{0,5}".prop_map(JsonValue::String),
        ]
        .boxed()
    }

    /// Bodies with every field the schema has, now and then missing, null, mistyped or
    /// joined by an unknown key: mostly plain, so both ways are exercised.
    fn body() -> BoxedStrategy<JsonValue> {
        let shaped = |fields| shaped_with(fields, 0.97, 60, 0.01);
        let int = prop_oneof![
            Just(0.0),
            Just(2.0),
            Just(-1.0),
            Just(0.5),
            Just(3e9),
            Just(-0.0)
        ]
        .prop_map(JsonValue::Number)
        .boxed();
        let b = any::<bool>().prop_map(JsonValue::Bool).boxed();
        let vwt = shaped(vec![
            ("sourceId", text()),
            ("sourceLabel", text()),
            ("sourceType", text()),
            ("timestamp", text()),
            ("updatedByUserId", int.clone()),
            ("value", text()),
        ])
        .boxed();
        let warning = shaped(vec![
            ("category", text()),
            ("context", obj(text())),
            ("message", text()),
        ])
        .boxed();
        let object = shaped(vec![
            ("archived", b),
            ("archivedAt", text()),
            ("createdAt", text()),
            ("id", text()),
            ("objectWriteTraceId", text()),
            (
                "properties",
                obj(prop_oneof![text(), Just(JsonValue::Null)].boxed()),
            ),
            ("propertiesWithHistory", obj(arr(vwt))),
            ("updatedAt", text()),
            ("url", text()),
            ("warnings", arr(warning)),
        ])
        .boxed();
        let standard = shaped(vec![
            ("category", text()),
            ("context", obj(arr(text()))),
            ("errors", arr(detail())),
            ("id", text()),
            ("links", obj(text())),
            ("message", text()),
            ("status", text()),
            ("subCategory", arb_value().boxed()),
            ("objectWriteTraceId", text()),
        ])
        .boxed();
        shaped(vec![
            ("completedAt", text()),
            ("errors", arr(standard)),
            ("links", obj(text())),
            ("numErrors", int),
            ("requestedAt", text()),
            ("results", arr(object)),
            ("startedAt", text()),
            (
                "status",
                prop::sample::select(vec![
                    "COMPLETE",
                    "PENDING",
                    "CANCELED",
                    "PROCESSING",
                    "DONE",
                ])
                .prop_map(|s| JsonValue::String(s.to_owned()))
                .boxed(),
            ),
        ])
        .boxed()
    }

    proptest! {
        #![proptest_config(ProptestConfig { cases: 3000, ..ProptestConfig::default() })]

        /// When the fast path answers, it answers what the long way would.
        #[test]
        fn same_value_as_the_long_way(v in prop_oneof![4 => body(), 1 => arb_value()]) {
            let text = v.to_json();
            if let Some(fast) = fast_way(&text) {
                let slow = long_way(&text);
                prop_assert_eq!(Some(fast), slow, "{}", text);
            }
        }
    }

    #[test]
    fn plain_bodies_take_the_fast_path() {
        let body = r#"{"status":"COMPLETE","results":[{"id":"1","properties":{"a":"x","b":null},"createdAt":"c","updatedAt":"u","archived":false}],"startedAt":"s","completedAt":"c"}"#;
        assert_eq!(
            check(body),
            Some(vec![Fill::EmptyList("errors"), Fill::Zero("numErrors")])
        );
        assert_eq!(fast_way(body), long_way(body));
        let refused = [
            r#"{"status":"COMPLETE"}"#,
            r#"{"results":[]}"#,
            r#"{"status":"COMPLETE","results":[],"x":1}"#,
            r#"{"status":"COMPLETE","results":[],"links":null}"#,
            r#"{"status":"COMPLETE","results":[],"status":"COMPLETE"}"#,
            r#"{"status":"COMPLETE","results":[{"id":"1"}]}"#,
            r#"{"status":"COMPLETE","results":[],"startedAt":"\ud800"}"#,
            r#"{"status":"COMPLETE","results":[],"numErrors":-0}"#,
            r#"{"status":"COMPLETE","results":[],"numErrors":1.5}"#,
            r#"{"st\u0061tus":"COMPLETE","results":[]}"#,
            r#"{"status":"COMPLETE","results":[]} x"#,
            r#"["COMPLETE"]"#,
        ];
        for body in refused {
            assert_eq!(check(body), None, "{body}");
        }
    }

    #[test]
    fn the_generator_reaches_the_fast_path() {
        use proptest::strategy::ValueTree;
        use proptest::test_runner::TestRunner;
        let mut runner = TestRunner::deterministic();
        let (mut fast, mut with_results) = (0, 0);
        for _ in 0..2000 {
            let text = body().new_tree(&mut runner).unwrap().current().to_json();
            if check(&text).is_some() {
                fast += 1;
                with_results += text.contains("\"results\":[{") as u32;
            }
        }
        assert!(fast > 150 && with_results > 50, "{fast} {with_results}");
    }
}
