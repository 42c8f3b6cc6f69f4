//! The response schemas of Asana's spec (the committed extract) as
//! validators: one per operation, and one per component for list items
//! fetched with a wide `opt_fields`.

use std::{collections::BTreeSet, sync::OnceLock};

use jsonschema::{Draft, Validator};
use serde_json::{Value, json};

/// The extract, built by `spec/extract_schemas.py` from `asana_oas.yaml`.
const BUNDLE: &str = include_str!("../../spec/asana_schemas.json");

fn bundle() -> &'static Value {
    static BUNDLE_VALUE: OnceLock<Value> = OnceLock::new();
    BUNDLE_VALUE.get_or_init(|| serde_json::from_str(BUNDLE).expect("the schema extract is JSON"))
}

fn build(mut schema: Value) -> Validator {
    schema["$defs"] = bundle()["$defs"].clone();
    jsonschema::options()
        .with_draft(Draft::Draft202012)
        .should_validate_formats(true)
        .build(&schema)
        .expect("the extracted schema compiles")
}

/// A field name, which of its values are tolerated, and why.
type SpecGap = (&'static str, fn(&Value) -> bool, &'static str);

/// Where Asana's real answers (and so the fake's) leave its spec: a field
/// with this name and a value this predicate accepts is not validated.
const KNOWN_SPEC_GAPS: &[SpecGap] = &[
    (
        "date_time",
        Value::is_null,
        "a date-only custom field value has `date_time: null` (notes §4.3); the spec says string",
    ),
    (
        "parent",
        Value::is_null,
        "events without a container have `parent: null` (EventResponse's own text); the schema is not nullable",
    ),
    (
        "external",
        Value::is_null,
        "a task without external data has `external: null`; the schema is not nullable",
    ),
    (
        "last_success_at",
        Value::is_null,
        "a webhook that never delivered has `last_success_at: null` (createWebhook's own example); the schema is not nullable",
    ),
    (
        "last_failure_at",
        Value::is_null,
        "a webhook that never failed has `last_failure_at: null` (createWebhook's example); the schema is not nullable",
    ),
    (
        "last_failure_content",
        Value::is_null,
        "likewise `last_failure_content: null` (createWebhook's example)",
    ),
    (
        "next_attempt_after",
        Value::is_null,
        "no retry pending: `next_attempt_after: null`; the schema is not nullable",
    ),
    (
        "failure_deletion_timestamp",
        Value::is_null,
        "not failing: `failure_deletion_timestamp: null`; the schema is not nullable",
    ),
    (
        "email_domains",
        Value::is_array,
        "the spec gives its items `format: uri` but they are bare domains (`asana.com`)",
    ),
];

/// The instance without the fields of [`KNOWN_SPEC_GAPS`].
fn without_known_gaps(value: &Value) -> Value {
    match value {
        Value::Array(items) => Value::Array(items.iter().map(without_known_gaps).collect()),
        Value::Object(object) => {
            let tolerated = |k: &str, v: &Value| {
                KNOWN_SPEC_GAPS
                    .iter()
                    .any(|(name, accepts, _)| *name == k && accepts(v))
            };
            let kept = object.iter().filter(|(k, v)| !tolerated(k, v));
            Value::Object(
                kept.map(|(k, v)| (k.clone(), without_known_gaps(v)))
                    .collect(),
            )
        }
        other => other.clone(),
    }
}

fn assert_valid(validator: &Validator, instance: &Value, what: &str) {
    let instance = &without_known_gaps(instance);
    let errors: Vec<String> = validator
        .iter_errors(instance)
        .map(|e| format!("{} at {}", e, e.instance_path()))
        .collect();
    assert!(
        errors.is_empty(),
        "{what} does not match the spec:\n{}\nbody: {instance}",
        errors.join("\n")
    );
}

/// Validates a whole response body against operation `operation_id`'s
/// 2xx schema (or `error`, `getEvents412`).
pub fn check(operation_id: &str, body: &Value) {
    let schema = bundle()["operations"]
        .get(operation_id)
        .unwrap_or_else(|| panic!("no schema for {operation_id}"));
    assert_valid(&build(schema.clone()), body, operation_id);
}

/// Validates each item against component `name`, refusing properties the
/// component does not define (at the item's top level).
pub fn check_items(name: &str, items: &[Value]) {
    let validator =
        build(json!({ "$ref": format!("#/$defs/{name}"), "unevaluatedProperties": false }));
    for item in items {
        assert_valid(&validator, item, name);
    }
}

/// Validates the error envelope.
pub fn check_error(body: &Value) {
    check("error", body);
    assert!(
        body["errors"].as_array().is_some_and(|e| !e.is_empty()),
        "errors must hold one or more: {body}"
    );
}

/// Every property name of a component, and those Asana marks `[Opt In]`.
pub fn fields(name: &str) -> (BTreeSet<String>, BTreeSet<String>) {
    let entry = &bundle()["fields"][name];
    let names = |key: &str| -> BTreeSet<String> {
        entry[key]
            .as_array()
            .expect("a field list")
            .iter()
            .filter_map(|v| v.as_str().map(str::to_owned))
            .collect()
    };
    (names("all"), names("opt_in"))
}

/// The default fields of a component: all but the opt-in ones.
pub fn default_fields(name: &str) -> BTreeSet<String> {
    let (all, opt_in) = fields(name);
    all.difference(&opt_in).cloned().collect()
}

/// An `opt_fields` value asking for every field of a component, plus the
/// nested leaves a sync asks for.
pub fn wide_opt_fields(name: &str, nested: &[&str]) -> String {
    let (all, _) = fields(name);
    let mut fields: Vec<String> = all.into_iter().collect();
    fields.extend(nested.iter().map(|s| (*s).to_owned()));
    fields.join(",")
}

#[test]
fn the_extract_rejects_what_the_spec_forbids() {
    // Guards the extraction: nullable translated, types enforced, refs resolved.
    let ok = json!({"data": {"gid": "1", "assignee": null, "completed": true, "due_on": null}});
    check("getTask", &ok);
    let validator = build(bundle()["operations"]["getTask"].clone());
    assert!(!validator.is_valid(&json!({"data": {"completed": "yes"}})));
    assert!(!validator.is_valid(&json!({"data": {"assignee": {"gid": 5}}})));
    assert!(!validator.is_valid(&json!({"data": {"resource_subtype": "section"}})));
    assert!(!validator.is_valid(&json!({"data": {"created_at": "yesterday"}})));
    let strict = build(json!({ "$ref": "#/$defs/TaskCompact", "unevaluatedProperties": false }));
    assert!(strict.is_valid(&json!({"gid": "1", "name": "x"})));
    assert!(!strict.is_valid(&json!({"gid": "1", "bogus": 1})));
}
