//! Reading HubSpot's answers: batch bodies, error bodies, rate-limit headers.
//!
//! JSON text is read by whoever has a JSON reader: natively serde_json ([`read_body`], feature
//! `json`), in the npm build the JS engine's `JSON.parse` with serde-wasm-bindgen. This module
//! holds what both share: the shapes ([`Body`]), the classification of what is not JSON
//! ([`Unreadable`]), and the turning of an answer into a [`HubSpotError`].

use crate::error::{ErrorCode, HubSpotError};
use crate::input::parse_decimal;
use crate::model::{self, BatchResponse};

/// What a transport read from a response body, through its JSON reader.
#[derive(Clone, Debug, PartialEq)]
#[allow(clippy::large_enum_variant)] // one per answer, moved once
pub enum Body<T = model::SimplePublicObject> {
    /// A 200/207 body that is a batch response.
    Batch(BatchResponse<T>),
    /// An error status with HubSpot's error body (details embedded in its message already
    /// moved to `errors`, see [`embedded_details`]).
    Error(model::Error),
    /// A body that could not be read as expected.
    Unreadable(Unreadable),
}

/// Why a body could not be read; never the body itself, which may be a large HTML page.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Unreadable {
    /// Nothing, or only white space.
    Empty,
    /// An HTML page (a proxy's or a load balancer's).
    Html,
    /// Text that starts like JSON but does not parse: cut off mid-answer, as a broken
    /// connection leaves it.
    TruncatedJson,
    /// Text that is not JSON at all.
    NotJson,
    /// JSON, but not the shape the status promises.
    WrongShape,
}

impl Unreadable {
    /// Why `text`, which did not parse as JSON, did not.
    pub fn of_text(text: &str) -> Unreadable {
        let t = text.trim_start();
        if t.is_empty() {
            Unreadable::Empty
        } else if t.starts_with('{') || t.starts_with('[') {
            Unreadable::TruncatedJson
        } else if t.starts_with('<') {
            Unreadable::Html
        } else {
            Unreadable::NotJson
        }
    }

    /// For messages: `HubSpot answered 200 with <this>`.
    pub fn describe(self) -> &'static str {
        match self {
            Unreadable::Empty => "an empty body",
            Unreadable::Html => "an HTML page",
            Unreadable::TruncatedJson => "invalid or truncated JSON",
            Unreadable::NotJson => "a body that is not JSON",
            Unreadable::WrongShape => "JSON that is not a batch response",
        }
    }
}

/// The response headers the engine uses.
#[derive(Clone, Debug, PartialEq, Default)]
pub struct ResponseMeta {
    /// `Retry-After`, raw.
    pub retry_after: Option<String>,
    /// `X-HubSpot-RateLimit-Max`
    pub rate_max: Option<u32>,
    /// `X-HubSpot-RateLimit-Remaining`
    pub rate_remaining: Option<u32>,
    /// `X-HubSpot-RateLimit-Interval-Milliseconds`
    pub rate_interval_ms: Option<f64>,
    /// `Location`, for redirects (only its origin is ever reported).
    pub location: Option<String>,
}

impl ResponseMeta {
    /// Fills the fields from header (name, value) pairs; names are case-insensitive.
    pub fn from_headers<'a>(headers: impl IntoIterator<Item = (&'a str, &'a str)>) -> Self {
        let mut meta = ResponseMeta::default();
        for (name, value) in headers {
            let value = value.trim();
            match name.to_ascii_lowercase().as_str() {
                "retry-after" => meta.retry_after = Some(value.to_owned()),
                "x-hubspot-ratelimit-max" => meta.rate_max = parse_u32(value),
                "x-hubspot-ratelimit-remaining" => meta.rate_remaining = parse_u32(value),
                "x-hubspot-ratelimit-interval-milliseconds" => {
                    meta.rate_interval_ms = parse_decimal(value).filter(|n| *n > 0.0)
                }
                "location" => meta.location = Some(value.to_owned()),
                _ => {}
            }
        }
        meta
    }

    /// The header names [`ResponseMeta::from_headers`] reads, so a transport can ask for
    /// just these.
    pub const HEADER_NAMES: [&'static str; 5] = [
        "retry-after",
        "x-hubspot-ratelimit-max",
        "x-hubspot-ratelimit-remaining",
        "x-hubspot-ratelimit-interval-milliseconds",
        "location",
    ];
}

/// A decimal `u32` (an optional `+`, digits), `None` for anything else or an overflow.
pub fn parse_u32(s: &str) -> Option<u32> {
    let digits = s.strip_prefix('+').unwrap_or(s);
    if digits.is_empty() {
        return None;
    }
    let mut n: u32 = 0;
    for b in digits.bytes() {
        if !b.is_ascii_digit() {
            return None;
        }
        n = n.checked_mul(10)?.checked_add(u32::from(b - b'0'))?;
    }
    Some(n)
}

/// The longest wait a `Retry-After` may impose: a broken or hostile header must not park a
/// run forever.
pub const MAX_RETRY_AFTER_MS: f64 = 3_600_000.0;

/// What an echoed token is replaced with.
pub const REDACTED: &str = "[redacted]";

/// `text` with every occurrence of `secret` replaced by [`REDACTED`]. A secret shorter than 8
/// characters is not searched for (real tokens are far longer, and a short one would redact
/// ordinary words).
pub fn redact_secret(text: &str, secret: &str) -> String {
    if !holds_secret(text, secret) {
        return text.to_owned();
    }
    crate::text::replace(text, secret, REDACTED)
}

/// Whether `text` holds `secret` (of 8 characters or more).
pub fn holds_secret(text: &str, secret: &str) -> bool {
    secret.len() >= 8 && crate::text::contains(text, secret)
}

/// The bearer token of an `Authorization` header among `headers`.
pub fn bearer_token(headers: &[(String, String)]) -> Option<&str> {
    headers
        .iter()
        .find(|(k, _)| k.eq_ignore_ascii_case("authorization"))
        .and_then(|(_, v)| v.strip_prefix("Bearer "))
}

/// `Retry-After` in milliseconds (delay-seconds; an HTTP date is not used by HubSpot and is
/// ignored), capped at [`MAX_RETRY_AFTER_MS`].
pub fn retry_after_ms(value: &str) -> Option<f64> {
    let secs = parse_decimal(value.trim())?;
    Some((secs * 1000.0).min(MAX_RETRY_AFTER_MS))
}

/// Successful answers: 200 and 207 carry batch bodies, as does create's 201; archive's 204
/// has none. Any 2xx is taken as success, as the schema may add codes (HubSpot changed an
/// association endpoint from 201 to 200 in 2025).
pub fn is_batch_status(status: u16) -> bool {
    (200..=299).contains(&status)
}

/// The JSON array HubSpot embeds in a 400's message (`Property values were not valid:
/// [...]`), as text for a JSON reader; `None` when there is none.
pub fn embedded_details(message: &str) -> Option<&str> {
    let start = crate::text::find(message, ": [")? + 2;
    let end = crate::text::rfind(message, "]")? + 1;
    message.get(start..end)
}

/// Moves the details HubSpot embeds in a 400's message (`Property values were not valid:
/// [...]`) into `errors` when it lists none. `parse` reads the array's JSON text with the
/// caller's JSON reader as [`model::ErrorDetail`]s (which take the array's names, `error` and
/// `name`); each gets the `propertyName` context HubSpot's own details carry.
pub fn take_embedded_details(
    e: &mut model::Error,
    parse: impl FnOnce(&str) -> Option<Vec<model::ErrorDetail>>,
) {
    if e.errors.as_ref().is_some_and(|d| !d.is_empty()) {
        return;
    }
    let Some(mut details) = embedded_details(&e.message).and_then(parse) else {
        return;
    };
    for d in &mut details {
        if let (None, Some(name)) = (&d.context, &d.in_) {
            d.context = Some(model::Map(vec![(
                "propertyName".to_owned(),
                vec![name.clone()],
            )]));
        }
    }
    e.errors = Some(details);
}

/// Reads `text` as the body of an answer with `status`, with serde_json. Straight into the
/// model (not through `serde_json::Value`, whose sorted maps would lose HubSpot's key order);
/// only text that does not fit is looked at again, to say why.
#[cfg(feature = "json")]
pub fn read_body<T: serde::de::DeserializeOwned>(status: u16, text: &str) -> Body<T> {
    let why = || match serde_json::from_str::<serde_json::Value>(text) {
        Ok(_) => Unreadable::WrongShape,
        Err(_) => Unreadable::of_text(text),
    };
    if is_batch_status(status) {
        return match serde_json::from_str::<BatchResponse<T>>(text) {
            Ok(b) => Body::Batch(b),
            Err(_) => Body::Unreadable(why()),
        };
    }
    match serde_json::from_str::<model::Error>(text) {
        Ok(mut e) => {
            take_embedded_details(&mut e, |t| serde_json::from_str(t).ok());
            Body::Error(e)
        }
        Err(_) => Body::Unreadable(why()),
    }
}

/// `parseBatchResponse`: a 200/207 body, or the error the answer stands for.
#[cfg(feature = "json")]
pub fn parse_batch_response(status: u16, text: &str) -> Result<BatchResponse, HubSpotError> {
    match read_body(status, text) {
        Body::Batch(b) => Ok(b),
        body => Err(body_error(status, &body)),
    }
}

/// The error an answer that is not a usable batch body stands for.
pub fn body_error<T>(status: u16, body: &Body<T>) -> HubSpotError {
    let (code, message) = match body {
        Body::Error(e) => return error_from_body(status, e),
        Body::Unreadable(why) if is_batch_status(status) => (
            ErrorCode::MalformedResponse,
            format!("HubSpot answered {status} with {}", why.describe()),
        ),
        Body::Unreadable(why) => (
            status_code(status),
            format!("HubSpot answered {status} with {}", why.describe()),
        ),
        Body::Batch(_) => (ErrorCode::HttpError, format!("HubSpot answered {status}")),
    };
    let mut e = HubSpotError::new(code, message);
    e.status = Some(status);
    e
}

fn status_code(status: u16) -> ErrorCode {
    if status == 429 {
        ErrorCode::RateLimited
    } else {
        ErrorCode::HttpError
    }
}

/// Turns HubSpot's error body into a [`HubSpotError`].
pub fn error_from_body(status: u16, body: &model::Error) -> HubSpotError {
    let message = if body.message.is_empty() {
        format!("HubSpot answered {status}")
    } else {
        body.message.clone()
    };
    let category = match &body.category {
        model::Category::Other(s) if s.is_empty() => None,
        c => Some(c.clone()),
    };
    HubSpotError {
        code: Some(status_code(status)),
        message,
        status: Some(status),
        category,
        sub_category: body.sub_category.clone(),
        correlation_id: (!body.correlation_id.is_empty()).then(|| body.correlation_id.clone()),
        policy_name: body.policy_name.clone(),
        errors: body.errors.clone().unwrap_or_default(),
        context: body.context.clone(),
    }
}

#[cfg(all(test, feature = "json"))]
mod tests {
    use super::*;
    use crate::model::BatchStatus;
    use proptest::prelude::*;

    proptest! {
        #![proptest_config(ProptestConfig { cases: 5000, ..ProptestConfig::default() })]

        #[test]
        fn parse_u32_agrees_with_std(s in "[+-]{0,2}[0-9]{0,11}[ a٣]?") {
            prop_assert_eq!(parse_u32(&s), s.parse::<u32>().ok());
        }
    }

    #[test]
    fn parse_u32_by_hand() {
        for s in [
            "",
            "+",
            "-",
            "0",
            "+0",
            "007",
            "4294967295",
            "4294967296",
            "-1",
            "1 ",
            "+-1",
        ] {
            assert_eq!(parse_u32(s), s.parse::<u32>().ok(), "{s:?}");
        }
    }

    #[test]
    fn reads_200_and_207_with_nulls() {
        let ok = r#"{"status":"COMPLETE","results":[{"id":"1","properties":{"amount":"5","hs_closed_amount":null},"createdAt":"2019-10-30T03:30:17.883Z","updatedAt":"2019-12-07T16:50:06.678Z","archived":false,"objectWriteTraceId":"t1"}],"startedAt":"a","completedAt":"b"}"#;
        let b = parse_batch_response(200, ok).unwrap();
        assert_eq!(b.status, BatchStatus::Complete);
        assert_eq!(b.results[0].properties.get("hs_closed_amount"), Some(&None));
        assert_eq!(b.results[0].object_write_trace_id.as_deref(), Some("t1"));
        let multi = r#"{"status":"COMPLETE","results":[],"numErrors":1,"errors":[{"status":"error","category":"OBJECT_NOT_FOUND","message":"Could not get some DEAL objects","context":{"ids":["99"]},"subCategory":{"x":1}}],"startedAt":"a","completedAt":"b"}"#;
        let b = parse_batch_response(207, multi).unwrap();
        assert_eq!(b.errors[0].context.get("ids"), Some(&vec!["99".to_owned()]));
        assert_eq!(b.num_errors, 1);
        // A non-string subCategory is dropped, not a reason to refuse the answer.
        assert_eq!(b.errors[0].sub_category, None);
        assert_eq!(b.errors[0].category, model::Category::ObjectNotFound);
    }

    #[test]
    fn malformed_batch_bodies_are_malformed_response() {
        for body in [
            "",
            "<html>oops</html>",
            r#"{"status":"COMPLETE","results":[{"id":"#,
            r#"{"results":"x"}"#,
        ] {
            let e = parse_batch_response(200, body).unwrap_err();
            assert_eq!(e.code, Some(ErrorCode::MalformedResponse), "{body}");
        }
    }

    #[test]
    fn error_bodies_keep_hubspot_fields() {
        let body = r#"{"status":"error","message":"You have reached your ten_secondly_rolling limit.","errorType":"RATE_LIMIT","correlationId":"c-1","policyName":"TEN_SECONDLY_ROLLING","groupName":"g","category":"RATE_LIMITS"}"#;
        let e = parse_batch_response(429, body).unwrap_err();
        assert_eq!(e.code, Some(ErrorCode::RateLimited));
        assert_eq!(e.policy_name, Some(model::PolicyName::TenSecondlyRolling));
        assert_eq!(e.category, Some(model::Category::RateLimits));
        assert_eq!(e.correlation_id.as_deref(), Some("c-1"));
        assert_eq!(e.status, Some(429));
        let e = parse_batch_response(502, "<html><h1>502</h1></html>").unwrap_err();
        assert_eq!(e.code, Some(ErrorCode::HttpError));
        assert!(e.message.contains("HTML"));
    }

    #[test]
    fn parses_the_embedded_validation_array() {
        let msg = r#"Property values were not valid: [{"isValid":false,"message":"Property \"foo\" does not exist","error":"PROPERTY_DOESNT_EXIST","name":"foo","localizedErrorMessage":"Property \"foo\" does not exist","portalId":1},{"isValid":false,"message":"x was not one of the allowed options","error":"INVALID_OPTION","name":"dealstage"}]"#;
        let array = embedded_details(msg).unwrap();
        assert!(array.starts_with("[{") && array.ends_with("}]"), "{array}");
        assert_eq!(embedded_details("no array here"), None);
        let read = |message: &str| {
            let body = serde_json::json!({"status":"error","message":message,"correlationId":"c","category":"VALIDATION_ERROR"});
            parse_batch_response(400, &body.to_string()).unwrap_err()
        };
        let e = read(msg);
        let d = &e.errors;
        assert_eq!(d.len(), 2);
        assert_eq!(d[0].code.as_deref(), Some("PROPERTY_DOESNT_EXIST"));
        assert_eq!(d[0].in_.as_deref(), Some("foo"));
        assert_eq!(d[0].message, "Property \"foo\" does not exist");
        assert_eq!(d[1].in_.as_deref(), Some("dealstage"));
        assert_eq!(d[1].message, "x was not one of the allowed options");
        assert_eq!(e.category, Some(model::Category::ValidationError));
        assert_eq!(e.message, msg, "the message is kept whole");
        // No array, or a broken one: no details, and still the error it is.
        for message in ["Property values were not valid: [oops", "no array here"] {
            let e = read(message);
            assert!(e.errors.is_empty(), "{message}");
            assert_eq!(e.code, Some(ErrorCode::HttpError));
            assert_eq!(e.category, Some(model::Category::ValidationError));
        }
        // Details HubSpot lists itself are not replaced.
        let body = serde_json::json!({"message":msg,"category":"VALIDATION_ERROR","errors":[{"message":"listed","in":"amount"}]});
        let e = parse_batch_response(400, &body.to_string()).unwrap_err();
        assert_eq!(e.errors.len(), 1);
        assert_eq!(e.errors[0].in_.as_deref(), Some("amount"));
    }

    #[test]
    fn json_with_an_invalid_escape_is_not_json() {
        // Found by the fuzz target: a lone surrogate escape is not JSON, though it scans as such.
        let text = r#"["\ud83d\ue0d0"]"#;
        assert_eq!(
            read_body::<crate::model::SimplePublicObject>(400, text),
            Body::Unreadable(Unreadable::TruncatedJson)
        );
    }

    #[test]
    fn echoed_secrets_are_redacted() {
        let token = "pat-na1-0123456789";
        let body = format!(r#"{{"message":"bad token {token} (Bearer {token})"}}"#);
        let out = redact_secret(&body, token);
        assert!(!out.contains(token));
        assert_eq!(out.matches(REDACTED).count(), 2);
        assert_eq!(redact_secret("a short t", "t"), "a short t");
        let headers = vec![("Authorization".to_owned(), format!("Bearer {token}"))];
        assert_eq!(bearer_token(&headers), Some(token));
    }

    #[test]
    fn headers_and_retry_after() {
        let m = ResponseMeta::from_headers([
            ("X-HubSpot-RateLimit-Max", "190"),
            ("x-hubspot-ratelimit-remaining", " 12 "),
            ("X-HubSpot-RateLimit-Interval-Milliseconds", "10000"),
            ("Retry-After", "2"),
        ]);
        assert_eq!(m.rate_max, Some(190));
        assert_eq!(m.rate_remaining, Some(12));
        assert_eq!(m.rate_interval_ms, Some(10_000.0));
        assert_eq!(retry_after_ms("2"), Some(2000.0));
        assert_eq!(retry_after_ms("0.5"), Some(500.0));
        assert_eq!(retry_after_ms("Wed, 21 Oct 2015 07:28:00 GMT"), None);
        assert_eq!(retry_after_ms("-1"), None);
        // Plain decimal seconds only: an exponent is not delay-seconds.
        assert_eq!(retry_after_ms("1e9"), None);
        assert_eq!(retry_after_ms("999999999"), Some(MAX_RETRY_AFTER_MS));
        assert_eq!(retry_after_ms(" 3 "), Some(3000.0));
    }
}
