//! The other four operations on the engine, step by step on the virtual clock: what each
//! sends, how its answers settle the ledger, and that a create is never sent twice after
//! anything that may have applied it.

use serde_json::{json, Value as Json};

use crate::engine::*;
use crate::model::Map;
use crate::operation::Operation;
use crate::request::Plan;

fn writes(n: usize, op: Operation) -> Vec<SimplePublicObjectBatchInput> {
    (0..n)
        .map(|i| SimplePublicObjectBatchInput {
            id: if op == Operation::Create {
                String::new()
            } else {
                format!("id-{i}")
            },
            properties: Map(vec![("dealname".into(), format!("Deal {i}"))]),
            id_property: (op == Operation::Upsert).then(|| "deal_key".to_owned()),
            object_write_trace_id: None,
        })
        .collect()
}

fn engine(plan: Plan, inputs: Vec<SimplePublicObjectBatchInput>) -> Engine {
    let config = ClientConfig {
        rate_limit: None,
        max_retries: 3,
        ..ClientConfig::default()
    };
    Engine::with_plan(config, plan, inputs, 0.0, 11)
}

/// Polls until the engine sends; the request and its body as JSON.
fn sent(e: &mut Engine, now: f64) -> (u64, String, Json) {
    for _ in 0..100 {
        match e.poll(now) {
            Action::Send(out) => {
                let body = serde_json::from_str(&out.request.body_json()).unwrap();
                return (out.id, out.request.url, body);
            }
            Action::Done => panic!("done before sending"),
            _ => {}
        }
    }
    panic!("nothing sent at {now}");
}

fn answer(e: &mut Engine, now: f64, id: u64, status: u16, body: &str) {
    e.handle(
        now,
        Event::Heard {
            id,
            status,
            meta: ResponseMeta::default(),
            at: now,
        },
    );
    e.handle(
        now,
        Event::Body {
            id,
            body: response::read_body(status, body),
        },
    );
}

/// Steps the clock until the engine is done; panics if it sends anything.
fn settle(mut e: Engine, mut now: f64) -> BatchUpdateResult {
    for _ in 0..100 {
        match e.poll(now) {
            Action::Done => return e.finish(now).unwrap(),
            Action::Send(_) => panic!("sent again"),
            Action::WaitUntil(t) => now = t,
            _ => {}
        }
    }
    panic!("not done");
}

fn object(id: &str, trace: Option<&str>, props: Json) -> Json {
    let mut o = json!({"id": id, "properties": props, "createdAt": "c", "updatedAt": "u", "archived": false});
    if let Some(t) = trace {
        o["objectWriteTraceId"] = json!(t);
    }
    o
}

fn batch(results: Vec<Json>) -> String {
    json!({"status": "COMPLETE", "results": results, "startedAt": "s", "completedAt": "c"})
        .to_string()
}

fn traces(body: &Json) -> Vec<String> {
    body["inputs"]
        .as_array()
        .unwrap()
        .iter()
        .map(|x| x["objectWriteTraceId"].as_str().unwrap().to_owned())
        .collect()
}

#[test]
fn create_sends_properties_and_trace_ids_and_ties_results_by_trace() {
    let mut inputs = writes(3, Operation::Create);
    inputs[1].object_write_trace_id = Some("mine".into());
    let mut plan = Plan::new(Operation::Create);
    let link = crate::model::PublicAssociationsForObject {
        to: crate::model::SimplePublicObjectId { id: "77".into() },
        types: vec![crate::model::AssociationSpec {
            association_category: "HUBSPOT_DEFINED".into(),
            association_type_id: 3,
        }],
    };
    plan.associations = vec![vec![link], vec![], vec![]];
    let mut e = engine(plan, inputs);
    let (id, url, body) = sent(&mut e, 0.0);
    assert_eq!(
        url,
        "https://api.hubapi.com/crm/v3/objects/0-3/batch/create"
    );
    assert!(body["inputs"][0].get("id").is_none(), "{body}");
    assert_eq!(body["inputs"][0]["associations"][0]["to"]["id"], "77");
    assert_eq!(body["inputs"][1]["associations"], json!([]));
    let t = traces(&body);
    assert_eq!(t[1], "mine");
    // Results out of order, tied by trace id; 201 is success.
    let results = vec![
        object("c", Some(&t[2]), json!({})),
        object("a", Some(&t[0]), json!({})),
        object("b", Some("mine"), json!({})),
    ];
    answer(&mut e, 10.0, id, 201, &batch(results));
    let r = settle(e, 10.0);
    let ids: Vec<&str> = r.results.iter().map(|o| o.id.as_str()).collect();
    assert_eq!(ids, ["a", "b", "c"]);
    // The trace ids the client added are removed; the caller's stays.
    assert_eq!(r.results[0].object_write_trace_id, None);
    assert_eq!(r.results[1].object_write_trace_id.as_deref(), Some("mine"));
    assert!(r.failed.is_empty());
}

/// Everything after which HubSpot may have applied a create fails it, once, with
/// UNKNOWN_OUTCOME and mayHaveApplied, and nothing is sent again.
#[test]
fn create_is_never_sent_twice_after_a_maybe_applied_failure() {
    type Fault = fn(&mut Engine, u64) -> f64;
    let faults: [(&str, Fault); 5] = [
        ("503", |e, id| {
            answer(
                e,
                10.0,
                id,
                503,
                r#"{"status":"error","message":"down","category":"X"}"#,
            );
            10.0
        }),
        ("network", |e, id| {
            e.handle(
                10.0,
                Event::Failed {
                    id,
                    message: "reset".into(),
                },
            );
            10.0
        }),
        ("malformed 201", |e, id| {
            answer(e, 10.0, id, 201, "{\"results\": 5}");
            10.0
        }),
        ("201 naming no result", |e, id| {
            answer(e, 10.0, id, 201, &batch(vec![]));
            10.0
        }),
        ("timeout", |e, id| {
            // No answer: the engine times the attempt out (and cancels it).
            let cancel = e.poll(30_001.0);
            assert_eq!(cancel, Action::Cancel(id));
            let _ = id;
            30_001.0
        }),
    ];
    for (name, fault) in faults {
        let mut e = engine(Plan::new(Operation::Create), writes(2, Operation::Create));
        let (id, _, _) = sent(&mut e, 0.0);
        let now = fault(&mut e, id);
        let r = settle(e, now);
        assert_eq!(r.stats.requests, 1, "{name}");
        assert_eq!(r.failed.len(), 2, "{name}");
        for f in &r.failed {
            assert_eq!(f.error.category, Category::UnknownOutcome, "{name}");
            assert!(f.error.may_have_applied, "{name}");
        }
    }
}

/// What provably was not applied is sent again, even for a create: a 429, a connection that
/// never carried the request, a 400 being isolated.
#[test]
fn create_is_sent_again_when_hubspot_provably_did_not_apply_it() {
    let mut e = engine(Plan::new(Operation::Create), writes(2, Operation::Create));
    let (id, _, first) = sent(&mut e, 0.0);
    e.handle(
        5.0,
        Event::NotSent {
            id,
            message: "ECONNREFUSED".into(),
        },
    );
    let mut now = 5.0;
    let (id, _, again) = loop {
        match e.poll(now) {
            Action::Send(out) => {
                let body: Json = serde_json::from_str(&out.request.body_json()).unwrap();
                break (out.id, out.request.url, body);
            }
            Action::WaitUntil(t) => now = t,
            other => panic!("{other:?}"),
        }
    };
    assert_eq!(first, again);
    answer(
        &mut e,
        now,
        id,
        429,
        r#"{"status":"error","message":"slow down","category":"RATE_LIMITS","policyName":"TEN_SECONDLY_ROLLING"}"#,
    );
    let (id, _, third) = loop {
        match e.poll(now) {
            Action::Send(out) => {
                let body: Json = serde_json::from_str(&out.request.body_json()).unwrap();
                break (out.id, out.request.url, body);
            }
            Action::WaitUntil(t) => now = t,
            other => panic!("{other:?}"),
        }
    };
    assert_eq!(first, third);
    // A 400 naming input 1's property value: split, each half sent on its own.
    let t = traces(&third);
    answer(
        &mut e,
        now,
        id,
        400,
        r#"{"status":"error","message":"Property values were not valid: [{\"isValid\":false,\"message\":\"bad\",\"error\":\"INVALID_OPTION\",\"name\":\"dealname\"}]","category":"VALIDATION_ERROR"}"#,
    );
    let mut halves = Vec::new();
    for _ in 0..2 {
        let (id, _, body) = sent(&mut e, now);
        halves.push((id, traces(&body)));
    }
    assert_eq!(halves[0].1.len(), 1);
    assert_eq!(halves[1].1.len(), 1);
    for (id, tr) in halves {
        answer(
            &mut e,
            now,
            id,
            201,
            &batch(vec![object("n", Some(&tr[0]), json!({}))]),
        );
    }
    let r = settle(e, now);
    assert_eq!(r.results.len(), 2);
    assert_eq!(r.stats.requests, 5);
    assert_eq!(t.len(), 2);
}

#[test]
fn upsert_sends_id_property_and_keeps_new() {
    let mut e = engine(Plan::new(Operation::Upsert), writes(2, Operation::Upsert));
    let (id, url, body) = sent(&mut e, 0.0);
    assert!(url.ends_with("/batch/upsert"));
    assert_eq!(body["inputs"][0]["idProperty"], "deal_key");
    assert_eq!(body["inputs"][1]["id"], "id-1");
    // A 503 on an upsert is retried: keyed by id, a second attempt writes the same values.
    answer(&mut e, 1.0, id, 503, "{}");
    let mut now = 1.0;
    let (id, _, again) = loop {
        match e.poll(now) {
            Action::Send(out) => {
                let body: Json = serde_json::from_str(&out.request.body_json()).unwrap();
                break (out.id, out.request.url, body);
            }
            Action::WaitUntil(t) => now = t,
            other => panic!("{other:?}"),
        }
    };
    assert_eq!(again, body);
    // No trace ids echoed: tied by the id property's value.
    let mut a = object("1", None, json!({"deal_key": "id-0"}));
    a["new"] = json!(true);
    let b = object("2", None, json!({"deal_key": "id-1"}));
    answer(&mut e, now, id, 200, &batch(vec![b, a]));
    let r = settle(e, now);
    assert_eq!(r.results[0].id, "1");
    assert_eq!(r.results[1].id, "2");
}

#[test]
fn read_fails_what_hubspot_does_not_find_and_asks_for_the_id_property() {
    let ids = |n: usize| {
        (0..n)
            .map(|i| SimplePublicObjectBatchInput {
                id: format!("k{i}"),
                properties: Map::new(),
                id_property: Some("deal_key".into()),
                object_write_trace_id: None,
            })
            .collect::<Vec<_>>()
    };
    let mut plan = Plan::new(Operation::Read);
    plan.properties = vec!["amount".into()];
    plan.id_property = Some("deal_key".into());
    plan.archived = Some(false);
    let mut e = engine(plan.clone(), ids(3));
    let (id, url, body) = sent(&mut e, 0.0);
    assert!(
        url.ends_with("/crm/v3/objects/0-3/batch/read?archived=false"),
        "{url}"
    );
    assert_eq!(body["properties"], json!(["amount", "deal_key"]));
    assert_eq!(body["propertiesWithHistory"], json!([]));
    assert_eq!(body["idProperty"], "deal_key");
    assert_eq!(
        body["inputs"],
        json!([{"id": "k0"}, {"id": "k1"}, {"id": "k2"}])
    );
    let found = vec![
        object("9", None, json!({"deal_key": "k2"})),
        object("8", None, json!({"deal_key": "k0"})),
    ];
    answer(&mut e, 5.0, id, 200, &batch(found));
    let r = settle(e, 5.0);
    assert_eq!(r.results.len(), 2);
    assert_eq!(r.results[0].id, "8");
    assert_eq!(r.failed.len(), 1);
    assert_eq!(r.failed[0].index, 1);
    assert_eq!(r.failed[0].error.category, Category::ObjectNotFound);
    assert!(!r.failed[0].error.may_have_applied);

    // With history: at most 50 per request.
    plan.properties_with_history = vec!["dealstage".into()];
    let mut e = engine(plan, ids(120));
    let mut sizes = Vec::new();
    while let Action::Send(out) = e.poll(0.0) {
        sizes.push(out.request.input_indexes.len());
    }
    assert_eq!(sizes, [50, 50, 20]);
}

#[test]
fn archive_settles_every_input_on_204() {
    let mut e = engine(Plan::new(Operation::Archive), writes(3, Operation::Archive));
    let (id, url, body) = sent(&mut e, 0.0);
    assert!(url.ends_with("/batch/archive"));
    assert_eq!(
        body,
        json!({"inputs": [{"id": "id-0"}, {"id": "id-1"}, {"id": "id-2"}]})
    );
    answer(&mut e, 3.0, id, 204, "");
    let r = settle(e, 3.0);
    let ids: Vec<&str> = r.results.iter().map(|o| o.id.as_str()).collect();
    assert_eq!(ids, ["id-0", "id-1", "id-2"]);
    assert!(r.failed.is_empty());
}

#[test]
fn api_version_paths_for_every_operation() {
    for op in crate::operation::OPERATIONS {
        let config = ClientConfig {
            api_version: Some("2026-03".into()),
            ..ClientConfig::default()
        };
        let mut e: Engine = Engine::with_plan(config, Plan::new(op), writes(1, op), 0.0, 1);
        let Action::Send(out) = e.poll(0.0) else {
            panic!()
        };
        assert_eq!(
            out.request.url,
            format!(
                "https://api.hubapi.com/crm/objects/2026-03/0-3/batch/{}",
                op.word()
            )
        );
    }
}
