//! Bugs found in the core by fuzzing and property tests, each kept as a regression test
//! (all fixed). New finds go here first, marked `#[ignore = "bug: ..."]` until fixed.

use hubspot_batch::config::{ClientConfig, Secret};
use hubspot_batch::engine::{Action, Engine, Outcome};
use hubspot_batch::json::{self, JsonValue};
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
        let mut engine = Engine::new(config, inputs, 0.0, 1);
        let Action::Send(out) = engine.poll(0.0) else {
            panic!("expected a request")
        };
        let meta =
            ResponseMeta::from_headers([("X-HubSpot-RateLimit-Interval-Milliseconds", interval)]);
        let body = read_body(
            429,
            r#"{"status":"error","message":"limit","category":"RATE_LIMITS","policyName":"TEN_SECONDLY_ROLLING"}"#,
        );
        engine.on_answer(
            out.id,
            Outcome::Http {
                status: 429,
                meta,
                body,
            },
            10.0,
        );
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

/// A lone high surrogate escape used to swallow the escape after it: `"\ud800\u0041"` read
/// as `"\u{FFFD}"` instead of `"\u{FFFD}A"`, and `"\ud800\ud83d\ude00"` lost the emoji. What
/// JS's `JSON.parse` gives, brought into Rust, is `String::from_utf16_lossy` of the units.
/// The wasm build reads response bodies with `json::parse`, so a property value could
/// silently lose a character.
#[test]

fn json_lone_high_surrogate_keeps_what_follows() {
    for units in [
        vec![0xD800, 0x41],
        vec![0xD800, 0xD83D, 0xDE00],
        vec![0xDBFF, 0xDBFF, 0xDFFF],
        vec![0xD800, 0x22],
        vec![0xDC00, 0xD800],
    ] {
        let text: String = units.iter().map(|u| format!("\\u{u:04x}")).collect();
        let got = json::parse(&format!("\"{text}\"")).unwrap();
        assert_eq!(
            got,
            JsonValue::String(String::from_utf16_lossy(&units)),
            "{text}"
        );
    }
}

/// Numbers with leading zeros are not JSON (RFC 8259 section 6); `JSON.parse` and serde_json
/// refuse them, and `json::parse` used to read `01` as 1.
#[test]

fn json_refuses_leading_zeros() {
    for text in ["01", "-012", "[00]", "{\"a\":007}", "00.5"] {
        assert!(
            serde_json::from_str::<serde_json::Value>(text).is_err(),
            "serde_json refuses {text}"
        );
        assert!(json::parse(text).is_err(), "json::parse accepts {text}");
    }
}
