//! `metadata` accessors and the server-owned metadata rules shared by every resource: what
//! create fills in, what update keeps from the stored object, and when `generation` moves.

use serde_json::{Map, Value, json};

/// `metadata.name`, or "" when absent.
pub fn name(obj: &Value) -> &str {
    str_at(obj, "name")
}

/// `metadata.namespace`, or "" when absent (cluster-scoped objects).
pub fn namespace(obj: &Value) -> &str {
    str_at(obj, "namespace")
}

pub fn resource_version(obj: &Value) -> &str {
    str_at(obj, "resourceVersion")
}

pub fn uid(obj: &Value) -> &str {
    str_at(obj, "uid")
}

fn str_at<'a>(obj: &'a Value, field: &str) -> &'a str {
    obj.pointer(&format!("/metadata/{field}"))
        .and_then(Value::as_str)
        .unwrap_or("")
}

pub fn labels(obj: &Value) -> Option<&Map<String, Value>> {
    obj.pointer("/metadata/labels").and_then(Value::as_object)
}

pub fn finalizers(obj: &Value) -> Vec<String> {
    let list = obj
        .pointer("/metadata/finalizers")
        .and_then(Value::as_array);
    let items = list.map(|l| {
        l.iter()
            .filter_map(Value::as_str)
            .map(String::from)
            .collect()
    });
    items.unwrap_or_default()
}

pub fn is_deleting(obj: &Value) -> bool {
    obj.pointer("/metadata/deletionTimestamp")
        .is_some_and(|v| !v.is_null())
}

/// The `metadata` map, created if missing or not an object.
pub fn metadata_mut(obj: &mut Value) -> &mut Map<String, Value> {
    if !obj.get("metadata").is_some_and(Value::is_object) {
        obj["metadata"] = json!({});
    }
    match obj.get_mut("metadata") {
        Some(Value::Object(m)) => m,
        _ => unreachable!("metadata was just made an object"),
    }
}

pub fn set_resource_version(obj: &mut Value, rv: u64) {
    metadata_mut(obj).insert("resourceVersion".into(), Value::String(rv.to_string()));
}

/// RFC 3339 with second precision, the format of `metav1.Time`.
pub fn now_timestamp() -> String {
    jiff::Timestamp::now()
        .strftime("%Y-%m-%dT%H:%M:%SZ")
        .to_string()
}

/// Everything except `metadata` and `status`: what `generation` tracks.
pub fn spec_part(obj: &Value) -> Value {
    let mut copy = obj.clone();
    if let Some(map) = copy.as_object_mut() {
        for key in ["metadata", "status", "apiVersion", "kind"] {
            map.remove(key);
        }
    }
    copy
}

/// Copies the fields a client may never change from the stored object onto a replacement.
pub fn keep_server_fields(stored: &Value, new: &mut Value) {
    let old_meta = stored.get("metadata").cloned().unwrap_or_else(|| json!({}));
    let meta = metadata_mut(new);
    for field in [
        "uid",
        "creationTimestamp",
        "deletionTimestamp",
        "deletionGracePeriodSeconds",
        "generation",
        "namespace",
        "name",
        "selfLink",
    ] {
        match old_meta.get(field) {
            Some(v) => meta.insert(field.into(), v.clone()),
            None => meta.remove(field),
        };
    }
}

/// kube-apiserver decodes `metadata` into a typed ObjectMeta whose collections are
/// `omitempty`, so an empty or null `labels: {}` or `annotations: {}` sent by a client (kubectl
/// diff's dry-run patch sends one) is never stored or returned. Drops them the same way.
pub fn drop_empty_collections(obj: &mut Value) {
    let Some(meta) = obj.get_mut("metadata").and_then(Value::as_object_mut) else {
        return;
    };
    for field in ["labels", "annotations", "finalizers", "ownerReferences"] {
        let empty = match meta.get(field) {
            Some(Value::Object(m)) => m.is_empty(),
            Some(Value::Array(a)) => a.is_empty(),
            Some(Value::Null) => true,
            _ => false,
        };
        if empty {
            meta.remove(field);
        }
    }
}

/// Sets `generation` on `new` from `stored`: unchanged unless the spec part changed.
pub fn bump_generation(stored: &Value, new: &mut Value) {
    let old = stored
        .pointer("/metadata/generation")
        .and_then(Value::as_i64)
        .unwrap_or(1);
    let changed = spec_part(stored) != spec_part(new);
    let generation = if changed { old + 1 } else { old };
    metadata_mut(new).insert("generation".into(), json!(generation));
}

/// True when `a` and `b` differ only in resourceVersion: such updates are no-ops that the
/// real server does not persist.
pub fn same_content(a: &Value, b: &Value) -> bool {
    let mut x = a.clone();
    let mut y = b.clone();
    metadata_mut(&mut x).remove("resourceVersion");
    metadata_mut(&mut y).remove("resourceVersion");
    x == y
}
