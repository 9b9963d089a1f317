//! The run as a state machine.
//!
//! The driver (the wasm glue, or a Rust caller) asks [`Engine::poll`] what to do, performs it
//! (send a request, wait until a time, wait for an answer), and feeds back answers with
//! [`Engine::on_answer`]. Time comes in as epoch milliseconds and randomness from a seed,
//! so every fault order and clock can be replayed in `cargo test` without a server.

mod ledger;
pub mod prepared;
mod window;

pub use ledger::{Ledger, Updated};
pub use prepared::PreparedInput;
pub use window::RateWindow;

use crate::config::ClientConfig;
use crate::error::HubSpotError;
use crate::model::{BatchStatus, SimplePublicObjectBatchInput};
use crate::report::{BatchUpdateResult, FailureReason, Progress, RunStats};
use crate::request::{self, HttpRequest};
use crate::response::{self, Body, ResponseMeta};

/// First retry delay for server errors, network errors and timeouts.
pub const BACKOFF_BASE_MS: f64 = 500.0;
/// Longest backoff between two attempts.
pub const BACKOFF_MAX_MS: f64 = 30_000.0;
/// HubSpot's window for `TEN_SECONDLY_ROLLING` when its answer does not say.
pub const TEN_SECONDLY_MS: f64 = 10_000.0;
/// HubSpot's window for `SECONDLY`.
pub const SECONDLY_MS: f64 = 1_000.0;

/// What the driver should do next.
#[derive(Clone, Debug, PartialEq)]
pub enum Action {
    /// Send this request now, then poll again.
    Send(Outgoing),
    /// Nothing can be sent before this time: wait until then, or until an answer arrives.
    WaitUntil(f64),
    /// Nothing can be sent until an answer arrives.
    AwaitAnswer,
    /// The run is over: call [`Engine::finish`].
    Done,
}

/// A request to send, with the id to report its answer under.
#[derive(Clone, Debug, PartialEq)]
pub struct Outgoing {
    /// Pass back to [`Engine::on_answer`].
    pub id: u64,
    /// What to send.
    pub request: HttpRequest,
}

/// How an attempt ended.
#[derive(Clone, Debug, PartialEq)]
#[allow(clippy::large_enum_variant)] // one per answer, moved once; boxing buys nothing
pub enum Outcome {
    /// An HTTP answer.
    Http {
        /// Status code (0 for a browser's opaque redirect).
        status: u16,
        /// The headers the engine reads.
        meta: ResponseMeta,
        /// The body, read by the transport.
        body: Body,
    },
    /// No HTTP answer (connection refused or reset, DNS, CORS refusal...). The text is the
    /// runtime's message, which must not contain the token.
    Network(String),
    /// The attempt exceeded `timeoutMs` and was aborted.
    Timeout,
}

#[derive(Clone, Debug, PartialEq)]
struct Batch {
    indexes: Vec<usize>,
    /// Attempts made so far.
    attempts: u32,
    not_before: f64,
    /// The request body, once encoded (by [`Engine::prepare`], or at the first send); a
    /// retry sends the same one.
    body: Option<String>,
}

#[derive(Clone, Debug, PartialEq)]
struct InFlight {
    id: u64,
    batch: Batch,
    /// Its answer's headers have arrived ([`Engine::on_headers`]); the body may be read later.
    heard: bool,
}

/// One `update()` run.
#[derive(Debug)]
pub struct Engine {
    config: ClientConfig,
    inputs: Vec<PreparedInput>,
    generated_trace: Vec<bool>,
    ledger: Ledger,
    queue: Vec<Batch>,
    in_flight: Vec<InFlight>,
    window: Option<RateWindow>,
    paused_until: f64,
    stop: Option<HubSpotError>,
    stats: RunStats,
    rng: u64,
    next_id: u64,
    started_at: f64,
    url: String,
    headers: Vec<(String, String)>,
}

impl Engine {
    /// Starts a run over validated `inputs` at time `now`. `seed` drives backoff jitter and
    /// the trace ids the engine adds to inputs that have none (so every result can be tied
    /// to its input; they are removed from the results the caller sees).
    pub fn new(
        config: ClientConfig,
        inputs: Vec<SimplePublicObjectBatchInput>,
        now: f64,
        seed: u64,
    ) -> Self {
        let mut prepared = Vec::with_capacity(inputs.len());
        for input in &inputs {
            prepared.push(PreparedInput::from_model(input));
        }
        Self::with_prepared(config, prepared, now, seed)
    }

    /// [`Engine::new`] over inputs already prepared (see [`PreparedInput`]): what the wasm
    /// glue's fast path reads straight from `JSON.stringify(inputs)`.
    pub fn with_prepared(
        config: ClientConfig,
        mut inputs: Vec<PreparedInput>,
        now: f64,
        seed: u64,
    ) -> Self {
        let mut rng = seed ^ 0x9E37_79B9_7F4A_7C15;
        let prefix = trace_prefix(&inputs, &mut rng);
        let mut generated_trace = vec![false; inputs.len()];
        for (i, input) in inputs.iter_mut().enumerate() {
            if input.object_write_trace_id.is_none() {
                // Not format!: this runs once per input before the first request leaves.
                let mut id = String::with_capacity(prefix.len() + 6);
                id.push_str(&prefix);
                crate::json::write_int(&mut id, i as u64, false);
                input.object_write_trace_id = Some(id);
                if let Some(g) = generated_trace.get_mut(i) {
                    *g = true;
                }
            }
        }
        // A loop over `iter_mut` + `mem::take`, not `into_iter().map().collect()`: that links
        // an in-place collect and an `IntoIter<Vec<usize>>` drop for this one use.
        let mut chunks = request::chunk_indexes(inputs.len(), config.batch_size);
        let mut queue = Vec::with_capacity(chunks.len());
        for indexes in chunks.iter_mut() {
            queue.push(Batch {
                indexes: std::mem::take(indexes),
                attempts: 0,
                not_before: now,
                body: None,
            });
        }
        let stats = RunStats {
            batches: queue.len() as u32,
            ..RunStats::default()
        };
        Engine {
            window: config
                .rate_limit
                .map(|r| RateWindow::new(r.requests, r.interval_ms)),
            url: request::batch_update_url(&config),
            headers: request::headers(&config),
            ledger: Ledger::new(inputs.len()),
            config,
            inputs,
            generated_trace,
            queue,
            in_flight: Vec::new(),
            paused_until: now,
            stop: None,
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

    /// The objects of the inputs updated since the last call, with their input positions (in
    /// the order they were updated, not input order) and where each stood in its answer.
    /// Taken objects are left out of [`Engine::finish`]'s `results`: a driver that converts
    /// them as they come puts them back in input order itself (the wasm glue does, so the
    /// last answer leaves little to convert and no second copy is kept).
    pub fn take_updated(&mut self) -> Updated {
        self.ledger.take_updated()
    }

    /// Counters so far.
    pub fn stats(&self) -> &RunStats {
        &self.stats
    }

    /// Number of requests awaiting an answer.
    pub fn in_flight(&self) -> usize {
        self.in_flight.len()
    }

    /// What to do at time `now`.
    pub fn poll(&mut self, now: f64) -> Action {
        if self.queue.is_empty() {
            return if self.in_flight.is_empty() {
                Action::Done
            } else {
                Action::AwaitAnswer
            };
        }
        // Requests whose answers have arrived but wait to be read are no longer on the wire.
        if self.in_flight.iter().filter(|f| !f.heard).count() >= self.config.concurrency {
            return Action::AwaitAnswer;
        }
        let window_free = match self.window.as_mut() {
            Some(w) => w.next_free(now),
            None => Some(now),
        };
        let Some(window_free) = window_free else {
            return Action::AwaitAnswer;
        };
        let gate = window_free.max(self.paused_until);
        let earliest = self
            .queue
            .iter()
            .map(|b| b.not_before)
            .fold(f64::INFINITY, f64::min);
        let at = gate.max(earliest);
        if at > now {
            return Action::WaitUntil(at);
        }
        let Some(pos) = self.queue.iter().position(|b| b.not_before <= now) else {
            return Action::WaitUntil(earliest);
        };
        let mut batch = self.queue.remove(pos);
        batch.attempts += 1;
        if batch.attempts > 1 {
            self.stats.retries += 1;
        }
        self.stats.requests += 1;
        let id = self.next_id;
        self.next_id += 1;
        if let Some(w) = self.window.as_mut() {
            w.on_send(id);
        }
        let body = match &batch.body {
            Some(body) => body.clone(),
            None => {
                let body = self.encode(&batch.indexes);
                batch.body = Some(body.clone());
                body
            }
        };
        let request = HttpRequest {
            url: self.url.clone(),
            method: "POST",
            headers: self.headers.clone(),
            body,
            input_indexes: batch.indexes.clone(),
        };
        self.in_flight.push(InFlight {
            id,
            batch,
            heard: false,
        });
        Action::Send(Outgoing { id, request })
    }

    fn encode(&self, indexes: &[usize]) -> String {
        prepared::encode_body(indexes.iter().filter_map(|&i| self.inputs.get(i)))
    }

    /// Encodes ahead the bodies of the next requests to send (as many as may be in flight at
    /// once), and returns how many it encoded. For a driver with time on its hands (waiting
    /// for the window with nothing in flight): the next window then leaves at the pace of its
    /// slots, without building each body as its slot frees.
    pub fn prepare(&mut self) -> usize {
        let mut done = 0;
        for pos in 0..self.queue.len().min(self.config.concurrency) {
            let Some(batch) = self.queue.get(pos) else {
                break;
            };
            if batch.body.is_none() {
                let body = self.encode(&batch.indexes);
                if let Some(batch) = self.queue.get_mut(pos) {
                    batch.body = Some(body);
                }
                done += 1;
            }
        }
        done
    }

    /// Requests waiting to be sent (first attempts, retries and split halves).
    pub fn queued(&self) -> usize {
        self.queue.len()
    }

    /// The status line and headers of request `id`'s answer arrived at `heard`: everything
    /// pacing needs (its slot frees one interval after `heard`, HubSpot's rate-limit headers
    /// are read). The outcome itself follows with [`Engine::on_answer_heard`], so a driver may
    /// put off reading a large body while it has better things to do; meanwhile the request
    /// no longer counts against `concurrency`. Unknown ids are ignored.
    pub fn on_headers(&mut self, id: u64, meta: &ResponseMeta, heard: f64) {
        let Some(f) = self.in_flight.iter_mut().find(|f| f.id == id) else {
            return;
        };
        if !heard.is_finite() {
            return; // on_answer_heard will take `now` instead
        }
        f.heard = true;
        self.pace(id, meta, heard);
    }

    /// The window's part of an HTTP answer heard at `heard`. Idempotent.
    fn pace(&mut self, id: u64, meta: &ResponseMeta, heard: f64) {
        if let Some(w) = self.window.as_mut() {
            w.on_answer(id, heard);
            w.observe(meta.rate_max, meta.rate_interval_ms);
            if meta.rate_remaining == Some(0) {
                // Someone else may share the account's budget: wait for a slot to free.
                let until = w.earliest_release().unwrap_or(heard + TEN_SECONDLY_MS);
                self.paused_until = self.paused_until.max(until);
            }
        }
    }

    /// Feeds back how request `id` ended, at time `now`. Unknown ids are ignored.
    pub fn on_answer(&mut self, id: u64, outcome: Outcome, now: f64) {
        self.on_answer_heard(id, outcome, now, now);
    }

    /// [`Engine::on_answer`] for a driver that knows when the answer reached it: `heard` is
    /// when its status line and headers arrived (for a failure, when the failure was seen),
    /// `now` is later, once its body was read. Pacing counts from `heard`, which is safe
    /// because HubSpot counted the request before it answered; a `heard` after `now` is
    /// taken as `now`.
    pub fn on_answer_heard(&mut self, id: u64, outcome: Outcome, heard: f64, now: f64) {
        let Some(pos) = self.in_flight.iter().position(|f| f.id == id) else {
            return;
        };
        let InFlight { batch, .. } = self.in_flight.remove(pos);
        let heard = heard.min(now);
        match outcome {
            Outcome::Http { status, meta, body } => {
                self.pace(id, &meta, heard);
                self.on_http(batch, status, meta, body, now)
            }
            Outcome::Network(message) => {
                if let Some(w) = self.window.as_mut() {
                    w.on_answer(id, heard);
                }
                let reason = FailureReason::new(
                    None,
                    "NETWORK_ERROR",
                    format!("no answer from HubSpot: {message}"),
                );
                let delay = self.backoff(batch.attempts);
                self.retry_or_fail(batch, reason, now + delay);
            }
            Outcome::Timeout => {
                if let Some(w) = self.window.as_mut() {
                    w.on_answer(id, heard);
                }
                // Not format!: `u64` Display is linked for this message alone.
                let mut message = String::from("no answer within timeoutMs (");
                crate::json::write_int(&mut message, self.config.timeout_ms as u64, false);
                message.push_str(" ms)");
                let reason = FailureReason::new(None, "TIMEOUT", message);
                let delay = self.backoff(batch.attempts);
                self.retry_or_fail(batch, reason, now + delay);
            }
        }
    }

    fn on_http(&mut self, batch: Batch, status: u16, meta: ResponseMeta, body: Body, now: f64) {
        let body = match body {
            Body::Batch(answer) if response::is_batch_status(status) => {
                self.ledger.apply(
                    &batch.indexes,
                    &self.inputs,
                    &self.generated_trace,
                    status,
                    answer,
                );
                return;
            }
            other => other,
        };
        let error = response::body_error(status, &body);
        match status {
            200 | 207 => {
                let delay = self.backoff(batch.attempts);
                self.retry_or_fail(batch, FailureReason::from_error(&error), now + delay);
            }
            429 => self.on_rate_limited(batch, &meta, error, now),
            500 | 502 | 503 | 504 => {
                let delay = self.backoff(batch.attempts);
                self.retry_or_fail(batch, FailureReason::from_error(&error), now + delay);
            }
            401 | 403 => self.stop_run(batch, error),
            // A client error whose JSON body was cut off says nothing reliable: the connection
            // failed mid-answer. Nothing is applied on a 4xx, so asking again is safe, and
            // failing the batch could fail valid inputs.
            400..=499 if matches!(&body, Body::Unreadable(why) if why == response::TRUNCATED_JSON) =>
            {
                let delay = self.backoff(batch.attempts);
                self.retry_or_fail(batch, FailureReason::from_error(&error), now + delay);
            }
            400 | 409 if splittable(&error) && batch.indexes.len() > 1 => {
                self.split(batch, &error, now)
            }
            0 | 300..=399 => {
                // Pieces pushed, not two `format!`s.
                let mut message = String::from("HubSpot answered with a redirect");
                if let Some(location) = meta.location.as_deref() {
                    message.push_str(" to ");
                    message.push_str(&origin_of(location));
                }
                message
                    .push_str("; not followed, so the Authorization header stays with its origin");
                let reason =
                    FailureReason::new((status != 0).then_some(status), "REDIRECT", message);
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
        let policy = error.policy_name.as_deref().unwrap_or("");
        if policy == "DAILY" {
            return self.stop_run(batch, error);
        }
        let window = match policy {
            "SECONDLY" => SECONDLY_MS,
            _ => meta.rate_interval_ms.unwrap_or(TEN_SECONDLY_MS),
        };
        // Capped like Retry-After: a hostile or broken header must not park the run forever
        // (or overflow a JS timer, which then fires at once and spins).
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
        // By reference: `for b in vec` links an `IntoIter<Batch>` drop.
        let queue = std::mem::take(&mut self.queue);
        for b in &queue {
            self.fail_batch(b, &reason);
        }
        if self.stop.is_none() {
            self.stop = Some(error);
        }
    }

    fn split(&mut self, batch: Batch, error: &HubSpotError, now: f64) {
        // HubSpot names the offending properties but not the inputs. Inputs that set none of
        // them are probably valid and go together; the rest are halved until each offender
        // stands alone. This only routes requests: the verdict is always HubSpot's.
        // Loops rather than `filter_map().collect()`, `partition` and `for x in vec![..]`:
        // each of those links its own generic instance for this one use.
        let mut named: Vec<&str> = Vec::new();
        for d in &error.errors {
            if let Some(n) = d.in_.as_deref() {
                named.push(n);
            }
        }
        let mut suspect = Vec::new();
        let mut clean = Vec::new();
        for &i in &batch.indexes {
            let hit = self.inputs.get(i).is_some_and(|x| x.sets_any(&named));
            if hit {
                suspect.push(i);
            } else {
                clean.push(i);
            }
        }
        let (first, second) = if !suspect.is_empty() && !clean.is_empty() {
            (clean, suspect)
        } else {
            let mid = batch.indexes.len() / 2;
            let (a, b) = batch.indexes.split_at(mid);
            (a.to_vec(), b.to_vec())
        };
        self.enqueue_part(first, now);
        self.enqueue_part(second, now);
    }

    fn enqueue_part(&mut self, indexes: Vec<usize>, now: f64) {
        self.stats.batches += 1;
        self.enqueue(Batch {
            indexes,
            attempts: 0,
            not_before: now,
            body: None,
        });
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

    /// Ends the run after the caller aborted: whatever is not settled fails with `ABORTED`.
    /// Inputs of requests in flight may or may not have been applied by HubSpot; their
    /// message says so.
    pub fn abort(&mut self) {
        let in_flight = std::mem::take(&mut self.in_flight);
        for f in &in_flight {
            self.fail_batch(
                &f.batch,
                &FailureReason::new(
                    None,
                    "ABORTED",
                    "aborted while its request was in flight; HubSpot may or may not have applied it",
                ),
            );
        }
        let reason = FailureReason::new(None, "ABORTED", "aborted before this input was sent");
        let queue = std::mem::take(&mut self.queue);
        for b in &queue {
            self.fail_batch(b, &reason);
        }
    }

    /// The result at time `now`. `Err` when a 401, 403 or daily limit stopped the run before
    /// anything was updated (contract point 6).
    pub fn finish(self, now: f64) -> Result<BatchUpdateResult, HubSpotError> {
        if let Some(stop) = &self.stop {
            if self.ledger.updated() == 0 {
                return Err(stop.clone());
            }
        }
        let status = if self.stop.is_some() {
            BatchStatus::Canceled
        } else {
            BatchStatus::Complete
        };
        Ok(self.into_result(status, now))
    }

    /// The result, whatever state the run is in (used after an abort).
    pub fn into_result(self, status: BatchStatus, now: f64) -> BatchUpdateResult {
        let mut stats = self.stats;
        stats.duration_ms = (now - self.started_at).max(0.0);
        let (results, failed, errors) = self.ledger.finish(&self.inputs);
        let started = crate::time::iso8601(self.started_at);
        BatchUpdateResult {
            status,
            results,
            num_errors: errors.len(),
            errors,
            requested_at: Some(started.clone()),
            started_at: started,
            completed_at: crate::time::iso8601(now),
            failed,
            stats,
        }
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
fn trace_prefix(inputs: &[PreparedInput], rng: &mut u64) -> String {
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
        error.category.as_deref(),
        Some("VALIDATION_ERROR") | Some("CONFLICT")
    )
}

/// `scheme://host[:port]` of a URL, so messages never carry a path or query.
fn origin_of(url: &str) -> String {
    match crate::text::split_once(url, "://") {
        Some((scheme, rest)) => {
            let end = crate::text::find_any(rest, b"/?#").unwrap_or(rest.len());
            let authority = rest.get(..end).unwrap_or_default();
            // No `char` pattern (`rsplit('@')`): it links std's searcher and `memrchr`.
            let host = crate::text::rsplit_once(authority, "@").map_or(authority, |(_, h)| h);
            format!("{scheme}://{host}")
        }
        None => "another location".to_owned(),
    }
}

#[cfg(test)]
mod tests;
