//! The schema validator against the fixture schemas (tests/fixtures/schema/*.json, in the
//! shape of HubSpot's `GET /crm/v3/properties/{objectType}` and
//! `GET /crm/v3/pipelines/{objectType}` answers; `deals.json` and `contacts.json` mirror the
//! emulator's schemas in tests/emulator/emulator.mjs).
//!
//! The promise under test: **false rejections = 0**. Every valid value of a corpus that
//! covers every property type and field type of the fixtures is accepted; every value the
//! emulator accepts is accepted (its rules are encoded again here, independently of
//! src/schema.rs); random strings always pass string properties. The invalid corpus pins the
//! codes.

use std::collections::BTreeSet;

use hubspot_batch::schema::{
    CollectionResponsePipelineNoPaging, CollectionResponsePropertyNoPaging, Property, Schema,
    SchemaData,
};
use proptest::prelude::*;
use serde::Deserialize;

/// One fixture file: the two answers, each exactly as HubSpot's route returns it.
#[derive(Deserialize)]
struct Fixture {
    properties: CollectionResponsePropertyNoPaging,
    pipelines: CollectionResponsePipelineNoPaging,
}

fn fixture(text: &str) -> (Vec<Property>, Schema) {
    let f: Fixture = serde_json::from_str(text).expect("fixture parses as HubSpot's answers");
    let props = f.properties.results.clone();
    (
        props,
        Schema::new(SchemaData::from_collections(
            f.properties,
            Some(f.pipelines),
        )),
    )
}

const DEALS: &str = include_str!("fixtures/schema/deals.json");
const CONTACTS: &str = include_str!("fixtures/schema/contacts.json");
const ALL_TYPES: &str = include_str!("fixtures/schema/all-types.json");

fn deals() -> (Vec<Property>, Schema) {
    fixture(DEALS)
}

fn read_only(p: &Property) -> bool {
    p.modification_metadata
        .as_ref()
        .map_or(p.calculated == Some(true), |m| m.read_only_value)
}

// ---------------------------------------------------------------------------------------
// The emulator's rules (tests/emulator/emulator.mjs, `checkValue`), encoded again
// ---------------------------------------------------------------------------------------

const DEAL_STAGES: [&str; 7] = [
    "appointmentscheduled",
    "qualifiedtobuy",
    "presentationscheduled",
    "decisionmakerboughtin",
    "contractsent",
    "closedwon",
    "closedlost",
];
const TAGS: [&str; 6] = ["hot", "cold", "renewal", "upsell", "enterprise", "smb"];
const DEAL_READ_ONLY: [&str; 4] = [
    "hs_object_id",
    "hs_lastmodifieddate",
    "createdate",
    "hs_closed_amount",
];

/// The emulator's deal schema: name -> kind.
fn emulator_kind(name: &str) -> Option<&'static str> {
    Some(match name {
        "dealname" | "hubspot_owner_id" | "description" | "deal_external_id" => "string",
        "amount" => "number",
        "dealstage" => "dealstage",
        "pipeline" => "pipeline",
        "closedate" => "datetime",
        "tags" => "tags",
        n if DEAL_READ_ONLY.contains(&n) => "read-only",
        _ => return None,
    })
}

fn all_digits(s: &str) -> bool {
    !s.is_empty() && s.bytes().all(|b| b.is_ascii_digit())
}

/// `/^[+-]?(\d+\.?\d*|\.\d+)$/`
fn emulator_number(v: &str) -> bool {
    let v = v.strip_prefix(['+', '-']).unwrap_or(v);
    match v.split_once('.') {
        None => all_digits(v),
        Some((int, frac)) => {
            (all_digits(int) && (frac.is_empty() || all_digits(frac)))
                || (int.is_empty() && all_digits(frac))
        }
    }
}

/// `/^-?\d{1,15}$/`
fn emulator_epoch(v: &str) -> bool {
    let d = v.strip_prefix('-').unwrap_or(v);
    all_digits(d) && d.len() <= 15
}

fn num(s: &str) -> u32 {
    s.parse().unwrap()
}

/// `ISO_RE` and `!isNaN(Date.parse(v))` as V8 reads that form: month 1-12, day 1-31 (not
/// checked against the month), hour 0-23 or 24:00:00(.000), minute and second 0-59, zone
/// hour 0-23 and minute 0-59.
fn emulator_iso(v: &str) -> bool {
    let b = v.as_bytes();
    let digits_at = |range: std::ops::Range<usize>| v.get(range).is_some_and(all_digits);
    if b.len() < 10 || !digits_at(0..4) || b[4] != b'-' || !digits_at(5..7) || b[7] != b'-' {
        return false;
    }
    if !digits_at(8..10)
        || !(1..=12).contains(&num(&v[5..7]))
        || !(1..=31).contains(&num(&v[8..10]))
    {
        return false;
    }
    let rest = &v[10..];
    if rest.is_empty() {
        return true;
    }
    let Some(rest) = rest.strip_prefix('T') else {
        return false;
    };
    // hh:mm
    if rest.len() < 5 || !digits_at(11..13) || b[13] != b':' || !digits_at(14..16) {
        return false;
    }
    let (hour, minute) = (num(&v[11..13]), num(&v[14..16]));
    let mut rest = &v[16..];
    let mut second = 0;
    let mut frac_zero = true;
    if let Some(r) = rest.strip_prefix(':') {
        if r.len() < 2 || !all_digits(&r[..2]) {
            return false;
        }
        second = num(&r[..2]);
        rest = &r[2..];
        if let Some(r) = rest.strip_prefix('.') {
            let n = r.bytes().take_while(u8::is_ascii_digit).count();
            if !(1..=9).contains(&n) {
                return false;
            }
            frac_zero = r[..n].bytes().all(|d| d == b'0');
            rest = &r[n..];
        }
    }
    let time_ok = minute <= 59
        && second <= 59
        && (hour <= 23 || (hour == 24 && minute == 0 && second == 0 && frac_zero));
    if !time_ok {
        return false;
    }
    if rest.is_empty() || rest == "Z" {
        return true;
    }
    let Some(zone) = rest.strip_prefix(['+', '-']) else {
        return false;
    };
    let (hh, mm) = match zone.len() {
        4 => (&zone[..2], &zone[2..]),
        5 if zone.as_bytes()[2] == b':' => (&zone[..2], &zone[3..]),
        _ => return false,
    };
    all_digits(hh) && all_digits(mm) && num(hh) <= 23 && num(mm) <= 59
}

/// Whether the emulator accepts `value` for the deal property `name`.
fn emulator_accepts(name: &str, value: &str) -> bool {
    match emulator_kind(name) {
        None | Some("read-only") => false,
        Some(_) if value.is_empty() => true,
        Some("string") => true,
        Some("number") => emulator_number(value),
        Some("datetime") => emulator_epoch(value) || emulator_iso(value),
        Some("dealstage") => DEAL_STAGES.contains(&value),
        Some("pipeline") => value == "default",
        Some("tags") => value
            .split(';')
            .filter(|p| !p.is_empty())
            .all(|p| TAGS.contains(&p)),
        Some(other) => unreachable!("{other}"),
    }
}

// ---------------------------------------------------------------------------------------
// The fixture mirrors the emulator
// ---------------------------------------------------------------------------------------

#[test]
fn deals_fixture_mirrors_the_emulator_schema() {
    let (props, schema) = deals();
    let names: BTreeSet<&str> = props.iter().map(|p| p.name.as_str()).collect();
    let expected: BTreeSet<&str> = [
        "dealname",
        "amount",
        "dealstage",
        "pipeline",
        "closedate",
        "hubspot_owner_id",
        "description",
        "deal_external_id",
        "tags",
    ]
    .into_iter()
    .chain(DEAL_READ_ONLY)
    .collect();
    assert_eq!(names, expected);
    for p in &props {
        assert_eq!(
            read_only(p),
            DEAL_READ_ONLY.contains(&p.name.as_str()),
            "{}",
            p.name
        );
        let kind = emulator_kind(&p.name).unwrap();
        let want = match kind {
            "number" => "number",
            "datetime" => "datetime",
            "dealstage" | "pipeline" | "tags" => "enumeration",
            "read-only" => continue,
            // hubspot_owner_id is an enumeration with external options in HubSpot; the
            // emulator treats it as a string, and so does the validator (let through).
            _ if p.name == "hubspot_owner_id" => "enumeration",
            _ => "string",
        };
        assert_eq!(p.type_, want, "{}", p.name);
    }
    let options = |name: &str| -> Vec<String> {
        schema
            .property(name)
            .unwrap()
            .options
            .iter()
            .map(|o| o.value.clone())
            .collect()
    };
    assert_eq!(options("dealstage"), DEAL_STAGES);
    assert_eq!(options("tags"), TAGS);
    assert_eq!(options("pipeline"), ["default"]);
    assert_eq!(schema.property("tags").unwrap().field_type, "checkbox");
    assert_eq!(
        schema
            .property("deal_external_id")
            .unwrap()
            .has_unique_value,
        Some(true)
    );
}

#[test]
fn contacts_fixture_mirrors_the_emulator_schema() {
    let (props, schema) = fixture(CONTACTS);
    let names: BTreeSet<&str> = props.iter().map(|p| p.name.as_str()).collect();
    let expected: BTreeSet<&str> = [
        "email",
        "firstname",
        "lastname",
        "phone",
        "lifecyclestage",
        "hs_object_id",
        "hs_lastmodifieddate",
        "createdate",
        "hs_email_domain",
    ]
    .into_iter()
    .collect();
    assert_eq!(names, expected);
    let life: Vec<&str> = schema
        .property("lifecyclestage")
        .unwrap()
        .options
        .iter()
        .map(|o| o.value.as_str())
        .collect();
    assert_eq!(
        life,
        [
            "subscriber",
            "lead",
            "marketingqualifiedlead",
            "salesqualifiedlead",
            "opportunity",
            "customer",
            "evangelist",
            "other"
        ]
    );
    for p in &props {
        let ro = [
            "hs_object_id",
            "hs_lastmodifieddate",
            "createdate",
            "hs_email_domain",
        ];
        assert_eq!(read_only(p), ro.contains(&p.name.as_str()), "{}", p.name);
    }
    // The emulator checks emails; the validator lets strings through (HubSpot's rules for
    // addresses are not known well enough to refuse one).
    assert!(schema.check("email", "not an address").is_ok());
    assert_eq!(
        schema
            .check("lifecyclestage", "prospect")
            .unwrap_err()
            .code
            .as_str(),
        "INVALID_OPTION"
    );
}

// ---------------------------------------------------------------------------------------
// The valid corpus: false rejections = 0
// ---------------------------------------------------------------------------------------

const STRINGS: &[&str] = &[
    "",
    "x",
    "Deal 512",
    "  padded  ",
    "\t\n",
    "héllo wörld",
    "日本語のテキスト",
    "emoji 🚀🔥",
    "RTL עברית",
    "zero\u{200b}width",
    "a;b;c",
    "null",
    "undefined",
    "true",
    "1e3",
    "<script>alert(1)</script>",
    "quote \" and backslash \\",
    "line\r\nbreak",
    "\u{0}",
];

const NUMBERS: &[&str] = &[
    "0",
    "1",
    "-1",
    "+1",
    "12",
    "1500",
    "1500.25",
    "-1.5",
    ".5",
    "-.5",
    "5.",
    "0.0",
    "-0",
    "00012",
    "3.14159265358979",
    "9007199254740993",
    "123456789012345678901234567890.123",
    "0.000001",
    "1e3",
    "1E3",
    "1e+21",
    "1.5e-7",
    "-2.5E+10",
];

const EPOCHS: &[&str] = &[
    "0",
    "1704103200123",
    "1427997766000",
    "-1",
    "-86400001",
    "253402300799999",
    "999999999999999",
    "+1704103200000",
    "12345678901234567890",
];

const MIDNIGHT_EPOCHS: &[&str] = &[
    "0",
    "1430438400000",
    "1652659200000",
    "-86400000",
    "253402214400000",
    "86400000000000000000000",
];

const ISO: &[&str] = &[
    "2024-01-01",
    "2020-02-29",
    "1970-01-01",
    "0001-01-01",
    "9999-12-31",
    "2024-02-30",
    "+002024-01-01",
    "-000001-01-01",
    "2024-01-01T10:00",
    "2024-01-01T10:00Z",
    "2024-01-01T10:00:00",
    "2024-01-01T10:00:00Z",
    "2024-01-01T10:00:00.1Z",
    "2024-01-01T10:00:00.12Z",
    "2024-01-01T10:00:00.123Z",
    "2024-01-01T10:00:00.123456Z",
    "2024-01-01T10:00:00.123456789Z",
    "2024-01-01T10:00:00.1234567891234Z",
    "2024-01-01T10:00:00,5Z",
    "2024-01-01T10:00:00+01:00",
    "2024-01-01T10:00:00-05:30",
    "2024-01-01T10:00:00+0100",
    "2024-01-01T10:00:00+01",
    "2024-01-01T10:00+23:59",
    "2024-01-01T23:59:59.999Z",
    "2024-01-01T24:00:00Z",
    "2016-12-31T23:59:60Z",
    "2024-01-01t10:00:00z",
    "2024-01-01 10:00:00",
    "2020-02-29T03:30:17.000Z",
    "1997-07-16T19:20:30.45+01:00",
];

/// Valid values for `p`, by type and field type; `None` for a read-only property.
fn valid_values(
    p: &Property,
    pipelines: &CollectionResponsePipelineNoPaging,
) -> Option<Vec<String>> {
    if read_only(p) {
        return None;
    }
    let own = |xs: &[&str]| xs.iter().map(|s| s.to_string()).collect::<Vec<_>>();
    let mut out = vec![String::new()];
    match p.type_.as_str() {
        "number" => out.extend(own(NUMBERS)),
        "datetime" => {
            out.extend(own(EPOCHS));
            out.extend(own(ISO));
        }
        "date" => {
            out.extend(own(MIDNIGHT_EPOCHS));
            out.extend(own(ISO));
        }
        "enumeration" | "bool" => {
            let stage = ["dealstage", "hs_pipeline_stage"].contains(&p.name.as_str());
            let pipeline = ["pipeline", "hs_pipeline"].contains(&p.name.as_str());
            let mut choices: Vec<String> = p
                .options
                .iter()
                .flat_map(|o| [o.value.clone(), o.label.clone()])
                .collect();
            for pl in &pipelines.results {
                if pipeline {
                    choices.push(pl.id.clone());
                    choices.push(pl.label.clone());
                }
                if stage {
                    for s in &pl.stages {
                        choices.push(s.id.clone());
                        choices.push(s.label.clone());
                    }
                }
            }
            if p.type_ == "bool" {
                choices.extend(["true".into(), "false".into()]);
            }
            let unjudged =
                p.external_options == Some(true) && !stage && !pipeline || (choices.is_empty());
            if unjudged {
                out.extend(own(STRINGS));
                out.extend(own(NUMBERS));
            }
            let values: Vec<String> = p.options.iter().map(|o| o.value.clone()).collect();
            if p.field_type == "checkbox" {
                out.push(values.join(";"));
                out.push(format!(";{}", values.first().unwrap()));
                out.push(format!("{};", values.last().unwrap()));
                out.extend(values.windows(2).map(|w| w.join(";")));
                out.push(values.iter().rev().cloned().collect::<Vec<_>>().join(";"));
            }
            out.extend(choices);
        }
        // string, phone_number, json and types unknown to the validator: anything.
        _ => {
            out.extend(own(STRINGS));
            out.extend(own(NUMBERS));
            out.extend(own(ISO));
        }
    }
    Some(out)
}

fn assert_no_false_rejection(text: &str) -> (usize, BTreeSet<(String, String)>) {
    let f: Fixture = serde_json::from_str(text).unwrap();
    let (props, schema) = fixture(text);
    let mut checked = 0;
    let mut kinds = BTreeSet::new();
    let mut rejected = Vec::new();
    for p in &props {
        let Some(values) = valid_values(p, &f.pipelines) else {
            continue;
        };
        kinds.insert((p.type_.clone(), p.field_type.clone()));
        for v in values {
            checked += 1;
            if let Err(e) = schema.check(&p.name, &v) {
                rejected.push(format!("{} = {v:?}: {} {}", p.name, e.code, e.message));
            }
        }
    }
    assert!(
        rejected.is_empty(),
        "false rejections:\n{}",
        rejected.join("\n")
    );
    (checked, kinds)
}

#[test]
fn valid_corpus_has_no_false_rejection() {
    let mut total = 0;
    let mut kinds = BTreeSet::new();
    for text in [DEALS, CONTACTS, ALL_TYPES] {
        let (n, k) = assert_no_false_rejection(text);
        total += n;
        kinds.extend(k);
    }
    // Every writable (type, fieldType) pair of the fixtures was exercised.
    let mut in_fixtures = BTreeSet::new();
    for text in [DEALS, CONTACTS, ALL_TYPES] {
        let (props, _) = fixture(text);
        in_fixtures.extend(
            props
                .iter()
                .filter(|p| !read_only(p))
                .map(|p| (p.type_.clone(), p.field_type.clone())),
        );
    }
    assert_eq!(kinds, in_fixtures);
    for t in [
        "string",
        "number",
        "date",
        "datetime",
        "enumeration",
        "bool",
        "phone_number",
    ] {
        assert!(kinds.iter().any(|(ty, _)| ty == t), "type {t} not covered");
    }
    for ft in [
        "text",
        "textarea",
        "number",
        "date",
        "select",
        "radio",
        "checkbox",
        "booleancheckbox",
        "phonenumber",
        "file",
        "html",
    ] {
        assert!(
            kinds.iter().any(|(_, f)| f == ft),
            "fieldType {ft} not covered"
        );
    }
    assert!(total > 600, "{total} values checked");
}

/// The part of the deals corpus the emulator accepts too: checks the corpus and the
/// encoded emulator rules against each other, and lists the documented let-throughs.
#[test]
fn deals_corpus_versus_the_emulator() {
    let f: Fixture = serde_json::from_str(DEALS).unwrap();
    let (props, schema) = deals();
    let mut let_through = BTreeSet::new();
    for p in &props {
        for v in valid_values(p, &f.pipelines).unwrap_or_default() {
            assert!(schema.check(&p.name, &v).is_ok());
            if !emulator_accepts(&p.name, &v) {
                let_through.insert(format!("{}={v}", p.name));
            }
        }
    }
    // Only the documented let-throughs: option labels, exponents, lenient ISO forms, long
    // epochs. Nothing else the emulator refuses is in the valid corpus.
    for item in &let_through {
        let (name, v) = item.split_once('=').unwrap();
        let documented = match name {
            "amount" => v.contains(['e', 'E']),
            "closedate" => {
                v.starts_with('+')
                    || v.len() > 15 && !v.contains('-')
                    || v.contains([' ', 't', 'z', ','])
                    || v.ends_with("+01")
                    || v.contains(":60")
                    || v.contains(".1234567891234")
                    || v.starts_with("-0000")
            }
            "dealstage" | "tags" | "pipeline" => {
                // A label (capitalised) of an option or pipeline.
                v.chars().next().is_some_and(char::is_uppercase)
            }
            _ => false,
        };
        assert!(documented, "undocumented let-through: {item}");
    }
}

// ---------------------------------------------------------------------------------------
// The invalid corpus: exact codes
// ---------------------------------------------------------------------------------------

#[test]
fn invalid_corpus_has_the_expected_codes() {
    let cases: &[(&str, &str, &str, &str)] = &[
        // (fixture, property, value, code)
        ("deals", "foo", "x", "PROPERTY_DOESNT_EXIST"),
        ("deals", "dealname2", "", "PROPERTY_DOESNT_EXIST"),
        ("deals", "hs_object_id", "12", "READ_ONLY_VALUE"),
        ("deals", "hs_object_id", "", "READ_ONLY_VALUE"),
        (
            "deals",
            "hs_lastmodifieddate",
            "2024-01-01",
            "READ_ONLY_VALUE",
        ),
        ("deals", "createdate", "0", "READ_ONLY_VALUE"),
        ("deals", "hs_closed_amount", "5", "READ_ONLY_VALUE"),
        ("deals", "dealstage", "bogus", "INVALID_OPTION"),
        ("deals", "dealstage", "closedwon2", "INVALID_OPTION"),
        ("deals", "dealstage", "ClosedWon", "INVALID_OPTION"),
        ("deals", "dealstage", "closedwon;bogus", "INVALID_OPTION"),
        (
            "deals",
            "dealstage",
            " closedwon",
            "LEADING_TRAILING_WHITESPACE",
        ),
        ("deals", "pipeline", "other", "INVALID_OPTION"),
        ("deals", "tags", "hot;lukewarm", "INVALID_OPTION"),
        ("deals", "tags", "HOT", "INVALID_OPTION"),
        ("deals", "tags", "hot; cold", "LEADING_TRAILING_WHITESPACE"),
        ("deals", "amount", "abc", "INVALID_DECIMAL"),
        ("deals", "amount", "1,500", "INVALID_DECIMAL"),
        ("deals", "amount", "$1500", "INVALID_DECIMAL"),
        ("deals", "amount", "12%", "INVALID_DECIMAL"),
        ("deals", "amount", "NaN", "INVALID_DECIMAL"),
        ("deals", "amount", "Infinity", "INVALID_DECIMAL"),
        ("deals", "amount", "1 500", "INVALID_DECIMAL"),
        ("deals", "amount", "N/A", "INVALID_DECIMAL"),
        ("deals", "amount", "1500 ", "LEADING_TRAILING_WHITESPACE"),
        ("deals", "closedate", "tomorrow", "INVALID_DATE"),
        ("deals", "closedate", "2024-13-01", "INVALID_DATE"),
        ("deals", "closedate", "01/02/2024", "INVALID_DATE"),
        ("deals", "closedate", "2024-01-01T25:00:00Z", "INVALID_DATE"),
        ("deals", "closedate", "1704103200000.5", "INVALID_DATE"),
        (
            "deals",
            "closedate",
            "\u{feff}2024-01-01",
            "LEADING_TRAILING_WHITESPACE",
        ),
        ("contacts", "lifecyclestage", "prospect", "INVALID_OPTION"),
        ("contacts", "hs_email_domain", "x.com", "READ_ONLY_VALUE"),
        ("all-types", "score", "ten", "INVALID_DECIMAL"),
        ("all-types", "due_date", "1430438400001", "INVALID_DATE"),
        ("all-types", "due_date", "May 1", "INVALID_DATE"),
        ("all-types", "is_vip", "True", "INVALID_OPTION"),
        ("all-types", "is_vip", "1", "INVALID_OPTION"),
        ("all-types", "is_vip", "yes", "INVALID_OPTION"),
        (
            "all-types",
            "hs_ticket_priority",
            "CRITICAL",
            "INVALID_OPTION",
        ),
        (
            "all-types",
            "hs_ticket_category",
            "reports",
            "INVALID_OPTION",
        ),
        ("all-types", "channels", "email;fax", "INVALID_OPTION"),
        ("all-types", "hs_pipeline", "999", "INVALID_OPTION"),
        ("all-types", "hs_pipeline_stage", "999", "INVALID_OPTION"),
        ("all-types", "hs_object_id", "1", "READ_ONLY_VALUE"),
        ("all-types", "hs_ticket_id", "1", "READ_ONLY_VALUE"),
        ("all-types", "time_to_close", "1", "READ_ONLY_VALUE"),
        ("all-types", "legacy_calc", "1", "READ_ONLY_VALUE"),
        ("all-types", "nope", "1", "PROPERTY_DOESNT_EXIST"),
    ];
    let schemas = [
        ("deals", deals().1),
        ("contacts", fixture(CONTACTS).1),
        ("all-types", fixture(ALL_TYPES).1),
    ];
    for (which, name, value, code) in cases {
        let schema = &schemas.iter().find(|(w, _)| w == which).unwrap().1;
        let got = schema.check(name, value);
        let v = got.unwrap_err();
        assert_eq!(
            v.code.as_str(),
            *code,
            "{which}.{name} = {value:?}: {}",
            v.message
        );
        assert_eq!(v.property, *name);
    }
    // Exact messages where the emulator has them.
    let (_, d) = deals();
    assert_eq!(
        d.check("dealstage", "bogus").unwrap_err().message,
        "bogus was not one of the allowed options: [appointmentscheduled, qualifiedtobuy, \
         presentationscheduled, decisionmakerboughtin, contractsent, closedwon, closedlost]"
    );
    assert_eq!(
        d.check("tags", "hot;lukewarm").unwrap_err().message,
        "lukewarm was not one of the allowed options: [hot, cold, renewal, upsell, enterprise, smb]"
    );
    assert_eq!(
        d.check("amount", "abc").unwrap_err().message,
        "abc was not a valid number."
    );
    assert_eq!(
        d.check("closedate", "tomorrow").unwrap_err().message,
        "tomorrow was not a valid datetime: use epoch milliseconds or an ISO 8601 date."
    );
    assert_eq!(
        d.check("foo", "x").unwrap_err().message,
        "Property \"foo\" does not exist"
    );
    assert_eq!(
        d.check("hs_object_id", "1").unwrap_err().message,
        "\"hs_object_id\" is a read only property; its value cannot be set."
    );
    // A whole input: every violation, in order.
    let v = d.check_properties([
        ("dealname", "ok"),
        ("amount", "abc"),
        ("dealstage", "bogus"),
        ("foo", "1"),
        ("closedate", "2024-01-01"),
    ]);
    let codes: Vec<_> = v
        .iter()
        .map(|v| (v.property.as_str(), v.code.as_str()))
        .collect();
    assert_eq!(
        codes,
        [
            ("amount", "INVALID_DECIMAL"),
            ("dealstage", "INVALID_OPTION"),
            ("foo", "PROPERTY_DOESNT_EXIST")
        ]
    );
}

// ---------------------------------------------------------------------------------------
// Properties
// ---------------------------------------------------------------------------------------

/// Values shaped like what the emulator accepts, and noise around them.
fn deal_value() -> impl Strategy<Value = String> {
    prop_oneof![
        any::<String>(),
        "[+-]?([0-9]{1,12}\\.?[0-9]{0,6}|\\.[0-9]{1,6})",
        "-?[0-9]{1,15}",
        "[0-9]{4}-[0-9]{2}-[0-9]{2}(T[0-9]{2}:[0-9]{2}(:[0-9]{2}(\\.[0-9]{1,9})?)?(Z|[+-][0-9]{2}:?[0-9]{2})?)?",
        "(19|20)[0-9]{2}-(0[1-9]|1[0-2])-(0[1-9]|[12][0-9]|3[01])(T([01][0-9]|2[0-4]):[0-5][0-9](:[0-5][0-9](\\.[0-9]{1,9})?)?(Z|[+-]([01][0-9]|2[0-3]):?[0-5][0-9])?)?",
        proptest::sample::select(DEAL_STAGES.to_vec()).prop_map(String::from),
        proptest::collection::vec(
            prop_oneof![proptest::sample::select(TAGS.to_vec()).prop_map(String::from), Just(String::new())],
            0..5
        )
        .prop_map(|parts| parts.join(";")),
        Just("default".to_string()),
        Just(String::new()),
    ]
}

fn deal_property_name() -> impl Strategy<Value = String> {
    prop_oneof![
        proptest::sample::select(vec![
            "dealname",
            "amount",
            "dealstage",
            "pipeline",
            "closedate",
            "hubspot_owner_id",
            "description",
            "deal_external_id",
            "tags",
            "hs_object_id",
            "createdate",
        ])
        .prop_map(String::from),
        "[a-z_]{1,12}",
    ]
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(2000))]

    /// Whatever the emulator accepts, the validator accepts.
    #[test]
    fn emulator_accepted_implies_validator_accepted(name in deal_property_name(), value in deal_value()) {
        let (_, schema) = deals();
        if emulator_accepts(&name, &value) {
            let got = schema.check(&name, &value);
            prop_assert!(got.is_ok(), "{name} = {value:?}: {got:?}");
        }
    }

    /// Strings pass string properties, whatever they hold.
    #[test]
    fn any_string_passes_string_properties(value in any::<String>(), which in 0usize..7) {
        let (_, deals) = deals();
        let (_, all) = fixture(ALL_TYPES);
        let (schema, name) = [
            (&deals, "dealname"), (&deals, "description"), (&deals, "deal_external_id"),
            (&deals, "hubspot_owner_id"), (&all, "contact_phone"), (&all, "attachment_url"),
            (&all, "hs_future_type"),
        ][which];
        prop_assert!(schema.check(name, &value).is_ok());
    }

    /// Every finite double written as a plain decimal (as the package formats numbers;
    /// Rust's `Display` never uses an exponent) passes.
    #[test]
    fn plain_decimal_numbers_pass(n in any::<f64>().prop_filter("finite", |x| x.is_finite())) {
        let (_, schema) = deals();
        let text = n.to_string();
        prop_assert!(schema.check("amount", &text).is_ok(), "{text}");
        prop_assert!(emulator_number(&text), "{text}");
    }

    /// Every Date the package can format (integral epoch ms) passes a datetime, and a date
    /// when it is a midnight.
    #[test]
    fn formatted_dates_pass(ms in -8_640_000_000_000_000i64..8_640_000_000_000_000i64) {
        let (_, deals) = deals();
        let (_, all) = fixture(ALL_TYPES);
        let text = ms.to_string();
        prop_assert!(deals.check("closedate", &text).is_ok(), "{text}");
        let midnight = (ms - ms.rem_euclid(86_400_000)).to_string();
        prop_assert!(all.check("due_date", &midnight).is_ok(), "{midnight}");
    }
}
