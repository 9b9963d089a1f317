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
    Timeout,
    Malformed { applied: bool },
    ApplyThen500,
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
    /// Answers carry `X-HubSpot-RateLimit-Max` and `-Interval-Milliseconds` of `limit`.
    rate_headers: bool,
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
            rate_headers: false,
        }
    }

    /// [`Sim::respond`], plus HubSpot's rate-limit headers when `rate_headers` is set.
    fn respond_with_headers(&mut self, req: &HttpRequest, now: f64) -> Outcome {
        let mut outcome = self.respond(req, now);
        if let (true, Some((limit, interval)), Outcome::Http { meta, .. }) =
            (self.rate_headers, self.limit, &mut outcome)
        {
            meta.rate_max = Some(limit as u32);
            meta.rate_interval_ms = Some(interval);
            meta.rate_remaining = Some(limit.saturating_sub(self.arrivals.len()) as u32);
        }
        outcome
    }

    fn respond(&mut self, req: &HttpRequest, now: f64) -> Outcome {
        self.requests += 1;
        *self.attempts_per_body.entry(req.body.clone()).or_default() += 1;
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
        let body: BatchInputSimplePublicObjectBatchInput = serde_json::from_str(&req.body).unwrap();
        match fault {
            Fault::None => self.apply(body),
            Fault::Status(s) => error_outcome(s, "SERVER_ERROR", "boom"),
            Fault::RateLimit(policy, retry_after) => rate_limited(policy, retry_after),
            Fault::Network => Outcome::Network("connection reset".into()),
            Fault::Timeout => Outcome::Timeout,
            Fault::Malformed { applied } => {
                if applied {
                    let _ = self.apply(body);
                }
                Outcome::Http {
                    status: 200,
                    meta: ResponseMeta::default(),
                    body: Body::Unreadable("truncated JSON".into()),
                }
            }
            Fault::ApplyThen500 => {
                let _ = self.apply(body);
                error_outcome(500, "SERVER_ERROR", "boom")
            }
        }
    }

    fn apply(&mut self, body: BatchInputSimplePublicObjectBatchInput) -> Outcome {
        let bad: Vec<String> = body
            .inputs
            .iter()
            .flat_map(|i| i.properties.0.iter())
            .filter(|(_, v)| self.invalid_values.contains(v))
            .map(|(k, _)| k.clone())
            .collect();
        if !bad.is_empty() {
            let details: Vec<String> = bad
                .iter()
                .map(|k| format!(r#"{{"isValid":false,"message":"bad value","error":"INVALID_OPTION","name":"{k}"}}"#))
                .collect();
            return error_outcome(
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
                    category: "OBJECT_NOT_FOUND".into(),
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
        Outcome::Http {
            status,
            meta: ResponseMeta::default(),
            body: Body::Batch(BatchResponse {
                completed_at: "b".into(),
                num_errors: errors.len() as i32,
                errors,
                links: None,
                requested_at: None,
                results,
                started_at: "a".into(),
                status: BatchStatus::Complete,
            }),
        }
    }
}

fn error_outcome(status: u16, category: &str, message: &str) -> Outcome {
    Outcome::Http {
        status,
        meta: ResponseMeta::default(),
        body: Body::Error(model::Error {
            category: category.into(),
            correlation_id: "corr-1".into(),
            message: message.into(),
            ..model::Error::default()
        }),
    }
}

fn rate_limited(policy: &str, retry_after: Option<&str>) -> Outcome {
    Outcome::Http {
        status: 429,
        meta: ResponseMeta {
            retry_after: retry_after.map(str::to_owned),
            ..ResponseMeta::default()
        },
        body: Body::Error(model::Error {
            category: "RATE_LIMITS".into(),
            correlation_id: "corr-429".into(),
            message: "You have reached your limit.".into(),
            policy_name: Some(policy.into()),
            error_type: Some("RATE_LIMIT".into()),
            ..model::Error::default()
        }),
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

struct Run {
    result: Result<BatchUpdateResult, HubSpotError>,
    end: f64,
}

/// Drives the engine against the simulator on a virtual clock.
fn drive(config: ClientConfig, inputs: Vec<SimplePublicObjectBatchInput>, sim: &mut Sim) -> Run {
    drive_taking(config, inputs, sim, &mut None)
}

/// [`drive`], and when `taken` is `Some`, takes the updated objects after every answer, as
/// the wasm glue does.
fn drive_taking(
    config: ClientConfig,
    inputs: Vec<SimplePublicObjectBatchInput>,
    sim: &mut Sim,
    taken: &mut Option<Vec<(usize, SimplePublicObject)>>,
) -> Run {
    let mut engine = Engine::new(config, inputs, 0.0, 7);
    let mut now = 0.0;
    let mut pending: Vec<(f64, u64, Outcome)> = Vec::new();
    let mut max_in_flight = 0;
    for _ in 0..1_000_000 {
        match engine.poll(now) {
            Action::Send(out) => {
                let outcome = sim.respond_with_headers(&out.request, now);
                pending.push((now + sim.latency, out.id, outcome));
                max_in_flight = max_in_flight.max(engine.in_flight());
                continue;
            }
            Action::Done => {
                assert!(pending.is_empty());
                return Run {
                    result: engine.finish(now),
                    end: now,
                };
            }
            Action::WaitUntil(t) => {
                assert!(t > now, "WaitUntil must be in the future");
                let next = pending.iter().map(|p| p.0).fold(f64::INFINITY, f64::min);
                now = t.min(next);
            }
            Action::AwaitAnswer => {
                now = pending.iter().map(|p| p.0).fold(f64::INFINITY, f64::min);
                assert!(now.is_finite(), "awaiting an answer with none in flight");
            }
        }
        pending.sort_by(|a, b| a.0.total_cmp(&b.0));
        while pending.first().is_some_and(|p| p.0 <= now) {
            let (_, id, outcome) = pending.remove(0);
            engine.on_answer(id, outcome, now);
            if let Some(taken) = taken {
                let t = engine.take_updated();
                assert_eq!(t.indexes.len(), t.objects.len());
                assert_eq!(t.positions.len(), t.objects.len());
                taken.extend(t.indexes.into_iter().zip(t.objects));
            }
        }
    }
    panic!("engine did not finish");
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
        .all(|f| f.error.category == "NOT_UPDATED" && f.error.status == Some(200)));
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
    let mut engine = Engine::new(config(), ins, 0.0, 1);
    let Action::Send(out) = engine.poll(0.0) else {
        panic!()
    };
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
    engine.on_answer(
        out.id,
        Outcome::Http {
            status: 200,
            meta: ResponseMeta::default(),
            body: Body::Batch(answer),
        },
        1.0,
    );
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
        .all(|f| f.error.category == "OBJECT_NOT_FOUND" && f.error.status == Some(207)));
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
    assert_eq!(f.category, "VALIDATION_ERROR");
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
    assert_eq!(r.failed[0].error.category, "SERVER_ERROR");
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
    assert_eq!(r.failed[0].error.category, "MALFORMED_RESPONSE");
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
    assert_eq!(err.policy_name.as_deref(), Some("DAILY"));
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
    let mut engine = Engine::new(config(), inputs(4), 0.0, 1);
    let Action::Send(out) = engine.poll(0.0) else {
        panic!()
    };
    let Outcome::Http { status, meta, body } = error_outcome(409, "CONFLICT", "unique value taken")
    else {
        panic!()
    };
    engine.on_answer(out.id, Outcome::Http { status, meta, body }, 1.0);
    assert_eq!(engine.progress().done, 0, "split, not failed");
    let Action::Send(a) = engine.poll(1.0) else {
        panic!()
    };
    let Action::Send(b) = engine.poll(1.0) else {
        panic!()
    };
    assert_eq!(
        (a.request.input_indexes, b.request.input_indexes),
        (vec![0, 1], vec![2, 3])
    );
}

#[test]
fn a_429_holds_every_request_not_just_its_own() {
    let mut engine = Engine::new(
        ClientConfig {
            batch_size: 1,
            ..config()
        },
        inputs(3),
        0.0,
        1,
    );
    let Action::Send(first) = engine.poll(0.0) else {
        panic!()
    };
    engine.on_answer(first.id, rate_limited("SECONDLY", None), 10.0);
    // Inputs 1 and 2 were never rate limited themselves, yet wait out the window.
    let Action::WaitUntil(t) = engine.poll(10.0) else {
        panic!()
    };
    assert!(t >= 10.0 + SECONDLY_MS, "resumes at {t}");
}

#[test]
fn a_cut_off_client_error_is_asked_again() {
    let mut engine = Engine::new(config(), inputs(3), 0.0, 1);
    let Action::Send(out) = engine.poll(0.0) else {
        panic!()
    };
    let cut = Body::Unreadable(crate::response::TRUNCATED_JSON.into());
    engine.on_answer(
        out.id,
        Outcome::Http {
            status: 400,
            meta: ResponseMeta::default(),
            body: cut,
        },
        1.0,
    );
    assert_eq!(engine.progress().done, 0, "not failed: retried");
    let Action::WaitUntil(t) = engine.poll(1.0) else {
        panic!()
    };
    let Action::Send(again) = engine.poll(t) else {
        panic!()
    };
    assert_eq!(again.request.input_indexes, vec![0, 1, 2]);
    // An HTML 400 is an answer, not a cut-off one: not retried.
    let mut engine = Engine::new(config(), inputs(3), 0.0, 1);
    let Action::Send(out) = engine.poll(0.0) else {
        panic!()
    };
    let html = Body::Unreadable("an HTML page".into());
    engine.on_answer(
        out.id,
        Outcome::Http {
            status: 400,
            meta: ResponseMeta::default(),
            body: html,
        },
        1.0,
    );
    assert_eq!(engine.progress().failed, 3);
}

#[test]
fn redirects_are_not_followed() {
    let mut engine = Engine::new(config(), inputs(2), 0.0, 1);
    let Action::Send(out) = engine.poll(0.0) else {
        panic!()
    };
    let meta = ResponseMeta {
        location: Some("https://evil.example/steal?x=1".into()),
        ..ResponseMeta::default()
    };
    engine.on_answer(
        out.id,
        Outcome::Http {
            status: 307,
            meta,
            body: Body::Unreadable("x".into()),
        },
        1.0,
    );
    let r = engine.finish(1.0).unwrap();
    assert_eq!(r.failed[0].error.category, "REDIRECT");
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
    let mut engine = Engine::new(
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
    let Action::Send(out) = engine.poll(0.0) else {
        panic!()
    };
    let Outcome::Http { status, body, .. } = sim.respond(&out.request, 0.0) else {
        panic!()
    };
    let meta = ResponseMeta {
        rate_max: Some(100),
        rate_remaining: Some(99),
        rate_interval_ms: Some(10_000.0),
        ..ResponseMeta::default()
    };
    engine.on_answer(out.id, Outcome::Http { status, meta, body }, 10.0);
    assert_eq!(engine.window.as_ref().map(RateWindow::limit), Some(100));
}

#[test]
fn abort_fails_everything_unsettled() {
    let mut engine = Engine::new(
        ClientConfig {
            concurrency: 1,
            ..config()
        },
        inputs(250),
        0.0,
        1,
    );
    let Action::Send(_) = engine.poll(0.0) else {
        panic!()
    };
    engine.abort();
    assert_eq!(engine.poll(1.0), Action::Done);
    let r = engine.into_result(BatchStatus::Canceled, 1.0);
    assert_eq!(r.failed.len(), 250);
    assert!(r.failed[0].error.message.contains("in flight"));
    assert!(r.failed[100].error.message.contains("before"));
}

#[test]
fn concurrency_is_bounded() {
    let mut engine = Engine::new(
        ClientConfig {
            concurrency: 3,
            ..config()
        },
        inputs(1000),
        0.0,
        1,
    );
    for _ in 0..3 {
        assert!(matches!(engine.poll(0.0), Action::Send(_)));
    }
    assert_eq!(engine.poll(0.0), Action::AwaitAnswer);
}

#[test]
fn default_options_send_a_whole_window_at_once() {
    let mut engine = Engine::new(config(), inputs(25_000), 0.0, 1);
    for i in 0..100 {
        assert!(
            matches!(engine.poll(0.0), Action::Send(_)),
            "request {i} of the first window"
        );
    }
    assert_eq!(engine.poll(0.0), Action::AwaitAnswer, "the window is full");
}

#[test]
fn a_slot_frees_one_interval_after_the_answer_was_heard_not_read() {
    let mut sim = Sim::new(2);
    let mut engine = Engine::new(
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
    let Action::Send(first) = engine.poll(0.0) else {
        panic!()
    };
    let answer = sim.respond(&first.request, 20.0);
    // Headers at 50 ms, body read and parsed at 400 ms.
    engine.on_answer_heard(first.id, answer, 50.0, 400.0);
    assert_eq!(engine.poll(400.0), Action::WaitUntil(10_050.0));
    // A `heard` later than `now` is taken as `now`.
    let Action::Send(second) = engine.poll(10_050.0) else {
        panic!()
    };
    let answer = sim.respond(&second.request, 10_060.0);
    engine.on_answer_heard(second.id, answer, f64::INFINITY, 10_100.0);
    assert_eq!(
        engine
            .window
            .as_ref()
            .and_then(RateWindow::earliest_release),
        Some(20_100.0)
    );
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
    let mut engine = Engine::new(told.clone(), inputs(1000), 0.0, 1);
    let mut sent = 0;
    while let Action::Send(_) = engine.poll(0.0) {
        sent += 1;
    }
    assert_eq!(
        sent, 100,
        "no more than the lowest tier before HubSpot has answered"
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
    let mut engine = Engine::new(
        ClientConfig {
            batch_size: 1,
            concurrency: 1,
            rate_limit: Some(RateLimit {
                requests: 2,
                interval_ms: 1000.0,
            }),
            ..config()
        },
        inputs(3),
        0.0,
        1,
    );
    let Action::Send(first) = engine.poll(0.0) else {
        panic!()
    };
    assert_eq!(engine.poll(0.0), Action::AwaitAnswer, "concurrency 1");
    let answer = sim.respond(&first.request, 10.0);
    let Outcome::Http { meta, .. } = &answer else {
        panic!()
    };
    engine.on_headers(first.id, meta, 20.0);
    assert!(
        matches!(engine.poll(20.0), Action::Send(_)),
        "the first is off the wire"
    );
    assert_eq!(engine.in_flight(), 2, "but not settled");
    assert_eq!(
        engine.poll(21.0),
        Action::AwaitAnswer,
        "concurrency 1 again"
    );
    // Read later: the slot still counts from the headers.
    engine.on_answer_heard(first.id, answer, 20.0, 900.0);
    assert_eq!(engine.progress().done, 1);
    assert_eq!(
        engine
            .window
            .as_ref()
            .and_then(RateWindow::earliest_release),
        Some(1020.0)
    );
}

#[test]
fn prepared_bodies_are_the_ones_sent() {
    let cfg = ClientConfig {
        batch_size: 10,
        concurrency: 3,
        ..config()
    };
    let mut fresh = Engine::new(cfg.clone(), inputs(100), 0.0, 5);
    let mut prepared = Engine::new(cfg, inputs(100), 0.0, 5);
    assert_eq!(prepared.prepare(), 3, "as many as may be in flight at once");
    assert_eq!(prepared.prepare(), 0, "already done");
    for _ in 0..4 {
        let (Action::Send(a), Action::Send(b)) = (fresh.poll(0.0), prepared.poll(0.0)) else {
            break;
        };
        assert_eq!(a.request, b.request);
    }
}

#[test]
fn a_retry_sends_the_same_body() {
    let mut engine = Engine::new(config(), inputs(5), 0.0, 1);
    let Action::Send(first) = engine.poll(0.0) else {
        panic!()
    };
    engine.on_answer(
        first.id,
        error_outcome(503, "SERVICE_UNAVAILABLE", "try again"),
        10.0,
    );
    let Action::WaitUntil(t) = engine.poll(10.0) else {
        panic!()
    };
    let Action::Send(again) = engine.poll(t) else {
        panic!()
    };
    assert_eq!(again.request.body, first.request.body);
}

#[test]
fn empty_run_is_done_at_once() {
    let mut engine = Engine::new(config(), vec![], 0.0, 1);
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

enum Event {
    /// The request reaches HubSpot, which counts it and decides its answer.
    Arrive(u64, HttpRequest, Timing),
    /// Its headers reach us (told to the engine at once when the driver reads bodies later).
    Headers(u64, ResponseMeta),
    /// Its headers reached us at `.2`; its body is read now.
    Read(u64, Outcome, f64),
}

/// Drives the engine with every request arriving, being answered and being read after its
/// own delays, and returns HubSpot's arrival times of the requests it accepted.
fn drive_with_timings(
    config: ClientConfig,
    n: usize,
    sim: &mut Sim,
    timings: &[Timing],
    headers_first: bool,
) -> (Result<BatchUpdateResult, HubSpotError>, Vec<f64>) {
    let mut engine = Engine::new(config, inputs(n), 0.0, 3);
    let mut now = 0.0;
    let mut events: Vec<(f64, Event)> = Vec::new();
    let mut accepted = Vec::new();
    let mut sent = 0usize;
    for _ in 0..1_000_000 {
        match engine.poll(now) {
            Action::Send(out) => {
                let t = timings[sent % timings.len()];
                sent += 1;
                events.push((now + t.0, Event::Arrive(out.id, out.request, t)));
                continue;
            }
            Action::Done => return (engine.finish(now), accepted),
            Action::WaitUntil(t) => {
                assert!(t > now);
                now = events.iter().map(|e| e.0).fold(t, f64::min);
            }
            Action::AwaitAnswer => {
                now = events.iter().map(|e| e.0).fold(f64::INFINITY, f64::min);
                assert!(now.is_finite(), "awaiting an answer with none in flight");
            }
        }
        while let Some(pos) = events
            .iter()
            .enumerate()
            .filter(|(_, e)| e.0 <= now)
            .min_by(|a, b| a.1 .0.total_cmp(&b.1 .0))
            .map(|(i, _)| i)
        {
            let (at, event) = events.remove(pos);
            match event {
                Event::Arrive(id, request, (_, server, back, read)) => {
                    let before = sim.window_429s;
                    let outcome = sim.respond_with_headers(&request, at);
                    if sim.window_429s == before {
                        accepted.push(at);
                    }
                    let heard = at + server + back;
                    if let (true, Outcome::Http { meta, .. }) = (headers_first, &outcome) {
                        events.push((heard, Event::Headers(id, meta.clone())));
                    }
                    events.push((heard + read, Event::Read(id, outcome, heard)));
                }
                Event::Headers(id, meta) => engine.on_headers(id, &meta, now),
                Event::Read(id, outcome, heard) => engine.on_answer_heard(id, outcome, heard, now),
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
        let above = if headers && server_limit as u32 >= window::UNCONFIRMED_LIMIT {
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

/// Objects taken as answers arrive, put back in input order, are exactly the results of a
/// run that takes none; `finish` then holds none of them, and the failures are the same.
#[test]
fn taking_updated_objects_as_they_come_loses_and_repeats_none() {
    let sim = || {
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
        ];
        sim
    };
    let mut all = inputs(260);
    for i in [3, 120, 121, 199] {
        all[i].properties.0[0].1 = "BAD".into();
    }
    let plain = drive(config(), all.clone(), &mut sim()).result.unwrap();
    let mut taken = Some(Vec::new());
    let run = drive_taking(config(), all, &mut sim(), &mut taken)
        .result
        .unwrap();
    let mut taken = taken.unwrap();
    assert!(run.results.is_empty(), "finish leaves out what was taken");
    taken.sort_by_key(|(i, _)| *i);
    let indexes: Vec<usize> = taken.iter().map(|(i, _)| *i).collect();
    let mut unique = indexes.clone();
    unique.dedup();
    assert_eq!(unique, indexes, "no input taken twice");
    let objects: Vec<SimplePublicObject> = taken.into_iter().map(|(_, o)| o).collect();
    assert_eq!(objects, plain.results);
    assert_eq!(run.failed, plain.failed);
    assert_eq!(run.errors, plain.errors);
    assert!(plain.results.len() > 200 && plain.failed.len() >= 30);
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
    // The text `format!("... ({} ms)", timeout_ms as u64)` gave, kept without `format!`.
    for t in [1.0, 30_000.0, 2_147_483_647.0, 1.5e12, 0.4] {
        let cfg = ClientConfig {
            max_retries: 0,
            timeout_ms: t,
            ..config()
        };
        let mut engine = Engine::new(cfg, inputs(1), 0.0, 1);
        let Action::Send(out) = engine.poll(0.0) else {
            panic!("expected a request");
        };
        engine.on_answer(out.id, Outcome::Timeout, 1.0);
        let result = engine.finish(2.0).unwrap();
        assert_eq!(result.failed.len(), 1);
        let want = format!("no answer within timeoutMs ({} ms)", t as u64);
        assert_eq!(result.failed[0].error.message, want);
    }
}

#[test]
fn redirect_message_as_before() {
    // The text the two `format!`s gave, kept with pieces pushed.
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
        let mut engine = Engine::new(config(), inputs(1), 0.0, 1);
        let Action::Send(out) = engine.poll(0.0) else {
            panic!("expected a request");
        };
        let meta = ResponseMeta {
            location: location.map(str::to_owned),
            ..ResponseMeta::default()
        };
        let outcome = Outcome::Http {
            status,
            meta,
            body: Body::Unreadable("x".to_owned()),
        };
        engine.on_answer(out.id, outcome, 1.0);
        let result = engine.finish(2.0).unwrap();
        assert_eq!(result.failed.len(), 1);
        assert_eq!(result.failed[0].error.message, old(location));
        assert_eq!(result.failed[0].error.category, "REDIRECT");
    }
}

#[test]
fn taken_objects_say_where_they_stood_in_their_answer() {
    let mut engine = Engine::new(config(), inputs(4), 0.0, 1);
    let Action::Send(out) = engine.poll(0.0) else {
        panic!("expected a request");
    };
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
    let outcome = Outcome::Http {
        status: 200,
        meta: ResponseMeta::default(),
        body: Body::Batch(body),
    };
    engine.on_answer(out.id, outcome, 1.0);
    let taken = engine.take_updated();
    assert_eq!(taken.indexes, vec![2, 0, 3]);
    assert_eq!(taken.positions, vec![0, 2, 3]);
    let ids: Vec<&str> = taken.objects.iter().map(|o| o.id.as_str()).collect();
    assert_eq!(ids, vec!["2", "0", "3"]);
    assert_eq!(engine.take_updated(), Updated::default(), "taken once");
}
