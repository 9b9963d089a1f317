//! Client options: defaults, validation, and the base-URL rules that keep the token safe.

use std::fmt;

use crate::error::HubSpotError;
use crate::input::{type_name, Value};
use crate::operation::Operation;
use crate::request::Plan;

/// HubSpot's API origin, the default `baseUrl`.
pub const DEFAULT_BASE_URL: &str = "https://api.hubapi.com";
/// Deals.
pub const DEFAULT_OBJECT_TYPE: &str = "0-3";
/// HubSpot's limit on inputs per batch request.
pub const MAX_BATCH_SIZE: usize = 100;
/// Default requests in flight with pacing off (`rateLimit: null`), where concurrency is the
/// only throttle left.
pub const UNPACED_CONCURRENCY: usize = 10;
/// The default concurrency never exceeds this: HubSpot's highest tier allows 250 requests
/// per 10 s, so a larger default would only matter for limits HubSpot does not have.
pub const MAX_DEFAULT_CONCURRENCY: usize = 250;
/// Default retries after the first attempt of each request.
pub const DEFAULT_MAX_RETRIES: u32 = 5;
/// Default per-attempt timeout.
pub const DEFAULT_TIMEOUT_MS: f64 = 30_000.0;

/// A rolling-window request budget.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct RateLimit {
    /// Requests allowed per window.
    pub requests: u32,
    /// Window length in milliseconds.
    pub interval_ms: f64,
}

/// HubSpot's default tier: 100 requests per rolling 10 s.
pub const DEFAULT_RATE_LIMIT: RateLimit = RateLimit {
    requests: 100,
    interval_ms: 10_000.0,
};

/// Requests in flight when `concurrency` is not given: a whole window of the rate limit (at
/// most [`MAX_DEFAULT_CONCURRENCY`]), so that each window goes out at once and the pacing
/// alone decides when requests leave; [`UNPACED_CONCURRENCY`] with pacing off. A lower
/// concurrency caps throughput at `concurrency` per round trip: 10 in flight at 50 ms need
/// 0.5 s of round trips per 100-request window, which the next window inherits.
pub const fn default_concurrency(rate_limit: Option<RateLimit>) -> usize {
    match rate_limit {
        Some(r) if (r.requests as usize) < MAX_DEFAULT_CONCURRENCY => r.requests as usize,
        Some(_) => MAX_DEFAULT_CONCURRENCY,
        None => UNPACED_CONCURRENCY,
    }
}

/// A string that must never be printed. `Debug` and `Display` show `***`.
#[derive(Clone, PartialEq, Eq)]
pub struct Secret(String);

impl Secret {
    /// Wraps a secret.
    pub fn new(s: impl Into<String>) -> Self {
        Secret(s.into())
    }
    /// The secret itself, for the one place that needs it: the Authorization header.
    pub fn expose(&self) -> &str {
        &self.0
    }
}

impl fmt::Debug for Secret {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("***")
    }
}

/// Validated client options.
#[derive(Clone, Debug, PartialEq)]
pub struct ClientConfig {
    /// The private-app or OAuth token; `None` when a proxy adds it.
    pub access_token: Option<Secret>,
    /// Normalised base URL, no trailing slash.
    pub base_url: String,
    /// Object type path segment, e.g. `0-3`, `contacts`, `2-1234`.
    pub object_type: String,
    /// Inputs per batch, 1..=100.
    pub batch_size: usize,
    /// Requests in flight at most. [`parse_options`] defaults it to
    /// [`default_concurrency`] of the parsed rate limit; `Default` to that of the default one.
    pub concurrency: usize,
    /// Rolling-window pacing; `None` turns pacing off.
    pub rate_limit: Option<RateLimit>,
    /// Retries after the first attempt, per request.
    pub max_retries: u32,
    /// Per-attempt timeout in milliseconds.
    pub timeout_ms: f64,
    /// `None` for `/crm/v3/objects/…`; a `YYYY-MM` date for `/crm/objects/YYYY-MM/…`.
    pub api_version: Option<String>,
    /// A shared limiter paces the requests (the `rateLimiter` option): the engine asks it for
    /// a permit before every send and gives each back, in place of its own window.
    pub shared_limiter: bool,
}

impl Default for ClientConfig {
    fn default() -> Self {
        ClientConfig {
            access_token: None,
            base_url: DEFAULT_BASE_URL.to_owned(),
            object_type: DEFAULT_OBJECT_TYPE.to_owned(),
            batch_size: MAX_BATCH_SIZE,
            concurrency: default_concurrency(Some(DEFAULT_RATE_LIMIT)),
            rate_limit: Some(DEFAULT_RATE_LIMIT),
            max_retries: DEFAULT_MAX_RETRIES,
            timeout_ms: DEFAULT_TIMEOUT_MS,
            api_version: None,
            shared_limiter: false,
        }
    }
}

/// Which option names a call accepts.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum OptionSet {
    /// `new HubSpotBatch(options)`.
    Client,
    /// `buildBatchUpdateRequests(inputs, options)`.
    Build,
}

const CLIENT_KEYS: &[&str] = &[
    "accessToken",
    "baseUrl",
    "objectType",
    "batchSize",
    "concurrency",
    "rateLimit",
    "maxRetries",
    "timeoutMs",
    "apiVersion",
    "fetch",
    "rateLimiter",
];
const BUILD_KEYS: &[&str] = &[
    "accessToken",
    "baseUrl",
    "objectType",
    "batchSize",
    "apiVersion",
    "idProperty",
    "properties",
    "propertiesWithHistory",
    "archived",
];

/// The keys [`parse_options`] reads of a build call; the rest is [`parse_call_options`]'s.
pub const REQUEST_KEYS: &[&str] = &[
    "accessToken",
    "baseUrl",
    "objectType",
    "batchSize",
    "apiVersion",
];

/// What a `rateLimiter` option must be.
#[cfg(feature = "limiter")]
pub const RATE_LIMITER_MSG: &str =
    "options.rateLimiter: expected a RateLimiter, an object with acquire() and release() methods";
/// Without the `limiter` feature (the browser entry's wasm) the option is refused.
#[cfg(not(feature = "limiter"))]
pub const RATE_LIMITER_MSG: &str =
    "options.rateLimiter: not in the browser build; give it to the proxy";

/// Options parsed from a JS-style options object.
#[derive(Clone, Debug, PartialEq)]
pub struct ParsedOptions {
    /// The client configuration.
    pub config: ClientConfig,
    /// `idProperty` (build options only).
    pub id_property: Option<String>,
}

/// Parses an options object given as entries. `what` names it in messages (`"options"`).
/// Errors are `INVALID_CONFIG` for client options, `INVALID_INPUT` for build options.
pub fn parse_options(
    entries: &[(String, Value)],
    set: OptionSet,
) -> Result<ParsedOptions, HubSpotError> {
    // The error is made here, once, rather than at each of the dozen failures (-56 bytes gzip).
    read_options(entries, set).map_err(|msg| match set {
        OptionSet::Client => HubSpotError::invalid_config(msg),
        OptionSet::Build => HubSpotError::invalid_input(msg),
    })
}

/// [`parse_options`] with the message of its error.
fn read_options(entries: &[(String, Value)], set: OptionSet) -> Result<ParsedOptions, String> {
    let allowed = match set {
        OptionSet::Client => CLIENT_KEYS,
        OptionSet::Build => BUILD_KEYS,
    };
    let mut config = ClientConfig::default();
    let mut id_property = None;
    let mut base_url_given = false;
    let mut concurrency_given = false;
    for (key, value) in entries {
        if matches!(value, Value::Undefined) {
            continue;
        }
        if !allowed.contains(&key.as_str()) {
            // A loop rather than `join`, whose generic copy code costs ~1 KB of wasm.
            let mut msg = format!("options.{key}: unknown option (known: ");
            for (i, k) in allowed.iter().enumerate() {
                if i > 0 {
                    msg.push_str(", ");
                }
                msg.push_str(k);
            }
            msg.push(')');
            return Err(msg);
        }
        match key.as_str() {
            "accessToken" => match value {
                Value::Str(s) if is_header_safe(s) => config.access_token = Some(Secret::new(s.clone())),
                Value::Str(_) => {
                    // Never echo the value: it is a secret.
                    return Err(
                        "options.accessToken: expected a non-empty token of visible ASCII characters"
                            .to_owned(),
                    );
                }
                other => {
                    return Err(format!(
                        "options.accessToken: expected a string, got {}",
                        type_name(other)
                    ))
                }
            },
            "baseUrl" => match value {
                Value::Str(s) => {
                    config.base_url = normalize_base_url(s).map_err(|m| format!("options.baseUrl: {m}"))?;
                    base_url_given = true;
                }
                other => {
                    return Err(format!("options.baseUrl: expected a string, got {}", type_name(other)))
                }
            },
            "objectType" => match value {
                Value::Str(s)
                    if !s.is_empty()
                        && s.len() <= 100
                        && s.chars().all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '_') =>
                {
                    config.object_type = s.clone()
                }
                _ => {
                    return Err(
                        "options.objectType: expected an object type such as \"0-3\", \"deals\" or \"2-1234\" (letters, digits, - and _)"
                            .to_owned(),
                    )
                }
            },
            "batchSize" => {
                config.batch_size = integer(value, 1, MAX_BATCH_SIZE as f64)
                    .ok_or_else(|| format!("options.batchSize: expected an integer from 1 to {MAX_BATCH_SIZE}"))?
                    as usize
            }
            "concurrency" => {
                config.concurrency = integer(value, 1, 1000.0)
                    .ok_or_else(|| "options.concurrency: expected an integer from 1 to 1000".to_owned())?
                    as usize;
                concurrency_given = true;
            }
            "maxRetries" => {
                config.max_retries = integer(value, 0, 100.0)
                    .ok_or_else(|| "options.maxRetries: expected an integer from 0 to 100".to_owned())?
                    as u32
            }
            "timeoutMs" => match value {
                Value::Number(n) if n.is_finite() && *n > 0.0 && *n <= 2_147_483_647.0 => config.timeout_ms = *n,
                _ => return Err("options.timeoutMs: expected a positive number of milliseconds".to_owned()),
            },
            "rateLimit" => config.rate_limit = parse_rate_limit(value)?,
            "apiVersion" => match value {
                Value::Str(s) if crate::operation::is_api_version(s) => {
                    config.api_version = (s != "v3").then(|| s.clone())
                }
                _ => {
                    return Err(
                        "options.apiVersion: expected \"v3\" or a date version such as \"2026-03\""
                            .to_owned(),
                    )
                }
            },
            // The glue tags an object with acquire() and release() methods "RateLimiter".
            "rateLimiter" => match value {
                Value::Other("RateLimiter") if cfg!(feature = "limiter") => {
                    config.shared_limiter = true
                }
                Value::Null => {}
                _ => return Err(RATE_LIMITER_MSG.to_owned()),
            },
            "fetch" if !matches!(value, Value::Other("function")) => {
                return Err(format!("options.fetch: expected a function, got {}", type_name(value)));
            }
            "idProperty" => match value {
                Value::Str(s) if !s.is_empty() => id_property = Some(s.clone()),
                _ => return Err("options.idProperty: expected a non-empty string".to_owned()),
            },
            // The call's own options, read by `parse_call_options`.
            _ => {}
        }
    }
    if set == OptionSet::Client
        && config.access_token.is_none()
        && (!base_url_given || config.base_url == DEFAULT_BASE_URL)
    {
        return Err(
            "options.accessToken: required when calling HubSpot directly; without a token, set baseUrl to a proxy that adds it"
                .to_owned(),
        );
    }
    if !concurrency_given {
        config.concurrency = default_concurrency(config.rate_limit);
    }
    Ok(ParsedOptions {
        config,
        id_property,
    })
}

// Not inlined: a smaller wasm (measured with scripts/check-size; see bench/SIZE-NOTES.md).
#[inline(never)]
fn parse_rate_limit(value: &Value) -> Result<Option<RateLimit>, String> {
    const MSG: &str =
        "options.rateLimit: expected { requests: integer >= 1, intervalMs: number > 0 } or null";
    let Value::Object(entries) = value else {
        return if matches!(value, Value::Null) {
            Ok(None)
        } else {
            Err(MSG.to_owned())
        };
    };
    let mut requests = None;
    let mut interval_ms = None;
    for (k, v) in entries {
        match (k.as_str(), v) {
            ("requests", v) => requests = integer(v, 1, 1_000_000.0),
            ("intervalMs", Value::Number(n)) if n.is_finite() && *n > 0.0 && *n <= 86_400_000.0 => {
                interval_ms = Some(*n)
            }
            (_, Value::Undefined) => {}
            _ => return Err(MSG.to_owned()),
        }
    }
    match (requests, interval_ms) {
        (Some(r), Some(i)) => Ok(Some(RateLimit {
            requests: r as u32,
            interval_ms: i,
        })),
        _ => Err(MSG.to_owned()),
    }
}

fn integer(value: &Value, min: u32, max: f64) -> Option<f64> {
    match value {
        Value::Number(n) if n.fract() == 0.0 && *n >= f64::from(min) && *n <= max => Some(*n),
        _ => None,
    }
}

fn is_header_safe(s: &str) -> bool {
    !s.is_empty() && s.bytes().all(|b| (0x21..0x7f).contains(&b))
}

/// Validates a base URL and returns it without a trailing slash.
///
/// `https:` anywhere; `http:` only on loopback (`localhost`, `127.0.0.0/8`, `[::1]`), so a
/// token never crosses a network in clear text. No credentials, query or fragment.
pub fn normalize_base_url(url: &str) -> Result<String, String> {
    let (scheme, rest) = crate::text::split_once(url, "://")
        .ok_or_else(|| "expected an absolute URL such as \"https://api.hubapi.com\"".to_owned())?;
    let scheme = scheme.to_ascii_lowercase();
    let end = crate::text::find_any(rest, b"/?#").unwrap_or(rest.len());
    let (authority, path) = rest.split_at_checked(end).unwrap_or((rest, ""));
    if authority.bytes().any(|b| b == b'@') {
        return Err("must not contain credentials; pass accessToken instead".to_owned());
    }
    if crate::text::find_any(path, b"?#").is_some() {
        return Err("must not have a query or fragment".to_owned());
    }
    if path.chars().any(|c| c.is_whitespace() || c.is_control()) {
        return Err("must not contain spaces".to_owned());
    }
    let host = host_of(authority).ok_or_else(|| "has no valid host".to_owned())?;
    match scheme.as_str() {
        "https" => {}
        "http" if is_loopback(&host) => {}
        "http" => {
            return Err(
                "must use https: unless the host is loopback (localhost, 127.0.0.0/8, [::1]); the token must not travel in clear text"
                    .to_owned(),
            )
        }
        _ => return Err("must be an http(s) URL".to_owned()),
    }
    let path = crate::text::trim_end_byte(path, b'/');
    Ok(format!(
        "{scheme}://{}{path}",
        authority.to_ascii_lowercase()
    ))
}

/// The host of an authority (`host[:port]`), lowercased; IPv6 keeps its brackets.
fn host_of(authority: &str) -> Option<String> {
    let (host, port) = if authority.starts_with("[") {
        let close = crate::text::find_any(authority, b"]")?;
        let (h, rest) = authority.split_at_checked(close + 1)?;
        (h, rest.strip_prefix(":"))
    } else {
        match crate::text::split_once_any(authority, b":") {
            Some((h, p)) => (h, Some(p)),
            None => (authority, None),
        }
    };
    if let Some(p) = port {
        if p.is_empty() || p.len() > 5 || !p.bytes().all(|b| b.is_ascii_digit()) {
            return None;
        }
    }
    let valid =
        |c: char| c.is_ascii_alphanumeric() || matches!(c, '-' | '.' | '_' | '[' | ']' | ':');
    if host.is_empty() || !host.chars().all(valid) {
        return None;
    }
    Some(host.to_ascii_lowercase())
}

/// Loopback hosts: `localhost`, `127.0.0.0/8` and `[::1]`.
pub fn is_loopback(host: &str) -> bool {
    if host == "localhost" || host == "[::1]" {
        return true;
    }
    // Four dot-separated octets, the first "127", each what `o.parse::<u16>()` reads as at
    // most 255 in at most 3 bytes (an optional '+', then digits). Bytes rather than
    // `split('.')`, `collect` and `parse`, whose generic code cost ~0.5 KB of wasm.
    let mut count = 0;
    for (i, o) in host.as_bytes().split(|&b| b == b'.').enumerate() {
        let digits = o.strip_prefix(b"+").unwrap_or(o);
        let ok = o.len() <= 3
            && !digits.is_empty()
            && digits.iter().all(u8::is_ascii_digit)
            && digits
                .iter()
                .fold(0u32, |n, d| n * 10 + u32::from(d - b'0'))
                <= 255;
        if !ok || (i == 0 && o != b"127") {
            return false;
        }
        count += 1;
    }
    count == 4
}

/// The options of one call of `operation` that shape what it sends (`idProperty`; read's
/// `properties`, `propertiesWithHistory` and `archived`), as a [`Plan`]. `signal` and
/// `onProgress` are checked to be an object and a function here and taken by the glue; keys
/// in `skip` were read by another parser. Errors are `INVALID_INPUT` naming the option.
pub fn parse_call_options(
    operation: Operation,
    entries: &[(String, Value)],
    skip: &[&str],
) -> Result<Plan, HubSpotError> {
    read_call_options(operation, entries, skip).map_err(HubSpotError::invalid_input)
}

fn read_call_options(
    operation: Operation,
    entries: &[(String, Value)],
    skip: &[&str],
) -> Result<Plan, String> {
    let known: &[&str] = match operation {
        Operation::Update | Operation::Upsert => &["idProperty", "signal", "onProgress"],
        Operation::Read => &[
            "properties",
            "propertiesWithHistory",
            "idProperty",
            "archived",
            "signal",
            "onProgress",
        ],
        Operation::Create | Operation::Archive => &["signal", "onProgress"],
    };
    let mut plan = Plan::new(operation);
    let mut properties = None;
    for (key, value) in entries {
        let k = key.as_str();
        if matches!(value, Value::Undefined) || skip.contains(&k) {
            continue;
        }
        if !known.contains(&k) {
            let mut msg = format!(
                "options.{k}: unknown option for {} (known: ",
                operation.word()
            );
            for (i, name) in known.iter().enumerate() {
                if i > 0 {
                    msg.push_str(", ");
                }
                msg.push_str(name);
            }
            msg.push(')');
            return Err(msg);
        }
        match (k, value) {
            ("signal", Value::Other("object")) | ("onProgress", Value::Other("function")) => {}
            ("idProperty", Value::Str(s)) if !s.is_empty() => plan.id_property = Some(s.clone()),
            ("archived", Value::Bool(b)) => plan.archived = Some(*b),
            ("properties", v) | ("propertiesWithHistory", v) if property_names(v).is_some() => {
                let names = property_names(v).unwrap_or_default();
                if k == "properties" {
                    properties = Some(names);
                } else {
                    plan.properties_with_history = names;
                }
            }
            _ => {
                return Err(format!(
                    "options.{k}: expected {}",
                    match k {
                        "signal" => "an AbortSignal",
                        "onProgress" => "a function",
                        "archived" => "a boolean",
                        "idProperty" => "a non-empty string",
                        _ => "an array of property names",
                    }
                ))
            }
        }
    }
    if operation == Operation::Read {
        plan.properties = properties.ok_or(
            "options.properties: read needs the properties to return (an array of property names)",
        )?;
    }
    Ok(plan)
}

/// An array of non-empty strings.
fn property_names(value: &Value) -> Option<Vec<String>> {
    let Value::List(items) = value else {
        return None;
    };
    let mut names = Vec::with_capacity(items.len());
    for v in items {
        match v {
            Value::Str(s) if !s.is_empty() => names.push(s.clone()),
            _ => return None,
        }
    }
    Some(names)
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    /// `is_loopback` as it was written before the byte version (split, collect, parse).
    fn is_loopback_reference(host: &str) -> bool {
        if host == "localhost" || host == "[::1]" {
            return true;
        }
        let octets: Vec<&str> = host.split('.').collect();
        octets.len() == 4
            && octets.first() == Some(&"127")
            && octets
                .iter()
                .all(|o| !o.is_empty() && o.len() <= 3 && o.parse::<u16>().is_ok_and(|n| n <= 255))
    }

    #[test]
    fn loopback_by_hand() {
        for (host, yes) in [
            ("127.0.0.1", true),
            ("127.255.255.255", true),
            ("127.+1.0.1", true),
            ("127.256.0.1", false),
            ("127.0.0", false),
            ("127.0.0.1.", false),
            ("127..0.1", false),
            ("127.+.0.1", false),
            ("127.0001.0.1", false),
            ("+127.0.0.1", false),
            ("128.0.0.1", false),
            ("127.0.0.é", false),
            ("localhost", true),
            ("[::1]", true),
        ] {
            assert_eq!(is_loopback(host), yes, "{host}");
            assert_eq!(is_loopback_reference(host), yes, "{host}");
        }
    }

    proptest! {
        #![proptest_config(ProptestConfig { cases: 5000, ..ProptestConfig::default() })]

        #[test]
        fn loopback_agrees_with_reference(tail in "(\\.[0-9+]{0,4}|[0-9é-]){0,6}", head in "(127|12|1270|\\+127|)") {
            let host = format!("{head}{tail}");
            prop_assert_eq!(is_loopback(&host), is_loopback_reference(&host), "{}", host);
        }
    }

    fn opts(entries: Vec<(&str, Value)>) -> Result<ParsedOptions, HubSpotError> {
        let e: Vec<(String, Value)> = entries
            .into_iter()
            .map(|(k, v)| (k.to_owned(), v))
            .collect();
        parse_options(&e, OptionSet::Client)
    }

    #[test]
    fn base_url_rules() {
        assert_eq!(
            normalize_base_url("https://api.hubapi.com/").unwrap(),
            "https://api.hubapi.com"
        );
        assert_eq!(
            normalize_base_url("https://proxy.example/hubspot/").unwrap(),
            "https://proxy.example/hubspot"
        );
        assert_eq!(
            normalize_base_url("http://127.0.0.1:8080").unwrap(),
            "http://127.0.0.1:8080"
        );
        assert_eq!(
            normalize_base_url("http://127.1.2.3").unwrap(),
            "http://127.1.2.3"
        );
        assert_eq!(
            normalize_base_url("HTTP://LOCALHOST:3000").unwrap(),
            "http://localhost:3000"
        );
        assert_eq!(
            normalize_base_url("http://[::1]:9").unwrap(),
            "http://[::1]:9"
        );
        for bad in [
            "http://example.com",
            "http://10.0.0.1",
            "http://127.0.0.1.evil.com",
            "http://localhost.evil.com",
            "http://128.0.0.1",
            "ftp://127.0.0.1",
            "https://user:pw@api.hubapi.com",
            "https://api.hubapi.com?x=1",
            "https://api.hubapi.com/#f",
            "api.hubapi.com",
            "https://",
            "https://a b",
            "http://127.0.0.1:99999999",
        ] {
            assert!(normalize_base_url(bad).is_err(), "{bad} should be refused");
        }
    }

    #[test]
    fn defaults_and_token_requirement() {
        let p = opts(vec![("accessToken", Value::Str("pat-na1-x".into()))]).unwrap();
        assert_eq!(p.config.batch_size, 100);
        assert_eq!(p.config.rate_limit, Some(DEFAULT_RATE_LIMIT));
        assert_eq!(p.config.object_type, "0-3");
        assert_eq!(p.config.concurrency, 100, "a whole default window");
        assert!(opts(vec![]).unwrap_err().message.contains("accessToken"));
        assert!(opts(vec![("baseUrl", Value::Str("http://127.0.0.1:1".into()))]).is_ok());
    }

    #[test]
    fn refuses_bad_options_without_echoing_the_token() {
        let e = opts(vec![("accessToken", Value::Str("secret token".into()))]).unwrap_err();
        assert!(!e.message.contains("secret"));
        assert_eq!(e.code, Some(crate::error::ErrorCode::InvalidConfig));
        let tok = ("accessToken", Value::Str("t".into()));
        assert!(opts(vec![tok.clone(), ("batchSize", Value::Number(101.0))]).is_err());
        assert!(opts(vec![tok.clone(), ("batchSize", Value::Number(0.0))]).is_err());
        assert!(opts(vec![tok.clone(), ("batchSize", Value::Number(1.5))]).is_err());
        assert!(opts(vec![tok.clone(), ("objectType", Value::Str("../x".into()))]).is_err());
        assert!(opts(vec![tok.clone(), ("bogus", Value::Number(1.0))]).is_err());
        assert!(opts(vec![tok.clone(), ("fetch", Value::Str("x".into()))]).is_err());
        assert!(opts(vec![tok.clone(), ("fetch", Value::Other("function"))]).is_ok());
        assert_eq!(
            opts(vec![tok.clone(), ("rateLimit", Value::Null)])
                .unwrap()
                .config
                .rate_limit,
            None
        );
        let rl = Value::Object(vec![
            ("requests".into(), Value::Number(190.0)),
            ("intervalMs".into(), Value::Number(10_000.0)),
        ]);
        assert_eq!(
            opts(vec![tok.clone(), ("rateLimit", rl)])
                .unwrap()
                .config
                .rate_limit,
            Some(RateLimit {
                requests: 190,
                interval_ms: 10_000.0
            })
        );
        assert!(opts(vec![tok, ("rateLimit", Value::Object(vec![]))]).is_err());
    }

    #[test]
    fn default_concurrency_follows_the_rate_limit() {
        let tok = ("accessToken", Value::Str("t".into()));
        let rl = |n: f64| {
            Value::Object(vec![
                ("requests".into(), Value::Number(n)),
                ("intervalMs".into(), Value::Number(10_000.0)),
            ])
        };
        let conc = |e: Vec<(&str, Value)>| opts(e).unwrap().config.concurrency;
        assert_eq!(conc(vec![tok.clone(), ("rateLimit", rl(190.0))]), 190);
        assert_eq!(conc(vec![tok.clone(), ("rateLimit", rl(7.0))]), 7);
        assert_eq!(conc(vec![tok.clone(), ("rateLimit", rl(5000.0))]), 250);
        assert_eq!(conc(vec![tok.clone(), ("rateLimit", Value::Null)]), 10);
        // Given, it wins, wherever it stands among the options.
        assert_eq!(
            conc(vec![
                tok.clone(),
                ("concurrency", Value::Number(3.0)),
                ("rateLimit", rl(190.0))
            ]),
            3
        );
        assert_eq!(
            conc(vec![
                tok,
                ("rateLimit", Value::Null),
                ("concurrency", Value::Number(40.0))
            ]),
            40
        );
        assert_eq!(ClientConfig::default().concurrency, 100);
    }

    #[test]
    fn secret_debug_is_redacted() {
        assert_eq!(format!("{:?}", Secret::new("pat-123")), "***");
    }
}
