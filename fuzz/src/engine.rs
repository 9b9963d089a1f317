//! The run engine against an adversarial HubSpot: any sequence of answers (batches that
//! leave records out, echo the wrong trace, repeat results, per-item errors, error bodies
//! of every status and category, rate-limit headers, unreadable bodies, network errors,
//! silence (the engine must time the attempt out), duplicate and stray answers, answers to
//! attempts the engine cancelled) in any timing, optionally aborted part-way.
//!
//! Must hold: no panic; every wait is in the future and bounded; the run reaches
//! `Action::Done` within a bounded number of steps; no more than `maxRetries + 1` attempts
//! per batch (a batch is the set of inputs a request carries: chunks are disjoint and a split
//! half is a strict part of its batch, so no two batches carry the same set); a `Read` only
//! of an answer heard, a `Cancel` only of an attempt on the wire for `timeoutMs` at least;
//! nothing sent after an abort; and the ledger accounts for every input
//! (`results + failed == n`), with every reported update backed by an object HubSpot
//! returned for that very input in answer to a request that carried it.

use std::collections::BTreeMap;

use arbitrary::Arbitrary;
use hubspot_batch::config::{ClientConfig, RateLimit, Secret};
use hubspot_batch::engine::{Action, Engine, Event};
use hubspot_batch::error::ErrorCode;
use hubspot_batch::input::{self, RawInput, Value};
use hubspot_batch::model::{
    self, BatchInputSimplePublicObjectBatchInput, BatchResponse, BatchStatus, ErrorDetail, Map,
    PolicyName, SimplePublicObject, SimplePublicObjectBatchInput, StandardError,
};
use hubspot_batch::response::{Body, ResponseMeta, Unreadable};

/// How one request ends, as a transport sees it.
#[derive(Clone, Debug)]
#[allow(clippy::large_enum_variant)] // one per request, moved once
pub enum Reply {
    /// An HTTP answer: headers, then the body when the engine asks for it.
    Http {
        status: u16,
        meta: ResponseMeta,
        body: Body,
    },
    /// No HTTP answer.
    Network(String),
    /// No answer at all: the engine must time the attempt out.
    Silence,
}

/// The longest wait the engine may ask for: a pacing window is at most one day
/// (`observe` and `parse_options` both cap it there), plus the 5% jitter on 429 waits.
const MAX_WAIT_MS: f64 = 86_400_000.0 * 1.05 + 1.0;
const PROPS: [&str; 5] = ["dealname", "amount", "dealstage", "closedate", "pipeline"];
const EXT: &str = "deal_external_id";
const STATUSES: [u16; 16] = [
    400, 401, 403, 404, 409, 429, 500, 502, 503, 504, 200, 207, 0, 301, 307, 422,
];

/// One run. Sizes are folded into range: `n % 128` inputs, batches of `batch_size % 100 + 1`,
/// `concurrency % 16 + 1` in flight, `max_retries % 6`, and a rate limit of
/// `requests % 200 + 1` per `interval + 1` ms when given.
#[derive(Arbitrary, Debug, Default)]
pub struct Case {
    pub n: u16,
    pub batch_size: u8,
    pub concurrency: u8,
    pub max_retries: u8,
    pub rate_limit: Option<(u8, u16)>,
    /// The engine's seed (jitter, trace-id prefix).
    pub seed: u64,
    /// The clock at the start, in ms.
    pub start: u32,
    /// Per input, cycled: bit 0 a caller trace id, bit 1 idProperty, bit 2 `hs_object_id`
    /// as idProperty, bits 3.. which properties it sets.
    pub input_flags: Vec<u8>,
    /// The answers to the requests, in the order they are sent; once they run out, HubSpot
    /// answers 200 with every input updated.
    pub answers: Vec<Answer>,
    /// Abort (as the caller's AbortSignal would) before poll number `abort_at % 64 + 1`.
    pub abort_at: Option<u16>,
}

#[derive(Arbitrary, Debug)]
pub struct Answer {
    pub latency: u16,
    pub kind: Kind,
    pub headers: Vec<(HeaderName, HeaderValue)>,
    /// Deliver the same answer twice (the second must be ignored).
    pub duplicate: bool,
    /// Also deliver an answer for an id that was never sent (must be ignored).
    pub stray: bool,
}

#[derive(Arbitrary, Debug)]
pub enum HeaderName {
    RetryAfter,
    Max,
    Remaining,
    Interval,
    Location,
}

#[derive(Arbitrary, Debug)]
pub enum HeaderValue {
    Int(u32),
    Small(u8),
    Float(f64),
    Text(String),
}

#[derive(Arbitrary, Debug)]
pub enum Kind {
    Batch {
        multi: bool,
        fates: Vec<Fate>,
        extras: Vec<Extra>,
        rotate: u8,
        /// Send the batch body under another status.
        other_status: Option<Status>,
    },
    Error {
        status: Status,
        category: Category,
        policy: Option<Policy>,
        details: Details,
    },
    Unreadable(Status),
    Network,
    Timeout,
}

#[derive(Arbitrary, Debug, Clone, Copy)]
pub enum Fate {
    Result { echo_trace: bool, wrong_id: bool },
    Omit,
    ErrorById,
    ErrorByTrace,
    ErrorByContext,
    ResultAndError,
}

#[derive(Arbitrary, Debug)]
pub enum Extra {
    Foreign { id: String, trace: Option<String> },
    RepeatFirst,
    ForeignError { id: String },
}

#[derive(Arbitrary, Debug, Clone, Copy)]
pub enum Status {
    Known(u8),
    Raw(u16),
}

impl Status {
    fn get(self) -> u16 {
        match self {
            Status::Known(i) => STATUSES[usize::from(i) % STATUSES.len()],
            Status::Raw(s) => s,
        }
    }
}

#[derive(Arbitrary, Debug)]
pub enum Category {
    Validation,
    Conflict,
    RateLimits,
    NotFound,
    Empty,
    Any(String),
}

#[derive(Arbitrary, Debug)]
pub enum Policy {
    TenSecondly,
    Secondly,
    Daily,
    Any(String),
}

#[derive(Arbitrary, Debug)]
pub enum Details {
    None,
    Embedded(Vec<u8>),
    Listed(Vec<u8>),
}

/// What the harness knows about each object it put in an answer, by tag (carried in `url`).
struct Issued {
    request_indexes: Vec<usize>,
    object: SimplePublicObject,
}

struct Harness {
    inputs: Vec<SimplePublicObjectBatchInput>,
    /// The trace id each input was sent with.
    sent_trace: BTreeMap<usize, String>,
    issued: Vec<Issued>,
}

fn build_inputs(case: &Case, n: usize) -> Vec<SimplePublicObjectBatchInput> {
    let raw: Vec<RawInput> = (0..n)
        .map(|i| {
            let flags = if case.input_flags.is_empty() {
                0
            } else {
                case.input_flags[i % case.input_flags.len()]
            };
            let properties = PROPS
                .iter()
                .enumerate()
                .filter(|(p, _)| flags & (8 << p) != 0)
                .map(|(p, name)| ((*name).to_owned(), Value::Str(format!("v{i}-{p}"))))
                .collect();
            let id_property = match (flags & 2 != 0, flags & 4 != 0) {
                (true, _) => Value::Str(EXT.to_owned()),
                (false, true) => Value::Str("hs_object_id".to_owned()),
                _ => Value::Undefined,
            };
            RawInput::Object {
                id: Value::Str(i.to_string()),
                properties: Ok(properties),
                id_property,
                object_write_trace_id: if flags & 1 != 0 {
                    Value::Str(format!("caller-{i}"))
                } else {
                    Value::Undefined
                },
                associations: Value::Undefined,
                unknown_fields: vec![],
            }
        })
        .collect();
    input::validate_inputs(&raw, None).expect("harness inputs are valid")
}

impl Harness {
    fn object_for(
        &mut self,
        x: &SimplePublicObjectBatchInput,
        echo_trace: bool,
        wrong_id: bool,
        req: &[usize],
    ) -> SimplePublicObject {
        let id = if wrong_id {
            format!("{}x", x.id)
        } else {
            x.id.clone()
        };
        let mut properties: Vec<(String, Option<String>)> = x
            .properties
            .0
            .iter()
            .map(|(k, v)| (k.clone(), Some(v.clone())))
            .collect();
        let internal_id = match input::id_key(x) {
            "" => id,
            prop => {
                properties.push((prop.to_owned(), Some(id)));
                format!("900{}", x.id)
            }
        };
        let tag = self.issued.len();
        let object = SimplePublicObject {
            archived: false,
            archived_at: None,
            created_at: "2024-01-01T00:00:00.000Z".into(),
            id: internal_id,
            object_write_trace_id: if echo_trace {
                x.object_write_trace_id.clone()
            } else {
                None
            },
            properties: Map(properties),
            properties_with_history: None,
            updated_at: "2024-01-01T00:00:00.000Z".into(),
            url: Some(format!("tag:{tag}")),
            warnings: None,
        };
        self.issued.push(Issued {
            request_indexes: req.to_vec(),
            object: object.clone(),
        });
        object
    }

    fn error_for(x: &SimplePublicObjectBatchInput, how: Fate) -> StandardError {
        let mut e = StandardError {
            category: model::Category::ObjectNotFound,
            context: Map::new(),
            errors: vec![],
            id: None,
            links: Map::new(),
            message: "Could not get some DEAL objects".into(),
            status: "error".into(),
            sub_category: None,
            object_write_trace_id: None,
        };
        match how {
            Fate::ErrorById => e.id = Some(x.id.clone()),
            Fate::ErrorByTrace | Fate::ResultAndError => {
                e.object_write_trace_id = x.object_write_trace_id.clone()
            }
            _ => e.context = Map(vec![("ids".into(), vec![x.id.clone()])]),
        }
        e
    }

    fn outcome(
        &mut self,
        answer: Option<&Answer>,
        sent: &[SimplePublicObjectBatchInput],
        req: &[usize],
    ) -> (Reply, f64) {
        let Some(answer) = answer else {
            // Out of script: HubSpot applies everything and says so.
            let results = sent
                .iter()
                .map(|x| self.object_for(x, true, false, req))
                .collect();
            return (
                batch_reply(200, ResponseMeta::default(), results, vec![]),
                50.0,
            );
        };
        let headers: Vec<(&str, String)> = answer
            .headers
            .iter()
            .map(|(name, value)| {
                let name = match name {
                    HeaderName::RetryAfter => "Retry-After",
                    HeaderName::Max => "X-HubSpot-RateLimit-Max",
                    HeaderName::Remaining => "X-HubSpot-RateLimit-Remaining",
                    HeaderName::Interval => "X-HubSpot-RateLimit-Interval-Milliseconds",
                    HeaderName::Location => "Location",
                };
                let value = match value {
                    HeaderValue::Int(v) => v.to_string(),
                    HeaderValue::Small(v) => v.to_string(),
                    HeaderValue::Float(v) => v.to_string(),
                    HeaderValue::Text(t) => t.clone(),
                };
                (name, value)
            })
            .collect();
        let meta = ResponseMeta::from_headers(headers.iter().map(|(k, v)| (*k, v.as_str())));
        let latency = f64::from(answer.latency);
        let outcome = match &answer.kind {
            Kind::Network => Reply::Network("connection reset".into()),
            Kind::Timeout => Reply::Silence,
            Kind::Unreadable(status) => Reply::Http {
                status: status.get(),
                meta,
                body: Body::Unreadable(Unreadable::TruncatedJson),
            },
            Kind::Error {
                status,
                category,
                policy,
                details,
            } => {
                let category = match category {
                    Category::Validation => "VALIDATION_ERROR".to_owned(),
                    Category::Conflict => "CONFLICT".to_owned(),
                    Category::RateLimits => "RATE_LIMITS".to_owned(),
                    Category::NotFound => "OBJECT_NOT_FOUND".to_owned(),
                    Category::Empty => String::new(),
                    Category::Any(s) => s.clone(),
                };
                let policy_name = policy.as_ref().map(|p| match p {
                    Policy::TenSecondly => PolicyName::TenSecondlyRolling,
                    Policy::Secondly => PolicyName::Secondly,
                    Policy::Daily => PolicyName::Daily,
                    Policy::Any(s) => PolicyName::parse(s),
                });
                let named = |picks: &[u8]| -> Vec<&str> {
                    picks
                        .iter()
                        .map(|p| PROPS[usize::from(*p) % PROPS.len()])
                        .collect()
                };
                let (message, errors) = match details {
                    Details::None => ("Something went wrong".to_owned(), None),
                    Details::Embedded(picks) => {
                        let items: Vec<String> = named(picks)
                            .iter()
                            .map(|p| format!(r#"{{"isValid":false,"message":"bad {p}","error":"INVALID_OPTION","name":"{p}"}}"#))
                            .collect();
                        (
                            format!("Property values were not valid: [{}]", items.join(",")),
                            None,
                        )
                    }
                    Details::Listed(picks) => (
                        "Property values were not valid".to_owned(),
                        Some(
                            named(picks)
                                .iter()
                                .map(|p| ErrorDetail {
                                    in_: Some((*p).to_owned()),
                                    message: "bad".into(),
                                    ..ErrorDetail::default()
                                })
                                .collect(),
                        ),
                    ),
                };
                Reply::Http {
                    status: status.get(),
                    meta,
                    body: Body::Error(model::Error {
                        category: model::Category::parse(&category),
                        correlation_id: "corr".into(),
                        message,
                        errors,
                        policy_name,
                        ..model::Error::default()
                    }),
                }
            }
            Kind::Batch {
                multi,
                fates,
                extras,
                rotate,
                other_status,
            } => {
                let mut results = Vec::new();
                let mut errors = Vec::new();
                for (k, x) in sent.iter().enumerate() {
                    let fate = if fates.is_empty() {
                        Fate::Result {
                            echo_trace: true,
                            wrong_id: false,
                        }
                    } else {
                        fates[k % fates.len()]
                    };
                    match fate {
                        Fate::Result {
                            echo_trace,
                            wrong_id,
                        } => results.push(self.object_for(x, echo_trace, wrong_id, req)),
                        Fate::Omit => {}
                        Fate::ResultAndError => {
                            results.push(self.object_for(x, false, false, req));
                            errors.push(Self::error_for(x, fate));
                        }
                        other => errors.push(Self::error_for(x, other)),
                    }
                }
                for extra in extras {
                    match extra {
                        Extra::Foreign { id, trace } => {
                            let tag = self.issued.len();
                            let object = SimplePublicObject {
                                archived: false,
                                archived_at: None,
                                created_at: String::new(),
                                id: id.clone(),
                                object_write_trace_id: trace.clone(),
                                properties: Map::new(),
                                properties_with_history: None,
                                updated_at: String::new(),
                                url: Some(format!("tag:{tag}")),
                                warnings: None,
                            };
                            self.issued.push(Issued {
                                request_indexes: req.to_vec(),
                                object: object.clone(),
                            });
                            results.push(object);
                        }
                        Extra::RepeatFirst => {
                            if let Some(first) = results.first().cloned() {
                                results.push(first);
                            }
                        }
                        Extra::ForeignError { id } => {
                            let mut e = Self::error_for(&sent[0], Fate::ErrorById);
                            e.id = Some(id.clone());
                            errors.push(e);
                        }
                    }
                }
                if !results.is_empty() {
                    let r = usize::from(*rotate) % results.len();
                    results.rotate_left(r);
                }
                let status =
                    other_status
                        .map(Status::get)
                        .unwrap_or(if *multi { 207 } else { 200 });
                batch_reply(status, meta, results, errors)
            }
        };
        (outcome, latency)
    }
}

fn batch_reply(
    status: u16,
    meta: ResponseMeta,
    results: Vec<SimplePublicObject>,
    errors: Vec<StandardError>,
) -> Reply {
    Reply::Http {
        status,
        meta,
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

/// Whether `object` names input `x` by id (what the engine may use when no trace is echoed).
fn names_by_id(x: &SimplePublicObjectBatchInput, object: &SimplePublicObject) -> bool {
    match input::id_key(x) {
        "" => object.id == x.id,
        prop => object.properties.get(prop).and_then(|v| v.as_deref()) == Some(x.id.as_str()),
    }
}

/// Every event a transport could report for `id`: its headers and body, or its failure.
fn deliver_all(engine: &mut Engine, now: f64, id: u64, reply: Reply) {
    match reply {
        Reply::Http { status, meta, body } => {
            engine.handle(
                now,
                Event::Heard {
                    id,
                    status,
                    meta,
                    at: now,
                },
            );
            engine.handle(now, Event::Body { id, body });
        }
        Reply::Network(message) => engine.handle(now, Event::Failed { id, message }),
        Reply::Silence => {}
    }
}

/// Runs one case; panics on any broken property.
pub fn run(case: &Case) {
    let n = usize::from(case.n % 128);
    let batch_size = usize::from(case.batch_size % 100) + 1;
    let max_retries = u32::from(case.max_retries % 6);
    let config = ClientConfig {
        access_token: Some(Secret::new("pat-fuzz-token")),
        batch_size,
        concurrency: usize::from(case.concurrency % 16) + 1,
        rate_limit: case.rate_limit.map(|(r, i)| RateLimit {
            requests: u32::from(r % 200) + 1,
            interval_ms: f64::from(i) + 1.0,
        }),
        max_retries,
        ..ClientConfig::default()
    };
    let inputs = build_inputs(case, n);
    let mut h = Harness {
        inputs: inputs.clone(),
        sent_trace: BTreeMap::new(),
        issued: Vec::new(),
    };
    let start = f64::from(case.start);
    let mut engine: Engine = Engine::new(config.clone(), inputs, start, case.seed);

    let chunks = n.div_ceil(batch_size);
    let max_sends = (2 * n - chunks) * (max_retries as usize + 1);
    // Per request: its Send, a Read or a Cancel, and the waits between.
    let max_steps = 16 * max_sends + 16;

    let mut now = start;
    let mut seq = 0u64;
    // (due, order, request id, reply)
    let mut pending: Vec<(f64, u64, u64, Reply)> = Vec::new();
    let mut in_flight_indexes: BTreeMap<u64, Vec<usize>> = BTreeMap::new();
    // Attempts on the wire (sent, not heard, failed or cancelled), with when they were sent.
    let mut on_wire: BTreeMap<u64, f64> = BTreeMap::new();
    // Answers heard whose body the engine has not asked for yet.
    let mut heard: BTreeMap<u64, Body> = BTreeMap::new();
    // Attempts per batch, a batch being the inputs a request carries.
    let mut attempts: BTreeMap<Vec<usize>, u32> = BTreeMap::new();
    let mut answers = case.answers.iter();
    let mut sends = 0usize;
    let mut aborted = false;
    let mut last_progress = engine.progress();
    let mut steps = 0usize;

    loop {
        steps += 1;
        assert!(
            steps <= max_steps,
            "no Done after {steps} steps ({sends} requests sent)"
        );
        if case
            .abort_at
            .is_some_and(|a| usize::from(a % 64) + 1 == steps)
        {
            engine.handle(now, Event::Aborted);
            aborted = true;
            in_flight_indexes.clear();
            on_wire.clear();
            heard.clear();
        }
        match engine.poll(now) {
            Action::Send(out) => {
                assert!(!aborted, "sent a request after abort");
                sends += 1;
                assert!(
                    sends <= max_sends,
                    "{sends} requests for {n} inputs, batch {batch_size}, retries {max_retries}"
                );
                let req = &out.request;
                assert_eq!(req.method, "POST");
                assert!(req.url.ends_with("/crm/v3/objects/0-3/batch/update"));
                let idx = &req.input_indexes;
                assert!(
                    !idx.is_empty() && idx.len() <= batch_size,
                    "batch of {}",
                    idx.len()
                );
                assert!(
                    idx.windows(2).all(|w| w[0] < w[1]),
                    "indexes out of order: {idx:?}"
                );
                assert!(idx.iter().all(|&i| i < n));
                let tries = attempts.entry(idx.clone()).or_default();
                *tries += 1;
                assert!(
                    *tries <= max_retries + 1,
                    "batch {idx:?} sent {tries} times, maxRetries {max_retries}"
                );
                for other in in_flight_indexes.values() {
                    assert!(
                        idx.iter().all(|i| !other.contains(i)),
                        "an input is in two requests at once"
                    );
                }
                in_flight_indexes.insert(out.id, idx.clone());
                on_wire.insert(out.id, now);
                let body: BatchInputSimplePublicObjectBatchInput =
                    serde_json::from_str(&req.body_json()).expect("body is JSON");
                assert_eq!(body.inputs.len(), idx.len());
                for (x, &i) in body.inputs.iter().zip(idx) {
                    let given = &h.inputs[i];
                    assert_eq!(
                        (&x.id, &x.properties, &x.id_property),
                        (&given.id, &given.properties, &given.id_property)
                    );
                    let trace = x
                        .object_write_trace_id
                        .clone()
                        .expect("every input is sent with a trace id");
                    if let Some(own) = &given.object_write_trace_id {
                        assert_eq!(&trace, own);
                    }
                    let first = h.sent_trace.entry(i).or_insert_with(|| trace.clone());
                    assert_eq!(first, &trace, "trace id changed between attempts");
                }
                let mut traces: Vec<&str> = body
                    .inputs
                    .iter()
                    .filter_map(|x| x.object_write_trace_id.as_deref())
                    .collect();
                traces.sort_unstable();
                assert!(
                    traces.windows(2).all(|w| w[0] != w[1]),
                    "two inputs share a trace id"
                );
                let answer = answers.next();
                let (reply, latency) = h.outcome(answer, &body.inputs, idx);
                let due = now + latency;
                if !matches!(reply, Reply::Silence) {
                    if let Some(a) = answer {
                        if a.duplicate {
                            pending.push((due + 1.0, u64::MAX, out.id, reply.clone()));
                        }
                        if a.stray {
                            pending.push((due, seq, out.id + 1_000_000, reply.clone()));
                        }
                    }
                    pending.push((due, seq, out.id, reply));
                }
                seq += 1;
                continue;
            }
            Action::Cancel(id) => {
                assert!(!aborted, "cancelled after abort");
                let sent_at = on_wire
                    .remove(&id)
                    .unwrap_or_else(|| panic!("Cancel({id}): not on the wire"));
                // As the engine adds them: `now - sent_at` can round below timeoutMs.
                assert!(
                    now >= sent_at + config.timeout_ms,
                    "Cancel({id}) {} ms after it was sent, timeoutMs {}",
                    now - sent_at,
                    config.timeout_ms
                );
                in_flight_indexes.remove(&id);
                continue;
            }
            Action::Read(id) => {
                assert!(!aborted, "read after abort");
                let body = heard
                    .remove(&id)
                    .unwrap_or_else(|| panic!("Read({id}): not heard, or read already"));
                in_flight_indexes.remove(&id);
                engine.handle(now, Event::Body { id, body });
                let p = engine.progress();
                assert!(
                    p.done >= last_progress.done
                        && p.failed >= last_progress.failed
                        && p.done <= n
                        && p.total == n
                );
                last_progress = p;
                continue;
            }
            Action::WaitUntil(t) => {
                assert!(!aborted, "waiting after abort");
                assert!(t.is_finite() && t > now, "WaitUntil({t}) at {now}");
                assert!(
                    t - now <= MAX_WAIT_MS,
                    "WaitUntil({t}) at {now}: a wait of {} ms",
                    t - now
                );
                let next = pending.iter().map(|p| p.0).fold(f64::INFINITY, f64::min);
                now = t.min(next);
            }
            Action::AwaitEvent => {
                assert!(!aborted, "awaiting after abort");
                assert!(
                    !on_wire.is_empty() || !heard.is_empty(),
                    "AwaitEvent with nothing in flight"
                );
                now = pending.iter().map(|p| p.0).fold(f64::INFINITY, f64::min);
                assert!(now.is_finite(), "AwaitEvent with no event to come");
            }
            Action::Acquire(_) | Action::Release { .. } => panic!("no shared limiter here"),
            Action::Done => {
                assert!(on_wire.is_empty(), "Done with requests on the wire");
                assert!(heard.is_empty(), "Done with answers not read");
                break;
            }
        }
        pending.sort_by(|a, b| a.0.total_cmp(&b.0).then(a.1.cmp(&b.1)));
        while pending.first().is_some_and(|p| p.0 <= now) {
            let (due, _, id, reply) = pending.remove(0);
            if on_wire.remove(&id).is_some() {
                match reply {
                    Reply::Http { status, meta, body } => {
                        engine.handle(
                            now,
                            Event::Heard {
                                id,
                                status,
                                meta,
                                at: due,
                            },
                        );
                        heard.insert(id, body);
                    }
                    Reply::Network(message) => {
                        in_flight_indexes.remove(&id);
                        engine.handle(now, Event::Failed { id, message });
                    }
                    Reply::Silence => unreachable!("silence is never pending"),
                }
            } else if !heard.contains_key(&id) {
                // A duplicate, a stray, or the answer to a cancelled or aborted attempt.
                let before = engine.progress();
                deliver_all(&mut engine, now, id, reply);
                assert_eq!(
                    engine.progress(),
                    before,
                    "an ignorable answer changed the ledger"
                );
            } else {
                // A duplicate of an answer heard and not read yet: its headers are ignored.
                if let Reply::Http { status, meta, .. } = reply {
                    engine.handle(
                        now,
                        Event::Heard {
                            id,
                            status,
                            meta,
                            at: now,
                        },
                    );
                }
            }
            let p = engine.progress();
            assert!(
                p.done >= last_progress.done
                    && p.failed >= last_progress.failed
                    && p.done <= n
                    && p.total == n
            );
            last_progress = p;
        }
    }

    // Whatever is still pending (duplicates, strays, answers to cancelled or aborted
    // requests) is ignored.
    let settled = engine.progress();
    assert_eq!(settled.done, n, "Done with inputs unsettled");
    for (_, _, id, reply) in pending.drain(..) {
        deliver_all(&mut engine, now, id, reply);
        assert_eq!(
            engine.progress(),
            settled,
            "an answer after Done changed the ledger"
        );
    }
    assert_eq!(engine.poll(now), Action::Done);
    let stats_requests = engine.stats().requests;
    assert_eq!(stats_requests as usize, sends);
    assert_eq!(engine.aborted(), aborted);

    let result = engine.finish(now);
    if aborted {
        assert!(
            matches!(&result, Ok(r) if r.status == BatchStatus::Canceled),
            "an aborted run resolves CANCELED"
        );
    }
    let r = match result {
        Err(e) => {
            // Only a stop before anything was updated rejects.
            assert_eq!(settled.failed, n, "rejected although something was updated");
            assert!(
                matches!(e.status, Some(401 | 403 | 429)),
                "rejected with {:?}",
                e.status
            );
            assert!(matches!(
                e.code(),
                ErrorCode::HttpError | ErrorCode::RateLimited
            ));
            return;
        }
        Ok(r) => r,
    };
    assert_eq!(
        r.results.len() + r.failed.len(),
        n,
        "ledger lost or doubled an input"
    );
    assert_eq!(r.failed.len(), settled.failed);
    assert!(
        r.failed.windows(2).all(|w| w[0].index < w[1].index),
        "failed not in input order, or listed twice"
    );
    for f in &r.failed {
        assert!(f.index < n);
        assert_eq!(f.id, h.inputs[f.index].id);
        assert!(!f.error.category.as_str().is_empty());
    }
    assert_eq!(r.num_errors, r.errors.len());
    assert!(r.stats.retries <= r.stats.requests);
    assert!(r.stats.batches as usize >= chunks);
    // Updated inputs, in order, are the ones not failed; each is backed by an object issued
    // for it.
    let failed: Vec<usize> = r.failed.iter().map(|f| f.index).collect();
    let updated = (0..n).filter(|i| failed.binary_search(i).is_err());
    for (i, object) in updated.zip(&r.results) {
        let tag: usize = object
            .url
            .as_deref()
            .and_then(|u| u.strip_prefix("tag:"))
            .and_then(|t| t.parse().ok())
            .expect("a result the harness did not issue");
        let issued = &h.issued[tag];
        assert!(
            issued.request_indexes.contains(&i),
            "input {i} credited with an object answered for {:?}",
            issued.request_indexes
        );
        let x = &h.inputs[i];
        match issued.object.object_write_trace_id.as_deref() {
            Some(t) => assert_eq!(
                Some(t),
                h.sent_trace.get(&i).map(String::as_str),
                "input {i} credited by another trace"
            ),
            None => assert!(
                names_by_id(x, &issued.object),
                "input {i} credited with an object that does not name it"
            ),
        }
        // The caller sees HubSpot's object, with only our own trace ids removed.
        let mut expected = issued.object.clone();
        if x.object_write_trace_id.is_none() {
            expected.object_write_trace_id = None;
        }
        assert_eq!(object, &expected);
    }
    if aborted {
        assert!(r
            .failed
            .iter()
            .all(|f| f.error.category != model::Category::NotSent));
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn answer(kind: Kind, headers: Vec<(HeaderName, HeaderValue)>) -> Answer {
        Answer {
            latency: 40,
            kind,
            headers,
            duplicate: false,
            stray: false,
        }
    }

    #[test]
    fn a_faulty_run_passes_the_harness() {
        let case = Case {
            n: 120,
            batch_size: 29,
            concurrency: 2,
            max_retries: 2,
            rate_limit: Some((3, 999)),
            seed: 5,
            input_flags: vec![0, 1, 2, 4, 9, 0xff],
            answers: vec![
                answer(Kind::Network, vec![]),
                answer(
                    Kind::Error {
                        status: Status::Raw(400),
                        category: Category::Validation,
                        policy: None,
                        details: Details::Embedded(vec![2]),
                    },
                    vec![],
                ),
                answer(
                    Kind::Batch {
                        multi: true,
                        fates: vec![
                            Fate::Omit,
                            Fate::ErrorByTrace,
                            Fate::Result {
                                echo_trace: false,
                                wrong_id: false,
                            },
                        ],
                        extras: vec![Extra::RepeatFirst],
                        rotate: 3,
                        other_status: None,
                    },
                    vec![(HeaderName::Remaining, HeaderValue::Small(0))],
                ),
                answer(
                    Kind::Error {
                        status: Status::Raw(429),
                        category: Category::RateLimits,
                        policy: Some(Policy::Secondly),
                        details: Details::None,
                    },
                    vec![(HeaderName::RetryAfter, HeaderValue::Text("2".into()))],
                ),
                answer(Kind::Timeout, vec![]),
            ],
            ..Case::default()
        };
        run(&case);
    }

    /// A 429 without Retry-After whose X-HubSpot-RateLimit-Interval-Milliseconds was huge
    /// made the engine wait that long (f64::MAX even made it WaitUntil(inf)). Found by this
    /// target; `seeds/engine/429-interval-header-3.7-days` is the fuzzer's own find.
    #[test]
    fn a_429_with_a_huge_interval_header_waits_boundedly() {
        let case = Case {
            n: 1,
            max_retries: 1,
            answers: vec![answer(
                Kind::Error {
                    status: Status::Raw(429),
                    category: Category::RateLimits,
                    policy: Some(Policy::TenSecondly),
                    details: Details::None,
                },
                vec![(HeaderName::Interval, HeaderValue::Int(4_000_000_000))],
            )],
            ..Case::default()
        };
        run(&case);
    }

    /// Issue 16 item 5: attempts are counted per batch, not only in total. One batch fails
    /// every time while the other succeeds at once, so the run's total stays within the
    /// global bound even if the failing batch were sent once too often.
    #[test]
    fn a_failing_batch_is_sent_max_retries_plus_one_times() {
        let server_error = || {
            answer(
                Kind::Error {
                    status: Status::Raw(500),
                    category: Category::Empty,
                    policy: None,
                    details: Details::None,
                },
                vec![],
            )
        };
        let ok = answer(
            Kind::Batch {
                multi: false,
                fates: vec![],
                extras: vec![],
                rotate: 0,
                other_status: None,
            },
            vec![],
        );
        let case = Case {
            n: 2,
            batch_size: 0,
            concurrency: 1,
            max_retries: 1,
            answers: vec![server_error(), ok, server_error(), server_error()],
            ..Case::default()
        };
        run(&case);
    }
}
