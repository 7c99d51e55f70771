use serde_json::{Value, json};

use super::*;
use crate::resources::builtin_descriptors;

fn widget_desc(schema: Value) -> ResourceDescriptor {
    let mut d = builtin_descriptors().remove(0);
    d.group = "example.com".into();
    d.kind = "Widget".into();
    d.plural = "widgets".into();
    d.schema = Some(std::sync::Arc::new(StructuralSchema::new(schema)));
    d
}

fn schema() -> Value {
    json!({"type": "object", "properties": {
        "spec": {"type": "object", "required": ["size"], "properties": {
            "size": {"type": "integer", "minimum": 1},
            "mode": {"type": "string", "enum": ["fast", "slow"], "default": "fast"},
            "zone": {"type": "string", "nullable": true},
            "port": {"x-kubernetes-int-or-string": true},
            "extra": {"type": "object", "x-kubernetes-preserve-unknown-fields": true},
            "source": {"type": "object", "properties": {
                "a": {"type": "string"}, "b": {"type": "string"}},
                "x-kubernetes-validations": [
                    {"rule": "has(self.a) != has(self.b)", "message": "exactly one of a or b"}]}
        },
        "x-kubernetes-validations": [{"rule": "!has(oldSelf.size) || self.size >= oldSelf.size",
                                      "message": "size cannot shrink"}]}
    }})
}

fn obj(spec: Value) -> Value {
    let metadata = json!({"name": "w", "x": 1});
    json!({"apiVersion": "example.com/v1", "kind": "Widget", "metadata": metadata, "spec": spec})
}

#[test]
fn valid_objects_are_defaulted_and_pruned() {
    let d = widget_desc(schema());
    let mut o = obj(
        json!({"size": 2, "zone": null, "port": "http", "bogus": 1, "extra": {"any": {"x": 1}},
        "source": {"a": "x"}}),
    );
    admit(&d, &mut o, FieldValidation::Warn, None).unwrap();
    assert_eq!(o["spec"]["mode"], "fast");
    assert!(o["spec"].get("bogus").is_none());
    assert_eq!(o["spec"]["extra"]["any"]["x"], 1);
    assert_eq!(
        o["metadata"]["x"], 1,
        "metadata is not pruned by the schema"
    );
}

#[test]
fn strict_field_validation_rejects_unknown_fields() {
    let d = widget_desc(schema());
    let mut o = obj(json!({"size": 2, "bogus": 1}));
    let err = admit(&d, &mut o, FieldValidation::Strict, None).unwrap_err();
    assert_eq!(err.code_and_reason().0, 400);
    assert!(
        err.to_string().contains("unknown field \"spec.bogus\""),
        "{err}"
    );
}

#[test]
fn schema_violations_name_each_field() {
    let d = widget_desc(schema());
    let mut o = obj(json!({"size": 0, "mode": "medium", "port": 1.5}));
    let err = admit(&d, &mut o, FieldValidation::Warn, None).unwrap_err();
    let status = err.to_status();
    assert_eq!(status["code"], 422);
    let fields: Vec<&str> = status["details"]["causes"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| c["field"].as_str().unwrap())
        .collect();
    assert!(fields.contains(&"spec.size"), "{fields:?}");
    assert!(fields.contains(&"spec.mode"), "{fields:?}");
    assert!(fields.contains(&"spec.port"), "{fields:?}");

    let mut missing = obj(json!({}));
    let err = admit(&d, &mut missing, FieldValidation::Warn, None).unwrap_err();
    assert_eq!(
        err.to_status()["details"]["causes"][0]["field"],
        "spec.size"
    );
}

#[test]
fn cel_rules_and_transition_rules_are_enforced() {
    let d = widget_desc(schema());
    let mut both = obj(json!({"size": 1, "source": {"a": "x", "b": "y"}}));
    let err = admit(&d, &mut both, FieldValidation::Warn, None).unwrap_err();
    let cause = &err.to_status()["details"]["causes"][0];
    assert_eq!(cause["field"], "spec.source");
    assert!(
        cause["message"]
            .as_str()
            .unwrap()
            .contains("exactly one of a or b")
    );

    let old = obj(json!({"size": 5}));
    let mut shrink = obj(json!({"size": 3}));
    let err = admit(&d, &mut shrink, FieldValidation::Warn, Some(&old)).unwrap_err();
    assert!(err.to_string().contains("size cannot shrink"), "{err}");
    let mut grow = obj(json!({"size": 6}));
    admit(&d, &mut grow, FieldValidation::Warn, Some(&old)).unwrap();
}

#[test]
fn pointers_become_kubernetes_field_paths() {
    assert_eq!(field_path("/spec/items/0/name"), "spec.items[0].name");
    assert_eq!(field_path(""), "");
}

#[test]
fn message_expressions_explain_failures_and_blank_ones_fall_back() {
    let d = widget_desc(json!({"type": "object", "properties": {"spec": {
        "type": "object", "properties": {"size": {"type": "integer"}},
        "x-kubernetes-validations": [
            {"rule": "self.size < 10", "message": "too big",
             "messageExpression": "'size ' + string(self.size) + ' is too big'"},
            {"rule": "self.size != 7", "message": "seven is reserved",
             "messageExpression": "'line one\\nline two'"},
            {"rule": "self.size != 8", "messageExpression": "''"}]}}}));
    let message = |size: i64| {
        let mut o = obj(json!({"size": size}));
        let err = admit(&d, &mut o, FieldValidation::Strict, None).unwrap_err();
        err.to_status()["details"]["causes"][0]["message"].clone()
    };
    assert_eq!(message(12), "Invalid value: \"object\": size 12 is too big");
    assert_eq!(message(7), "Invalid value: \"object\": seven is reserved");
    assert_eq!(
        message(8),
        "Invalid value: \"object\": failed rule: self.size != 8"
    );
}
