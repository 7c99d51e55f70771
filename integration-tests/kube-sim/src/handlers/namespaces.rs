//! Namespace rules: writes need an active namespace, and deleting a namespace deletes its
//! contents (honouring their finalizers) before the namespace itself goes.

use serde_json::{Value, json};

use crate::error::{Error, Result};
use crate::meta;
use crate::resources::{ResourceDescriptor, ResourceKey};
use crate::store::State;

fn namespaces_key() -> ResourceKey {
    ResourceKey {
        group: String::new(),
        plural: "namespaces".into(),
    }
}

pub fn is_namespaces(desc: &ResourceDescriptor) -> bool {
    desc.group.is_empty() && desc.plural == "namespaces"
}

/// The namespaces every cluster starts with.
pub fn seed_namespaces(state: &mut State) {
    for name in ["default", "kube-system", "kube-public", "kube-node-lease"] {
        let mut ns = json!({"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": name}});
        let meta = meta::metadata_mut(&mut ns);
        meta.insert("uid".into(), json!(uuid::Uuid::new_v4().to_string()));
        meta.insert("creationTimestamp".into(), json!(meta::now_timestamp()));
        meta.insert(
            "labels".into(),
            json!({"kubernetes.io/metadata.name": name}),
        );
        prepare_namespace(&mut ns);
        state.insert(&namespaces_key(), ns);
    }
}

/// What the namespace strategy adds on create: the `kubernetes` finalizer and the name label.
pub fn prepare_create(desc: &ResourceDescriptor, obj: &mut Value) {
    if !is_namespaces(desc) {
        return;
    }
    let name = meta::name(obj).to_string();
    if !name.is_empty() {
        let meta = meta::metadata_mut(obj);
        let labels = meta.entry("labels").or_insert_with(|| json!({}));
        labels["kubernetes.io/metadata.name"] = json!(name);
    }
    prepare_namespace(obj);
}

fn prepare_namespace(obj: &mut Value) {
    if obj.pointer("/spec/finalizers").is_none() {
        obj["spec"] = json!({"finalizers": ["kubernetes"]});
    }
    obj["status"] = json!({"phase": "Active"});
}

/// Namespaced creates need the namespace to exist and not be terminating.
pub fn check_accepts_writes(
    state: &State,
    desc: &ResourceDescriptor,
    namespace: &str,
) -> Result<()> {
    if !desc.namespaced {
        return Ok(());
    }
    let ns = state.get(&namespaces_key(), "", namespace);
    let ns = ns.ok_or_else(|| Error::not_found("", "namespaces", namespace))?;
    if meta::is_deleting(ns) {
        return Err(Error::Forbidden(format!(
            "{} \"{}\" is forbidden: unable to create new content in namespace {namespace} \
             because it is being terminated",
            desc.plural,
            meta::name(ns)
        )));
    }
    Ok(())
}

/// Drives a terminating namespace towards removal: deletes what it contains (objects with
/// finalizers only get `deletionTimestamp`), and removes the namespace once it is empty.
pub fn reconcile(state: &mut State, namespace: &str) {
    let deleting = state
        .get(&namespaces_key(), "", namespace)
        .is_some_and(meta::is_deleting);
    if namespace.is_empty() || !deleting {
        return;
    }
    let mut remaining = 0;
    for key in state.resource_keys() {
        let contents: Vec<Value> = state
            .collection(&key)
            .into_iter()
            .flat_map(|c| c.values())
            .filter(|o| meta::namespace(o) == namespace)
            .cloned()
            .collect();
        for obj in contents {
            if meta::finalizers(&obj).is_empty() {
                state.remove(&key, namespace, meta::name(&obj));
                continue;
            }
            remaining += 1;
            if !meta::is_deleting(&obj) {
                let mut marked = obj.clone();
                let meta = meta::metadata_mut(&mut marked);
                meta.insert("deletionTimestamp".into(), json!(meta::now_timestamp()));
                meta.insert("deletionGracePeriodSeconds".into(), json!(0));
                state.replace(&key, marked);
            }
        }
    }
    if remaining == 0 {
        state.remove(&namespaces_key(), "", namespace);
    }
}
