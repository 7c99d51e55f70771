//! `x-kubernetes-list-type` uniqueness: a `set` may not hold a value twice and a `map` may not
//! hold two items with the same key fields. kube-apiserver reports the first repeat of each
//! value as `Duplicate value: V` at the repeat's index, V printed as Go's `%#v` prints it.

use std::collections::BTreeMap;

use serde_json::{Map, Value};

use crate::error::Cause;

/// Every duplicate under `obj`, walking the schema's properties, items and
/// additionalProperties alongside the object.
pub fn check(schema: &Value, obj: &Value) -> Vec<Cause> {
    let mut causes = Vec::new();
    walk(schema, obj, "", &mut causes);
    causes
}

fn walk(schema: &Value, value: &Value, path: &str, causes: &mut Vec<Cause>) {
    match value {
        Value::Object(map) => {
            for (key, child) in map {
                let child_schema = schema
                    .pointer(&format!("/properties/{}", escape(key)))
                    .or_else(|| schema.get("additionalProperties").filter(|s| s.is_object()));
                if let Some(child_schema) = child_schema {
                    walk(child_schema, child, &join(path, key), causes);
                }
            }
        }
        Value::Array(items) => {
            duplicates(schema, items, path, causes);
            if let Some(item_schema) = schema.get("items") {
                for (i, item) in items.iter().enumerate() {
                    walk(item_schema, item, &format!("{path}[{i}]"), causes);
                }
            }
        }
        _ => {}
    }
}

fn duplicates(schema: &Value, items: &[Value], path: &str, causes: &mut Vec<Cause>) {
    let identities: Vec<Value> = match schema["x-kubernetes-list-type"].as_str() {
        Some("set") => items.to_vec(),
        Some("map") => {
            let keys: Vec<&str> = schema["x-kubernetes-list-map-keys"]
                .as_array()
                .into_iter()
                .flatten()
                .filter_map(Value::as_str)
                .collect();
            items.iter().map(|item| key_fields(item, &keys)).collect()
        }
        _ => return,
    };

    let mut seen: BTreeMap<String, usize> = BTreeMap::new();
    for (i, identity) in identities.iter().enumerate() {
        let times = seen.entry(identity.to_string()).or_default();
        *times += 1;
        if *times == 2 {
            let message = format!("Duplicate value: {}", go_value(identity));
            causes.push(Cause::new(
                "FieldValueDuplicate",
                format!("{path}[{i}]"),
                message,
            ));
        }
    }
}

fn key_fields(item: &Value, keys: &[&str]) -> Value {
    let fields: Map<String, Value> = keys
        .iter()
        .filter_map(|k| item.get(*k).map(|v| (k.to_string(), v.clone())))
        .collect();
    Value::Object(fields)
}

/// A decoded JSON value as Go's `%#v` shows it (strings quoted, maps with sorted keys).
fn go_value(value: &Value) -> String {
    match value {
        Value::Null => "interface {}(nil)".into(),
        Value::Object(map) => {
            let mut pairs: Vec<(&String, &Value)> = map.iter().collect();
            pairs.sort_by_key(|(k, _)| *k);
            let shown: Vec<String> = pairs
                .iter()
                .map(|(k, v)| format!("{}:{}", Value::String((*k).clone()), go_value(v)))
                .collect();
            format!("map[string]interface {{}}{{{}}}", shown.join(", "))
        }
        Value::Array(items) => {
            let shown: Vec<String> = items.iter().map(go_value).collect();
            format!("[]interface {{}}{{{}}}", shown.join(", "))
        }
        other => other.to_string(),
    }
}

fn join(path: &str, key: &str) -> String {
    if path.is_empty() {
        key.to_string()
    } else {
        format!("{path}.{key}")
    }
}

fn escape(key: &str) -> String {
    key.replace('~', "~0").replace('/', "~1")
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn repeats_are_reported_once_at_their_first_repeat() {
        let schema = json!({"properties": {"spec": {"properties": {
            "tags": {"type": "array", "x-kubernetes-list-type": "set"},
            "ports": {"type": "array", "x-kubernetes-list-type": "map",
                "x-kubernetes-list-map-keys": ["name", "proto"]},
            "plain": {"type": "array"}}}}});
        let obj = json!({"spec": {"tags": ["a", "b", "a", "a", 1, 1],
            "ports": [{"name": "x", "proto": "TCP", "port": 1},
                      {"name": "x", "proto": "TCP", "port": 2},
                      {"name": "x", "proto": "UDP"}],
            "plain": [1, 1]}});
        let mut found: Vec<(String, String)> = check(&schema, &obj)
            .into_iter()
            .map(|c| (c.field, c.message))
            .collect();
        found.sort();
        let port = r#"Duplicate value: map[string]interface {}{"name":"x", "proto":"TCP"}"#;
        let expected = [
            ("spec.ports[1]", port),
            ("spec.tags[2]", r#"Duplicate value: "a""#),
            ("spec.tags[5]", "Duplicate value: 1"),
        ];
        let expected: Vec<(String, String)> = expected
            .iter()
            .map(|(f, m)| (f.to_string(), m.to_string()))
            .collect();
        assert_eq!(found, expected);
    }
}
