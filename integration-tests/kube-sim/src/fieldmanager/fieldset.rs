//! Sets of fields in the `FieldsV1` form used by `metadata.managedFields`: a tree whose keys
//! are `f:<field>`, `k:<merge key JSON>` (elements of keyed lists), `v:<value JSON>` (elements of
//! set lists) and `.` (the list element itself). An empty subtree is a leaf.

use std::collections::BTreeMap;

use serde_json::{Map, Value};

/// How a list at a dotted field path (list indexes omitted) is merged and tracked.
#[derive(Debug, Clone, PartialEq)]
pub enum ListKind {
    /// Elements are identified by these keys.
    Map(Vec<String>),
    /// Elements are scalars identified by value.
    Set,
    /// The list is one value.
    Atomic,
}

#[derive(Debug, Clone, Default, PartialEq)]
pub struct FieldSet(pub BTreeMap<String, FieldSet>);

/// One step of a path into an object.
pub type Path = Vec<String>;

impl FieldSet {
    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }

    /// The fields `obj` sets, with list identity decided by `lists`.
    pub fn of(obj: &Value, lists: &dyn Fn(&str) -> ListKind) -> Self {
        let mut set = FieldSet::default();
        if let Value::Object(map) = obj {
            for (key, value) in map {
                if matches!(key.as_str(), "apiVersion" | "kind") {
                    continue;
                }
                let child = if key == "metadata" {
                    metadata_fields(value)
                } else {
                    walk(value, key, lists)
                };
                if key != "metadata" || !child.is_empty() {
                    set.0.insert(format!("f:{key}"), child);
                }
            }
        }
        set
    }

    pub fn from_json(value: &Value) -> Self {
        let Value::Object(map) = value else {
            return Self::default();
        };
        FieldSet(
            map.iter()
                .map(|(k, v)| (k.clone(), Self::from_json(v)))
                .collect(),
        )
    }

    pub fn to_json(&self) -> Value {
        Value::Object(
            self.0
                .iter()
                .map(|(k, v)| (k.clone(), v.to_json()))
                .collect(),
        )
    }

    /// Every leaf path.
    pub fn leaves(&self) -> Vec<Path> {
        let mut out = Vec::new();
        self.collect(&mut Vec::new(), &mut out);
        out
    }

    fn collect(&self, prefix: &mut Path, out: &mut Vec<Path>) {
        for (key, child) in &self.0 {
            prefix.push(key.clone());
            if child.is_empty() {
                out.push(prefix.clone());
            } else {
                child.collect(prefix, out);
            }
            prefix.pop();
        }
    }

    pub fn contains(&self, path: &[String]) -> bool {
        match path.split_first() {
            None => true,
            Some((head, rest)) => self.0.get(head).is_some_and(|c| c.contains(rest)),
        }
    }

    /// Whether `path` is a leaf of this set (not merely a prefix of deeper fields).
    pub fn has_leaf(&self, path: &[String]) -> bool {
        match path.split_first() {
            None => self.is_empty(),
            Some((head, rest)) => self.0.get(head).is_some_and(|c| c.has_leaf(rest)),
        }
    }

    /// Adds a leaf path.
    pub fn insert(&mut self, path: &[String]) {
        let Some((head, rest)) = path.split_first() else {
            return;
        };
        self.0.entry(head.clone()).or_default().insert(rest);
    }

    /// Removes a leaf path and any subtrees left empty by it.
    pub fn remove(&mut self, path: &[String]) {
        let Some((head, rest)) = path.split_first() else {
            return;
        };
        if rest.is_empty() {
            self.0.remove(head);
            return;
        }
        if let Some(child) = self.0.get_mut(head) {
            child.remove(rest);
            if child.is_empty() {
                self.0.remove(head);
            }
        }
    }
}

fn metadata_fields(meta: &Value) -> FieldSet {
    let mut set = FieldSet::default();
    let Value::Object(map) = meta else { return set };
    for key in ["labels", "annotations"] {
        if let Some(Value::Object(entries)) = map.get(key) {
            let children = entries
                .keys()
                .map(|k| (format!("f:{k}"), FieldSet::default()))
                .collect();
            set.0.insert(format!("f:{key}"), FieldSet(children));
        }
    }
    if let Some(Value::Array(finalizers)) = map.get("finalizers") {
        let children = finalizers
            .iter()
            .map(|v| (format!("v:{v}"), FieldSet::default()))
            .collect();
        set.0.insert("f:finalizers".into(), FieldSet(children));
    }
    set
}

fn walk(value: &Value, path: &str, lists: &dyn Fn(&str) -> ListKind) -> FieldSet {
    match value {
        Value::Object(map) => {
            let children = map
                .iter()
                .map(|(k, v)| (format!("f:{k}"), walk(v, &format!("{path}.{k}"), lists)));
            FieldSet(children.collect())
        }
        Value::Array(items) => match lists(path) {
            ListKind::Map(keys) => {
                let mut set = FieldSet::default();
                for item in items {
                    let mut element = walk(item, path, lists);
                    element.0.insert(".".into(), FieldSet::default());
                    set.0.insert(format!("k:{}", key_of(item, &keys)), element);
                }
                set
            }
            ListKind::Set => FieldSet(
                items
                    .iter()
                    .map(|v| (format!("v:{v}"), FieldSet::default()))
                    .collect(),
            ),
            ListKind::Atomic => FieldSet::default(),
        },
        _ => FieldSet::default(),
    }
}

/// The `k:` identity of a keyed list element: its key fields as compact JSON.
pub fn key_of(item: &Value, keys: &[String]) -> Value {
    let mut map = Map::new();
    for key in keys {
        if let Some(v) = item.get(key) {
            map.insert(key.clone(), v.clone());
        }
    }
    Value::Object(map)
}

/// The value a path addresses in `obj`, if present.
pub fn value_at<'a>(obj: &'a Value, path: &[String]) -> Option<&'a Value> {
    let Some((head, rest)) = path.split_first() else {
        return Some(obj);
    };
    let next = step(obj, head)?;
    value_at(next, rest)
}

fn step<'a>(obj: &'a Value, element: &str) -> Option<&'a Value> {
    if element == "." {
        return Some(obj);
    }
    if let Some(field) = element.strip_prefix("f:") {
        return obj.get(field);
    }
    let items = obj.as_array()?;
    if let Some(key) = element.strip_prefix("k:") {
        let key: Value = serde_json::from_str(key).ok()?;
        let fields = key.as_object()?;
        return items
            .iter()
            .find(|i| fields.iter().all(|(k, v)| i.get(k) == Some(v)));
    }
    let wanted: Value = serde_json::from_str(element.strip_prefix("v:")?).ok()?;
    items.iter().find(|i| **i == wanted)
}

/// Deletes what a path addresses from `obj` (a field, a keyed element or a set value).
pub fn remove_at(obj: &mut Value, path: &[String]) {
    let path: Vec<&String> = path.iter().filter(|p| p.as_str() != ".").collect();
    let Some((last, parents)) = path.split_last() else {
        return;
    };
    let mut current = obj;
    for element in parents {
        let Some(next) = step_mut(current, element) else {
            return;
        };
        current = next;
    }
    if let Some(field) = last.strip_prefix("f:") {
        if let Some(map) = current.as_object_mut() {
            map.remove(field);
        }
        return;
    }
    let Some(items) = current.as_array_mut() else {
        return;
    };
    let matches = |item: &Value| step(&Value::Array(vec![item.clone()]), last).is_some();
    items.retain(|i| !matches(i));
}

fn step_mut<'a>(obj: &'a mut Value, element: &str) -> Option<&'a mut Value> {
    if let Some(field) = element.strip_prefix("f:") {
        return obj.get_mut(field);
    }
    let probe = obj.clone();
    let target = step(&probe, element)?.clone();
    obj.as_array_mut()?.iter_mut().find(|i| **i == target)
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn lists(path: &str) -> ListKind {
        if path.ends_with("containers") {
            ListKind::Map(vec!["name".into()])
        } else {
            ListKind::Atomic
        }
    }

    #[test]
    fn field_sets_round_trip_and_address_values() {
        let obj = json!({"apiVersion": "v1", "metadata": {"name": "x", "labels": {"a": "1"}},
            "spec": {"replicas": 2, "containers": [{"name": "app", "image": "i"}], "args": ["x"]}});
        let set = FieldSet::of(&obj, &lists);
        let json = set.to_json();
        assert_eq!(json["f:metadata"], json!({"f:labels": {"f:a": {}}}));
        assert_eq!(
            json["f:spec"]["f:containers"]["k:{\"name\":\"app\"}"]["f:image"],
            json!({})
        );
        assert_eq!(FieldSet::from_json(&json), set);

        let image = vec![
            "f:spec".into(),
            "f:containers".into(),
            "k:{\"name\":\"app\"}".into(),
            "f:image".into(),
        ];
        assert!(set.leaves().contains(&image));
        assert_eq!(value_at(&obj, &image), Some(&json!("i")));

        let mut copy = obj.clone();
        let element = vec![
            "f:spec".into(),
            "f:containers".into(),
            "k:{\"name\":\"app\"}".into(),
            ".".into(),
        ];
        remove_at(&mut copy, &element);
        assert_eq!(copy["spec"]["containers"], json!([]));
    }
}
