//! events.k8s.io/v1 Events are a second view of the core v1 Events, as in kube-apiserver:
//! one collection (stored in the core shape) that both groups read, write, list and watch.
//! This module owns the field mapping between the two shapes, for objects, their
//! `managedFields` and field selectors.

use serde_json::Value;

use crate::resources::{ResourceDescriptor, ResourceKey};

/// events.k8s.io/v1 field and the core v1 field it is stored as. Fields with the same name in
/// both (`reason`, `type`, `action`, `eventTime`, `series`, `related`, `reportingInstance`,
/// `metadata`) need no mapping.
const FIELDS: &[(&str, &str)] = &[
    ("regarding", "involvedObject"),
    ("note", "message"),
    ("reportingController", "reportingComponent"),
    ("deprecatedSource", "source"),
    ("deprecatedFirstTimestamp", "firstTimestamp"),
    ("deprecatedLastTimestamp", "lastTimestamp"),
    ("deprecatedCount", "count"),
];

/// Whether `desc` is the events.k8s.io view of the core Events.
pub fn is_events_view(desc: &ResourceDescriptor) -> bool {
    desc.group == "events.k8s.io" && desc.plural == "events"
}

/// The collection both groups' Events live in.
pub fn core_key() -> ResourceKey {
    ResourceKey {
        group: String::new(),
        plural: "events".into(),
    }
}

/// A state-file entry as it is stored now: files written before both groups shared one
/// collection keep events.k8s.io Events apart, in their own shape.
pub fn stored_entry(key: ResourceKey, obj: Value) -> (ResourceKey, Value) {
    if key.group != "events.k8s.io" || key.plural != "events" {
        return (key, obj);
    }
    let mut obj = to_core(obj);
    obj["apiVersion"] = Value::String("v1".into());
    (core_key(), obj)
}

/// An events.k8s.io/v1 shaped object in the core shape it is stored in.
pub fn to_core(obj: Value) -> Value {
    rename(obj, FIELDS.iter().map(|(v1, core)| (*v1, *core)))
}

/// A stored (core shaped) Event as events.k8s.io/v1 shows it.
pub fn from_core(obj: Value) -> Value {
    rename(obj, FIELDS.iter().map(|(v1, core)| (*core, *v1)))
}

/// The stored field a field selector label of `desc` reads: `regarding.name` of the
/// events.k8s.io view is `involvedObject.name` of the stored Event.
pub fn stored_field_label(desc: &ResourceDescriptor, label: &str) -> String {
    if !is_events_view(desc) {
        return label.to_string();
    }
    let (head, rest) = match label.split_once('.') {
        Some((head, rest)) => (head, Some(rest)),
        None => (label, None),
    };
    let mapped = FIELDS
        .iter()
        .find(|(v1, _)| *v1 == head)
        .map_or(head, |(_, core)| *core);
    match rest {
        Some(rest) => format!("{mapped}.{rest}"),
        None => mapped.to_string(),
    }
}

/// Renames top-level fields, in the object and in every `managedFields` entry's field set, so
/// ownership keeps addressing the fields it was recorded for.
fn rename<'a>(mut obj: Value, pairs: impl Iterator<Item = (&'a str, &'a str)> + Clone) -> Value {
    if let Some(map) = obj.as_object_mut() {
        rename_keys(map, pairs.clone(), "");
    }
    let entries = obj
        .pointer_mut("/metadata/managedFields")
        .and_then(Value::as_array_mut);
    for entry in entries.into_iter().flatten() {
        if let Some(fields) = entry.get_mut("fieldsV1").and_then(Value::as_object_mut) {
            rename_keys(fields, pairs.clone(), "f:");
        }
    }
    obj
}

fn rename_keys<'a>(
    map: &mut serde_json::Map<String, Value>,
    pairs: impl Iterator<Item = (&'a str, &'a str)>,
    prefix: &str,
) {
    let moves: Vec<(String, String)> = pairs
        .map(|(from, to)| (format!("{prefix}{from}"), format!("{prefix}{to}")))
        .collect();
    let taken: Vec<(String, Value)> = moves
        .iter()
        .filter_map(|(from, to)| map.remove(from).map(|v| (to.clone(), v)))
        .collect();
    for (to, value) in taken {
        map.insert(to, value);
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn the_two_shapes_convert_both_ways_with_their_managed_fields() {
        let v1 = json!({"apiVersion": "events.k8s.io/v1", "kind": "Event",
            "metadata": {"name": "e", "managedFields": [{"manager": "m",
                "fieldsV1": {"f:note": {}, "f:regarding": {"f:name": {}}, "f:reason": {}}}]},
            "regarding": {"kind": "Pod", "name": "p"}, "note": "hello", "reason": "Started",
            "reportingController": "c", "deprecatedCount": 2,
            "series": {"count": 2, "lastObservedTime": "2026-01-01T00:00:00.000000Z"}});
        let core = to_core(v1.clone());
        assert_eq!(core["involvedObject"]["name"], "p");
        assert_eq!(core["message"], "hello");
        assert_eq!(core["reportingComponent"], "c");
        assert_eq!(core["count"], 2);
        assert_eq!(core["series"]["count"], 2);
        assert!(core.get("note").is_none() && core.get("regarding").is_none());
        assert_eq!(
            core["metadata"]["managedFields"][0]["fieldsV1"],
            json!({"f:message": {}, "f:involvedObject": {"f:name": {}}, "f:reason": {}})
        );
        assert_eq!(from_core(core), v1);
    }

    #[test]
    fn state_files_with_separate_events_k8s_io_events_load_into_the_core_collection() {
        let key = ResourceKey {
            group: "events.k8s.io".into(),
            plural: "events".into(),
        };
        let obj = json!({"apiVersion": "events.k8s.io/v1", "kind": "Event", "note": "n"});
        let (key, obj) = stored_entry(key, obj);
        assert_eq!(key, core_key());
        assert_eq!(
            obj,
            json!({"apiVersion": "v1", "kind": "Event", "message": "n"})
        );
    }

    #[test]
    fn field_selector_labels_of_the_view_read_core_fields() {
        let view = crate::resources::builtin_descriptors()
            .into_iter()
            .find(is_events_view)
            .unwrap();
        assert_eq!(
            stored_field_label(&view, "regarding.name"),
            "involvedObject.name"
        );
        assert_eq!(
            stored_field_label(&view, "reportingController"),
            "reportingComponent"
        );
        assert_eq!(stored_field_label(&view, "reason"), "reason");
    }
}
