//! Property tests of the core: formatting, chunking, request bodies, reading HubSpot's
//! answers into the model, the engine's splitting of rejected batches, and ISO 8601 times.

use std::collections::BTreeSet;

use hubspot_batch::config::{ClientConfig, Secret};
use hubspot_batch::engine::{Action, Engine, Event};
use hubspot_batch::input::{self, format_number, format_value, RawInput, Value};
use hubspot_batch::model::{
    self, BatchInputSimplePublicObjectBatchInput, BatchResponse, BatchStatus, Category, Map,
    PolicyName, SimplePublicObject, SimplePublicObjectBatchInput,
};
use hubspot_batch::report::{FailureReason, Progress, RunStats};
use hubspot_batch::request::{self, chunk_indexes};
use hubspot_batch::response::{read_body, Body, ResponseMeta};
use hubspot_batch::time::iso8601;
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
        prop_assert_eq!(why.element, Some(at), "{:?}", why);
        prop_assert!(why.after_path().starts_with(&format!("[{at}]: ")), "{:?}", why);
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

    /// A request's body is valid JSON, `{"inputs": [...]}` with every input as the schema
    /// spells it, that reads back as exactly the inputs (repeated keys and any unicode kept).
    #[test]
    fn request_bodies_are_json_that_reads_back_as_the_inputs(inputs in prop::collection::vec(batch_input(), 0..5)) {
        let config = ClientConfig { batch_size: 100, ..ClientConfig::default() };
        let reqs = request::build_batch_update_requests(&inputs, &config);
        prop_assert_eq!(reqs.len(), usize::from(!inputs.is_empty()));
        let body = reqs.first().map(|r| r.body_json()).unwrap_or_else(|| r#"{"inputs":[]}"#.to_owned());
        let ours: serde_json::Value = serde_json::from_str(&body).unwrap();
        let fields: Vec<serde_json::Value> = inputs
            .iter()
            .map(|x| {
                let mut o = serde_json::Map::new();
                o.insert("id".into(), x.id.clone().into());
                let props: serde_json::Map<String, serde_json::Value> =
                    x.properties.0.iter().map(|(k, v)| (k.clone(), v.clone().into())).collect();
                o.insert("properties".into(), props.into());
                if let Some(p) = &x.id_property {
                    o.insert("idProperty".into(), p.clone().into());
                }
                if let Some(t) = &x.object_write_trace_id {
                    o.insert("objectWriteTraceId".into(), t.clone().into());
                }
                serde_json::Value::Object(o)
            })
            .collect();
        prop_assert_eq!(ours, serde_json::json!({ "inputs": fields }));
        let back: BatchInputSimplePublicObjectBatchInput = serde_json::from_str(&body).unwrap();
        prop_assert_eq!(back.inputs, inputs);
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
            let back: BatchInputSimplePublicObjectBatchInput = serde_json::from_str(&r.body_json()).unwrap();
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
        associations: Value::Undefined,
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
                    associations: Value::Undefined,
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

/// Any JSON value serde_json can hold.
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

// ---------------------------------------------------------------------------------------
// HubSpot's answers, as JSON text, read into the model (what a Rust driver hands the
// engine): the same values, whatever fields are present
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

/// A category word: one the client knows, or any other text.
fn category() -> impl Strategy<Value = Category> {
    prop_oneof![
        prop::sample::select(vec![
            "VALIDATION_ERROR",
            "RATE_LIMITS",
            "OBJECT_NOT_FOUND",
            "CONFLICT"
        ])
        .prop_map(Category::parse),
        text().prop_map(|t| Category::parse(&t)),
    ]
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
        category(),
        list_map(),
        prop::collection::vec(error_detail(), 0..2),
        prop::option::of(text()),
        string_map(),
        text(),
        text(),
        prop::option::of(text()),
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
        (category(), prop::option::of(list_map()), text()),
        prop::option::of(prop::collection::vec(error_detail(), 0..2)),
        prop::option::of(string_map()),
        text(),
        prop::option::of(text()),
        prop::option::of(text()),
        prop::option::of(prop_oneof![
            prop::sample::select(vec!["TEN_SECONDLY_ROLLING", "SECONDLY", "DAILY"])
                .prop_map(PolicyName::parse),
            text().prop_map(|t| PolicyName::parse(&t)),
        ]),
        prop::option::of(text()),
        text(),
    )
        .prop_map(
            |(
                (category, context, correlation_id),
                errors,
                links,
                message,
                sub_category,
                error_type,
                policy_name,
                group_name,
                status,
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
                    status,
                }
            },
        )
}

/// `value` with every `subCategory` replaced by `with`.
fn replace_sub_categories(value: &mut serde_json::Value, with: &serde_json::Value) {
    match value {
        serde_json::Value::Object(m) => {
            for (k, v) in m.iter_mut() {
                if k == "subCategory" {
                    *v = with.clone();
                } else {
                    replace_sub_categories(v, with);
                }
            }
        }
        serde_json::Value::Array(items) => {
            for v in items {
                replace_sub_categories(v, with);
            }
        }
        _ => {}
    }
}

/// `b` with every `subCategory` dropped, as a non-string one reads.
fn without_sub_categories(mut b: BatchResponse) -> BatchResponse {
    for e in &mut b.errors {
        e.sub_category = None;
        for d in &mut e.errors {
            d.sub_category = None;
        }
    }
    b
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 300, ..ProptestConfig::default() })]

    /// What HubSpot writes as a 200 or 207 reads as the same batch response (as JSON: see
    /// the key-order test below); a `subCategory` that is not a string (the schema types it
    /// as an object) is dropped, and never makes the answer unreadable.
    #[test]
    fn batch_responses_read_back(b in batch_response(), multi in any::<bool>(), odd in serde_value()) {
        let status = if multi { 207 } else { 200 };
        let text = serde_json::to_string(&b).unwrap();
        let Body::Batch(read) = read_body::<SimplePublicObject>(status, &text) else {
            return Err(TestCaseError::fail(format!("not read as a batch: {text}")));
        };
        prop_assert_eq!(as_json(&read), as_json(&b));
        let mut value: serde_json::Value = serde_json::from_str(&text).unwrap();
        replace_sub_categories(&mut value, &odd);
        let want = if odd.is_string() { None } else { Some(without_sub_categories(b)) };
        if let Some(want) = want {
            let Body::Batch(read) = read_body::<SimplePublicObject>(status, &value.to_string()) else {
                return Err(TestCaseError::fail(format!("subCategory {odd} made it unreadable")));
            };
            prop_assert_eq!(as_json(&read), as_json(&want));
        }
    }

    /// The same for HubSpot's error bodies, under any error status (details embedded in the
    /// message aside: they have their own test).
    #[test]
    fn error_bodies_read_back(
        e in hubspot_error(),
        status in prop::sample::select(vec![400u16, 401, 403, 404, 409, 429, 500, 502, 503]),
    ) {
        let text = serde_json::to_string(&e).unwrap();
        let embedded = e.errors.as_ref().is_none_or(Vec::is_empty)
            && hubspot_batch::response::embedded_details(&e.message).is_some();
        if !embedded {
            let Body::Error(read) = read_body::<SimplePublicObject>(status, &text) else {
                return Err(TestCaseError::fail(format!("not read as an error: {text}")));
            };
            prop_assert_eq!(as_json(&read), as_json(&e));
            prop_assert_eq!(read.category, e.category);
            prop_assert_eq!(read.policy_name, e.policy_name);
        }
    }

    /// Reading keeps the order of HubSpot's keys (`properties`, `context`, `links`): `Map`
    /// promises it, and the caller sees the objects as read.
    #[test]
    fn batch_responses_read_back_in_order(b in batch_response()) {
        let text = serde_json::to_string(&b).unwrap();
        prop_assert_eq!(read_body::<SimplePublicObject>(200, &text), Body::Batch(b));
    }
}

/// A value as JSON (objects as serde_json keeps them: by key).
fn as_json<T: serde::Serialize>(v: &T) -> serde_json::Value {
    serde_json::to_value(v).unwrap()
}

// ---------------------------------------------------------------------------------------
// What the caller sees of a run, as the serde derives write it (serde_json natively,
// serde-wasm-bindgen in the npm build)
// ---------------------------------------------------------------------------------------

#[test]
fn caller_visible_shapes_by_hand() {
    let reason = FailureReason::new(None, Category::NotUpdated, "left out \"x\"\n");
    assert_eq!(
        serde_json::to_string(&reason).unwrap(),
        r#"{"status":null,"category":"NOT_UPDATED","message":"left out \"x\"\n"}"#
    );
    assert_eq!(
        serde_json::to_string(&Progress {
            done: 3,
            failed: 1,
            total: 10
        })
        .unwrap(),
        r#"{"done":3,"failed":1,"total":10}"#
    );
    let stats = RunStats {
        requests: 2,
        retries: 0,
        rate_limited: 1,
        error_responses: 2,
        batches: 2,
        duration_ms: 12.5,
    };
    assert_eq!(
        serde_json::to_string(&stats).unwrap(),
        r#"{"requests":2,"retries":0,"rateLimited":1,"errorResponses":2,"batches":2,"durationMs":12.5}"#
    );
    assert_eq!(
        serde_json::to_string(&Map(vec![("a\"b".to_owned(), vec!["1".to_owned()])])).unwrap(),
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
/// Answers are written as JSON text and read with `read_body`, as a Rust driver does.
fn answer(body: &str, naming: Naming) -> (u16, Body) {
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
        let error = model::Error {
            category: Category::ValidationError,
            correlation_id: "c".into(),
            message: message.into(),
            ..model::Error::default()
        };
        return (400, read_body(400, &serde_json::to_string(&error).unwrap()));
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
    let batch = BatchResponse {
        completed_at: "b".into(),
        errors: vec![],
        links: None,
        num_errors: 0,
        requested_at: None,
        results,
        started_at: "a".into(),
        status: BatchStatus::Complete,
    };
    (200, read_body(200, &serde_json::to_string(&batch).unwrap()))
}

/// Drives `engine` on a virtual clock, each request answered by `answer` after
/// `latency(k)` for the k-th request, handling every action; returns the time it ended.
/// Fails on a wait that is not in the future, on a read of an answer not heard, on a
/// timeout, and on more than `max_sends` requests.
fn run_engine(
    engine: &mut Engine,
    naming: Naming,
    latency: impl Fn(usize) -> f64,
    max_sends: usize,
) -> Result<f64, TestCaseError> {
    let mut now = 0.0;
    let mut pending: Vec<(f64, u64, u16, Body)> = Vec::new();
    let mut heard: Vec<(u64, Body)> = Vec::new();
    let mut sent = 0usize;
    loop {
        match engine.poll(now) {
            Action::Send(out) => {
                sent += 1;
                prop_assert!(sent <= max_sends, "{} requests", sent);
                let (status, body) = answer(&out.request.body_json(), naming);
                pending.push((now + latency(sent), out.id, status, body));
                continue;
            }
            Action::Read(id) => {
                let pos = heard.iter().position(|h| h.0 == id);
                prop_assert!(pos.is_some(), "read of {} not heard", id);
                let (_, body) = heard.remove(pos.unwrap_or_default());
                engine.handle(now, Event::Body { id, body });
                continue;
            }
            Action::Cancel(id) => prop_assert!(false, "{} timed out", id),
            Action::Acquire(_) | Action::Release { .. } => {
                prop_assert!(false, "no shared limiter here")
            }
            Action::Done => return Ok(now),
            Action::WaitUntil(t) => {
                let next = pending.iter().map(|p| p.0).fold(t, f64::min);
                prop_assert!(t > now, "WaitUntil({}) at {}", t, now);
                now = next;
            }
            Action::AwaitEvent => {
                now = pending.iter().map(|p| p.0).fold(f64::INFINITY, f64::min);
                prop_assert!(now.is_finite());
            }
        }
        pending.sort_by(|a, b| a.0.total_cmp(&b.0));
        while pending.first().is_some_and(|p| p.0 <= now) {
            let (at, id, status, body) = pending.remove(0);
            engine.handle(
                now,
                Event::Heard {
                    id,
                    status,
                    meta: ResponseMeta::default(),
                    at,
                },
            );
            heard.push((id, body));
        }
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
                    associations: Value::Undefined,
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
        let mut engine: Engine = Engine::new(config, inputs, 0.0, 11);
        let now = run_engine(&mut engine, naming, |k| latencies[k % latencies.len()], 4 * n)?;
        let r = engine.finish(now).unwrap();
        let want_failed: Vec<usize> = (0..n).filter(|&i| invalid[i]).collect();
        let failed: Vec<usize> = r.failed.iter().map(|f| f.index).collect();
        prop_assert_eq!(&failed, &want_failed);
        let updated: Vec<String> = r.results.iter().map(|o| o.id.clone()).collect();
        let want_updated: Vec<String> = (0..n).filter(|&i| !invalid[i]).map(|i| i.to_string()).collect();
        prop_assert_eq!(updated, want_updated);
        for f in &r.failed {
            prop_assert_eq!(f.error.status, Some(400));
            prop_assert_eq!(&f.error.category, &Category::ValidationError);
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
            associations: Value::Undefined,
            unknown_fields: vec![],
        })
        .collect();
    let inputs = input::validate_inputs(&raws, None).unwrap();
    let mut engine: Engine = Engine::new(
        ClientConfig {
            rate_limit: None,
            ..ClientConfig::default()
        },
        inputs,
        0.0,
        1,
    );
    let mut seen = BTreeSet::new();
    let now = run_engine(&mut engine, Naming::Embedded, |_| 0.0, 8).unwrap();
    let r = engine.finish(now).unwrap();
    for f in &r.failed {
        assert!(seen.insert(f.index));
    }
    assert_eq!(seen.into_iter().collect::<Vec<_>>(), vec![1]);
}
