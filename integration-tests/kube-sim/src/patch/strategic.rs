//! Strategic merge patch for built-in kinds. Which lists merge by key is data (the
//! `patchMergeKey`/`patchStrategy` tags of the Kubernetes API types users patch), matched by
//! field path suffix so a pod template merges the same inside a Deployment or a StatefulSet.

use serde_json::{Map, Value};

use crate::error::{Error, Result};

/// How a list field merges.
enum ListRule {
    /// Elements are objects merged by the value of this key.
    Key(&'static str),
    /// Elements are scalars; the patch adds to the set.
    Set,
}

/// `(path suffix, rule)`; the path is field names joined by '.', list indexes omitted.
const LIST_RULES: &[(&str, ListRule)] = &[
    ("metadata.finalizers", ListRule::Set),
    ("metadata.ownerReferences", ListRule::Key("uid")),
    ("template.spec.containers", ListRule::Key("name")),
    ("template.spec.initContainers", ListRule::Key("name")),
    ("template.spec.ephemeralContainers", ListRule::Key("name")),
    ("template.spec.volumes", ListRule::Key("name")),
    ("template.spec.imagePullSecrets", ListRule::Key("name")),
    ("template.spec.hostAliases", ListRule::Key("ip")),
    (
        "template.spec.topologySpreadConstraints",
        ListRule::Key("topologyKey"),
    ),
    ("containers.env", ListRule::Key("name")),
    ("containers.ports", ListRule::Key("containerPort")),
    ("containers.volumeMounts", ListRule::Key("mountPath")),
    ("containers.volumeDevices", ListRule::Key("devicePath")),
    ("initContainers.env", ListRule::Key("name")),
    ("initContainers.volumeMounts", ListRule::Key("mountPath")),
    ("status.conditions", ListRule::Key("type")),
];

/// Per-kind rules that a suffix would get wrong.
const KIND_RULES: &[(&str, &str, ListRule)] = &[
    ("Service", "spec.ports", ListRule::Key("port")),
    ("ServiceAccount", "secrets", ListRule::Key("name")),
    ("ServiceAccount", "imagePullSecrets", ListRule::Key("name")),
];

/// How server-side apply tracks the list at `path` of a built-in `kind`.
pub fn list_kind(kind: &str, path: &str) -> crate::fieldmanager::ListKind {
    use crate::fieldmanager::ListKind;
    match rule_for(kind, path) {
        Some(ListRule::Key(key)) => ListKind::Map(vec![key.to_string()]),
        Some(ListRule::Set) => ListKind::Set,
        None => ListKind::Atomic,
    }
}

fn rule_for(kind: &str, path: &str) -> Option<&'static ListRule> {
    let by_kind = KIND_RULES
        .iter()
        .find(|(k, p, _)| *k == kind && *p == path)
        .map(|(_, _, r)| r);
    by_kind.or_else(|| {
        LIST_RULES
            .iter()
            .find(|(suffix, _)| path == *suffix || path.ends_with(&format!(".{suffix}")))
            .map(|(_, r)| r)
    })
}

/// Applies a strategic merge patch to `original`.
pub fn merge(kind: &str, original: &Value, patch: &Value) -> Result<Value> {
    let merged = merge_value(kind, "", Some(original), patch)?;
    Ok(merged.unwrap_or(Value::Null))
}

/// Returns `None` when the patch deletes the value (`$patch: delete`).
fn merge_value(
    kind: &str,
    path: &str,
    original: Option<&Value>,
    patch: &Value,
) -> Result<Option<Value>> {
    let Value::Object(patch_map) = patch else {
        return Ok(Some(patch.clone()));
    };
    match patch_map.get("$patch").and_then(Value::as_str) {
        Some("delete") => return Ok(None),
        Some("replace") => return Ok(Some(Value::Object(strip_directives(patch_map)))),
        Some("merge") | None => {}
        Some(other) => {
            return Err(Error::bad_request(format!(
                "unknown patch type: \"{other}\" at {path}"
            )));
        }
    }
    let mut result = match original {
        Some(Value::Object(m)) => m.clone(),
        _ => Map::new(),
    };
    for (key, value) in patch_map {
        if let Some(field) = key.strip_prefix("$deleteFromPrimitiveList/") {
            delete_from_list(&mut result, field, value);
        } else if key.starts_with('$') {
            continue;
        } else if value.is_null() {
            result.remove(key);
        } else {
            let child = join(path, key);
            match merge_field(kind, &child, result.get(key), value)? {
                Some(v) => result.insert(key.clone(), v),
                None => result.remove(key),
            };
        }
    }
    if let Some(keep) = patch_map.get("$retainKeys").and_then(Value::as_array) {
        result.retain(|k, _| keep.iter().any(|v| v.as_str() == Some(k.as_str())));
    }
    Ok(Some(Value::Object(result)))
}

fn merge_field(
    kind: &str,
    path: &str,
    original: Option<&Value>,
    patch: &Value,
) -> Result<Option<Value>> {
    match (original, patch) {
        (Some(Value::Array(orig)), Value::Array(items)) => match rule_for(kind, path) {
            Some(ListRule::Key(key)) => merge_keyed(kind, path, orig, items, key).map(Some),
            Some(ListRule::Set) => Ok(Some(Value::Array(union(orig, items)))),
            None => Ok(Some(Value::Array(without_directives(items)))),
        },
        (_, Value::Array(items)) => Ok(Some(Value::Array(without_directives(items)))),
        (orig, Value::Object(_)) => merge_value(kind, path, orig, patch),
        (_, other) => Ok(Some(other.clone())),
    }
}

fn merge_keyed(
    kind: &str,
    path: &str,
    orig: &[Value],
    items: &[Value],
    key: &str,
) -> Result<Value> {
    if items
        .iter()
        .any(|i| i.get("$patch").and_then(Value::as_str) == Some("replace"))
    {
        let kept = items
            .iter()
            .filter(|i| i.get("$patch").is_none())
            .cloned()
            .collect();
        return Ok(Value::Array(kept));
    }
    let mut result: Vec<Value> = orig.to_vec();
    for item in items {
        let Some(id) = item.get(key) else {
            return Err(Error::bad_request(format!(
                "map: {item} does not contain declared merge key: {key}"
            )));
        };
        let position = result.iter().position(|o| o.get(key) == Some(id));
        match (
            position,
            merge_value(kind, path, position.map(|p| &result[p]), item)?,
        ) {
            (Some(p), Some(merged)) => result[p] = merged,
            (Some(p), None) => {
                result.remove(p);
            }
            (None, Some(new)) => result.push(new),
            (None, None) => {}
        }
    }
    Ok(Value::Array(result))
}

fn union(orig: &[Value], items: &[Value]) -> Vec<Value> {
    let mut out = orig.to_vec();
    for item in items {
        if !out.contains(item) {
            out.push(item.clone());
        }
    }
    out
}

fn delete_from_list(result: &mut Map<String, Value>, field: &str, values: &Value) {
    let Some(Value::Array(list)) = result.get_mut(field) else {
        return;
    };
    let remove = values.as_array().cloned().unwrap_or_default();
    list.retain(|v| !remove.contains(v));
}

fn strip_directives(map: &Map<String, Value>) -> Map<String, Value> {
    map.iter()
        .filter(|(k, _)| !k.starts_with('$'))
        .map(|(k, v)| (k.clone(), v.clone()))
        .collect()
}

fn without_directives(items: &[Value]) -> Vec<Value> {
    let plain = |v: &Value| match v {
        Value::Object(m) => Value::Object(strip_directives(m)),
        other => other.clone(),
    };
    items.iter().map(plain).collect()
}

fn join(path: &str, key: &str) -> String {
    if path.is_empty() {
        key.to_string()
    } else {
        format!("{path}.{key}")
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn deployment() -> Value {
        json!({"metadata": {"finalizers": ["a"]}, "spec": {"template": {"spec": {"containers": [
            {"name": "app", "image": "v1", "env": [{"name": "A", "value": "1"}]},
            {"name": "side", "image": "s1"}
        ]}}}})
    }

    #[test]
    fn containers_merge_by_name_and_env_by_name() {
        let patch = json!({"spec": {"template": {"spec": {"containers": [
            {"name": "app", "image": "v2", "env": [{"name": "B", "value": "2"}]}
        ]}}}});
        let out = merge("Deployment", &deployment(), &patch).unwrap();
        let containers = &out["spec"]["template"]["spec"]["containers"];
        assert_eq!(containers[0]["image"], "v2");
        assert_eq!(containers[0]["env"].as_array().unwrap().len(), 2);
        assert_eq!(containers[1]["name"], "side");
    }

    #[test]
    fn directives_delete_replace_and_prune_primitive_lists() {
        let patch = json!({
            "metadata": {
                "$deleteFromPrimitiveList/finalizers": ["a"],
                "$setElementOrder/finalizers": []
            },
            "spec": {"template": {"spec": {"containers": [{"name": "side", "$patch": "delete"}]}}}
        });
        let out = merge("Deployment", &deployment(), &patch).unwrap();
        assert_eq!(out["metadata"]["finalizers"], json!([]));
        assert_eq!(
            out["spec"]["template"]["spec"]["containers"]
                .as_array()
                .unwrap()
                .len(),
            1
        );

        let replace = json!({"spec": {"$patch": "replace", "replicas": 3}});
        let out = merge("Deployment", &deployment(), &replace).unwrap();
        assert_eq!(out["spec"], json!({"replicas": 3}));
    }

    #[test]
    fn unkeyed_lists_are_replaced_and_nulls_delete() {
        let orig = json!({"data": {"a": "1", "b": "2"}, "spec": {"tolerations": [{"key": "x"}]}});
        let patch = json!({"data": {"a": null}, "spec": {"tolerations": [{"key": "y"}]}});
        let out = merge("Anything", &orig, &patch).unwrap();
        assert_eq!(out["data"], json!({"b": "2"}));
        assert_eq!(out["spec"]["tolerations"], json!([{"key": "y"}]));
    }
}
