//! Requests straight from inputs given as JSON text: the fast path of
//! `buildBatchUpdateRequests` in the npm build.
//!
//! The long way ([`crate::input::validate_inputs`], then
//! [`crate::request::build_batch_update_requests`]) reads every value into a [`Value`], then
//! into a model type, then into a body: several owned copies of every string. Most calls carry
//! plain inputs (string ids; strings, finite numbers, booleans, `null`, string arrays and
//! `Date`s as values), and for those `JSON.stringify(inputs)` already holds each string in
//! exactly the form the body needs (it escapes as [`crate::json::write_string`] does). So this
//! reads that text once, checks it as `validate_inputs` would, and copies each string's JSON
//! text into the body without decoding it. (The glue sends a `Date` as its `getTime()`
//! number, which is also what the long way makes of it.)
//!
//! It only ever accepts: for anything `validate_inputs` would refuse, or that this reader does
//! not handle (escapes `JSON.stringify` does not write, lone surrogates, odd nesting), it
//! returns `None`, and the caller goes the long way, which also writes the error. Tests check
//! that both ways give the same requests.
//!
//! [`Value`]: crate::input::Value

use crate::config::ClientConfig;
use crate::engine::PreparedInput;
use crate::input::{first_duplicate, plain_decimal};
use crate::model::Map;
use crate::request::{batch_update_url, chunk_indexes, headers, HttpRequest};

/// The requests for the inputs in `json` (`JSON.stringify` of an array of inputs), or `None`
/// to go the long way.
pub fn requests(
    json: &str,
    default_id_property: Option<&str>,
    config: &ClientConfig,
) -> Option<Vec<HttpRequest>> {
    let default_id_property = match default_id_property {
        Some("") => return None,
        Some(p) => Some(crate::json::quote(p)),
        None => None,
    };
    let batch_size = config.batch_size.max(1);
    let mut bodies: Vec<String> = Vec::new();
    let mut keys = Vec::new();
    each_input(json, |input, props| {
        let id_property = input.id_property.or(default_id_property.as_deref());
        if keys.len() % batch_size == 0 {
            // Bodies are written as the inputs are read; the first body's size is a fair
            // guess of the next ones'.
            let guess = bodies
                .first()
                .map_or(256, |b: &String| b.len() + b.len() / 8);
            let mut body = String::with_capacity(guess);
            body.push_str("{\"inputs\":[");
            bodies.push(body);
        } else if let Some(body) = bodies.last_mut() {
            body.push(',');
        }
        keys.push(Keys {
            record: (
                match id_property {
                    None | Some("\"hs_object_id\"") => "",
                    Some(p) => p,
                },
                input.id,
            ),
            trace: input.trace,
        });
        let body = bodies.last_mut()?;
        body.push_str("{\"id\":");
        body.push_str(input.id);
        if let Some(p) = id_property {
            body.push_str(",\"idProperty\":");
            body.push_str(p);
        }
        if let Some(t) = input.trace {
            body.push_str(",\"objectWriteTraceId\":");
            body.push_str(t);
        }
        body.push_str(",\"properties\":{");
        body.push_str(props);
        body.push_str("}}");
        Some(())
    })?;
    if any_duplicate(&keys, |k| k.record, |k| k.trace) {
        return None;
    }
    let url = batch_update_url(config);
    let headers = headers(config);
    // A loop rather than `zip().map().collect()`, whose trusted-length collect links a
    // "capacity overflow" panic path (and without `zip`: fewer generic instances).
    // Bodies and chunks are taken out in place rather than by `into_iter()`, whose drop code
    // is linked once per element type.
    let mut out = Vec::with_capacity(bodies.len());
    let mut chunks = chunk_indexes(keys.len(), batch_size);
    for (i, body) in bodies.iter_mut().enumerate() {
        let Some(input_indexes) = chunks.get_mut(i).map(std::mem::take) else {
            break;
        };
        let mut body = std::mem::take(body);
        body.push_str("]}");
        out.push(HttpRequest {
            url: url.clone(),
            method: "POST",
            headers: headers.clone(),
            body,
            input_indexes,
        });
    }
    Some(out)
}

/// The validated inputs in `json` (`JSON.stringify` of an array of inputs), as
/// [`crate::input::validate_inputs`] would make them (prepared for the engine), or `None` to
/// go the long way. The fast path of `update()`, which needs the inputs themselves rather
/// than request bodies: their properties are kept as the text read here, never decoded.
pub fn inputs(json: &str, default_id_property: Option<&str>) -> Option<Vec<PreparedInput>> {
    if default_id_property == Some("") {
        return None;
    }
    let mut out = Vec::new();
    each_input(json, |input, props| {
        let id_property = match input.id_property {
            Some(p) => Some(decode(p)?),
            None => default_id_property.map(str::to_owned),
        };
        out.push(PreparedInput {
            id: decode(input.id)?,
            id_property,
            object_write_trace_id: match input.trace {
                Some(t) => Some(decode(t)?),
                None => None,
            },
            properties: props.to_owned(),
        });
        Some(())
    })?;
    // The long way writes the error.
    if any_duplicate(
        &out,
        |x| (x.id_key(), x.id.as_str()),
        |x| x.object_write_trace_id.as_deref(),
    ) {
        return None;
    }
    Some(out)
}

/// Whether two inputs name the same record (id property and id) or carry the same trace id:
/// what `check_unique` refuses, without its messages (the long way writes them).
fn any_duplicate<'a, T>(
    items: &'a [T],
    record: impl Fn(&'a T) -> (&'a str, &'a str),
    trace: impl Fn(&'a T) -> Option<&'a str>,
) -> bool {
    first_duplicate(items, |x| Some(record(x))).is_some()
        || first_duplicate(items, |x| trace(x).map(|t| ("", t))).is_some()
}

/// Reads the array of inputs in `json`, calling `each` with every input's strings and its
/// properties as `"name":"value",...` text; `None` as soon as either turns something down.
fn each_input<'a>(
    json: &'a str,
    mut each: impl FnMut(Input<'a>, &str) -> Option<()>,
) -> Option<()> {
    let mut r = Scan {
        s: json.as_bytes(),
        t: json,
        pos: 0,
    };
    let mut props = String::new();
    r.byte(b'[')?;
    if matches!(r.peek_ws(), Some(b']')) {
        r.pos += 1;
    } else {
        loop {
            let input = r.input(&mut props)?;
            each(input, &props)?;
            if !r.next_or_close(b']')? {
                break;
            }
        }
    }
    r.peek_ws().is_none().then_some(())
}

/// A string token's text, unescaped.
fn decode(token: &str) -> Option<String> {
    let inner = token.get(1..token.len().checked_sub(1)?)?;
    if !crate::text::has_byte(inner, b'\\') {
        return Some(inner.to_owned());
    }
    crate::json::Reader::new(token).string().ok()
}

/// The members text of an object (`"name":"value",...`, as `write_string` or
/// `JSON.stringify` write it) as a map, or `None` if it holds anything else.
pub(crate) fn members(props: &str) -> Option<Map<String>> {
    let mut r = Scan {
        s: props.as_bytes(),
        t: props,
        pos: 0,
    };
    let mut out = Vec::new();
    while r.peek_ws().is_some() {
        let name = decode(r.string()?)?;
        r.byte(b':')?;
        out.push((name, decode(r.string()?)?));
        if matches!(r.peek_ws(), Some(b',')) {
            r.pos += 1;
        }
    }
    Some(Map(out))
}

/// The keys `validate_inputs` checks for duplicates: `(id property, id)` and the trace id,
/// each as JSON text (the same string always has the same text, as `JSON.stringify` and
/// `write_string` write it).
struct Keys<'a> {
    record: (&'a str, &'a str),
    trace: Option<&'a str>,
}

/// One input's strings, as JSON text; its properties are written to the caller's buffer.
struct Input<'a> {
    id: &'a str,
    id_property: Option<&'a str>,
    trace: Option<&'a str>,
}

struct Scan<'a> {
    s: &'a [u8],
    t: &'a str,
    pos: usize,
}

impl<'a> Scan<'a> {
    /// The next byte, not taken. `JSON.stringify` writes no white space, so there is none
    /// to skip (text with some goes the long way): this is what lets `properties` copy runs
    /// of the text as they are.
    #[inline(always)]
    fn peek_ws(&mut self) -> Option<u8> {
        self.s.get(self.pos).copied()
    }

    #[inline(always)]
    fn byte(&mut self, b: u8) -> Option<()> {
        (self.peek_ws()? == b).then(|| self.pos += 1)
    }

    /// Past the `,` or `close` after a member or element: `true` when another one follows.
    #[inline(always)]
    fn next_or_close(&mut self, close: u8) -> Option<bool> {
        let b = self.peek_ws()?;
        (b == b',' || b == close).then(|| {
            self.pos += 1;
            b == b','
        })
    }

    /// A string's JSON text, quotes included, if it holds only what `JSON.stringify` writes
    /// and `write_string` would write the same way: no `\b`, `\f`, `\/` and no `\u` escape
    /// but those of control characters (so no lone surrogate either).
    fn string(&mut self) -> Option<&'a str> {
        self.byte(b'"')?;
        let start = self.pos - 1;
        loop {
            self.pos += crate::json::plain_run(self.s.get(self.pos..)?);
            match *self.s.get(self.pos)? {
                b'"' => {
                    self.pos += 1;
                    return self.t.get(start..self.pos);
                }
                b'\\' => {
                    match *self.s.get(self.pos + 1)? {
                        b'"' | b'\\' | b'n' | b'r' | b't' => self.pos += 2,
                        b'u' => {
                            let hex = self.s.get(self.pos + 2..self.pos + 6)?;
                            let control = matches!(hex, [b'0', b'0', b'0' | b'1', h] if h.is_ascii_digit() || (b'a'..=b'f').contains(h));
                            // \b and \f have short forms in JSON.stringify, not in write_string.
                            if !control || hex == b"0008" || hex == b"000c" {
                                return None;
                            }
                            self.pos += 6;
                        }
                        _ => return None,
                    }
                }
                0..=0x1f => return None,
                _ => self.pos += 1,
            }
        }
    }

    /// A non-empty string's JSON text.
    fn non_empty(&mut self) -> Option<&'a str> {
        self.string().filter(|s| s.len() > 2)
    }

    /// A number's text: what `String(n)` writes for a finite `n` (`-12`, `0.5`, `1e+21`,
    /// `1.5e-7`). Anything else goes the long way.
    fn number(&mut self) -> Option<&'a str> {
        let start = self.pos;
        self.pos += crate::json::number_len(self.s.get(start..)?).ok()?;
        let text = self.t.get(start..self.pos)?;
        // String(n) writes a lower-case exponent, and never one beyond 308 for a finite n.
        if crate::text::has_byte(text, b'E') {
            return None;
        }
        if crate::text::has_byte(text, b'e') {
            crate::input::parse_f64(text).filter(|n| n.is_finite())?;
        }
        Some(text)
    }

    fn literal(&mut self, word: &[u8]) -> Option<()> {
        (self.s.get(self.pos..self.pos + word.len())? == word).then(|| self.pos += word.len())
    }

    fn input(&mut self, props: &mut String) -> Option<Input<'a>> {
        self.byte(b'{')?;
        let mut input = Input {
            id: "",
            id_property: None,
            trace: None,
        };
        let mut has_properties = false;
        if matches!(self.peek_ws(), Some(b'}')) {
            return None;
        }
        loop {
            match self.string()? {
                "\"id\"" if input.id.is_empty() => {
                    self.byte(b':')?;
                    input.id = self.non_empty()?;
                }
                "\"idProperty\"" if input.id_property.is_none() => {
                    self.byte(b':')?;
                    input.id_property = Some(self.non_empty()?);
                }
                "\"objectWriteTraceId\"" if input.trace.is_none() => {
                    self.byte(b':')?;
                    input.trace = Some(self.non_empty()?);
                }
                "\"properties\"" if !has_properties => {
                    self.byte(b':')?;
                    self.properties(props)?;
                    has_properties = true;
                }
                _ => return None,
            }
            if !self.next_or_close(b'}')? {
                break;
            }
        }
        (has_properties && !input.id.is_empty()).then_some(input)
    }

    /// The properties object's members as the body wants them. `"name":"value"` pairs are
    /// already in that form, so runs of them are copied as they are; other values are
    /// written formatted in between.
    fn properties(&mut self, out: &mut String) -> Option<()> {
        out.clear();
        self.byte(b'{')?;
        if matches!(self.peek_ws(), Some(b'}')) {
            self.pos += 1;
            return Some(());
        }
        let mut run = self.pos;
        loop {
            self.non_empty()?;
            self.byte(b':')?;
            if matches!(self.peek_ws(), Some(b'"')) {
                self.string()?;
            } else {
                out.push_str(self.t.get(run..self.pos)?);
                self.value(out)?;
                run = self.pos;
            }
            if !self.next_or_close(b'}')? {
                // The run ends before the `}` just passed.
                out.push_str(self.t.get(run..self.pos - 1)?);
                return Some(());
            }
        }
    }

    /// One property value, written as the HubSpot string `format_value` makes of it.
    fn value(&mut self, out: &mut String) -> Option<()> {
        match self.peek_ws()? {
            b'"' => out.push_str(self.string()?),
            b't' => {
                self.literal(b"true")?;
                out.push_str("\"true\"");
            }
            b'f' => {
                self.literal(b"false")?;
                out.push_str("\"false\"");
            }
            b'n' => {
                self.literal(b"null")?;
                out.push_str("\"\"");
            }
            b'[' => {
                self.pos += 1;
                out.push('"');
                if matches!(self.peek_ws(), Some(b']')) {
                    self.pos += 1;
                } else {
                    let mut first = true;
                    loop {
                        let item = self.string()?;
                        let inner = item.get(1..item.len() - 1)?;
                        // HubSpot separates multi-select values with ";".
                        if crate::text::has_byte(inner, b';') {
                            return None;
                        }
                        if !first {
                            out.push(';');
                        }
                        out.push_str(inner);
                        first = false;
                        if !self.next_or_close(b']')? {
                            break;
                        }
                    }
                }
                out.push('"');
            }
            _ => {
                let text = self.number()?;
                out.push('"');
                if crate::text::has_byte(text, b'e') {
                    out.push_str(&plain_decimal(text));
                } else {
                    out.push_str(text);
                }
                out.push('"');
            }
        }
        Some(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::input::{validate_inputs, RawInput, Value};
    use crate::request::build_batch_update_requests;
    use proptest::prelude::*;

    /// A string as `JSON.stringify` writes it.
    fn js_string(out: &mut String, s: &str) {
        out.push('"');
        for c in s.chars() {
            match c {
                '"' => out.push_str("\\\""),
                '\\' => out.push_str("\\\\"),
                '\u{8}' => out.push_str("\\b"),
                '\u{c}' => out.push_str("\\f"),
                '\n' => out.push_str("\\n"),
                '\r' => out.push_str("\\r"),
                '\t' => out.push_str("\\t"),
                c if (c as u32) < 0x20 => out.push_str(&format!("\\u{:04x}", c as u32)),
                c => out.push(c),
            }
        }
        out.push('"');
    }

    #[derive(Clone, Debug)]
    enum V {
        Str(String),
        /// A number as `String(n)` writes it.
        Num(String),
        Bool(bool),
        Null,
        List(Vec<String>),
        Date(i64),
    }

    #[derive(Clone, Debug)]
    struct In {
        id: String,
        id_property: Option<String>,
        trace: Option<String>,
        props: Vec<(String, V)>,
        /// Where `properties` goes among the keys (JS keeps insertion order).
        props_first: bool,
    }

    fn text() -> impl Strategy<Value = String> {
        prop_oneof![
            6 => "[a-z0-9 _]{0,12}",
            1 => "[a-z\"\\\\;\u{8}\u{c}\n\r\t\u{1}\u{1f}é€😀/]{0,6}",
        ]
    }

    fn number() -> impl Strategy<Value = String> {
        prop_oneof![
            Just("0".to_owned()),
            (-1_000_000i64..1_000_000).prop_map(|n| n.to_string()),
            (1u32..99_999, 1u32..999).prop_map(|(a, b)| format!("{a}.{b}")),
            (-99_999i32..-1, 1u32..99).prop_map(|(a, b)| format!("{a}.{b}")),
            (1u32..9, 21u32..300).prop_map(|(d, e)| format!("{d}e+{e}")),
            (1u32..9, 1u32..9, 7u32..300).prop_map(|(d, f, e)| format!("-{d}.{f}e-{e}")),
        ]
    }

    fn value() -> impl Strategy<Value = V> {
        prop_oneof![
            4 => text().prop_map(V::Str),
            2 => number().prop_map(V::Num),
            1 => any::<bool>().prop_map(V::Bool),
            1 => Just(V::Null),
            1 => proptest::collection::vec(text(), 0..4).prop_map(V::List),
            2 => (-8_640_000_000_000_000i64..=8_640_000_000_000_000).prop_map(V::Date),
            1 => (1_600_000_000_000i64..1_900_000_000_000).prop_map(V::Date),
        ]
    }

    fn arb_inputs() -> impl Strategy<Value = Vec<In>> {
        let one = (
            prop_oneof![4 => "[0-9]{1,3}", 1 => text()],
            proptest::option::weighted(0.2, prop_oneof!["hs_object_id", "ext_id", ""]),
            proptest::option::weighted(0.2, "[a-c]{0,2}"),
            proptest::collection::vec(
                (prop_oneof![8 => "[a-z_]{1,8}", 1 => text()], value()),
                0..6,
            ),
            any::<bool>(),
        )
            .prop_map(|(id, id_property, trace, props, props_first)| {
                let mut seen = std::collections::HashSet::new();
                let props = props
                    .into_iter()
                    .filter(|(k, _)| seen.insert(k.clone()))
                    .collect();
                In {
                    id,
                    id_property,
                    trace,
                    props,
                    props_first,
                }
            });
        proptest::collection::vec(one, 0..12)
    }

    /// What the glue's quickInputs writes (`JSON.stringify`, a Date as its `getTime()`), and
    /// the values the long way reads from the same inputs.
    fn encode(inputs: &[In]) -> (String, Vec<RawInput>) {
        let mut json = String::from("[");
        let mut raw = Vec::new();
        for (i, input) in inputs.iter().enumerate() {
            if i > 0 {
                json.push(',');
            }
            let mut props_json = String::from("\"properties\":{");
            let mut props_raw = Vec::new();
            for (o, (k, v)) in input.props.iter().enumerate() {
                if o > 0 {
                    props_json.push(',');
                }
                js_string(&mut props_json, k);
                props_json.push(':');
                let value = match v {
                    V::Str(s) => {
                        js_string(&mut props_json, s);
                        Value::Str(s.clone())
                    }
                    V::Num(t) => {
                        props_json.push_str(t);
                        Value::Decimal(t.clone())
                    }
                    V::Bool(b) => {
                        props_json.push_str(if *b { "true" } else { "false" });
                        Value::Bool(*b)
                    }
                    V::Null => {
                        props_json.push_str("null");
                        Value::Null
                    }
                    V::List(items) => {
                        props_json.push('[');
                        for (n, s) in items.iter().enumerate() {
                            if n > 0 {
                                props_json.push(',');
                            }
                            js_string(&mut props_json, s);
                        }
                        props_json.push(']');
                        Value::List(items.iter().cloned().map(Value::Str).collect())
                    }
                    V::Date(ms) => {
                        props_json.push_str(&ms.to_string());
                        Value::Date(*ms as f64)
                    }
                };
                props_raw.push((k.clone(), value));
            }
            props_json.push('}');
            json.push('{');
            if input.props_first {
                json.push_str(&props_json);
                json.push(',');
            }
            json.push_str("\"id\":");
            js_string(&mut json, &input.id);
            for (key, v) in [
                ("idProperty", &input.id_property),
                ("objectWriteTraceId", &input.trace),
            ] {
                if let Some(v) = v {
                    json.push_str(&format!(",\"{key}\":"));
                    js_string(&mut json, v);
                }
            }
            if !input.props_first {
                json.push(',');
                json.push_str(&props_json);
            }
            json.push('}');
            let opt = |v: &Option<String>| v.clone().map_or(Value::Undefined, Value::Str);
            raw.push(RawInput::Object {
                id: Value::Str(input.id.clone()),
                properties: Ok(props_raw),
                id_property: opt(&input.id_property),
                object_write_trace_id: opt(&input.trace),
                unknown_fields: vec![],
            });
        }
        json.push(']');
        (json, raw)
    }

    fn config(batch_size: usize) -> ClientConfig {
        ClientConfig {
            access_token: Some(crate::config::Secret::new("t")),
            batch_size,
            ..ClientConfig::default()
        }
    }

    #[test]
    fn refuses_what_it_does_not_handle() {
        let c = config(100);
        for json in [
            "",
            "[",
            "[{}]",
            r#"[{"id":"1"}]"#,
            r#"[{"properties":{}}]"#,
            r#"[{"id":"","properties":{}}]"#,
            r#"[{"id":"1","properties":{},"x":1}]"#,
            r#"[{"id":"1","properties":{"a":{}}}]"#,
            r#"[{"id":"1","properties":{"a":[1]}}]"#,
            r#"[{"id":"1","properties":{"a":["x;y"]}}]"#,
            r#"[{"id":"1","properties":{"":"x"}}]"#,
            r#"[{"id":"1","properties":{"a":"\ud800"}}]"#,
            r#"[{"id":"1","properties":{"a":"\/"}}]"#,
            r#"[{"id":"1","properties":{"a":1e999}}]"#,
            r#"[{"id":"1","properties":{"a":01}}]"#,
            r#"[{"id":"1","properties":{"a":1.}}]"#,
            r#"[{"id":"1","properties":{"a":1E5}}]"#,
            r#"[{"id":"1","properties":{}},{"id":"1","properties":{}}]"#,
            r#"[{"id":"1","properties":{}}] x"#,
            r#"[{"id":"1", "properties":{}}]"#,
            r#"[{"id":"1","properties":{"a": 1}}]"#,
        ] {
            assert!(requests(json, None, &c).is_none(), "{json}");
            assert!(inputs(json, None).is_none(), "{json}");
        }
        let ok = r#"[{"id":"1","properties":{"a":1735689600000,"b":-0.5,"c":1e+21}}]"#;
        let body = &requests(ok, None, &c).unwrap()[0].body;
        assert_eq!(
            body,
            r#"{"inputs":[{"id":"1","properties":{"a":"1735689600000","b":"-0.5","c":"1000000000000000000000"}}]}"#
        );
        assert!(requests(ok, Some(""), &c).is_none());
        let model = inputs(
            r#"[{"id":"q\"1","properties":{"a":"x\ny","b":["p","q"],"c":null}}]"#,
            Some("ext"),
        )
        .unwrap();
        assert_eq!(model[0].id, "q\"1");
        assert_eq!(model[0].id_property.as_deref(), Some("ext"));
        assert_eq!(
            members(&model[0].properties).unwrap().0,
            vec![
                ("a".into(), "x\ny".into()),
                ("b".into(), "p;q".into()),
                ("c".into(), String::new())
            ]
        );
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(2000))]

        /// Whenever the fast path answers, the long way agrees on every byte; and on inputs the
        /// long way accepts, the fast path answers unless a string needs an escape it leaves to
        /// the long way (\b, \f).
        #[test]
        fn same_requests_as_the_long_way(
            inputs in arb_inputs(),
            default in proptest::option::weighted(0.2, prop_oneof!["hs_object_id", "ext_id"]),
            batch_size in 1usize..5,
        ) {
            let (json, raw) = encode(&inputs);
            let c = config(batch_size);
            let fast = requests(&json, default.as_deref(), &c);
            let slow = validate_inputs(&raw, default.as_deref()).map(|v| build_batch_update_requests(&v, &c));
            let valid = validate_inputs(&raw, default.as_deref());
            match (super::inputs(&json, default.as_deref()), &valid) {
                (Some(f), Ok(v)) => {
                    let v: Vec<PreparedInput> = v.iter().map(PreparedInput::from_model).collect();
                    prop_assert_eq!(f, v)
                }
                (Some(_), Err(e)) => prop_assert!(false, "inputs() accepted what the long way refuses: {}", e.message),
                (None, Ok(_)) => prop_assert!(json.contains("\\b") || json.contains("\\f"), "inputs() refused {}", json),
                (None, Err(_)) => {}
            }
            match (&fast, &slow) {
                (Some(f), Ok(s)) => prop_assert_eq!(f, s),
                (Some(_), Err(e)) => prop_assert!(false, "fast path accepted what the long way refuses: {}", e.message),
                (None, Ok(_)) => prop_assert!(json.contains("\\b") || json.contains("\\f"), "fast path refused {}", json),
                (None, Err(_)) => {}
            }
        }
    }
}
