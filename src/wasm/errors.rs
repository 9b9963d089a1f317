//! `HubSpotError`: a real `Error` (with a stack, `instanceof Error`) that is also
//! `instanceof HubSpotError`, carrying the core error's fields.

use js_sys::{Object, Reflect};
use wasm_bindgen::prelude::*;

use crate::error::HubSpotError as CoreError;

/// The class users test with `instanceof`. Instances are made by [`to_js`]: a native `Error`
/// whose prototype is this class's, whose own prototype is `Error.prototype`.
#[wasm_bindgen(js_name = HubSpotError, skip_typescript)]
pub struct HubSpotErrorClass {
    _private: u8,
}

#[wasm_bindgen(typescript_custom_section)]
const HUBSPOT_ERROR_TS: &str = r#"
/** Stable error codes of {@link HubSpotError}. */
export type HubSpotErrorCode =
  | "INVALID_CONFIG" | "INVALID_INPUT" | "HTTP_ERROR" | "RATE_LIMITED"
  | "NETWORK_ERROR" | "TIMEOUT" | "MALFORMED_RESPONSE" | "ABORTED";

/** Every error this package throws or rejects with. The token never appears in it. */
export class HubSpotError extends Error {
  private constructor();
  readonly name: "HubSpotError";
  readonly code: HubSpotErrorCode;
  /** HTTP status, when HubSpot answered. */
  readonly status?: number;
  readonly category?: string;
  readonly subCategory?: string;
  readonly correlationId?: string;
  /** For 429s: "TEN_SECONDLY_ROLLING", "SECONDLY" or "DAILY". */
  readonly policyName?: string;
  readonly errors?: ErrorDetail[];
  readonly context?: Record<string, string[]>;
  /** For ABORTED: what the run had settled when it stopped; every input is accounted for. */
  readonly result?: BatchUpdateResult;
  readonly cause?: unknown;
}
"#;

thread_local! {
    static PROTOTYPE: JsValue = make_prototype();
}

fn make_prototype() -> JsValue {
    // An instance of the exported class leads to its prototype; re-parenting that prototype
    // onto Error.prototype makes `err instanceof Error` hold for our errors.
    let probe: JsValue = HubSpotErrorClass { _private: 0 }.into();
    let proto = Object::get_prototype_of(&probe);
    let error_proto = Object::get_prototype_of(&js_sys::Error::new(""));
    Object::set_prototype_of(&proto, &error_proto);
    proto.into()
}

fn set(target: &JsValue, key: &str, value: &JsValue) {
    // Plain data properties on a fresh Error: this cannot throw, and if it did the error
    // would still carry its message.
    let _ = Reflect::set(target, &key.into(), value);
}

fn set_opt(target: &JsValue, key: &str, value: &Option<String>) {
    if let Some(v) = value {
        set(target, key, &v.into());
    }
}

/// Builds the JS error for a core error.
pub fn to_js(e: &CoreError) -> JsValue {
    let err = js_sys::Error::new(&e.message);
    let proto = PROTOTYPE.with(JsValue::clone);
    if let Some(proto) = proto.dyn_ref::<Object>() {
        Object::set_prototype_of(&err, proto);
    }
    let v: JsValue = err.into();
    set(&v, "name", &"HubSpotError".into());
    set(&v, "code", &e.code().as_str().into());
    if let Some(s) = e.status {
        set(&v, "status", &f64::from(s).into());
    }
    if let Some(c) = &e.category {
        set(&v, "category", &c.as_str().into());
    }
    set_opt(&v, "subCategory", &e.sub_category);
    set_opt(&v, "correlationId", &e.correlation_id);
    if let Some(p) = &e.policy_name {
        set(&v, "policyName", &p.as_str().into());
    }
    if !e.errors.is_empty() {
        if let Ok(errors) = super::values::to_js(&e.errors) {
            set(&v, "errors", &errors);
        }
    }
    if let Some(ctx) = &e.context {
        if let Ok(c) = super::values::to_js(ctx) {
            set(&v, "context", &c);
        }
    }
    v
}

/// Builds the JS error and attaches a `cause` and/or `result`.
pub fn to_js_with(e: &CoreError, cause: Option<&JsValue>, result: Option<&JsValue>) -> JsValue {
    let v = to_js(e);
    if let Some(c) = cause {
        set(&v, "cause", c);
    }
    if let Some(r) = result {
        set(&v, "result", r);
    }
    v
}

use wasm_bindgen::JsCast;
