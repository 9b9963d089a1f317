//! Reading answers during `update()`: each body into the engine, and the objects it updated
//! into JS.
//!
//! The long way reads a body into the model with the core's JSON reader, lets the engine
//! settle the batch, writes the updated objects back as JSON text and `JSON.parse`s that.
//! Most 200/207 bodies are plain ([`crate::batch_scan::check`]: `JSON.parse(body)` is what
//! the long way would give), and for those the engine only needs each result's id, trace id
//! and id-property values to settle the batch. So a plain body with no per-item errors is
//! `JSON.parse`d once (answers.js), the engine gets a small text with only those fields to
//! read, and the objects handed to the caller are the parsed ones. `update()`'s own time for
//! 20,000 inputs answered at once (`bench/update-cpu.mjs`, the build before against this
//! one, medians of 20 rounds): 359 -> 286 ms in one run, 262 -> 212 ms in another.

use js_sys::{Array, Reflect};
use wasm_bindgen::prelude::*;
use wasm_bindgen::JsCast;

use super::transport::{self, Answered};
use super::{convert, now};
use crate::engine::{Engine, Outcome};
use crate::model::BatchResponse;
use crate::response::Body;

/// The updated objects of a run as JS objects, by input position, converted as answers are
/// read (while the run mostly waits for the rate window) instead of all at the end: with
/// 38,000 results that conversion took 0.15 s after the last answer, and the wasm memory
/// that held them all made V8 collect garbage more often.
pub struct Results {
    /// `new Array(inputs.length)`: holes where no object is (yet).
    by_input: Array,
    /// How many objects `by_input` holds (each input is updated at most once).
    placed: std::cell::Cell<usize>,
    /// Why objects could not be converted, if ever: the run then rejects with it rather
    /// than resolve without them.
    error: std::cell::RefCell<Option<JsValue>>,
    /// The `idProperty` names the run's inputs use (usually none), a JS array: the values a
    /// result must carry for the engine to match it by id property when it has no trace id.
    id_properties: JsValue,
}

impl Results {
    /// Room for `n` inputs, whose id properties are `id_properties`.
    pub fn new(n: usize, id_properties: JsValue) -> Results {
        Results {
            by_input: Array::new_with_length(u32::try_from(n).unwrap_or(u32::MAX)),
            placed: std::cell::Cell::new(0),
            error: std::cell::RefCell::new(None),
            id_properties,
        }
    }

    /// Takes the objects the engine has updated since the last call.
    pub fn take(&self, engine: &mut Engine) {
        let taken = engine.take_updated();
        if taken.objects.is_empty() {
            return;
        }
        // One JSON text (and one JSON.parse) per answer, not per object.
        match convert::to_js(&taken.objects) {
            Ok(js) => {
                let js: Array = js.unchecked_into();
                for (k, &i) in taken.indexes.iter().enumerate() {
                    self.by_input.set(i as u32, js.get(k as u32));
                }
                self.placed.set(self.placed.get() + taken.indexes.len());
            }
            Err(e) => {
                self.error.borrow_mut().get_or_insert(e);
            }
        }
    }

    /// Takes the objects the engine has updated from one plain answer: the engine's carry
    /// only their keys, the objects handed over are `parsed` (that answer's `results`).
    fn take_plain(&self, engine: &mut Engine, parsed: &JsValue) {
        let taken = engine.take_updated();
        let mut places = Vec::with_capacity(taken.objects.len() * 3);
        for ((&i, &position), o) in taken
            .indexes
            .iter()
            .zip(&taken.positions)
            .zip(&taken.objects)
        {
            // The engine takes out the trace ids it made; the parsed objects still have them.
            let kept = o.object_write_trace_id.is_some();
            places.push(i as u32);
            places.push(position as u32);
            places.push(u32::from(kept));
        }
        place_results(&self.by_input, parsed, &places);
        self.placed.set(self.placed.get() + taken.indexes.len());
    }

    /// `result` (the engine's, whose `results` holds none of the taken objects) with all
    /// the objects in input order.
    pub fn fill(&self, result: JsValue) -> Result<JsValue, JsValue> {
        if let Some(e) = self.error.borrow_mut().take() {
            return Err(e);
        }
        // With every input updated there is no hole, and the array is the result as it is;
        // else flat(0) skips the holes (and flattens nothing). It copies slowly: 3-6 ms for
        // 20,000 objects in Node, after the last answer.
        let all = self.placed.get() == self.by_input.length() as usize;
        let results = if all {
            self.by_input.clone()
        } else {
            self.by_input.flat(0)
        };
        Reflect::set(&result, &"results".into(), &results)?;
        Ok(result)
    }
}

/// Parses the bodies of `unread` answers, gives the engine their outcomes, and takes the
/// objects they updated into `results`.
pub fn read_all(engine: &mut Engine, results: &Results, unread: &mut Vec<(u64, Answered)>) {
    // `iter_mut` + `mem::take` + `clear` rather than `drain(..)`: no `Drain` instance.
    for (id, a) in unread.iter_mut() {
        read_one(engine, results, *id, std::mem::take(a));
    }
    unread.clear();
}

/// Parses the body of one answer, gives the engine its outcome, and takes the objects it
/// updated into `results`.
pub fn read_one(engine: &mut Engine, results: &Results, id: u64, a: Answered) {
    let (body, parsed) = match plain(&a, &results.id_properties) {
        Some((response, parsed)) => (Body::Batch(response), Some(parsed)),
        None => (transport::read_body(a.status, &a.text), None),
    };
    let outcome = Outcome::Http {
        status: a.status,
        meta: a.meta,
        body,
    };
    engine.on_answer_heard(id, outcome, a.heard, now());
    match parsed {
        Some(parsed) => results.take_plain(engine, &parsed),
        None => results.take(engine),
    }
}

#[wasm_bindgen(module = "/src/wasm/answers.js")]
extern "C" {
    #[wasm_bindgen(js_name = plainAnswer, catch)]
    fn plain_answer(bytes: &JsValue, id_properties: &JsValue) -> Result<JsValue, JsValue>;
    #[wasm_bindgen(js_name = placeResults)]
    fn place_results(by_input: &Array, results: &JsValue, places: &[u32]);
}

/// The answer parsed by `JSON.parse`, when that is what the long way would make of it
/// (a 200/207 body that [`crate::batch_scan::check`] finds plain, its bytes untouched) and
/// it has no per-item errors (which the long way reads in full), with the batch response
/// the engine settles the batch from: results that carry only what it matches them by (id,
/// trace id, id-property values), read by the core's reader; else `None`.
fn plain(a: &Answered, id_properties: &JsValue) -> Option<(BatchResponse, JsValue)> {
    if !crate::response::is_batch_status(a.status) {
        return None;
    }
    let raw = a.raw.as_ref()?;
    crate::batch_scan::check(&a.text)?;
    let pair: Array = plain_answer(raw, id_properties).ok()?.dyn_into().ok()?;
    let keys = transport::large_string(&pair.get(1))?;
    let Body::Batch(response) = transport::read_body(a.status, &keys) else {
        return None;
    };
    Some((response, pair.get(0)))
}
