//! Effects: fetch, timers, abort. The only place that talks to the network.

use std::cell::{Cell, RefCell};
use std::rc::Rc;

use js_sys::{Function, Object, Promise, Reflect};
use wasm_bindgen::prelude::*;
use wasm_bindgen::JsCast;
use wasm_bindgen_futures::JsFuture;
use web_sys::AbortController;

use crate::engine::Outcome;
use crate::request::HttpRequest;
use crate::response::{self, Body, ResponseMeta};

#[wasm_bindgen]
extern "C" {
    type TextEncoder;
    #[wasm_bindgen(constructor)]
    fn new() -> TextEncoder;
    #[wasm_bindgen(method)]
    fn encode(this: &TextEncoder, text: &js_sys::JsString) -> js_sys::Uint8Array;
}

#[wasm_bindgen]
extern "C" {
    type TextDecoder;
    #[wasm_bindgen(constructor)]
    fn new(label: &str, options: &JsValue) -> TextDecoder;
    #[wasm_bindgen(method)]
    fn decode(this: &TextDecoder, bytes: &JsValue) -> js_sys::JsString;
}

thread_local! {
    static ENCODER: TextEncoder = TextEncoder::new();
}

/// A JS string as a Rust String through the runtime's TextEncoder: a native encode and one
/// memcpy, far faster for large texts than the glue's per-character copy. Lone surrogates
/// become U+FFFD, as in any UTF-8 encoding.
pub fn large_string(text: &JsValue) -> Option<String> {
    let text = text.dyn_ref::<js_sys::JsString>()?;
    let bytes = ENCODER.with(|e| e.encode(text)).to_vec();
    String::from_utf8(bytes).ok()
}

#[wasm_bindgen]
extern "C" {
    // Bound on the global scope, never on `window`: Node and workerd have none.
    #[wasm_bindgen(js_name = setTimeout)]
    fn set_timeout(handler: &Function, ms: f64) -> JsValue;
    #[wasm_bindgen(js_name = clearTimeout)]
    fn clear_timeout(id: &JsValue);
    #[wasm_bindgen(js_name = String)]
    fn js_string(n: f64) -> String;
    #[wasm_bindgen(js_name = Number)]
    fn js_number(text: &str) -> f64;
}

/// A cancellable timer that calls `f` after `ms`.
pub struct Timer {
    id: JsValue,
    _callback: Closure<dyn FnMut()>,
}

impl Timer {
    /// Starts a timer.
    pub fn start(ms: f64, f: impl FnMut() + 'static) -> Timer {
        let callback = Closure::<dyn FnMut()>::new(f);
        let id = set_timeout(
            callback.as_ref().unchecked_ref(),
            ms.clamp(0.0, 2_147_483_647.0),
        );
        Timer {
            id,
            _callback: callback,
        }
    }
}

impl Drop for Timer {
    fn drop(&mut self) {
        clear_timeout(&self.id);
    }
}

/// The fetch to use: the caller's, or the global one looked up now (so a polyfill installed
/// after import is seen).
fn resolve_fetch(custom: Option<&Function>) -> Result<Function, String> {
    if let Some(f) = custom {
        return Ok(f.clone());
    }
    Reflect::get(&js_sys::global(), &"fetch".into())
        .ok()
        .and_then(|f| f.dyn_into::<Function>().ok())
        .ok_or_else(|| "this runtime has no global fetch; pass options.fetch".to_owned())
}

/// A JS error's message (and its cause's, where Node keeps the useful part), never its
/// stack or arguments.
fn describe(e: &JsValue) -> String {
    let text = |v: &JsValue, k: &str| Reflect::get(v, &k.into()).ok().and_then(|m| m.as_string());
    let mut msg = text(e, "message")
        .or_else(|| e.as_string())
        .unwrap_or_else(|| "fetch failed".to_owned());
    if let Ok(cause) = Reflect::get(e, &"cause".into()) {
        if let Some(c) = text(&cause, "code").or_else(|| text(&cause, "message")) {
            msg.push_str(" (");
            msg.push_str(&c);
            msg.push(')');
        }
    }
    msg
}

/// One attempt whose `fetch` has been called: [`Attempt::start`] sends at once (so a request
/// leaves before the driver builds the next one), [`Attempt::answer`] awaits the answer.
/// The per-attempt timeout is the caller's: a timer that sets `timed_out` and aborts the
/// attempt's controller ([`deadline`]).
pub struct Attempt {
    response: Result<Promise, String>,
    /// Rejects when the attempt's controller aborts (timeout, or the caller aborting the run).
    cancelled: Promise,
    /// The token, to take out of whatever comes back.
    secret: String,
}

impl Attempt {
    /// Calls `fetch` now. `controller` is the caller's, so that an abort of the whole run
    /// (or the caller's timeout) stops this attempt too.
    pub fn start(
        fetch: Option<&Function>,
        request: &HttpRequest,
        controller: &AbortController,
    ) -> Attempt {
        // A fetch (or a body) that ignores its signal must not hold the run: every await of
        // the attempt races this promise, which rejects when the controller aborts.
        let cancelled = Promise::new(&mut |_resolve, reject| {
            let _ = controller
                .signal()
                .add_event_listener_with_callback("abort", &reject);
        });
        Attempt {
            response: call_fetch(fetch, request, controller),
            cancelled,
            secret: response::bearer_token(&request.headers)
                .unwrap_or_default()
                .to_owned(),
        }
    }

    /// The answer ([`Answered`]), or the `Timeout`/`Network` outcome when there is none.
    /// `timed_out` tells the two apart once the controller has aborted.
    pub async fn answer(self, timed_out: &Cell<bool>) -> Result<Answered, Outcome> {
        let result = match self.response {
            Ok(promise) => read_answer(&promise, &self.cancelled).await,
            Err(e) => Err(e),
        };
        // Whatever came back may echo the token (in a body, or in a fetch error's message):
        // take it out before anything else sees it.
        let secret = self.secret.as_str();
        match result {
            Ok(mut a) => {
                if response::holds_secret(&a.text, secret) {
                    a.text = response::redact_secret(&a.text, secret);
                    // The raw bytes still hold the token: only the redacted text may be read.
                    a.raw = None;
                }
                Ok(a)
            }
            Err(_) if timed_out.get() => Err(Outcome::Timeout),
            Err(e) => Err(Outcome::Network(response::redact_secret(&e, secret))),
        }
    }
}

/// A timer that, after `timeout_ms`, marks the attempt as timed out and aborts it.
/// Dropping it cancels it.
pub fn deadline(
    timeout_ms: f64,
    controller: &AbortController,
    timed_out: &Rc<Cell<bool>>,
) -> Timer {
    let flag = timed_out.clone();
    let c = controller.clone();
    Timer::start(timeout_ms, move || {
        flag.set(true);
        c.abort();
    })
}

/// Sends one request and returns status, headers and body text (a JS string), or the
/// `Timeout`/`Network` outcome when there is no answer within `timeout_ms`. (The proxy's.)
#[cfg(feature = "proxy")]
pub async fn exchange(
    fetch: Option<&Function>,
    request: &HttpRequest,
    timeout_ms: f64,
    controller: AbortController,
) -> Result<(u16, ResponseMeta, String), Outcome> {
    let timed_out = Rc::new(Cell::new(false));
    let timer = deadline(timeout_ms, &controller, &timed_out);
    let answer = Attempt::start(fetch, request, &controller)
        .answer(&timed_out)
        .await;
    drop(timer);
    answer.map(|a| (a.status, a.meta, a.text))
}

/// Calls fetch with the request; its promise, or why it could not be called.
fn call_fetch(
    fetch: Option<&Function>,
    request: &HttpRequest,
    controller: &AbortController,
) -> Result<Promise, String> {
    let fetch = resolve_fetch(fetch)?;
    let headers = Object::new();
    for (k, v) in &request.headers {
        let _ = Reflect::set(&headers, &k.into(), &v.into());
    }
    let init = Object::new();
    let _ = Reflect::set(&init, &"method".into(), &request.method.into());
    let _ = Reflect::set(&init, &"headers".into(), &headers);
    let _ = Reflect::set(&init, &"body".into(), &request.body.as_str().into());
    let _ = Reflect::set(&init, &"signal".into(), &controller.signal());
    // Redirects are never followed, so the Authorization header cannot reach another origin.
    let _ = Reflect::set(&init, &"redirect".into(), &"manual".into());
    // Called unbound: workerd throws "Illegal invocation" for any `this` but the global.
    let promise = fetch
        .call2(&JsValue::UNDEFINED, &request.url.as_str().into(), &init)
        .map_err(|e| describe(&e))?;
    Ok(Promise::resolve(&promise))
}

/// One answer as read from a `Response`.
#[derive(Default)]
pub struct Answered {
    /// The HTTP status (0 for a redirect that was not followed).
    pub status: u16,
    /// The headers the engine reads.
    pub meta: ResponseMeta,
    /// The body, with the token taken out should it be echoed.
    pub text: String,
    /// When the status line and headers arrived (epoch ms).
    pub heard: f64,
    /// The body as the `ArrayBuffer` it came in, when `text` is exactly its bytes (valid
    /// UTF-8, no token taken out): what a fast path may hand to `JSON.parse` instead of
    /// reading `text` in wasm.
    pub raw: Option<JsValue>,
}

async fn read_answer(promise: &Promise, cancelled: &Promise) -> Result<Answered, String> {
    let response = race(promise, cancelled).await.map_err(|e| describe(&e))?;
    // HubSpot counted the request before it sent this: the pacing counts from here.
    let heard = js_sys::Date::now();
    // Every read goes through Reflect: an injected `fetch` may resolve to an object whose
    // getters throw, and a throw escaping here would leave the run waiting forever.
    let field = |k: &str| Reflect::get(&response, &k.into()).map_err(|e| describe(&e));
    let status = match field("status")?.as_f64() {
        Some(s) if s.fract() == 0.0 && (0.0..=999.0).contains(&s) => s as u16,
        _ => return Err("fetch resolved to something that is not a Response".to_owned()),
    };
    let status = if field("type")?.as_string().as_deref() == Some("opaqueredirect") {
        0
    } else {
        status
    };
    let headers = field("headers")?;
    let mut pairs: Vec<(&str, String)> = Vec::new();
    if let Some(get) = Reflect::get(&headers, &"get".into())
        .ok()
        .and_then(|f| f.dyn_into::<Function>().ok())
    {
        for name in ResponseMeta::HEADER_NAMES {
            if let Some(v) = get
                .call1(&headers, &name.into())
                .ok()
                .and_then(|v| v.as_string())
            {
                pairs.push((name, v));
            }
        }
    }
    let meta = ResponseMeta::from_headers(pairs.iter().map(|(k, v)| (*k, v.as_str())));
    // The body as bytes: one memcpy into wasm memory, where a JS string would be copied
    // character by character by the generated glue (measured: most of the parse time).
    let body_fn = field("arrayBuffer")?
        .dyn_into::<Function>()
        .map_err(|_| "fetch resolved to something that is not a Response".to_owned())?;
    let pending = body_fn.call0(&response).map_err(|e| describe(&e))?;
    let buffer = race(&Promise::resolve(&pending), cancelled)
        .await
        .map_err(|e| describe(&e))?;
    if !buffer.is_instance_of::<js_sys::ArrayBuffer>() {
        return Err("the response body is not readable".to_owned());
    }
    let bytes = js_sys::Uint8Array::new(&buffer).to_vec();
    // Valid UTF-8 (the usual case) is taken as is, without a second copy. Anything else is
    // decoded by the runtime's TextDecoder, which puts U+FFFD where String::from_utf8_lossy
    // would (both replace each maximal ill-formed subpart; ignoreBOM keeps a BOM as U+FEFF,
    // as Rust does), and keeps from_utf8_lossy's code out of the wasm.
    let (text, raw) = match String::from_utf8(bytes) {
        Ok(text) => (text, Some(buffer)),
        Err(_) => {
            let options = js_sys::Object::new();
            let _ = Reflect::set(&options, &"ignoreBOM".into(), &JsValue::TRUE);
            let decoder = TextDecoder::new("utf-8", &options);
            (
                large_string(&decoder.decode(&buffer)).unwrap_or_default(),
                None,
            )
        }
    };
    Ok(Answered {
        status,
        meta,
        text,
        heard,
        raw,
    })
}

/// Shortest round-trip text of a number, from the JS engine (see `input::format_number`).
pub fn number_to_string(n: f64) -> String {
    js_string(n)
}

/// The number a decimal text stands for, from the JS engine (see `input::parse_f64`).
pub fn parse_number(text: &str) -> f64 {
    js_number(text)
}

/// The body read into core types with the core's JSON reader.
pub fn read_body(status: u16, text: &str) -> Body {
    if response::is_batch_status(status) {
        match crate::json::parse(text) {
            Ok(v) => match crate::read::batch_response(v) {
                Ok(b) => Body::Batch(b),
                Err(_) => Body::Unreadable("JSON that is not a batch response".to_owned()),
            },
            Err(_) => Body::Unreadable(if text.trim_start().starts_with('<') {
                "an HTML page".to_owned()
            } else {
                response::TRUNCATED_JSON.to_owned()
            }),
        }
    } else {
        match crate::read::from_str(text, crate::read::error) {
            Ok(e) => Body::Error(e),
            Err(_) => Body::Unreadable(response::describe_non_json(text)),
        }
    }
}

/// Awaits `p` unless `cancelled` rejects first.
async fn race(p: &Promise, cancelled: &Promise) -> Result<JsValue, JsValue> {
    JsFuture::from(Promise::race(&js_sys::Array::of2(p, cancelled))).await
}

/// A one-shot wake-up the driver awaits: answers, timers and aborts all resolve it.
#[derive(Clone, Default)]
pub struct Waker {
    resolve: Rc<RefCell<Option<Function>>>,
}

impl Waker {
    /// A promise that resolves on the next [`Waker::wake`].
    pub fn arm(&self) -> Promise {
        let slot = self.resolve.clone();
        Promise::new(&mut |resolve, _reject| {
            *slot.borrow_mut() = Some(resolve);
        })
    }

    /// Resolves the armed promise, if any.
    pub fn wake(&self) {
        let f = self.resolve.borrow_mut().take();
        if let Some(f) = f {
            let _ = f.call0(&JsValue::UNDEFINED);
        }
    }
}
