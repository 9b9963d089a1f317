//! Arbitrary inputs and options, as JS could pass them, through validation and formatting:
//! no panic, refusals name an input and field, accepted inputs are exactly what was given,
//! options never echo the token, and an accepted `http:` base URL really is loopback.

#![no_main]

use arbitrary::Arbitrary;
use hubspot_batch::config::{self, OptionSet};
use hubspot_batch::error::ErrorCode;
use hubspot_batch::input::{self, RawInput, Value};
use hubspot_batch::model::BatchInputSimplePublicObjectBatchInput;
use hubspot_batch::request;
use libfuzzer_sys::fuzz_target;

const OTHER: [&str; 5] = ["object", "bigint", "function", "symbol", "undefined"];
const KEYS: [&str; 14] = [
    "accessToken",
    "baseUrl",
    "objectType",
    "batchSize",
    "concurrency",
    "rateLimit",
    "maxRetries",
    "timeoutMs",
    "fetch",
    "idProperty",
    "requests",
    "intervalMs",
    "hs_object_id",
    "",
];

#[derive(Arbitrary, Debug, Clone)]
enum FValue {
    Str(String),
    Number(f64),
    /// A small integer, so that option bounds are actually hit.
    Int(i8),
    Bool(bool),
    Date(f64),
    List(Vec<FValue>),
    Null,
    Undefined,
    Object(Vec<(FKey, FValue)>),
    Other(u8),
}

#[derive(Arbitrary, Debug, Clone)]
enum FKey {
    Known(u8),
    Any(String),
}

impl FKey {
    fn get(&self) -> String {
        match self {
            FKey::Known(i) => KEYS[usize::from(*i) % KEYS.len()].to_owned(),
            FKey::Any(s) => s.clone(),
        }
    }
}

impl FValue {
    fn get(&self) -> Value {
        match self {
            FValue::Str(s) => Value::Str(s.clone()),
            FValue::Number(n) => Value::Number(*n),
            FValue::Int(n) => Value::Number(f64::from(*n)),
            FValue::Bool(b) => Value::Bool(*b),
            FValue::Date(d) => Value::Date(*d),
            FValue::List(items) => Value::List(items.iter().map(FValue::get).collect()),
            FValue::Null => Value::Null,
            FValue::Undefined => Value::Undefined,
            FValue::Object(entries) => {
                Value::Object(entries.iter().map(|(k, v)| (k.get(), v.get())).collect())
            }
            FValue::Other(i) => Value::Other(OTHER[usize::from(*i) % OTHER.len()]),
        }
    }
}

#[derive(Arbitrary, Debug)]
enum FProps {
    Entries(Vec<(FKey, FValue)>),
    Not(FValue),
}

#[derive(Arbitrary, Debug)]
enum FRaw {
    Object {
        id: FValue,
        properties: FProps,
        id_property: FValue,
        object_write_trace_id: FValue,
        unknown_fields: Vec<String>,
    },
    NotObject(u8),
}

impl FRaw {
    fn get(&self) -> RawInput {
        match self {
            FRaw::Object {
                id,
                properties,
                id_property,
                object_write_trace_id,
                unknown_fields,
            } => RawInput::Object {
                id: id.get(),
                properties: match properties {
                    FProps::Entries(e) => Ok(e.iter().map(|(k, v)| (k.get(), v.get())).collect()),
                    FProps::Not(v) => Err(v.get()),
                },
                id_property: id_property.get(),
                object_write_trace_id: object_write_trace_id.get(),
                associations: Value::Undefined,
                unknown_fields: unknown_fields.clone(),
            },
            FRaw::NotObject(i) => RawInput::NotObject(OTHER[usize::from(*i) % OTHER.len()]),
        }
    }
}

#[derive(Arbitrary, Debug)]
enum FUrl {
    Any(String),
    /// `scheme://authority/path`, so the interesting parts get fuzzed separately.
    Parts(u8, String, String),
}

impl FUrl {
    fn get(&self) -> String {
        match self {
            FUrl::Any(s) => s.clone(),
            FUrl::Parts(scheme, authority, path) => {
                let scheme = ["https", "http", "HTTP", "ftp", ""][usize::from(*scheme) % 5];
                format!("{scheme}://{authority}{path}")
            }
        }
    }
}

#[derive(Arbitrary, Debug)]
struct Case {
    raw: Vec<FRaw>,
    default_id_property: Option<String>,
    values: Vec<FValue>,
    options: Vec<(FKey, FValue)>,
    build: bool,
    urls: Vec<FUrl>,
}

fn check_number(n: f64, s: &str) {
    assert!(!s.contains(['e', 'E']), "{n} -> {s}");
    let back: f64 = s.parse().expect("formatted number parses");
    assert!(back == n, "{n} -> {s} -> {back}");
}

fn check_format(v: &Value) {
    match (v, input::format_value(v)) {
        (Value::Number(n), Ok(s)) => check_number(*n, &s),
        (Value::Number(n), Err(_)) => assert!(!n.is_finite()),
        (Value::Date(ms), Ok(s)) => check_number(ms.trunc(), &s),
        (Value::Date(ms), Err(_)) => assert!(!ms.is_finite()),
        (Value::Str(x), r) => assert_eq!(r.as_deref(), Ok(x.as_str())),
        (Value::Bool(b), r) => assert_eq!(r, Ok(b.to_string())),
        (Value::Null, r) => assert_eq!(r.as_deref(), Ok("")),
        (Value::List(items), Ok(s)) => {
            let strs: Vec<&str> = items
                .iter()
                .map(|i| match i {
                    Value::Str(x) => x.as_str(),
                    _ => panic!("non-string element accepted"),
                })
                .collect();
            assert!(strs.iter().all(|x| !x.contains(';')));
            assert_eq!(s, strs.join(";"));
            if !strs.is_empty() {
                assert_eq!(s.split(';').collect::<Vec<_>>(), strs);
            }
        }
        (Value::List(items), Err(why)) => {
            // Names the first offending element.
            let bad = items
                .iter()
                .position(|i| !matches!(i, Value::Str(x) if !x.contains(';')))
                .expect("a refused list has an offending element");
            assert_eq!(why.element, Some(bad), "{why:?}");
            assert!(
                why.after_path().starts_with(&format!("[{bad}]: ")),
                "{why:?}"
            );
        }
        (Value::Undefined | Value::Object(_) | Value::Other(_), r) => assert!(r.is_err()),
    }
}

fn check_inputs(raw: &[RawInput], default_id_property: Option<&str>) {
    match input::validate_inputs(raw, default_id_property) {
        Ok(out) => {
            assert_eq!(out.len(), raw.len());
            for (x, r) in out.iter().zip(raw) {
                let RawInput::Object {
                    id,
                    properties: Ok(entries),
                    id_property,
                    object_write_trace_id,
                    unknown_fields,
                    ..
                } = r
                else {
                    panic!("accepted a non-object input")
                };
                assert!(unknown_fields.is_empty());
                assert_eq!(id, &Value::Str(x.id.clone()));
                assert!(!x.id.is_empty());
                assert_eq!(x.properties.len(), entries.len());
                for ((k, s), (rk, rv)) in x.properties.0.iter().zip(entries) {
                    assert_eq!(k, rk);
                    assert!(!k.is_empty());
                    assert_eq!(input::format_value(rv).as_ref(), Ok(s));
                }
                match id_property {
                    Value::Str(p) => assert_eq!(x.id_property.as_deref(), Some(p.as_str())),
                    _ => assert_eq!(x.id_property.as_deref(), default_id_property),
                }
                match object_write_trace_id {
                    Value::Str(t) => {
                        assert_eq!(x.object_write_trace_id.as_deref(), Some(t.as_str()))
                    }
                    _ => assert_eq!(x.object_write_trace_id, None),
                }
            }
            // No record named twice, no trace id used twice.
            let mut keys: Vec<(&str, &str)> = out
                .iter()
                .map(|x| (input::id_key(x), x.id.as_str()))
                .collect();
            keys.sort_unstable();
            assert!(keys.windows(2).all(|w| w[0] != w[1]), "duplicate accepted");
            let mut traces: Vec<&str> = out
                .iter()
                .filter_map(|x| x.object_write_trace_id.as_deref())
                .collect();
            traces.sort_unstable();
            assert!(
                traces.windows(2).all(|w| w[0] != w[1]),
                "duplicate trace accepted"
            );
            // The request bodies carry exactly these inputs.
            let config = hubspot_batch::config::ClientConfig {
                batch_size: 7,
                ..hubspot_batch::config::ClientConfig::default()
            };
            let requests = request::build_batch_update_requests(&out, &config);
            let chunks = request::chunk_indexes(out.len(), 7);
            assert_eq!(requests.len(), chunks.len());
            for (chunk, r) in chunks.iter().zip(&requests) {
                assert_eq!(&r.input_indexes, chunk);
                let back: BatchInputSimplePublicObjectBatchInput =
                    serde_json::from_str(&r.body_json()).expect("body is JSON");
                assert_eq!(
                    back.inputs,
                    chunk.iter().map(|&i| out[i].clone()).collect::<Vec<_>>()
                );
            }
        }
        Err(e) => {
            assert_eq!(e.code, Some(ErrorCode::InvalidInput));
            let m = &e.message;
            if m.starts_with("idProperty") {
                assert_eq!(default_id_property, Some(""));
            } else {
                let rest = m
                    .strip_prefix("inputs[")
                    .unwrap_or_else(|| panic!("message names no input: {m}"));
                let index: usize = rest[..rest.find(']').expect("closing ]")]
                    .parse()
                    .expect("an index");
                assert!(index < raw.len(), "{m}");
            }
        }
    }
}

/// The token never shows in an error or in Debug output: the same options with another
/// token of the same validity give the same message.
fn check_options(entries: &[(String, Value)], set: OptionSet) {
    let other: Vec<(String, Value)> = entries
        .iter()
        .map(|(k, v)| match (k.as_str(), v) {
            ("accessToken", Value::Str(t)) => {
                let safe = !t.is_empty() && t.bytes().all(|b| (0x21..0x7f).contains(&b));
                (
                    k.clone(),
                    Value::Str(if safe {
                        "Z".repeat(t.len())
                    } else {
                        " ".to_owned()
                    }),
                )
            }
            _ => (k.clone(), v.clone()),
        })
        .collect();
    let a = config::parse_options(entries, set);
    let b = config::parse_options(&other, set);
    match (&a, &b) {
        (Ok(pa), Ok(pb)) => {
            assert_eq!(
                format!("{pa:?}"),
                format!("{pb:?}"),
                "Debug shows the token"
            );
            let c = &pa.config;
            assert!((1..=config::MAX_BATCH_SIZE).contains(&c.batch_size));
            assert!(c.concurrency >= 1);
            assert!(c.timeout_ms.is_finite() && c.timeout_ms > 0.0);
            if let Some(r) = c.rate_limit {
                assert!(r.requests >= 1 && r.interval_ms.is_finite() && r.interval_ms > 0.0);
            }
            assert_eq!(
                config::normalize_base_url(&c.base_url).as_ref(),
                Ok(&c.base_url)
            );
            check_url_is_safe(&c.base_url);
            assert!(!c.object_type.is_empty());
            assert!(c
                .object_type
                .chars()
                .all(|ch| ch.is_ascii_alphanumeric() || ch == '-' || ch == '_'));
            if set == OptionSet::Client && c.access_token.is_none() {
                assert_ne!(c.base_url, config::DEFAULT_BASE_URL);
            }
            let url = request::batch_update_url(c);
            check_url_is_safe(&url);
        }
        (Err(ea), Err(eb)) => {
            assert_eq!(ea.message, eb.message, "the message depends on the token");
            let want = match set {
                OptionSet::Client => ErrorCode::InvalidConfig,
                OptionSet::Build => ErrorCode::InvalidInput,
            };
            assert_eq!(ea.code, Some(want));
            assert!(ea.message.starts_with("options."), "{}", ea.message);
        }
        _ => panic!("the token's value decided acceptance"),
    }
}

/// What a WHATWG URL parser (as `fetch` uses) makes of an accepted URL: http only to loopback,
/// no credentials, query or fragment.
fn check_url_is_safe(accepted: &str) {
    assert!(!accepted.ends_with('/'), "{accepted}");
    let Ok(u) = url::Url::parse(accepted) else {
        // fetch() refuses it too: nothing is sent.
        return;
    };
    assert!(
        u.username().is_empty() && u.password().is_none(),
        "{accepted}: credentials"
    );
    assert!(
        u.query().is_none() && u.fragment().is_none(),
        "{accepted}: query or fragment"
    );
    match u.scheme() {
        "https" => {}
        "http" => {
            let loopback = match u.host() {
                Some(url::Host::Domain(d)) => d == "localhost",
                Some(url::Host::Ipv4(ip)) => ip.is_loopback(),
                Some(url::Host::Ipv6(ip)) => ip.is_loopback(),
                None => false,
            };
            assert!(
                loopback,
                "{accepted}: http to a host that is not loopback ({:?})",
                u.host()
            );
        }
        other => panic!("{accepted}: scheme {other}"),
    }
}

fn check_url(s: &str) {
    match config::normalize_base_url(s) {
        Ok(u) => {
            assert_eq!(
                config::normalize_base_url(&u).as_ref(),
                Ok(&u),
                "not idempotent: {s:?}"
            );
            assert!(u.starts_with("https://") || u.starts_with("http://"));
            assert!(!u.contains(['?', '#']));
            let authority = u
                .split_once("://")
                .map_or("", |(_, rest)| rest.split('/').next().unwrap_or(""));
            assert!(!authority.contains('@'), "{u}");
            check_url_is_safe(&u);
        }
        Err(m) => assert!(!m.is_empty()),
    }
}

fuzz_target!(|case: Case| {
    for v in &case.values {
        check_format(&v.get());
    }
    let raw: Vec<RawInput> = case.raw.iter().map(FRaw::get).collect();
    check_inputs(&raw, case.default_id_property.as_deref());
    let options: Vec<(String, Value)> = case
        .options
        .iter()
        .map(|(k, v)| (k.get(), v.get()))
        .collect();
    let set = if case.build {
        OptionSet::Build
    } else {
        OptionSet::Client
    };
    check_options(&options, set);
    for u in &case.urls {
        check_url(&u.get());
    }
});
