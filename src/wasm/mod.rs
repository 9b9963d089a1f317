//! The JS glue: the exported class and functions, and the driver loop that performs what
//! the engine decides. Nothing here decides anything about HubSpot.

// Talc instead of Rust's default dlmalloc: a few KB smaller and faster.
mod alloc;
mod answers;
mod errors;
#[cfg(feature = "proxy")]
mod proxy;
// The browser entry's wasm is built without the proxy: the same export, which throws.
#[cfg(not(feature = "proxy"))]
#[path = "no_proxy.rs"]
mod proxy;
mod transport;
mod types;
mod values;

use std::cell::RefCell;
use std::rc::Rc;

use js_sys::{Function, Promise};
use serde::Serialize;
use tsify::Tsify;
use wasm_bindgen::prelude::*;
use wasm_bindgen::JsCast;
use wasm_bindgen_futures::{future_to_promise, JsFuture};
use web_sys::{AbortController, AbortSignal};

use crate::config::{parse_call_options, parse_options, ClientConfig, OptionSet, REQUEST_KEYS};
use crate::engine::{Action, Engine, Event};
use crate::error::{ErrorCode, HubSpotError};
use crate::input::{format_value, validate_for, Value};
use crate::model::{Map, SimplePublicObjectBatchInput};
use crate::operation::Operation;
use crate::report::Progress;
use crate::request::{build_batch_requests, Plan};
use answers::JsObject;

fn now() -> f64 {
    js_sys::Date::now()
}

/// Batch-updates HubSpot records. One instance can run any number of `update()` calls.
#[wasm_bindgen(js_name = HubSpotBatch)]
pub struct HubSpotBatch {
    config: ClientConfig,
    fetch: Option<Function>,
    /// The `rateLimiter` option, when given.
    limiter: Option<JsValue>,
}

#[wasm_bindgen(js_class = HubSpotBatch)]
impl HubSpotBatch {
    /// Validates the options; throws `HubSpotError` with code `INVALID_CONFIG`.
    #[wasm_bindgen(constructor)]
    pub fn new(
        #[wasm_bindgen(unchecked_param_type = "ClientOptions")] options: JsValue,
    ) -> Result<HubSpotBatch, JsValue> {
        let entries = values::option_entries(&options, "options", HubSpotError::invalid_config)
            .map_err(|e| errors::to_js(&e))?;
        let parsed = parse_options(&entries, OptionSet::Client).map_err(|e| errors::to_js(&e))?;
        Ok(HubSpotBatch {
            limiter: parsed
                .config
                .shared_limiter
                .then(|| values::field(&options, "rateLimiter")),
            config: parsed.config,
            fetch: values::function_field(&options, "fetch"),
        })
    }

    /// Updates every input, in batches; resolves with every input accounted for.
    #[wasm_bindgen(unchecked_return_type = "Promise<BatchUpdateResult>")]
    pub fn update(
        &self,
        #[wasm_bindgen(unchecked_param_type = "readonly BatchUpdateInput[]")] inputs: JsValue,
        #[wasm_bindgen(unchecked_optional_param_type = "UpdateOptions")] options: Option<JsValue>,
    ) -> Promise {
        self.start(Operation::Update, inputs, options)
    }

    /// Creates or updates every input, keyed by a unique property (`idProperty`, on the
    /// input or in the options); results carry HubSpot's `new`.
    #[wasm_bindgen(unchecked_return_type = "Promise<BatchResult<SimplePublicUpsertObject>>")]
    pub fn upsert(
        &self,
        #[wasm_bindgen(unchecked_param_type = "readonly BatchUpsertInput[]")] inputs: JsValue,
        #[wasm_bindgen(unchecked_optional_param_type = "UpdateOptions")] options: Option<JsValue>,
    ) -> Promise {
        self.start(Operation::Upsert, inputs, options)
    }

    /// Creates a record per input. Never sent twice: after anything that may have applied
    /// it, an input fails with `UNKNOWN_OUTCOME` and `mayHaveApplied: true`.
    #[wasm_bindgen(unchecked_return_type = "Promise<BatchResult<SimplePublicObject>>")]
    pub fn create(
        &self,
        #[wasm_bindgen(unchecked_param_type = "readonly BatchCreateInput[]")] inputs: JsValue,
        #[wasm_bindgen(unchecked_optional_param_type = "RunOptions")] options: Option<JsValue>,
    ) -> Promise {
        self.start(Operation::Create, inputs, options)
    }

    /// Reads records by id (or `idProperty` value); an id HubSpot does not find is in
    /// `failed` with `OBJECT_NOT_FOUND`.
    #[wasm_bindgen(unchecked_return_type = "Promise<BatchResult<SimplePublicObject>>")]
    pub fn read(
        &self,
        #[wasm_bindgen(unchecked_param_type = "readonly ObjectRef[]")] ids: JsValue,
        #[wasm_bindgen(unchecked_param_type = "ReadOptions")] options: JsValue,
    ) -> Promise {
        self.start(Operation::Read, ids, Some(options))
    }

    /// Archives records by id; HubSpot answers 204 and every input of a batch is in
    /// `results` as `{ id }`.
    #[wasm_bindgen(unchecked_return_type = "Promise<BatchResult<SimplePublicObjectId>>")]
    pub fn archive(
        &self,
        #[wasm_bindgen(unchecked_param_type = "readonly ObjectRef[]")] ids: JsValue,
        #[wasm_bindgen(unchecked_optional_param_type = "RunOptions")] options: Option<JsValue>,
    ) -> Promise {
        self.start(Operation::Archive, ids, options)
    }
}

impl HubSpotBatch {
    pub(crate) fn start(
        &self,
        operation: Operation,
        inputs: JsValue,
        options: Option<JsValue>,
    ) -> Promise {
        let started = now();
        let prepared = prepare(operation, &inputs, options.as_ref());
        let config = self.config.clone();
        let fetch = self.fetch.clone();
        let permits = transport::Permits::of(self.limiter.as_ref());
        let settle = permits.clone();
        let result = future_to_promise(async move {
            let (plan, valid, opts) = prepared.map_err(|e| errors::to_js(&e))?;
            run(config, fetch, permits, plan, valid, opts, started).await
        });
        match settle {
            Some(p) => p.settle(result),
            None => result,
        }
    }
}

/// What a call needs from its options object besides what shapes its requests.
struct RunOptions {
    signal: Option<AbortSignal>,
    on_progress: Option<Function>,
}

/// Validates a call's inputs and options before anything is sent.
fn prepare(
    operation: Operation,
    inputs: &JsValue,
    options: Option<&JsValue>,
) -> Result<(Plan, Vec<SimplePublicObjectBatchInput>, RunOptions), HubSpotError> {
    let options = options.cloned().unwrap_or(JsValue::UNDEFINED);
    let entries = values::option_entries(&options, "options", HubSpotError::invalid_input)?;
    let mut plan = parse_call_options(operation, &entries, &[])?;
    // Judged above; read again as the JS objects they are.
    let given = |k: &str| {
        entries
            .iter()
            .any(|(key, v)| key == k && *v != Value::Undefined)
    };
    let run = RunOptions {
        signal: if given("signal") {
            Some(
                js_sys::Reflect::get(&options, &"signal".into())
                    .ok()
                    .and_then(|s| s.dyn_into::<AbortSignal>().ok())
                    .ok_or_else(|| {
                        HubSpotError::invalid_input("options.signal: expected an AbortSignal")
                    })?,
            )
        } else {
            None
        },
        on_progress: if given("onProgress") {
            Some(
                values::function_field(&options, "onProgress").ok_or_else(|| {
                    HubSpotError::invalid_input("options.onProgress: expected a function")
                })?,
            )
        } else {
            None
        },
    };
    let (valid, associations) = validate_for(
        operation,
        values::inputs(inputs),
        plan.id_property.as_deref(),
    )?;
    plan.associations = associations;
    Ok((plan, valid, run))
}

/// How an attempt ended, as its task hands it to the driver.
enum Reply {
    /// An HTTP answer, its body read as text.
    Answered(transport::Answered),
    /// No HTTP answer, perhaps after the request went out: the runtime's message.
    Failed(String),
    /// No connection was made, so the request never went out: the runtime's message.
    NotSent(String),
    /// The shared limiter's permit, once the request may be sent (or the limiter failed).
    #[cfg(feature = "limiter")]
    Permit,
}

/// State shared between the driver and its attempts' tasks.
#[derive(Default)]
struct Shared {
    replies: Vec<(u64, Reply)>,
    aborted: bool,
}

async fn run(
    config: ClientConfig,
    fetch: Option<Function>,
    permits: Option<transport::Permits>,
    plan: Plan,
    inputs: Vec<SimplePublicObjectBatchInput>,
    opts: RunOptions,
    started: f64,
) -> Result<JsValue, JsValue> {
    let seed = (js_sys::Math::random() * 9_007_199_254_740_992.0) as u64;
    let word = plan.operation.word();
    let mut engine: Engine<JsObject> = Engine::with_plan(config, plan, inputs, started, seed);
    let shared = Rc::new(RefCell::new(Shared::default()));
    let waker = transport::Waker::default();
    let on_abort = {
        let (shared, waker) = (shared.clone(), waker.clone());
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
    drive(
        &mut engine,
        &fetch,
        permits.as_ref(),
        &shared,
        &waker,
        &opts,
    )
    .await;
    if let Some(signal) = &opts.signal {
        let _ =
            signal.remove_event_listener_with_callback("abort", on_abort.as_ref().unchecked_ref());
    }
    let aborted = engine.aborted();
    match engine.finish(now()) {
        Ok(result) if aborted => {
            let e = HubSpotError::new(
                ErrorCode::Aborted,
                format!("{word}() was aborted; nothing more was sent"),
            );
            let reason = opts.signal.as_ref().map(AbortSignal::reason);
            let result = values::to_js(&result).ok();
            Err(errors::to_js_with(&e, reason.as_ref(), result.as_ref()))
        }
        Ok(result) => values::to_js(&result),
        Err(e) => Err(errors::to_js(&e)),
    }
}

/// The callback of request `id`'s JS attempt or permit: what it is called with (an attempt's
/// outcome, or a number once the permit may be used) waits in `shared` for the loop.
fn replier(shared: &Rc<RefCell<Shared>>, waker: &transport::Waker, id: u64) -> JsValue {
    let (shared, waker) = (shared.clone(), waker.clone());
    Closure::once_into_js(move |v: JsValue| {
        #[cfg(feature = "limiter")]
        if v.as_f64().is_some() {
            shared.borrow_mut().replies.push((id, Reply::Permit));
            return waker.wake();
        }
        let reply = match transport::reply(&v) {
            Ok(a) => Reply::Answered(a),
            Err((message, false)) => Reply::Failed(message),
            Err((message, true)) => Reply::NotSent(message),
        };
        shared.borrow_mut().replies.push((id, reply));
        waker.wake();
    })
}

/// Performs the engine's actions until it is done or the caller aborts.
async fn drive(
    engine: &mut Engine<JsObject>,
    fetch: &Option<Function>,
    permits: Option<&transport::Permits>,
    shared: &Rc<RefCell<Shared>>,
    waker: &transport::Waker,
    opts: &RunOptions,
) {
    let mut reported = Progress::default();
    let mut controllers: Vec<(u64, AbortController)> = Vec::new();
    // Heard answers whose bodies the engine has not asked to read yet.
    let mut unread: Vec<(u64, transport::Answered)> = Vec::new();
    loop {
        if shared.borrow().aborted {
            for (_, c) in &controllers {
                c.abort();
            }
            engine.handle(now(), Event::Aborted);
            // Nothing more is performed but giving the shared limiter's permits back.
            #[cfg(feature = "limiter")]
            while let Action::Release { id, answered } = engine.poll(now()) {
                if let Some(p) = permits {
                    p.release(id, answered);
                }
            }
            break;
        }
        let replies = std::mem::take(&mut shared.borrow_mut().replies);
        for (id, reply) in replies {
            controllers.retain(|(c, _)| *c != id);
            match reply {
                Reply::Answered(a) => {
                    let (status, meta, at) = (a.status, a.meta.clone(), a.heard);
                    unread.push((id, a));
                    engine.handle(
                        now(),
                        Event::Heard {
                            id,
                            status,
                            meta,
                            at,
                        },
                    );
                }
                Reply::Failed(message) => engine.handle(now(), Event::Failed { id, message }),
                Reply::NotSent(message) => engine.handle(now(), Event::NotSent { id, message }),
                #[cfg(feature = "limiter")]
                Reply::Permit => engine.handle(now(), Event::Permit { id }),
            }
        }
        let progress = engine.progress();
        if progress != reported {
            reported = progress;
            if let (Some(cb), Ok(p)) = (&opts.on_progress, values::to_js(&progress)) {
                // A throwing callback must not break the run.
                let _ = cb.call1(&JsValue::UNDEFINED, &p);
            }
            continue; // the callback may have aborted
        }
        let wait = match engine.poll(now()) {
            Action::Send(out) => {
                let (controller, body) =
                    match (AbortController::new(), values::to_json(&out.request.body)) {
                        (Ok(controller), Ok(body)) => (controller, body),
                        (controller, _) => {
                            let message = if controller.is_err() {
                                "AbortController is not available"
                            } else {
                                "the request body could not be written"
                            };
                            let (id, message) = (out.id, message.to_owned());
                            engine.handle(now(), Event::Failed { id, message });
                            continue;
                        }
                    };
                let request = transport::Request {
                    url: &out.request.url,
                    method: out.request.method,
                    headers: &out.request.headers,
                    body: Some(&body),
                };
                // fetch is called now: a browser hands the request to its network thread at
                // once. The reply waits in `shared` for the loop.
                let on_reply = replier(shared, waker, out.id);
                let _ = transport::send(
                    fetch.as_ref(),
                    request,
                    &controller.signal(),
                    &on_reply,
                    &JsValue::UNDEFINED,
                );
                controllers.push((out.id, controller));
                continue;
            }
            Action::Cancel(id) => {
                if let Some(pos) = controllers.iter().position(|(c, _)| *c == id) {
                    controllers.remove(pos).1.abort();
                }
                continue;
            }
            Action::Read(id) => {
                if let Some(pos) = unread.iter().position(|(u, _)| *u == id) {
                    let (_, a) = unread.remove(pos);
                    let body = answers::read_body(a.status, &a.text);
                    engine.handle(now(), Event::Body { id, body });
                }
                continue;
            }
            Action::Acquire(id) => {
                match permits {
                    Some(p) => p.acquire(id, &replier(shared, waker, id)),
                    // Not expected: the engine asks only when a limiter was given.
                    None => engine.handle(now(), Event::Permit { id }),
                }
                continue;
            }
            Action::Release { id, answered } => {
                if let Some(p) = permits {
                    p.release(id, answered);
                }
                continue;
            }
            Action::WaitUntil(t) => Some((t - now()).max(0.0)),
            Action::AwaitEvent => None,
            Action::Done => break,
        };
        let promise = waker.arm();
        if !shared.borrow().replies.is_empty() || shared.borrow().aborted {
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
    format_value(&values::value(&value)).map_err(|reason| {
        errors::to_js(&HubSpotError::invalid_input(format!(
            "value{}",
            reason.after_path()
        )))
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
    pub headers: Map<String>,
    /// JSON body.
    pub body: String,
    /// Positions in `inputs` of the inputs this request carries.
    pub input_indexes: Vec<usize>,
}

/// Builds the requests `update()` would send first, without sending anything.
#[wasm_bindgen(js_name = buildBatchUpdateRequests, unchecked_return_type = "BatchUpdateRequest[]")]
pub fn build_update_requests(
    #[wasm_bindgen(unchecked_param_type = "readonly BatchUpdateInput[]")] inputs: JsValue,
    #[wasm_bindgen(unchecked_optional_param_type = "BuildOptions")] options: Option<JsValue>,
) -> Result<JsValue, JsValue> {
    build(Operation::Update, &inputs, options)
}

/// Builds the requests a call of `operation` would send first, without sending anything.
#[wasm_bindgen(js_name = buildBatchRequests, unchecked_return_type = "BatchUpdateRequest[]")]
pub fn build_requests(
    #[wasm_bindgen(unchecked_param_type = "BatchOperation")] operation: JsValue,
    #[wasm_bindgen(
        unchecked_param_type = "readonly BatchUpdateInput[] | readonly BatchUpsertInput[] | readonly BatchCreateInput[] | readonly ObjectRef[]"
    )]
    inputs: JsValue,
    #[wasm_bindgen(unchecked_optional_param_type = "BuildOptions & Partial<ReadOptions>")]
    options: Option<JsValue>,
) -> Result<JsValue, JsValue> {
    build(operation_of(&operation)?, &inputs, options)
}

/// The operation a JS value names; throws `INVALID_INPUT` otherwise.
fn operation_of(v: &JsValue) -> Result<Operation, JsValue> {
    v.as_string()
        .and_then(|w| Operation::parse(&w))
        .ok_or_else(|| {
            errors::to_js(&HubSpotError::invalid_input(
                "operation: expected \"update\", \"upsert\", \"create\", \"read\" or \"archive\"",
            ))
        })
}

fn build(
    operation: Operation,
    inputs: &JsValue,
    options: Option<JsValue>,
) -> Result<JsValue, JsValue> {
    let fail = |e: HubSpotError| errors::to_js(&e);
    let options = options.unwrap_or(JsValue::UNDEFINED);
    let entries = match values::options(&options) {
        Value::Undefined | Value::Null => Vec::new(),
        Value::Object(entries) => entries,
        _ => {
            return Err(fail(HubSpotError::invalid_input(
                "options: expected an object",
            )))
        }
    };
    let parsed = parse_options(&entries, OptionSet::Build).map_err(fail)?;
    let mut plan = parse_call_options(operation, &entries, REQUEST_KEYS).map_err(fail)?;
    let (valid, associations) = validate_for(
        operation,
        values::inputs(inputs),
        plan.id_property.as_deref(),
    )
    .map_err(fail)?;
    plan.associations = associations;
    let mut out = Vec::new();
    for r in build_batch_requests(&plan, &valid, &parsed.config) {
        out.push(BatchUpdateRequest {
            body: values::to_json(&r.body)?.into(),
            url: r.url,
            method: r.method,
            headers: Map(r.headers),
            input_indexes: r.input_indexes,
        });
    }
    values::to_js(&out)
}

/// Parses a 2xx body of any operation (archive's 204, which has none, as an empty
/// `COMPLETE` response); throws `HubSpotError` for other statuses and for bodies that are not
/// batch responses (`MALFORMED_RESPONSE`).
#[wasm_bindgen(js_name = parseBatchResponse, unchecked_return_type = "BatchResponse")]
pub fn parse_batch_response(
    #[wasm_bindgen(unchecked_param_type = "number")] status: JsValue,
    #[wasm_bindgen(unchecked_param_type = "string")] body: JsValue,
) -> Result<JsValue, JsValue> {
    // Both taken as JsValues and checked: the generated glue would coerce (and a Symbol
    // would throw a TypeError) before our code saw them.
    let status = status.as_f64().unwrap_or(f64::NAN);
    let Some(body) = body.dyn_ref::<js_sys::JsString>() else {
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
    if status == 204 {
        // Archive's answer has no body: every input of the request was archived.
        return values::to_js(&crate::model::BatchResponse::<JsObject> {
            completed_at: String::new(),
            errors: Vec::new(),
            links: None,
            num_errors: 0,
            requested_at: None,
            results: Vec::new(),
            started_at: String::new(),
            status: crate::model::BatchStatus::Complete,
        });
    }
    match answers::read_body(status, body) {
        crate::response::Body::Batch(b) if crate::response::is_batch_status(status) => {
            values::to_js(&b)
        }
        other => Err(errors::to_js(&crate::response::body_error(status, &other))),
    }
}
