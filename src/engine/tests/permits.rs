//! A shared limiter (the `rateLimiter` option) on the engine: every send waits for a permit,
//! every permit is given back (with its answer's time, or unused), and several engines on one
//! token, each asking the same limiter, never make a HubSpot that counts at arrival answer
//! 429, whatever the latency and its jitter.

use crate::engine::*;
use crate::model::Map;

fn inputs(n: usize) -> Vec<SimplePublicObjectBatchInput> {
    (0..n)
        .map(|i| SimplePublicObjectBatchInput {
            id: format!("{i}"),
            properties: Map(vec![("dealname".into(), format!("Deal {i}"))]),
            id_property: None,
            object_write_trace_id: None,
        })
        .collect()
}

fn shared(batch_size: usize) -> ClientConfig {
    ClientConfig {
        shared_limiter: true,
        batch_size,
        max_retries: 3,
        ..ClientConfig::default()
    }
}

/// A 200 that updates every input of `request`, echoing ids and trace ids.
fn ok_body(request: &HttpRequest) -> Body {
    let sent: serde_json::Value = serde_json::from_str(&request.body_json()).unwrap();
    let results: Vec<serde_json::Value> = sent["inputs"]
        .as_array()
        .unwrap()
        .iter()
        .map(|x| {
            serde_json::json!({"id": x["id"], "objectWriteTraceId": x["objectWriteTraceId"],
                "properties": {}, "createdAt": "c", "updatedAt": "u", "archived": false})
        })
        .collect();
    let text = serde_json::json!({"status": "COMPLETE", "results": results,
        "startedAt": "s", "completedAt": "c"})
    .to_string();
    response::read_body(200, &text)
}

fn heard(e: &mut Engine, now: f64, id: u64, status: u16) {
    e.handle(
        now,
        Event::Heard {
            id,
            status,
            meta: ResponseMeta::default(),
            at: now,
        },
    );
}

#[test]
fn every_send_waits_for_a_permit_and_gives_it_back_with_the_answer_time() {
    let mut e: Engine = Engine::new(shared(1), inputs(2), 0.0, 1);
    assert_eq!(e.poll(0.0), Action::Acquire(1));
    assert_eq!(
        e.poll(0.0),
        Action::AwaitEvent,
        "nothing goes before the permit"
    );
    e.handle(5.0, Event::Permit { id: 1 });
    let Action::Send(first) = e.poll(5.0) else {
        panic!("the permit's request goes at once")
    };
    assert_eq!(first.id, 1);
    assert_eq!(
        e.poll(5.0),
        Action::Acquire(2),
        "one permit asked at a time"
    );
    heard(&mut e, 40.0, 1, 200);
    assert_eq!(
        e.poll(40.0),
        Action::Release {
            id: 1,
            answered: Some(40.0)
        },
        "given back at once, with when the answer arrived"
    );
    e.handle(
        40.0,
        Event::Body {
            id: 1,
            body: ok_body(&first.request),
        },
    );
    assert_eq!(
        e.poll(40.0),
        Action::AwaitEvent,
        "the permit is still to come"
    );
    // A permit the limiter gave for later is reported when that time comes.
    e.handle(900.0, Event::Permit { id: 2 });
    let Action::Send(second) = e.poll(900.0) else {
        panic!("sent when the permit comes")
    };
    assert_eq!(second.id, 2);
    heard(&mut e, 950.0, 2, 200);
    assert_eq!(
        e.poll(950.0),
        Action::Release {
            id: 2,
            answered: Some(950.0)
        }
    );
    e.handle(
        950.0,
        Event::Body {
            id: 2,
            body: ok_body(&second.request),
        },
    );
    assert_eq!(e.poll(950.0), Action::Done);
    let r = e.finish(950.0).unwrap();
    assert_eq!(r.results.len(), 2);
    assert_eq!(r.stats.requests, 2);
}

#[test]
fn the_engines_own_window_steps_aside() {
    // 150 single-input requests on a 100-per-10 s client: the limiter alone decides, so
    // permits granted at once let all 150 go (concurrency 150) without waiting on a window.
    let config = ClientConfig {
        concurrency: 150,
        ..shared(1)
    };
    let mut e: Engine = Engine::new(config, inputs(150), 0.0, 2);
    let mut sent = 0;
    for _ in 0..1000 {
        match e.poll(0.0) {
            Action::Acquire(id) => e.handle(0.0, Event::Permit { id }),
            Action::Send(_) => sent += 1,
            _ => break,
        }
    }
    assert_eq!(sent, 150);
}

#[test]
fn unused_permits_go_back_unsent() {
    let mut e: Engine = Engine::new(shared(1), inputs(2), 0.0, 3);
    assert_eq!(e.poll(0.0), Action::Acquire(1));
    // The limiter failed: reported all the same, and the request goes without a permit.
    e.handle(0.0, Event::Permit { id: 1 });
    let Action::Send(first) = e.poll(0.0) else {
        panic!("a failed limiter: the request goes at once")
    };
    assert_eq!(e.poll(0.0), Action::Acquire(2));
    // A 429 pauses every request: the permit that comes meanwhile is not held for 10 s.
    heard(&mut e, 30.0, first.id, 429);
    let body = response::read_body(
        429,
        r#"{"status":"error","message":"m","correlationId":"c","category":"RATE_LIMITS","policyName":"TEN_SECONDLY_ROLLING"}"#,
    );
    assert_eq!(
        e.poll(30.0),
        Action::Read(first.id),
        "errors are read first"
    );
    e.handle(30.0, Event::Body { id: first.id, body });
    assert_eq!(
        e.poll(30.0),
        Action::Release {
            id: 1,
            answered: Some(30.0)
        }
    );
    e.handle(31.0, Event::Permit { id: 2 });
    assert_eq!(
        e.poll(31.0),
        Action::Release {
            id: 2,
            answered: None
        },
        "never sent: its slot frees at once"
    );
    let Action::WaitUntil(t) = e.poll(31.0) else {
        panic!("paused")
    };
    assert!(t >= 10_030.0, "{t}");
    assert_eq!(
        e.poll(t),
        Action::Acquire(3),
        "asked again when it can be used"
    );
}

#[test]
fn failures_timeouts_and_aborts_give_their_permits_back() {
    let config = ClientConfig {
        timeout_ms: 1000.0,
        ..shared(1)
    };
    let mut e: Engine = Engine::new(config, inputs(6), 0.0, 4);
    let mut ids = Vec::new();
    for _ in 0..4 {
        let Action::Acquire(id) = e.poll(0.0) else {
            panic!()
        };
        e.handle(0.0, Event::Permit { id });
        let Action::Send(out) = e.poll(0.0) else {
            panic!()
        };
        ids.push(out.id);
    }
    // No connection made: never sent, the slot frees at once.
    e.handle(
        10.0,
        Event::NotSent {
            id: ids[0],
            message: "ECONNREFUSED".into(),
        },
    );
    assert_eq!(
        e.poll(10.0),
        Action::Release {
            id: ids[0],
            answered: None
        }
    );
    // Maybe sent: HubSpot may have counted it before now.
    e.handle(
        20.0,
        Event::Failed {
            id: ids[1],
            message: "reset".into(),
        },
    );
    assert_eq!(
        e.poll(20.0),
        Action::Release {
            id: ids[1],
            answered: Some(20.0)
        }
    );
    // Timed out: given back when the engine gave up on them.
    assert_eq!(e.poll(1000.0), Action::Cancel(ids[2]));
    assert_eq!(e.poll(1000.0), Action::Cancel(ids[3]));
    for id in [ids[3], ids[2]] {
        assert_eq!(
            e.poll(1000.0),
            Action::Release {
                id,
                answered: Some(1000.0)
            }
        );
    }
    // One more on the wire and one permit asked for, then an abort: both go back, and the
    // run ends without waiting for the limiter.
    let Action::Acquire(id) = e.poll(1000.0) else {
        panic!()
    };
    e.handle(1000.0, Event::Permit { id });
    let Action::Send(on_wire) = e.poll(1000.0) else {
        panic!()
    };
    let Action::Acquire(asked) = e.poll(1000.0) else {
        panic!()
    };
    e.handle(1001.0, Event::Aborted);
    let mut released = Vec::new();
    loop {
        match e.poll(1001.0) {
            Action::Release { id, answered } => released.push((id, answered)),
            Action::Done => break,
            other => panic!("{other:?}"),
        }
    }
    released.sort_by_key(|r| r.0);
    assert_eq!(released, [(on_wire.id, Some(1001.0)), (asked, None)]);
    e.handle(1002.0, Event::Permit { id: asked });
    assert_eq!(
        e.poll(1002.0),
        Action::Done,
        "a late permit changes nothing"
    );
}

/// A limiter as the package's (limiter.js): slots held from the grant until one interval
/// after the answer's arrival; a request that cannot be given a time waits for a release.
struct Limiter {
    limit: usize,
    interval: f64,
    /// (engine, request id, frees at: `None` while in flight)
    slots: Vec<(usize, u64, Option<f64>)>,
    waiting: Vec<(usize, u64)>,
}

impl Limiter {
    /// When a new slot may start at `now`, if that can be told yet.
    fn free_at(&mut self, now: f64) -> Option<f64> {
        self.slots.retain(|s| s.2.is_none_or(|t| t > now));
        if self.slots.len() < self.limit {
            return Some(now);
        }
        let mut ends: Vec<f64> = self.slots.iter().filter_map(|s| s.2).collect();
        ends.sort_by(f64::total_cmp);
        ends.get(self.slots.len() - self.limit).copied()
    }

    /// Grants what can be granted, in order: (engine, id, from).
    fn grant(&mut self, now: f64) -> Vec<(usize, u64, f64)> {
        let mut out = Vec::new();
        while let Some(&(e, id)) = self.waiting.first() {
            let Some(at) = self.free_at(now) else { break };
            self.waiting.remove(0);
            self.slots.push((e, id, None));
            out.push((e, id, at));
        }
        out
    }

    fn release(&mut self, e: usize, id: u64, answered: Option<f64>) {
        self.waiting.retain(|w| *w != (e, id));
        if let Some(pos) = self.slots.iter().position(|s| (s.0, s.1) == (e, id)) {
            match answered {
                None => {
                    self.slots.remove(pos);
                }
                Some(t) => self.slots[pos].2 = Some(t + self.interval),
            }
        }
    }
}

enum Step {
    Granted(usize, u64, f64),
    Released(usize, u64, Option<f64>),
    Arrive(usize, u64, HttpRequest),
    Heard(usize, u64, u16, Body),
}

#[test]
fn eight_engines_sharing_one_limiter_get_no_429_whatever_the_jitter() {
    const ENGINES: usize = 8;
    const LIMIT: usize = 20;
    const INTERVAL: f64 = 1000.0;
    const PER_ENGINE: usize = 25;
    for seed in 1..=5u64 {
        let mut rng = seed;
        let mut jitter = |max: f64| {
            rng = rng
                .wrapping_mul(6364136223846793005)
                .wrapping_add(1442695040888963407);
            (rng >> 11) as f64 / (1u64 << 53) as f64 * max
        };
        let mut engines: Vec<Engine> = (0..ENGINES)
            .map(|i| Engine::new(shared(1), inputs(PER_ENGINE), 0.0, seed * 10 + i as u64))
            .collect();
        let mut done = [false; ENGINES];
        let mut wake = [0.0f64; ENGINES];
        let mut limiter = Limiter {
            limit: LIMIT,
            interval: INTERVAL,
            slots: Vec::new(),
            waiting: Vec::new(),
        };
        let mut steps: Vec<(f64, Step)> = Vec::new();
        let mut arrivals: Vec<f64> = Vec::new();
        let mut too_many = 0;
        let mut bodies: Vec<(usize, u64, Body)> = Vec::new();
        let mut now = 0.0;
        for _ in 0..1_000_000 {
            for (i, e) in engines.iter_mut().enumerate() {
                if done[i] || wake[i] > now {
                    continue;
                }
                loop {
                    match e.poll(now) {
                        Action::Send(out) => {
                            let at = now + jitter(40.0);
                            steps.push((at, Step::Arrive(i, out.id, out.request)));
                        }
                        Action::Acquire(id) => {
                            limiter.waiting.push((i, id));
                            for (e, id, at) in limiter.grant(now) {
                                steps.push((now + jitter(5.0), Step::Granted(e, id, at)));
                            }
                        }
                        Action::Release { id, answered } => {
                            steps.push((now + jitter(5.0), Step::Released(i, id, answered)))
                        }
                        Action::Read(id) => {
                            let pos = bodies.iter().position(|b| (b.0, b.1) == (i, id)).unwrap();
                            let (_, _, body) = bodies.remove(pos);
                            e.handle(now, Event::Body { id, body });
                        }
                        Action::Cancel(_) => panic!("no timeouts here"),
                        Action::WaitUntil(t) => {
                            wake[i] = t;
                            break;
                        }
                        Action::AwaitEvent => {
                            wake[i] = f64::INFINITY;
                            break;
                        }
                        Action::Done => {
                            done[i] = true;
                            wake[i] = f64::INFINITY;
                            break;
                        }
                    }
                }
            }
            if done.iter().all(|d| *d) {
                break;
            }
            let next_step = steps.iter().map(|s| s.0).fold(f64::INFINITY, f64::min);
            let next_wake = wake.iter().copied().fold(f64::INFINITY, f64::min);
            now = next_step.min(next_wake);
            assert!(now.is_finite(), "stuck");
            steps.sort_by(|a, b| a.0.total_cmp(&b.0));
            while steps.first().is_some_and(|s| s.0 <= now) {
                let (at, step) = steps.remove(0);
                match step {
                    Step::Granted(i, id, from) if from > now => {
                        // The driver reports a permit for later when that time comes.
                        steps.push((from, Step::Granted(i, id, from)));
                    }
                    Step::Granted(i, id, _) => {
                        engines[i].handle(now, Event::Permit { id });
                        wake[i] = now;
                    }
                    Step::Released(i, id, answered) => {
                        limiter.release(i, id, answered);
                        for (e, id, at) in limiter.grant(now) {
                            steps.push((now + jitter(5.0), Step::Granted(e, id, at)));
                        }
                    }
                    Step::Arrive(i, id, request) => {
                        // HubSpot counts at arrival, in a rolling window.
                        arrivals.retain(|t| *t > at - INTERVAL);
                        let status = if arrivals.len() >= LIMIT {
                            too_many += 1;
                            429
                        } else {
                            arrivals.push(at);
                            200
                        };
                        let body = if status == 200 {
                            ok_body(&request)
                        } else {
                            response::read_body(
                                429,
                                r#"{"status":"error","message":"m","correlationId":"c","category":"RATE_LIMITS","policyName":"TEN_SECONDLY_ROLLING"}"#,
                            )
                        };
                        steps.push((at + jitter(60.0), Step::Heard(i, id, status, body)));
                    }
                    Step::Heard(i, id, status, body) => {
                        engines[i].handle(
                            now,
                            Event::Heard {
                                id,
                                status,
                                meta: ResponseMeta::default(),
                                at,
                            },
                        );
                        bodies.push((i, id, body));
                        wake[i] = now;
                    }
                }
            }
        }
        assert!(
            done.iter().all(|d| *d),
            "every engine finished: {done:?} {wake:?} now {now} steps {} waiting {:?} slots {:?}",
            steps.len(),
            limiter.waiting,
            limiter.slots
        );
        assert_eq!(too_many, 0, "seed {seed}: HubSpot answered 429");
        let mut updated = 0;
        for e in engines {
            let r = e.finish(now).unwrap();
            assert_eq!(r.failed.len(), 0);
            updated += r.results.len();
        }
        assert_eq!(updated, ENGINES * PER_ENGINE);
        let bound = (ENGINES * PER_ENGINE) as f64 / LIMIT as f64 * INTERVAL;
        assert!(
            now <= 1.1 * bound,
            "seed {seed}: wall {now} vs bound {bound}"
        );
        println!(
            "seed {seed}: {} requests, 0 x 429, wall {now:.0} ms, bound {bound} ms",
            ENGINES * PER_ENGINE
        );
    }
}
