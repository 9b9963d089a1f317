//! Any status, headers and body through the response readers: no panic, and what they return
//! is consistent (statuses, codes, round trips, agreement with serde_json).
//!
//! Input layout (so seeds can be written by hand):
//! `[status selector][header bytes length L][L bytes of "name:value\n" lines][body...]`.
//! A selector below 0xF0 picks from `STATUSES`; from 0xF0 the next two bytes are the raw
//! status (big-endian).

#![no_main]

use hubspot_batch::error::ErrorCode;
use hubspot_batch::json::{self, JsonValue};
use hubspot_batch::model::{self, BatchResponse};
use hubspot_batch::read;
use hubspot_batch::response::{self, Body, ResponseMeta};
use hubspot_batch_fuzz::{all_finite, depth};
use libfuzzer_sys::fuzz_target;

const STATUSES: [u16; 16] = [
    200, 207, 400, 401, 403, 404, 409, 429, 500, 502, 503, 504, 0, 301, 307, 204,
];

fn split_input(data: &[u8]) -> Option<(u16, String, String)> {
    let (&sel, mut rest) = data.split_first()?;
    let status = if sel < 0xF0 {
        STATUSES[usize::from(sel) % STATUSES.len()]
    } else {
        let (hi, r) = rest.split_first()?;
        let (lo, r) = r.split_first()?;
        rest = r;
        u16::from_be_bytes([*hi, *lo])
    };
    let (&len, rest) = rest.split_first().unwrap_or((&0, &[]));
    let len = usize::from(len).min(rest.len());
    let (headers, body) = rest.split_at(len);
    Some((
        status,
        String::from_utf8_lossy(headers).into_owned(),
        String::from_utf8_lossy(body).into_owned(),
    ))
}

fn check_headers(headers: &str) {
    let pairs: Vec<(&str, &str)> = headers
        .split('\n')
        .map(|line| line.split_once(':').unwrap_or((line, "")))
        .collect();
    let meta = ResponseMeta::from_headers(pairs.iter().copied());
    if let Some(ms) = meta.rate_interval_ms {
        assert!(ms.is_finite() && ms > 0.0, "interval {ms}");
    }
    for v in pairs
        .iter()
        .map(|(_, v)| *v)
        .chain(meta.retry_after.as_deref())
    {
        if let Some(ms) = response::retry_after_ms(v) {
            assert!(
                (0.0..=3_600_000.0).contains(&ms),
                "retry-after {v:?} -> {ms}"
            );
        }
    }
}

fn check_json(text: &str) {
    let ours = json::parse(text);
    if let Ok(v) = &ours {
        // Our own writer reads back (non-finite numbers are written as null by design).
        if all_finite(v) {
            let again = json::parse(&v.to_json()).expect("to_json output must parse");
            assert_eq!(&again, v, "to_json round trip");
            let via_serde = serde_json::to_string(v).expect("serialize");
            let back: JsonValue =
                serde_json::from_str(&via_serde).expect("serde reads what it wrote");
            assert_eq!(&back, v, "serde round trip");
        }
    }
    // Whatever serde_json accepts, we accept, with the same value (serde_json is built with
    // float_roundtrip here, so both read numbers correctly rounded). Very deep texts are left
    // out: the two readers have slightly different depth limits.
    if let Ok(theirs) = serde_json::from_str::<JsonValue>(text) {
        if depth(&theirs) < 120 {
            let ours = ours.as_ref().unwrap_or_else(|e| {
                panic!("serde_json accepts, json::parse refuses at {}", e.offset)
            });
            assert_eq!(
                ours, &theirs,
                "json::parse and serde_json read different values"
            );
        }
    }
    // And the other way: what we accept, serde_json accepts, but for what we read as JS
    // does on purpose (lone surrogate escapes as U+FFFD, numbers beyond f64 as infinity) and
    // nesting past serde_json's depth limit.
    if let Ok(v) = &ours {
        if serde_json::from_str::<serde_json::Value>(text).is_err() {
            let lower = text.to_ascii_lowercase();
            let surrogate = lower.match_indices("\\ud").any(|(i, _)| {
                matches!(lower.as_bytes().get(i + 3), Some(b'8'..=b'9' | b'a'..=b'f'))
            });
            assert!(
                surrogate || !all_finite(v) || depth(v) >= 120,
                "json::parse accepts what serde_json refuses: {v:?}"
            );
        }
    }
    if let Ok((v, used)) = json::parse_prefix(text) {
        assert!(used <= text.len() && text.is_char_boundary(used));
        assert_eq!(
            json::parse(&text[..used]).as_ref(),
            Ok(&v),
            "prefix re-read"
        );
    }
    let mut out = String::new();
    json::write_string(&mut out, text);
    let back: String = serde_json::from_str(&out).expect("write_string output is a JSON string");
    assert_eq!(back, text);
}

/// The wasm build reads bodies with `read::*` (hand-written readers over the core's own JSON
/// reader) where the native build uses serde_json. The readers must accept and refuse exactly
/// what serde's derives accept through `JsonValue` (`json::from_str`), and whatever serde_json
/// reads they must read the same; `json::to_string` must write what all of them read back.
fn check_core_reader<T>(body: &str, read: fn(JsonValue) -> Result<T, json::ShapeError>)
where
    T: serde::de::DeserializeOwned + serde::Serialize + PartialEq + std::fmt::Debug,
{
    let hand = hubspot_batch::read::from_str(body, read);
    let derived = json::from_str::<T>(body);
    assert_eq!(
        hand.as_ref().ok(),
        derived.as_ref().ok(),
        "read:: and the serde derive over JsonValue disagree"
    );
    if let Ok(theirs) = serde_json::from_str::<T>(body) {
        let deep = serde_json::from_str::<JsonValue>(body).map_or(true, |v| depth(&v) >= 120);
        if !deep {
            let ours = hand.as_ref().expect("serde_json reads it, read:: does not");
            assert_eq!(ours, &theirs, "read:: and serde_json read different values");
        }
    }
    if let Ok(ours) = &hand {
        let text = json::to_string(ours);
        let again = hubspot_batch::read::from_str(&text, read)
            .expect("read:: reads json::to_string's output");
        let via_serde: T =
            serde_json::from_str(&text).expect("serde_json reads json::to_string's output");
        // A number beyond f64 (in a free-form field such as `subCategory`) reads as ±inf,
        // as in JS, and is written as `null`, as JSON.stringify does: such a value cannot
        // come back the same, but what is written must then be a fixed point.
        if json::parse(body).map_or(true, |v| all_finite(&v)) {
            assert_eq!(&again, ours, "json::to_string round trip");
            assert_eq!(
                &via_serde, ours,
                "json::to_string output read by serde_json"
            );
        } else {
            assert_eq!(json::to_string(&again), text, "json::to_string fixed point");
            assert_eq!(
                json::to_string(&via_serde),
                text,
                "json::to_string fixed point (serde_json)"
            );
        }
    }
}

fn check_body(status: u16, body: &str) {
    check_core_reader::<BatchResponse>(body, read::batch_response);
    check_core_reader::<model::Error>(body, read::error);
    // The proxy reads its callers' request bodies the same way.
    check_core_reader::<model::BatchInputSimplePublicObjectBatchInput>(
        body,
        read::batch_input_body,
    );
    let read = response::read_body(status, body);
    let parsed = response::parse_batch_response(status, body);
    match (&read, &parsed) {
        (Body::Batch(a), Ok(b)) => {
            assert!(response::is_batch_status(status));
            assert_eq!(a, b);
            // The model writes what it read, and reads back what it wrote.
            let text = serde_json::to_string(a).expect("serialize BatchResponse");
            let again: BatchResponse = serde_json::from_str(&text).expect("re-read BatchResponse");
            assert_eq!(&again, a, "BatchResponse round trip");
            // What the wasm build hands to JS: the hand-written writer, byte for byte what
            // the serde derive writes.
            assert_eq!(
                hubspot_batch::write::to_json(a),
                json::to_string(a),
                "write::to_json and json::to_string differ"
            );
        }
        (Body::Batch(_), Err(_)) | (_, Ok(_)) => {
            panic!("read_body and parse_batch_response disagree")
        }
        (_, Err(e)) => {
            assert_eq!(e.status, Some(status));
            assert!(!e.message.is_empty());
            let code = e.code();
            match status {
                200 | 207 => assert_eq!(code, ErrorCode::MalformedResponse),
                429 => assert_eq!(code, ErrorCode::RateLimited),
                _ => assert_eq!(code, ErrorCode::HttpError),
            }
            assert_eq!(&response::body_error(status, &read), e);
        }
    }
    match &read {
        Body::Unreadable(why) => {
            // Says why, never echoes the body (which may be a large HTML page).
            assert!(why.len() <= 64, "unreadable text too long: {why:?}");
        }
        Body::Error(err) => {
            let e = response::error_from_body(status, err);
            if err.errors.as_ref().is_none_or(Vec::is_empty) {
                assert_eq!(e.errors, response::parse_embedded_details(&err.message));
            }
        }
        Body::Batch(_) => {}
    }
    // Any text as a message: embedded details never panic, and each names what it read.
    for d in response::parse_embedded_details(body) {
        if let Some(name) = &d.in_ {
            let ctx = d.context.as_ref().and_then(|c| c.get("propertyName"));
            assert_eq!(ctx, Some(&vec![name.clone()]));
        }
    }
}

/// Numbers as JS holds them (1.0 and 1 are one value; -0 is not 0), for comparing values.
fn js_normal(v: serde_json::Value) -> serde_json::Value {
    use serde_json::Value as V;
    match v {
        V::Number(n) => match n.as_f64() {
            Some(z) if z == 0.0 && z.is_sign_negative() => V::String("-0".into()),
            Some(z) => V::from(z),
            None => V::Null,
        },
        V::Array(a) => V::Array(a.into_iter().map(js_normal).collect()),
        V::Object(o) => V::Object(o.into_iter().map(|(k, v)| (k, js_normal(v))).collect()),
        other => other,
    }
}

/// The wasm build's fast paths on the same text: `batch_scan` (a plain body is returned as
/// `JSON.parse(body)` plus defaults) must agree with the long way; `json_inputs` (request
/// bodies straight from `JSON.stringify(inputs)`) must write valid batch bodies.
fn check_fast_paths(body: &str) {
    use hubspot_batch::batch_scan::{self, Fill};
    if let Some(fill) = batch_scan::check(body) {
        let Body::Batch(b) = response::read_body(200, body) else {
            panic!("batch_scan took a body the long way refuses");
        };
        let mut fast: serde_json::Value =
            serde_json::from_str(body).expect("a checked body is JSON");
        let o = fast.as_object_mut().expect("an object");
        for f in fill {
            let (k, d) = match f {
                Fill::EmptyString(k) => (k, serde_json::json!("")),
                Fill::EmptyList(k) => (k, serde_json::json!([])),
                Fill::Zero(k) => (k, serde_json::json!(0)),
            };
            assert!(o.insert(k.to_owned(), d).is_none(), "{k} was there");
        }
        let slow: serde_json::Value =
            serde_json::from_str(&json::to_string(&b)).expect("the long way writes JSON");
        assert_eq!(
            js_normal(fast),
            js_normal(slow),
            "batch_scan and the long way differ"
        );
    }
    let config = hubspot_batch::config::ClientConfig::default();
    let prepared = hubspot_batch::json_inputs::inputs(body, None);
    let requests = hubspot_batch::json_inputs::requests(body, None, &config);
    // Both read the same inputs: one gives the engine's inputs, the other the bodies the
    // engine makes of them.
    assert_eq!(
        prepared.map(|p| {
            p.chunks(config.batch_size)
                .map(|c| hubspot_batch::engine::prepared::encode_body(c.iter()))
                .collect::<Vec<_>>()
        }),
        requests
            .as_ref()
            .map(|r| r.iter().map(|r| r.body.clone()).collect::<Vec<_>>()),
        "json_inputs::inputs and json_inputs::requests differ"
    );
    for r in requests.unwrap_or_default() {
        let parsed: model::BatchInputSimplePublicObjectBatchInput =
            serde_json::from_str(&r.body).expect("json_inputs writes a batch body");
        assert_eq!(parsed.inputs.len(), r.input_indexes.len());
    }
}

fuzz_target!(|data: &[u8]| {
    let Some((status, headers, body)) = split_input(data) else {
        return;
    };
    check_headers(&headers);
    check_body(status, &body);
    check_fast_paths(&body);
    check_json(&body);
    let _ = response::describe_non_json(&body);
});
