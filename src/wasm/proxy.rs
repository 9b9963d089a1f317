//! `createBatchUpdateHandler`: the edge proxy as a `(Request) => Promise<Response>`.
//! Decisions come from [`crate::proxy`]; this file only reads requests and writes responses.
//! Edge runs call the client's own method for the operation (`HubSpotBatch::start`).

use js_sys::{Array, Function, JsString, Object, Promise, Reflect};
use wasm_bindgen::prelude::*;
use wasm_bindgen::JsCast;
use wasm_bindgen_futures::{future_to_promise, JsFuture};

use super::{errors, transport, values, HubSpotBatch};
use crate::error::HubSpotError;
use crate::input::{validate_inputs, RawInput};
use crate::model::{self, BatchInput};
use crate::operation::Operation;
use crate::proxy::{
    bad_body, error_body, parse_proxy_options, status_for_error, Forward, ProxyConfig, Refusal,
    Route,
};
use crate::request::headers;

/// Creates the edge proxy's request handler. Throws `INVALID_CONFIG` for bad options.
#[wasm_bindgen(js_name = createBatchUpdateHandler, unchecked_return_type = "(request: Request) => Promise<Response>")]
pub fn create_batch_update_handler(
    #[wasm_bindgen(unchecked_param_type = "ProxyOptions")] options: JsValue,
) -> Result<JsValue, JsValue> {
    let entries = values::option_entries(&options, "options", HubSpotError::invalid_config)
        .map_err(|e| errors::to_js(&e))?;
    let config = parse_proxy_options(&entries).map_err(|e| errors::to_js(&e))?;
    let fetch = values::function_field(&options, "fetch");
    // The `rateLimiter` option (judged by the parser), or `undefined`.
    let limiter = match config.client.shared_limiter {
        true => values::field(&options, "rateLimiter"),
        false => JsValue::UNDEFINED,
    };
    let handler = Closure::<dyn FnMut(JsValue) -> Promise>::new(move |request: JsValue| {
        let (config, fetch, limiter) = (config.clone(), fetch.clone(), limiter.clone());
        future_to_promise(async move { Ok(handle(&config, fetch, &limiter, request).await) })
    });
    Ok(handler.into_js_value())
}

async fn handle(
    config: &ProxyConfig,
    fetch: Option<Function>,
    limiter: &JsValue,
    request: JsValue,
) -> JsValue {
    let Ok(request) = request.dyn_into::<web_sys::Request>() else {
        return respond_error(400, &bad_body("expected a Request").body(), &[]);
    };
    let origin = request.headers().get("origin").ok().flatten();
    let cors = |preflight| config.cors_headers(origin.as_deref(), preflight);
    let refuse = |r: Refusal| {
        respond_error(
            r.status,
            &r.body(),
            &config.cors_headers(origin.as_deref(), false),
        )
    };
    let path = path_of(&request.url());
    let route = match config.route(&request.method(), &path, origin.as_deref()) {
        Ok(r) => r,
        Err(r) => return refuse(r),
    };
    if route == Route::Preflight {
        return respond(204, "", &cors(true));
    }
    let declared = request
        .headers()
        .get("content-length")
        .ok()
        .flatten()
        .and_then(|l| l.parse::<usize>().ok());
    if let Some(Err(r)) = declared.map(|n| config.check_size(n)) {
        return refuse(r);
    }
    let text = match request.text() {
        Ok(p) => JsFuture::from(p).await.unwrap_or_default(),
        Err(_) => JsValue::from_str(""),
    };
    // Content-Length may be absent (a streamed body): check the size of what arrived too.
    let text = text.as_string().unwrap_or_default();
    if let Err(r) = config.check_size(text.len()) {
        return refuse(r);
    }
    match route {
        Route::Forward(to) => forward(config, fetch, limiter, &to, &text, &cors(false)).await,
        Route::Run(op) => match values::json_parse(&JsValue::from_str(&text)) {
            Ok(body) => run_at_edge(config, fetch, limiter, op, body, &cors(false)).await,
            Err(_) => refuse(bad_body("the body is not JSON")),
        },
        Route::Preflight => respond(204, "", &cors(true)),
    }
}

/// The body to send on: a HubSpot batch body with at most 100 inputs, written again so that
/// HubSpot reads exactly what was checked. Update and upsert inputs go through the one input
/// decoder, as `update()` reads its inputs (the same checks and messages, values formatted as
/// HubSpot strings, anything HubSpot does not define dropped); create, read and archive
/// bodies are checked for their shape only and written again by `JSON.stringify`.
fn forward_body(op: Operation, text: &str) -> Result<JsString, model::Error> {
    let shape = || bad_body("expected HubSpot's batch body: {\"inputs\":[...]}").body();
    let body = values::json_parse(&JsValue::from_str(text))
        .ok()
        .filter(JsValue::is_object)
        .ok_or_else(shape)?;
    let inputs = Reflect::get(&body, &"inputs".into())
        .ok()
        .filter(Array::is_array)
        .ok_or_else(shape)?;
    if Array::from(&inputs).length() as usize > crate::config::MAX_BATCH_SIZE {
        return Err(bad_body("at most 100 inputs per batch").body());
    }
    let written = if matches!(op, Operation::Update | Operation::Upsert) {
        let inputs = RawInput::list(values::inputs(&inputs))
            .and_then(|raw| validate_inputs(&raw, None))
            .map_err(|e| error_of(&e))?;
        values::to_json(&BatchInput { inputs }).map(JsValue::from)
    } else {
        json_stringify(&body)
    };
    written
        .ok()
        .and_then(|t| t.dyn_into::<JsString>().ok())
        .ok_or_else(|| bad_body("the body could not be written").body())
}

/// Checks and writes again a HubSpot batch body and sends it, with the token, to the same
/// endpoint on HubSpot (the route's checked path, with only the query it kept).
async fn forward(
    config: &ProxyConfig,
    fetch: Option<Function>,
    limiter: &JsValue,
    to: &Forward,
    text: &str,
    cors: &[(String, String)],
) -> JsValue {
    let body = match forward_body(to.operation, text) {
        Ok(body) => body,
        Err(e) => return respond_error(400, &e, cors),
    };
    let client = &config.client;
    let url = format!("{}{}", client.base_url, to.path);
    let headers = headers(client);
    let request = transport::Request {
        url: &url,
        method: "POST",
        headers: &headers,
        body: Some(&body),
    };
    // With a shared limiter, the request goes under a permit, given back with the time its
    // answer arrived (HubSpot counted the request before), as the engine takes them.
    let answer =
        match transport::exchange(fetch.as_ref(), request, client.timeout_ms, limiter).await {
            Ok(answer) => answer,
            Err(None) => {
                return respond_error(
                    504,
                    &error_body("TIMEOUT", "HubSpot did not answer in time"),
                    cors,
                )
            }
            Err(Some(_)) => {
                return respond_error(
                    502,
                    &error_body("NETWORK_ERROR", "HubSpot could not be reached"),
                    cors,
                )
            }
        };
    let meta = answer.meta;
    let mut out: Vec<(String, String)> = cors.to_vec();
    out.push(("Content-Type".to_owned(), "application/json".to_owned()));
    if let Some(r) = meta.retry_after {
        out.push(("Retry-After".to_owned(), r));
    }
    for (name, v) in [
        ("X-HubSpot-RateLimit-Max", meta.rate_max.map(f64::from)),
        (
            "X-HubSpot-RateLimit-Remaining",
            meta.rate_remaining.map(f64::from),
        ),
        (
            "X-HubSpot-RateLimit-Interval-Milliseconds",
            meta.rate_interval_ms,
        ),
    ] {
        if let Some(v) = v {
            out.push((name.to_owned(), (v as u64).to_string()));
        }
    }
    // Redirects are refused rather than passed on: the page must not learn where they lead.
    if answer.status == 0 || (300..400).contains(&answer.status) {
        return respond_error(
            502,
            &error_body(
                "REDIRECT",
                "HubSpot answered with a redirect; the proxy does not follow it",
            ),
            cors,
        );
    }
    respond(answer.status, &String::from(answer.text), &out)
}

/// Runs a whole call of `op` at the edge: `{ inputs, objectType?, ...options }`, where the
/// options are the method's own (`idProperty` for update; unknown ones are refused as the
/// method refuses them).
async fn run_at_edge(
    config: &ProxyConfig,
    fetch: Option<Function>,
    limiter: &JsValue,
    op: Operation,
    body: JsValue,
    cors: &[(String, String)],
) -> JsValue {
    let mut client = config.client.clone();
    if !body.is_object() || Array::is_array(&body) {
        return respond_error(
            400,
            &bad_body("expected { inputs, objectType?, ...options }").body(),
            cors,
        );
    }
    let field = |k: &str| Reflect::get(&body, &k.into()).unwrap_or(JsValue::UNDEFINED);
    let inputs = field("inputs");
    if let Some(t) = field("objectType").as_string() {
        if !config.object_type_allowed(&t) {
            return respond_error(
                403,
                &error_body(
                    "OBJECT_TYPE_NOT_ALLOWED",
                    &format!("object type {t:?} is not allowed by this proxy"),
                ),
                cors,
            );
        }
        client.object_type = t;
    }
    // What is left of the body (JSON.parse's own object) is the call's options.
    let own: &Object = body.unchecked_ref();
    let _ = Reflect::delete_property(own, &"inputs".into());
    let _ = Reflect::delete_property(own, &"objectType".into());
    let mut out: Vec<(String, String)> = cors.to_vec();
    out.push(("Content-Type".to_owned(), "application/json".to_owned()));
    let batch = HubSpotBatch {
        config: client,
        fetch,
        limiter: (!limiter.is_undefined()).then(|| limiter.clone()),
    };
    // The same method a caller of `HubSpotBatch` would use, so an edge run validates, paces,
    // retries and accounts exactly as it does.
    let call = batch.start(op, inputs, Some(body));
    match JsFuture::from(call).await {
        Ok(result) => {
            let text = json_stringify(&result)
                .ok()
                .and_then(|t| t.as_string())
                .unwrap_or_default();
            respond(200, &text, &out)
        }
        Err(e) => {
            let text = |k: &str| Reflect::get(&e, &k.into()).ok().and_then(|c| c.as_string());
            let code = text("code").unwrap_or_default();
            let mut core = HubSpotError::new(
                crate::error::ErrorCode::parse(&code).unwrap_or(crate::error::ErrorCode::HttpError),
                text("message").unwrap_or_default(),
            );
            core.category = text("category").map(|c| model::Category::parse(&c));
            respond_error(status_for_error(&core), &error_of(&core), &out)
        }
    }
}

#[wasm_bindgen]
extern "C" {
    #[wasm_bindgen(js_namespace = JSON, js_name = stringify, catch)]
    fn json_stringify(v: &JsValue) -> Result<JsValue, JsValue>;
}

/// The error body a failed call answers with.
fn error_of(e: &HubSpotError) -> model::Error {
    let category = e
        .category
        .as_ref()
        .map_or(e.code().as_str(), model::Category::as_str);
    error_body(category, &e.message)
}

fn path_of(url: &str) -> String {
    let rest = crate::text::split_once(url, "://").map_or(url, |(_, r)| r);
    match crate::text::find(rest, "/") {
        Some(i) => rest.get(i..).unwrap_or("/").to_owned(),
        None => "/".to_owned(),
    }
}

/// An error answer: HubSpot's `Error` shape as JSON.
fn respond_error(status: u16, error: &model::Error, headers: &[(String, String)]) -> JsValue {
    let text = values::to_json(error)
        .map(String::from)
        .unwrap_or_else(|_| "{}".to_owned());
    respond(status, &text, headers)
}

#[wasm_bindgen(module = "/src/wasm/fetch.js")]
extern "C" {
    /// `new Response(...)` in JS (see fetch.js): smaller than building it through web-sys.
    #[wasm_bindgen(js_name = respond, catch)]
    fn respond_js(status: u16, body: &str, headers: &Array) -> Result<JsValue, JsValue>;
}

/// A Response (built in JS). Statuses that must not carry a body get none, a body without a
/// `Content-Type` is JSON; should the runtime still refuse, a plain 502 stands in, so the
/// handler always answers.
fn respond(status: u16, body: &str, headers: &[(String, String)]) -> JsValue {
    let pairs = Array::new();
    for (k, v) in headers {
        pairs.push(&k.into());
        pairs.push(&v.into());
    }
    respond_js(status, body, &pairs).unwrap_or_default()
}
