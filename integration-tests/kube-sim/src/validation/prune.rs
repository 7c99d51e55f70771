//! Pruning: fields a structural schema does not specify are dropped, unless the schema
//! preserves unknown fields there. The root keeps `apiVersion`, `kind` and `metadata`, and
//! `x-kubernetes-embedded-resource` objects keep theirs.

use serde_json::Value;

/// Removes unknown fields from `obj` and returns their dotted paths.
pub fn prune(schema: &Value, obj: &mut Value) -> Vec<String> {
    let mut unknown = Vec::new();
    walk(schema, obj, "", true, &mut unknown);
    unknown
}

fn walk(schema: &Value, value: &mut Value, path: &str, root: bool, unknown: &mut Vec<String>) {
    match value {
        Value::Object(map) => {
            let preserve = schema["x-kubernetes-preserve-unknown-fields"].as_bool() == Some(true);
            let embedded = schema["x-kubernetes-embedded-resource"].as_bool() == Some(true);
            let properties = schema["properties"].as_object();
            let additional = &schema["additionalProperties"];
            let keys: Vec<String> = map.keys().cloned().collect();
            for key in keys {
                let child_path = if path.is_empty() {
                    key.clone()
                } else {
                    format!("{path}.{key}")
                };
                let keep_meta = (root || embedded)
                    && matches!(key.as_str(), "apiVersion" | "kind" | "metadata");
                if let Some(child_schema) = properties.and_then(|p| p.get(&key)) {
                    if !(root && key == "metadata")
                        && let Some(child) = map.get_mut(&key)
                    {
                        walk(child_schema, child, &child_path, false, unknown);
                    }
                } else if additional.is_object() {
                    if let Some(child) = map.get_mut(&key) {
                        walk(additional, child, &child_path, false, unknown);
                    }
                } else if !(preserve || keep_meta || additional == &Value::Bool(true)) {
                    map.remove(&key);
                    unknown.push(child_path);
                }
            }
        }
        Value::Array(items) => {
            let item_schema = &schema["items"];
            if item_schema.is_object() {
                for (i, item) in items.iter_mut().enumerate() {
                    walk(item_schema, item, &format!("{path}[{i}]"), false, unknown);
                }
            }
        }
        _ => {}
    }
}
