//! Effects: fetch, timers, wake-ups. The only place that talks to the network. It decides
//! nothing: what to send, when, and when to give up are the engine's.

use std::cell::RefCell;
use std::rc::Rc;

use js_sys::{Function, JsString, Object, Promise, Reflect};
use wasm_bindgen::prelude::*;
use wasm_bindgen::JsCast;
use wasm_bindgen_futures::JsFuture;
use web_sys::AbortController;

use crate::response::ResponseMeta;

#[wasm_bindgen(module = "/src/wasm/values.js")]
extern "C" {
    #[wasm_bindgen(catch)]
    fn redact(text: &JsString, secret: &str) -> Result<JsString, JsValue>;
}

#[wasm_bindgen]
extern "C" {
    #[wasm_bindgen(js_name = setTimeout)]
    fn set_timeout(handler: &Function, ms: f64) -> JsValue;
    #[wasm_bindgen(js_name = clearTimeout)]
    fn clear_timeout(id: &JsValue);
}

/// A `setTimeout` that is cleared when dropped.
pub struct Timer {
    id: JsValue,
    _callback: Closure<dyn FnMut()>,
}

impl Timer {
    /// Calls `f` after `ms` (clamped to what JS timers take: a larger delay fires at once).
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

/// A request as the transport sends it: the body already JSON text.
pub struct Request<'a> {
    /// Absolute URL.
    pub url: &'a str,
    /// `POST`, `GET`...
    pub method: &'a str,
    /// Header pairs.
    pub headers: &'a [(String, String)],
    /// JSON text, if any.
    pub body: Option<&'a JsString>,
}

/// An HTTP answer, its body read as text (an echoed token already redacted), not parsed.
pub struct Answered {
    /// HTTP status (0 for a browser's opaque redirect).
    pub status: u16,
    /// The headers the engine reads.
    pub meta: ResponseMeta,
    /// The body.
    pub text: JsString,
    /// When the status line and headers arrived.
    pub heard: f64,
}

fn resolve_fetch(custom: Option<&Function>) -> Result<Function, String> {
    if let Some(f) = custom {
        return Ok(f.clone());
    }
    Reflect::get(&js_sys::global(), &"fetch".into())
        .ok()
        .and_then(|f| f.dyn_into::<Function>().ok())
        .ok_or_else(|| "this runtime has no global fetch; pass options.fetch".to_owned())
}

/// The runtime's message for a failed fetch, with its cause's code (`ECONNREFUSED`...).
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

/// Sends `request` with `fetch` (unbound: workerd requires it), never following redirects,
/// and reads the answer's status, headers and body text. `Err` holds the runtime's message
/// (the token redacted) when there is no HTTP answer or `controller` aborted it.
pub async fn send(
    fetch: Option<&Function>,
    request: Request<'_>,
    controller: &AbortController,
) -> Result<Answered, String> {
    let secret = crate::response::bearer_token(request.headers)
        .unwrap_or_default()
        .to_owned();
    let redacted = |message: String| crate::response::redact_secret(&message, &secret);
    let cancelled = Promise::new(&mut |_resolve, reject| {
        let _ = controller
            .signal()
            .add_event_listener_with_callback("abort", &reject);
    });
    let fetch = resolve_fetch(fetch)?;
    let headers = Object::new();
    for (k, v) in request.headers {
        let _ = Reflect::set(&headers, &k.into(), &v.into());
    }
    let init = Object::new();
    let _ = Reflect::set(&init, &"method".into(), &request.method.into());
    let _ = Reflect::set(&init, &"headers".into(), &headers);
    if let Some(body) = request.body {
        let _ = Reflect::set(&init, &"body".into(), body);
    }
    let _ = Reflect::set(&init, &"signal".into(), &controller.signal());
    let _ = Reflect::set(&init, &"redirect".into(), &"manual".into());
    let pending = fetch
        .call2(&JsValue::UNDEFINED, &request.url.into(), &init)
        .map_err(|e| redacted(describe(&e)))?;
    let response = race(&Promise::resolve(&pending), &cancelled)
        .await
        .map_err(|e| redacted(describe(&e)))?;
    let heard = js_sys::Date::now();
    let field = |k: &str| Reflect::get(&response, &k.into()).map_err(|e| describe(&e));
    let not_a_response = || "fetch resolved to something that is not a Response".to_owned();
    let status = match field("status")?.as_f64() {
        Some(s) if s.fract() == 0.0 && (0.0..=999.0).contains(&s) => s as u16,
        _ => return Err(not_a_response()),
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
    let text_fn = field("text")?
        .dyn_into::<Function>()
        .map_err(|_| not_a_response())?;
    let pending = text_fn.call0(&response).map_err(|e| describe(&e))?;
    let text = race(&Promise::resolve(&pending), &cancelled)
        .await
        .map_err(|e| redacted(describe(&e)))?
        .dyn_into::<JsString>()
        .map_err(|_| "the response body is not readable".to_owned())?;
    Ok(Answered {
        status,
        meta,
        text: redact(&text, &secret).map_err(|e| describe(&e))?,
        heard,
    })
}

/// [`send`] with its own timeout, for the proxy's single forwarded request (the proxy runs
/// no engine). `Err(None)` when it timed out.
#[cfg(feature = "proxy")]
pub async fn exchange(
    fetch: Option<&Function>,
    request: Request<'_>,
    timeout_ms: f64,
) -> Result<Answered, Option<String>> {
    let controller = AbortController::new().map_err(|_| Some("no AbortController".to_owned()))?;
    let timed_out = Rc::new(std::cell::Cell::new(false));
    let timer = {
        let (flag, c) = (timed_out.clone(), controller.clone());
        Timer::start(timeout_ms, move || {
            flag.set(true);
            c.abort();
        })
    };
    let answer = send(fetch, request, &controller).await;
    drop(timer);
    answer.map_err(|e| (!timed_out.get()).then_some(e))
}

async fn race(p: &Promise, cancelled: &Promise) -> Result<JsValue, JsValue> {
    JsFuture::from(Promise::race(&js_sys::Array::of2(p, cancelled))).await
}

/// Wakes the driver loop: a promise it awaits, resolved by whichever event comes first.
#[derive(Clone, Default)]
pub struct Waker {
    resolve: Rc<RefCell<Option<Function>>>,
}

impl Waker {
    /// A fresh promise that the next [`Waker::wake`] resolves.
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
