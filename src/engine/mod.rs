//! The run as a state machine, in the shape of quinn-proto and str0m: events go in through
//! one door ([`Engine::handle`]), what to do comes out of another ([`Engine::poll`]).
//!
//! The engine holds every decision of a run: what to send and when (chunking, the rate
//! window, pauses after a 429, backoff), which attempts have their timeout running and when
//! they expire, when to read an answer's body, how to classify an answer (done, retry, split,
//! stop), and the per-input ledger. A driver (the wasm glue, or a Rust caller) only performs
//! the actions with its own transport and clock. Time comes in as epoch milliseconds and
//! randomness from a seed, so every fault order and clock can be replayed in `cargo test`.
//!
//! The engine is generic over how a written record is held (`T`: [`Written`]): natively the
//! whole [`crate::model::SimplePublicObject`], in the npm build its keys beside the JS object.

mod isolate;
mod ledger;
mod permit;
mod window;

pub use ledger::Ledger;
pub use window::{RateWindow, CLOCK_SLACK_MS};

use permit::{Permit, Permits};

use crate::config::ClientConfig;
use crate::error::HubSpotError;
use crate::model::{
    BatchStatus, Category, PolicyName, SimplePublicObject, SimplePublicObjectBatchInput, Written,
};
use crate::operation::Operation;
use crate::report::{BatchUpdateResult, FailureReason, Progress, RunStats};
use crate::request::{self, HttpRequest, Plan, RequestBody};
use crate::response::{self, Body, ResponseMeta, Unreadable};

/// First retry delay for server errors, network errors and timeouts.
pub const BACKOFF_BASE_MS: f64 = 500.0;
/// Longest backoff between two attempts.
pub const BACKOFF_MAX_MS: f64 = 30_000.0;
/// HubSpot's window for `TEN_SECONDLY_ROLLING` when its answer does not say.
pub const TEN_SECONDLY_MS: f64 = 10_000.0;
/// HubSpot's window for `SECONDLY`.
pub const SECONDLY_MS: f64 = 1_000.0;

/// How many of the oldest unanswered attempts have their `timeoutMs` running. Browsers open
/// at most 6 HTTP/1.1 connections per origin and a Cloudflare Worker at most 6 at once, and
/// both queue further requests inside `fetch()`: an attempt's clock starts once it is among
/// the 6 oldest still unanswered, when such a client would have sent it, so time spent
/// queued behind the others is never taken for HubSpot's silence. Where nothing queues
/// (Node, HTTP/2) this only matters when 6 older attempts are all stuck, and then the run
/// detects hung requests 6 at a time.
pub const TIMED_AT_ONCE: usize = 6;

/// A successful answer (a large body) is read after any request that can leave now, and
/// later still while the next request to send is at least this far off and others are on the
/// wire: the server, still answering those, then does not share the CPU with the reading (as
/// in the benchmarks, on one machine). It is read once everything is answered, before a
/// request is due, or before the run ends. Errors are read at once, before anything is sent:
/// they are small and may stop or pause the run.
pub const READ_LATER_MS: f64 = 1000.0;

/// What the driver should do next.
#[derive(Clone, Debug, PartialEq)]
pub enum Action {
    /// Send this request now, then poll again.
    Send(Outgoing),
    /// The attempt timed out: abort it. The engine has settled it already (retry or fail);
    /// whatever the transport reports for it later is ignored.
    Cancel(u64),
    /// Read the body of this heard answer and hand it over with [`Event::Body`].
    Read(u64),
    /// Ask the shared limiter (the `rateLimiter` option) for a permit for request `id`, and
    /// report it with [`Event::Permit`]. Nothing is sent before it comes.
    Acquire(u64),
    /// Give request `id`'s permit back to the shared limiter: `answered` is when its answer
    /// arrived (the slot stays taken until one interval after it), `None` when the request
    /// was never sent (the slot frees at once). A permit still being asked for is given back
    /// as it arrives.
    Release {
        /// The request.
        id: u64,
        /// When its answer arrived, or `None`.
        answered: Option<f64>,
    },
    /// Nothing to do before this time: wait until then, or until an event.
    WaitUntil(f64),
    /// Nothing to do until an event.
    AwaitEvent,
    /// The run is over: call [`Engine::finish`].
    Done,
}

/// A request to send, with the id to report its answer under.
#[derive(Clone, Debug, PartialEq)]
pub struct Outgoing {
    /// Pass back in [`Event`]s.
    pub id: u64,
    /// What to send.
    pub request: HttpRequest,
}

/// What happened, as the driver tells the engine. Events about unknown ids (an attempt the
/// engine cancelled, say) are ignored.
#[derive(Clone, Debug, PartialEq)]
pub enum Event<T = SimplePublicObject> {
    /// The status line and headers of request `id`'s answer arrived at `at`: everything
    /// pacing needs (HubSpot counted the request before it answered). The body follows with
    /// [`Event::Body`] when the engine asks for it ([`Action::Read`]).
    Heard {
        /// The request.
        id: u64,
        /// HTTP status (0 for a browser's opaque redirect).
        status: u16,
        /// The headers the engine reads.
        meta: ResponseMeta,
        /// When the headers arrived (a later `at` than the `now` of the call is taken as now).
        at: f64,
    },
    /// The body of a heard answer, read.
    Body {
        /// The request.
        id: u64,
        /// What its body held.
        body: Body<T>,
    },
    /// Request `id` got no HTTP answer (connection reset, CORS refusal...) and may have
    /// reached HubSpot. The text is the runtime's message, which must not contain the token.
    Failed {
        /// The request.
        id: u64,
        /// The runtime's message.
        message: String,
    },
    /// Request `id` provably never reached HubSpot: no connection was made (refused, DNS).
    /// Unlike [`Event::Failed`], even a create is sent again.
    NotSent {
        /// The request.
        id: u64,
        /// The runtime's message.
        message: String,
    },
    /// The caller aborted: whatever is not settled fails with `ABORTED`.
    Aborted,
    /// The shared limiter granted request `id`'s permit ([`Action::Acquire`]), and it may be
    /// sent now (a driver reports a permit usable later when that time comes). Also when the
    /// limiter failed: the request then goes without one, as with no limiter.
    Permit {
        /// The request.
        id: u64,
    },
}

#[derive(Clone, Debug, PartialEq)]
struct Batch {
    indexes: Vec<usize>,
    /// Attempts made so far.
    attempts: u32,
    not_before: f64,
}

#[derive(Clone, Debug, PartialEq)]
enum Phase {
    /// On the wire; its timeout runs from `deadline - timeout` once it is set.
    Sent { deadline: Option<f64> },
    /// Its answer's headers arrived; the body waits to be read.
    Heard { status: u16, meta: ResponseMeta },
}

#[derive(Clone, Debug, PartialEq)]
struct InFlight {
    id: u64,
    batch: Batch,
    phase: Phase,
}

/// One `update()` run.
#[derive(Debug)]
pub struct Engine<T = SimplePublicObject> {
    config: ClientConfig,
    plan: Plan,
    inputs: Vec<SimplePublicObjectBatchInput>,
    generated_trace: Vec<bool>,
    ledger: Ledger<T>,
    queue: Vec<Batch>,
    in_flight: Vec<InFlight>,
    window: Option<RateWindow>,
    /// With a shared limiter: its permits, in place of `window`.
    permits: Option<Permits>,
    paused_until: f64,
    stop: Option<HubSpotError>,
    aborted: bool,
    stats: RunStats,
    rng: u64,
    next_id: u64,
    started_at: f64,
    url: String,
    headers: Vec<(String, String)>,
}

impl<T: Written> Engine<T> {
    /// Starts a run over validated `inputs` at time `now`. `seed` drives backoff jitter and
    /// the trace ids the engine adds to inputs that have none (so every result can be tied
    /// to its input; they are removed from the results the caller sees).
    pub fn new(
        config: ClientConfig,
        inputs: Vec<SimplePublicObjectBatchInput>,
        now: f64,
        seed: u64,
    ) -> Self {
        Self::with_plan(config, Plan::new(Operation::Update), inputs, now, seed)
    }

    /// Starts a run of `plan` (any operation) over validated `inputs` at time `now`; see
    /// [`Engine::new`].
    pub fn with_plan(
        config: ClientConfig,
        plan: Plan,
        mut inputs: Vec<SimplePublicObjectBatchInput>,
        now: f64,
        seed: u64,
    ) -> Self {
        let mut rng = seed ^ 0x9E37_79B9_7F4A_7C15;
        let prefix = trace_prefix(&inputs, &mut rng);
        let mut generated_trace = vec![false; inputs.len()];
        for ((i, input), generated) in inputs.iter_mut().enumerate().zip(&mut generated_trace) {
            if input.object_write_trace_id.is_none() {
                input.object_write_trace_id = Some(format!("{prefix}{i}"));
                *generated = true;
            }
        }
        let queue: Vec<Batch> = request::chunk_indexes(inputs.len(), plan.batch_size(&config))
            .into_iter()
            .map(|indexes| Batch {
                indexes,
                attempts: 0,
                not_before: now,
            })
            .collect();
        let stats = RunStats {
            batches: queue.len() as u32,
            ..RunStats::default()
        };
        Engine {
            window: config
                .rate_limit
                .filter(|_| !config.shared_limiter)
                .map(|r| RateWindow::new(r.requests, r.interval_ms).blind(queue.len())),
            permits: Permits::of(&config),
            url: request::url(&config, &plan),
            plan,
            headers: request::headers(&config),
            ledger: Ledger::new(inputs.len()),
            config,
            inputs,
            generated_trace,
            queue,
            in_flight: Vec::new(),
            paused_until: now,
            stop: None,
            aborted: false,
            stats,
            rng,
            next_id: 1,
            started_at: now,
        }
    }

    /// Settled, failed and total counts.
    pub fn progress(&self) -> Progress {
        self.ledger.progress()
    }

    /// Counters so far.
    pub fn stats(&self) -> &RunStats {
        &self.stats
    }

    /// What happened, at time `now`.
    pub fn handle(&mut self, now: f64, event: Event<T>) {
        let sent = matches!(event, Event::Failed { .. });
        match event {
            Event::Heard {
                id,
                status,
                meta,
                at,
            } => {
                let at = if at.is_finite() { at.min(now) } else { now };
                let Some(f) = self.in_flight.iter_mut().find(|f| f.id == id) else {
                    return;
                };
                if !matches!(f.phase, Phase::Sent { .. }) {
                    return;
                }
                if status >= 400 {
                    self.stats.error_responses += 1;
                }
                self.pace(id, &meta, at);
                self.give_back(id, Some(at));
                if let Some(f) = self.in_flight.iter_mut().find(|f| f.id == id) {
                    f.phase = Phase::Heard { status, meta };
                }
                self.arm_deadlines(now);
            }
            Event::Body { id, body } => {
                let Some(pos) = self
                    .in_flight
                    .iter()
                    .position(|f| f.id == id && matches!(f.phase, Phase::Heard { .. }))
                else {
                    return;
                };
                let f = self.in_flight.remove(pos);
                if let Phase::Heard { status, meta } = f.phase {
                    self.on_http(f.batch, status, meta, body, now);
                }
            }
            Event::Failed { id, message } | Event::NotSent { id, message } => {
                let Some(pos) = self
                    .in_flight
                    .iter()
                    .position(|f| f.id == id && matches!(f.phase, Phase::Sent { .. }))
                else {
                    return;
                };
                let f = self.in_flight.remove(pos);
                self.arm_deadlines(now);
                if let Some(w) = self.window.as_mut() {
                    w.on_answer(id, now);
                }
                // Never sent: the slot frees at once.
                self.give_back(id, sent.then_some(now));
                let reason = FailureReason::new(
                    None,
                    Category::NetworkError,
                    format!("no answer from HubSpot: {message}"),
                );
                let delay = self.backoff(f.batch.attempts);
                if sent {
                    self.retry_if_safe(f.batch, reason, now + delay);
                } else {
                    self.retry_or_fail(f.batch, reason, now + delay);
                }
            }
            Event::Aborted => self.abort(now),
            Event::Permit { id } => {
                if let Some(p) = self.permits.as_mut() {
                    p.granted(id);
                }
            }
        }
    }

    /// What to do at time `now`.
    pub fn poll(&mut self, now: f64) -> Action {
        if let Some(id) = self.expire(now) {
            return Action::Cancel(id);
        }
        // Errors are read before anything else is sent: they may stop the run or pause it.
        for f in &self.in_flight {
            if let Phase::Heard { status, .. } = f.phase {
                if !response::is_batch_status(status) {
                    return Action::Read(f.id);
                }
            }
        }
        let mut next_send = self.next_send(now);
        if let Some(p) = self.permits.as_mut() {
            next_send = p.due(next_send, !self.queue.is_empty(), now);
            if let Some((id, answered)) = p.next_release() {
                return Action::Release { id, answered };
            }
        }
        if next_send == Some(now) {
            let id = match self.permits.as_mut().map(|p| p.on_due(self.next_id)) {
                None => self.next_id,
                Some(Permit::Send(id)) => id,
                Some(Permit::Ask(id)) => {
                    self.next_id += 1;
                    return Action::Acquire(id);
                }
            };
            if let Some(out) = self.send(now, id) {
                return Action::Send(out);
            }
        }
        let on_the_wire = self
            .in_flight
            .iter()
            .any(|f| matches!(f.phase, Phase::Sent { .. }));
        let read_later = !self.queue.is_empty()
            && on_the_wire
            && next_send.is_some_and(|t| t - now > READ_LATER_MS);
        if !read_later {
            if let Some(f) = self
                .in_flight
                .iter()
                .find(|f| matches!(f.phase, Phase::Heard { .. }))
            {
                return Action::Read(f.id);
            }
        }
        let deadline = self
            .in_flight
            .iter()
            .filter_map(|f| match f.phase {
                Phase::Sent { deadline } => deadline,
                Phase::Heard { .. } => None,
            })
            .fold(f64::INFINITY, f64::min);
        let mut wake = deadline;
        if let Some(t) = next_send {
            wake = wake.min(t);
        }
        if read_later {
            // The answers waiting to be read are read before the next send is due.
            if let Some(t) = next_send {
                wake = wake.min(t - READ_LATER_MS);
            }
        }
        if wake.is_finite() {
            Action::WaitUntil(wake.max(now))
        } else if self.in_flight.is_empty() && self.queue.is_empty() {
            Action::Done
        } else {
            Action::AwaitEvent
        }
    }

    /// When the next request may leave: `None` while nothing can be sent before an event
    /// (nothing queued, `concurrency` reached, or the window waiting for answers).
    fn next_send(&mut self, now: f64) -> Option<f64> {
        if self.queue.is_empty() {
            return None;
        }
        let on_the_wire = self
            .in_flight
            .iter()
            .filter(|f| matches!(f.phase, Phase::Sent { .. }))
            .count();
        if on_the_wire >= self.config.concurrency {
            return None;
        }
        let window_free = match self.window.as_mut() {
            Some(w) => w.next_free(now)?,
            None => now,
        };
        let earliest = self
            .queue
            .iter()
            .map(|b| b.not_before)
            .fold(f64::INFINITY, f64::min);
        Some(window_free.max(self.paused_until).max(earliest).max(now))
    }

    /// Sends the first batch due as request `id` (`next_id`, or the id its permit was asked
    /// for).
    fn send(&mut self, now: f64, id: u64) -> Option<Outgoing> {
        let pos = self.queue.iter().position(|b| b.not_before <= now)?;
        let mut batch = self.queue.remove(pos);
        batch.attempts += 1;
        if batch.attempts > 1 {
            self.stats.retries += 1;
        }
        self.stats.requests += 1;
        self.next_id = self.next_id.max(id + 1);
        if let Some(w) = self.window.as_mut() {
            w.on_send(id, now);
        }
        let request = HttpRequest {
            url: self.url.clone(),
            method: "POST",
            headers: self.headers.clone(),
            body: self.body(&batch.indexes),
            input_indexes: batch.indexes.clone(),
        };
        self.in_flight.push(InFlight {
            id,
            batch,
            phase: Phase::Sent { deadline: None },
        });
        self.arm_deadlines(now);
        Some(Outgoing { id, request })
    }

    fn body(&self, indexes: &[usize]) -> RequestBody {
        request::body_of(&self.plan, &self.inputs, indexes)
    }

    /// Starts the timeouts of the oldest attempts on the wire that have none yet.
    fn arm_deadlines(&mut self, now: f64) {
        let timeout = self.config.timeout_ms;
        for f in self
            .in_flight
            .iter_mut()
            .filter(|f| matches!(f.phase, Phase::Sent { .. }))
            .take(TIMED_AT_ONCE)
        {
            if let Phase::Sent { deadline: d @ None } = &mut f.phase {
                *d = Some(now + timeout);
            }
        }
    }

    /// Settles the first attempt whose deadline has passed as a timeout.
    fn expire(&mut self, now: f64) -> Option<u64> {
        let pos = self
            .in_flight
            .iter()
            .position(|f| matches!(f.phase, Phase::Sent { deadline: Some(d) } if d <= now))?;
        let f = self.in_flight.remove(pos);
        self.arm_deadlines(now);
        if let Some(w) = self.window.as_mut() {
            w.on_answer(f.id, now);
        }
        self.give_back(f.id, Some(now));
        let reason = FailureReason::new(
            None,
            Category::Timeout,
            format!(
                "no answer within timeoutMs ({} ms)",
                self.config.timeout_ms as u64
            ),
        );
        let delay = self.backoff(f.batch.attempts);
        self.retry_if_safe(f.batch, reason, now + delay);
        Some(f.id)
    }

    /// Gives request `id`'s permit back, if a shared limiter paces the run.
    fn give_back(&mut self, id: u64, answered: Option<f64>) {
        if let Some(p) = self.permits.as_mut() {
            p.give_back(id, answered);
        }
    }

    /// The window's part of an answer heard at `heard`.
    fn pace(&mut self, id: u64, meta: &ResponseMeta, heard: f64) {
        if let Some(w) = self.window.as_mut() {
            w.on_answer(id, heard);
            w.observe(meta.rate_max, meta.rate_interval_ms, meta.rate_remaining);
            if meta.rate_remaining == Some(0) {
                // Someone else may share the account's budget: wait for a slot to free.
                let until = w.earliest_release().unwrap_or(heard + TEN_SECONDLY_MS);
                self.paused_until = self.paused_until.max(until);
            }
        }
    }

    fn on_http(&mut self, batch: Batch, status: u16, meta: ResponseMeta, body: Body<T>, now: f64) {
        let operation = self.plan.operation;
        if operation == Operation::Archive && response::is_batch_status(status) {
            // Archive answers 204 with no body: every input of the batch is archived.
            for &i in &batch.indexes {
                let id = self.inputs.get(i).map_or("", |x| x.id.as_str());
                self.ledger.settle(i, T::archived(id));
            }
            return;
        }
        let body = match body {
            Body::Batch(answer) if response::is_batch_status(status) => {
                self.ledger.apply(
                    &batch.indexes,
                    &self.inputs,
                    &self.generated_trace,
                    status,
                    answer,
                    operation,
                );
                return;
            }
            other => other,
        };
        let error = response::body_error(status, &body);
        match status {
            200..=299 | 500 | 502 | 503 | 504 => {
                let delay = self.backoff(batch.attempts);
                self.retry_if_safe(batch, FailureReason::from_error(&error), now + delay);
            }
            429 => self.on_rate_limited(batch, &meta, error, now),
            401 | 403 => self.stop_run(batch, error),
            // A client error whose JSON body was cut off says nothing reliable: the connection
            // failed mid-answer. Nothing is applied on a 4xx, so asking again is safe, and
            // failing the batch could fail valid inputs.
            400..=499 if matches!(body, Body::Unreadable(Unreadable::TruncatedJson)) => {
                let delay = self.backoff(batch.attempts);
                self.retry_or_fail(batch, FailureReason::from_error(&error), now + delay);
            }
            400 | 409 if splittable(&error) && batch.indexes.len() > 1 => {
                self.split(batch, &error, now)
            }
            0 | 300..=399 => {
                let mut message = String::from("HubSpot answered with a redirect");
                if let Some(location) = meta.location.as_deref() {
                    message.push_str(" to ");
                    message.push_str(&origin_of(location));
                }
                message
                    .push_str("; not followed, so the Authorization header stays with its origin");
                let reason = FailureReason::new(
                    (status != 0).then_some(status),
                    Category::Redirect,
                    message,
                );
                self.fail_batch(&batch, &reason);
            }
            _ => self.fail_batch(&batch, &FailureReason::from_error(&error)),
        }
    }

    fn on_rate_limited(
        &mut self,
        batch: Batch,
        meta: &ResponseMeta,
        error: HubSpotError,
        now: f64,
    ) {
        self.stats.rate_limited += 1;
        let window = match error.policy_name {
            Some(PolicyName::Daily) => return self.stop_run(batch, error),
            Some(PolicyName::Secondly) => SECONDLY_MS,
            _ => meta.rate_interval_ms.unwrap_or(TEN_SECONDLY_MS),
        };
        let wait = meta
            .retry_after
            .as_deref()
            .and_then(response::retry_after_ms)
            .unwrap_or(window)
            .clamp(0.0, response::MAX_RETRY_AFTER_MS);
        // A little jitter so clients sharing an account do not return in lockstep.
        let until = now + wait + wait * 0.05 * self.random();
        // A 429 speaks for the whole account: hold every request, not just this one.
        self.paused_until = self.paused_until.max(until);
        self.retry_or_fail(batch, FailureReason::from_error(&error), until);
    }

    /// Ends the run: no more requests; this batch and everything not yet sent fail with
    /// `error`. Requests in flight still settle with their own answers.
    fn stop_run(&mut self, batch: Batch, error: HubSpotError) {
        let reason = FailureReason::from_error(&error);
        self.fail_batch(&batch, &reason);
        for b in std::mem::take(&mut self.queue) {
            self.fail_batch(&b, &reason);
        }
        if self.stop.is_none() {
            self.stop = Some(error);
        }
    }

    fn split(&mut self, batch: Batch, error: &HubSpotError, now: f64) {
        // Pinpoint first: the inputs holding a value HubSpot named fail at once, with the
        // details that name them; the rest go again together (see `isolate`).
        if let Some(condemned) = isolate::pinpoint(&batch.indexes, &self.inputs, &error.errors) {
            let mut rest = Vec::with_capacity(batch.indexes.len());
            for &i in &batch.indexes {
                let mut details = Vec::new();
                for (c, d) in &condemned {
                    if *c == i {
                        details.push((*d).clone());
                    }
                }
                if details.is_empty() {
                    rest.push(i);
                    continue;
                }
                let mut reason = FailureReason::from_error(error);
                reason.message = String::from("Property values were not valid:");
                for d in &details {
                    reason.message.push(' ');
                    reason.message.push_str(&d.message);
                }
                reason.errors = details;
                self.ledger.fail(i, reason);
            }
            if !rest.is_empty() {
                self.stats.batches += 1;
                self.enqueue(Batch {
                    indexes: rest,
                    attempts: 0,
                    not_before: now,
                });
            }
            return;
        }
        // HubSpot names the offending properties but not the inputs. Inputs that set none of
        // them are probably valid and go together; the rest are halved until each offender
        // stands alone. This only routes requests: the verdict is always HubSpot's.
        let named: Vec<&str> = error
            .errors
            .iter()
            .filter_map(|d| d.in_.as_deref())
            .collect();
        let (suspect, clean): (Vec<usize>, Vec<usize>) = batch.indexes.iter().partition(|&&i| {
            self.inputs.get(i).is_some_and(|x| {
                x.properties
                    .0
                    .iter()
                    .any(|(k, _)| named.contains(&k.as_str()))
            })
        });
        let (first, second) = if !suspect.is_empty() && !clean.is_empty() {
            (clean, suspect)
        } else {
            let (a, b) = batch.indexes.split_at(batch.indexes.len() / 2);
            (a.to_vec(), b.to_vec())
        };
        for indexes in [first, second] {
            self.stats.batches += 1;
            self.enqueue(Batch {
                indexes,
                attempts: 0,
                not_before: now,
            });
        }
    }

    /// After a failure that may have been applied (timeout, 5xx, network error once sent,
    /// malformed 2xx): retried when sending again is safe; a create fails instead with
    /// `UNKNOWN_OUTCOME` and `mayHaveApplied`, so no record is ever created twice.
    fn retry_if_safe(&mut self, batch: Batch, reason: FailureReason, not_before: f64) {
        if self.plan.operation.resend_is_safe() {
            return self.retry_or_fail(batch, reason, not_before);
        }
        let mut unknown = FailureReason::new(
            reason.status,
            Category::UnknownOutcome,
            format!(
                "{}; HubSpot may have created these records, so they were not sent again",
                reason.message
            ),
        );
        unknown.may_have_applied = true;
        self.fail_batch(&batch, &unknown);
    }

    fn retry_or_fail(&mut self, mut batch: Batch, reason: FailureReason, not_before: f64) {
        if batch.attempts > self.config.max_retries {
            self.fail_batch(&batch, &reason);
            return;
        }
        batch.not_before = not_before;
        self.enqueue(batch);
    }

    /// Keeps the queue in input order so batches go out in order. After a stop, nothing
    /// more is queued: the batch fails with the stop's reason.
    fn enqueue(&mut self, batch: Batch) {
        if let Some(stop) = &self.stop {
            let reason = FailureReason::from_error(stop);
            self.fail_batch(&batch, &reason);
            return;
        }
        let first = batch.indexes.first().copied().unwrap_or(0);
        let pos = self
            .queue
            .iter()
            .position(|b| b.indexes.first().copied().unwrap_or(0) > first)
            .unwrap_or(self.queue.len());
        self.queue.insert(pos, batch);
    }

    fn fail_batch(&mut self, batch: &Batch, reason: &FailureReason) {
        for &i in &batch.indexes {
            self.ledger.fail(i, reason.clone());
        }
    }

    /// Exponential backoff with jitter: the n-th attempt waits between half and all of
    /// `BACKOFF_BASE_MS * 2^(n-1)`, capped at `BACKOFF_MAX_MS`.
    fn backoff(&mut self, attempts: u32) -> f64 {
        let exp = attempts.saturating_sub(1).min(16);
        let full = (BACKOFF_BASE_MS * f64::from(1u32 << exp)).min(BACKOFF_MAX_MS);
        full / 2.0 + full / 2.0 * self.random()
    }

    /// xorshift64*: a uniform number in [0, 1).
    fn random(&mut self) -> f64 {
        self.rng = next_random(self.rng);
        (self.rng >> 11) as f64 / (1u64 << 53) as f64
    }

    /// Whatever is not settled fails with `ABORTED`. Inputs of requests in flight may or
    /// may not have been applied by HubSpot; their message says so.
    fn abort(&mut self, now: f64) {
        self.aborted = true;
        let mut in_flight = FailureReason::new(
            None,
            Category::Aborted,
            "aborted while its request was in flight; HubSpot may or may not have applied it",
        );
        in_flight.may_have_applied = !self.plan.operation.resend_is_safe();
        for f in std::mem::take(&mut self.in_flight) {
            if matches!(f.phase, Phase::Sent { .. }) {
                self.give_back(f.id, Some(now));
            }
            self.fail_batch(&f.batch, &in_flight);
        }
        let reason = FailureReason::new(
            None,
            Category::Aborted,
            "aborted before this input was sent",
        );
        for b in std::mem::take(&mut self.queue) {
            self.fail_batch(&b, &reason);
        }
    }

    /// Whether [`Event::Aborted`] ended the run.
    pub fn aborted(&self) -> bool {
        self.aborted
    }

    /// The result at time `now`. `Err` when a 401, 403 or daily limit stopped the run before
    /// anything was updated (contract point 6). After an abort: the result, `CANCELED`.
    pub fn finish(self, now: f64) -> Result<BatchUpdateResult<T>, HubSpotError> {
        if let Some(stop) = &self.stop {
            if self.ledger.updated() == 0 && !self.aborted {
                return Err(stop.clone());
            }
        }
        let status = if self.stop.is_some() || self.aborted {
            BatchStatus::Canceled
        } else {
            BatchStatus::Complete
        };
        let mut stats = self.stats;
        stats.duration_ms = (now - self.started_at).max(0.0);
        let (results, failed, errors) = self.ledger.finish(&self.inputs);
        let started = crate::time::iso8601(self.started_at);
        Ok(BatchUpdateResult {
            status,
            results,
            num_errors: errors.len(),
            errors,
            requested_at: Some(started.clone()),
            started_at: started,
            completed_at: crate::time::iso8601(now),
            failed,
            stats,
        })
    }
}

fn next_random(mut x: u64) -> u64 {
    if x == 0 {
        x = 0x2545_F491_4F6C_DD1D;
    }
    x ^= x >> 12;
    x ^= x << 25;
    x ^= x >> 27;
    x.wrapping_mul(0x2545_F491_4F6C_DD1D)
}

/// A trace-id prefix that no caller-given trace id starts with.
fn trace_prefix(inputs: &[SimplePublicObjectBatchInput], rng: &mut u64) -> String {
    loop {
        *rng = next_random(*rng);
        let prefix = format!("hsb-{:08x}-", *rng >> 32);
        let clash = inputs
            .iter()
            .filter_map(|x| x.object_write_trace_id.as_deref())
            .any(|t| t.starts_with(&prefix));
        if !clash {
            return prefix;
        }
    }
}

/// Whether a whole-batch rejection may be caused by individual inputs, so splitting helps.
fn splittable(error: &HubSpotError) -> bool {
    matches!(
        error.category,
        Some(Category::ValidationError) | Some(Category::Conflict)
    )
}

/// `scheme://host[:port]` of a URL, so messages never carry a path or query.
fn origin_of(url: &str) -> String {
    // The byte helpers of `crate::text`: std's substring search is ~1.5 KB of wasm.
    match crate::text::split_once(url, "://") {
        Some((scheme, rest)) => {
            let end = crate::text::find_any(rest, b"/?#").unwrap_or(rest.len());
            let authority = rest.get(..end).unwrap_or_default();
            let host = crate::text::rsplit_once(authority, "@").map_or(authority, |(_, h)| h);
            format!("{scheme}://{host}")
        }
        None => "another location".to_owned(),
    }
}

#[cfg(test)]
mod tests;
