//! Any status, headers and body through the response readers: no panic, and what they return
//! is consistent (statuses, codes, classification of what is not JSON, round trips through the
//! model, embedded details).
//!
//! Input layout (so seeds can be written by hand):
//! `[status selector][header bytes length L][L bytes of "name:value\n" lines][body...]`.
//! A selector below 0xF0 picks from `STATUSES`; from 0xF0 the next two bytes are the raw
//! status (big-endian).

#![no_main]

use hubspot_batch::error::ErrorCode;
use hubspot_batch::model;
use hubspot_batch::response::{self, Body, ResponseMeta, Unreadable};
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

fn check_body(status: u16, body: &str) {
    let read = response::read_body(status, body);
    let parsed = response::parse_batch_response(status, body);
    let json = serde_json::from_str::<serde_json::Value>(body);
    match (&read, &parsed) {
        (Body::Batch(a), Ok(b)) => {
            assert!(response::is_batch_status(status));
            assert_eq!(a, b);
            // The model writes what it read, and reads back what it wrote (as JSON values:
            // serde_json's objects are keyed maps).
            let text = serde_json::to_string(a).expect("serialize BatchResponse");
            let Body::Batch(again) =
                response::read_body::<model::SimplePublicObject>(status, &text)
            else {
                panic!("read_body refuses what the model wrote")
            };
            assert_eq!(
                serde_json::to_value(&again).expect("to_value"),
                serde_json::to_value(a).expect("to_value"),
                "BatchResponse round trip"
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
                s if response::is_batch_status(s) => assert_eq!(code, ErrorCode::MalformedResponse),
                429 => assert_eq!(code, ErrorCode::RateLimited),
                _ => assert_eq!(code, ErrorCode::HttpError),
            }
            assert_eq!(&response::body_error(status, &read), e);
        }
    }
    match &read {
        Body::Unreadable(why) => {
            // Says why, never echoes the body (which may be a large HTML page).
            assert!(why.describe().len() <= 64);
            match &json {
                Err(_) => assert_eq!(*why, Unreadable::of_text(body), "not JSON, told apart"),
                Ok(_) => assert_eq!(*why, Unreadable::WrongShape, "JSON of another shape"),
            }
        }
        Body::Error(err) => {
            assert!(!response::is_batch_status(status));
            let e = response::error_from_body(status, err);
            let listed = err.errors.as_ref().is_none_or(Vec::is_empty);
            // Details embedded in the message are read when none are listed, and each names
            // the property it is about.
            let embedded = response::embedded_details(&err.message)
                .and_then(|t| serde_json::from_str::<Vec<model::ErrorDetail>>(t).ok());
            if listed {
                assert_eq!(e.errors.len(), embedded.map_or(0, |d| d.len()));
            }
            for d in &e.errors {
                if let (Some(name), true) = (&d.in_, listed) {
                    let ctx = d.context.as_ref().and_then(|c| c.get("propertyName"));
                    assert_eq!(ctx, Some(&vec![name.clone()]));
                }
            }
        }
        Body::Batch(_) => {}
    }
    // Any text as a message: the embedded array is found without panicking, and is a slice
    // of the message that starts and ends like an array.
    if let Some(t) = response::embedded_details(body) {
        assert!(t.starts_with('[') && t.ends_with(']'), "{t}");
    }
    // The proxy reads its callers' request bodies with the same model: what it reads, it
    // writes back as the same value.
    if let Ok(b) = serde_json::from_str::<model::BatchInputSimplePublicObjectBatchInput>(body) {
        let text = serde_json::to_string(&b).expect("serialize BatchInput");
        let again: model::BatchInputSimplePublicObjectBatchInput =
            serde_json::from_str(&text).expect("re-read BatchInput");
        assert_eq!(again, b);
    }
}

fuzz_target!(|data: &[u8]| {
    let Some((status, headers, body)) = split_input(data) else {
        return;
    };
    check_headers(&headers);
    check_body(status, &body);
});
