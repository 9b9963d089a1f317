//! Bugs found in the core by fuzzing and property tests, each kept as a regression test
//! (all fixed). New finds go here first, marked `#[ignore = "bug: ..."]` until fixed.

use hubspot_batch::config::RateLimit;
use hubspot_batch::config::{ClientConfig, Secret};
use hubspot_batch::engine::{Action, Engine, Event, CLOCK_SLACK_MS, READ_LATER_MS};
use hubspot_batch::model::{Map, SimplePublicObjectBatchInput};
use hubspot_batch::response::{read_body, ResponseMeta};

/// A 429 without `Retry-After` used to wait `X-HubSpot-RateLimit-Interval-Milliseconds`
/// unbounded (`Engine::on_rate_limited`): `1e308` asked the driver to wait ~1e308 ms, and
/// large enough values overflowed to `WaitUntil(inf)`. In JS a delay over 2^31-1 ms makes
/// setTimeout fire at once, so a driver that trusts the wait spins. Found by the `engine`
/// fuzz target.
#[test]

fn a_429_wait_from_the_interval_header_is_bounded() {
    for interval in ["1e308", "1.7976931348623157e308", "4000000000"] {
        let inputs = vec![SimplePublicObjectBatchInput {
            id: "1".into(),
            properties: Map(vec![("dealname".into(), "x".into())]),
            id_property: None,
            object_write_trace_id: None,
        }];
        let config = ClientConfig {
            access_token: Some(Secret::new("t")),
            ..ClientConfig::default()
        };
        let mut engine: Engine = Engine::new(config, inputs, 0.0, 1);
        let Action::Send(out) = engine.poll(0.0) else {
            panic!("expected a request")
        };
        let meta =
            ResponseMeta::from_headers([("X-HubSpot-RateLimit-Interval-Milliseconds", interval)]);
        let body = read_body(
            429,
            r#"{"status":"error","message":"limit","category":"RATE_LIMITS","policyName":"TEN_SECONDLY_ROLLING"}"#,
        );
        engine.handle(
            10.0,
            Event::Heard {
                id: out.id,
                status: 429,
                meta,
                at: 10.0,
            },
        );
        assert_eq!(engine.poll(10.0), Action::Read(out.id));
        engine.handle(10.0, Event::Body { id: out.id, body });
        match engine.poll(10.0) {
            Action::WaitUntil(t) => {
                assert!(
                    t.is_finite() && t - 10.0 <= 86_400_000.0,
                    "interval {interval}: WaitUntil({t})"
                )
            }
            other => panic!("interval {interval}: {other:?}"),
        }
    }
}

/// With the next send exactly `READ_LATER_MS` away and a request on the wire, `poll` asks the
/// driver to wait until now (`t - now >= READ_LATER_MS` in `Engine::poll`, where `>` is
/// meant): a driver that wakes exactly when asked (any virtual clock) asks again and gets the
/// same answer forever, and a JS driver spins until its clock ticks. It happens every time a
/// driver comes back at the "read 1 s before the send" time the engine itself asked for.
/// Found porting the engine tests (the simulated runs step over it).
#[test]
fn read_later_boundary_waits_for_now() {
    let config = ClientConfig {
        access_token: Some(Secret::new("t")),
        batch_size: 1,
        rate_limit: Some(RateLimit {
            requests: 2,
            interval_ms: 10_000.0,
        }),
        ..ClientConfig::default()
    };
    let inputs: Vec<SimplePublicObjectBatchInput> = (0..3)
        .map(|i| SimplePublicObjectBatchInput {
            id: i.to_string(),
            properties: Map(vec![("dealname".into(), "x".into())]),
            id_property: None,
            object_write_trace_id: None,
        })
        .collect();
    let mut engine: Engine = Engine::new(config, inputs, 0.0, 1);
    let Action::Send(a) = engine.poll(0.0) else {
        panic!("expected a request")
    };
    // A's 200 at 100: its slot frees at 10 100 (and the clock's slack). B leaves then (one request on the wire until
    // HubSpot's first answer) and is on the wire; input 2 waits.
    engine.handle(
        100.0,
        Event::Heard {
            id: a.id,
            status: 200,
            meta: ResponseMeta::default(),
            at: 100.0,
        },
    );
    let Action::Send(_b) = engine.poll(100.0) else {
        panic!("expected a request")
    };
    let read_at = 10_100.0 + CLOCK_SLACK_MS - READ_LATER_MS;
    assert_eq!(engine.poll(100.0), Action::WaitUntil(read_at));
    // Back at the time asked for: the read, not another wait for the same time.
    assert_eq!(engine.poll(read_at), Action::Read(a.id));
}
