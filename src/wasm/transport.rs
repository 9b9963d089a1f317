//! Effects: fetch, timers, wake-ups. The only place that talks to the network. It decides
//! nothing: what to send, when, and when to give up are the engine's.

use std::cell::RefCell;
use std::rc::Rc;

use js_sys::{Function, JsString, Object, Promise, Reflect};
use wasm_bindgen::prelude::*;
use wasm_bindgen::JsCast;
#[cfg(feature = "proxy")]
use wasm_bindgen_futures::JsFuture;
#[cfg(feature = "proxy")]
use web_sys::AbortController;

use crate::response::ResponseMeta;

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

#[wasm_bindgen(module = "/src/wasm/fetch.js")]
extern "C" {
    /// One attempt (see fetch.js); a promise that never rejects.
    #[wasm_bindgen(js_name = send, catch)]
    fn send_js(
        fetch: &JsValue,
        url: &str,
        method: &str,
        headers: &JsValue,
        body: &JsValue,
        signal: &web_sys::AbortSignal,
        names: &JsValue,
        secret: &str,
        done: &JsValue,
    ) -> Result<Promise, JsValue>;
    /// [`send_js`] under a permit of `limiter` (see fetch.js), with no `done`.
    #[cfg(feature = "proxy")]
    #[wasm_bindgen(js_name = sendUnder, catch)]
    fn send_under_js(
        limiter: &JsValue,
        fetch: &JsValue,
        url: &str,
        method: &str,
        headers: &JsValue,
        body: &JsValue,
        signal: &web_sys::AbortSignal,
        names: &JsValue,
        secret: &str,
    ) -> Result<Promise, JsValue>;
}

#[cfg(feature = "limiter")]
#[wasm_bindgen(module = "/src/wasm/fetch.js")]
extern "C" {
    #[wasm_bindgen(js_name = permits, catch)]
    fn permits_js(limiter: &JsValue) -> Result<JsValue, JsValue>;
    #[wasm_bindgen(js_name = acquire, catch)]
    fn acquire_js(run: &JsValue, id: f64, done: &JsValue) -> Result<JsValue, JsValue>;
    #[wasm_bindgen(js_name = release, catch)]
    fn release_js(run: &JsValue, id: f64, answered: Option<f64>) -> Result<(), JsValue>;
    #[wasm_bindgen(js_name = settle, catch)]
    fn settle_js(run: &JsValue, result: &Promise) -> Result<Promise, JsValue>;
}

/// One run's side of a shared limiter: the permits it asked for and gave back.
#[cfg(feature = "limiter")]
#[derive(Clone)]
pub struct Permits(JsValue);

/// Without the `limiter` feature (the browser build) there are none: the type has no values,
/// so the code that uses one, and its JS, leave the build.
#[cfg(not(feature = "limiter"))]
#[derive(Clone)]
pub enum Permits {}

#[cfg(not(feature = "limiter"))]
impl Permits {
    /// None: the option is refused in this build.
    pub fn of(_: Option<&JsValue>) -> Option<Permits> {
        None
    }
    /// Never called.
    pub fn acquire(&self, _: u64, _: &JsValue) {
        match *self {}
    }
    /// Never called.
    pub fn release(&self, _: u64, _: Option<f64>) {
        match *self {}
    }
    /// Never called.
    pub fn settle(&self, _: Promise) -> Promise {
        match *self {}
    }
}

#[cfg(feature = "limiter")]
impl Permits {
    /// The permits of a run paced by `limiter`, if any.
    pub fn of(limiter: Option<&JsValue>) -> Option<Permits> {
        limiter.map(|l| Permits(permits_js(l).unwrap_or(JsValue::UNDEFINED)))
    }

    /// Asks for request `id`'s permit; `done` is called (with a number) once the request may
    /// be sent, or when the limiter failed.
    pub fn acquire(&self, id: u64, done: &JsValue) {
        let _ = acquire_js(&self.0, id as f64, done);
    }

    /// Gives request `id`'s permit back: `answered` is when its answer arrived, `None` when
    /// it was never sent.
    pub fn release(&self, id: u64, answered: Option<f64>) {
        let _ = release_js(&self.0, id as f64, answered);
    }

    /// `result` (the run's promise), settled once the releases made were taken.
    pub fn settle(&self, result: Promise) -> Promise {
        settle_js(&self.0, &result).unwrap_or(result)
    }
}

/// Starts one attempt of `request` with `fetch` (the caller's, or the runtime's global one
/// looked up now), aborted through `signal`. The promise resolves with what [`reply`] reads;
/// `done` (a JS function, or `undefined`) is called with it too. With `limiter` (a
/// RateLimiter, else `undefined`; the proxy's forwarding only, with no `done`), the attempt
/// waits for a permit and gives it back.
pub fn send(
    fetch: Option<&Function>,
    request: Request<'_>,
    signal: &web_sys::AbortSignal,
    done: &JsValue,
    limiter: &JsValue,
) -> Promise {
    let secret = crate::response::bearer_token(request.headers).unwrap_or_default();
    let headers = Object::new();
    for (k, v) in request.headers {
        let _ = Reflect::set(&headers, &k.into(), &v.into());
    }
    let names: js_sys::Array = ResponseMeta::HEADER_NAMES
        .iter()
        .map(|n| JsValue::from_str(n))
        .collect();
    let fetch = fetch.map_or(JsValue::UNDEFINED, |f| f.into());
    let body = request.body.map_or(JsValue::UNDEFINED, |b| b.into());
    // Under a limiter only where the limiter is built (the proxy's forwarding); else, and
    // without one, the plain attempt.
    #[cfg(feature = "proxy")]
    let under = (!limiter.is_undefined()).then(|| {
        send_under_js(
            limiter,
            &fetch,
            request.url,
            request.method,
            &headers,
            &body,
            signal,
            &names,
            secret,
        )
    });
    #[cfg(not(feature = "proxy"))]
    let under = {
        let _ = limiter;
        None
    };
    let sent = under.unwrap_or_else(|| {
        send_js(
            &fetch,
            request.url,
            request.method,
            &headers,
            &body,
            signal,
            &names,
            secret,
            done,
        )
    });
    sent.unwrap_or_else(|_| {
        // Not expected (send never throws); the attempt still settles: `reply` reads no
        // answer as a failure.
        if let Some(done) = done.dyn_ref::<Function>() {
            let _ = done.call0(&JsValue::UNDEFINED);
        }
        Promise::resolve(&JsValue::UNDEFINED)
    })
}

/// How an attempt ended, from what [`send`]'s promise resolved with: the answer, or the
/// runtime's message when there was no HTTP answer, and whether the request provably never
/// went out (no connection was made).
pub fn reply(v: &JsValue) -> Result<Answered, (String, bool)> {
    let field = |k: &str| Reflect::get(v, &k.into()).unwrap_or(JsValue::UNDEFINED);
    if let Some(error) = field("error").as_string() {
        return Err((error, field("unsent").is_truthy()));
    }
    let (Some(status), Ok(text)) = (
        field("status").as_f64(),
        field("text").dyn_into::<JsString>(),
    ) else {
        return Err(("fetch failed".to_owned(), false));
    };
    let values = field("headers");
    let mut pairs: Vec<(&str, String)> = Vec::new();
    for (i, name) in ResponseMeta::HEADER_NAMES.iter().enumerate() {
        if let Some(v) = Reflect::get_u32(&values, i as u32)
            .ok()
            .and_then(|v| v.as_string())
        {
            pairs.push((name, v));
        }
    }
    Ok(Answered {
        status: status as u16,
        meta: ResponseMeta::from_headers(pairs.iter().map(|(k, v)| (*k, v.as_str()))),
        text,
        heard: field("heard").as_f64().unwrap_or_else(js_sys::Date::now),
    })
}

/// [`send`] with its own timeout, for the proxy's single forwarded request (the proxy runs
/// no engine). `Err(None)` when it timed out.
#[cfg(feature = "proxy")]
pub async fn exchange(
    fetch: Option<&Function>,
    request: Request<'_>,
    timeout_ms: f64,
    limiter: &JsValue,
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
    let settled = JsFuture::from(send(
        fetch,
        request,
        &controller.signal(),
        &JsValue::UNDEFINED,
        limiter,
    ))
    .await;
    drop(timer);
    let answer = settled
        .map_err(|_| "fetch failed".to_owned())
        .and_then(|v| reply(&v).map_err(|(message, _)| message));
    answer.map_err(|e| (!timed_out.get()).then_some(e))
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
