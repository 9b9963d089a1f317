//! The per-input ledger: every input ends in exactly one of `Updated` or `Failed`.
//!
//! This is where "nothing is lost" lives. An input moves out of `Pending` once and only
//! once; an answer counts an input as updated only when HubSpot's result names it (by trace
//! id, or by id when HubSpot echoes no trace id); anything HubSpot leaves out is failed.

use crate::model::{BatchResponse, Category, SimplePublicObjectBatchInput, StandardError, Written};
use crate::operation::Operation;
use crate::report::{FailedInput, FailureReason, Progress};

#[derive(Clone, Debug, PartialEq)]
enum Slot<T> {
    Pending,
    Updated(Box<T>),
    Failed(FailureReason),
}

/// One slot per input, and the per-item errors HubSpot reported.
#[derive(Clone, Debug)]
pub struct Ledger<T> {
    slots: Vec<Slot<T>>,
    done: usize,
    failed: usize,
    updated: usize,
    errors: Vec<StandardError>,
}

impl<T: Written> Ledger<T> {
    /// A ledger of `n` pending inputs.
    pub fn new(n: usize) -> Self {
        Ledger {
            slots: std::iter::repeat_with(|| Slot::Pending).take(n).collect(),
            done: 0,
            failed: 0,
            updated: 0,
            errors: Vec::new(),
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

    /// Fails input `i` if it is still pending; `false` if it was settled already.
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

    /// Settles input `i` with its result if it is still pending; `false` if it was settled.
    pub fn settle(&mut self, i: usize, object: T) -> bool {
        match self.slots.get_mut(i) {
            Some(slot @ Slot::Pending) => {
                *slot = Slot::Updated(Box::new(object));
                self.done += 1;
                self.updated += 1;
                true
            }
            _ => false,
        }
    }

    /// Settles the inputs of one batch (`batch` holds their positions) with HubSpot's 2xx
    /// answer to `operation`: results tied to an input settle it, errors tied to one fail
    /// it, and every input the answer leaves out fails (see [`left_out`]).
    pub fn apply(
        &mut self,
        batch: &[usize],
        inputs: &[SimplePublicObjectBatchInput],
        generated: &[bool],
        status: u16,
        response: BatchResponse<T>,
        operation: Operation,
    ) {
        let input = |i: usize| inputs.get(i);
        let mut claimed = vec![false; batch.len()];
        for mut object in response.results {
            let found = match object.trace_id() {
                Some(trace) => trace_position(batch, inputs, trace),
                // A create's inputs have no id: HubSpot lists its results in input order.
                None => batch.iter().enumerate().position(|(k, &i)| {
                    !claimed.get(k).copied().unwrap_or(true)
                        && (operation == Operation::Create
                            || input(i).is_some_and(|x| names(x, &object)))
                }),
            };
            let Some(k) = found else { continue };
            match claimed.get_mut(k) {
                Some(c) if !*c => *c = true,
                _ => continue,
            }
            let Some(&i) = batch.get(k) else { continue };
            if generated.get(i).copied().unwrap_or(false) {
                object.clear_trace_id();
            }
            self.settle(i, object);
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
        let reason = left_out(operation, status);
        for &i in batch {
            self.fail(i, reason.clone());
        }
    }

    /// The updated objects in input order, the failed inputs (pending ones as `NOT_SENT`),
    /// and HubSpot's per-item errors.
    pub fn finish(
        self,
        inputs: &[SimplePublicObjectBatchInput],
    ) -> (Vec<T>, Vec<FailedInput>, Vec<StandardError>) {
        let mut results = Vec::with_capacity(self.updated);
        let mut failed = Vec::with_capacity(self.failed);
        let id = |index: usize| inputs.get(index).map(|x| x.id.clone()).unwrap_or_default();
        for (index, slot) in self.slots.into_iter().enumerate() {
            match slot {
                Slot::Updated(o) => results.push(*o),
                Slot::Failed(error) => failed.push(FailedInput {
                    index,
                    id: id(index),
                    error,
                }),
                Slot::Pending => failed.push(FailedInput {
                    index,
                    id: id(index),
                    error: FailureReason::new(
                        None,
                        Category::NotSent,
                        "the run ended before this input was sent",
                    ),
                }),
            }
        }
        (results, failed, self.errors)
    }
}

/// Why an input HubSpot's successful answer leaves out failed: an update or upsert was not
/// written (HubSpot silently leaves out ids it cannot find), a read found no such record,
/// and a create's outcome is unknown (HubSpot applied the batch but named no result for it).
fn left_out(operation: Operation, status: u16) -> FailureReason {
    let (category, message) = match operation {
        Operation::Read => (
            Category::ObjectNotFound,
            "HubSpot's answer did not include this record: no record has this id",
        ),
        Operation::Create => (
            Category::UnknownOutcome,
            "HubSpot's answer named no result for this input; it may have been created, so it was not sent again",
        ),
        _ => (
            Category::NotUpdated,
            "HubSpot's answer did not include this record, so it was not updated (HubSpot silently leaves out ids it cannot find)",
        ),
    };
    let mut reason = FailureReason::new(Some(status), category, message);
    reason.may_have_applied = operation == Operation::Create;
    reason
}

/// Where in `batch` the input with trace id `trace` stands. The engine's own trace ids end
/// in the input's position, so that is tried first; a scan finds the rest.
fn trace_position(
    batch: &[usize],
    inputs: &[SimplePublicObjectBatchInput],
    trace: &str,
) -> Option<usize> {
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

fn trailing_number(text: &str) -> Option<usize> {
    let start = text.trim_end_matches(|c: char| c.is_ascii_digit()).len();
    let tail = text.get(start..).filter(|t| !t.is_empty())?;
    crate::response::parse_u32(tail).map(|n| n as usize)
}

/// Whether `object` is the record `input` names (by id, or by its id property's value).
fn names<T: Written>(input: &SimplePublicObjectBatchInput, object: &T) -> bool {
    match crate::input::id_key(input) {
        "" => object.id() == input.id,
        property => object.holds(property, &input.id),
    }
}

fn concerns(error: &StandardError, input: &SimplePublicObjectBatchInput) -> bool {
    if let (Some(a), Some(b)) = (&error.object_write_trace_id, &input.object_write_trace_id) {
        return a == b;
    }
    // A create's 207 names its inputs by trace id in `context.objectWriteTraceId`.
    let trace = input.object_write_trace_id.as_deref().unwrap_or_default();
    error.id.as_deref() == Some(input.id.as_str())
        || error.context.0.iter().any(|(k, ids)| match k.as_str() {
            "ids" | "id" => ids.contains(&input.id),
            "objectWriteTraceId" => ids.iter().any(|t| t == trace),
            _ => false,
        })
}

fn reason_from_standard_error(status: u16, e: &StandardError) -> FailureReason {
    FailureReason {
        status: Some(status),
        category: match &e.category {
            Category::Other(s) if s.is_empty() => Category::HttpError,
            c => c.clone(),
        },
        message: e.message.clone(),
        correlation_id: None,
        sub_category: e.sub_category.clone(),
        context: (!e.context.is_empty()).then(|| e.context.clone()),
        errors: e.errors.clone(),
        may_have_applied: false,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn traced(traces: &[&str]) -> Vec<SimplePublicObjectBatchInput> {
        traces
            .iter()
            .enumerate()
            .map(|(i, t)| SimplePublicObjectBatchInput {
                id: i.to_string(),
                properties: crate::model::Map::new(),
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
