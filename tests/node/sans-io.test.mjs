// The functions without I/O (formatPropertyValue, buildBatchUpdateRequests,
// parseBatchResponse), HubSpotError, and client option validation (INVALID_CONFIG).
import { test } from "node:test";
import assert from "node:assert/strict";
import { assertHubSpotError, assertNotTrap, dump, pkg, range, usePackage } from "./helpers.mjs";

usePackage();

const throwsCode = (fn, code, what) => {
  let err;
  try {
    fn();
  } catch (e) {
    err = e;
  }
  assert.ok(err !== undefined, `${what}: expected a throw`);
  return assertHubSpotError(pkg.HubSpotError, err, code, what);
};

const lower = (headers) => Object.fromEntries(Object.entries(headers).map(([k, v]) => [k.toLowerCase(), v]));

// --------------------------------------------------------------------------- exports, HubSpotError

test("exports: HubSpotBatch, HubSpotError, buildBatchUpdateRequests, parseBatchResponse, formatPropertyValue", () => {
  for (const n of ["HubSpotBatch", "HubSpotError", "buildBatchUpdateRequests", "parseBatchResponse", "formatPropertyValue"]) {
    assert.equal(typeof pkg[n], "function", n);
  }
});

test("HubSpotError is an Error subclass with name and code", () => {
  const err = throwsCode(() => pkg.formatPropertyValue(NaN), "INVALID_INPUT", "formatPropertyValue(NaN)");
  assert.ok(err instanceof Error);
  assert.ok(err instanceof pkg.HubSpotError);
  assert.equal(err.name, "HubSpotError");
  assert.equal(Object.prototype.toString.call(err), "[object Error]");
  assert.match(String(err), /^HubSpotError: /);
  assert.equal(typeof err.stack, "string");
  assert.ok(pkg.HubSpotError.prototype instanceof Error, "HubSpotError.prototype inherits Error.prototype");
});

// --------------------------------------------------------------------------- formatPropertyValue

test("formatPropertyValue: numbers in plain decimal", () => {
  const f = pkg.formatPropertyValue;
  const cases = [
    [0, "0"],
    [-0, "0"],
    [1, "1"],
    [-1.5, "-1.5"],
    [1500, "1500"],
    [0.1, "0.1"],
    [0.1 + 0.2, "0.30000000000000004"],
    [1e21, "1000000000000000000000"],
    [1e-7, "0.0000001"],
    [-1e-7, "-0.0000001"],
    [123e-20, "0.00000000000000000123"],
    [2 ** 53, "9007199254740992"],
    [Number.MAX_SAFE_INTEGER, "9007199254740991"],
    [1.2345678901234568e20, "123456789012345680000"],
    [1.5e300, "15" + "0".repeat(299)],
    [5e-324, "0." + "0".repeat(323) + "5"],
    [Number.MAX_VALUE, "17976931348623157" + "0".repeat(292)],
  ];
  for (const [v, want] of cases) assert.equal(f(v), want, `formatPropertyValue(${Object.is(v, -0) ? "-0" : v})`);
  for (const v of [1e21, 1e-7, 12.25, 5e-324, 2 ** 70]) {
    assert.doesNotMatch(f(v), /e/i, `no exponent for ${v}`);
    assert.equal(Number(f(v)), v, `${v} reads back exactly`);
  }
});

test("formatPropertyValue: booleans, Date, arrays, null, strings", () => {
  const f = pkg.formatPropertyValue;
  assert.equal(f(true), "true");
  assert.equal(f(false), "false");
  assert.equal(f(null), "");
  assert.equal(f(new Date(0)), "0");
  assert.equal(f(new Date("2024-01-02T03:04:05.678Z")), "1704164645678");
  assert.equal(f(new Date(-1000)), "-1000");
  // A Date crosses into wasm as a BigInt (src/wasm/values.js): the whole range of JS dates.
  assert.equal(f(new Date(8.64e15)), "8640000000000000");
  assert.equal(f(new Date(-8.64e15)), "-8640000000000000");
  assert.equal(f(new Date(-1)), "-1");
  // and is not mistaken for a number, nor a caller's BigInt for a Date
  assert.throws(() => f(2n ** 63n + 2n ** 62n), (e) => e.code === "INVALID_INPUT" && /bigint/.test(e.message));
  assert.throws(() => f([new Date(0)]), (e) => e.code === "INVALID_INPUT" && /\[0\]: expected string, got Date/.test(e.message));
  assert.equal(f(["hot", "renewal"]), "hot;renewal");
  assert.equal(f(Object.freeze(["a"])), "a");
  assert.equal(f(["a", "", "b"]), "a;;b");
  assert.equal(f([]), "");
  assert.equal(f(""), "");
  assert.equal(f("plain"), "plain");
  assert.equal(f('quote " backslash \\ newline \n tab \t'), 'quote " backslash \\ newline \n tab \t');
  assert.equal(f("héllo 🎉 \u2028 中文"), "héllo 🎉 \u2028 中文");
  assert.equal(f("1e21"), "1e21", "strings are never reformatted");
  // A lone surrogate cannot travel as UTF-8: refused, or kept exactly -- never silently replaced.
  let lone;
  try {
    lone = f("a\uD800b");
  } catch (e) {
    assertHubSpotError(pkg.HubSpotError, e, "INVALID_INPUT", "lone surrogate");
  }
  if (lone !== undefined) assert.equal(lone, "a\uD800b");
});

test("formatPropertyValue: refuses what HubSpot cannot store (INVALID_INPUT)", () => {
  const f = pkg.formatPropertyValue;
  for (const [v, label] of [
    [NaN, "NaN"],
    [Infinity, "Infinity"],
    [-Infinity, "-Infinity"],
    [new Date(NaN), "Invalid Date"],
    [["a;b"], "element with ;"],
    [["ok", "x;y"], "second element with ;"],
    [[1, 2], "array of numbers"],
    [[["nested"]], "nested array"],
    [{}, "object"],
    [{ toString: () => "x" }, "object with toString"],
    [undefined, "undefined"],
    [Symbol("s"), "symbol"],
    [() => "x", "function"],
  ]) {
    throwsCode(() => f(v), "INVALID_INPUT", `formatPropertyValue(${label})`);
  }
  const e = throwsCode(() => f(["ok", "x;y"]), "INVALID_INPUT", "semicolon");
  assert.match(e.message, /;/);
});

// --------------------------------------------------------------------------- buildBatchUpdateRequests

test("buildBatchUpdateRequests: url, method, headers, exact body, chunking", () => {
  const inputs = [
    { id: "1", properties: { amount: 1500, dealstage: "closedwon" } },
    { id: "2", properties: { closedate: new Date(1714557600000), tags: ["hot", "smb"], description: null } },
    { id: "3", properties: { flag: true, big: 1e21 }, objectWriteTraceId: "trace-3" },
  ];
  const reqs = pkg.buildBatchUpdateRequests(inputs, {
    accessToken: "pat-na1-abc",
    baseUrl: "https://api.hubapi.com",
    objectType: "0-3",
    batchSize: 2,
  });
  assert.ok(Array.isArray(reqs));
  assert.equal(reqs.length, 2);
  for (const r of reqs) {
    assert.deepEqual(Object.keys(r).sort(), ["body", "headers", "inputIndexes", "method", "url"]);
    assert.equal(r.url, "https://api.hubapi.com/crm/v3/objects/0-3/batch/update");
    assert.equal(r.method, "POST");
    const h = lower(r.headers);
    assert.equal(h.authorization, "Bearer pat-na1-abc");
    assert.match(h["content-type"], /^application\/json/);
    assert.equal(typeof r.body, "string");
    assert.equal(r.body, JSON.stringify(JSON.parse(r.body)), "compact JSON");
  }
  assert.deepEqual(reqs[0].inputIndexes, [0, 1]);
  assert.deepEqual(reqs[1].inputIndexes, [2]);
  assert.deepEqual(JSON.parse(reqs[0].body), {
    inputs: [
      { id: "1", properties: { amount: "1500", dealstage: "closedwon" } },
      { id: "2", properties: { closedate: "1714557600000", tags: "hot;smb", description: "" } },
    ],
  });
  assert.deepEqual(JSON.parse(reqs[1].body), {
    inputs: [{ id: "3", objectWriteTraceId: "trace-3", properties: { flag: "true", big: "1000000000000000000000" } }],
  });
  // The exact bytes: keys in HubSpot's schema order, property order as given, nothing added.
  assert.equal(
    reqs[0].body,
    '{"inputs":[{"id":"1","properties":{"amount":"1500","dealstage":"closedwon"}},' +
      '{"id":"2","properties":{"closedate":"1714557600000","tags":"hot;smb","description":""}}]}',
  );
  assert.equal(
    reqs[1].body,
    '{"inputs":[{"id":"3","objectWriteTraceId":"trace-3","properties":{"flag":"true","big":"1000000000000000000000"}}]}',
  );
});

test("buildBatchUpdateRequests: defaults (HubSpot, deals, 100 per request) and 250 inputs -> 100,100,50", () => {
  const inputs = range(1, 250).map((id) => ({ id: String(id), properties: { dealname: `D${id}` } }));
  const reqs = pkg.buildBatchUpdateRequests(inputs);
  assert.equal(reqs.length, 3);
  assert.deepEqual(reqs.map((r) => r.inputIndexes.length), [100, 100, 50]);
  assert.deepEqual(reqs.flatMap((r) => r.inputIndexes), range(0, 249), "in input order");
  reqs.forEach((r) => {
    assert.equal(r.url, "https://api.hubapi.com/crm/v3/objects/0-3/batch/update");
    const body = JSON.parse(r.body);
    assert.deepEqual(body.inputs.map((i) => i.id), r.inputIndexes.map((i) => inputs[i].id));
    assert.ok(!("authorization" in lower(r.headers)), "no token, no Authorization header (a proxy adds it)");
  });
  assert.deepEqual(pkg.buildBatchUpdateRequests([]), [], "no inputs, no requests");
});

test("buildBatchUpdateRequests: a property named __proto__ is refused, never dropped", () => {
  // values.js copies the caller's objects into ordinary objects, except one with a "__proto__"
  // key, which gets a null prototype so that the key reaches the core as a field; the core
  // refuses it (a JS request body could not carry it), whatever its value.
  for (const v of ['"x"', "{}", "1"]) {
    const properties = JSON.parse(`{"a":"1","__proto__":${v},"b":2}`);
    const e = throwsCode(() => pkg.buildBatchUpdateRequests([{ id: "5", properties }], { accessToken: "t" }), "INVALID_INPUT", v);
    assert.equal(e.message, 'inputs[0].properties["__proto__"]: not a property name');
  }
});

test("buildBatchUpdateRequests: idProperty, objectType, trailing slash, escaping", () => {
  const reqs = pkg.buildBatchUpdateRequests(
    [
      { id: "ext-1", properties: { dealname: 'He said "hi"\\\n' } },
      { id: "7", idProperty: "hs_object_id", properties: { dealname: "\u2028🎉" } },
    ],
    { baseUrl: "http://127.0.0.1:8080/", objectType: "contacts", idProperty: "deal_external_id" },
  );
  assert.equal(reqs.length, 1);
  assert.equal(reqs[0].url, "http://127.0.0.1:8080/crm/v3/objects/contacts/batch/update");
  assert.deepEqual(JSON.parse(reqs[0].body).inputs, [
    { id: "ext-1", idProperty: "deal_external_id", properties: { dealname: 'He said "hi"\\\n' } },
    { id: "7", idProperty: "hs_object_id", properties: { dealname: "\u2028🎉" } },
  ]);
});

test("buildBatchUpdateRequests: validates like update() (INVALID_INPUT naming the field)", () => {
  const b = pkg.buildBatchUpdateRequests;
  let e = throwsCode(() => b([{ id: "1", properties: {} }, { id: "2", properties: {} }, { id: "3", properties: {} }, { id: "4", properties: { amount: {} } }]), "INVALID_INPUT", "object value");
  assert.match(e.message, /inputs\[3\]\.properties\.amount/);
  e = throwsCode(() => b([{ id: "1", properties: {} }, { id: "1", properties: {} }]), "INVALID_INPUT", "duplicate ids");
  assert.match(e.message, /inputs\[1\]/);
  throwsCode(() => b([{ id: "", properties: {} }]), "INVALID_INPUT", "empty id");
  throwsCode(() => b(null), "INVALID_INPUT", "null inputs");
  for (const opts of [{ batchSize: 0 }, { batchSize: 101 }, { baseUrl: "http://example.com" }, { nope: 1 }]) {
    let err;
    try {
      b([{ id: "1", properties: {} }], opts);
    } catch (x) {
      err = x;
    }
    assert.ok(err instanceof pkg.HubSpotError, `options ${JSON.stringify(opts)} refused`);
    assert.ok(["INVALID_INPUT", "INVALID_CONFIG"].includes(err.code), `code for ${JSON.stringify(opts)}: ${err.code}`);
  }
});

// --------------------------------------------------------------------------- parseBatchResponse

const OK_200 = JSON.stringify({
  status: "COMPLETE",
  results: [
    {
      id: "12",
      properties: { amount: "1500", hs_object_id: "12", hs_closed_amount: null },
      createdAt: "2024-01-01T00:00:00.000Z",
      updatedAt: "2024-05-01T00:00:00.000Z",
      archived: false,
      objectWriteTraceId: "t1",
    },
  ],
  startedAt: "2024-05-01T00:00:00.000Z",
  completedAt: "2024-05-01T00:00:01.000Z",
});

test("parseBatchResponse: 200 and 207 bodies are returned parsed", () => {
  const ok = pkg.parseBatchResponse(200, OK_200);
  assert.equal(ok.status, "COMPLETE");
  assert.equal(ok.results.length, 1);
  assert.equal(ok.results[0].id, "12");
  assert.equal(ok.results[0].properties.amount, "1500");
  assert.equal(ok.results[0].properties.hs_closed_amount, null, "null property values stay null");
  assert.equal(ok.results[0].archived, false);
  assert.equal(ok.results[0].objectWriteTraceId, "t1");
  assert.equal(ok.startedAt, "2024-05-01T00:00:00.000Z");
  assert.equal(ok.completedAt, "2024-05-01T00:00:01.000Z");

  const multi = pkg.parseBatchResponse(
    207,
    JSON.stringify({
      status: "COMPLETE",
      results: [],
      numErrors: 1,
      errors: [
        {
          status: "error",
          category: "OBJECT_NOT_FOUND",
          message: "Could not get some DEAL objects, they may be deleted or not exist. Check that ids are valid.",
          context: { ids: ["999", "998"] },
          links: {},
          errors: [],
        },
      ],
      startedAt: "a",
      completedAt: "b",
    }),
  );
  assert.equal(multi.numErrors, 1);
  assert.equal(multi.errors[0].category, "OBJECT_NOT_FOUND");
  assert.deepEqual(multi.errors[0].context.ids, ["999", "998"]);
});

test("parseBatchResponse: a bad 200/207 body throws MALFORMED_RESPONSE", () => {
  for (const body of ["", "<html><body>maintenance</body></html>", "{", OK_200.slice(0, OK_200.length >> 1), "null", "[]", '{"results":5}', "[".repeat(100_000), '{"a":'.repeat(50_000)]) {
    for (const status of [200, 207]) {
      const e = throwsCode(() => pkg.parseBatchResponse(status, body), "MALFORMED_RESPONSE", `${status} ${JSON.stringify(body.slice(0, 30))}`);
      assert.equal(e.status, status);
    }
  }
});

test("parseBatchResponse: error bodies throw HTTP_ERROR / RATE_LIMITED with HubSpot's fields", () => {
  const e500 = throwsCode(
    () => pkg.parseBatchResponse(500, JSON.stringify({ status: "error", message: "internal error", correlationId: "c-500", category: "INTERNAL_ERROR" })),
    "HTTP_ERROR",
    "500",
  );
  assert.equal(e500.status, 500);
  assert.equal(e500.category, "INTERNAL_ERROR");
  assert.equal(e500.correlationId, "c-500");
  assert.equal(e500.message, "internal error");

  const e429 = throwsCode(
    () =>
      pkg.parseBatchResponse(
        429,
        JSON.stringify({
          status: "error",
          message: "You have reached your ten_secondly_rolling limit.",
          errorType: "RATE_LIMIT",
          correlationId: "c-429",
          policyName: "TEN_SECONDLY_ROLLING",
          groupName: "publicapi:private-app:1001:12345",
          category: "RATE_LIMITS",
        }),
      ),
    "RATE_LIMITED",
    "429",
  );
  assert.equal(e429.status, 429);
  assert.equal(e429.policyName, "TEN_SECONDLY_ROLLING");
  assert.equal(e429.category, "RATE_LIMITS");
  assert.equal(e429.correlationId, "c-429");

  const daily = throwsCode(
    () => pkg.parseBatchResponse(429, JSON.stringify({ status: "error", message: "You have reached your daily limit.", errorType: "RATE_LIMIT", correlationId: "c", policyName: "DAILY", category: "RATE_LIMITS" })),
    "RATE_LIMITED",
    "daily",
  );
  assert.equal(daily.policyName, "DAILY");

  const details = [
    { isValid: false, message: "bogus was not one of the allowed options: [a, b]", error: "INVALID_OPTION", name: "dealstage", localizedErrorMessage: "x", portalId: 1 },
    { isValid: false, message: "1e3 was not a valid number.", error: "INVALID_DECIMAL", name: "amount", localizedErrorMessage: "y", portalId: 1 },
  ];
  const e400 = throwsCode(
    () => pkg.parseBatchResponse(400, JSON.stringify({ status: "error", message: `Property values were not valid: ${JSON.stringify(details)}`, correlationId: "c-400", category: "VALIDATION_ERROR", subCategory: "sub" })),
    "HTTP_ERROR",
    "400",
  );
  assert.equal(e400.status, 400);
  assert.equal(e400.category, "VALIDATION_ERROR");
  assert.equal(e400.subCategory, "sub");
  assert.ok(Array.isArray(e400.errors));
  assert.equal(e400.errors.length, 2);
  assert.deepEqual(e400.errors.map((d) => d.in), ["dealstage", "amount"]);
  assert.deepEqual(e400.errors.map((d) => d.message), [details[0].message, details[1].message]);
  assert.deepEqual(e400.errors.map((d) => d.code), ["INVALID_OPTION", "INVALID_DECIMAL"]);

  const e403 = throwsCode(
    () =>
      pkg.parseBatchResponse(
        403,
        JSON.stringify({
          status: "error",
          message: "This app hasn't been granted all required scopes to make this call.",
          correlationId: "c-403",
          category: "MISSING_SCOPES",
          errors: [{ message: "One or more of the following scopes are required.", context: { requiredGranularScopes: ["crm.objects.deals.write"] } }],
          context: { scopes: ["a", "b"] },
        }),
      ),
    "HTTP_ERROR",
    "403",
  );
  assert.equal(e403.status, 403);
  assert.equal(e403.errors[0].message, "One or more of the following scopes are required.");
  assert.deepEqual(e403.errors[0].context.requiredGranularScopes, ["crm.objects.deals.write"]);
  assert.deepEqual(e403.context, { scopes: ["a", "b"] });

  const e502 = throwsCode(() => pkg.parseBatchResponse(502, "<html><body><h1>502 Bad Gateway</h1></body></html>"), "HTTP_ERROR", "502 html");
  assert.equal(e502.status, 502);
  const e429html = throwsCode(() => pkg.parseBatchResponse(429, "Too Many Requests"), "RATE_LIMITED", "429 text");
  assert.equal(e429html.status, 429);
});

test("parseBatchResponse: garbage arguments throw, never trap; the module keeps working", () => {
  const weird = [
    [65536 + 200, OK_200],
    [-200, OK_200],
    [NaN, OK_200],
    [0, OK_200],
    ["200", 42],
    [200, undefined],
    [200, null],
    [undefined, undefined],
    [Symbol("x"), Symbol("y")],
    [10n, OK_200],
  ];
  const problems = [];
  for (const [s, b] of weird) {
    const what = `parseBatchResponse(${String(s)}, ${typeof b === "string" ? "<valid 200 body>" : String(b)})`;
    let err;
    try {
      const v = pkg.parseBatchResponse(s, b);
      problems.push(`${what} returned ${JSON.stringify(v)?.slice(0, 60)} instead of throwing`);
      continue;
    } catch (e) {
      err = e;
    }
    if (err instanceof WebAssembly.RuntimeError) problems.push(`${what}: wasm trap: ${err.message}`);
    else if (!(err instanceof pkg.HubSpotError || err instanceof TypeError)) problems.push(`${what}: threw ${err}`);
  }
  assert.deepEqual(problems, []);
  assert.equal(pkg.parseBatchResponse(200, OK_200).results.length, 1, "still works");
});

// --------------------------------------------------------------------------- client options

test("new HubSpotBatch: INVALID_CONFIG for bad options, thrown synchronously", () => {
  const B = pkg.HubSpotBatch;
  const T = { accessToken: "emulator-token" };
  const bad = [
    [{}, "no accessToken with the default baseUrl"],
    [{ baseUrl: "https://api.hubapi.com" }, "no accessToken with HubSpot's baseUrl"],
    [{ ...T, baseUrl: "http://example.com" }, "http on a public host"],
    [{ ...T, baseUrl: "http://10.0.0.1" }, "http on a private host"],
    [{ ...T, baseUrl: "http://127.0.0.1.evil.com" }, "loopback-looking host"],
    [{ ...T, baseUrl: "ftp://127.0.0.1" }, "ftp"],
    [{ ...T, baseUrl: "not a url" }, "not a URL"],
    [{ ...T, baseUrl: "https://user:pw@api.hubapi.com" }, "credentials in URL"],
    [{ ...T, baseUrl: 42 }, "baseUrl number"],
    [{ accessToken: "" }, "empty token"],
    [{ accessToken: 42 }, "token number"],
    [{ ...T, batchSize: 0 }, "batchSize 0"],
    [{ ...T, batchSize: 101 }, "batchSize 101"],
    [{ ...T, batchSize: 1.5 }, "batchSize 1.5"],
    [{ ...T, batchSize: "10" }, "batchSize string"],
    [{ ...T, concurrency: 0 }, "concurrency 0"],
    [{ ...T, maxRetries: -1 }, "maxRetries -1"],
    [{ ...T, timeoutMs: 0 }, "timeoutMs 0"],
    [{ ...T, timeoutMs: NaN }, "timeoutMs NaN"],
    [{ ...T, rateLimit: { requests: 0, intervalMs: 1000 } }, "rateLimit requests 0"],
    [{ ...T, rateLimit: {} }, "rateLimit {}"],
    [{ ...T, rateLimit: 5 }, "rateLimit number"],
    [{ ...T, fetch: "fetch" }, "fetch string"],
    [{ ...T, objectType: "../x" }, "objectType path traversal"],
    [{ ...T, objectType: "" }, "objectType empty"],
    [{ ...T, acessToken: "typo" }, "unknown option"],
  ];
  for (const [opts, what] of bad) {
    let err;
    try {
      new B(opts);
    } catch (e) {
      err = e;
    }
    assert.ok(err !== undefined, `${what}: expected a throw`);
    assertHubSpotError(pkg.HubSpotError, err, "INVALID_CONFIG", what);
  }
  for (const what of [undefined, null, "token", 42]) {
    let err;
    try {
      new B(what);
    } catch (e) {
      err = e;
    }
    assert.ok(err !== undefined, `new HubSpotBatch(${String(what)}) throws`);
    assertHubSpotError(pkg.HubSpotError, err, "INVALID_CONFIG", `new HubSpotBatch(${String(what)})`);
  }
});

test("new HubSpotBatch: accepted options", () => {
  const B = pkg.HubSpotBatch;
  const T = { accessToken: "emulator-token" };
  for (const opts of [
    T,
    { ...T, baseUrl: "http://127.0.0.1:1" },
    { ...T, baseUrl: "http://localhost:8080/" },
    { ...T, baseUrl: "http://127.5.6.7" },
    { ...T, baseUrl: "http://[::1]:3000" },
    { ...T, baseUrl: "https://example.com/hubspot-proxy" },
    { baseUrl: "https://proxy.example.com" }, // a proxy adds the token
    { baseUrl: "http://127.0.0.1:9" },
    { ...T, objectType: "contacts" },
    { ...T, objectType: "2-1234" },
    { ...T, batchSize: 1, concurrency: 1, maxRetries: 0, timeoutMs: 1 },
    { ...T, rateLimit: null },
    { ...T, rateLimit: { requests: 190, intervalMs: 10_000 } },
    { ...T, fetch: async () => new Response("{}") },
    { ...T, baseUrl: undefined, batchSize: undefined },
  ]) {
    assert.doesNotThrow(() => new B(opts), JSON.stringify(opts));
  }
});

test("secrets: a refused accessToken is never echoed", () => {
  for (const token of ["pat-na1-SECRET with space", "pat-na1-SECRET\nnewline", "pat-na1-SECRET\u00e9"]) {
    let err;
    try {
      new pkg.HubSpotBatch({ accessToken: token });
    } catch (e) {
      err = e;
    }
    assertHubSpotError(pkg.HubSpotError, err, "INVALID_CONFIG", JSON.stringify(token));
    assert.ok(!dump(err).includes("SECRET"), `token echoed: ${dump(err)}`);
  }
  // A valid token with a bad other option: the token is not echoed either.
  let err;
  try {
    new pkg.HubSpotBatch({ accessToken: "pat-na1-SECRET-42", baseUrl: "http://example.com" });
  } catch (e) {
    err = e;
  }
  assertHubSpotError(pkg.HubSpotError, err, "INVALID_CONFIG", "http baseUrl");
  assert.ok(!dump(err).includes("SECRET"));
  // Nor does it leak from buildBatchUpdateRequests' errors.
  err = undefined;
  try {
    pkg.buildBatchUpdateRequests([{ id: "1", properties: { a: NaN } }], { accessToken: "pat-na1-SECRET-42" });
  } catch (e) {
    err = e;
  }
  assertHubSpotError(pkg.HubSpotError, err, "INVALID_INPUT", "NaN");
  assert.ok(!dump(err).includes("SECRET"));
});
