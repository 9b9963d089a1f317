//! JS values in, JS values out.
//!
//! Reading never trusts the caller: getters and Proxy traps may throw, arrays may be cyclic,
//! prototypes may be odd. Every read goes through a catching binding and ends in a
//! [`Value`] the core can judge, so bad input becomes `INVALID_INPUT`, never a trap.

use js_sys::{Array, Function, Object, Reflect};
use serde::Serialize;
use wasm_bindgen::prelude::*;
use wasm_bindgen::JsCast;

use crate::error::HubSpotError;
use crate::input::{RawInput, Value};

#[wasm_bindgen]
extern "C" {
    #[wasm_bindgen(js_namespace = Object, js_name = entries, catch)]
    fn object_entries(o: &JsValue) -> Result<Array, JsValue>;
    // Throws for a revoked Proxy, hence `catch`.
    #[wasm_bindgen(js_namespace = Array, js_name = isArray, catch)]
    fn is_array_checked(v: &JsValue) -> Result<bool, JsValue>;
    /// Anything with a `getTime` method; `Date.prototype.getTime` throws for an object that
    /// only inherits from Date, and a subclass may override it.
    type DateLike;
    #[wasm_bindgen(method, js_name = getTime, catch)]
    fn get_time(this: &DateLike) -> Result<JsValue, JsValue>;
}

/// `Array.isArray`, with a revoked Proxy counting as not an array.
fn is_array(v: &JsValue) -> bool {
    is_array_checked(v).unwrap_or(false)
}

/// A whole-number `length` property, or `None` when it is missing, odd or throws.
fn length_of(v: &JsValue) -> Option<u32> {
    let n = Reflect::get(v, &"length".into()).ok()?.as_f64()?;
    (n.fract() == 0.0 && (0.0..=10_000_000.0).contains(&n)).then_some(n as u32)
}

/// A value read one level deep: arrays become lists of shallow values, so a cyclic array
/// cannot recurse.
pub fn value(v: &JsValue) -> Value {
    to_value(v, true)
}

fn to_value(v: &JsValue, descend: bool) -> Value {
    if let Some(js) = v.dyn_ref::<js_sys::JsString>() {
        // A lone surrogate cannot be sent as UTF-8; converting would silently change it (to
        // U+FFFD). The exact check walks the string across the boundary, so it runs only when
        // the conversion produced a U+FFFD.
        let text = String::from(js);
        if text.contains('\u{FFFD}') && !js.is_valid_utf16() {
            return Value::Other("string with a lone surrogate (invalid UTF-16)");
        }
        return Value::Str(text);
    }
    if let Some(n) = v.as_f64() {
        return Value::Number(n);
    }
    if let Some(b) = v.as_bool() {
        return Value::Bool(b);
    }
    if v.is_null() {
        return Value::Null;
    }
    if v.is_undefined() {
        return Value::Undefined;
    }
    if v.is_function() {
        return Value::Other("function");
    }
    if v.is_bigint() {
        return Value::Other("bigint");
    }
    if v.is_symbol() {
        return Value::Other("symbol");
    }
    if let Some(d) = v.dyn_ref::<js_sys::Date>() {
        let d: &JsValue = d.as_ref();
        return match d.unchecked_ref::<DateLike>().get_time().map(|t| t.as_f64()) {
            Ok(Some(t)) => Value::Date(t),
            _ => Value::Other("object that inherits from Date but is not one"),
        };
    }
    if is_array_checked(v).is_err() {
        return Value::Other("revoked Proxy");
    }
    if is_array(v) {
        if !descend {
            return Value::Other("array");
        }
        let Some(len) = length_of(v) else {
            return Value::Other("array whose length cannot be read");
        };
        let mut items = Vec::new();
        for i in 0..len {
            match Reflect::get_u32(v, i) {
                Ok(item) => items.push(to_value(&item, false)),
                Err(_) => return Value::Other("array whose elements cannot be read"),
            }
        }
        return Value::List(items);
    }
    Value::Other("object")
}

/// Whether `v` is a plain object (prototype `Object.prototype` or `null`).
fn is_plain_object(v: &JsValue) -> bool {
    if !v.is_object() || v.is_function() || is_array(v) {
        return false;
    }
    match Reflect::get_prototype_of(v) {
        Ok(proto) => {
            let proto: &JsValue = proto.as_ref();
            proto.is_null() || OBJECT_PROTOTYPE.with(|op| proto == op)
        }
        Err(_) => false,
    }
}

thread_local! {
    /// `Object.prototype`, looked up once.
    static OBJECT_PROTOTYPE: JsValue = Object::get_prototype_of(&Object::new()).into();
}

/// Own enumerable entries of an object, or `None` if reading them threw.
pub fn entries(v: &JsValue) -> Option<Vec<(String, JsValue)>> {
    let arr = object_entries(v).ok()?;
    let mut out = Vec::with_capacity(arr.length() as usize);
    for pair in arr.iter() {
        let pair: Array = pair.dyn_into().ok()?;
        out.push((pair.get(0).as_string().unwrap_or_default(), pair.get(1)));
    }
    Some(out)
}

/// An options object as entries of values; nested plain objects (such as `rateLimit`) are
/// read one more level.
pub fn options_entries(
    v: &JsValue,
    what: &str,
    code: fn(String) -> HubSpotError,
) -> Result<Vec<(String, Value)>, HubSpotError> {
    if v.is_undefined() || v.is_null() {
        return Ok(Vec::new());
    }
    if !is_plain_object(v) {
        return Err(code(format!("{what}: expected an object")));
    }
    let raw = entries(v).ok_or_else(|| code(format!("{what}: its fields cannot be read")))?;
    Ok(raw
        .into_iter()
        .map(|(k, v)| {
            let value = if is_plain_object(&v) {
                entries(&v)
                    .map(|e| Value::Object(e.into_iter().map(|(k, v)| (k, value(&v))).collect()))
                    .unwrap_or(Value::Other("object"))
            } else {
                value(&v)
            };
            (k, value)
        })
        .collect())
}

/// The `inputs` argument of `update()` and `buildBatchUpdateRequests()`.
pub fn raw_inputs(inputs: &JsValue) -> Result<Vec<RawInput>, HubSpotError> {
    if !is_array(inputs) {
        return Err(HubSpotError::invalid_input(
            "inputs: expected an array of { id, properties }",
        ));
    }
    let len = length_of(inputs).ok_or_else(|| {
        HubSpotError::invalid_input("inputs: its length cannot be read (at most 10,000,000 inputs)")
    })?;
    let mut out = Vec::with_capacity(len as usize);
    for i in 0..len {
        let item = Reflect::get_u32(inputs, i)
            .map_err(|_| HubSpotError::invalid_input(format!("inputs[{i}]: reading it threw")))?;
        out.push(raw_input(i, &item)?);
    }
    Ok(out)
}

fn raw_input(index: u32, item: &JsValue) -> Result<RawInput, HubSpotError> {
    if !item.is_object() || item.is_function() || is_array(item) {
        return Ok(RawInput::NotObject(match value(item) {
            Value::List(_) => "array",
            other => crate::input::type_name(&other),
        }));
    }
    let fields = entries(item).ok_or_else(|| {
        HubSpotError::invalid_input(format!("inputs[{index}]: its fields cannot be read"))
    })?;
    let mut id = Value::Undefined;
    let mut properties = Err(Value::Undefined);
    let mut id_property = Value::Undefined;
    let mut trace = Value::Undefined;
    let mut unknown_fields = Vec::new();
    for (key, v) in fields {
        match key.as_str() {
            "id" => id = value(&v),
            "idProperty" => id_property = value(&v),
            "objectWriteTraceId" => trace = value(&v),
            "properties" => {
                properties = if is_plain_object(&v) {
                    let props = entries(&v).ok_or_else(|| {
                        HubSpotError::invalid_input(format!(
                            "inputs[{index}].properties: its values cannot be read"
                        ))
                    })?;
                    Ok(props.into_iter().map(|(k, v)| (k, value(&v))).collect())
                } else {
                    Err(match value(&v) {
                        Value::List(_) => Value::Other("array"),
                        other => other,
                    })
                }
            }
            _ => unknown_fields.push(key),
        }
    }
    Ok(RawInput::Object {
        id,
        properties,
        id_property,
        object_write_trace_id: trace,
        unknown_fields,
    })
}

/// Serialises to plain JS objects through JSON text: the core writes it, the engine's
/// `JSON.parse` builds the objects. One boundary crossing per value instead of one per field,
/// and no serde-wasm-bindgen in the wasm (see BENCHMARKS.md).
pub fn to_js<T: Serialize + ?Sized>(v: &T) -> Result<JsValue, JsValue> {
    js_sys::JSON::parse(&crate::json::to_string(v))
}

/// A field of an object that must be a function, if present.
pub fn function_field(v: &JsValue, key: &str) -> Option<Function> {
    Reflect::get(v, &key.into())
        .ok()
        .and_then(|f| f.dyn_into::<Function>().ok())
}
