//! The wasm-bindgen-test suite for the JS glue of hubspot-batch (`src/wasm`, feature `js`),
//! compiled into two test binaries: `tests/node.rs` (runs in Node) and `tests/browser.rs`
//! (`run_in_browser`: headless Chrome).
//!
//! The glue module is private to Rust, so these tests reach it the way users do: through its
//! `#[wasm_bindgen]` exports, which are linked into the test module and called from
//! `js/glue.js`. Inputs, options, fetch stubs and `Response`s are built here, in Rust, with
//! js-sys/web-sys.

use std::cell::RefCell;
use std::rc::Rc;

use js_sys::{Array, Function, Object, Promise, Reflect, JSON};
use wasm_bindgen::prelude::*;
use wasm_bindgen::JsCast;
use wasm_bindgen_futures::JsFuture;
use wasm_bindgen_test::*;

#[wasm_bindgen(module = "/js/glue.js")]
extern "C" {
    #[wasm_bindgen(js_name = isNode)]
    fn is_node() -> bool;
    #[wasm_bindgen(catch)]
    async fn load() -> Result<JsValue, JsValue>;
    #[wasm_bindgen(js_name = exportedNames)]
    fn exported_names() -> Array;
    #[wasm_bindgen(js_name = formatPropertyValue, catch)]
    fn format_property_value(v: &JsValue) -> Result<JsValue, JsValue>;
    #[wasm_bindgen(js_name = buildBatchUpdateRequests, catch)]
    fn build_requests(inputs: &JsValue, options: &JsValue) -> Result<JsValue, JsValue>;
    #[wasm_bindgen(js_name = parseBatchResponse, catch)]
    fn parse_batch_response(status: &JsValue, body: &JsValue) -> Result<JsValue, JsValue>;
    #[wasm_bindgen(js_name = newClient, catch)]
    fn new_client(options: &JsValue) -> Result<JsValue, JsValue>;
    #[wasm_bindgen(js_name = update, catch)]
    fn update_js(client: &JsValue, inputs: &JsValue, options: &JsValue)
        -> Result<Promise, JsValue>;
    #[wasm_bindgen(js_name = createBatchUpdateHandler, catch)]
    fn create_handler(options: &JsValue) -> Result<JsValue, JsValue>;
    #[wasm_bindgen(js_name = callHandler, catch)]
    fn call_handler(handler: &JsValue, request: &JsValue) -> Result<Promise, JsValue>;
    #[wasm_bindgen(js_name = isHubSpotError)]
    fn is_hubspot_error(e: &JsValue) -> bool;
    #[wasm_bindgen(js_name = isError)]
    fn is_error(e: &JsValue) -> bool;
    #[wasm_bindgen(js_name = recordingThis)]
    fn recording_this(f: &Function, seen: &Array) -> Function;
    #[wasm_bindgen(js_name = pendingUntilAborted)]
    fn pending_until_aborted(init: &JsValue) -> Promise;
    #[wasm_bindgen(js_name = setGlobalFetch)]
    fn set_global_fetch(f: &JsValue) -> JsValue;
    #[wasm_bindgen(js_name = makeRequest, catch)]
    fn make_request(
        url: &str,
        method: &str,
        headers: &JsValue,
        body: Option<String>,
    ) -> Result<JsValue, JsValue>;
    #[wasm_bindgen(js_name = symbolValue)]
    fn symbol_value() -> JsValue;
    #[wasm_bindgen(js_name = bigintValue)]
    fn bigint_value() -> JsValue;
    #[wasm_bindgen(js_name = throwingGetterInput)]
    fn throwing_getter_input() -> JsValue;
    #[wasm_bindgen(js_name = cyclicArray)]
    fn cyclic_array() -> JsValue;
    #[wasm_bindgen(js_name = proxyThatThrows)]
    fn proxy_that_throws() -> JsValue;
}

#[wasm_bindgen]
extern "C" {
    #[wasm_bindgen(js_name = setTimeout)]
    fn set_timeout(f: &Function, ms: i32) -> JsValue;
}

const TOKEN: &str = "secret-token-123";
const DEALS_URL: &str = "https://api.hubapi.com/crm/v3/objects/0-3/batch/update";
const EXPECTED_VALUE: &str = "expected string, number, boolean, Date, string[] or null";

// --- helpers -------------------------------------------------------------------------------------

async fn ready() {
    load()
        .await
        .expect("js/glue.js could not load the test module's exports");
}

fn js(json: &str) -> JsValue {
    JSON::parse(json).unwrap_or_else(|e| panic!("bad JSON in a test: {json}: {e:?}"))
}

fn get(v: &JsValue, path: &str) -> JsValue {
    path.split('.').fold(v.clone(), |acc, key| {
        if acc.is_undefined() || acc.is_null() {
            return JsValue::UNDEFINED;
        }
        Reflect::get(&acc, &JsValue::from_str(key)).unwrap_or(JsValue::UNDEFINED)
    })
}

fn string(v: &JsValue, path: &str) -> String {
    get(v, path)
        .as_string()
        .unwrap_or_else(|| panic!("{path} is not a string in {}", stringify(v)))
}

fn number(v: &JsValue, path: &str) -> f64 {
    get(v, path)
        .as_f64()
        .unwrap_or_else(|| panic!("{path} is not a number in {}", stringify(v)))
}

fn length(v: &JsValue, path: &str) -> u32 {
    if path.is_empty() {
        return number(v, "length") as u32;
    }
    number(v, &format!("{path}.length")) as u32
}

fn set(target: &JsValue, key: &str, value: &JsValue) {
    Reflect::set(target, &JsValue::from_str(key), value).expect("Reflect.set");
}

fn stringify(v: &JsValue) -> String {
    JSON::stringify(v)
        .ok()
        .and_then(|s| s.as_string())
        .unwrap_or_else(|| format!("{v:?}"))
}

fn ids(v: &JsValue, path: &str) -> Vec<String> {
    let list: Array = get(v, path).unchecked_into();
    list.iter().map(|x| string(&x, "id")).collect()
}

fn failed_summary(result: &JsValue) -> Vec<(u32, String, String)> {
    let list: Array = get(result, "failed").unchecked_into();
    list.iter()
        .map(|f| {
            (
                number(&f, "index") as u32,
                string(&f, "id"),
                string(&f, "error.category"),
            )
        })
        .collect()
}

fn message(e: &JsValue) -> String {
    get(e, "message")
        .as_string()
        .unwrap_or_else(|| stringify(e))
}

/// Every error the package throws is a real `Error` that is also a `HubSpotError`.
fn assert_hubspot_error(e: &JsValue, code: &str) {
    assert!(is_hubspot_error(e), "not a HubSpotError: {e:?}");
    assert!(is_error(e), "HubSpotError is not an Error: {e:?}");
    assert_eq!(string(e, "name"), "HubSpotError");
    assert_eq!(string(e, "code"), code, "message: {}", message(e));
    assert!(get(e, "stack").is_string(), "an error has a stack");
    assert!(
        !message(e).contains(TOKEN),
        "the token is in: {}",
        message(e)
    );
}

async fn sleep(ms: i32) {
    let p = Promise::new(&mut |resolve, _| {
        set_timeout(&resolve, ms);
    });
    JsFuture::from(p).await.expect("timer");
}

async fn run(client: &JsValue, inputs: &JsValue, options: &JsValue) -> Result<JsValue, JsValue> {
    JsFuture::from(update_js(client, inputs, options)?).await
}

fn deals(n: u32) -> JsValue {
    let list = Array::new();
    for i in 1..=n {
        list.push(&js(&format!(
            r#"{{"id":"{i}","properties":{{"dealname":"Deal {i}","amount":{i}.5}}}}"#
        )));
    }
    list.into()
}

fn client_with(fetch: &Function, options_json: &str) -> JsValue {
    let options = js(options_json);
    set(&options, "fetch", fetch);
    new_client(&options).unwrap_or_else(|e| panic!("new HubSpotBatch: {}", message(&e)))
}

fn client(fetch: &Function) -> JsValue {
    client_with(
        fetch,
        &format!(r#"{{"accessToken":"{TOKEN}","rateLimit":null,"maxRetries":2}}"#),
    )
}

fn response(status: u16, body: &str, headers: &[(&str, &str)]) -> JsValue {
    let h = web_sys::Headers::new().expect("Headers");
    h.set("content-type", "application/json").expect("header");
    for (k, v) in headers {
        h.set(k, v).expect("header");
    }
    let init = web_sys::ResponseInit::new();
    init.set_status(status);
    init.set_headers(&h);
    web_sys::Response::new_with_opt_str_and_init(Some(body), &init)
        .expect("Response")
        .into()
}

fn hubspot_error(status: u16, category: &str, msg: &str, extra: &str) -> (u16, String) {
    (
        status,
        format!(
            r#"{{"status":"error","message":"{msg}","correlationId":"0b8b3c1e-1111-4222-8333-444455556666","category":"{category}"{extra}}}"#
        ),
    )
}

/// What the fake HubSpot answers to one request.
#[derive(Clone)]
enum Reply {
    /// 200 with every input updated (ids and trace ids echoed).
    Echo,
    /// 200 that silently leaves this id out.
    EchoOmitting(&'static str),
    /// 207: this id not found, the others updated.
    NotFound(&'static str),
    /// This status and body.
    Json(u16, String),
    /// This status, body and extra headers.
    WithHeaders(u16, String, Vec<(&'static str, &'static str)>),
    /// fetch rejects (a network error).
    Reject(&'static str),
    /// fetch resolves to something that is not a Response.
    NotAResponse,
    /// No answer until the request's signal aborts.
    Hang,
}

struct Call {
    url: String,
    init: JsValue,
    body: JsValue,
}

struct FakeFetch {
    function: Function,
    calls: Rc<RefCell<Vec<Call>>>,
}

impl FakeFetch {
    fn count(&self) -> usize {
        self.calls.borrow().len()
    }
    fn header(&self, i: usize, name: &str) -> Option<String> {
        let calls = self.calls.borrow();
        let headers = get(&calls[i].init, "headers");
        let entries = Object::entries(headers.unchecked_ref::<Object>());
        entries.iter().find_map(|pair| {
            let pair: Array = pair.unchecked_into();
            (pair.get(0).as_string()?.eq_ignore_ascii_case(name))
                .then(|| pair.get(1).as_string())
                .flatten()
        })
    }
}

/// A fetch that answers with `replies` in order (the last one repeats) and records each call.
fn fake_fetch(replies: Vec<Reply>) -> FakeFetch {
    let calls: Rc<RefCell<Vec<Call>>> = Rc::default();
    let log = calls.clone();
    let f = Closure::<dyn FnMut(JsValue, JsValue) -> Promise>::new(
        move |url: JsValue, init: JsValue| {
            let body = get(&init, "body")
                .as_string()
                .and_then(|t| JSON::parse(&t).ok())
                .unwrap_or(JsValue::NULL);
            let i = log.borrow().len();
            log.borrow_mut().push(Call {
                url: url.as_string().unwrap_or_default(),
                init: init.clone(),
                body: body.clone(),
            });
            let reply = replies
                .get(i)
                .or(replies.last())
                .cloned()
                .unwrap_or(Reply::Echo);
            match reply {
                Reply::Echo => Promise::resolve(&response(200, &echo(&body, None, None), &[])),
                Reply::EchoOmitting(id) => {
                    Promise::resolve(&response(200, &echo(&body, Some(id), None), &[]))
                }
                Reply::NotFound(id) => {
                    Promise::resolve(&response(207, &echo(&body, None, Some(id)), &[]))
                }
                Reply::Json(status, text) => Promise::resolve(&response(status, &text, &[])),
                Reply::WithHeaders(status, text, headers) => {
                    Promise::resolve(&response(status, &text, &headers))
                }
                Reply::Reject(m) => Promise::reject(&js_sys::TypeError::new(m).into()),
                Reply::NotAResponse => Promise::resolve(&JsValue::from_f64(42.0)),
                Reply::Hang => pending_until_aborted(&init),
            }
        },
    );
    FakeFetch {
        function: f.into_js_value().unchecked_into(),
        calls,
    }
}

/// HubSpot's answer to a batch body: every input updated, except `omit` (silently) and
/// `not_found` (a 207 error).
fn echo(body: &JsValue, omit: Option<&str>, not_found: Option<&str>) -> String {
    let results = Array::new();
    let inputs: Array = get(body, "inputs").dyn_into().unwrap_or_default();
    for input in inputs.iter() {
        let id = string(&input, "id");
        if Some(id.as_str()) == omit || Some(id.as_str()) == not_found {
            continue;
        }
        let r = Object::new();
        set(&r, "id", &id.into());
        let props: JsValue =
            Object::assign(&Object::new(), get(&input, "properties").unchecked_ref()).into();
        set(
            &props,
            "hs_lastmodifieddate",
            &"2026-01-01T00:00:00.000Z".into(),
        );
        set(&props, "hs_closed_amount", &JsValue::NULL);
        set(&r, "properties", &props);
        set(&r, "createdAt", &"2025-01-01T00:00:00.000Z".into());
        set(&r, "updatedAt", &"2026-01-01T00:00:00.000Z".into());
        set(&r, "archived", &false.into());
        let trace = get(&input, "objectWriteTraceId");
        if !trace.is_undefined() {
            set(&r, "objectWriteTraceId", &trace);
        }
        results.push(&r);
    }
    let out = js(
        r#"{"status":"COMPLETE","startedAt":"2026-01-01T00:00:00.000Z","completedAt":"2026-01-01T00:00:01.000Z"}"#,
    );
    set(&out, "results", &results);
    if let Some(id) = not_found {
        let errors = js(&format!(
            r#"[{{"status":"error","category":"OBJECT_NOT_FOUND","message":"Could not get some DEAL objects, they may be deleted or not exist. Check that ids are valid.","context":{{"ids":["{id}"]}},"links":{{}},"errors":[]}}]"#
        ));
        set(&out, "errors", &errors);
        set(&out, "numErrors", &1.into());
    }
    stringify(&out)
}

fn collector() -> (Function, Rc<RefCell<Vec<JsValue>>>) {
    let seen: Rc<RefCell<Vec<JsValue>>> = Rc::default();
    let log = seen.clone();
    let f = Closure::<dyn FnMut(JsValue)>::new(move |v: JsValue| log.borrow_mut().push(v));
    (f.into_js_value().unchecked_into(), seen)
}

// --- the exports ---------------------------------------------------------------------------------

#[wasm_bindgen_test]
async fn the_glue_exports_the_package_api() {
    ready().await;
    let names: Vec<String> = exported_names()
        .iter()
        .filter_map(|v| v.as_string())
        .collect();
    for n in [
        "HubSpotBatch",
        "HubSpotError",
        "buildBatchUpdateRequests",
        "createBatchUpdateHandler",
        "formatPropertyValue",
        "parseBatchResponse",
    ] {
        assert!(names.iter().any(|x| x == n), "{n} missing from {names:?}");
    }
}

#[wasm_bindgen_test]
fn the_core_runs_on_wasm32() {
    use hubspot_batch::config::ClientConfig;
    use hubspot_batch::engine::{Action, Engine};
    use hubspot_batch::input::{format_value, validate_inputs, RawInput, Value};
    assert_eq!(
        format_value(&Value::Number(1e21)).as_deref(),
        Ok("1000000000000000000000")
    );
    let raw = vec![RawInput::Object {
        id: Value::Str("512".into()),
        properties: Ok(vec![("amount".into(), Value::Number(1500.0))]),
        id_property: Value::Undefined,
        object_write_trace_id: Value::Undefined,
        associations: Value::Undefined,
        unknown_fields: vec![],
    }];
    let inputs = validate_inputs(&raw, None).expect("valid");
    let mut engine: Engine = Engine::new(ClientConfig::default(), inputs, 0.0, 42);
    let Action::Send(out) = engine.poll(0.0) else {
        panic!("the engine sends first")
    };
    // The body is a model value (the npm build writes it with JSON.stringify): the one input,
    // its number property formatted as HubSpot stores it, and a trace id the engine added.
    let hubspot_batch::request::RequestBody::Write(body) = &out.request.body else {
        panic!("an update body: {:?}", out.request.body)
    };
    let [input] = body.inputs.as_slice() else {
        panic!("one input in {body:?}")
    };
    assert_eq!(input.id, "512");
    assert_eq!(
        input.properties.get("amount").map(String::as_str),
        Some("1500")
    );
    assert!(input.object_write_trace_id.is_some());
    assert_eq!(out.request.input_indexes, [0]);
}

// --- formatPropertyValue -------------------------------------------------------------------------

#[wasm_bindgen_test]
async fn format_property_value_formats_every_kind() {
    ready().await;
    let date = js_sys::Date::new(&JsValue::from_f64(1_768_435_200_000.0));
    let cases: Vec<(JsValue, &str)> = vec![
        ("closedwon".into(), "closedwon"),
        ("".into(), ""),
        (JsValue::from_f64(1.5), "1.5"),
        (JsValue::from_f64(-42.0), "-42"),
        (JsValue::from_f64(1e21), "1000000000000000000000"),
        (JsValue::from_f64(1e-7), "0.0000001"),
        (JsValue::from_f64(0.1 + 0.2), "0.30000000000000004"),
        (JsValue::from_f64(-0.0), "0"),
        (JsValue::TRUE, "true"),
        (JsValue::FALSE, "false"),
        (date.into(), "1768435200000"),
        (js(r#"["renewal","smb"]"#), "renewal;smb"),
        (js("[]"), ""),
        (JsValue::NULL, ""),
    ];
    for (value, expected) in cases {
        let got =
            format_property_value(&value).unwrap_or_else(|e| panic!("{value:?}: {}", message(&e)));
        assert_eq!(got.as_string().as_deref(), Some(expected), "{value:?}");
    }
}

#[wasm_bindgen_test]
async fn format_property_value_refuses_what_hubspot_cannot_store() {
    ready().await;
    let invalid_date: JsValue = js_sys::Date::new(&JsValue::from_f64(f64::NAN)).into();
    let func: JsValue = Function::new_no_args("return 1").into();
    let bad: Vec<(JsValue, &str)> = vec![
        (JsValue::from_f64(f64::NAN), "NaN"),
        (JsValue::from_f64(f64::INFINITY), "Infinity"),
        (JsValue::from_f64(f64::NEG_INFINITY), "-Infinity"),
        (invalid_date, "Invalid Date"),
        (js(r#"{"a":1}"#), EXPECTED_VALUE),
        (js(r#"["a;b"]"#), ";"),
        (js("[1]"), "[0]"),
        (js(r#"[["nested"]]"#), "[0]"),
        (JsValue::UNDEFINED, EXPECTED_VALUE),
        (symbol_value(), EXPECTED_VALUE),
        (bigint_value(), EXPECTED_VALUE),
        (func, EXPECTED_VALUE),
        (cyclic_array(), "[1]"),
    ];
    for (value, mentions) in bad {
        let e = format_property_value(&value).expect_err("must be refused");
        assert_hubspot_error(&e, "INVALID_INPUT");
        assert!(
            message(&e).starts_with("value") && message(&e).contains(mentions),
            "{value:?}: {}",
            message(&e)
        );
    }
    // still usable after all that
    assert_eq!(
        format_property_value(&JsValue::from_f64(2.0))
            .unwrap()
            .as_string()
            .as_deref(),
        Some("2")
    );
}

// --- buildBatchUpdateRequests --------------------------------------------------------------------

#[wasm_bindgen_test]
async fn build_requests_chunks_formats_and_adds_the_token() {
    ready().await;
    let inputs = deals(5);
    let third = get(&inputs, "2.properties");
    set(
        &third,
        "closedate",
        &js_sys::Date::new(&JsValue::from_f64(1_768_435_200_000.0)).into(),
    );
    set(&third, "tags", &js(r#"["hot","smb"]"#));
    set(&third, "description", &JsValue::NULL);
    set(&get(&inputs, "3"), "objectWriteTraceId", &"trace-4".into());
    let options = js(&format!(
        r#"{{"accessToken":"{TOKEN}","baseUrl":"https://api.hubapi.com/","objectType":"contacts","batchSize":2,"idProperty":"email"}}"#
    ));
    let requests = build_requests(&inputs, &options).unwrap_or_else(|e| panic!("{}", message(&e)));
    assert_eq!(length(&requests, ""), 3, "{}", stringify(&requests));
    let indexes: Vec<String> = Array::from(&requests)
        .iter()
        .map(|r| stringify(&get(&r, "inputIndexes")))
        .collect();
    assert_eq!(indexes, ["[0,1]", "[2,3]", "[4]"]);
    for r in Array::from(&requests).iter() {
        assert_eq!(
            string(&r, "url"),
            "https://api.hubapi.com/crm/v3/objects/contacts/batch/update"
        );
        assert_eq!(string(&r, "method"), "POST");
        assert_eq!(
            string(&r, "headers.Authorization"),
            format!("Bearer {TOKEN}")
        );
        assert_eq!(string(&r, "headers.Content-Type"), "application/json");
        assert!(
            !string(&r, "body").contains(TOKEN),
            "the token only travels in the header"
        );
    }
    let second = js(&string(&get(&requests, "1"), "body"));
    assert_eq!(string(&second, "inputs.0.id"), "3");
    assert_eq!(
        string(&second, "inputs.0.idProperty"),
        "email",
        "options.idProperty applies"
    );
    assert_eq!(
        stringify(&get(&second, "inputs.0.properties")),
        r#"{"dealname":"Deal 3","amount":"3.5","closedate":"1768435200000","tags":"hot;smb","description":""}"#
    );
    assert_eq!(string(&second, "inputs.1.objectWriteTraceId"), "trace-4");
    assert_eq!(string(&second, "inputs.1.idProperty"), "email");
}

#[wasm_bindgen_test]
async fn build_requests_defaults() {
    ready().await;
    let requests = build_requests(&deals(150), &JsValue::UNDEFINED).unwrap();
    assert_eq!(length(&requests, ""), 2);
    assert_eq!(length(&requests, "0.inputIndexes"), 100);
    assert_eq!(length(&requests, "1.inputIndexes"), 50);
    assert_eq!(string(&requests, "0.url"), DEALS_URL);
    let headers = get(&requests, "0.headers");
    let keys: Vec<String> = Object::keys(headers.unchecked_ref::<Object>())
        .iter()
        .filter_map(|k| k.as_string())
        .collect();
    assert!(
        !keys.iter().any(|k| k.eq_ignore_ascii_case("authorization")),
        "no token, no Authorization header: {keys:?}"
    );
    assert_eq!(
        length(&build_requests(&js("[]"), &js("{}")).unwrap(), ""),
        0
    );
}

#[wasm_bindgen_test]
async fn build_requests_refuses_bad_inputs_naming_the_field() {
    ready().await;
    let options = js(&format!(r#"{{"accessToken":"{TOKEN}"}}"#));
    let bad_properties = js(r#"[{"id":"1","properties":{}}]"#);
    set(
        &get(&bad_properties, "0.properties"),
        "when",
        &symbol_value(),
    );
    let cyclic = js(r#"[{"id":"1","properties":{}}]"#);
    set(&get(&cyclic, "0.properties"), "tags", &cyclic_array());
    let cases: Vec<(JsValue, &str)> =
        vec![
        (
            js(r#"[{"id":"1","properties":{"amount":{"value":1}}}]"#),
            "inputs[0].properties.amount: expected string, number, boolean, Date, string[] or null",
        ),
        (js(r#"[{"id":"1","properties":{}},{"properties":{}}]"#), "inputs[1].id"),
        (js(r#"[{"id":"","properties":{}}]"#), "inputs[0].id"),
        (js(r#"[{"id":7,"properties":{}}]"#), "inputs[0].id"),
        (js(r#"[{"id":"1","properties":{}},{"id":"1","properties":{}}]"#), "inputs[1]"),
        (js(r#"[{"id":"1","properties":{},"idproperty":"email"}]"#), "idproperty"),
        (js(r#"[{"id":"1","properties":[1]}]"#), "inputs[0].properties"),
        (js(r#"[{"id":"1"}]"#), "inputs[0].properties"),
        (js(r#"[{"id":"1","properties":{"n":1e400}}]"#), "inputs[0].properties.n"),
        (js(r#"[{"id":"1","properties":{"tags":["a;b"]}}]"#), "inputs[0].properties.tags"),
        (js("[null]"), "inputs[0]"),
        (js("[[]]"), "inputs[0]"),
        (js(r#"{"id":"1"}"#), "inputs"),
        (JsValue::UNDEFINED, "inputs"),
        (bad_properties, "inputs[0].properties.when"),
        (cyclic, "inputs[0].properties.tags"),
        (throwing_getter_input(), "inputs[0]"),
        (proxy_that_throws(), "inputs"),
    ];
    for (inputs, mentions) in cases {
        let e = build_requests(&inputs, &options).expect_err("must be refused");
        assert_hubspot_error(&e, "INVALID_INPUT");
        assert!(
            message(&e).contains(mentions),
            "{mentions}: {}",
            message(&e)
        );
    }
    for (opts, mentions) in [
        (r#"{"batchSize":101}"#, "options.batchSize"),
        (r#"{"batchSize":0}"#, "options.batchSize"),
        (r#"{"nope":1}"#, "options.nope"),
        (r#"{"baseUrl":"http://api.example.com"}"#, "options.baseUrl"),
        (r#"{"objectType":3}"#, "options.objectType"),
    ] {
        let e = build_requests(&deals(1), &js(opts)).expect_err(opts);
        assert_hubspot_error(&e, "INVALID_INPUT");
        assert!(message(&e).contains(mentions), "{opts}: {}", message(&e));
    }
    let bad_token = js("{}");
    set(&bad_token, "accessToken", &format!("{TOKEN}\n").into());
    let e = build_requests(&deals(1), &bad_token).expect_err("a token with a newline");
    assert_hubspot_error(&e, "INVALID_INPUT");
}

// --- parseBatchResponse --------------------------------------------------------------------------

#[wasm_bindgen_test]
async fn parse_batch_response_reads_200_and_207() {
    ready().await;
    let ok = parse_batch_response(
        &200.into(),
        &r#"{"status":"COMPLETE","results":[{"id":"1","properties":{"dealname":"x","hs_closed_amount":null},"createdAt":"2025-01-01T00:00:00Z","updatedAt":"2026-01-01T00:00:00Z","archived":false}],"startedAt":"2026-01-01T00:00:00Z","completedAt":"2026-01-01T00:00:01Z"}"#.into(),
    )
    .unwrap_or_else(|e| panic!("{}", message(&e)));
    assert_eq!(string(&ok, "status"), "COMPLETE");
    assert_eq!(ids(&ok, "results"), ["1"]);
    assert!(get(&ok, "results.0.properties.hs_closed_amount").is_null());
    let multi = parse_batch_response(
        &207.into(),
        &r#"{"status":"COMPLETE","results":[],"numErrors":1,"errors":[{"status":"error","category":"OBJECT_NOT_FOUND","message":"gone","context":{"ids":["9"]}}],"startedAt":"2026-01-01T00:00:00Z","completedAt":"2026-01-01T00:00:01Z"}"#.into(),
    )
    .unwrap();
    assert_eq!(number(&multi, "numErrors"), 1.0);
    assert_eq!(string(&multi, "errors.0.category"), "OBJECT_NOT_FOUND");
    assert_eq!(string(&multi, "errors.0.context.ids.0"), "9");
}

#[wasm_bindgen_test]
async fn parse_batch_response_throws_hubspot_errors() {
    ready().await;
    let (_, validation) = hubspot_error(
        400,
        "VALIDATION_ERROR",
        r#"Property values were not valid: [{\"isValid\":false,\"message\":\"bogus was not one of the allowed options: [a, b]\",\"error\":\"INVALID_OPTION\",\"name\":\"dealstage\",\"localizedErrorMessage\":\"\",\"portalId\":12345}]"#,
        "",
    );
    let e = parse_batch_response(&400.into(), &validation.into()).expect_err("400");
    assert_hubspot_error(&e, "HTTP_ERROR");
    assert_eq!(number(&e, "status"), 400.0);
    assert_eq!(string(&e, "category"), "VALIDATION_ERROR");
    assert_eq!(
        string(&e, "correlationId"),
        "0b8b3c1e-1111-4222-8333-444455556666"
    );
    let details = stringify(&get(&e, "errors"));
    assert!(
        details.contains("INVALID_OPTION") && details.contains("dealstage"),
        "{details}"
    );

    let (_, daily) = hubspot_error(
        429,
        "RATE_LIMITS",
        "You have reached your daily limit.",
        r#","errorType":"RATE_LIMIT","policyName":"DAILY""#,
    );
    let e = parse_batch_response(&429.into(), &daily.into()).expect_err("429");
    assert_hubspot_error(&e, "RATE_LIMITED");
    assert_eq!(string(&e, "policyName"), "DAILY");
    assert_eq!(number(&e, "status"), 429.0);

    for body in [
        r#"{"status":"COMP"#,
        "<html><body>maintenance</body></html>",
        r#"{"foo":1}"#,
        "",
        "null",
        r#"{"status":"COMPLETE","results":[{"id":null}]}"#,
        r#"{"status":"COMPLETE","results":5}"#,
    ] {
        let e = parse_batch_response(&200.into(), &body.into()).expect_err(body);
        assert_hubspot_error(&e, "MALFORMED_RESPONSE");
    }
    for body in [
        r#"{"status":"COMPLETE","results":[],"errors":["#,
        "",
        "<html></html>",
    ] {
        let e = parse_batch_response(&207.into(), &body.into()).expect_err(body);
        assert_hubspot_error(&e, "MALFORMED_RESPONSE");
    }
    let e = parse_batch_response(&502.into(), &"<html><h1>502 Bad Gateway</h1></html>".into())
        .expect_err("502");
    assert_eq!(number(&e, "status"), 502.0);
    for status in [99.0, 600.0, 200.5, f64::NAN] {
        let e = parse_batch_response(&status.into(), &"{}".into()).expect_err("bad status");
        assert_hubspot_error(&e, "INVALID_INPUT");
    }
}

// --- HubSpotBatch: configuration -----------------------------------------------------------------

#[wasm_bindgen_test]
async fn the_constructor_refuses_bad_options() {
    ready().await;
    for (options, mentions) in [
        (r#"{"batchsize":2}"#, "options.batchsize"),
        (r#"{"batchSize":101}"#, "options.batchSize"),
        (r#"{"concurrency":0}"#, "options.concurrency"),
        (
            r#"{"rateLimit":{"requests":0,"intervalMs":1000}}"#,
            "options.rateLimit",
        ),
        (r#"{"maxRetries":-1}"#, "options.maxRetries"),
        (r#"{"timeoutMs":"1000"}"#, "options.timeoutMs"),
        (r#"{"baseUrl":"http://api.example.com"}"#, "options.baseUrl"),
        (r#"{"baseUrl":"not a url"}"#, "options.baseUrl"),
        (r#"{"objectType":""}"#, "options.objectType"),
        (r#""a string""#, "options"),
        ("{}", "options.accessToken"),
    ] {
        let e = new_client(&js(options)).expect_err(options);
        assert_hubspot_error(&e, "INVALID_CONFIG");
        assert!(message(&e).contains(mentions), "{options}: {}", message(&e));
    }
    let bad_token = js("{}");
    set(
        &bad_token,
        "accessToken",
        &format!("Bearer {TOKEN}\r\n").into(),
    );
    let e = new_client(&bad_token).expect_err("a token that cannot be a header");
    assert_hubspot_error(&e, "INVALID_CONFIG");
    for fine in [
        r#"{"accessToken":"t"}"#,
        r#"{"baseUrl":"https://hubspot-proxy.example.workers.dev"}"#,
        r#"{"baseUrl":"http://127.0.0.1:8080"}"#,
        r#"{"baseUrl":"http://localhost:1"}"#,
        r#"{"baseUrl":"http://[::1]:1"}"#,
        r#"{"accessToken":"t","objectType":"2-1234","rateLimit":null}"#,
    ] {
        new_client(&js(fine)).unwrap_or_else(|e| panic!("{fine}: {}", message(&e)));
    }
}

// --- HubSpotBatch.update with an injected fetch ------------------------------------------------

#[wasm_bindgen_test]
async fn update_sends_batches_through_the_injected_fetch() {
    ready().await;
    let fake = fake_fetch(vec![Reply::Echo]);
    let this_values = Array::new();
    let fetch = recording_this(&fake.function, &this_values);
    let c = client_with(
        &fetch,
        &format!(r#"{{"accessToken":"{TOKEN}","batchSize":2,"rateLimit":null}}"#),
    );
    let (on_progress, progress) = collector();
    let options = js("{}");
    set(&options, "onProgress", &on_progress);
    let result = run(&c, &deals(5), &options)
        .await
        .unwrap_or_else(|e| panic!("{}", message(&e)));

    assert_eq!(string(&result, "status"), "COMPLETE");
    assert_eq!(
        ids(&result, "results"),
        ["1", "2", "3", "4", "5"],
        "input order"
    );
    assert_eq!(length(&result, "failed"), 0);
    assert_eq!(length(&result, "errors"), 0);
    assert_eq!(number(&result, "numErrors"), 0.0);
    assert_eq!(number(&result, "stats.requests"), 3.0);
    assert_eq!(number(&result, "stats.batches"), 3.0);
    assert_eq!(number(&result, "stats.retries"), 0.0);
    assert_eq!(number(&result, "stats.rateLimited"), 0.0);
    assert!(number(&result, "stats.durationMs") >= 0.0);
    assert!(get(&result, "startedAt").is_string() && get(&result, "completedAt").is_string());
    assert!(
        get(&result, "results.0.objectWriteTraceId").is_undefined(),
        "the client's own trace ids are not shown"
    );
    assert_eq!(string(&result, "results.0.properties.amount"), "1.5");
    assert!(!stringify(&result).contains(TOKEN));

    assert_eq!(fake.count(), 3);
    for i in 0..3 {
        let calls = fake.calls.borrow();
        assert_eq!(calls[i].url, DEALS_URL);
        assert_eq!(string(&calls[i].init, "method"), "POST");
        assert_eq!(
            string(&calls[i].init, "redirect"),
            "manual",
            "redirects are never followed"
        );
        assert!(
            get(&calls[i].init, "signal").is_object(),
            "each attempt can be aborted"
        );
        drop(calls);
        assert_eq!(
            fake.header(i, "authorization"),
            Some(format!("Bearer {TOKEN}"))
        );
        assert_eq!(
            fake.header(i, "content-type").as_deref(),
            Some("application/json")
        );
    }
    let sizes: Vec<u32> = fake
        .calls
        .borrow()
        .iter()
        .map(|c| length(&c.body, "inputs"))
        .collect();
    assert_eq!(sizes, [2, 2, 1]);
    assert!(
        this_values.iter().all(|v| v.is_truthy()),
        "fetch is called unbound (workerd requires it)"
    );

    let progress = progress.borrow();
    assert!(!progress.is_empty());
    let last = progress.last().unwrap();
    assert_eq!(stringify(last), r#"{"done":5,"failed":0,"total":5}"#);
    let done: Vec<f64> = progress.iter().map(|p| number(p, "done")).collect();
    assert!(
        done.windows(2).all(|w| w[0] <= w[1]),
        "done only grows: {done:?}"
    );
}

#[wasm_bindgen_test]
async fn update_accounts_for_every_input() {
    ready().await;
    // batch 1 [1,2,3]: a 207 saying 2 does not exist; batch 2 [4,5,6]: a 200 that leaves 6 out.
    let fake = fake_fetch(vec![Reply::NotFound("2"), Reply::EchoOmitting("6")]);
    let c = client_with(
        &fake.function,
        &format!(r#"{{"accessToken":"{TOKEN}","batchSize":3,"concurrency":1,"rateLimit":null}}"#),
    );
    let result = run(&c, &deals(6), &JsValue::UNDEFINED).await.unwrap();
    assert_eq!(ids(&result, "results"), ["1", "3", "4", "5"]);
    assert_eq!(
        failed_summary(&result),
        [
            (1, "2".to_owned(), "OBJECT_NOT_FOUND".to_owned()),
            (5, "6".to_owned(), "NOT_UPDATED".to_owned())
        ]
    );
    assert_eq!(length(&result, "results") + length(&result, "failed"), 6);
    assert_eq!(length(&result, "errors"), 1);
    assert_eq!(number(&result, "numErrors"), 1.0);
    assert_eq!(string(&result, "errors.0.category"), "OBJECT_NOT_FOUND");
    assert!(get(&result, "failed.1.error.message").is_string());
}

#[wasm_bindgen_test]
async fn update_retries_transient_failures() {
    ready().await;
    let (s, body) = hubspot_error(500, "INTERNAL_ERROR", "internal error", "");
    let (_, limited) = hubspot_error(
        429,
        "RATE_LIMITS",
        "You have reached your secondly limit.",
        r#","errorType":"RATE_LIMIT","policyName":"SECONDLY""#,
    );
    let fake = fake_fetch(vec![
        Reply::Json(s, body),
        Reply::Reject("fetch failed"),
        Reply::WithHeaders(429, limited, vec![("retry-after", "0")]),
        Reply::Echo,
    ]);
    let c = client_with(
        &fake.function,
        &format!(r#"{{"accessToken":"{TOKEN}","rateLimit":null,"maxRetries":3}}"#),
    );
    let result = run(&c, &deals(2), &JsValue::UNDEFINED).await.unwrap();
    assert_eq!(ids(&result, "results"), ["1", "2"]);
    assert_eq!(fake.count(), 4);
    assert_eq!(number(&result, "stats.requests"), 4.0);
    assert_eq!(number(&result, "stats.retries"), 3.0);
    assert_eq!(number(&result, "stats.rateLimited"), 1.0);
}

#[wasm_bindgen_test]
async fn update_gives_up_after_max_retries() {
    ready().await;
    let fake = fake_fetch(vec![Reply::Json(503, r#"{"status":"error","message":"Service Unavailable","correlationId":"x","category":"SERVICE_UNAVAILABLE"}"#.into())]);
    let c = client_with(
        &fake.function,
        &format!(r#"{{"accessToken":"{TOKEN}","rateLimit":null,"maxRetries":1}}"#),
    );
    let result = run(&c, &deals(2), &JsValue::UNDEFINED).await.unwrap();
    assert_eq!(fake.count(), 2, "first attempt + 1 retry");
    assert_eq!(length(&result, "results"), 0);
    assert_eq!(length(&result, "failed"), 2);
    assert_eq!(number(&result, "failed.0.error.status"), 503.0);
}

#[wasm_bindgen_test]
async fn a_401_rejects_with_the_error_fields() {
    ready().await;
    let (s, body) = hubspot_error(
        401,
        "INVALID_AUTHENTICATION",
        "Authentication credentials not found.",
        "",
    );
    let fake = fake_fetch(vec![Reply::Json(s, body)]);
    let c = client(&fake.function);
    let e = run(&c, &deals(3), &JsValue::UNDEFINED)
        .await
        .expect_err("401 rejects");
    assert_hubspot_error(&e, "HTTP_ERROR");
    assert_eq!(number(&e, "status"), 401.0);
    assert_eq!(string(&e, "category"), "INVALID_AUTHENTICATION");
    assert_eq!(
        string(&e, "correlationId"),
        "0b8b3c1e-1111-4222-8333-444455556666"
    );
    assert_eq!(fake.count(), 1, "401 is not retried");
    let everything = format!(
        "{} {} {}",
        stringify(&e),
        message(&e),
        get(&e, "stack").as_string().unwrap_or_default()
    );
    assert!(!everything.contains(TOKEN), "{everything}");
}

#[wasm_bindgen_test]
async fn a_403_carries_hubspot_details_and_a_daily_429_is_rate_limited() {
    ready().await;
    let (s, body) = hubspot_error(
        403,
        "MISSING_SCOPES",
        "This app hasn't been granted all required scopes to make this call.",
        r#","errors":[{"message":"One or more of the following scopes are required.","context":{"requiredGranularScopes":["crm.objects.deals.write"]}}]"#,
    );
    let fake = fake_fetch(vec![Reply::Json(s, body)]);
    let e = run(&client(&fake.function), &deals(1), &JsValue::UNDEFINED)
        .await
        .expect_err("403");
    assert_hubspot_error(&e, "HTTP_ERROR");
    assert_eq!(number(&e, "status"), 403.0);
    assert_eq!(string(&e, "category"), "MISSING_SCOPES");
    assert_eq!(
        string(&e, "errors.0.context.requiredGranularScopes.0"),
        "crm.objects.deals.write"
    );

    let (s, body) = hubspot_error(
        429,
        "RATE_LIMITS",
        "You have reached your daily limit.",
        r#","errorType":"RATE_LIMIT","policyName":"DAILY""#,
    );
    let fake = fake_fetch(vec![Reply::Json(s, body)]);
    let e = run(&client(&fake.function), &deals(1), &JsValue::UNDEFINED)
        .await
        .expect_err("DAILY");
    assert_hubspot_error(&e, "RATE_LIMITED");
    assert_eq!(string(&e, "policyName"), "DAILY");
    assert_eq!(fake.count(), 1, "DAILY is never retried");
}

#[wasm_bindgen_test]
async fn a_stop_after_progress_resolves_canceled_with_the_rest_failed() {
    ready().await;
    let (s, body) = hubspot_error(403, "MISSING_SCOPES", "no scopes", "");
    let fake = fake_fetch(vec![Reply::Echo, Reply::Json(s, body)]);
    let c = client_with(
        &fake.function,
        &format!(r#"{{"accessToken":"{TOKEN}","batchSize":1,"concurrency":1,"rateLimit":null}}"#),
    );
    let result = run(&c, &deals(3), &JsValue::UNDEFINED).await.unwrap();
    assert_eq!(string(&result, "status"), "CANCELED");
    assert_eq!(ids(&result, "results"), ["1"]);
    assert_eq!(length(&result, "failed"), 2);
    assert_eq!(number(&result, "failed.0.index"), 1.0);
    assert_eq!(fake.count(), 2, "nothing is sent after the stop");
}

#[wasm_bindgen_test]
async fn invalid_input_rejects_before_anything_is_sent() {
    ready().await;
    let fake = fake_fetch(vec![Reply::Echo]);
    let c = client(&fake.function);
    let inputs = deals(5);
    set(&get(&inputs, "3.properties"), "amount", &js(r#"{"v":1}"#));
    let e = run(&c, &inputs, &JsValue::UNDEFINED)
        .await
        .expect_err("invalid");
    assert_hubspot_error(&e, "INVALID_INPUT");
    assert_eq!(
        message(&e),
        format!("inputs[3].properties.amount: {EXPECTED_VALUE}, got object")
    );
    let (on_progress, _) = collector();
    let signal_not = js("{}");
    set(&signal_not, "signal", &js(r#"{"aborted":false}"#));
    let progress_not = js(r#"{"onProgress":"log"}"#);
    for (inputs, options, mentions) in [
        (JsValue::UNDEFINED, JsValue::UNDEFINED, "inputs"),
        (
            deals(1),
            js(r#"{"idproperty":"email"}"#),
            "options.idproperty",
        ),
        (deals(1), js(r#"{"idProperty":""}"#), "options.idProperty"),
        (deals(1), signal_not, "options.signal"),
        (deals(1), progress_not, "options.onProgress"),
        (deals(1), JsValue::from_str("fast"), "options"),
    ] {
        let e = run(&c, &inputs, &options).await.expect_err(mentions);
        assert_hubspot_error(&e, "INVALID_INPUT");
        assert!(
            message(&e).contains(mentions),
            "{mentions}: {}",
            message(&e)
        );
    }
    assert_eq!(fake.count(), 0, "nothing was sent");
    // the same instance still works
    let options = js("{}");
    set(&options, "onProgress", &on_progress);
    let ok = run(&c, &deals(2), &options).await.unwrap();
    assert_eq!(ids(&ok, "results"), ["1", "2"]);
}

#[wasm_bindgen_test]
async fn an_already_aborted_signal_rejects_and_sends_nothing() {
    ready().await;
    let fake = fake_fetch(vec![Reply::Echo]);
    let c = client(&fake.function);
    let controller = web_sys::AbortController::new().unwrap();
    controller.abort_with_reason(&"user left".into());
    let options = js("{}");
    set(&options, "signal", &controller.signal());
    let e = run(&c, &deals(3), &options).await.expect_err("aborted");
    assert_hubspot_error(&e, "ABORTED");
    assert_eq!(get(&e, "cause").as_string().as_deref(), Some("user left"));
    assert_eq!(fake.count(), 0);
    let result = get(&e, "result");
    assert_eq!(length(&result, "results") + length(&result, "failed"), 3);
}

#[wasm_bindgen_test]
async fn aborting_in_flight_stops_the_run() {
    ready().await;
    let fake = fake_fetch(vec![Reply::Hang]);
    let c = client_with(
        &fake.function,
        &format!(r#"{{"accessToken":"{TOKEN}","batchSize":1,"concurrency":1,"rateLimit":null}}"#),
    );
    let controller = web_sys::AbortController::new().unwrap();
    let options = js("{}");
    set(&options, "signal", &controller.signal());
    let pending = JsFuture::from(update_js(&c, &deals(3), &options).unwrap());
    for _ in 0..100 {
        if fake.count() > 0 {
            break;
        }
        sleep(5).await;
    }
    assert_eq!(fake.count(), 1);
    let reason = js_sys::Error::new("stop");
    controller.abort_with_reason(&reason);
    let e = pending.await.expect_err("aborted");
    assert_hubspot_error(&e, "ABORTED");
    assert!(
        get(&e, "cause") == JsValue::from(reason),
        "cause is the signal's reason"
    );
    let result = get(&e, "result");
    assert_eq!(length(&result, "results") + length(&result, "failed"), 3);
    assert_eq!(
        get(&fake.calls.borrow()[0].init, "signal.aborted"),
        JsValue::TRUE,
        "the request in flight is aborted too"
    );
    sleep(50).await;
    assert_eq!(fake.count(), 1, "nothing more is sent");
}

#[wasm_bindgen_test]
async fn results_reach_the_caller_as_hubspot_sent_them() {
    ready().await;
    // SimplePublicObject and StandardError follow HubSpot's answer: fields HubSpot adds are
    // kept, fields it leaves out are not made up, and a subCategory that is not a string (the
    // OpenAPI types it as one) is dropped rather than refusing the answer.
    let body = r#"{"status":"COMPLETE","numErrors":2,"startedAt":"2026-01-01T00:00:00.000Z","completedAt":"2026-01-01T00:00:01.000Z",
      "results":[
        {"id":"1","properties":{"amount":"1.5","hs_closed_amount":null},"createdAt":"2025-01-01T00:00:00.000Z","updatedAt":"2026-01-01T00:00:00.000Z","archived":false,"url":"https://app.hubspot.com/contacts/1/deal/1","propertiesWithHistory":{"amount":[{"value":"1.5","timestamp":"2026-01-01T00:00:00.000Z"}]}},
        {"id":"2","properties":{}}],
      "errors":[
        {"status":"error","category":"OBJECT_NOT_FOUND","subCategory":5,"message":"gone","context":{"ids":["3"]}},
        {"status":"error","category":"OBJECT_NOT_FOUND","subCategory":"crm.objects.NOT_FOUND","message":"gone","context":{"ids":["4"]}}]}"#;
    let fake = fake_fetch(vec![Reply::Json(207, body.into())]);
    let result = run(&client(&fake.function), &deals(4), &JsValue::UNDEFINED)
        .await
        .unwrap_or_else(|e| panic!("{}", message(&e)));
    assert_eq!(ids(&result, "results"), ["1", "2"]);
    assert_eq!(
        string(&result, "results.0.url"),
        "https://app.hubspot.com/contacts/1/deal/1"
    );
    assert_eq!(
        string(&result, "results.0.propertiesWithHistory.amount.0.value"),
        "1.5"
    );
    assert!(get(&result, "results.0.properties.hs_closed_amount").is_null());
    assert_eq!(
        stringify(&get(&result, "results.1")),
        r#"{"id":"2","properties":{}}"#,
        "nothing is filled in"
    );
    assert_eq!(
        failed_summary(&result),
        [
            (2, "3".to_owned(), "OBJECT_NOT_FOUND".to_owned()),
            (3, "4".to_owned(), "OBJECT_NOT_FOUND".to_owned())
        ]
    );
    assert!(get(&result, "failed.0.error.subCategory").is_undefined());
    assert_eq!(
        string(&result, "failed.1.error.subCategory"),
        "crm.objects.NOT_FOUND"
    );
    assert_eq!(length(&result, "errors"), 2);
    assert!(get(&result, "errors.0.subCategory").is_undefined());
    assert_eq!(
        string(&result, "errors.1.subCategory"),
        "crm.objects.NOT_FOUND"
    );
}

#[wasm_bindgen_test]
async fn an_unreadable_200_is_retried_then_failed_as_malformed() {
    ready().await;
    // CONTRACT 4: HubSpot may have applied it, and batch update is idempotent: retry, then
    // fail its inputs with MALFORMED_RESPONSE.
    let fake = fake_fetch(vec![Reply::Json(
        200,
        r#"{"status":"COMPLETE","results":["#.into(),
    )]);
    let c = client_with(
        &fake.function,
        &format!(r#"{{"accessToken":"{TOKEN}","rateLimit":null,"maxRetries":1}}"#),
    );
    let result = run(&c, &deals(2), &JsValue::UNDEFINED).await.unwrap();
    assert_eq!(fake.count(), 2, "first attempt + 1 retry");
    assert_eq!(length(&result, "results"), 0);
    assert_eq!(length(&result, "failed"), 2);
    assert_eq!(
        string(&result, "failed.0.error.category"),
        "MALFORMED_RESPONSE"
    );
    assert_eq!(
        string(&result, "failed.1.error.category"),
        "MALFORMED_RESPONSE"
    );
}

#[wasm_bindgen_test]
async fn a_429_waits_for_a_decimal_retry_after() {
    ready().await;
    // Retry-After in decimal seconds wins over the policy's window (10 s here).
    let (_, limited) = hubspot_error(
        429,
        "RATE_LIMITS",
        "You have reached your ten_secondly_rolling limit.",
        r#","errorType":"RATE_LIMIT","policyName":"TEN_SECONDLY_ROLLING""#,
    );
    let fake = fake_fetch(vec![
        Reply::WithHeaders(429, limited, vec![("retry-after", "0.2")]),
        Reply::Echo,
    ]);
    let c = client_with(
        &fake.function,
        &format!(r#"{{"accessToken":"{TOKEN}","rateLimit":null,"maxRetries":1}}"#),
    );
    let started = js_sys::Date::now();
    let result = run(&c, &deals(2), &JsValue::UNDEFINED).await.unwrap();
    let waited = js_sys::Date::now() - started;
    assert_eq!(ids(&result, "results"), ["1", "2"]);
    assert_eq!(fake.count(), 2);
    assert_eq!(number(&result, "stats.rateLimited"), 1.0);
    assert!(
        (150.0..5000.0).contains(&waited),
        "waited {waited} ms for Retry-After: 0.2"
    );
}

#[wasm_bindgen_test]
async fn a_timeout_fails_the_inputs_with_no_status() {
    ready().await;
    let fake = fake_fetch(vec![Reply::Hang]);
    let c = client_with(
        &fake.function,
        &format!(r#"{{"accessToken":"{TOKEN}","rateLimit":null,"maxRetries":0,"timeoutMs":30}}"#),
    );
    let result = run(&c, &deals(2), &JsValue::UNDEFINED).await.unwrap();
    assert_eq!(length(&result, "failed"), 2);
    assert_eq!(string(&result, "failed.0.error.category"), "TIMEOUT");
    // CONTRACT: FailedInput.error.status is `number | null`; null when there was no answer.
    assert!(get(&result, "failed.0.error.status").is_null());
    assert_eq!(
        get(&fake.calls.borrow()[0].init, "signal.aborted"),
        JsValue::TRUE,
        "the timed-out request is aborted"
    );
}

#[wasm_bindgen_test]
async fn hostile_answers_never_trap_and_the_instance_stays_usable() {
    ready().await;
    let deep = format!("{}{}", "[".repeat(5000), "]".repeat(5000));
    let answers: Vec<Reply> = vec![
        Reply::Json(200, String::new()),
        Reply::Json(200, "null".into()),
        Reply::Json(200, "[]".into()),
        Reply::Json(200, deep),
        Reply::Json(200, r#"{"status":"COMPLETE","results":5}"#.into()),
        Reply::Json(
            200,
            r#"{"status":"COMPLETE","results":[{"id":{"x":1}}]}"#.into(),
        ),
        Reply::Json(
            207,
            r#"{"status":"COMPLETE","results":[],"errors":"nope"}"#.into(),
        ),
        Reply::Json(200, "\u{feff}{\"status\":\"COMPLETE\"".into()),
        Reply::Json(400, "<html>bad</html>".into()),
        Reply::Json(500, "\u{0}\u{1}".into()),
        Reply::Json(302, "".into()),
        Reply::NotAResponse,
        Reply::Reject("socket hang up"),
    ];
    for reply in answers {
        let fake = fake_fetch(vec![reply, Reply::Echo]);
        let c = client_with(
            &fake.function,
            &format!(r#"{{"accessToken":"{TOKEN}","rateLimit":null,"maxRetries":0}}"#),
        );
        match run(&c, &deals(2), &JsValue::UNDEFINED).await {
            Ok(result) => {
                assert_eq!(length(&result, "results"), 0, "{}", stringify(&result));
                assert_eq!(length(&result, "failed"), 2);
            }
            Err(e) => assert!(is_hubspot_error(&e), "{e:?}"),
        }
        // the instance (and the module) still work: the next answer is a good one
        let ok = run(&c, &deals(2), &JsValue::UNDEFINED).await.unwrap();
        assert_eq!(ids(&ok, "results"), ["1", "2"]);
    }
}

#[wasm_bindgen_test]
async fn a_throwing_on_progress_does_not_break_the_run() {
    ready().await;
    let fake = fake_fetch(vec![Reply::Echo]);
    let c = client(&fake.function);
    let options = js("{}");
    set(
        &options,
        "onProgress",
        &Function::new_with_args("p", "throw new Error('observer bug')").into(),
    );
    let result = run(&c, &deals(3), &options).await.unwrap();
    assert_eq!(ids(&result, "results"), ["1", "2", "3"]);
}

#[wasm_bindgen_test]
async fn the_global_fetch_is_looked_up_at_call_time() {
    ready().await;
    let c = new_client(&js(&format!(
        r#"{{"accessToken":"{TOKEN}","rateLimit":null}}"#
    )))
    .unwrap();
    let fake = fake_fetch(vec![Reply::Echo]);
    let old = set_global_fetch(&fake.function);
    let result = run(&c, &deals(2), &JsValue::UNDEFINED).await;
    set_global_fetch(&old);
    assert_eq!(ids(&result.unwrap(), "results"), ["1", "2"]);
    assert_eq!(
        fake.count(),
        1,
        "installed after the client was made, and used"
    );
}

// --- createBatchUpdateHandler --------------------------------------------------------------------

struct Answer {
    status: u16,
    text: String,
    headers: web_sys::Headers,
}

async fn call(handler: &JsValue, request: JsValue) -> Answer {
    let res: web_sys::Response = JsFuture::from(call_handler(handler, &request).unwrap())
        .await
        .unwrap_or_else(|e| panic!("the handler rejected: {e:?}"))
        .dyn_into()
        .expect("the handler answers with a Response");
    let text = JsFuture::from(res.text().unwrap())
        .await
        .unwrap()
        .as_string()
        .unwrap_or_default();
    assert!(
        !text.contains(TOKEN),
        "the token is in a proxy answer: {text}"
    );
    Answer {
        status: res.status(),
        text,
        headers: res.headers(),
    }
}

fn post(url: &str, origin: Option<&str>, body: &str) -> JsValue {
    let headers = js(r#"{"content-type":"application/json"}"#);
    if let Some(o) = origin {
        set(&headers, "origin", &o.into());
    }
    make_request(url, "POST", &headers, Some(body.to_owned())).unwrap()
}

#[wasm_bindgen_test]
async fn the_proxy_handler_forwards_with_the_token_and_refuses_the_rest() {
    ready().await;
    const APP: &str = "https://app.example.com";
    const PROXY: &str = "https://proxy.example";
    // Browsers drop a script-set Origin header; there the origin checks cannot be driven from
    // a Request, so the handler allows any origin and only the other checks run.
    let probe = make_request(PROXY, "GET", &js(&format!(r#"{{"origin":"{APP}"}}"#)), None).unwrap();
    let origin_sticks = get(&probe, "headers")
        .unchecked_into::<web_sys::Headers>()
        .get("origin")
        .ok()
        .flatten()
        .is_some();
    let origin = origin_sticks.then_some(APP);
    let fake = fake_fetch(vec![Reply::Echo]);
    let options = js(&format!(
        r#"{{"accessToken":"{TOKEN}","allowedOrigins":["{}"],"maxBodyBytes":2000,"rateLimit":null}}"#,
        if origin_sticks { APP } else { "*" }
    ));
    set(&options, "fetch", &fake.function);
    let handler = create_handler(&options).unwrap_or_else(|e| panic!("{}", message(&e)));

    // forwarded: HubSpot's endpoint, with the token added
    let a = call(
        &handler,
        post(
            &format!("{PROXY}/crm/v3/objects/0-3/batch/update"),
            origin,
            r#"{"inputs":[{"id":"1","properties":{"dealname":"x"}}]}"#,
        ),
    )
    .await;
    assert_eq!(a.status, 200, "{}", a.text);
    assert_eq!(ids(&js(&a.text), "results"), ["1"]);
    assert_eq!(fake.count(), 1);
    assert_eq!(fake.calls.borrow()[0].url, DEALS_URL);
    assert_eq!(
        fake.header(0, "authorization"),
        Some(format!("Bearer {TOKEN}"))
    );
    if origin_sticks {
        assert_eq!(
            a.headers
                .get("access-control-allow-origin")
                .unwrap()
                .as_deref(),
            Some(APP)
        );
    }

    // run at the edge
    let a = call(
        &handler,
        post(
            &format!("{PROXY}/update"),
            origin,
            r#"{"inputs":[{"id":"2","properties":{"amount":5}},{"id":"3","properties":{}}]}"#,
        ),
    )
    .await;
    assert_eq!(a.status, 200, "{}", a.text);
    let result = js(&a.text);
    assert_eq!(ids(&result, "results"), ["2", "3"]);
    assert_eq!(length(&result, "failed"), 0);

    // refusals
    let before = fake.count();
    for (url, body, status) in [
        (
            "/crm/v3/objects/contacts/batch/update",
            r#"{"inputs":[]}"#,
            403,
        ),
        ("/crm/v3/objects/0-3/batch/update", r#"{"inputs":["#, 400),
        ("/update", "not json", 400),
        (
            "/update",
            r#"{"inputs":[{"id":"1","properties":{"a":{}}}]}"#,
            400,
        ),
        ("/update", r#"{"objectType":"0-1","inputs":[]}"#, 403),
        ("/nowhere", "{}", 404),
    ] {
        let a = call(&handler, post(&format!("{PROXY}{url}"), origin, body)).await;
        assert_eq!(a.status, status, "{url} {body}: {}", a.text);
        assert!(get(&js(&a.text), "category").is_string(), "{}", a.text);
    }
    let big = format!(
        r#"{{"inputs":[{{"id":"1","properties":{{"d":"{}"}}}}]}}"#,
        "x".repeat(3000)
    );
    let a = call(&handler, post(&format!("{PROXY}/update"), origin, &big)).await;
    assert_eq!(a.status, 413, "{}", a.text);
    assert_eq!(fake.count(), before, "no refused request reached HubSpot");

    if origin_sticks {
        let evil = call(
            &handler,
            post(
                &format!("{PROXY}/update"),
                Some("https://evil.example"),
                r#"{"inputs":[]}"#,
            ),
        )
        .await;
        assert_eq!(evil.status, 403);
        assert_eq!(
            evil.headers.get("access-control-allow-origin").unwrap(),
            None
        );
        let preflight_headers = js(&format!(
            r#"{{"origin":"{APP}","access-control-request-method":"POST","access-control-request-headers":"content-type"}}"#
        ));
        let request = make_request(
            &format!("{PROXY}/crm/v3/objects/0-3/batch/update"),
            "OPTIONS",
            &preflight_headers,
            None,
        )
        .unwrap();
        let pre = call(&handler, request).await;
        assert_eq!(pre.status, 204);
        assert_eq!(
            pre.headers
                .get("access-control-allow-origin")
                .unwrap()
                .as_deref(),
            Some(APP)
        );
        assert!(pre
            .headers
            .get("access-control-allow-methods")
            .unwrap()
            .unwrap_or_default()
            .contains("POST"));
    }
}

#[wasm_bindgen_test]
async fn the_proxy_refuses_bad_options() {
    ready().await;
    for (options, mentions) in [
        (format!(r#"{{"accessToken":"{TOKEN}"}}"#), "allowedOrigins"),
        (
            r#"{"allowedOrigins":["https://a.example"]}"#.to_owned(),
            "accessToken",
        ),
        (
            format!(r#"{{"accessToken":"{TOKEN}","allowedOrigins":["a.example"]}}"#),
            "allowedOrigins",
        ),
        (
            format!(
                r#"{{"accessToken":"{TOKEN}","allowedOrigins":["https://a.example"],"maxBodyBytes":0}}"#
            ),
            "maxBodyBytes",
        ),
        (
            format!(
                r#"{{"accessToken":"{TOKEN}","allowedOrigins":["https://a.example"],"objectTypes":[]}}"#
            ),
            "objectTypes",
        ),
        (
            format!(
                r#"{{"accessToken":"{TOKEN}","allowedOrigins":["https://a.example"],"baseUrl":"http://hubspot.example"}}"#
            ),
            "baseUrl",
        ),
        (
            format!(
                r#"{{"accessToken":"{TOKEN}","allowedOrigins":["https://a.example"],"nope":1}}"#
            ),
            "nope",
        ),
    ] {
        let e = create_handler(&js(&options)).expect_err(&options);
        assert_hubspot_error(&e, "INVALID_CONFIG");
        assert!(message(&e).contains(mentions), "{options}: {}", message(&e));
    }
    assert!(!is_node() || create_handler(&JsValue::UNDEFINED).is_err());
}
