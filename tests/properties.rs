//! Property tests of the core: formatting, chunking, request bodies, the JSON reader and
//! writer, the engine's splitting of rejected batches, and ISO 8601 times.

use std::collections::BTreeSet;

use hubspot_batch::config::{ClientConfig, Secret};
use hubspot_batch::engine::{Action, Engine, Outcome};
use hubspot_batch::input::{self, format_number, format_value, RawInput, Value};
use hubspot_batch::json::{self, JsonValue};
use hubspot_batch::model::{
    self, BatchInputSimplePublicObjectBatchInput, BatchResponse, BatchStatus, Map,
    SimplePublicObject, SimplePublicObjectBatchInput,
};
use hubspot_batch::read;
use hubspot_batch::report::{BatchUpdateResult, FailedInput, FailureReason, Progress, RunStats};
use hubspot_batch::request::{self, chunk_indexes, encode_body};
use hubspot_batch::response::{Body, ResponseMeta};
use hubspot_batch::time::iso8601;
use hubspot_batch::write::{self, WriteJson};
use proptest::prelude::*;

// ---------------------------------------------------------------------------------------
// Property values
// ---------------------------------------------------------------------------------------

/// Finite doubles of every kind: any bit pattern, integers, cents, and the edges.
fn finite_f64() -> impl Strategy<Value = f64> {
    prop_oneof![
        4 => any::<u64>().prop_map(f64::from_bits).prop_filter("finite", |x| x.is_finite()),
        1 => any::<i64>().prop_map(|i| i as f64),
        1 => any::<i32>().prop_map(|c| f64::from(c) / 100.0),
        1 => -1e6f64..1e6,
        1 => prop::sample::select(vec![
            0.0, -0.0, 1.0, -1.0, 0.1, 0.3, 1e21, 1e-7, 1e-6, 9_007_199_254_740_993.0, f64::MAX, f64::MIN,
            f64::MIN_POSITIVE, 5e-324, -5e-324, f64::EPSILON,
        ]),
    ]
}

/// The significant digits of a decimal text, without sign, point, or leading and trailing zeros.
fn significant_digits(s: &str) -> String {
    let digits: String = s.chars().filter(char::is_ascii_digit).collect();
    digits
        .trim_start_matches('0')
        .trim_end_matches('0')
        .to_owned()
}

/// Plain decimal as HubSpot reads it: `-?(0|[1-9][0-9]*)(\.[0-9]*[1-9])?`.
fn is_plain_decimal(s: &str) -> bool {
    let body = s.strip_prefix('-').unwrap_or(s);
    let (int, frac) = match body.split_once('.') {
        Some((i, f)) => (i, Some(f)),
        None => (body, None),
    };
    let int_ok = int == "0"
        || (!int.is_empty() && !int.starts_with('0') && int.bytes().all(|b| b.is_ascii_digit()));
    let frac_ok = frac.is_none_or(|f| {
        !f.is_empty() && !f.ends_with('0') && f.bytes().all(|b| b.is_ascii_digit())
    });
    int_ok && frac_ok && s != "-0"
}

/// An independent reference for numbers as HubSpot strings: JS's `String(n)` digits (the
/// shortest that read back, which `{:e}` also picks) written out in plain decimal, by moving
/// the point of the `{:e}` mantissa. Shares no code with `format_number`.
fn reference_plain_decimal(x: f64) -> String {
    if x == 0.0 {
        return "0".to_owned(); // -0 too, as String(-0) is "0"
    }
    let sci = format!("{:e}", x.abs()); // "1.2345e-7", "1e21"
    let (mantissa, exp) = sci.split_once('e').unwrap();
    let exp: i64 = exp.parse().unwrap();
    let digits: String = mantissa.chars().filter(|c| *c != '.').collect();
    // value = 0.<digits> * 10^(exp + 1): the point goes after exp + 1 digits
    let point = exp + 1;
    let plain = if point <= 0 {
        format!("0.{}{digits}", "0".repeat((-point) as usize))
    } else if point as usize >= digits.len() {
        format!("{digits}{}", "0".repeat(point as usize - digits.len()))
    } else {
        format!(
            "{}.{}",
            &digits[..point as usize],
            &digits[point as usize..]
        )
    };
    if x < 0.0 {
        format!("-{plain}")
    } else {
        plain
    }
}

/// Fixed cases, written out by hand (what JS's `String(n)` gives, without the exponent).
#[test]
fn numbers_format_as_the_fixed_cases_say() {
    let cases: Vec<(f64, String)> = vec![
        (0.0, "0".into()),
        (-0.0, "0".into()),
        (1.0, "1".into()),
        (-1.5, "-1.5".into()),
        (100.0, "100".into()),
        (0.1, "0.1".into()),
        (0.1 + 0.2, "0.30000000000000004".into()),
        (4.35, "4.35".into()),
        (123_456_789.125, "123456789.125".into()),
        (-1e-6, "-0.000001".into()),
        (1e-7, "0.0000001".into()),
        (1.5e-7, "0.00000015".into()),
        (2.5e-5, "0.000025".into()),
        (123e-20, "0.00000000000000000123".into()),
        (f64::EPSILON, "0.0000000000000002220446049250313".into()),
        (9_007_199_254_740_992.0, "9007199254740992".into()),
        (9_007_199_254_740_994.0, "9007199254740994".into()),
        (-9_007_199_254_740_996.0, "-9007199254740996".into()),
        (1e16, "10000000000000000".into()),
        (1e21, "1000000000000000000000".into()),
        (1.5e300, format!("15{}", "0".repeat(299))),
        (f64::MAX, format!("17976931348623157{}", "0".repeat(292))),
        (5e-324, format!("0.{}5", "0".repeat(323))),
        (-5e-324, format!("-0.{}5", "0".repeat(323))),
    ];
    for (x, want) in &cases {
        assert_eq!(&format_value(&Value::Number(*x)).unwrap(), want, "{x:e}");
        assert_eq!(
            &reference_plain_decimal(*x),
            want,
            "the reference itself, {x:e}"
        );
    }
    // Dates: epoch milliseconds, truncated toward zero (a JS time value), -0 as "0".
    for (ms, want) in [
        (1.9, "1"),
        (-1.9, "-1"),
        (-0.5, "0"),
        (0.0, "0"),
        (1_700_000_000_000.75, "1700000000000"),
        (8.64e15, "8640000000000000"),
        (-8.64e15, "-8640000000000000"),
    ] {
        assert_eq!(format_value(&Value::Date(ms)).unwrap(), want, "Date({ms})");
    }
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 2000, ..ProptestConfig::default() })]

    /// Every finite number formats as plain decimal that reads back as the same number, with
    /// the shortest digits that do so (the digits `{:e}` picks), and never an exponent.
    #[test]
    fn numbers_format_as_plain_decimal_and_round_trip(x in finite_f64()) {
        let s = format_value(&Value::Number(x)).unwrap();
        prop_assert!(!s.contains(['e', 'E']), "{x:e} -> {s}");
        prop_assert!(is_plain_decimal(&s), "{x:e} -> {s}");
        let back: f64 = s.parse().unwrap();
        prop_assert_eq!(back, x, "{} did not read back", s);
        if x == 0.0 {
            prop_assert_eq!(s.as_str(), "0");
        } else {
            let sci = format!("{x:e}");
            let mantissa = sci.split('e').next().unwrap();
            prop_assert_eq!(significant_digits(&s), significant_digits(mantissa), "not the shortest digits: {}", s);
        }
        prop_assert_eq!(&s, &reference_plain_decimal(x), "{:e}", x);
        prop_assert_eq!(format_number(x), s);
    }

    /// Dates are epoch milliseconds, truncated toward zero like a JS time value.
    #[test]
    fn dates_format_as_whole_epoch_milliseconds(ms in prop_oneof![finite_f64(), -8.64e15f64..8.64e15]) {
        let s = format_value(&Value::Date(ms)).unwrap();
        prop_assert_eq!(&s, &reference_plain_decimal(ms.trunc()), "Date({:e})", ms);
        prop_assert!(!s.contains('.'), "{}", s);
    }
}

#[test]
fn non_finite_numbers_and_invalid_dates_are_refused() {
    for x in [f64::NAN, f64::INFINITY, f64::NEG_INFINITY] {
        assert!(format_value(&Value::Number(x)).is_err());
        assert!(format_value(&Value::Date(x)).is_err());
    }
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 500, ..ProptestConfig::default() })]

    /// Arrays of strings without `;` join with `;` and split back into the same strings.
    #[test]
    fn string_arrays_join_and_split_back(items in prop::collection::vec("[^;]*", 1..8)) {
        let list = Value::List(items.iter().cloned().map(Value::Str).collect());
        let s = format_value(&list).unwrap();
        prop_assert_eq!(&s, &items.join(";"));
        prop_assert_eq!(s.split(';').map(str::to_owned).collect::<Vec<_>>(), items);
    }

    /// An element with `;` (or not a string) is refused, naming the first such element.
    #[test]
    fn arrays_name_their_first_bad_element(
        items in prop::collection::vec("[^;]{0,4}", 0..6),
        bad_at in any::<prop::sample::Index>(),
        bad in prop_oneof![
            "[^;]{0,3};[^;]{0,3}".prop_map(Value::Str),
            Just(Value::Number(1.0)),
            Just(Value::Null),
            Just(Value::List(vec![])),
        ],
    ) {
        let mut values: Vec<Value> = items.into_iter().map(Value::Str).collect();
        let at = bad_at.index(values.len() + 1);
        values.insert(at, bad);
        let why = format_value(&Value::List(values)).unwrap_err();
        prop_assert!(why.starts_with(&format!("[{at}]: ")), "{}", why);
    }
}

#[test]
fn empty_arrays_and_null_clear_the_value() {
    assert_eq!(format_value(&Value::List(vec![])).unwrap(), "");
    assert_eq!(format_value(&Value::Null).unwrap(), "");
}

// ---------------------------------------------------------------------------------------
// Chunking and request bodies
// ---------------------------------------------------------------------------------------

proptest! {
    #![proptest_config(ProptestConfig { cases: 1000, ..ProptestConfig::default() })]

    /// Chunks cover 0..n in order, all full but the last.
    #[test]
    fn chunks_cover_everything_in_order(n in 0usize..3000, batch in 0usize..150) {
        let size = batch.max(1);
        let chunks = chunk_indexes(n, batch);
        prop_assert_eq!(chunks.len(), n.div_ceil(size));
        let flat: Vec<usize> = chunks.iter().flatten().copied().collect();
        prop_assert_eq!(flat, (0..n).collect::<Vec<_>>());
        if let Some((last, full)) = chunks.split_last() {
            prop_assert!(full.iter().all(|c| c.len() == size));
            prop_assert!(!last.is_empty() && last.len() <= size);
        }
    }
}

fn batch_input() -> impl Strategy<Value = SimplePublicObjectBatchInput> {
    (
        any::<String>(),
        prop::collection::vec((any::<String>(), any::<String>()), 0..5),
        prop::option::of(any::<String>()),
        prop::option::of(any::<String>()),
    )
        .prop_map(|(id, properties, id_property, object_write_trace_id)| {
            SimplePublicObjectBatchInput {
                id,
                properties: Map(properties),
                id_property,
                object_write_trace_id,
            }
        })
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 500, ..ProptestConfig::default() })]

    /// The hand-written body means what serde_json's serialization means, for any unicode.
    #[test]
    fn request_bodies_match_serde_json(inputs in prop::collection::vec(batch_input(), 0..5)) {
        let body = encode_body(&inputs);
        let ours: serde_json::Value = serde_json::from_str(&body).unwrap();
        let reference = serde_json::to_value(BatchInputSimplePublicObjectBatchInput { inputs: inputs.clone() }).unwrap();
        prop_assert_eq!(ours, reference);
        // And, read as the model (which keeps repeated keys), it is exactly the inputs,
        // with serde_json and with the proxy's reader.
        let back: BatchInputSimplePublicObjectBatchInput = serde_json::from_str(&body).unwrap();
        prop_assert_eq!(&back.inputs, &inputs);
        let proxied = read::from_str(&body, read::batch_input_body).unwrap();
        prop_assert_eq!(proxied.inputs, inputs);
    }

}

proptest! {
    #![proptest_config(ProptestConfig { cases: 100, ..ProptestConfig::default() })]

    /// Built requests carry the inputs in order, `batch_size` at a time (full batches, the
    /// last one holding the rest), all to one URL, each with the JSON content type and the
    /// token's Authorization header (none without a token: a proxy adds it).
    #[test]
    fn built_requests_carry_every_input_once_in_order(
        inputs in prop::collection::vec(batch_input(), 0..12),
        batch_size in 1usize..=5,
        token in prop::option::of("[!-~]{1,40}"),
    ) {
        let config = ClientConfig { batch_size, access_token: token.as_deref().map(Secret::new), ..ClientConfig::default() };
        let reqs = request::build_batch_update_requests(&inputs, &config);
        prop_assert_eq!(reqs.len(), inputs.len().div_ceil(batch_size), "number of requests");
        let mut seen = Vec::new();
        for (k, r) in reqs.iter().enumerate() {
            prop_assert_eq!(r.method, "POST");
            prop_assert_eq!(r.url.as_str(), "https://api.hubapi.com/crm/v3/objects/0-3/batch/update");
            let size = r.input_indexes.len();
            if k + 1 < reqs.len() {
                prop_assert_eq!(size, batch_size, "request {} is not a full batch", k);
            } else {
                prop_assert!((1..=batch_size).contains(&size), "last request holds {} inputs", size);
            }
            let named = |name: &str| r.headers.iter().filter(|(n, _)| n.eq_ignore_ascii_case(name)).map(|(_, v)| v.as_str()).collect::<Vec<_>>();
            prop_assert_eq!(named("content-type"), vec!["application/json"]);
            let bearer = token.as_ref().map(|t| format!("Bearer {t}"));
            prop_assert_eq!(named("authorization"), bearer.iter().map(String::as_str).collect::<Vec<_>>());
            let back: BatchInputSimplePublicObjectBatchInput = serde_json::from_str(&r.body).unwrap();
            let expected: Vec<_> = r.input_indexes.iter().map(|&i| inputs[i].clone()).collect();
            prop_assert_eq!(back.inputs, expected);
            seen.extend(r.input_indexes.iter().copied());
        }
        prop_assert_eq!(seen, (0..inputs.len()).collect::<Vec<_>>());
    }
}

// ---------------------------------------------------------------------------------------
// Validation
// ---------------------------------------------------------------------------------------

fn raw(id: &str, id_property: Option<&str>, trace: Option<&str>) -> RawInput {
    RawInput::Object {
        id: Value::Str(id.into()),
        properties: Ok(vec![("dealname".into(), Value::Str("x".into()))]),
        id_property: id_property.map_or(Value::Undefined, |p| Value::Str(p.into())),
        object_write_trace_id: trace.map_or(Value::Undefined, |t| Value::Str(t.into())),
        unknown_fields: vec![],
    }
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 1000, ..ProptestConfig::default() })]

    /// Duplicates are refused exactly when two inputs name the same record (same id under
    /// the same idProperty, `hs_object_id` being the internal id), naming the earliest
    /// second occurrence and its first.
    #[test]
    fn duplicates_are_refused_exactly_and_named(
        items in prop::collection::vec(("[ab]{1,2}", prop::option::of(prop::sample::select(vec!["hs_object_id", "ext"]))), 0..8),
        default in prop::option::of(prop::sample::select(vec!["hs_object_id", "ext"])),
    ) {
        let raws: Vec<RawInput> = items.iter().map(|(id, p)| raw(id, *p, None)).collect();
        let key = |i: usize| {
            let (id, p) = &items[i];
            let p = p.or(default).filter(|p| *p != "hs_object_id").unwrap_or("");
            (p, id.as_str())
        };
        let dup = (0..items.len()).find_map(|b| (0..b).find(|&a| key(a) == key(b)).map(|a| (a, b)));
        match (input::validate_inputs(&raws, default), dup) {
            (Ok(out), None) => prop_assert_eq!(out.len(), items.len()),
            (Err(e), Some((a, b))) => {
                let want = format!("inputs[{b}].id: duplicate of inputs[{a}].id");
                prop_assert!(e.message.starts_with(&want), "{} / {}", e.message, want);
            }
            (r, d) => prop_assert!(false, "validate {:?}, duplicate {:?}", r.map(|o| o.len()), d),
        }
    }

    /// A bad input is named by its index, whatever surrounds it.
    #[test]
    fn a_bad_input_is_named_by_index(n in 1usize..30, at in any::<prop::sample::Index>(), which in 0usize..5) {
        let at = at.index(n);
        let mut raws: Vec<RawInput> = (0..n).map(|i| raw(&i.to_string(), None, None)).collect();
        let (bad, field) = match which {
            0 => (raw("", None, None), "id"),
            1 => (RawInput::NotObject("number"), ""),
            2 => (raw(&at.to_string(), Some(""), None), "idProperty"),
            3 => (raw(&at.to_string(), None, Some("")), "objectWriteTraceId"),
            _ => (
                RawInput::Object {
                    id: Value::Str(at.to_string()),
                    properties: Ok(vec![("amount".into(), Value::Number(f64::NAN))]),
                    id_property: Value::Undefined,
                    object_write_trace_id: Value::Undefined,
                    unknown_fields: vec![],
                },
                "properties.amount",
            ),
        };
        raws[at] = bad;
        let e = input::validate_inputs(&raws, None).unwrap_err();
        let want = if field.is_empty() { format!("inputs[{at}]:") } else { format!("inputs[{at}].{field}:") };
        prop_assert!(e.message.starts_with(&want), "{} / {}", e.message, want);
    }
}

// ---------------------------------------------------------------------------------------
// JSON
// ---------------------------------------------------------------------------------------

fn serde_value() -> impl Strategy<Value = serde_json::Value> {
    let leaf = prop_oneof![
        Just(serde_json::Value::Null),
        any::<bool>().prop_map(serde_json::Value::Bool),
        finite_f64().prop_map(|x| serde_json::json!(x)),
        any::<i64>().prop_map(|x| serde_json::json!(x)),
        any::<u64>().prop_map(|x| serde_json::json!(x)),
        any::<String>().prop_map(serde_json::Value::String),
    ];
    leaf.prop_recursive(4, 64, 6, |inner| {
        prop_oneof![
            prop::collection::vec(inner.clone(), 0..6).prop_map(serde_json::Value::Array),
            prop::collection::vec((any::<String>(), inner), 0..6)
                .prop_map(|entries| serde_json::Value::Object(entries.into_iter().collect())),
        ]
    })
}

/// The value serde_json's text stands for, built without any JSON reader.
fn expected_of(v: &serde_json::Value) -> JsonValue {
    match v {
        serde_json::Value::Null => JsonValue::Null,
        serde_json::Value::Bool(b) => JsonValue::Bool(*b),
        serde_json::Value::Number(n) => JsonValue::Number(n.as_f64().unwrap()),
        serde_json::Value::String(s) => JsonValue::String(s.clone()),
        serde_json::Value::Array(items) => {
            JsonValue::Array(items.iter().map(expected_of).collect())
        }
        serde_json::Value::Object(m) => {
            JsonValue::Object(m.iter().map(|(k, v)| (k.clone(), expected_of(v))).collect())
        }
    }
}

/// JSON text written by hand, with the value it stands for: arbitrary white space, every
/// escape form (including surrogate pairs), exponents of every shape, repeated keys.
fn json_text() -> impl Strategy<Value = (String, JsonValue)> {
    let ws = || "[ \t\r\n]{0,2}";
    let number = (finite_f64(), 0usize..4).prop_map(|(x, style)| {
        let text = match style {
            0 => format!("{x}"),
            1 => format!("{x:e}"),
            2 => format!("{x:E}").replace('E', "E+").replace("E+-", "E-"),
            _ => format!("{x:?}"),
        };
        (text, JsonValue::Number(x))
    });
    let string = prop::collection::vec((any::<char>(), 0usize..3), 0..8).prop_map(|chars| {
        let mut text = String::from("\"");
        let mut value = String::new();
        for (c, style) in chars {
            value.push(c);
            match (c, style) {
                ('"', _) => text.push_str("\\\""),
                ('\\', _) => text.push_str("\\\\"),
                ('/', 1) => text.push_str("\\/"),
                ('\u{8}', 1) => text.push_str("\\b"),
                ('\u{c}', 1) => text.push_str("\\f"),
                ('\n', 1) => text.push_str("\\n"),
                (c, 0) if c >= ' ' => text.push(c),
                (c, _) => {
                    let mut units = [0u16; 2];
                    for u in c.encode_utf16(&mut units) {
                        text.push_str(&if style == 2 {
                            format!("\\u{u:04X}")
                        } else {
                            format!("\\u{u:04x}")
                        });
                    }
                }
            }
        }
        text.push('"');
        (text, value)
    });
    let leaf = prop_oneof![
        Just(("null".to_owned(), JsonValue::Null)),
        Just(("true".to_owned(), JsonValue::Bool(true))),
        Just(("false".to_owned(), JsonValue::Bool(false))),
        number,
        string.clone().prop_map(|(t, v)| (t, JsonValue::String(v))),
    ];
    leaf.prop_recursive(4, 48, 5, move |inner| {
        let item = (ws(), inner.clone(), ws()).prop_map(|(a, (t, v), b)| (format!("{a}{t}{b}"), v));
        let entry = (ws(), string.clone(), ws(), ws(), inner, ws())
            .prop_map(|(a, (kt, k), b, c, (t, v), d)| (format!("{a}{kt}{b}:{c}{t}{d}"), (k, v)));
        prop_oneof![
            (prop::collection::vec(item, 0..5), ws()).prop_map(|(items, w)| {
                let text = if items.is_empty() {
                    format!("[{w}]")
                } else {
                    format!(
                        "[{}]",
                        items
                            .iter()
                            .map(|(t, _)| t.as_str())
                            .collect::<Vec<_>>()
                            .join(",")
                    )
                };
                (
                    text,
                    JsonValue::Array(items.into_iter().map(|(_, v)| v).collect()),
                )
            }),
            (prop::collection::vec(entry, 0..5), ws()).prop_map(|(entries, w)| {
                let text = if entries.is_empty() {
                    format!("{{{w}}}")
                } else {
                    format!(
                        "{{{}}}",
                        entries
                            .iter()
                            .map(|(t, _)| t.as_str())
                            .collect::<Vec<_>>()
                            .join(",")
                    )
                };
                (
                    text,
                    JsonValue::Object(entries.into_iter().map(|(_, e)| e).collect()),
                )
            }),
        ]
    })
}

/// Equal, numbers allowed a few ULPs apart: serde_json's default float reader (this crate
/// does not enable its `float_roundtrip` feature) is best-effort on long decimals. Our own
/// reader is held to exact values against the generator instead.
fn close(a: &JsonValue, b: &JsonValue) -> bool {
    match (a, b) {
        (JsonValue::Number(x), JsonValue::Number(y)) => {
            x == y
                || (x.is_sign_negative() == y.is_sign_negative()
                    && x.to_bits().abs_diff(y.to_bits()) <= 8)
        }
        (JsonValue::Array(x), JsonValue::Array(y)) => {
            x.len() == y.len() && x.iter().zip(y).all(|(p, q)| close(p, q))
        }
        (JsonValue::Object(x), JsonValue::Object(y)) => {
            x.len() == y.len()
                && x.iter()
                    .zip(y)
                    .all(|((kp, p), (kq, q))| kp == kq && close(p, q))
        }
        _ => a == b,
    }
}

/// serde_json's reading of a valid text. Without `float_roundtrip` it refuses some numbers
/// near `f64::MAX` written out in full ("number out of range"); that is its limit, not ours.
fn serde_reads(text: &str) -> Option<JsonValue> {
    match serde_json::from_str(text) {
        Ok(v) => Some(v),
        Err(e) if e.to_string().contains("number out of range") => None,
        Err(e) => panic!("serde_json refuses valid JSON {text:?}: {e}"),
    }
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 1000, ..ProptestConfig::default() })]

    /// What serde_json writes, compact or pretty, json::parse reads as the same value.
    #[test]
    fn json_parse_reads_what_serde_json_writes(v in serde_value(), pretty in any::<bool>()) {
        let text = if pretty { serde_json::to_string_pretty(&v).unwrap() } else { serde_json::to_string(&v).unwrap() };
        prop_assert_eq!(json::parse(&text).unwrap(), expected_of(&v));
    }

    /// Hand-written texts read as the value they stand for, and serde_json agrees.
    #[test]
    fn json_parse_agrees_with_serde_json((text, value) in json_text(), lead in "[ \t\r\n]{0,2}", trail in "[ \t\r\n]{0,2}") {
        let text = format!("{lead}{text}{trail}");
        let ours = json::parse(&text).unwrap();
        prop_assert_eq!(&ours, &value, "{}", text);
        if let Some(theirs) = serde_reads(&text) {
            prop_assert!(close(&ours, &theirs), "{}: {:?} vs serde_json {:?}", text, ours, theirs);
        }
        // A prefix read stops right after the value.
        let (prefix_value, used) = json::parse_prefix(&format!("{text} tail")).unwrap();
        prop_assert_eq!(prefix_value, value);
        prop_assert_eq!(text[used..].trim(), "", "{}", text);
    }

    /// Our writer's output reads back, with our reader and with serde_json.
    #[test]
    fn json_writer_output_reads_back((_, value) in json_text()) {
        let text = value.to_json();
        prop_assert_eq!(&json::parse(&text).unwrap(), &value);
        if let Some(theirs) = serde_reads(&text) {
            prop_assert!(close(&theirs, &value), "{}", text);
        }
    }

    /// write_string's output is a JSON string serde_json reads back exactly, with no raw
    /// control characters.
    #[test]
    fn write_string_output_parses_back(s in any::<String>()) {
        let mut out = String::new();
        json::write_string(&mut out, &s);
        prop_assert!(!out.chars().any(|c| (c as u32) < 0x20), "{:?}", out);
        let back: String = serde_json::from_str(&out).unwrap();
        prop_assert_eq!(&back, &s);
        prop_assert_eq!(json::parse(&out).unwrap(), JsonValue::String(s));
    }

    /// `\uXXXX` escapes of any UTF-16 code units, lone surrogates included, read as JS's
    /// `JSON.parse` gives them once brought into Rust: lone surrogates become U+FFFD and
    /// nothing else is lost.
    #[test]
    fn json_escapes_of_any_code_units_read_like_js(units in prop::collection::vec(
        prop_oneof![any::<u16>(), 0xD800u16..0xE000, Just(0x41u16)], 0..8,
    )) {
        let text: String = units.iter().map(|u| format!("\\u{u:04x}")).collect();
        prop_assert_eq!(
            json::parse(&format!("\"{text}\"")).unwrap(),
            JsonValue::String(String::from_utf16_lossy(&units))
        );
    }

    /// A number with a leading zero is not JSON.
    #[test]
    fn json_refuses_leading_zeros(int in "-?0[0-9]{1,4}", frac in "(\\.[0-9]{1,3})?", exp in "([eE][+-]?[0-9]{1,2})?") {
        let text = format!("{int}{frac}{exp}");
        prop_assert!(json::parse(&text).is_err(), "{}", text);
        prop_assert!(json::parse(&format!("[{text}]")).is_err(), "{}", text);
    }

    /// Text that is not JSON, however broken, is refused or read, never a panic.
    #[test]
    fn json_parse_never_panics(text in "[\\[\\]{}\",:0-9eE+\\-.tfnrul\\\\ ]{0,40}") {
        let _ = json::parse(&text);
        let _ = json::parse_prefix(&text);
    }
}

// ---------------------------------------------------------------------------------------
// The core's reader and writer for model types (what the wasm build uses instead of
// serde_json) agree with serde_json
// ---------------------------------------------------------------------------------------

fn text() -> impl Strategy<Value = String> {
    prop_oneof![3 => "[a-zA-Z0-9_ -]{0,8}", 1 => any::<String>()]
}

fn string_map() -> impl Strategy<Value = Map<String>> {
    prop::collection::vec((text(), text()), 0..3).prop_map(Map)
}

fn list_map() -> impl Strategy<Value = Map<Vec<String>>> {
    prop::collection::vec((text(), prop::collection::vec(text(), 0..3)), 0..3).prop_map(Map)
}

/// Free-form JSON as HubSpot puts in `subCategory`, never a bare `null` (that reads as
/// "absent"), numbers short enough for serde_json's default float reader to be exact.
fn free_json() -> impl Strategy<Value = JsonValue> {
    let leaf = prop_oneof![
        Just(JsonValue::Null),
        any::<bool>().prop_map(JsonValue::Bool),
        any::<i32>().prop_map(|c| JsonValue::Number(f64::from(c) / 100.0)),
        text().prop_map(JsonValue::String),
    ];
    let tree = leaf.prop_recursive(3, 16, 4, |inner| {
        prop_oneof![
            prop::collection::vec(inner.clone(), 0..4).prop_map(JsonValue::Array),
            prop::collection::vec((text(), inner), 0..4).prop_map(JsonValue::Object),
        ]
    });
    tree.prop_filter("not a bare null", |v| *v != JsonValue::Null)
}

fn error_detail() -> impl Strategy<Value = model::ErrorDetail> {
    (
        prop::option::of(text()),
        prop::option::of(list_map()),
        prop::option::of(text()),
        text(),
        prop::option::of(text()),
    )
        .prop_map(
            |(code, context, in_, message, sub_category)| model::ErrorDetail {
                code,
                context,
                in_,
                message,
                sub_category,
            },
        )
}

fn standard_error() -> impl Strategy<Value = model::StandardError> {
    (
        text(),
        list_map(),
        prop::collection::vec(error_detail(), 0..2),
        prop::option::of(text()),
        string_map(),
        text(),
        text(),
        prop::option::of(free_json()),
        prop::option::of(text()),
    )
        .prop_map(
            |(
                category,
                context,
                errors,
                id,
                links,
                message,
                status,
                sub_category,
                object_write_trace_id,
            )| {
                model::StandardError {
                    category,
                    context,
                    errors,
                    id,
                    links,
                    message,
                    status,
                    sub_category,
                    object_write_trace_id,
                }
            },
        )
}

fn history() -> impl Strategy<Value = model::ValueWithTimestamp> {
    (
        prop::option::of(text()),
        prop::option::of(text()),
        text(),
        text(),
        prop::option::of(any::<i32>()),
        text(),
    )
        .prop_map(
            |(source_id, source_label, source_type, timestamp, updated_by_user_id, value)| {
                model::ValueWithTimestamp {
                    source_id,
                    source_label,
                    source_type,
                    timestamp,
                    updated_by_user_id,
                    value,
                }
            },
        )
}

fn simple_object() -> impl Strategy<Value = SimplePublicObject> {
    (
        (
            any::<bool>(),
            prop::option::of(text()),
            text(),
            text(),
            prop::option::of(text()),
        ),
        prop::collection::vec((text(), prop::option::of(text())), 0..4).prop_map(Map),
        prop::option::of(
            prop::collection::vec((text(), prop::collection::vec(history(), 0..2)), 0..2)
                .prop_map(Map),
        ),
        (text(), prop::option::of(text())),
        prop::option::of(prop::collection::vec(
            (text(), string_map(), text()).prop_map(|(category, context, message)| {
                model::PublicObjectWarning {
                    category,
                    context,
                    message,
                }
            }),
            0..2,
        )),
    )
        .prop_map(
            |(
                (archived, archived_at, created_at, id, object_write_trace_id),
                properties,
                properties_with_history,
                (updated_at, url),
                warnings,
            )| {
                SimplePublicObject {
                    archived,
                    archived_at,
                    created_at,
                    id,
                    object_write_trace_id,
                    properties,
                    properties_with_history,
                    updated_at,
                    url,
                    warnings,
                }
            },
        )
}

fn batch_response() -> impl Strategy<Value = BatchResponse> {
    (
        text(),
        prop::collection::vec(standard_error(), 0..3),
        prop::option::of(string_map()),
        any::<i32>(),
        prop::option::of(text()),
        prop::collection::vec(simple_object(), 0..3),
        text(),
        prop::sample::select(vec![
            BatchStatus::Complete,
            BatchStatus::Canceled,
            BatchStatus::Pending,
            BatchStatus::Processing,
        ]),
    )
        .prop_map(
            |(
                completed_at,
                errors,
                links,
                num_errors,
                requested_at,
                results,
                started_at,
                status,
            )| BatchResponse {
                completed_at,
                errors,
                links,
                num_errors,
                requested_at,
                results,
                started_at,
                status,
            },
        )
}

fn hubspot_error() -> impl Strategy<Value = model::Error> {
    (
        text(),
        prop::option::of(list_map()),
        text(),
        prop::option::of(prop::collection::vec(error_detail(), 0..2)),
        prop::option::of(string_map()),
        text(),
        prop::option::of(free_json()),
        prop::option::of(text()),
        prop::option::of(text()),
        prop::option::of(text()),
    )
        .prop_map(
            |(
                category,
                context,
                correlation_id,
                errors,
                links,
                message,
                sub_category,
                error_type,
                policy_name,
                group_name,
            )| {
                model::Error {
                    category,
                    context,
                    correlation_id,
                    errors,
                    links,
                    message,
                    sub_category,
                    error_type,
                    policy_name,
                    group_name,
                }
            },
        )
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 300, ..ProptestConfig::default() })]

    /// What serde_json writes, the wasm build's readers (`read::*`, and serde's derive over
    /// `JsonValue`) read as the same batch response, and what `json::to_string` writes means
    /// the same as serde_json's text.
    #[test]
    fn core_reader_and_writer_agree_with_serde_json_on_batch_responses(b in batch_response()) {
        let theirs = serde_json::to_string(&b).unwrap();
        prop_assert_eq!(&read::from_str(&theirs, read::batch_response).unwrap(), &b);
        prop_assert_eq!(&json::from_str::<BatchResponse>(&theirs).unwrap(), &b);
        let ours = json::to_string(&b);
        prop_assert_eq!(&serde_json::from_str::<BatchResponse>(&ours).unwrap(), &b);
        prop_assert_eq!(&read::from_str(&ours, read::batch_response).unwrap(), &b);
        let a: serde_json::Value = serde_json::from_str(&ours).unwrap();
        let t: serde_json::Value = serde_json::from_str(&theirs).unwrap();
        prop_assert_eq!(same_numbers(a), same_numbers(t));
    }

    /// The same for HubSpot's error bodies.
    #[test]
    fn core_reader_and_writer_agree_with_serde_json_on_error_bodies(e in hubspot_error()) {
        let theirs = serde_json::to_string(&e).unwrap();
        prop_assert_eq!(&read::from_str(&theirs, read::error).unwrap(), &e);
        prop_assert_eq!(&json::from_str::<model::Error>(&theirs).unwrap(), &e);
        let ours = json::to_string(&e);
        prop_assert_eq!(&serde_json::from_str::<model::Error>(&ours).unwrap(), &e);
        prop_assert_eq!(&read::from_str(&ours, read::error).unwrap(), &e);
        let a: serde_json::Value = serde_json::from_str(&ours).unwrap();
        let t: serde_json::Value = serde_json::from_str(&theirs).unwrap();
        prop_assert_eq!(same_numbers(a), same_numbers(t));
    }
}

// ---------------------------------------------------------------------------------------
// The wasm build's writers (`write::to_json`, what goes to JS) write exactly what the serde
// derives write through `json::to_string`, and mean what serde_json writes
// ---------------------------------------------------------------------------------------

fn failure_reason() -> impl Strategy<Value = FailureReason> {
    (
        prop::option::of(any::<u16>()),
        text(),
        text(),
        prop::option::of(text()),
        prop::option::of(text()),
        prop::option::of(list_map()),
        prop::collection::vec(error_detail(), 0..2),
    )
        .prop_map(
            |(status, category, message, correlation_id, sub_category, context, errors)| {
                FailureReason {
                    status,
                    category,
                    message,
                    correlation_id,
                    sub_category,
                    context,
                    errors,
                }
            },
        )
}

/// Durations: `any` finite or not (for the exact text), or `tame` ones that serde_json's
/// default float reader reads back exactly (for comparing values).
fn duration(tame: bool) -> BoxedStrategy<f64> {
    if tame {
        prop_oneof![
            any::<u32>().prop_map(f64::from),
            any::<i32>().prop_map(|c| f64::from(c) / 100.0),
        ]
        .boxed()
    } else {
        prop_oneof![
            4 => finite_f64(),
            1 => prop::sample::select(vec![f64::NAN, f64::INFINITY, f64::NEG_INFINITY, -0.0]),
        ]
        .boxed()
    }
}

fn batch_update_result(tame: bool) -> impl Strategy<Value = BatchUpdateResult> {
    (
        prop::sample::select(vec![
            BatchStatus::Complete,
            BatchStatus::Canceled,
            BatchStatus::Pending,
            BatchStatus::Processing,
        ]),
        prop::collection::vec(simple_object(), 0..3),
        prop::collection::vec(standard_error(), 0..3),
        (0usize..1_000_000, text(), text(), prop::option::of(text())),
        prop::collection::vec(
            (0usize..1_000_000, text(), failure_reason())
                .prop_map(|(index, id, error)| FailedInput { index, id, error }),
            0..3,
        ),
        (any::<[u32; 4]>(), duration(tame)).prop_map(
            |([requests, retries, rate_limited, batches], duration_ms)| RunStats {
                requests,
                retries,
                rate_limited,
                batches,
                duration_ms,
            },
        ),
    )
        .prop_map(
            |(
                status,
                results,
                errors,
                (num_errors, started_at, completed_at, requested_at),
                failed,
                stats,
            )| BatchUpdateResult {
                status,
                results,
                errors,
                num_errors,
                started_at,
                completed_at,
                requested_at,
                failed,
                stats,
            },
        )
}

/// `write::to_json(v)` is `json::to_string(v)` to the byte; with `tame` numbers it also reads
/// (with serde_json) as the same value serde_json writes.
fn check_writer<T: WriteJson + serde::Serialize + ?Sized>(
    v: &T,
    tame: bool,
) -> Result<(), TestCaseError> {
    let ours = write::to_json(v);
    prop_assert_eq!(&ours, &json::to_string(v));
    if tame {
        let a: serde_json::Value = serde_json::from_str(&ours).unwrap();
        prop_assert_eq!(
            same_numbers(a),
            same_numbers(serde_json::to_value(v).unwrap())
        );
    }
    Ok(())
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 500, ..ProptestConfig::default() })]

    #[test]
    fn writer_writes_update_results_like_serde(
        (tame, r) in any::<bool>().prop_flat_map(|t| (Just(t), batch_update_result(t))),
    ) {
        check_writer(&r, tame)?;
    }

    #[test]
    fn writer_writes_batch_responses_like_serde(b in batch_response()) {
        check_writer(&b, true)?;
    }

    /// The parts `HubSpotError` carries (`errors`, `context`), and `onProgress`'s argument.
    #[test]
    fn writer_writes_error_parts_and_progress_like_serde(
        details in prop::collection::vec(error_detail(), 0..4),
        context in list_map(),
        [done, failed, total] in any::<[usize; 3]>(),
    ) {
        check_writer(&details, true)?;
        check_writer(details.as_slice(), true)?;
        check_writer(&context, true)?;
        check_writer(&Progress { done, failed, total }, true)?;
    }
}

#[test]
fn writer_output_by_hand() {
    let reason = FailureReason::new(None, "NOT_UPDATED", "left out \"x\"\n");
    assert_eq!(
        write::to_json(&reason),
        r#"{"status":null,"category":"NOT_UPDATED","message":"left out \"x\"\n"}"#
    );
    assert_eq!(
        write::to_json(&Progress {
            done: 3,
            failed: 1,
            total: 10
        }),
        r#"{"done":3,"failed":1,"total":10}"#
    );
    let stats = RunStats {
        requests: 2,
        retries: 0,
        rate_limited: 1,
        batches: 2,
        duration_ms: 12.5,
    };
    assert_eq!(
        write::to_json(&stats),
        r#"{"requests":2,"retries":0,"rateLimited":1,"batches":2,"durationMs":12.5}"#
    );
    assert_eq!(write::to_json(&1e21f64), "1000000000000000000000");
    assert_eq!(write::to_json(&f64::NAN), "null");
    assert_eq!(write::to_json(&-7i32), "-7");
    assert_eq!(
        write::to_json(&Map(vec![("a\"b".to_owned(), vec!["1".to_owned()])])),
        r#"{"a\"b":["1"]}"#
    );
}

// ---------------------------------------------------------------------------------------
// The engine isolates invalid records
// ---------------------------------------------------------------------------------------

#[derive(Clone, Copy, Debug)]
enum Naming {
    /// HubSpot names the bad property in `Property values were not valid: [...]`.
    Embedded,
    /// It names it, but every input sets that property, so only halving helps.
    EveryoneSetsIt,
    /// It names nothing.
    Nothing,
}

/// A tiny HubSpot: a batch holding any `BAD` value is refused whole with 400
/// VALIDATION_ERROR; otherwise every input is updated (trace ids echoed, order shuffled).
fn answer(body: &str, naming: Naming) -> Outcome {
    let req: BatchInputSimplePublicObjectBatchInput = serde_json::from_str(body).unwrap();
    let bad = req
        .inputs
        .iter()
        .any(|x| x.properties.0.iter().any(|(_, v)| v == "BAD"));
    if bad {
        let message = match naming {
            Naming::Embedded | Naming::EveryoneSetsIt => {
                r#"Property values were not valid: [{"isValid":false,"message":"BAD was not one of the allowed options","error":"INVALID_OPTION","name":"dealstage"}]"#
            }
            Naming::Nothing => "Property values were not valid",
        };
        return Outcome::Http {
            status: 400,
            meta: ResponseMeta::default(),
            body: Body::Error(model::Error {
                category: "VALIDATION_ERROR".into(),
                correlation_id: "c".into(),
                message: message.into(),
                ..model::Error::default()
            }),
        };
    }
    let mut results: Vec<SimplePublicObject> = req
        .inputs
        .iter()
        .map(|x| SimplePublicObject {
            archived: false,
            archived_at: None,
            created_at: "c".into(),
            id: x.id.clone(),
            object_write_trace_id: x.object_write_trace_id.clone(),
            properties: Map(x
                .properties
                .0
                .iter()
                .map(|(k, v)| (k.clone(), Some(v.clone())))
                .collect()),
            properties_with_history: None,
            updated_at: "u".into(),
            url: None,
            warnings: None,
        })
        .collect();
    results.reverse();
    Outcome::Http {
        status: 200,
        meta: ResponseMeta::default(),
        body: Body::Batch(BatchResponse {
            completed_at: "b".into(),
            errors: vec![],
            links: None,
            num_errors: 0,
            requested_at: None,
            results,
            started_at: "a".into(),
            status: BatchStatus::Complete,
        }),
    }
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 300, ..ProptestConfig::default() })]

    /// n inputs of which k are invalid always end with exactly those k failed (with
    /// HubSpot's reason) and the n-k others updated, however HubSpot names the problem.
    #[test]
    fn invalid_inputs_fail_alone(
        invalid in prop::collection::vec(prop::bool::weighted(0.1), 1..250),
        batch_size in 1usize..=100,
        concurrency in 1usize..6,
        naming in prop::sample::select(vec![Naming::Embedded, Naming::EveryoneSetsIt, Naming::Nothing]),
        latencies in prop::collection::vec(1.0f64..500.0, 1..16),
    ) {
        let n = invalid.len();
        let raws: Vec<RawInput> = invalid
            .iter()
            .enumerate()
            .map(|(i, &bad)| {
                let mut properties = vec![("dealname".to_owned(), Value::Str(format!("Deal {i}")))];
                if bad {
                    properties.push(("dealstage".into(), Value::Str("BAD".into())));
                } else if matches!(naming, Naming::EveryoneSetsIt) {
                    properties.push(("dealstage".into(), Value::Str("ok".into())));
                }
                RawInput::Object {
                    id: Value::Str(i.to_string()),
                    properties: Ok(properties),
                    id_property: Value::Undefined,
                    object_write_trace_id: Value::Undefined,
                    unknown_fields: vec![],
                }
            })
            .collect();
        let inputs = input::validate_inputs(&raws, None).unwrap();
        let config = ClientConfig {
            access_token: Some(Secret::new("tok")),
            batch_size,
            concurrency,
            rate_limit: None,
            ..ClientConfig::default()
        };
        let mut engine = Engine::new(config, inputs, 0.0, 11);
        let mut now = 0.0;
        let mut pending: Vec<(f64, u64, Outcome)> = Vec::new();
        let mut sent = 0usize;
        loop {
            match engine.poll(now) {
                Action::Send(out) => {
                    sent += 1;
                    prop_assert!(sent <= 4 * n, "{} requests for {} inputs", sent, n);
                    let latency = latencies[sent % latencies.len()];
                    pending.push((now + latency, out.id, answer(&out.request.body, naming)));
                    continue;
                }
                Action::Done => break,
                Action::WaitUntil(t) => {
                    prop_assert!(t > now);
                    now = pending.iter().map(|p| p.0).fold(t, f64::min);
                }
                Action::AwaitAnswer => {
                    now = pending.iter().map(|p| p.0).fold(f64::INFINITY, f64::min);
                    prop_assert!(now.is_finite());
                }
            }
            pending.sort_by(|a, b| a.0.total_cmp(&b.0));
            while pending.first().is_some_and(|p| p.0 <= now) {
                let (_, id, outcome) = pending.remove(0);
                engine.on_answer(id, outcome, now);
            }
        }
        let r = engine.finish(now).unwrap();
        let want_failed: Vec<usize> = (0..n).filter(|&i| invalid[i]).collect();
        let failed: Vec<usize> = r.failed.iter().map(|f| f.index).collect();
        prop_assert_eq!(&failed, &want_failed);
        let updated: Vec<String> = r.results.iter().map(|o| o.id.clone()).collect();
        let want_updated: Vec<String> = (0..n).filter(|&i| !invalid[i]).map(|i| i.to_string()).collect();
        prop_assert_eq!(updated, want_updated);
        for f in &r.failed {
            prop_assert_eq!(f.error.status, Some(400));
            prop_assert_eq!(f.error.category.as_str(), "VALIDATION_ERROR");
            prop_assert!(f.error.message.starts_with("Property values were not valid"));
            if !matches!(naming, Naming::Nothing) {
                prop_assert_eq!(f.error.errors.first().and_then(|d| d.in_.as_deref()), Some("dealstage"));
            }
        }
        prop_assert_eq!(r.status, BatchStatus::Complete);
    }
}

// ---------------------------------------------------------------------------------------
// ISO 8601
// ---------------------------------------------------------------------------------------

const MAX_MS: i64 = 253_402_300_799_999; // 9999-12-31T23:59:59.999Z

fn is_leap(y: i64) -> bool {
    (y % 4 == 0 && y % 100 != 0) || y % 400 == 0
}

/// A reference that walks the calendar a year and a month at a time.
fn reference_iso(ms: i64) -> String {
    let mut days = ms.div_euclid(86_400_000);
    let rem = ms.rem_euclid(86_400_000);
    let mut year = 1970;
    loop {
        let len = if is_leap(year) { 366 } else { 365 };
        if days < len {
            break;
        }
        days -= len;
        year += 1;
    }
    let months = [
        31,
        if is_leap(year) { 29 } else { 28 },
        31,
        30,
        31,
        30,
        31,
        31,
        30,
        31,
        30,
        31,
    ];
    let mut month = 0;
    while days >= months[month] {
        days -= months[month];
        month += 1;
    }
    format!(
        "{year:04}-{:02}-{:02}T{:02}:{:02}:{:02}.{:03}Z",
        month + 1,
        days + 1,
        rem / 3_600_000,
        rem / 60_000 % 60,
        rem / 1000 % 60,
        rem % 1000
    )
}

/// Computed with `date -u -d @SECONDS +%FT%T`, milliseconds appended.
const DATE_VECTORS: &[(f64, &str)] = &[
    (999.0, "1970-01-01T00:00:00.999Z"),
    (1938.0, "1970-01-01T00:00:01.938Z"),
    (59029.0, "1970-01-01T00:00:59.029Z"),
    (60648.0, "1970-01-01T00:01:00.648Z"),
    (3599370.0, "1970-01-01T00:59:59.370Z"),
    (3600250.0, "1970-01-01T01:00:00.250Z"),
    (86399616.0, "1970-01-01T23:59:59.616Z"),
    (86400440.0, "1970-01-02T00:00:00.440Z"),
    (68169599311.0, "1972-02-28T23:59:59.311Z"),
    (68169600365.0, "1972-02-29T00:00:00.365Z"),
    (951782399603.0, "2000-02-28T23:59:59.603Z"),
    (951782400122.0, "2000-02-29T00:00:00.122Z"),
    (951868800091.0, "2000-03-01T00:00:00.091Z"),
    (978307199512.0, "2000-12-31T23:59:59.512Z"),
    (978307200901.0, "2001-01-01T00:00:00.901Z"),
    (1709164800694.0, "2024-02-29T00:00:00.694Z"),
    (1709251199537.0, "2024-02-29T23:59:59.537Z"),
    (4107456000203.0, "2100-02-28T00:00:00.203Z"),
    (4107542400119.0, "2100-03-01T00:00:00.119Z"),
    (4102444800622.0, "2100-01-01T00:00:00.622Z"),
    (13574563200678.0, "2400-02-29T00:00:00.678Z"),
    (13574649600274.0, "2400-03-01T00:00:00.274Z"),
    (32503680000319.0, "3000-01-01T00:00:00.319Z"),
    (253402300799736.0, "9999-12-31T23:59:59.736Z"),
    (253402214400200.0, "9999-12-31T00:00:00.200Z"),
    (158026192382388.0, "6977-08-25T20:33:02.388Z"),
    (25005102230495.0, "2762-05-19T21:43:50.495Z"),
    (208241638078228.0, "8568-11-30T03:27:58.228Z"),
    (9713590329141.0, "2277-10-23T19:32:09.141Z"),
    (38656645768611.0, "3194-12-24T21:09:28.611Z"),
    (161760574004214.0, "7095-12-27T20:46:44.214Z"),
    (205126481132854.0, "8470-03-14T02:05:32.854Z"),
    (87502057521886.0, "4742-10-31T07:05:21.886Z"),
    (7602692729897.0, "2210-12-03T03:05:29.897Z"),
    (134315215524714.0, "6226-04-13T06:05:24.714Z"),
    (54983808343534.0, "3712-05-14T16:05:43.534Z"),
    (239357775042012.0, "9554-12-12T14:50:42.012Z"),
    (250886247264193.0, "9920-04-09T00:14:24.193Z"),
    (148340891383796.0, "6670-09-26T11:09:43.796Z"),
    (28699193705173.0, "2879-06-10T14:15:05.173Z"),
    (155447686398017.0, "6895-12-10T00:53:18.017Z"),
    (191356320044663.0, "8033-11-03T05:20:44.663Z"),
    (201026477079340.0, "8340-04-11T08:04:39.340Z"),
    (181529030668571.0, "7722-06-05T10:44:28.571Z"),
    (170954152279926.0, "7387-04-28T00:31:19.926Z"),
    (24419852123687.0, "2743-11-02T04:15:23.687Z"),
    (119590281977635.0, "5759-08-31T18:46:17.635Z"),
    (99184257830633.0, "5113-01-09T22:43:50.633Z"),
    (115106337803313.0, "5617-07-29T06:43:23.313Z"),
    (72175987021383.0, "4257-03-02T05:17:01.383Z"),
    (190890733775386.0, "8019-02-01T11:49:35.386Z"),
    (206561213850540.0, "8515-08-31T18:57:30.540Z"),
    (189825365559398.0, "7985-04-29T20:12:39.398Z"),
    (217475320490296.0, "8861-07-08T11:14:50.296Z"),
    (27020427656129.0, "2826-03-30T10:20:56.129Z"),
    (12676050532695.0, "2371-09-09T13:08:52.695Z"),
    (247341023887500.0, "9807-12-05T07:58:07.500Z"),
    (224201048013055.0, "9074-08-25T12:53:33.055Z"),
    (251923041867189.0, "9953-02-14T22:44:27.189Z"),
    (134691804613433.0, "6238-03-19T22:10:13.433Z"),
    (231639342517608.0, "9310-05-11T21:48:37.608Z"),
    (55445928419764.0, "3727-01-05T06:46:59.764Z"),
    (156829232552407.0, "6939-09-21T03:42:32.407Z"),
    (247810638004098.0, "9822-10-22T16:20:04.098Z"),
    (140898570756451.0, "6434-11-24T11:52:36.451Z"),
];

#[test]
fn iso8601_matches_date_vectors() {
    for &(ms, want) in DATE_VECTORS {
        assert_eq!(iso8601(ms), want, "{ms}");
        assert_eq!(reference_iso(ms as i64), want, "the reference itself, {ms}");
    }
}

#[test]
fn iso8601_clamps_what_it_cannot_show_to_the_epoch() {
    for x in [
        f64::NAN,
        f64::INFINITY,
        f64::NEG_INFINITY,
        -1.0,
        MAX_MS as f64 + 1.0,
        1e300,
    ] {
        assert_eq!(iso8601(x), "1970-01-01T00:00:00.000Z", "{x}");
    }
    assert_eq!(iso8601(MAX_MS as f64), "9999-12-31T23:59:59.999Z");
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 2000, ..ProptestConfig::default() })]

    /// Every representable time matches the reference, fractions of a millisecond truncate.
    #[test]
    fn iso8601_matches_a_calendar_walk(ms in 0i64..=MAX_MS, frac in 0.0f64..1.0) {
        prop_assert_eq!(iso8601(ms as f64), reference_iso(ms));
        let with_frac = ms as f64 + frac;
        if with_frac.trunc() == ms as f64 {
            prop_assert_eq!(iso8601(with_frac), reference_iso(ms));
        }
    }

    /// Later times never sort before earlier ones, and the fields are in range.
    #[test]
    fn iso8601_is_monotonic_with_fields_in_range(a in 0i64..=MAX_MS, b in 0i64..=MAX_MS) {
        let (lo, hi) = (a.min(b), a.max(b));
        let (s_lo, s_hi) = (iso8601(lo as f64), iso8601(hi as f64));
        prop_assert!(s_lo <= s_hi, "{} > {}", s_lo, s_hi);
        prop_assert_eq!(s_lo == s_hi, lo == hi);
        let s = &s_hi;
        prop_assert_eq!(s.len(), 24);
        let field = |r: std::ops::Range<usize>| s[r].parse::<u32>().unwrap();
        let (y, m, d) = (field(0..4), field(5..7), field(8..10));
        prop_assert!((1970..=9999).contains(&y));
        prop_assert!((1..=12).contains(&m));
        let month_len = [31, if is_leap(i64::from(y)) { 29 } else { 28 }, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31];
        prop_assert!(d >= 1 && d <= month_len[m as usize - 1]);
        prop_assert!(field(11..13) < 24 && field(14..16) < 60 && field(17..19) < 60 && field(20..23) < 1000);
        // One millisecond later is the next instant, never the same text.
        if hi < MAX_MS {
            prop_assert!(iso8601(hi as f64) < iso8601((hi + 1) as f64));
        }
    }
}

#[test]
fn every_failed_index_is_distinct_in_a_small_run() {
    // A smoke check that the helpers above drive the engine as the lib does.
    let invalid = [false, true, false];
    let raws: Vec<RawInput> = invalid
        .iter()
        .enumerate()
        .map(|(i, &bad)| RawInput::Object {
            id: Value::Str(i.to_string()),
            properties: Ok(vec![(
                "dealstage".into(),
                Value::Str(if bad { "BAD" } else { "ok" }.into()),
            )]),
            id_property: Value::Undefined,
            object_write_trace_id: Value::Undefined,
            unknown_fields: vec![],
        })
        .collect();
    let inputs = input::validate_inputs(&raws, None).unwrap();
    let mut engine = Engine::new(
        ClientConfig {
            rate_limit: None,
            ..ClientConfig::default()
        },
        inputs,
        0.0,
        1,
    );
    let mut seen = BTreeSet::new();
    while let Action::Send(out) = engine.poll(0.0) {
        let outcome = answer(&out.request.body, Naming::Embedded);
        engine.on_answer(out.id, outcome, 0.0);
    }
    assert_eq!(engine.poll(0.0), Action::Done);
    let r = engine.finish(0.0).unwrap();
    for f in &r.failed {
        assert!(seen.insert(f.index));
    }
    assert_eq!(seen.into_iter().collect::<Vec<_>>(), vec![1]);
}

/// JSON text means numbers, not their spelling: `-5` and `-5.0` are the same value to
/// `JSON.parse` (which is what reads the core's output), so compare numbers as f64.
fn same_numbers(v: serde_json::Value) -> serde_json::Value {
    use serde_json::Value;
    match v {
        Value::Number(n) => n
            .as_f64()
            .and_then(serde_json::Number::from_f64)
            .map(Value::Number)
            .unwrap_or(Value::Null),
        Value::Array(items) => Value::Array(items.into_iter().map(same_numbers).collect()),
        Value::Object(map) => {
            Value::Object(map.into_iter().map(|(k, v)| (k, same_numbers(v))).collect())
        }
        other => other,
    }
}
