//! The JS glue: the exported class and functions, and the driver loop that performs what
//! the engine decides. Nothing here decides anything about HubSpot.

// Talc instead of Rust's default dlmalloc: a few KB smaller and faster.
mod alloc;
mod answers;
mod convert;
mod errors;
#[cfg(feature = "proxy")]
mod proxy;
// The browser entry's wasm is built without the proxy: the same export, which throws.
#[cfg(not(feature = "proxy"))]
#[path = "no_proxy.rs"]
mod proxy;
mod transport;
mod types;

use std::cell::{Cell, RefCell};
use std::rc::Rc;

use js_sys::{Function, Promise};
use serde::Serialize;
use tsify::Tsify;
use wasm_bindgen::prelude::*;
use wasm_bindgen::JsCast;
use wasm_bindgen_futures::{future_to_promise, spawn_local, JsFuture};
use web_sys::{AbortController, AbortSignal};

use crate::config::{parse_options, ClientConfig, OptionSet};
use crate::engine::{Action, Engine, Outcome, PreparedInput};
use crate::error::{ErrorCode, HubSpotError};
use crate::input::{format_value, validate_inputs};
use crate::model::BatchStatus;
use crate::report::Progress;
use crate::request::build_batch_update_requests;
use answers::{read_all, read_one, Results};

fn now() -> f64 {
    js_sys::Date::now()
}

/// Batch-updates HubSpot records. One instance can run any number of `update()` calls.
#[wasm_bindgen(js_name = HubSpotBatch)]
pub struct HubSpotBatch {
    config: ClientConfig,
    fetch: Option<Function>,
}

#[wasm_bindgen(js_class = HubSpotBatch)]
impl HubSpotBatch {
    /// Validates the options; throws `HubSpotError` with code `INVALID_CONFIG`.
    #[wasm_bindgen(constructor)]
    pub fn new(
        #[wasm_bindgen(unchecked_param_type = "ClientOptions")] options: JsValue,
    ) -> Result<HubSpotBatch, JsValue> {
        let entries = convert::options_entries(&options, "options", HubSpotError::invalid_config)
            .map_err(|e| errors::to_js(&e))?;
        let parsed = parse_options(&entries, OptionSet::Client).map_err(|e| errors::to_js(&e))?;
        Ok(HubSpotBatch {
            config: parsed.config,
            fetch: convert::function_field(&options, "fetch"),
        })
    }

    /// Updates every input, in batches; resolves with every input accounted for.
    #[wasm_bindgen(unchecked_return_type = "Promise<BatchUpdateResult>")]
    pub fn update(
        &self,
        #[wasm_bindgen(unchecked_param_type = "readonly BatchUpdateInput[]")] inputs: JsValue,
        #[wasm_bindgen(unchecked_optional_param_type = "UpdateOptions")] options: Option<JsValue>,
    ) -> Promise {
        let started = now();
        let prepared = prepare(&inputs, options.as_ref());
        let config = self.config.clone();
        let fetch = self.fetch.clone();
        future_to_promise(async move {
            let (valid, opts) = prepared.map_err(|e| errors::to_js(&e))?;
            run(config, fetch, valid, opts, started).await
        })
    }
}

/// What `update()` needs from its options object.
struct RunOptions {
    signal: Option<AbortSignal>,
    on_progress: Option<Function>,
}

fn prepare(
    inputs: &JsValue,
    options: Option<&JsValue>,
) -> Result<(Vec<PreparedInput>, RunOptions), HubSpotError> {
    let mut id_property = None;
    let mut run = RunOptions {
        signal: None,
        on_progress: None,
    };
    if let Some(o) = options.filter(|o| !o.is_undefined() && !o.is_null()) {
        let mut fields = convert::entries(o)
            .filter(|_| o.is_object())
            .ok_or_else(|| HubSpotError::invalid_input("options: expected an object"))?;
        // `iter_mut` rather than `for (key, v) in fields`: no `IntoIter<(String, JsValue)>`.
        for (key, v) in fields.iter_mut() {
            if v.is_undefined() {
                continue;
            }
            let v = std::mem::replace(v, JsValue::UNDEFINED);
            match key.as_str() {
                "idProperty" => match v.as_string() {
                    Some(s) if !s.is_empty() => id_property = Some(s),
                    _ => {
                        return Err(HubSpotError::invalid_input(
                            "options.idProperty: expected a non-empty string",
                        ))
                    }
                },
                "signal" => {
                    run.signal = Some(v.dyn_into::<AbortSignal>().map_err(|_| {
                        HubSpotError::invalid_input("options.signal: expected an AbortSignal")
                    })?)
                }
                "onProgress" => {
                    run.on_progress = Some(v.dyn_into::<Function>().map_err(|_| {
                        HubSpotError::invalid_input("options.onProgress: expected a function")
                    })?)
                }
                other => {
                    return Err(HubSpotError::invalid_input(format!(
                        "options.{other}: unknown option (known: idProperty, signal, onProgress)"
                    )))
                }
            }
        }
    }
    // Plain inputs straight from JSON.stringify (as buildBatchUpdateRequests does); anything
    // else, and every error, the long way.
    let quick = convert::quick_inputs(inputs)
        .and_then(|json| crate::json_inputs::inputs(&json, id_property.as_deref()));
    let valid = match quick {
        Some(valid) => valid,
        None => {
            let models = validate_inputs(&convert::raw_inputs(inputs)?, id_property.as_deref())?;
            let mut valid = Vec::with_capacity(models.len());
            for m in &models {
                valid.push(PreparedInput::from_model(m));
            }
            valid
        }
    };
    Ok((valid, run))
}

/// State shared between the driver and its in-flight attempts.
#[derive(Default)]
struct Shared {
    /// Finished attempts, by id.
    answers: Vec<(u64, Answer)>,
    /// Attempts in flight, oldest first.
    attempts: Vec<InFlightAttempt>,
    aborted: bool,
}

/// How an attempt ended, as its task hands it to the driver.
enum Answer {
    /// An HTTP answer, its body read but not parsed, and when its headers arrived.
    Http(transport::Answered),
    /// No HTTP answer (timeout, network error), seen at this time.
    Failed(Outcome, f64),
}

struct InFlightAttempt {
    id: u64,
    controller: AbortController,
    timed_out: Rc<Cell<bool>>,
    /// Its `timeoutMs` timer, once it runs (see [`TIMED_AT_ONCE`]).
    timer: Option<transport::Timer>,
}

/// How many of the oldest unanswered attempts have their `timeoutMs` running. Browsers
/// open at most 6 HTTP/1.1 connections per origin and a Cloudflare Worker at most 6 at once,
/// and both queue further requests inside `fetch()`: the clock of an attempt starts once it
/// is among the 6 oldest still unanswered, when such a client would have sent it, so time
/// spent queued behind the others is never taken for HubSpot's silence. Where nothing
/// queues (Node, HTTP/2) this only matters when 6 older attempts are all stuck, and then
/// the run detects hung requests 6 at a time.
const TIMED_AT_ONCE: usize = 6;

/// Successful answers (large bodies) are parsed later while the next request to send is at
/// least this far away and others are still awaited: then the server, which is still
/// answering those, does not share the CPU with our parsing (see [`drive`]).
const READ_LATER_MS: f64 = 1000.0;

/// A wait at least this long, with nothing in flight, is used to build request bodies ahead.
const PREPARE_SLACK_MS: f64 = 50.0;

/// Starts the timers of the oldest attempts that have none yet.
fn start_timers(shared: &mut Shared, timeout_ms: f64) {
    for a in shared.attempts.iter_mut().take(TIMED_AT_ONCE) {
        if a.timer.is_none() {
            a.timer = Some(transport::deadline(timeout_ms, &a.controller, &a.timed_out));
        }
    }
}

async fn run(
    config: ClientConfig,
    fetch: Option<Function>,
    inputs: Vec<PreparedInput>,
    opts: RunOptions,
    started: f64,
) -> Result<JsValue, JsValue> {
    let seed = (js_sys::Math::random() * 9_007_199_254_740_992.0) as u64;
    let timeout_ms = config.timeout_ms;
    let mut id_properties: Vec<&str> = Vec::new();
    for x in &inputs {
        let key = x.id_key();
        if !key.is_empty() && !id_properties.contains(&key) {
            id_properties.push(key);
        }
    }
    let names = js_sys::Array::new();
    for name in id_properties {
        names.push(&name.into());
    }
    let results = Results::new(inputs.len(), names.into());
    let mut engine = Engine::with_prepared(config, inputs, started, seed);
    let shared = Rc::new(RefCell::new(Shared::default()));
    let waker = transport::Waker::default();

    // Abort: wake the loop; it stops everything and rejects.
    let on_abort = {
        let shared = shared.clone();
        let waker = waker.clone();
        Closure::<dyn FnMut()>::new(move || {
            shared.borrow_mut().aborted = true;
            waker.wake();
        })
    };
    if let Some(signal) = &opts.signal {
        if signal.aborted() {
            shared.borrow_mut().aborted = true;
        } else {
            let _ =
                signal.add_event_listener_with_callback("abort", on_abort.as_ref().unchecked_ref());
        }
    }
    let outcome = drive(
        &mut engine,
        &results,
        &fetch,
        timeout_ms,
        &shared,
        &waker,
        &opts,
    )
    .await;
    results.take(&mut engine);
    if let Some(signal) = &opts.signal {
        let _ =
            signal.remove_event_listener_with_callback("abort", on_abort.as_ref().unchecked_ref());
    }
    match outcome {
        Drive::Finished => match engine.finish(now()) {
            Ok(result) => results.fill(convert::to_js(&result)?),
            Err(e) => Err(errors::to_js(&e)),
        },
        Drive::Aborted => {
            let attempts = std::mem::take(&mut shared.borrow_mut().attempts);
            // By reference: `for a in vec` links an `IntoIter<InFlightAttempt>` drop.
            for a in &attempts {
                a.controller.abort();
            }
            drop(attempts);
            engine.abort();
            let result = convert::to_js(&engine.into_result(BatchStatus::Canceled, now()))
                .and_then(|r| results.fill(r))
                .ok();
            let reason = opts.signal.as_ref().map(AbortSignal::reason);
            let e = HubSpotError::new(
                ErrorCode::Aborted,
                "update() was aborted; nothing more was sent",
            );
            Err(errors::to_js_with(&e, reason.as_ref(), result.as_ref()))
        }
    }
}

enum Drive {
    Finished,
    Aborted,
}

async fn drive(
    engine: &mut Engine,
    results: &Results,
    fetch: &Option<Function>,
    timeout_ms: f64,
    shared: &Rc<RefCell<Shared>>,
    waker: &transport::Waker,
    opts: &RunOptions,
) -> Drive {
    let mut reported = Progress::default();
    // Successful answers whose headers the engine has (so the pacing has them) but whose
    // bodies are not parsed yet: while the next window is far off and the server is still
    // answering this one, parsing them competes with it (on the same machine, in the
    // benchmarks) for nothing; they are parsed once everything is answered, before a
    // request is due, or before the run ends. Errors are parsed at once: they are small and
    // may change what comes next (a 429 holds every request).
    let mut unread: Vec<(u64, transport::Answered)> = Vec::new();
    loop {
        if shared.borrow().aborted {
            read_all(engine, results, &mut unread);
            return Drive::Aborted;
        }
        let mut answers = std::mem::take(&mut shared.borrow_mut().answers);
        // `iter_mut` + `mem::replace` rather than `for x in answers`: no `IntoIter` drop.
        for (id, answer) in answers.iter_mut() {
            let id = *id;
            match std::mem::replace(answer, Answer::Failed(Outcome::Timeout, 0.0)) {
                Answer::Failed(outcome, at) => engine.on_answer_heard(id, outcome, at, now()),
                Answer::Http(h) => {
                    engine.on_headers(id, &h.meta, h.heard);
                    if crate::response::is_batch_status(h.status) {
                        unread.push((id, h));
                    } else {
                        read_one(engine, results, id, h);
                    }
                }
            }
        }
        let progress = engine.progress();
        if progress != reported {
            reported = progress;
            if let Some(cb) = &opts.on_progress {
                if let Ok(p) = convert::to_js(&progress) {
                    // A throwing callback must not break the run.
                    let _ = cb.call1(&JsValue::UNDEFINED, &p);
                }
            }
            if shared.borrow().aborted {
                read_all(engine, results, &mut unread);
                return Drive::Aborted;
            }
        }
        let action = engine.poll(now());
        // Sending comes first; then unread answers are parsed unless the next request is far
        // off, others are still awaited and some remain to be sent.
        if !unread.is_empty() && !matches!(action, Action::Send(_)) {
            let far = matches!(action, Action::WaitUntil(t) if t - now() >= READ_LATER_MS);
            let awaited = !shared.borrow().attempts.is_empty();
            if !(far && awaited && engine.queued() > 0) {
                read_all(engine, results, &mut unread);
                continue; // what to do next may have changed
            }
        }
        let wait = match action {
            Action::Send(out) => {
                let controller = match AbortController::new() {
                    Ok(c) => c,
                    Err(_) => {
                        engine.on_answer(
                            out.id,
                            Outcome::Network("AbortController is not available".into()),
                            now(),
                        );
                        continue;
                    }
                };
                // fetch is called as soon as the body is built: a browser hands the request
                // to its network thread at once. (Node's fetch writes it when this loop
                // yields; yielding every few requests to let it was measured slower: the
                // sends then stretch over the window's answers.)
                let attempt = transport::Attempt::start(fetch.as_ref(), &out.request, &controller);
                let timed_out = Rc::new(Cell::new(false));
                {
                    let mut s = shared.borrow_mut();
                    s.attempts.push(InFlightAttempt {
                        id: out.id,
                        controller,
                        timed_out: timed_out.clone(),
                        timer: None,
                    });
                    start_timers(&mut s, timeout_ms);
                }
                let (shared, waker) = (shared.clone(), waker.clone());
                spawn_local(async move {
                    let id = out.id;
                    let answer = match attempt.answer(&timed_out).await {
                        Ok(a) => Answer::Http(a),
                        Err(outcome) => Answer::Failed(outcome, now()),
                    };
                    let mut s = shared.borrow_mut();
                    s.attempts.retain(|a| a.id != id);
                    if !s.aborted {
                        start_timers(&mut s, timeout_ms);
                        s.answers.push((id, answer));
                    }
                    drop(s);
                    waker.wake();
                });
                continue;
            }
            Action::Done => return Drive::Finished,
            Action::WaitUntil(t) => {
                // Nothing in flight and time to spare (typically: waiting for the next
                // window): build the next bodies now, rather than one by one as slots free,
                // where they would delay the window's requests and the reading of answers.
                if engine.in_flight() == 0 && t - now() >= PREPARE_SLACK_MS && engine.prepare() > 0
                {
                    continue;
                }
                Some((t - now()).max(0.0))
            }
            Action::AwaitAnswer => None,
        };
        let promise = waker.arm();
        if !shared.borrow().answers.is_empty() || shared.borrow().aborted {
            waker.wake();
        }
        let _timer = wait.map(|ms| {
            let w = waker.clone();
            transport::Timer::start(ms, move || w.wake())
        });
        let _ = JsFuture::from(promise).await;
    }
}

/// Formats one property value as the string HubSpot stores.
#[wasm_bindgen(js_name = formatPropertyValue)]
pub fn format_property_value(
    #[wasm_bindgen(unchecked_param_type = "PropertyValue")] value: JsValue,
) -> Result<String, JsValue> {
    format_value(&convert::value(&value)).map_err(|reason| {
        let sep = if reason.starts_with('[') { "" } else { ": " };
        errors::to_js(&HubSpotError::invalid_input(format!("value{sep}{reason}")))
    })
}

/// One request as data.
#[derive(Serialize, Tsify)]
#[serde(rename_all = "camelCase")]
pub struct BatchUpdateRequest {
    /// Absolute URL.
    pub url: String,
    /// Always `POST`.
    #[tsify(type = "\"POST\"")]
    pub method: &'static str,
    /// Headers, including Authorization when a token was given.
    #[tsify(type = "Record<string, string>")]
    pub headers: crate::model::Map<String>,
    /// JSON body.
    pub body: String,
    /// Positions in `inputs` of the inputs this request carries.
    pub input_indexes: Vec<usize>,
}

impl crate::write::WriteJson for BatchUpdateRequest {
    fn write_json(&self, out: &mut String) {
        crate::write::Object::new(out)
            .field("url", &self.url)
            .field("method", &self.method)
            .field("headers", &self.headers)
            .field("body", &self.body)
            .field("inputIndexes", &self.input_indexes)
            .end()
    }
}

/// Builds the requests `update()` would send first, without sending anything.
#[wasm_bindgen(js_name = buildBatchUpdateRequests, unchecked_return_type = "BatchUpdateRequest[]")]
pub fn build_requests(
    #[wasm_bindgen(unchecked_param_type = "readonly BatchUpdateInput[]")] inputs: JsValue,
    #[wasm_bindgen(unchecked_optional_param_type = "BuildOptions")] options: Option<JsValue>,
) -> Result<JsValue, JsValue> {
    let fail = |e: HubSpotError| errors::to_js(&e);
    let options = options.unwrap_or(JsValue::UNDEFINED);
    let entries =
        convert::options_entries(&options, "options", HubSpotError::invalid_input).map_err(fail)?;
    let parsed = parse_options(&entries, OptionSet::Build).map_err(fail)?;
    let id_property = parsed.id_property.as_deref();
    let quick = convert::quick_inputs(&inputs)
        .and_then(|json| crate::json_inputs::requests(&json, id_property, &parsed.config));
    let mut requests = match quick {
        Some(requests) => requests,
        None => {
            let raw = convert::raw_inputs(&inputs).map_err(fail)?;
            let valid = validate_inputs(&raw, id_property).map_err(fail)?;
            build_batch_update_requests(&valid, &parsed.config)
        }
    };
    let out = js_sys::Array::new();
    // `iter_mut` + `mem::take` rather than `for r in requests`: no `IntoIter<HttpRequest>`.
    for r in requests.iter_mut() {
        // Everything but the body through JSON text; the body (itself JSON) is set as a
        // string, so it is neither escaped again nor parsed again.
        let object = convert::to_js(&BatchUpdateRequest {
            url: std::mem::take(&mut r.url),
            method: r.method,
            headers: crate::model::Map(std::mem::take(&mut r.headers)),
            body: String::new(),
            input_indexes: std::mem::take(&mut r.input_indexes),
        })?;
        js_sys::Reflect::set(&object, &"body".into(), &JsValue::from_str(&r.body))?;
        out.push(&object);
    }
    Ok(out.into())
}

/// Parses a 200/207 body; throws `HubSpotError` for other statuses and for bodies that are
/// not batch responses (`MALFORMED_RESPONSE`).
#[wasm_bindgen(js_name = parseBatchResponse, unchecked_return_type = "BatchResponse")]
pub fn parse_batch_response(
    #[wasm_bindgen(unchecked_param_type = "number")] status: JsValue,
    #[wasm_bindgen(unchecked_param_type = "string")] body: JsValue,
) -> Result<JsValue, JsValue> {
    // Both taken as JsValues and checked: the generated glue would coerce (and a Symbol
    // would throw a TypeError) before our code saw them.
    let status = status.as_f64().unwrap_or(f64::NAN);
    // Taken as a JsValue and checked: a non-string given for a `String` parameter would be
    // read as one by the generated glue.
    let body_js = body;
    let Some(body) = transport::large_string(&body_js) else {
        return Err(errors::to_js(&HubSpotError::invalid_input(
            "body: expected a string",
        )));
    };
    if !(status.fract() == 0.0 && (100.0..=599.0).contains(&status)) {
        return Err(errors::to_js(&HubSpotError::invalid_input(
            "status: expected an HTTP status code from 100 to 599",
        )));
    }
    let status = status as u16;
    if crate::response::is_batch_status(status) {
        if let Some(fill) = crate::batch_scan::check(&body) {
            return plain_batch_response(&body_js, &fill);
        }
    }
    match transport::read_body(status, &body) {
        crate::response::Body::Batch(b) => convert::to_js(&b),
        other => Err(errors::to_js(&crate::response::body_error(status, &other))),
    }
}

#[wasm_bindgen]
extern "C" {
    /// `JSON.parse` of a JS string as it is (js-sys's takes a `&str`, a copy each way).
    #[wasm_bindgen(js_namespace = JSON, js_name = parse, catch)]
    fn json_parse(text: &JsValue) -> Result<JsValue, JsValue>;
}

/// `JSON.parse(body)` with the defaults it lacks: what the long way returns for a body that
/// `batch_scan::check` found plain.
fn plain_batch_response(
    body: &JsValue,
    fill: &[crate::batch_scan::Fill],
) -> Result<JsValue, JsValue> {
    use crate::batch_scan::Fill;
    let v = json_parse(body)?;
    for f in fill {
        let (key, value) = match *f {
            Fill::EmptyString(k) => (k, JsValue::from_str("")),
            Fill::EmptyList(k) => (k, js_sys::Array::new().into()),
            Fill::Zero(k) => (k, JsValue::from_f64(0.0)),
        };
        js_sys::Reflect::set(&v, &key.into(), &value)?;
    }
    Ok(v)
}

/// For `input::format_number` in the wasm build.
pub(crate) fn number_to_string(n: f64) -> String {
    transport::number_to_string(n)
}

/// For `input::parse_f64` in the wasm build.
pub(crate) fn parse_number(text: &str) -> f64 {
    transport::parse_number(text)
}
