//! The per-input ledger: every input ends in exactly one of `Updated` or `Failed`.
//!
//! This is where "nothing is lost" lives. An input moves out of `Pending` once and only
//! once; an answer counts an input as updated only when HubSpot's result names it (by trace
//! id, or by id when HubSpot echoes no trace id); anything HubSpot leaves out is failed.

use super::PreparedInput;
use crate::model::{BatchResponse, SimplePublicObject, StandardError};
use crate::report::{FailedInput, FailureReason, Progress};

/// Where one input stands.
#[derive(Clone, Debug, PartialEq)]
enum Slot {
    Pending,
    Updated(Box<SimplePublicObject>),
    /// Updated, and its object already given to the caller by [`Ledger::take_updated`].
    Handed,
    Failed(FailureReason),
}

/// The state of every input of a run.
#[derive(Clone, Debug)]
pub struct Ledger {
    slots: Vec<Slot>,
    done: usize,
    failed: usize,
    updated: usize,
    errors: Vec<StandardError>,
    /// Inputs updated since the last [`Ledger::take_updated`], in the order they were, each
    /// with where its object stood in its answer's `results`.
    fresh: Vec<(usize, usize)>,
}

/// The objects [`Ledger::take_updated`] hands over, three lists of one length.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct Updated {
    /// The input each object updated.
    pub indexes: Vec<usize>,
    /// Where each object stood in its answer's `results`: a driver that took the objects
    /// right after an answer and kept that answer's own representation of them (the wasm
    /// glue keeps `JSON.parse`'s) finds each one there.
    pub positions: Vec<usize>,
    /// The objects.
    pub objects: Vec<SimplePublicObject>,
}

impl Ledger {
    /// A ledger of `n` pending inputs.
    pub fn new(n: usize) -> Self {
        Ledger {
            // Not `vec![Slot::Pending; n]`: that clones, and links a second copy of the
            // clone code of every type inside a `Slot`.
            slots: std::iter::repeat_with(|| Slot::Pending).take(n).collect(),
            done: 0,
            failed: 0,
            updated: 0,
            errors: Vec::new(),
            fresh: Vec::new(),
        }
    }

    /// Settled, failed and total counts.
    pub fn progress(&self) -> Progress {
        Progress {
            done: self.done,
            failed: self.failed,
            total: self.slots.len(),
        }
    }

    /// How many inputs are updated.
    pub fn updated(&self) -> usize {
        self.updated
    }

    /// Marks input `i` failed, if it is still pending.
    pub fn fail(&mut self, i: usize, reason: FailureReason) -> bool {
        match self.slots.get_mut(i) {
            Some(slot @ Slot::Pending) => {
                *slot = Slot::Failed(reason);
                self.done += 1;
                self.failed += 1;
                true
            }
            _ => false,
        }
    }

    fn update(&mut self, i: usize, position: usize, object: SimplePublicObject) -> bool {
        match self.slots.get_mut(i) {
            Some(slot @ Slot::Pending) => {
                *slot = Slot::Updated(Box::new(object));
                self.done += 1;
                self.updated += 1;
                self.fresh.push((i, position));
                true
            }
            _ => false,
        }
    }

    /// Hands over the objects of the inputs updated since the last call, in the order they were
    /// updated, with their input positions; [`Ledger::finish`] then leaves them out of its results. A driver
    /// that turns objects into its own representation as answers arrive (the wasm glue: into
    /// JS objects) keeps no second copy, and the end of the run has nothing left to convert.
    pub fn take_updated(&mut self) -> Updated {
        // Not sorted: the caller places them by position, and a sort links a few KB of code.
        let fresh = std::mem::take(&mut self.fresh);
        let mut taken = Updated {
            indexes: Vec::with_capacity(fresh.len()),
            positions: Vec::with_capacity(fresh.len()),
            objects: Vec::with_capacity(fresh.len()),
        };
        for &(i, position) in &fresh {
            if let Some(slot @ Slot::Updated(_)) = self.slots.get_mut(i) {
                if let Slot::Updated(o) = std::mem::replace(slot, Slot::Handed) {
                    taken.indexes.push(i);
                    taken.positions.push(position);
                    taken.objects.push(*o);
                }
            }
        }
        taken
    }

    /// Settles the inputs of one batch from a 200/207 answer. `generated[i]` says the trace
    /// id of input `i` was ours, to be removed from the result the user sees.
    pub fn apply(
        &mut self,
        batch: &[usize],
        inputs: &[PreparedInput],
        generated: &[bool],
        status: u16,
        response: BatchResponse,
    ) {
        let input = |i: usize| inputs.get(i);
        let mut claimed = vec![false; batch.len()];
        for (position, mut object) in response.results.into_iter().enumerate() {
            let found = match object.object_write_trace_id.as_deref() {
                // A trace id is exact: trust it and nothing else.
                Some(trace) => trace_position(batch, inputs, trace),
                None => batch.iter().enumerate().position(|(k, &i)| {
                    !claimed.get(k).copied().unwrap_or(true)
                        && input(i).is_some_and(|x| names(x, &object))
                }),
            };
            let Some(k) = found else { continue };
            if claimed.get(k).copied().unwrap_or(true) {
                continue;
            }
            if let Some(c) = claimed.get_mut(k) {
                *c = true;
            }
            let Some(&i) = batch.get(k) else { continue };
            if generated.get(i).copied().unwrap_or(false) {
                object.object_write_trace_id = None;
            }
            self.update(i, position, object);
        }
        for error in response.errors {
            for (k, &i) in batch.iter().enumerate() {
                if claimed.get(k).copied().unwrap_or(true) {
                    continue;
                }
                if input(i).is_some_and(|x| concerns(&error, x)) {
                    self.fail(i, reason_from_standard_error(status, &error));
                }
            }
            self.errors.push(error);
        }
        for &i in batch {
            self.fail(
                i,
                FailureReason::new(
                    Some(status),
                    "NOT_UPDATED",
                    "HubSpot's answer did not include this record, so it was not updated (HubSpot silently leaves out ids it cannot find)",
                ),
            );
        }
    }

    /// Takes the final lists: updated objects (but those already taken by
    /// [`Ledger::take_updated`]) and failed inputs in input order, and the per-item errors.
    pub fn finish(
        self,
        inputs: &[PreparedInput],
    ) -> (
        Vec<SimplePublicObject>,
        Vec<FailedInput>,
        Vec<StandardError>,
    ) {
        let mut results = Vec::with_capacity(self.updated);
        let mut failed = Vec::with_capacity(self.failed);
        let mut slots = self.slots;
        // `iter_mut` + `mem::replace` rather than `into_iter()`: no `IntoIter<Slot>` drop.
        // The id is cloned for failed inputs only: with every object taken as it came (the
        // wasm glue) the loop is then one pass over the slots, after the last answer.
        let id = |index: usize| inputs.get(index).map(|x| x.id.clone()).unwrap_or_default();
        for (index, slot) in slots.iter_mut().enumerate() {
            match std::mem::replace(slot, Slot::Handed) {
                Slot::Updated(o) => results.push(*o),
                Slot::Handed => {}
                Slot::Failed(error) => failed.push(FailedInput {
                    index,
                    id: id(index),
                    error,
                }),
                // Unreachable when the engine finishes normally; kept visible, never dropped.
                Slot::Pending => failed.push(FailedInput {
                    index,
                    id: id(index),
                    error: FailureReason::new(
                        None,
                        "NOT_SENT",
                        "the run ended before this input was sent",
                    ),
                }),
            }
        }
        (results, failed, self.errors)
    }
}

/// Where in `batch` the input whose trace id is `trace` stands. The position its trailing
/// number names is tried first: the engine's generated trace ids end in the input's index and
/// a batch is a run of consecutive indexes, so a 100-result answer costs about 100 string
/// comparisons instead of about 5,000 (measured: about 7% of the client's CPU in the last
/// window of a 20,000-deal run). Any other trace id costs one comparison more, then the scan.
fn trace_position(batch: &[usize], inputs: &[PreparedInput], trace: &str) -> Option<usize> {
    let is = |k: usize| {
        batch
            .get(k)
            .and_then(|&i| inputs.get(i))
            .and_then(|x| x.object_write_trace_id.as_deref())
            == Some(trace)
    };
    if let (Some(n), Some(&first)) = (trailing_number(trace), batch.first()) {
        if let Some(k) = n.checked_sub(first).filter(|&k| is(k)) {
            return Some(k);
        }
    }
    (0..batch.len()).find(|&k| is(k))
}

/// The decimal number `text` ends with, if it ends with one that fits.
fn trailing_number(text: &str) -> Option<usize> {
    let bytes = text.as_bytes();
    let mut start = bytes.len();
    while start > 0 && bytes.get(start - 1).is_some_and(u8::is_ascii_digit) {
        start -= 1;
    }
    let tail = text.get(start..).filter(|t| !t.is_empty())?;
    crate::response::parse_u32(tail).map(|n| n as usize)
}

/// Whether `object` is the record `input` names, by id.
fn names(input: &PreparedInput, object: &SimplePublicObject) -> bool {
    match input.id_key() {
        "" => object.id == input.id,
        property => {
            object.properties.get(property).and_then(|v| v.as_deref()) == Some(input.id.as_str())
        }
    }
}

/// Whether a per-item error is about `input`.
fn concerns(error: &StandardError, input: &PreparedInput) -> bool {
    if let (Some(a), Some(b)) = (&error.object_write_trace_id, &input.object_write_trace_id) {
        return a == b;
    }
    error.id.as_deref() == Some(input.id.as_str())
        || error
            .context
            .0
            .iter()
            .any(|(k, ids)| (k == "ids" || k == "id") && ids.contains(&input.id))
}

fn reason_from_standard_error(status: u16, e: &StandardError) -> FailureReason {
    FailureReason {
        status: Some(status),
        category: if e.category.is_empty() {
            "HTTP_ERROR".to_owned()
        } else {
            e.category.clone()
        },
        message: e.message.clone(),
        correlation_id: None,
        sub_category: e
            .sub_category
            .as_ref()
            .map(crate::response::sub_category_text),
        context: (!e.context.is_empty()).then(|| e.context.clone()),
        errors: e.errors.clone(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn traced(traces: &[&str]) -> Vec<PreparedInput> {
        traces
            .iter()
            .enumerate()
            .map(|(i, t)| PreparedInput {
                id: i.to_string(),
                properties: String::new(),
                id_property: None,
                object_write_trace_id: Some((*t).to_owned()),
            })
            .collect()
    }

    #[test]
    fn trailing_numbers() {
        assert_eq!(trailing_number("hsb-0a1b-123"), Some(123));
        assert_eq!(trailing_number("7"), Some(7));
        assert_eq!(trailing_number("abc"), None);
        assert_eq!(trailing_number(""), None);
        assert_eq!(trailing_number("x99999999999999999999999999"), None);
    }

    /// Every lookup agrees with a plain scan: generated ids in consecutive and split batches,
    /// user ids whose trailing numbers point elsewhere or out of range, and misses.
    #[test]
    fn trace_position_agrees_with_a_scan() {
        let inputs = traced(&[
            "hsb-x-0",
            "hsb-x-1",
            "hsb-x-2",
            "hsb-x-3",
            "user-3",
            "user-99",
            "order",
            "hsb-x-7",
            "hsb-x-1x",
            "18446744073709551615",
        ]);
        let scan = |batch: &[usize], t: &str| {
            batch
                .iter()
                .position(|&i| inputs[i].object_write_trace_id.as_deref() == Some(t))
        };
        let batches: [&[usize]; 5] = [
            &[0, 1, 2, 3, 4, 5, 6, 7, 8, 9],
            &[2, 3, 4],
            &[7, 4, 1],
            &[5, 9],
            &[],
        ];
        // Every input's trace id (some pointing at the wrong position), and two misses.
        let traces: Vec<&str> = inputs
            .iter()
            .filter_map(|x| x.object_write_trace_id.as_deref())
            .chain(["hsb-x-5", "none", "hsb-x-11"])
            .collect();
        for batch in batches {
            for &t in &traces {
                assert_eq!(
                    trace_position(batch, &inputs, t),
                    scan(batch, t),
                    "{batch:?} {t}"
                );
            }
        }
    }
}
