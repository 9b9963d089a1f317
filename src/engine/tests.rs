//! The engine against a simulated HubSpot on a virtual clock: every fault, every order,
//! no server and no waiting.

use std::collections::{BTreeMap, BTreeSet};

use proptest::prelude::*;

use super::*;
use crate::config::{ClientConfig, RateLimit};
use crate::model::{
    self, BatchInputSimplePublicObjectBatchInput, BatchResponse, Map, SimplePublicObject,
    StandardError,
};

/// What the simulated HubSpot does with one request.
#[derive(Clone, Debug, PartialEq)]
enum Fault {
    None,
    Status(u16),
    RateLimit(&'static str, Option<&'static str>),
    Network,
    /// No answer at all: the engine must time the attempt out itself.
    Timeout,
    Malformed {
        applied: bool,
    },
    ApplyThen500,
}

/// How one request ends, as a transport sees it: an HTTP answer (its body read with the
/// same reader a Rust driver uses), no answer, or silence.
#[derive(Clone, Debug, PartialEq)]
#[allow(clippy::large_enum_variant)] // one per request, moved once
enum Reply {
    Http {
        status: u16,
        meta: ResponseMeta,
        body: Body,
    },
    Network(String),
    Silence,
}

struct Sim {
    existing: BTreeSet<String>,
    /// Property values HubSpot refuses (any input carrying one sinks its batch).
    invalid_values: BTreeSet<String>,
    /// Drop unknown ids silently (200) instead of 207 errors.
    omit_unknown: bool,
    /// Echo trace ids on results.
    echo_trace: bool,
    script: Vec<Fault>,
    latency: f64,
    /// Server-side rolling window (arrival times), to count 429s we caused.
    limit: Option<(usize, f64)>,
    arrivals: Vec<f64>,
    applied: BTreeMap<String, u32>,
    pub window_429s: u32,
    pub requests: u32,
    pub attempts_per_body: BTreeMap<String, u32>,
    /// Every request's input positions and body text, in the order they arrived.
    pub bodies: Vec<(Vec<usize>, String)>,
    /// Answers carry `X-HubSpot-RateLimit-Max` and `-Interval-Milliseconds` of `limit`.
    rate_headers: bool,
    /// A 400 names the first bad value only, in HubSpot's words (`x was not one of the
    /// allowed options: [...]`); otherwise every bad property, with no value.
    name_first_value: bool,
}

impl Sim {
    fn new(n: usize) -> Self {
        Sim {
            existing: (0..n).map(|i| i.to_string()).collect(),
            invalid_values: BTreeSet::new(),
            omit_unknown: false,
            echo_trace: true,
            script: Vec::new(),
            latency: 50.0,
            limit: None,
            arrivals: Vec::new(),
            applied: BTreeMap::new(),
            window_429s: 0,
            requests: 0,
            attempts_per_body: BTreeMap::new(),
            bodies: Vec::new(),
            rate_headers: false,
            name_first_value: false,
        }
    }

    /// [`Sim::respond`], plus HubSpot's rate-limit headers when `rate_headers` is set.
    fn respond_with_headers(&mut self, req: &HttpRequest, now: f64) -> Reply {
        let mut reply = self.respond(req, now);
        if let (true, Some((limit, interval)), Reply::Http { meta, .. }) =
            (self.rate_headers, self.limit, &mut reply)
        {
            meta.rate_max = Some(limit as u32);
            meta.rate_interval_ms = Some(interval);
            meta.rate_remaining = Some(limit.saturating_sub(self.arrivals.len()) as u32);
        }
        reply
    }

    fn respond(&mut self, req: &HttpRequest, now: f64) -> Reply {
        self.requests += 1;
        // What goes on the wire: the body as JSON text.
        let text = req.body_json();
        *self.attempts_per_body.entry(text.clone()).or_default() += 1;
        self.bodies.push((req.input_indexes.clone(), text.clone()));
        let fault = if self.script.is_empty() {
            Fault::None
        } else {
            self.script.remove(0)
        };
        if let Some((limit, interval)) = self.limit {
            self.arrivals.retain(|t| *t > now - interval);
            if self.arrivals.len() >= limit {
                self.window_429s += 1;
                return rate_limited("TEN_SECONDLY_ROLLING", None);
            }
            self.arrivals.push(now);
        }
        let body: BatchInputSimplePublicObjectBatchInput = serde_json::from_str(&text).unwrap();
        match fault {
            Fault::None => self.apply(body),
            Fault::Status(s) => error_reply(s, "SERVER_ERROR", "boom"),
            Fault::RateLimit(policy, retry_after) => rate_limited(policy, retry_after),
            Fault::Network => Reply::Network("connection reset".into()),
            Fault::Timeout => Reply::Silence,
            Fault::Malformed { applied } => {
                let whole = self.apply_text(body, applied);
                // The connection broke mid-body.
                let cut = whole.get(..whole.len() / 2).unwrap_or_default();
                Reply::Http {
                    status: 200,
                    meta: ResponseMeta::default(),
                    body: response::read_body(200, cut),
                }
            }
            Fault::ApplyThen500 => {
                let _ = self.apply(body);
                error_reply(500, "SERVER_ERROR", "boom")
            }
        }
    }

    /// The text of the answer HubSpot would give to `body` (applying it when `applied`).
    fn apply_text(
        &mut self,
        body: BatchInputSimplePublicObjectBatchInput,
        applied: bool,
    ) -> String {
        let existing = self.existing.clone();
        let reply = if applied {
            self.apply(body)
        } else {
            // Not applied: the answer it would have been, without touching `applied`.
            let mut dry = Sim::new(0);
            dry.existing = existing;
            dry.apply(body)
        };
        match reply {
            Reply::Http {
                body: Body::Batch(b),
                ..
            } => serde_json::to_string(&b).unwrap(),
            Reply::Http {
                body: Body::Error(e),
                ..
            } => serde_json::to_string(&e).unwrap(),
            other => panic!("no text for {other:?}"),
        }
    }

    fn apply(&mut self, body: BatchInputSimplePublicObjectBatchInput) -> Reply {
        let bad: Vec<(String, String)> = body
            .inputs
            .iter()
            .flat_map(|i| i.properties.0.iter())
            .filter(|(_, v)| self.invalid_values.contains(v))
            .cloned()
            .collect();
        if !bad.is_empty() {
            let details: Vec<String> = if self.name_first_value {
                bad.iter().take(1).map(|(k, v)| format!(r#"{{"isValid":false,"message":"{v} was not one of the allowed options: [a, b]","error":"INVALID_OPTION","name":"{k}"}}"#)).collect()
            } else {
                bad.iter()
                    .map(|(k, _)| format!(r#"{{"isValid":false,"message":"bad value","error":"INVALID_OPTION","name":"{k}"}}"#))
                    .collect()
            };
            return error_reply(
                400,
                "VALIDATION_ERROR",
                &format!("Property values were not valid: [{}]", details.join(",")),
            );
        }
        let mut results = Vec::new();
        let mut unknown = Vec::new();
        for input in body.inputs {
            if self.existing.contains(&input.id) {
                *self.applied.entry(input.id.clone()).or_default() += 1;
                results.push(SimplePublicObject {
                    archived: false,
                    archived_at: None,
                    created_at: "c".into(),
                    id: input.id.clone(),
                    object_write_trace_id: if self.echo_trace {
                        input.object_write_trace_id.clone()
                    } else {
                        None
                    },
                    properties: Map(input
                        .properties
                        .0
                        .iter()
                        .map(|(k, v)| (k.clone(), Some(v.clone())))
                        .collect()),
                    properties_with_history: None,
                    updated_at: "u".into(),
                    url: None,
                    warnings: None,
                });
            } else {
                unknown.push(input.id.clone());
            }
        }
        results.reverse(); // HubSpot does not keep order.
        let (status, errors) = if unknown.is_empty() || self.omit_unknown {
            (200, vec![])
        } else {
            (
                207,
                vec![StandardError {
                    category: Category::ObjectNotFound,
                    context: Map(vec![("ids".into(), unknown)]),
                    errors: vec![],
                    id: None,
                    links: Map::new(),
                    message: "Could not get some DEAL objects".into(),
                    status: "error".into(),
                    sub_category: None,
                    object_write_trace_id: None,
                }],
            )
        };
        let answer = BatchResponse {
            completed_at: "b".into(),
            num_errors: errors.len() as i32,
            errors,
            links: None,
            requested_at: None,
            results,
            started_at: "a".into(),
            status: BatchStatus::Complete,
        };
        Reply::Http {
            status,
            meta: ResponseMeta::default(),
            body: response::read_body(status, &serde_json::to_string(&answer).unwrap()),
        }
    }
}

/// HubSpot's error body for `status`, written as JSON and read back as a driver reads it.
fn error_reply(status: u16, category: &str, message: &str) -> Reply {
    let body = model::Error {
        category: Category::parse(category),
        correlation_id: "corr-1".into(),
        message: message.into(),
        ..model::Error::default()
    };
    Reply::Http {
        status,
        meta: ResponseMeta::default(),
        body: response::read_body(status, &serde_json::to_string(&body).unwrap()),
    }
}

fn rate_limited(policy: &str, retry_after: Option<&str>) -> Reply {
    let body = model::Error {
        category: Category::RateLimits,
        correlation_id: "corr-429".into(),
        message: "You have reached your limit.".into(),
        policy_name: Some(PolicyName::parse(policy)),
        error_type: Some("RATE_LIMIT".into()),
        ..model::Error::default()
    };
    Reply::Http {
        status: 429,
        meta: ResponseMeta {
            retry_after: retry_after.map(str::to_owned),
            ..ResponseMeta::default()
        },
        body: response::read_body(429, &serde_json::to_string(&body).unwrap()),
    }
}

fn inputs(n: usize) -> Vec<SimplePublicObjectBatchInput> {
    (0..n)
        .map(|i| SimplePublicObjectBatchInput {
            id: i.to_string(),
            properties: Map(vec![("dealname".into(), format!("Deal {i}"))]),
            id_property: None,
            object_write_trace_id: None,
        })
        .collect()
}

/// An engine over the whole `SimplePublicObject`, as a Rust caller holds it.
fn new_engine(
    config: ClientConfig,
    inputs: Vec<SimplePublicObjectBatchInput>,
    now: f64,
    seed: u64,
) -> Engine {
    Engine::new(config, inputs, now, seed)
}

/// The first action at `now`, which must be a request.
fn send(engine: &mut Engine, now: f64) -> Outgoing {
    match engine.poll(now) {
        Action::Send(out) => out,
        other => panic!("expected a request at {now}, got {other:?}"),
    }
}

/// Tells the engine how request `id` ended, at `now`: for an HTTP answer its headers
/// (`Heard`), then, once the engine asks for it (`Read`), its body. Requests the engine sends
/// meanwhile are returned; any other action before the `Read` fails the test.
fn reply_to(engine: &mut Engine, now: f64, id: u64, reply: Reply) -> Vec<Outgoing> {
    let mut sent = Vec::new();
    if let Some(body) = hear(engine, now, id, now, reply) {
        loop {
            match engine.poll(now) {
                Action::Read(r) if r == id => break,
                Action::Send(out) => sent.push(out),
                other => panic!("expected Read({id}) at {now}, got {other:?}"),
            }
        }
        engine.handle(now, Event::Body { id, body });
    }
    sent
}

/// Tells the engine what a transport reports first about request `id`: an HTTP answer's
/// headers, heard at `at` (its body is returned, to be handed over when the engine asks for
/// it), a network failure, or nothing at all (both `None`).
fn hear(engine: &mut Engine, now: f64, id: u64, at: f64, reply: Reply) -> Option<Body> {
    match reply {
        Reply::Http { status, meta, body } => {
            engine.handle(
                now,
                Event::Heard {
                    id,
                    status,
                    meta,
                    at,
                },
            );
            Some(body)
        }
        Reply::Network(message) => {
            engine.handle(now, Event::Failed { id, message });
            None
        }
        Reply::Silence => None,
    }
}

struct Run {
    result: Result<BatchUpdateResult, HubSpotError>,
    end: f64,
}

/// Drives the engine against the simulator on a virtual clock, as a driver does: performs
/// every action, checks it is one a driver can perform (no read of an answer not heard, no
/// cancel of an attempt not on the wire, no wait into the past, never more on the wire than
/// `concurrency`), and hands late answers to attempts the engine cancelled back to it (they
/// must change nothing).
fn drive(config: ClientConfig, inputs: Vec<SimplePublicObjectBatchInput>, sim: &mut Sim) -> Run {
    let concurrency = config.concurrency;
    let mut engine = new_engine(config, inputs, 0.0, 7);
    let mut now = 0.0;
    // (due, id, reply)
    let mut pending: Vec<(f64, u64, Reply)> = Vec::new();
    let mut on_wire: BTreeSet<u64> = BTreeSet::new();
    let mut cancelled: BTreeSet<u64> = BTreeSet::new();
    let mut heard: BTreeMap<u64, Body> = BTreeMap::new();
    for _ in 0..1_000_000 {
        match engine.poll(now) {
            Action::Send(out) => {
                let reply = sim.respond_with_headers(&out.request, now);
                if reply != Reply::Silence {
                    pending.push((now + sim.latency, out.id, reply));
                }
                on_wire.insert(out.id);
                assert!(
                    on_wire.len() <= concurrency,
                    "{} on the wire, concurrency {concurrency}",
                    on_wire.len()
                );
                continue;
            }
            Action::Cancel(id) => {
                assert!(on_wire.remove(&id), "cancelled {id}, not on the wire");
                cancelled.insert(id);
                continue;
            }
            Action::Read(id) => {
                let body = heard
                    .remove(&id)
                    .expect("asked to read an answer not heard");
                engine.handle(now, Event::Body { id, body });
                continue;
            }
            Action::Acquire(_) | Action::Release { .. } => panic!("no shared limiter here"),
            Action::Done => {
                assert!(on_wire.is_empty() && heard.is_empty());
                assert!(
                    pending.iter().all(|p| cancelled.contains(&p.1)),
                    "Done with answers on their way"
                );
                let settled = engine.progress();
                for (at, id, reply) in pending.drain(..) {
                    late(&mut engine, now.max(at), id, reply);
                    assert_eq!(
                        engine.progress(),
                        settled,
                        "a late answer changed the ledger"
                    );
                }
                assert_eq!(engine.poll(now), Action::Done);
                return Run {
                    result: engine.finish(now),
                    end: now,
                };
            }
            Action::WaitUntil(t) => {
                let next = pending.iter().map(|p| p.0).fold(f64::INFINITY, f64::min);
                now = t.min(next).max(past_the_boundary(&mut engine, now, t));
            }
            Action::AwaitEvent => {
                now = pending.iter().map(|p| p.0).fold(f64::INFINITY, f64::min);
                assert!(now.is_finite(), "awaiting an event with none to come");
            }
        }
        pending.sort_by(|a, b| a.0.total_cmp(&b.0));
        while pending.first().is_some_and(|p| p.0 <= now) {
            let (at, id, reply) = pending.remove(0);
            if cancelled.contains(&id) {
                let settled = engine.progress();
                late(&mut engine, now, id, reply);
                assert_eq!(
                    engine.progress(),
                    settled,
                    "a late answer changed the ledger"
                );
                continue;
            }
            on_wire.remove(&id);
            if let Some(body) = hear(&mut engine, now, id, at, reply) {
                heard.insert(id, body);
            }
        }
    }
    panic!("engine did not finish");
}

/// Checks that `WaitUntil(t)` at `now` is in the future (a wait for `now` would spin a real
/// driver, see `tests/regressions.rs`, `read_later_boundary_waits_for_now`), and returns `now`.
fn past_the_boundary(_engine: &mut Engine, now: f64, t: f64) -> f64 {
    assert!(t > now, "WaitUntil({t}) at {now} must be in the future");
    now
}

/// Every event a transport could still report for `id`.
fn late(engine: &mut Engine, now: f64, id: u64, reply: Reply) {
    if let Some(body) = hear(engine, now, id, now, reply) {
        engine.handle(now, Event::Body { id, body });
    }
}

fn config() -> ClientConfig {
    ClientConfig {
        access_token: Some(crate::config::Secret::new("tok")),
        ..ClientConfig::default()
    }
}

/// The contract's first rule, and that "updated" is never a lie.
fn assert_accounted(result: &BatchUpdateResult, n: usize, sim: &Sim) {
    assert_eq!(
        result.results.len() + result.failed.len(),
        n,
        "every input settled once"
    );
    let mut seen = BTreeSet::new();
    for f in &result.failed {
        assert!(seen.insert(f.index), "input {} failed twice", f.index);
    }
    for r in &result.results {
        assert!(
            sim.applied.contains_key(&r.id),
            "reported updated but never applied: {}",
            r.id
        );
        assert!(
            seen.insert(r.id.parse::<usize>().unwrap()),
            "input {} both updated and failed",
            r.id
        );
    }
}

#[test]
fn chunks_in_order_and_updates_everything() {
    let mut sim = Sim::new(250);
    let run = drive(config(), inputs(250), &mut sim);
    let r = run.result.unwrap();
    assert_eq!(r.status, BatchStatus::Complete);
    assert_eq!(r.results.len(), 250);
    assert_eq!(r.stats.requests, 3);
    assert_eq!(r.stats.batches, 3);
    // Results come back in input order even though HubSpot shuffles them.
    assert!(r
        .results
        .iter()
        .enumerate()
        .all(|(i, o)| o.id == i.to_string()));
    // Trace ids the engine added are not shown.
    assert!(r.results.iter().all(|o| o.object_write_trace_id.is_none()));
    assert_accounted(&r, 250, &sim);
}

#[test]
fn keeps_caller_trace_ids_and_matches_by_them() {
    let mut sim = Sim::new(3);
    let mut ins = inputs(3);
    ins[1].object_write_trace_id = Some("mine".into());
    let r = drive(config(), ins, &mut sim).result.unwrap();
    assert_eq!(r.results[1].object_write_trace_id.as_deref(), Some("mine"));
    assert_eq!(r.results[0].object_write_trace_id, None);
}

#[test]
fn silently_omitted_ids_are_not_updated() {
    let mut sim = Sim::new(5);
    sim.omit_unknown = true;
    let r = drive(config(), inputs(8), &mut sim).result.unwrap();
    assert_eq!(r.results.len(), 5);
    assert_eq!(
        r.failed.iter().map(|f| f.index).collect::<Vec<_>>(),
        vec![5, 6, 7]
    );
    assert!(r
        .failed
        .iter()
        .all(|f| f.error.category == Category::NotUpdated && f.error.status == Some(200)));
    assert_accounted(&r, 8, &sim);
}

#[test]
fn matches_by_id_when_trace_ids_are_not_echoed() {
    let mut sim = Sim::new(5);
    sim.echo_trace = false;
    sim.omit_unknown = true;
    let r = drive(config(), inputs(7), &mut sim).result.unwrap();
    assert_eq!(r.results.len(), 5);
    assert_eq!(r.failed.len(), 2);
    assert_accounted(&r, 7, &sim);
}

#[test]
fn id_property_inputs_match_on_the_property_value() {
    let mut sim = Sim::new(0);
    sim.echo_trace = false;
    // A result for an idProperty input carries the internal id, so matching must use the
    // property value; with no such value in the result the input must not count as updated.
    let mut ins = inputs(2);
    for i in &mut ins {
        i.id_property = Some("deal_external_id".into());
    }
    let mut engine = new_engine(config(), ins, 0.0, 1);
    let out = send(&mut engine, 0.0);
    let object = |id: &str, ext: Option<&str>| SimplePublicObject {
        archived: false,
        archived_at: None,
        created_at: String::new(),
        id: id.into(),
        object_write_trace_id: None,
        properties: Map(ext
            .map(|e| vec![("deal_external_id".into(), Some(e.to_owned()))])
            .unwrap_or_default()),
        properties_with_history: None,
        updated_at: String::new(),
        url: None,
        warnings: None,
    };
    let answer = BatchResponse {
        completed_at: String::new(),
        errors: vec![],
        links: None,
        num_errors: 0,
        requested_at: None,
        results: vec![object("900", Some("1")), object("901", None)],
        started_at: String::new(),
        status: BatchStatus::Complete,
    };
    let reply = Reply::Http {
        status: 200,
        meta: ResponseMeta::default(),
        body: Body::Batch(answer),
    };
    assert!(reply_to(&mut engine, 1.0, out.id, reply).is_empty());
    assert_eq!(engine.poll(1.0), Action::Done);
    let r = engine.finish(1.0).unwrap();
    assert_eq!(r.results.len(), 1);
    assert_eq!(r.results[0].id, "900");
    assert_eq!(r.failed[0].index, 0);
}

#[test]
fn per_item_errors_fail_their_inputs() {
    let mut sim = Sim::new(5);
    let r = drive(config(), inputs(7), &mut sim).result.unwrap();
    assert_eq!(r.failed.len(), 2);
    assert!(r
        .failed
        .iter()
        .all(|f| f.error.category == Category::ObjectNotFound && f.error.status == Some(207)));
    assert_eq!(r.num_errors, 1);
    assert_eq!(r.errors.len(), 1);
    assert_accounted(&r, 7, &sim);
}

#[test]
fn invalid_records_do_not_sink_their_batch() {
    let mut sim = Sim::new(100);
    sim.invalid_values.insert("BAD".into());
    let mut ins = inputs(100);
    for i in [3, 50, 97] {
        ins[i].properties.0.push(("dealstage".into(), "BAD".into()));
    }
    let r = drive(config(), ins, &mut sim).result.unwrap();
    assert_eq!(r.results.len(), 97);
    assert_eq!(
        r.failed.iter().map(|f| f.index).collect::<Vec<_>>(),
        vec![3, 50, 97]
    );
    let f = &r.failed[0].error;
    assert_eq!(f.category, Category::ValidationError);
    assert!(f.message.starts_with("Property values were not valid"));
    assert_eq!(f.errors[0].in_.as_deref(), Some("dealstage"));
    // Inputs that set no named property go together: 1 + 1 (clean) + a few halvings of 3.
    assert!(sim.requests <= 8, "took {} requests", sim.requests);
    assert_accounted(&r, 100, &sim);
}

#[test]
fn splitting_by_halves_when_hubspot_names_nothing() {
    let mut sim = Sim::new(16);
    sim.invalid_values.insert("BAD".into());
    let mut ins = inputs(16);
    // Every input sets the named property, so the partition cannot help: halves it is.
    for i in &mut ins {
        i.properties.0.push(("dealstage".into(), "ok".into()));
    }
    ins[9].properties.0[1].1 = "BAD".into();
    let r = drive(config(), ins, &mut sim).result.unwrap();
    assert_eq!(r.results.len(), 15);
    assert_eq!(r.failed[0].index, 9);
    assert_eq!(sim.requests, 1 + 2 * 4);
}

#[test]
fn retries_server_errors_with_backoff_then_succeeds() {
    let mut sim = Sim::new(10);
    sim.script = vec![
        Fault::Status(500),
        Fault::Status(503),
        Fault::Network,
        Fault::Timeout,
    ];
    let run = drive(config(), inputs(10), &mut sim);
    let r = run.result.unwrap();
    assert_eq!(r.results.len(), 10);
    assert_eq!(r.stats.retries, 4);
    assert_eq!(r.stats.requests, 5);
    // 4 backoffs of at least 250, 500, 1000, 2000 ms.
    assert!(run.end >= 3750.0, "ended at {}", run.end);
}

#[test]
fn gives_up_after_max_retries() {
    let mut sim = Sim::new(10);
    sim.script = vec![Fault::Status(502); 10];
    let cfg = ClientConfig {
        max_retries: 2,
        ..config()
    };
    let r = drive(cfg, inputs(10), &mut sim).result.unwrap();
    assert_eq!(sim.requests, 3);
    assert_eq!(r.failed.len(), 10);
    assert_eq!(r.failed[0].error.status, Some(502));
    assert_eq!(r.failed[0].error.category, Category::parse("SERVER_ERROR"));
}

#[test]
fn malformed_success_is_retried_then_failed() {
    let mut sim = Sim::new(4);
    sim.script = vec![
        Fault::Malformed { applied: true },
        Fault::Malformed { applied: false },
    ];
    let r = drive(config(), inputs(4), &mut sim).result.unwrap();
    assert_eq!(r.results.len(), 4);
    let mut sim = Sim::new(4);
    sim.script = vec![Fault::Malformed { applied: true }; 3];
    let cfg = ClientConfig {
        max_retries: 2,
        ..config()
    };
    let r = drive(cfg, inputs(4), &mut sim).result.unwrap();
    assert_eq!(r.failed.len(), 4);
    assert_eq!(r.failed[0].error.category, Category::MalformedResponse);
}

#[test]
fn rate_limits_wait_for_retry_after_or_the_policy_window() {
    for (policy, retry_after, min_wait) in [
        ("TEN_SECONDLY_ROLLING", None, 10_000.0),
        ("TEN_SECONDLY_ROLLING", Some("1"), 1_000.0),
        ("SECONDLY", None, 1_000.0),
    ] {
        let mut sim = Sim::new(3);
        sim.script = vec![Fault::RateLimit(policy, retry_after)];
        let run = drive(config(), inputs(3), &mut sim);
        let r = run.result.unwrap();
        assert_eq!(r.results.len(), 3);
        assert_eq!(r.stats.rate_limited, 1);
        assert!(
            run.end >= min_wait + 50.0 && run.end < min_wait * 1.2 + 200.0,
            "{policy}: {}",
            run.end
        );
    }
}

#[test]
fn daily_limit_stops_the_run() {
    // Nothing updated yet: the call rejects.
    let mut sim = Sim::new(300);
    sim.script = vec![Fault::RateLimit("DAILY", None)];
    let cfg = ClientConfig {
        concurrency: 1,
        ..config()
    };
    let err = drive(cfg.clone(), inputs(300), &mut sim)
        .result
        .unwrap_err();
    assert_eq!(err.code, Some(crate::ErrorCode::RateLimited));
    assert_eq!(err.policy_name, Some(PolicyName::Daily));
    assert_eq!(sim.requests, 1);
    // Something updated: resolves CANCELED with the rest failed.
    let mut sim = Sim::new(300);
    sim.script = vec![Fault::None, Fault::RateLimit("DAILY", None)];
    let r = drive(cfg, inputs(300), &mut sim).result.unwrap();
    assert_eq!(r.status, BatchStatus::Canceled);
    assert_eq!(r.results.len(), 100);
    assert_eq!(r.failed.len(), 200);
    assert_eq!(sim.requests, 2);
}

#[test]
fn auth_failures_stop_the_run() {
    for status in [401, 403] {
        let mut sim = Sim::new(300);
        sim.script = vec![Fault::Status(status)];
        let cfg = ClientConfig {
            concurrency: 1,
            ..config()
        };
        let err = drive(cfg.clone(), inputs(300), &mut sim)
            .result
            .unwrap_err();
        assert_eq!(err.status, Some(status));
        assert_eq!(sim.requests, 1);
        let mut sim = Sim::new(300);
        sim.script = vec![Fault::None, Fault::Status(status)];
        let r = drive(cfg, inputs(300), &mut sim).result.unwrap();
        assert_eq!(r.status, BatchStatus::Canceled);
        assert_eq!(r.failed.len(), 200);
    }
}

#[test]
fn other_client_errors_are_not_retried() {
    let mut sim = Sim::new(3);
    sim.script = vec![Fault::Status(404)];
    let r = drive(config(), inputs(3), &mut sim).result.unwrap();
    assert_eq!(sim.requests, 1);
    assert_eq!(r.failed.len(), 3);
    assert_eq!(r.failed[0].error.status, Some(404));
}

#[test]
fn a_conflict_rejecting_the_whole_batch_is_split_too() {
    let mut engine = new_engine(config(), inputs(4), 0.0, 1);
    let out = send(&mut engine, 0.0);
    let reply = error_reply(409, "CONFLICT", "unique value taken");
    assert!(reply_to(&mut engine, 1.0, out.id, reply).is_empty());
    assert_eq!(engine.progress().done, 0, "split, not failed");
    let a = send(&mut engine, 1.0);
    let b = send(&mut engine, 1.0);
    assert_eq!(
        (a.request.input_indexes, b.request.input_indexes),
        (vec![0, 1], vec![2, 3])
    );
}

#[test]
fn a_429_holds_every_request_not_just_its_own() {
    let mut engine = new_engine(
        ClientConfig {
            batch_size: 1,
            concurrency: 1,
            ..config()
        },
        inputs(3),
        0.0,
        1,
    );
    let first = send(&mut engine, 0.0);
    let sent = reply_to(&mut engine, 10.0, first.id, rate_limited("SECONDLY", None));
    assert!(sent.is_empty(), "sent {sent:?} before reading the 429");
    // Inputs 1 and 2 were never rate limited themselves, yet wait out the window.
    let Action::WaitUntil(t) = engine.poll(10.0) else {
        panic!()
    };
    assert!(t >= 10.0 + SECONDLY_MS, "resumes at {t}");
}

#[test]
fn a_cut_off_client_error_is_asked_again() {
    let mut engine = new_engine(config(), inputs(3), 0.0, 1);
    let out = send(&mut engine, 0.0);
    // As a reader classifies a JSON error body cut off mid-answer.
    let cut = response::read_body(400, r#"{"status":"error","message":"Property val"#);
    assert_eq!(cut, Body::Unreadable(Unreadable::TruncatedJson));
    let reply = Reply::Http {
        status: 400,
        meta: ResponseMeta::default(),
        body: cut,
    };
    assert!(reply_to(&mut engine, 1.0, out.id, reply).is_empty());
    assert_eq!(engine.progress().done, 0, "not failed: retried");
    let Action::WaitUntil(t) = engine.poll(1.0) else {
        panic!()
    };
    let Action::Send(again) = engine.poll(t) else {
        panic!()
    };
    assert_eq!(again.request.input_indexes, vec![0, 1, 2]);
    // An HTML 400 is an answer, not a cut-off one: not retried.
    let mut engine = new_engine(config(), inputs(3), 0.0, 1);
    let out = send(&mut engine, 0.0);
    let html = response::read_body(400, "<html><body>Bad Request</body></html>");
    assert_eq!(html, Body::Unreadable(Unreadable::Html));
    let reply = Reply::Http {
        status: 400,
        meta: ResponseMeta::default(),
        body: html,
    };
    assert!(reply_to(&mut engine, 1.0, out.id, reply).is_empty());
    assert_eq!(engine.progress().failed, 3);
}

#[test]
fn redirects_are_not_followed() {
    let mut engine = new_engine(config(), inputs(2), 0.0, 1);
    let out = send(&mut engine, 0.0);
    let meta = ResponseMeta {
        location: Some("https://evil.example/steal?x=1".into()),
        ..ResponseMeta::default()
    };
    let reply = Reply::Http {
        status: 307,
        meta,
        body: Body::Unreadable(Unreadable::NotJson),
    };
    assert!(reply_to(&mut engine, 1.0, out.id, reply).is_empty());
    let r = engine.finish(1.0).unwrap();
    assert_eq!(r.failed[0].error.category, Category::Redirect);
    assert!(r.failed[0].error.message.contains("https://evil.example"));
    assert!(!r.failed[0].error.message.contains("steal"));
}

#[test]
fn default_pacing_sends_no_429s_to_a_default_account() {
    let mut sim = Sim::new(25_000);
    sim.limit = Some((100, 10_000.0));
    let run = drive(config(), inputs(25_000), &mut sim);
    let r = run.result.unwrap();
    assert_eq!(sim.window_429s, 0);
    assert_eq!(r.results.len(), 25_000);
    assert_eq!(r.stats.requests, 250);
    // 250 requests at 100 per 10 s: the third window opens after 20 s.
    assert!(run.end > 20_000.0 && run.end < 21_500.0, "took {}", run.end);
}

#[test]
fn adopts_a_stricter_server_limit() {
    let mut sim = Sim::new(1);
    let mut engine = new_engine(
        ClientConfig {
            rate_limit: Some(RateLimit {
                requests: 190,
                interval_ms: 10_000.0,
            }),
            ..config()
        },
        inputs(1),
        0.0,
        1,
    );
    let out = send(&mut engine, 0.0);
    let Reply::Http { status, body, .. } = sim.respond(&out.request, 0.0) else {
        panic!()
    };
    let meta = ResponseMeta {
        rate_max: Some(100),
        rate_remaining: Some(99),
        rate_interval_ms: Some(10_000.0),
        ..ResponseMeta::default()
    };
    let reply = Reply::Http { status, meta, body };
    assert!(reply_to(&mut engine, 10.0, out.id, reply).is_empty());
    assert_eq!(engine.window.as_ref().map(RateWindow::limit), Some(100));
}

#[test]
fn abort_fails_everything_unsettled() {
    let mut engine = new_engine(
        ClientConfig {
            concurrency: 1,
            ..config()
        },
        inputs(250),
        0.0,
        1,
    );
    send(&mut engine, 0.0);
    engine.handle(1.0, Event::Aborted);
    assert!(engine.aborted());
    assert_eq!(engine.poll(1.0), Action::Done);
    let r = engine.finish(1.0).unwrap();
    assert_eq!(r.status, BatchStatus::Canceled);
    assert!(r.results.is_empty());
    assert_eq!(r.failed.len(), 250);
    assert!(r
        .failed
        .iter()
        .all(|f| f.error.category == Category::Aborted));
    assert!(r.failed[0].error.message.contains("in flight"));
    assert!(r.failed[100].error.message.contains("before"));
}

#[test]
fn concurrency_is_bounded() {
    let cfg = ClientConfig {
        concurrency: 3,
        ..config()
    };
    let mut engine = new_engine(cfg.clone(), inputs(1000), 0.0, 1);
    confirm(&mut engine);
    for _ in 0..3 {
        send(&mut engine, 0.0);
    }
    // Nothing more until an answer, or until the first attempts time out.
    assert_eq!(engine.poll(0.0), Action::WaitUntil(cfg.timeout_ms));
}

/// The window as it stands once HubSpot has answered (without saying anything of its limit):
/// for tests of other rules that start with several requests on the wire.
fn confirm(engine: &mut Engine) {
    if let Some(w) = engine.window.as_mut() {
        w.observe(None, None, None);
    }
}

#[test]
fn default_options_send_a_whole_window_at_once() {
    // One request first (several clients starting together on one token each send one blind,
    // not a whole window each); once its answer says no one else spends the budget, the rest
    // of the window at once.
    let mut sim = Sim::new(25_000);
    sim.limit = Some((100, 10_000.0));
    sim.rate_headers = true;
    let mut engine = new_engine(config(), inputs(25_000), 0.0, 1);
    let first = send(&mut engine, 0.0);
    assert_eq!(
        engine.poll(0.0),
        Action::WaitUntil(config().timeout_ms),
        "nothing more before its answer"
    );
    let Reply::Http { status, meta, body } = sim.respond_with_headers(&first.request, 0.0) else {
        panic!()
    };
    assert_eq!(meta.rate_remaining, Some(99));
    let (id, at) = (first.id, 50.0);
    let heard = Event::Heard {
        id,
        status,
        meta,
        at,
    };
    engine.handle(50.0, heard);
    engine.handle(50.0, Event::Body { id, body });
    for i in 1..100 {
        assert!(
            matches!(engine.poll(50.0), Action::Send(_)),
            "request {i} of the first window"
        );
    }
    assert!(
        matches!(engine.poll(50.0), Action::WaitUntil(t) if t > 50.0),
        "the window is full"
    );
    assert_eq!(
        engine.window.as_mut().and_then(|w| w.next_free(50.0)),
        Some(10_050.0 + CLOCK_SLACK_MS),
        "the next request when the first slot frees"
    );
}

#[test]
fn a_slot_frees_one_interval_after_the_answer_was_heard_not_read() {
    let mut sim = Sim::new(2);
    let mut engine = new_engine(
        ClientConfig {
            batch_size: 1,
            rate_limit: Some(RateLimit {
                requests: 1,
                interval_ms: 10_000.0,
            }),
            ..config()
        },
        inputs(2),
        0.0,
        1,
    );
    let first = send(&mut engine, 0.0);
    let Reply::Http { status, meta, body } = sim.respond(&first.request, 20.0) else {
        panic!()
    };
    // Headers at 50 ms, told (and the body read and parsed) at 400 ms.
    engine.handle(
        400.0,
        Event::Heard {
            id: first.id,
            status,
            meta,
            at: 50.0,
        },
    );
    assert_eq!(engine.poll(400.0), Action::Read(first.id));
    engine.handle(400.0, Event::Body { id: first.id, body });
    assert_eq!(
        engine.poll(400.0),
        Action::WaitUntil(10_050.0 + CLOCK_SLACK_MS)
    );
    // A `heard` later than `now` is taken as `now`.
    let second = send(&mut engine, 10_050.0 + CLOCK_SLACK_MS);
    let Reply::Http { status, meta, body } = sim.respond(&second.request, 10_060.0) else {
        panic!()
    };
    engine.handle(
        10_100.0,
        Event::Heard {
            id: second.id,
            status,
            meta,
            at: f64::INFINITY,
        },
    );
    assert_eq!(
        engine
            .window
            .as_ref()
            .and_then(RateWindow::earliest_release),
        Some(20_100.0 + CLOCK_SLACK_MS)
    );
    assert_eq!(engine.poll(10_100.0), Action::Read(second.id));
    engine.handle(
        10_100.0,
        Event::Body {
            id: second.id,
            body,
        },
    );
    assert_eq!(engine.poll(10_100.0), Action::Done);
    assert_eq!(engine.finish(10_100.0).unwrap().results.len(), 2);
}

#[test]
fn told_more_than_the_account_allows_it_sends_no_429s() {
    let told = ClientConfig {
        batch_size: 1,
        rate_limit: Some(RateLimit {
            requests: 190,
            interval_ms: 10_000.0,
        }),
        concurrency: 190,
        ..config()
    };
    let mut engine = new_engine(told.clone(), inputs(1000), 0.0, 1);
    let mut sent = 0;
    while let Action::Send(_) = engine.poll(0.0) {
        sent += 1;
    }
    assert_eq!(
        sent, 1,
        "one request before HubSpot has answered (the lowest tier allows 100)"
    );
    // Through a whole run on a 100-per-10 s account whose answers say so: no 429 at all.
    let mut sim = Sim::new(1000);
    sim.limit = Some((100, 10_000.0));
    sim.rate_headers = true;
    let run = drive(told, inputs(1000), &mut sim);
    assert_eq!(sim.window_429s, 0);
    assert_eq!(run.result.unwrap().results.len(), 1000);
}

#[test]
fn an_answer_heard_but_not_yet_read_frees_its_concurrency_and_paces_from_its_headers() {
    let mut sim = Sim::new(10);
    let cfg = ClientConfig {
        batch_size: 1,
        concurrency: 1,
        rate_limit: Some(RateLimit {
            requests: 2,
            interval_ms: 1000.0,
        }),
        ..config()
    };
    let mut engine = new_engine(cfg.clone(), inputs(3), 0.0, 1);
    let first = send(&mut engine, 0.0);
    assert_eq!(
        engine.poll(0.0),
        Action::WaitUntil(cfg.timeout_ms),
        "concurrency 1"
    );
    let Reply::Http { status, meta, body } = sim.respond(&first.request, 10.0) else {
        panic!()
    };
    engine.handle(
        20.0,
        Event::Heard {
            id: first.id,
            status,
            meta,
            at: 20.0,
        },
    );
    assert!(
        matches!(engine.poll(20.0), Action::Send(_)),
        "the first is off the wire"
    );
    assert_eq!(engine.progress().done, 0, "but not settled");
    assert_eq!(
        engine.poll(21.0),
        Action::Read(first.id),
        "concurrency 1 again: no send, and nothing to wait for but the read"
    );
    // Read later: the slot still counts from the headers.
    engine.handle(900.0, Event::Body { id: first.id, body });
    assert_eq!(engine.progress().done, 1);
    assert_eq!(
        engine
            .window
            .as_ref()
            .and_then(RateWindow::earliest_release),
        Some(1020.0 + CLOCK_SLACK_MS)
    );
}

/// The bodies sent carry exactly the inputs (issue 16 item 6: the comparison must not be able
/// to end having compared nothing): every request of a run is compared, every input once.
#[test]
fn bodies_sent_are_the_inputs() {
    let cfg = ClientConfig {
        batch_size: 10,
        concurrency: 3,
        ..config()
    };
    let mut given = inputs(100);
    given[7].object_write_trace_id = Some("caller-7".into());
    given[42].id_property = Some("deal_external_id".into());
    let mut sim = Sim::new(100);
    sim.script = vec![Fault::Status(503), Fault::None, Fault::Network];
    let run = drive(cfg, given.clone(), &mut sim);
    assert_eq!(run.result.unwrap().results.len(), 100);
    let mut compared = 0;
    let mut seen = vec![0u32; given.len()];
    let mut traces: BTreeMap<usize, String> = BTreeMap::new();
    for (indexes, text) in &sim.bodies {
        let body: BatchInputSimplePublicObjectBatchInput = serde_json::from_str(text).unwrap();
        assert_eq!(body.inputs.len(), indexes.len());
        for (sent, &i) in body.inputs.iter().zip(indexes) {
            let mut sent = sent.clone();
            let trace = sent
                .object_write_trace_id
                .take()
                .expect("every input has a trace id");
            let mut want = given[i].clone();
            if let Some(own) = want.object_write_trace_id.take() {
                assert_eq!(trace, own, "the caller's trace id is sent as given");
            }
            assert_eq!(sent, want, "input {i}");
            assert_eq!(traces.entry(i).or_insert_with(|| trace.clone()), &trace);
            seen[i] += 1;
        }
        compared += 1;
    }
    // 10 batches, two of them sent twice (503, network error).
    assert_eq!(compared, 12, "requests compared");
    assert_eq!(seen.iter().sum::<u32>(), 120);
    assert!(seen.iter().all(|&n| n == 1 || n == 2));
    let distinct: BTreeSet<&String> = traces.values().collect();
    assert_eq!(distinct.len(), 100, "trace ids are distinct");
}

#[test]
fn a_retry_sends_the_same_body() {
    let mut engine = new_engine(config(), inputs(5), 0.0, 1);
    let first = send(&mut engine, 0.0);
    let reply = error_reply(503, "SERVICE_UNAVAILABLE", "try again");
    assert!(reply_to(&mut engine, 10.0, first.id, reply).is_empty());
    let Action::WaitUntil(t) = engine.poll(10.0) else {
        panic!()
    };
    let again = send(&mut engine, t);
    assert_eq!(again.request.body, first.request.body);
    assert_eq!(again.request.body_json(), first.request.body_json());
}

#[test]
fn empty_run_is_done_at_once() {
    let mut engine = new_engine(config(), vec![], 0.0, 1);
    assert_eq!(engine.poll(0.0), Action::Done);
    let r = engine.finish(5.0).unwrap();
    assert!(r.results.is_empty() && r.failed.is_empty());
}

fn fault_strategy() -> impl Strategy<Value = Fault> {
    prop_oneof![
        6 => Just(Fault::None),
        1 => prop::sample::select(vec![500u16, 502, 503, 504, 404]).prop_map(Fault::Status),
        1 => Just(Fault::RateLimit("TEN_SECONDLY_ROLLING", Some("1"))),
        1 => Just(Fault::RateLimit("SECONDLY", None)),
        1 => Just(Fault::Network),
        1 => Just(Fault::Timeout),
        1 => any::<bool>().prop_map(|applied| Fault::Malformed { applied }),
        1 => Just(Fault::ApplyThen500),
    ]
}

/// One request's timing: to HubSpot, HubSpot's own time, back to us, then reading the body.
type Timing = (f64, f64, f64, f64);

#[allow(clippy::large_enum_variant)] // one per request, moved once
enum Step {
    /// The request reaches HubSpot, which counts it and decides its answer.
    Arrive(u64, HttpRequest, Timing),
    /// Its answer is told to the engine; its headers reached us at `.2`.
    Tell(u64, Reply, f64),
}

/// Drives the engine with every request arriving, being answered and being read after its
/// own delays, and returns HubSpot's arrival times of the requests it accepted. With
/// `headers_first` the driver tells the engine of the headers as they arrive; without, only
/// after reading the body (`Heard` then carries the earlier time the headers arrived).
fn drive_with_timings(
    config: ClientConfig,
    n: usize,
    sim: &mut Sim,
    timings: &[Timing],
    headers_first: bool,
) -> (Result<BatchUpdateResult, HubSpotError>, Vec<f64>) {
    let mut engine = new_engine(config, inputs(n), 0.0, 3);
    let mut now = 0.0;
    let mut steps: Vec<(f64, Step)> = Vec::new();
    let mut heard: BTreeMap<u64, Body> = BTreeMap::new();
    let mut accepted = Vec::new();
    let mut sent = 0usize;
    for _ in 0..1_000_000 {
        match engine.poll(now) {
            Action::Send(out) => {
                let t = timings[sent % timings.len()];
                sent += 1;
                steps.push((now + t.0, Step::Arrive(out.id, out.request, t)));
                continue;
            }
            Action::Read(id) => {
                let body = heard
                    .remove(&id)
                    .expect("asked to read an answer not heard");
                engine.handle(now, Event::Body { id, body });
                continue;
            }
            // Whatever the transport reports for it later is handed over all the same.
            Action::Cancel(_) => continue,
            Action::Acquire(_) | Action::Release { .. } => panic!("no shared limiter here"),
            Action::Done => return (engine.finish(now), accepted),
            Action::WaitUntil(t) => {
                let next = steps.iter().map(|e| e.0).fold(t, f64::min);
                now = next.max(past_the_boundary(&mut engine, now, t));
            }
            Action::AwaitEvent => {
                now = steps.iter().map(|e| e.0).fold(f64::INFINITY, f64::min);
                assert!(now.is_finite(), "awaiting an event with none to come");
            }
        }
        while let Some(pos) = steps
            .iter()
            .enumerate()
            .filter(|(_, e)| e.0 <= now)
            .min_by(|a, b| a.1 .0.total_cmp(&b.1 .0))
            .map(|(i, _)| i)
        {
            let (at, step) = steps.remove(pos);
            match step {
                Step::Arrive(id, request, (_, server, back, read)) => {
                    let before = sim.window_429s;
                    let reply = sim.respond_with_headers(&request, at);
                    if sim.window_429s == before {
                        accepted.push(at);
                    }
                    let heard_at = at + server + back;
                    let told = if headers_first {
                        heard_at
                    } else {
                        heard_at + read
                    };
                    steps.push((told, Step::Tell(id, reply, heard_at)));
                }
                Step::Tell(id, reply, at) => {
                    if let Some(body) = hear(&mut engine, now, id, at, reply) {
                        heard.insert(id, body);
                    }
                }
            }
        }
    }
    panic!("engine did not finish");
}

/// The most accepted arrivals in any window of `interval` (half-open, as HubSpot counts).
fn max_in_window(times: &[f64], interval: f64) -> usize {
    let mut t = times.to_vec();
    t.sort_by(f64::total_cmp);
    let (mut best, mut j) = (0, 0);
    for i in 0..t.len() {
        while t[i] - t[j] >= interval {
            j += 1;
        }
        best = best.max(i - j + 1);
    }
    best
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 200, ..ProptestConfig::default() })]

    /// Contract point 3 under any timing: however long each request takes to reach
    /// HubSpot, to be answered and to be read, pacing from the moment the answer was heard
    /// keeps HubSpot's count within its limit (no 429), with the default concurrency (a whole
    /// window in flight) or any other, when told a higher limit than the account has, and
    /// whether the driver reports the headers first and the body later or both at once.
    #[test]
    fn pacing_never_exceeds_the_limit_whatever_the_timing(
        server_limit in prop_oneof![1usize..=200, 100usize..=120],
        told_above in prop::option::of(1u32..100),
        n in 1usize..600,
        concurrency in prop::option::of(1usize..300),
        headers in any::<bool>(),
        headers_first in any::<bool>(),
        timings in prop::collection::vec(
            (0.0f64..300.0, 0.0f64..300.0, 0.0f64..300.0, 0.0f64..500.0),
            1..40,
        ),
    ) {
        let interval = 10_000.0;
        // Told more than the account allows is only survivable when the account allows
        // the lowest tier (every HubSpot account does) and its answers say how much.
        let above = if headers && server_limit as u32 >= window::BLIND_LIMIT {
            told_above.unwrap_or(0)
        } else {
            0
        };
        let told = server_limit as u32 + above;
        let rate_limit = Some(RateLimit { requests: told, interval_ms: interval });
        let config = ClientConfig {
            batch_size: 1,
            rate_limit,
            concurrency: concurrency.unwrap_or(crate::config::default_concurrency(rate_limit)),
            ..config()
        };
        let mut sim = Sim::new(n);
        sim.limit = Some((server_limit, interval));
        sim.rate_headers = headers;
        let (result, accepted) = drive_with_timings(config, n, &mut sim, &timings, headers_first);
        prop_assert_eq!(sim.window_429s, 0);
        prop_assert!(max_in_window(&accepted, interval) <= server_limit);
        prop_assert_eq!(result.unwrap().results.len(), n);
    }
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 200, ..ProptestConfig::default() })]

    /// Whatever the faults and their order: every input is settled exactly once, nothing is
    /// reported updated that was not applied, and no request exceeds its attempts.
    #[test]
    fn nothing_is_lost_under_any_fault_order(
        n in 0usize..400,
        existing in 0usize..400,
        batch_size in 1usize..=100,
        concurrency in 1usize..8,
        max_retries in 0u32..4,
        omit_unknown in any::<bool>(),
        echo_trace in any::<bool>(),
        invalid in prop::collection::vec(0usize..400, 0..6),
        script in prop::collection::vec(fault_strategy(), 0..60),
    ) {
        let mut sim = Sim::new(existing);
        sim.omit_unknown = omit_unknown;
        sim.echo_trace = echo_trace;
        sim.script = script;
        sim.invalid_values.insert("BAD".into());
        let mut ins = inputs(n);
        for i in invalid {
            if let Some(x) = ins.get_mut(i) {
                x.properties.0.push(("dealstage".into(), "BAD".into()));
            }
        }
        let cfg = ClientConfig { batch_size, concurrency, max_retries, ..config() };
        let r = drive(cfg, ins, &mut sim).result.unwrap();
        assert_accounted(&r, n, &sim);
        for (body, attempts) in &sim.attempts_per_body {
            prop_assert!(*attempts <= max_retries + 1, "{attempts} attempts of one request: {body}");
        }
    }
}

/// Results come back in input order, each input once, whatever the mix of faults and
/// however HubSpot orders its answers (and with trace ids not echoed, so matched by id).
#[test]
fn results_are_in_input_order_once_each_under_a_mix_of_faults() {
    let mut sim = Sim::new(230);
    sim.invalid_values.insert("BAD".into());
    sim.echo_trace = false;
    sim.script = vec![
        Fault::None,
        Fault::Status(500),
        Fault::Malformed { applied: true },
        Fault::ApplyThen500,
        Fault::RateLimit("TEN_SECONDLY_ROLLING", None),
        Fault::Network,
        Fault::Timeout,
    ];
    let mut all = inputs(260);
    for i in [3, 120, 121, 199] {
        all[i].properties.0[0].1 = "BAD".into();
    }
    let r = drive(config(), all, &mut sim).result.unwrap();
    assert_accounted(&r, 260, &sim);
    let ids: Vec<usize> = r.results.iter().map(|o| o.id.parse().unwrap()).collect();
    assert!(
        ids.windows(2).all(|w| w[0] < w[1]),
        "results out of input order or repeated"
    );
    assert!(r.failed.windows(2).all(|w| w[0].index < w[1].index));
    let failed: Vec<usize> = r.failed.iter().map(|f| f.index).collect();
    let mut want: Vec<usize> = vec![3, 120, 121, 199];
    want.extend(230..260);
    assert_eq!(failed, want);
    assert_eq!(r.results.len(), 226);
}

/// `origin_of` as it was written with std's `char` patterns (the reference).
fn origin_of_std(url: &str) -> String {
    match url.split_once("://") {
        Some((scheme, rest)) => {
            let end = rest.find(['/', '?', '#']).unwrap_or(rest.len());
            let authority = &rest[..end];
            let host = authority.rsplit('@').next().unwrap_or_default();
            format!("{scheme}://{host}")
        }
        None => "another location".to_owned(),
    }
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 3000, ..ProptestConfig::default() })]

    #[test]
    fn origin_of_agrees_with_std(url in "[a:/@?#é€]{0,16}") {
        prop_assert_eq!(origin_of(&url), origin_of_std(&url));
    }
}

#[test]
fn timeout_message_names_timeout_ms_as_before() {
    // The text `format!("... ({} ms)", timeout_ms as u64)` gave.
    for t in [1.0, 30_000.0, 2_147_483_647.0, 1.5e12, 0.4] {
        let cfg = ClientConfig {
            max_retries: 0,
            timeout_ms: t,
            ..config()
        };
        let mut engine = new_engine(cfg, inputs(1), 0.0, 1);
        let out = send(&mut engine, 0.0);
        assert_eq!(engine.poll(0.0), Action::WaitUntil(t));
        assert_eq!(engine.poll(t), Action::Cancel(out.id));
        assert_eq!(engine.poll(t), Action::Done);
        let result = engine.finish(t + 1.0).unwrap();
        assert_eq!(result.failed.len(), 1);
        assert_eq!(result.failed[0].error.category, Category::Timeout);
        assert_eq!(result.failed[0].error.status, None);
        let want = format!("no answer within timeoutMs ({} ms)", t as u64);
        assert_eq!(result.failed[0].error.message, want);
    }
}

#[test]
fn redirect_message_as_before() {
    // The text the two `format!`s gave.
    let old = |location: Option<&str>| {
        let to = location
            .map(origin_of)
            .map(|o| format!(" to {o}"))
            .unwrap_or_default();
        format!("HubSpot answered with a redirect{to}; not followed, so the Authorization header stays with its origin")
    };
    for (status, location) in [
        (302, Some("https://user:pw@evil.example:8443/path?q#f")),
        (301, Some("not a url")),
        (0, None),
        (307, None),
    ] {
        let mut engine = new_engine(config(), inputs(1), 0.0, 1);
        let out = send(&mut engine, 0.0);
        let meta = ResponseMeta {
            location: location.map(str::to_owned),
            ..ResponseMeta::default()
        };
        let reply = Reply::Http {
            status,
            meta,
            body: Body::Unreadable(Unreadable::Empty),
        };
        assert!(reply_to(&mut engine, 1.0, out.id, reply).is_empty());
        let result = engine.finish(2.0).unwrap();
        assert_eq!(result.failed.len(), 1);
        assert_eq!(result.failed[0].error.message, old(location));
        assert_eq!(result.failed[0].error.category, Category::Redirect);
        assert_eq!(
            result.failed[0].error.status,
            (status != 0).then_some(status)
        );
    }
}

/// An answer that lists results out of input order, with one the engine cannot place and an
/// input left out: the results are the placed ones in input order, the one left out fails.
#[test]
fn answers_out_of_order_are_placed_by_input() {
    let mut engine = new_engine(config(), inputs(4), 0.0, 1);
    let out = send(&mut engine, 0.0);
    let object = |id: &str| SimplePublicObject {
        archived: false,
        archived_at: None,
        created_at: "c".into(),
        id: id.into(),
        object_write_trace_id: None,
        properties: Map::new(),
        properties_with_history: None,
        updated_at: "u".into(),
        url: None,
        warnings: None,
    };
    // Out of input order, with one the engine cannot place (9) and input 1 left out.
    let results = vec![object("2"), object("9"), object("0"), object("3")];
    let body = BatchResponse {
        completed_at: String::new(),
        errors: Vec::new(),
        links: None,
        num_errors: 0,
        requested_at: None,
        results,
        started_at: String::new(),
        status: model::BatchStatus::Complete,
    };
    let reply = Reply::Http {
        status: 200,
        meta: ResponseMeta::default(),
        body: Body::Batch(body),
    };
    assert!(reply_to(&mut engine, 1.0, out.id, reply).is_empty());
    assert_eq!(engine.poll(1.0), Action::Done);
    let r = engine.finish(1.0).unwrap();
    let ids: Vec<&str> = r.results.iter().map(|o| o.id.as_str()).collect();
    assert_eq!(ids, vec!["0", "2", "3"]);
    assert_eq!(r.failed.len(), 1);
    assert_eq!(r.failed[0].index, 1);
    assert_eq!(r.failed[0].error.category, Category::NotUpdated);
}

// ---------------------------------------------------------------------------------------
// The engine's timing rules, on the virtual clock
// ---------------------------------------------------------------------------------------

fn ok_reply(sim: &mut Sim, out: &Outgoing, now: f64) -> Reply {
    let reply = sim.respond(&out.request, now);
    assert!(matches!(reply, Reply::Http { status: 200, .. }));
    reply
}

/// Deadlines run only for the `TIMED_AT_ONCE` oldest attempts on the wire: a 7th's starts
/// when one of them is answered (or times out), not when it was sent.
#[test]
fn deadlines_run_for_the_six_oldest_attempts_on_the_wire() {
    assert_eq!(TIMED_AT_ONCE, 6);
    let cfg = ClientConfig {
        batch_size: 1,
        concurrency: 10,
        rate_limit: None,
        max_retries: 0,
        timeout_ms: 1000.0,
        ..config()
    };
    let mut sim = Sim::new(8);
    let mut engine = new_engine(cfg, inputs(8), 0.0, 1);
    let sent: Vec<Outgoing> = (0..8).map(|_| send(&mut engine, 0.0)).collect();
    let ids: Vec<u64> = sent.iter().map(|o| o.id).collect();
    assert_eq!(engine.poll(0.0), Action::WaitUntil(1000.0));
    // The first is answered at 500: the 7th's clock starts then.
    let reply = ok_reply(&mut sim, &sent[0], 500.0);
    assert!(reply_to(&mut engine, 500.0, ids[0], reply).is_empty());
    assert_eq!(engine.poll(999.0), Action::WaitUntil(1000.0));
    // At 1000 the 2nd to 6th expire, one per poll, in order; the 8th's clock starts with
    // the first of them.
    for &id in &ids[1..6] {
        assert_eq!(engine.poll(1000.0), Action::Cancel(id));
    }
    assert_eq!(
        engine.poll(1000.0),
        Action::WaitUntil(1500.0),
        "the 7th: 500 + 1000"
    );
    assert_eq!(engine.poll(1500.0), Action::Cancel(ids[6]));
    assert_eq!(
        engine.poll(1500.0),
        Action::WaitUntil(2000.0),
        "the 8th: 1000 + 1000"
    );
    assert_eq!(engine.poll(2000.0), Action::Cancel(ids[7]));
    assert_eq!(engine.poll(2000.0), Action::Done);
    let r = engine.finish(2000.0).unwrap();
    assert_eq!(r.results.len(), 1);
    assert_eq!(r.failed.len(), 7);
    assert!(r
        .failed
        .iter()
        .all(|f| f.error.category == Category::Timeout));
}

/// An attempt with no answer within `timeoutMs` is cancelled by the engine and retried
/// after a backoff, with the same body, until `maxRetries`; then its inputs fail.
#[test]
fn an_expired_attempt_is_cancelled_then_retried_then_failed() {
    let cfg = ClientConfig {
        max_retries: 2,
        timeout_ms: 1000.0,
        ..config()
    };
    let mut engine = new_engine(cfg, inputs(3), 0.0, 1);
    let first = send(&mut engine, 0.0);
    assert_eq!(engine.poll(0.0), Action::WaitUntil(1000.0));
    assert_eq!(
        engine.poll(999.9),
        Action::WaitUntil(1000.0),
        "not before its deadline"
    );
    let mut now = 1000.0;
    let mut previous = first.clone();
    // Backoff after attempt n: between half and all of 500 * 2^(n-1) ms.
    for (attempt, full) in [(1, 500.0), (2, 1000.0)] {
        assert_eq!(
            engine.poll(now),
            Action::Cancel(previous.id),
            "attempt {attempt}"
        );
        assert_eq!(engine.progress().done, 0, "retried, not failed");
        let Action::WaitUntil(t) = engine.poll(now) else {
            panic!("expected a backoff")
        };
        assert!(
            t >= now + full / 2.0 && t <= now + full,
            "backoff {}",
            t - now
        );
        let again = send(&mut engine, t);
        assert_ne!(again.id, previous.id);
        assert_eq!(again.request.body, first.request.body);
        assert_eq!(engine.poll(t), Action::WaitUntil(t + 1000.0));
        now = t + 1000.0;
        previous = again;
    }
    assert_eq!(engine.poll(now), Action::Cancel(previous.id));
    assert_eq!(engine.poll(now), Action::Done);
    let r = engine.finish(now).unwrap();
    assert_eq!((r.stats.requests, r.stats.retries), (3, 2));
    assert_eq!(r.failed.len(), 3);
    assert!(r
        .failed
        .iter()
        .all(|f| f.error.category == Category::Timeout
            && f.error.message == "no answer within timeoutMs (1000 ms)"));
}

/// `READ_LATER_MS`: a 200 heard while the next send is at least 1 s away and others are on
/// the wire is read once the send is near, or once nothing else is on the wire; an error is
/// read at once.
#[test]
fn a_success_is_read_later_and_an_error_at_once() {
    let cfg = ClientConfig {
        batch_size: 1,
        rate_limit: Some(RateLimit {
            requests: 3,
            interval_ms: 10_000.0,
        }),
        ..config()
    };
    let mut sim = Sim::new(5);
    let mut engine = new_engine(cfg.clone(), inputs(5), 0.0, 1);
    confirm(&mut engine);
    let [a, b, _c] = [(); 3].map(|_| send(&mut engine, 0.0));
    assert_eq!(
        engine.poll(0.0),
        Action::WaitUntil(cfg.timeout_ms),
        "the window is full"
    );
    let heard = |engine: &mut Engine, now: f64, id: u64, reply: Reply| {
        hear(engine, now, id, now, reply).expect("an HTTP answer")
    };
    // A 200 at 100: its slot frees at 10 100 (and CLOCK_SLACK_MS), so the next send is 10 s
    // away; B and C are on the wire. Not read: the engine waits until 1 s before that send.
    let body_a = heard(&mut engine, 100.0, a.id, ok_reply(&mut sim, &a, 100.0));
    assert_eq!(
        engine.poll(100.0),
        Action::WaitUntil(9100.0 + CLOCK_SLACK_MS)
    );
    // A 500 at 200, C still on the wire: read at once (A still not).
    let body_b = heard(
        &mut engine,
        200.0,
        b.id,
        error_reply(500, "SERVER_ERROR", "boom"),
    );
    assert_eq!(engine.poll(200.0), Action::Read(b.id));
    engine.handle(
        200.0,
        Event::Body {
            id: b.id,
            body: body_b,
        },
    );
    assert_eq!(
        engine.poll(200.0),
        Action::WaitUntil(9100.0 + CLOCK_SLACK_MS)
    );
    assert_eq!(
        engine.poll(5000.0),
        Action::WaitUntil(9100.0 + CLOCK_SLACK_MS)
    );
    assert_eq!(engine.progress().done, 0, "A is not read yet");
    // Within 1 s of the send: read.
    assert_eq!(engine.poll(9100.5 + CLOCK_SLACK_MS), Action::Read(a.id));
    engine.handle(
        9100.5 + CLOCK_SLACK_MS,
        Event::Body {
            id: a.id,
            body: body_a,
        },
    );
    assert_eq!(engine.progress().done, 1);
    // Once nothing else is on the wire, a 200 is read at once however far the next send.
    let mut engine = new_engine(cfg, inputs(4), 0.0, 1);
    confirm(&mut engine);
    let [a, b, c] = [(); 3].map(|_| send(&mut engine, 0.0));
    let mut sim = Sim::new(4);
    let body_a = heard(&mut engine, 100.0, a.id, ok_reply(&mut sim, &a, 100.0));
    assert_eq!(
        engine.poll(100.0),
        Action::WaitUntil(9100.0 + CLOCK_SLACK_MS)
    );
    engine.handle(
        300.0,
        Event::Failed {
            id: b.id,
            message: "reset".into(),
        },
    );
    assert_eq!(
        engine.poll(300.0),
        Action::WaitUntil(9100.0 + CLOCK_SLACK_MS),
        "C is still on the wire"
    );
    engine.handle(
        400.0,
        Event::Failed {
            id: c.id,
            message: "reset".into(),
        },
    );
    assert_eq!(
        engine.poll(400.0),
        Action::Read(a.id),
        "nothing else on the wire"
    );
    engine.handle(
        400.0,
        Event::Body {
            id: a.id,
            body: body_a,
        },
    );
    assert_eq!(engine.progress().done, 1);
}

/// Whatever the transport reports for an attempt the engine cancelled (its headers, its
/// body, a network error) changes nothing: no read, no second retry, no result.
#[test]
fn late_events_for_a_cancelled_attempt_are_ignored() {
    let cfg = ClientConfig {
        max_retries: 1,
        timeout_ms: 1000.0,
        rate_limit: None,
        ..config()
    };
    let mut sim = Sim::new(2);
    let mut engine = new_engine(cfg, inputs(2), 0.0, 1);
    let first = send(&mut engine, 0.0);
    let late_reply = sim.respond(&first.request, 10.0);
    assert_eq!(engine.poll(1000.0), Action::Cancel(first.id));
    let Action::WaitUntil(t) = engine.poll(1000.0) else {
        panic!()
    };
    // The cancelled attempt's answer arrives after all, in every form.
    let Reply::Http { status, meta, body } = late_reply else {
        panic!()
    };
    engine.handle(
        1001.0,
        Event::Heard {
            id: first.id,
            status,
            meta,
            at: 1001.0,
        },
    );
    assert_eq!(engine.poll(1001.0), Action::WaitUntil(t), "no Read for it");
    engine.handle(
        1001.0,
        Event::Body {
            id: first.id,
            body: body.clone(),
        },
    );
    engine.handle(
        1001.0,
        Event::Failed {
            id: first.id,
            message: "aborted".into(),
        },
    );
    assert_eq!(engine.progress().done, 0);
    assert_eq!(engine.poll(1001.0), Action::WaitUntil(t), "no extra retry");
    // The retry goes out and is answered; a second report of its answer is ignored too.
    let again = send(&mut engine, t);
    let reply = ok_reply(&mut sim, &again, t + 10.0);
    let Reply::Http {
        status,
        meta,
        body: body_again,
    } = reply.clone()
    else {
        panic!()
    };
    assert!(reply_to(&mut engine, t + 10.0, again.id, reply).is_empty());
    engine.handle(
        t + 11.0,
        Event::Heard {
            id: again.id,
            status,
            meta,
            at: t + 11.0,
        },
    );
    engine.handle(
        t + 11.0,
        Event::Body {
            id: again.id,
            body: body_again,
        },
    );
    engine.handle(
        t + 11.0,
        Event::Failed {
            id: again.id,
            message: "x".into(),
        },
    );
    engine.handle(t + 11.0, Event::Body { id: first.id, body });
    assert_eq!(engine.poll(t + 11.0), Action::Done);
    let r = engine.finish(t + 11.0).unwrap();
    assert_eq!(r.results.len(), 2);
    assert!(r.failed.is_empty());
    assert_eq!((r.stats.requests, r.stats.retries), (2, 1));
}

/// A 400 that names a value fails exactly the inputs holding it and resends the rest: one
/// extra request per distinct bad value (HubSpot names only the first), where halving needs
/// about log2(batch) per bad input; the verdicts are the same either way.
#[test]
fn a_named_value_is_pinpointed_not_halved() {
    let cfg = ClientConfig {
        rate_limit: None,
        concurrency: 1,
        ..ClientConfig::default()
    };
    let mut given = inputs(100);
    for (i, v) in [
        (7, "bogus-1"),
        (40, "bogus-2"),
        (41, "bogus-2"),
        (93, "bogus-3"),
    ] {
        given[i].properties.0.push(("dealstage".into(), v.into()));
    }
    let mut runs = Vec::new();
    for name_first_value in [true, false] {
        let mut sim = Sim::new(100);
        sim.invalid_values = ["bogus-1", "bogus-2", "bogus-3"].map(String::from).into();
        sim.name_first_value = name_first_value;
        let run = drive(cfg.clone(), given.clone(), &mut sim);
        let r = run.result.unwrap();
        let failed: Vec<usize> = r.failed.iter().map(|f| f.index).collect();
        assert_eq!(failed, [7, 40, 41, 93], "named: {name_first_value}");
        assert_eq!(r.results.len(), 96);
        for f in &r.failed {
            assert_eq!(f.error.category, Category::ValidationError);
            assert_eq!(f.error.status, Some(400));
        }
        runs.push(sim.requests);
    }
    // Named: the first 400 names bogus-1, the next bogus-2 (two inputs), then bogus-3, then
    // the 96 valid ones go through: 4 requests.
    assert_eq!(runs[0], 4, "pinpointed");
    assert!(runs[1] >= runs[0] + 4, "halving takes more: {runs:?}");
}

/// The other four operations (upsert, create, read, archive).
mod operations;
mod shared;

/// A shared limiter (`rateLimiter`): permits asked for and given back.
mod permits;
