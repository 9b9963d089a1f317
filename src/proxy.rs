//! The edge proxy's decisions, as data: which requests it serves, which it refuses and why,
//! and the CORS headers it answers with.
//!
//! HubSpot refuses browser (CORS) calls, and a token must never reach a page, so a browser
//! app talks to a small edge function that holds the token. That function has two routes:
//!
//! * `POST …/crm/v3/objects/{objectType}/batch/update`: HubSpot's own endpoint, forwarded
//!   with the token. A browser `HubSpotBatch` with `baseUrl` set to the proxy uses this, so
//!   pacing, retries and the ledger run in the browser.
//! * `POST /update` (or `/`): `{ inputs, idProperty?, objectType? }` runs a whole `update()`
//!   at the edge and answers with the `BatchUpdateResult`.

use crate::config::{parse_options, ClientConfig, OptionSet};
use crate::error::HubSpotError;
use crate::input::{type_name, Value};
use crate::model::{self, Category};

/// Default cap on request bodies: 100 inputs of generous size, far below Workers' limits.
pub const DEFAULT_MAX_BODY_BYTES: usize = 1_000_000;

/// Validated proxy options.
#[derive(Clone, Debug, PartialEq)]
pub struct ProxyConfig {
    /// Origins allowed to call, as `scheme://host[:port]`, lowercase; `*` allows any.
    pub allowed_origins: Vec<String>,
    /// Object types the proxy will touch (e.g. `0-3`, `deals`).
    pub object_types: Vec<String>,
    /// Largest request body accepted, in bytes.
    pub max_body_bytes: usize,
    /// How the proxy itself calls HubSpot (token, base URL, pacing...).
    pub client: ClientConfig,
}

/// What to do with a request.
#[derive(Clone, Debug, PartialEq)]
pub enum Route {
    /// A CORS preflight from an allowed origin.
    Preflight,
    /// Forward a HubSpot batch-update body for this object type.
    Forward(String),
    /// Run a whole `update()` at the edge.
    Run,
}

/// A refused request: the status and a HubSpot-style error body.
#[derive(Clone, Debug, PartialEq)]
pub struct Refusal {
    /// HTTP status.
    pub status: u16,
    /// Category, in HubSpot's style.
    pub category: &'static str,
    /// Why, for people.
    pub message: String,
}

impl Refusal {
    fn new(status: u16, category: &'static str, message: impl Into<String>) -> Self {
        Refusal {
            status,
            category,
            message: message.into(),
        }
    }

    /// The body: HubSpot's `Error` shape, so the client reads it like any HubSpot error.
    pub fn body(&self) -> model::Error {
        error_body(self.category, &self.message)
    }
}

/// A HubSpot-style error body.
pub fn error_body(category: &str, message: &str) -> model::Error {
    model::Error {
        status: "error".to_owned(),
        category: Category::parse(category),
        message: message.to_owned(),
        ..model::Error::default()
    }
}

/// Parses `createBatchUpdateHandler` options: `accessToken` and `allowedOrigins` required;
/// `objectTypes` (default deals), `maxBodyBytes`, and the client options for calling HubSpot.
pub fn parse_proxy_options(entries: &[(String, Value)]) -> Result<ProxyConfig, HubSpotError> {
    let mut allowed_origins = None;
    let mut object_types = vec!["0-3".to_owned(), "deals".to_owned()];
    let mut max_body_bytes = DEFAULT_MAX_BODY_BYTES;
    let mut client_entries = Vec::new();
    for (key, value) in entries {
        match key.as_str() {
            "allowedOrigins" => {
                let list = strings(value).ok_or_else(|| {
                    HubSpotError::invalid_config(format!(
                        "options.allowedOrigins: expected an array of origins such as \"https://app.example.com\", got {}",
                        type_name(value)
                    ))
                })?;
                let mut origins = Vec::new();
                for o in list {
                    origins.push(normalize_origin(&o).ok_or_else(|| {
                        HubSpotError::invalid_config(format!(
                            "options.allowedOrigins: {o:?} is not an origin (scheme://host[:port]) or \"*\"",
                        ))
                    })?);
                }
                allowed_origins = Some(origins);
            }
            "objectTypes" => {
                object_types = strings(value).filter(|l| !l.is_empty()).ok_or_else(|| {
                    HubSpotError::invalid_config(
                        "options.objectTypes: expected a non-empty array of object types",
                    )
                })?;
            }
            "maxBodyBytes" => match value {
                Value::Number(n) if n.fract() == 0.0 && *n >= 1.0 && *n <= 100_000_000.0 => {
                    max_body_bytes = *n as usize
                }
                _ => {
                    return Err(HubSpotError::invalid_config(
                        "options.maxBodyBytes: expected a positive integer",
                    ))
                }
            },
            _ => client_entries.push((key.clone(), value.clone())),
        }
    }
    let client = parse_options(&client_entries, OptionSet::Client)?.config;
    if client.access_token.is_none() {
        return Err(HubSpotError::invalid_config(
            "options.accessToken: the proxy holds the token; pass it from a secret (env.HUBSPOT_TOKEN)",
        ));
    }
    let allowed_origins = allowed_origins.ok_or_else(|| {
        HubSpotError::invalid_config(
            "options.allowedOrigins: required, e.g. [\"https://app.example.com\"]",
        )
    })?;
    Ok(ProxyConfig {
        allowed_origins,
        object_types,
        max_body_bytes,
        client,
    })
}

fn strings(v: &Value) -> Option<Vec<String>> {
    match v {
        Value::List(items) => items
            .iter()
            .map(|i| match i {
                Value::Str(s) => Some(s.clone()),
                _ => None,
            })
            .collect(),
        _ => None,
    }
}

/// `scheme://host[:port]` in lowercase without a trailing slash, or `*`.
pub fn normalize_origin(o: &str) -> Option<String> {
    if o == "*" {
        return Some(o.to_owned());
    }
    let o = o.trim_end_matches('/').to_ascii_lowercase();
    let (scheme, rest) = crate::text::split_once(&o, "://")?;
    let ok = matches!(scheme, "http" | "https")
        && !rest.is_empty()
        && !rest.contains(['/', '?', '#', '@', ' '])
        && rest
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || matches!(c, '.' | '-' | ':' | '[' | ']'));
    ok.then_some(o)
}

impl ProxyConfig {
    fn origin_allowed(&self, origin: Option<&str>) -> bool {
        if self.allowed_origins.iter().any(|o| o == "*") {
            return true;
        }
        origin
            .and_then(normalize_origin)
            .is_some_and(|o| self.allowed_origins.contains(&o))
    }

    /// Decides a request from its method, URL path and `Origin` header.
    pub fn route(&self, method: &str, path: &str, origin: Option<&str>) -> Result<Route, Refusal> {
        if !self.origin_allowed(origin) {
            return Err(Refusal::new(
                403,
                "ORIGIN_NOT_ALLOWED",
                match origin {
                    Some(o) => format!("origin {o} is not allowed to use this proxy"),
                    None => "requests must come from an allowed Origin".to_owned(),
                },
            ));
        }
        let path = path.split(['?', '#']).next().unwrap_or_default();
        if method.eq_ignore_ascii_case("OPTIONS") {
            return Ok(Route::Preflight);
        }
        let route = if path == "/" || path == "/update" {
            Route::Run
        } else if let Some(object_type) = path
            .strip_suffix("/batch/update")
            .and_then(|p| crate::text::rsplit_once(p, "/crm/v3/objects/"))
            .map(|(_, t)| t)
        {
            if !self.object_types.iter().any(|t| t == object_type) {
                return Err(Refusal::new(
                    403,
                    "OBJECT_TYPE_NOT_ALLOWED",
                    format!("object type {object_type:?} is not allowed by this proxy"),
                ));
            }
            Route::Forward(object_type.to_owned())
        } else {
            return Err(Refusal::new(
                404,
                "NOT_FOUND",
                format!("no route for {path}"),
            ));
        };
        if !method.eq_ignore_ascii_case("POST") {
            return Err(Refusal::new(405, "METHOD_NOT_ALLOWED", "use POST"));
        }
        Ok(route)
    }

    /// Whether an object type may be used in a run.
    pub fn object_type_allowed(&self, object_type: &str) -> bool {
        self.object_types.iter().any(|t| t == object_type)
    }

    /// Refuses bodies over the cap (by `Content-Length` before reading, or by size after).
    pub fn check_size(&self, bytes: usize) -> Result<(), Refusal> {
        if bytes > self.max_body_bytes {
            return Err(Refusal::new(
                413,
                "PAYLOAD_TOO_LARGE",
                format!("request body over {} bytes", self.max_body_bytes),
            ));
        }
        Ok(())
    }

    /// CORS headers for an answer to `origin` (none when it is not allowed).
    pub fn cors_headers(&self, origin: Option<&str>, preflight: bool) -> Vec<(String, String)> {
        let Some(origin) = origin.filter(|o| self.origin_allowed(Some(o))) else {
            return Vec::new();
        };
        let mut h = vec![
            ("Access-Control-Allow-Origin".to_owned(), origin.to_owned()),
            ("Vary".to_owned(), "Origin".to_owned()),
            (
                "Access-Control-Expose-Headers".to_owned(),
                "Retry-After, X-HubSpot-RateLimit-Max, X-HubSpot-RateLimit-Remaining, X-HubSpot-RateLimit-Interval-Milliseconds".to_owned(),
            ),
        ];
        if preflight {
            h.push((
                "Access-Control-Allow-Methods".to_owned(),
                "POST, OPTIONS".to_owned(),
            ));
            h.push((
                "Access-Control-Allow-Headers".to_owned(),
                "Content-Type".to_owned(),
            ));
            h.push(("Access-Control-Max-Age".to_owned(), "600".to_owned()));
        }
        h
    }
}

/// Refusal for a body that is not what the route takes.
pub fn bad_body(message: impl Into<String>) -> Refusal {
    Refusal::new(400, "VALIDATION_ERROR", message)
}

/// The status a failed edge run answers with.
pub fn status_for_error(e: &HubSpotError) -> u16 {
    use crate::error::ErrorCode::*;
    match e.code() {
        InvalidInput | InvalidConfig => 400,
        RateLimited => 429,
        Timeout => 504,
        // The proxy's own token or HubSpot failed: a gateway problem from the page's view.
        _ => 502,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn cfg() -> ProxyConfig {
        let e = vec![
            ("accessToken".to_owned(), Value::Str("pat".into())),
            (
                "allowedOrigins".to_owned(),
                Value::List(vec![Value::Str("https://App.example.com/".into())]),
            ),
        ];
        parse_proxy_options(&e).unwrap()
    }

    #[test]
    fn routes_and_refusals() {
        let c = cfg();
        let ok = Some("https://app.example.com");
        assert_eq!(
            c.route("OPTIONS", "/crm/v3/objects/0-3/batch/update", ok),
            Ok(Route::Preflight)
        );
        assert_eq!(
            c.route("POST", "/crm/v3/objects/0-3/batch/update?x", ok),
            Ok(Route::Forward("0-3".into()))
        );
        assert_eq!(c.route("POST", "/update", ok), Ok(Route::Run));
        assert_eq!(
            c.route("POST", "/crm/v3/objects/contacts/batch/update", ok)
                .unwrap_err()
                .status,
            403
        );
        assert_eq!(
            c.route("POST", "/update", Some("https://evil.example"))
                .unwrap_err()
                .status,
            403
        );
        assert_eq!(c.route("POST", "/update", None).unwrap_err().status, 403);
        assert_eq!(c.route("GET", "/update", ok).unwrap_err().status, 405);
        assert_eq!(c.route("POST", "/other", ok).unwrap_err().status, 404);
        assert_eq!(c.check_size(2_000_000).unwrap_err().status, 413);
        assert!(c
            .cors_headers(Some("https://evil.example"), true)
            .is_empty());
        assert_eq!(c.cors_headers(ok, true).len(), 6);
    }

    #[test]
    fn options_need_token_and_origins() {
        assert!(parse_proxy_options(&[]).is_err());
        let only_token = vec![("accessToken".to_owned(), Value::Str("pat".into()))];
        assert!(parse_proxy_options(&only_token)
            .unwrap_err()
            .message
            .contains("allowedOrigins"));
        assert!(normalize_origin("https://a.example/path").is_none());
        assert_eq!(
            normalize_origin("http://127.0.0.1:5173/").as_deref(),
            Some("http://127.0.0.1:5173")
        );
    }

    #[test]
    fn refusal_bodies_are_hubspot_errors() {
        let r = Refusal::new(403, "ORIGIN_NOT_ALLOWED", "no \"way\"");
        let v = serde_json::to_value(r.body()).unwrap();
        assert_eq!(v["category"], "ORIGIN_NOT_ALLOWED");
        assert_eq!(v["message"], "no \"way\"");
    }
}
