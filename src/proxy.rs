//! The edge proxy's decisions, as data: which requests it serves, which it refuses and why,
//! and the CORS headers it answers with.
//!
//! HubSpot refuses browser (CORS) calls, and a token must never reach a page, so a browser
//! app talks to a small edge function that holds the token. That function has two kinds of
//! route, each for the batch operations its `operations` option lists (default update only):
//!
//! * `POST …/crm/v3/objects/{objectType}/batch/{operation}` and
//!   `POST …/crm/objects/{YYYY-MM}/{objectType}/batch/{operation}`: HubSpot's own endpoints,
//!   forwarded with the token. A browser `HubSpotBatch` with `baseUrl` set to the proxy uses
//!   these, so pacing, retries and the ledger run in the browser.
//! * `POST /{operation}` (`/` is `/update`): `{ inputs, objectType?, ...options }` runs a
//!   whole call at the edge and answers with its result.
//!
//! The token lets whoever reaches the proxy do all its scopes allow, and an allowed origin is
//! any visitor of that page. So an operation is served only when the Worker's author lists
//! it: a page must not be able to archive records because the proxy forwards the path.

use crate::config::{parse_options, ClientConfig, OptionSet};
use crate::error::HubSpotError;
use crate::input::{type_name, Value};
use crate::model::{self, Category};
use crate::operation::{self, Operation};

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
    /// The batch operations served (forwarded or run), one bit each (`1 << op as u8`);
    /// others are refused with 403. A set of bits, not a list: this is in every Worker's wasm.
    pub operations: u8,
    /// How the proxy itself calls HubSpot (token, base URL, pacing...).
    pub client: ClientConfig,
}

/// What to do with a request.
#[derive(Clone, Debug, PartialEq)]
pub enum Route {
    /// A CORS preflight from an allowed origin.
    Preflight,
    /// Forward a HubSpot batch body to the same endpoint on HubSpot.
    Forward(Forward),
    /// Run a whole call of this operation at the edge.
    Run(Operation),
}

/// A HubSpot batch endpoint a request is forwarded to. Its path is the request's own once
/// every segment of it is checked (what [`operation::path`] would build for them), so
/// nothing but a listed operation on a listed object type is reached.
#[derive(Clone, Debug, PartialEq)]
pub struct Forward {
    /// The operation, one the proxy's `operations` lists.
    pub operation: Operation,
    /// The object type, one the proxy's `objectTypes` lists.
    pub object_type: String,
    /// The path and query on HubSpot: `/crm/v3/objects/…` or `/crm/objects/YYYY-MM/…`, and
    /// a read's `?archived=true|false`, the only query kept.
    pub path: String,
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
/// `objectTypes` (default deals), `operations` (default update), `maxBodyBytes`, and the
/// client options for calling HubSpot.
pub fn parse_proxy_options(entries: &[(String, Value)]) -> Result<ProxyConfig, HubSpotError> {
    let mut allowed_origins = None;
    let mut object_types = vec!["0-3".to_owned(), "deals".to_owned()];
    let mut operations = 1 << Operation::Update as u8;
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
            "operations" => {
                operations = strings(value)
                    .filter(|l| !l.is_empty())
                    .and_then(|l| {
                        l.iter()
                            .map(|w| Operation::parse(w).map(|op| 1 << op as u8))
                            .try_fold(0, |all, bit| Some(all | bit?))
                    })
                    .ok_or_else(|| {
                        HubSpotError::invalid_config(
                            "options.operations: expected a non-empty array of update, upsert, create, read, archive",
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
        operations,
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
        if method.eq_ignore_ascii_case("OPTIONS") {
            return Ok(Route::Preflight);
        }
        let path = crate::text::split_once(path, "#").map_or(path, |(p, _)| p);
        let (path, query) = crate::text::split_once(path, "?").unwrap_or((path, ""));
        let run = match path {
            "/" => Some(Operation::Update),
            _ => path.strip_prefix('/').and_then(Operation::parse),
        };
        // Decided on the path alone, before the body is read: a refused operation sends
        // nothing anywhere.
        let route = match run {
            Some(op) => {
                self.check_operation(op)?;
                Route::Run(op)
            }
            None => {
                let f = forward_of(path, query).ok_or_else(|| {
                    Refusal::new(404, "NOT_FOUND", format!("no route for {path}"))
                })?;
                self.check_operation(f.operation)?;
                if !self.object_type_allowed(&f.object_type) {
                    return Err(Refusal::new(
                        403,
                        "OBJECT_TYPE_NOT_ALLOWED",
                        format!(
                            "object type {:?} is not allowed by this proxy",
                            f.object_type
                        ),
                    ));
                }
                Route::Forward(f)
            }
        };
        if !method.eq_ignore_ascii_case("POST") {
            return Err(Refusal::new(405, "METHOD_NOT_ALLOWED", "use POST"));
        }
        Ok(route)
    }

    /// Whether `operations` lists `op`.
    pub fn allows(&self, op: Operation) -> bool {
        self.operations & (1 << op as u8) != 0
    }

    /// Refuses an operation the proxy's `operations` does not list.
    fn check_operation(&self, op: Operation) -> Result<(), Refusal> {
        if self.allows(op) {
            return Ok(());
        }
        let word = op.word();
        Err(Refusal::new(
            403,
            "OPERATION_NOT_ALLOWED",
            format!(
                "batch {word} is not allowed by this proxy; add \"{word}\" to options.operations to allow it"
            ),
        ))
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

/// The HubSpot endpoint a path names (before the object type is checked), with the one query
/// kept: a read's `archived=true|false`, when it is the whole query. Any other query is
/// dropped: HubSpot's batch endpoints define no other, and rebuilding the query keeps the
/// page from adding parameters of its own.
fn forward_of(path: &str, query: &str) -> Option<Forward> {
    let (head, word) = crate::text::rsplit_once(path, "/batch/")?;
    let operation = Operation::parse(word)?;
    let (prefix, object_type) = match crate::text::rsplit_once(head, "/crm/v3/objects/") {
        Some(split) => split,
        None => {
            let (prefix, rest) = crate::text::rsplit_once(head, "/crm/objects/")?;
            let (date, t) = crate::text::split_once(rest, "/")?;
            // `v3` is spelt /crm/v3/objects/ only; here it must be a date.
            if date == "v3" || !operation::is_api_version(date) {
                return None;
            }
            (prefix, t)
        }
    };
    if object_type.is_empty() || object_type.contains('/') {
        return None;
    }
    let mut to = path.get(prefix.len()..)?.to_owned();
    if operation == Operation::Read && matches!(query, "archived=true" | "archived=false") {
        to.push('?');
        to.push_str(query);
    }
    Some(Forward {
        operation,
        object_type: object_type.to_owned(),
        path: to,
    })
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
    use crate::operation::OPERATIONS;

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
            Ok(Route::Forward(fwd(Operation::Update, "0-3", None, None)))
        );
        assert_eq!(
            c.route("POST", "/update", ok),
            Ok(Route::Run(Operation::Update))
        );
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

    /// The forward to what `operation::path` builds (and the query), to check the path kept.
    fn fwd(
        operation: Operation,
        object_type: &str,
        api_version: Option<&str>,
        archived: Option<bool>,
    ) -> Forward {
        let mut path = operation::path(api_version, object_type, operation);
        if let Some(a) = archived {
            path.push_str(&format!("?archived={a}"));
        }
        Forward {
            operation,
            object_type: object_type.to_owned(),
            path,
        }
    }

    fn with(extra: (&str, Value)) -> Result<ProxyConfig, HubSpotError> {
        let e = vec![
            ("accessToken".to_owned(), Value::Str("pat".into())),
            (
                "allowedOrigins".to_owned(),
                Value::List(vec![Value::Str("*".into())]),
            ),
            (extra.0.to_owned(), extra.1),
        ];
        parse_proxy_options(&e)
    }

    fn words(list: &[&str]) -> Value {
        Value::List(list.iter().map(|w| Value::Str((*w).into())).collect())
    }

    #[test]
    fn only_update_is_served_by_default() {
        let c = cfg();
        for op in OPERATIONS {
            assert_eq!(c.allows(op), op == Operation::Update);
        }
        let ok = Some("https://app.example.com");
        for op in OPERATIONS {
            let word = op.word();
            for path in [
                format!("/crm/v3/objects/0-3/batch/{word}"),
                format!("/crm/objects/2026-03/0-3/batch/{word}"),
                format!("/{word}"),
            ] {
                let got = c.route("POST", &path, ok);
                if op == Operation::Update {
                    assert!(got.is_ok(), "{path}: {got:?}");
                    continue;
                }
                let r = got.unwrap_err();
                assert_eq!(
                    (r.status, r.category),
                    (403, "OPERATION_NOT_ALLOWED"),
                    "{path}"
                );
                assert!(r.message.contains(word), "{}", r.message);
                assert!(r.message.contains("options.operations"), "{}", r.message);
            }
        }
        // the preflight carries no operation and changes nothing: answered as before
        assert_eq!(
            c.route("OPTIONS", "/crm/v3/objects/0-3/batch/archive", ok),
            Ok(Route::Preflight)
        );
        // the operation is refused before the method, so a GET learns no more than a POST
        assert_eq!(c.route("GET", "/archive", ok).unwrap_err().status, 403);
    }

    #[test]
    fn listed_operations_are_forwarded_and_run() {
        for op in OPERATIONS {
            let c = with(("operations", words(&[op.word()]))).unwrap();
            for other in OPERATIONS {
                assert_eq!(c.allows(other), other == op);
            }
            let word = op.word();
            for other in OPERATIONS {
                let got = c.route("POST", &format!("/{}", other.word()), None);
                if other == op {
                    assert_eq!(got, Ok(Route::Run(op)));
                } else {
                    assert_eq!(got.unwrap_err().status, 403, "{word} lists no {other:?}");
                }
            }
            assert_eq!(
                c.route("POST", &format!("/crm/v3/objects/deals/batch/{word}"), None),
                Ok(Route::Forward(fwd(op, "deals", None, None)))
            );
            assert_eq!(
                c.route(
                    "POST",
                    &format!("/hubspot/crm/objects/2026-03/0-3/batch/{word}?archived=true"),
                    None
                ),
                Ok(Route::Forward(fwd(
                    op,
                    "0-3",
                    Some("2026-03"),
                    (op == Operation::Read).then_some(true)
                )))
            );
            // `/` is update's
            assert_eq!(c.route("POST", "/", None).is_ok(), op == Operation::Update);
        }
    }

    #[test]
    fn forwarded_paths_are_rebuilt_from_checked_parts() {
        let c = with(("operations", words(&["update", "read", "archive"]))).unwrap();
        let route = |p: &str| match c.route("POST", p, None) {
            Ok(Route::Forward(f)) => Ok(f.path),
            Ok(other) => panic!("{p}: {other:?}"),
            Err(r) => Err((r.status, r.category)),
        };
        for (from, to) in [
            (
                "/crm/v3/objects/0-3/batch/update",
                "/crm/v3/objects/0-3/batch/update",
            ),
            (
                "/crm/objects/2026-03/deals/batch/read",
                "/crm/objects/2026-03/deals/batch/read",
            ),
            (
                "/crm/v3/objects/0-3/batch/read?archived=true",
                "/crm/v3/objects/0-3/batch/read?archived=true",
            ),
            (
                "/crm/v3/objects/0-3/batch/read?archived=false",
                "/crm/v3/objects/0-3/batch/read?archived=false",
            ),
            (
                "/crm/v3/objects/0-3/batch/read?x=1&archived=true",
                "/crm/v3/objects/0-3/batch/read",
            ),
            (
                "/crm/v3/objects/0-3/batch/read?archived=true#x",
                "/crm/v3/objects/0-3/batch/read?archived=true",
            ),
            (
                "/crm/v3/objects/0-3/batch/read?archived=yes",
                "/crm/v3/objects/0-3/batch/read",
            ),
            (
                "/crm/v3/objects/0-3/batch/read?hapikey=x",
                "/crm/v3/objects/0-3/batch/read",
            ),
            // archived is a read's parameter only
            (
                "/crm/v3/objects/0-3/batch/archive?archived=true",
                "/crm/v3/objects/0-3/batch/archive",
            ),
            (
                "/crm/v3/objects/0-3/batch/update?archived=false",
                "/crm/v3/objects/0-3/batch/update",
            ),
            (
                "/proxy/crm/v3/objects/0-3/batch/update#frag",
                "/crm/v3/objects/0-3/batch/update",
            ),
        ] {
            assert_eq!(route(from), Ok(to.to_owned()), "{from}");
        }
        let not_found = Err((404, "NOT_FOUND"));
        for bad in [
            "/crm/v3/objects/0-3/batch/delete",
            "/crm/v3/objects/0-3/batch/Update",
            "/crm/v3/objects/0-3/batch/update/",
            "/crm/v3/objects/0-3/batch/",
            "/crm/v3/objects//batch/update",
            "/crm/v3/objects/batch/update",
            "/crm/v4/objects/0-3/batch/update",
            "/crm/objects/v3/0-3/batch/update",
            "/crm/objects/2026-13/0-3/batch/update",
            "/crm/objects/2026-3/0-3/batch/update",
            "/crm/objects/0-3/batch/update",
            "/crm/objects/2026-03/batch/update",
            "/crm/v3/objects/0-3/search",
            "/crm/v3/objects/0-3",
            "/batch/update",
            "/delete",
            "/update/",
            "/Update",
            "",
        ] {
            assert_eq!(route(bad), not_found, "{bad:?}");
        }
        // an object type is one path segment
        for bad in [
            "/crm/objects/2026-03/0-3/x/batch/update",
            "/crm/v3/objects/0-3/../batch/update",
        ] {
            assert_eq!(route(bad), not_found, "{bad:?}");
        }
        assert_eq!(
            route("/crm/v3/objects/contacts/batch/read"),
            Err((403, "OBJECT_TYPE_NOT_ALLOWED"))
        );
        // a refused operation is refused whatever the object type
        assert_eq!(
            route("/crm/v3/objects/contacts/batch/create"),
            Err((403, "OPERATION_NOT_ALLOWED"))
        );
    }

    #[test]
    fn operations_option_is_checked() {
        for bad in [
            words(&[]),
            words(&["delete"]),
            words(&["update", "Archive"]),
            Value::Str("update".into()),
            Value::List(vec![Value::Number(1.0)]),
            Value::Null,
        ] {
            let e = with(("operations", bad.clone())).unwrap_err();
            assert_eq!(e.code(), crate::error::ErrorCode::InvalidConfig, "{bad:?}");
            assert!(
                e.message.starts_with("options.operations:"),
                "{}",
                e.message
            );
        }
        let all = with((
            "operations",
            words(&["archive", "read", "create", "upsert", "update", "read"]),
        ))
        .unwrap();
        for op in OPERATIONS {
            assert!(all.allows(op));
        }
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
