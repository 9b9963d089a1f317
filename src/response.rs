//! Reading HubSpot's answers: batch bodies, error bodies, rate-limit headers.

use crate::error::{ErrorCode, HubSpotError};
use crate::input::parse_f64;
use crate::json::{self, JsonValue};
use crate::model::{self, BatchResponse, ErrorDetail, Map};

/// What the transport read from a response body, already through a JSON reader.
///
/// Natively [`read_body`] fills it with serde_json; the wasm glue fills it with the JS
/// engine's `JSON.parse` and serde-wasm-bindgen. Either way the engine sees the same thing.
#[derive(Clone, Debug, PartialEq)]
pub enum Body {
    /// A 200/207 body that is a batch response.
    Batch(BatchResponse),
    /// An error status with HubSpot's error body.
    Error(model::Error),
    /// A body that could not be read as expected; the text says why (never the body itself,
    /// which may be a large HTML page).
    Unreadable(String),
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
            // trim() as trim_start() + trim_end() (the same Unicode white space): trim_matches
            // was linked for these two calls alone, trim_start_matches is there anyway.
            let value = value.trim_start().trim_end();
            match name.to_ascii_lowercase().as_str() {
                "retry-after" => meta.retry_after = Some(value.to_owned()),
                "x-hubspot-ratelimit-max" => meta.rate_max = parse_u32(value),
                "x-hubspot-ratelimit-remaining" => meta.rate_remaining = parse_u32(value),
                "x-hubspot-ratelimit-interval-milliseconds" => {
                    meta.rate_interval_ms =
                        parse_f64(value).filter(|n: &f64| n.is_finite() && *n > 0.0)
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

/// `s.parse::<u32>().ok()`: an optional `+`, then one or more ASCII digits, in range. By hand,
/// because std's integer parser was linked into the wasm for these two headers alone.
pub(crate) fn parse_u32(s: &str) -> Option<u32> {
    let digits = s.strip_prefix("+").unwrap_or(s);
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

/// The longest wait a 429 can impose: one hour.
pub const MAX_RETRY_AFTER_MS: f64 = 3_600_000.0;

/// What a secret is replaced with when a server echoes it.
pub const REDACTED: &str = "[redacted]";

/// Replaces every occurrence of `secret` in `text` with [`REDACTED`].
///
/// A server (or a proxy in between) may echo the Authorization header back in an error
/// message; everything read from an answer goes through this before it can reach an error,
/// a result or a log. Secrets shorter than 8 characters are not searched for: real tokens are
/// far longer, and replacing a short string would corrupt ordinary data.
pub fn redact_secret(text: &str, secret: &str) -> String {
    if !holds_secret(text, secret) {
        return text.to_owned();
    }
    crate::text::replace(text, secret, REDACTED)
}

/// Whether [`redact_secret`] would change `text`.
pub fn holds_secret(text: &str, secret: &str) -> bool {
    secret.len() >= 8 && crate::text::find(text, secret).is_some()
}

/// The token of a request's `Authorization: Bearer` header, if any.
pub fn bearer_token(headers: &[(String, String)]) -> Option<&str> {
    headers
        .iter()
        .find(|(k, _)| k.eq_ignore_ascii_case("authorization"))
        .and_then(|(_, v)| v.strip_prefix("Bearer "))
}

/// `Retry-After` as milliseconds: delta-seconds (fractions accepted), capped at one hour.
/// HTTP dates are not used by HubSpot and are ignored.
pub fn retry_after_ms(value: &str) -> Option<f64> {
    let secs = parse_f64(value.trim_start().trim_end())?;
    (secs.is_finite() && secs >= 0.0).then(|| (secs * 1000.0).min(MAX_RETRY_AFTER_MS))
}

/// Whether `status` carries a batch body.
pub fn is_batch_status(status: u16) -> bool {
    status == 200 || status == 207
}

/// Reads a body with serde_json into a [`Body`], by status.
#[cfg(feature = "json")]
pub fn read_body(status: u16, text: &str) -> Body {
    if is_batch_status(status) {
        match serde_json::from_str::<BatchResponse>(text) {
            Ok(b) => Body::Batch(b),
            Err(e) => Body::Unreadable(format!("not a batch response ({})", e.classify_name())),
        }
    } else {
        match serde_json::from_str::<model::Error>(text) {
            Ok(b) => Body::Error(b),
            Err(_) => Body::Unreadable(describe_non_json(text)),
        }
    }
}

#[cfg(feature = "json")]
trait Classify {
    fn classify_name(&self) -> &'static str;
}

#[cfg(feature = "json")]
impl Classify for serde_json::Error {
    fn classify_name(&self) -> &'static str {
        match self.classify() {
            serde_json::error::Category::Io => "read error",
            serde_json::error::Category::Syntax => "invalid JSON",
            serde_json::error::Category::Data => "unexpected shape",
            serde_json::error::Category::Eof => "truncated JSON",
        }
    }
}

/// How a body that starts like JSON but does not parse is described. The engine treats such
/// an answer as a transport fault (the connection was cut mid-body) and retries it.
pub const TRUNCATED_JSON: &str = "invalid or truncated JSON";

/// A short description of a body that is not JSON (an HTML error page, say).
pub fn describe_non_json(text: &str) -> String {
    let t = text.trim_start();
    if t.is_empty() {
        "an empty body".to_owned()
    } else if t.starts_with("{") || t.starts_with("[") {
        TRUNCATED_JSON.to_owned()
    } else if t.starts_with("<") {
        "an HTML page".to_owned()
    } else {
        "a body that is not JSON".to_owned()
    }
}

/// Parses a 200/207 body (contract: `parseBatchResponse`). Other statuses become the
/// matching [`HubSpotError`]; a 200/207 that is not a batch response is `MALFORMED_RESPONSE`.
#[cfg(feature = "json")]
pub fn parse_batch_response(status: u16, text: &str) -> Result<BatchResponse, HubSpotError> {
    match read_body(status, text) {
        Body::Batch(b) => Ok(b),
        body => Err(body_error(status, &body)),
    }
}

/// The error a non-batch [`Body`] stands for.
pub fn body_error(status: u16, body: &Body) -> HubSpotError {
    // Statuses are formatted as u32 here and below: `u16`'s Display is otherwise unused in the
    // wasm (~0.1 KB gzip).
    match body {
        Body::Error(e) => error_from_body(status, e),
        Body::Unreadable(why) if is_batch_status(status) => {
            let mut e = HubSpotError::new(
                ErrorCode::MalformedResponse,
                format!("HubSpot answered {} with {why}", u32::from(status)),
            );
            e.status = Some(status);
            e
        }
        Body::Unreadable(why) => {
            let mut e = HubSpotError::new(
                status_code(status),
                format!("HubSpot answered {} with {why}", u32::from(status)),
            );
            e.status = Some(status);
            e
        }
        Body::Batch(_) => {
            let mut e = HubSpotError::new(
                ErrorCode::HttpError,
                format!("HubSpot answered {}", u32::from(status)),
            );
            e.status = Some(status);
            e
        }
    }
}

fn status_code(status: u16) -> ErrorCode {
    if status == 429 {
        ErrorCode::RateLimited
    } else {
        ErrorCode::HttpError
    }
}

/// Turns HubSpot's error body into a [`HubSpotError`], with any JSON details embedded in
/// the message parsed into `errors`.
pub fn error_from_body(status: u16, body: &model::Error) -> HubSpotError {
    let message = if body.message.is_empty() {
        format!("HubSpot answered {}", u32::from(status))
    } else {
        body.message.clone()
    };
    let mut errors = body.errors.clone().unwrap_or_default();
    if errors.is_empty() {
        errors = parse_embedded_details(&body.message);
    }
    HubSpotError {
        code: Some(status_code(status)),
        message,
        status: Some(status),
        category: non_empty(&body.category),
        sub_category: body.sub_category.as_ref().map(sub_category_text),
        correlation_id: non_empty(&body.correlation_id),
        policy_name: body.policy_name.clone(),
        errors,
        context: body.context.clone(),
    }
}

/// A sub-category as text: strings as they are, anything else as compact JSON.
pub fn sub_category_text(v: &JsonValue) -> String {
    match v {
        JsonValue::String(s) => s.clone(),
        other => other.to_json(),
    }
}

fn non_empty(s: &str) -> Option<String> {
    (!s.is_empty()).then(|| s.to_owned())
}

/// Reads the JSON array HubSpot embeds in messages such as
/// `Property values were not valid: [{"isValid":false,"message":"...","error":"INVALID_OPTION","name":"dealstage"}]`.
/// Each element becomes an [`ErrorDetail`]: `message`, `code` from `error`, `in` from `name`.
/// Returns nothing when the message holds no such array.
pub fn parse_embedded_details(message: &str) -> Vec<ErrorDetail> {
    let Some(start) = crate::text::find(message, ": [").map(|i| i + 2) else {
        return Vec::new();
    };
    let Some(tail) = message.get(start..) else {
        return Vec::new();
    };
    let Ok((JsonValue::Array(items), _)) = json::parse_prefix(tail) else {
        return Vec::new();
    };
    let text = |v: &JsonValue, k: &str| v.get(k).and_then(JsonValue::as_str).map(str::to_owned);
    // A loop rather than `filter().map().collect()`: the iterator adapters' generic code
    // was ~0.7 KB of wasm for this one list.
    let mut out = Vec::new();
    for item in &items {
        if !matches!(item, JsonValue::Object(_)) {
            continue;
        }
        let name = text(item, "name");
        out.push(ErrorDetail {
            code: text(item, "error").or_else(|| text(item, "code")),
            context: name
                .clone()
                .map(|n| Map(vec![("propertyName".to_owned(), vec![n])])),
            in_: name,
            message: text(item, "message")
                .or_else(|| text(item, "localizedErrorMessage"))
                .unwrap_or_default(),
            sub_category: None,
        });
    }
    out
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
        assert_eq!(e.policy_name.as_deref(), Some("TEN_SECONDLY_ROLLING"));
        assert_eq!(e.correlation_id.as_deref(), Some("c-1"));
        assert_eq!(e.status, Some(429));
        let e = parse_batch_response(502, "<html><h1>502</h1></html>").unwrap_err();
        assert_eq!(e.code, Some(ErrorCode::HttpError));
        assert!(e.message.contains("HTML"));
    }

    #[test]
    fn parses_the_embedded_validation_array() {
        let msg = r#"Property values were not valid: [{"isValid":false,"message":"Property \"foo\" does not exist","error":"PROPERTY_DOESNT_EXIST","name":"foo","localizedErrorMessage":"Property \"foo\" does not exist","portalId":1},{"isValid":false,"message":"x was not one of the allowed options","error":"INVALID_OPTION","name":"dealstage"}]"#;
        let d = parse_embedded_details(msg);
        assert_eq!(d.len(), 2);
        assert_eq!(d[0].code.as_deref(), Some("PROPERTY_DOESNT_EXIST"));
        assert_eq!(d[0].in_.as_deref(), Some("foo"));
        assert_eq!(d[0].message, "Property \"foo\" does not exist");
        assert_eq!(d[1].in_.as_deref(), Some("dealstage"));
        assert!(parse_embedded_details("Property values were not valid: [oops").is_empty());
        assert!(parse_embedded_details("no array here").is_empty());
        let body = serde_json::json!({"status":"error","message":msg,"correlationId":"c","category":"VALIDATION_ERROR"});
        let e = parse_batch_response(400, &body.to_string()).unwrap_err();
        assert_eq!(e.errors.len(), 2);
        assert_eq!(e.category.as_deref(), Some("VALIDATION_ERROR"));
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
        assert_eq!(retry_after_ms("1e9"), Some(3_600_000.0));
    }
}
