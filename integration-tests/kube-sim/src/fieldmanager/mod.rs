//! Field ownership (`metadata.managedFields`) and server-side apply semantics: an apply owns
//! the fields it sets, conflicts with other owners who set them to other values (409 unless
//! `force`), and removes fields it applied before but no longer applies when nobody else owns
//! them. Other writes take ownership of the fields they change, as `Update` entries.

mod fieldset;

use serde_json::{Value, json};

use crate::error::{Cause, Error, Result};
use crate::meta;
use crate::resources::ResourceDescriptor;
pub use fieldset::ListKind;
use fieldset::{FieldSet, Path, remove_at, value_at};

/// Who a write is recorded for: the field manager and the subresource written (`""` for the
/// main resource). kube-apiserver keeps one entry per manager, operation and subresource,
/// and for `Update` entries also per apiVersion.
#[derive(Debug, Clone, Copy)]
pub struct Writer<'a> {
    pub manager: &'a str,
    pub subresource: &'a str,
}

/// One `managedFields` entry.
#[derive(Debug, Clone, PartialEq)]
struct Entry {
    manager: String,
    operation: String,
    api_version: String,
    subresource: String,
    time: String,
    fields: FieldSet,
}

impl Entry {
    fn is_apply_of(&self, writer: Writer) -> bool {
        self.operation == "Apply"
            && self.manager == writer.manager
            && self.subresource == writer.subresource
    }

    fn is_update_of(&self, writer: Writer, api_version: &str) -> bool {
        self.operation == "Update"
            && self.manager == writer.manager
            && self.subresource == writer.subresource
            && self.api_version == api_version
    }
}

fn read(obj: &Value) -> Vec<Entry> {
    let list = obj
        .pointer("/metadata/managedFields")
        .and_then(Value::as_array);
    let text = |e: &Value, k: &str| e[k].as_str().unwrap_or_default().to_string();
    let entries = list.into_iter().flatten().map(|e| Entry {
        manager: text(e, "manager"),
        operation: text(e, "operation"),
        api_version: text(e, "apiVersion"),
        subresource: text(e, "subresource"),
        time: text(e, "time"),
        fields: FieldSet::from_json(&e["fieldsV1"]),
    });
    entries.collect()
}

fn write(obj: &mut Value, entries: Vec<Entry>) {
    let list: Vec<Value> = entries
        .into_iter()
        .filter(|e| !e.fields.is_empty())
        .map(|e| {
            let mut entry = json!({"manager": e.manager, "operation": e.operation,
                "apiVersion": e.api_version, "time": e.time, "fieldsType": "FieldsV1",
                "fieldsV1": e.fields.to_json()});
            if !e.subresource.is_empty() {
                entry["subresource"] = json!(e.subresource);
            }
            entry
        })
        .collect();
    let meta = meta::metadata_mut(obj);
    if list.is_empty() {
        meta.remove("managedFields");
    } else {
        meta.insert("managedFields".into(), Value::Array(list));
    }
}

/// How lists of this resource merge: the strategic-merge table for built-ins, the schema's
/// `x-kubernetes-list-type` for custom resources.
fn list_kinds(desc: &ResourceDescriptor) -> impl Fn(&str) -> ListKind + '_ {
    move |path: &str| match &desc.schema {
        Some(schema) => schema_list_kind(schema.raw(), path),
        None => crate::patch::list_kind(&desc.kind, path),
    }
}

fn schema_list_kind(root: &Value, path: &str) -> ListKind {
    let mut node = root;
    for part in path.split('.') {
        let props = node
            .get("properties")
            .or_else(|| node.pointer("/items/properties"));
        match props.and_then(|p| p.get(part)) {
            Some(next) => node = next,
            None => return ListKind::Atomic,
        }
    }
    match node["x-kubernetes-list-type"].as_str() {
        Some("map") => {
            let keys = node["x-kubernetes-list-map-keys"]
                .as_array()
                .cloned()
                .unwrap_or_default();
            ListKind::Map(
                keys.iter()
                    .filter_map(Value::as_str)
                    .map(String::from)
                    .collect(),
            )
        }
        Some("set") => ListKind::Set,
        _ => ListKind::Atomic,
    }
}

/// Server-side apply of `applied` by `writer` over `live`, given `merged` (the applied
/// object merged into `live`). Returns the object to store, with ownership recorded.
/// Errors: 409 Conflict naming each field another manager owns with a different value.
pub fn apply(
    desc: &ResourceDescriptor,
    live: &Value,
    applied: &Value,
    mut merged: Value,
    writer: Writer,
    force: bool,
) -> Result<Value> {
    let manager = writer.manager;
    let lists = list_kinds(desc);
    let mut entries = read(live);
    let new_set = FieldSet::of(applied, &lists);
    let conflicts = conflicts(&entries, manager, &new_set, live, applied);
    if !conflicts.is_empty() && !force {
        return Err(conflict_error(desc, live, &conflicts));
    }
    for (owner, path) in &conflicts {
        for e in entries.iter_mut().filter(|e| &e.manager == owner) {
            e.fields.remove(path);
        }
    }

    let previous = entries.iter().find(|e| e.is_apply_of(writer));
    let previous = previous.map(|e| e.fields.clone()).unwrap_or_default();
    for path in previous.leaves() {
        let element = trim_marker(&path);
        let owned_elsewhere = entries
            .iter()
            .any(|e| e.manager != manager && e.fields.contains(element));
        if !new_set.contains(&path) && !owned_elsewhere {
            remove_at(&mut merged, &path);
        }
    }
    let others: Vec<&FieldSet> = entries
        .iter()
        .filter(|e| e.manager != manager)
        .map(|e| &e.fields)
        .collect();
    remove_emptied_parents(&mut merged, &previous, &new_set, &others);

    entries.retain(|e| !e.is_apply_of(writer));
    let time = if previous == new_set {
        None
    } else {
        Some(meta::now_timestamp())
    };
    let old_time = read(live)
        .into_iter()
        .find(|e| e.is_apply_of(writer))
        .map(|e| e.time);
    entries.push(Entry {
        manager: manager.into(),
        operation: "Apply".into(),
        api_version: desc.api_version(),
        subresource: writer.subresource.into(),
        time: time.or(old_time).unwrap_or_else(meta::now_timestamp),
        fields: new_set,
    });
    write(&mut merged, entries);
    Ok(merged)
}

/// Removes the fields the applier's previous apply reached only as parents (`status.s` of
/// `status.s.x`) once removals left them empty and neither the new apply nor another manager
/// owns anything at or below them, as structured-merge-diff does since Kubernetes 1.21:
/// otherwise an emptied `{}` stays behind and fails a schema that requires its fields.
/// Deepest parents go first so a chain of emptied objects collapses; `metadata` stays.
fn remove_emptied_parents(
    obj: &mut Value,
    previous: &FieldSet,
    new_set: &FieldSet,
    others: &[&FieldSet],
) {
    let mut parents: Vec<Path> = previous
        .leaves()
        .iter()
        .flat_map(|leaf| (1..leaf.len()).map(|len| leaf[..len].to_vec()))
        .filter(|p| p.last().is_some_and(|e| e.starts_with("f:")))
        .filter(|p| p.as_slice() != ["f:metadata"])
        .collect();
    parents.sort_by(|a, b| b.len().cmp(&a.len()).then_with(|| a.cmp(b)));
    parents.dedup();

    for parent in parents {
        let owned = new_set.contains(&parent) || others.iter().any(|s| s.contains(&parent));
        let empty = match value_at(obj, &parent) {
            Some(Value::Object(map)) => map.is_empty(),
            Some(Value::Array(items)) => items.is_empty(),
            _ => false,
        };
        if empty && !owned {
            remove_at(obj, &parent);
        }
    }
}

/// Drops from every manager the fields `obj` no longer has, as kube-apiserver does: a write
/// that removed a field (a patch setting it to null, an update leaving it out) leaves nobody
/// owning it, so a later apply by another manager does not conflict on it. Runs on every
/// write before it is stored; an entry left with no fields is dropped.
pub fn forget_removed_fields(obj: &mut Value) {
    let mut entries = read(obj);
    if entries.is_empty() {
        return;
    }
    forget_removed(&mut entries, obj);
    write(obj, entries);
}

fn forget_removed(entries: &mut [Entry], obj: &Value) {
    for entry in entries.iter_mut() {
        for path in entry.fields.leaves() {
            if value_at(obj, trim_marker(&path)).is_none() {
                entry.fields.remove(&path);
            }
        }
    }
}

fn trim_marker(path: &Path) -> &[String] {
    match path.split_last() {
        Some((last, rest)) if last == "." => rest,
        _ => path,
    }
}

fn conflicts(
    entries: &[Entry],
    manager: &str,
    new_set: &FieldSet,
    live: &Value,
    applied: &Value,
) -> Vec<(String, Path)> {
    let mut found = Vec::new();
    for path in new_set
        .leaves()
        .into_iter()
        .filter(|p| p.last().map(String::as_str) != Some("."))
    {
        if value_at(live, &path) == value_at(applied, &path) {
            continue;
        }
        for e in entries
            .iter()
            .filter(|e| e.manager != manager && e.fields.has_leaf(&path))
        {
            found.push((e.manager.clone(), path.clone()));
        }
    }
    found
}

fn conflict_error(desc: &ResourceDescriptor, live: &Value, conflicts: &[(String, Path)]) -> Error {
    let causes: Vec<Cause> = conflicts
        .iter()
        .map(|(owner, path)| {
            Cause::new(
                "FieldManagerConflict",
                dotted(path),
                format!("conflict with \"{owner}\""),
            )
        })
        .collect();
    let listed: Vec<String> = causes
        .iter()
        .map(|c| format!("{}: {}", c.message, c.field))
        .collect();
    let message = format!(
        "Apply failed with {} conflict{}: {}",
        causes.len(),
        if causes.len() == 1 { "" } else { "s" },
        listed.join(", ")
    );
    let mut err = Error::conflict(&desc.group, &desc.plural, meta::name(live), message);
    if let Error::Conflict { causes: slot, .. } = &mut err {
        *slot = causes;
    }
    err
}

/// `.spec.containers[name="app"].image` style, as the real conflict messages print paths.
fn dotted(path: &Path) -> String {
    let mut out = String::new();
    for element in path {
        if let Some(field) = element.strip_prefix("f:") {
            out.push('.');
            out.push_str(field);
        } else if let Some(key) = element.strip_prefix("k:") {
            let parsed: Value = serde_json::from_str(key).unwrap_or(Value::Null);
            let parts: Vec<String> = parsed
                .as_object()
                .into_iter()
                .flatten()
                .map(|(k, v)| format!("{k}={v}"))
                .collect();
            out.push_str(&format!("[{}]", parts.join(",")));
        } else if let Some(value) = element.strip_prefix("v:") {
            out.push_str(&format!("[{value}]"));
        }
    }
    out
}

/// Records a non-apply write (create, update, non-apply patch) as kube-apiserver does on
/// every one: `writer` takes ownership of every field whose value changed (all fields on
/// create) in its `Update` entry for this apiVersion and subresource, other managers lose
/// those fields, and fields the write removed leave every manager. A write that changes no
/// field leaves the entries, and their times, as they were.
pub fn record_update(
    desc: &ResourceDescriptor,
    old: Option<&Value>,
    new: &mut Value,
    writer: Writer,
) {
    let lists = list_kinds(desc);
    let mut entries = old.map(read).unwrap_or_default();
    forget_removed(&mut entries, new);
    let changed: Vec<Path> = FieldSet::of(new, &lists)
        .leaves()
        .into_iter()
        .filter(|p| old.is_none_or(|o| value_at(o, p) != value_at(new, p)))
        .collect();
    if changed.is_empty() {
        write(new, entries);
        return;
    }
    for e in entries.iter_mut() {
        for path in &changed {
            e.fields.remove(path);
        }
    }
    let api_version = desc.api_version();
    let position = entries
        .iter()
        .position(|e| e.is_update_of(writer, &api_version));
    let mut entry = match position {
        Some(i) => entries.remove(i),
        None => Entry {
            manager: writer.manager.into(),
            operation: "Update".into(),
            api_version,
            subresource: writer.subresource.into(),
            time: String::new(),
            fields: FieldSet::default(),
        },
    };
    for path in &changed {
        entry.fields.insert(path);
    }
    entry.time = meta::now_timestamp();
    entries.push(entry);
    write(new, entries);
}

#[cfg(test)]
mod tests;
