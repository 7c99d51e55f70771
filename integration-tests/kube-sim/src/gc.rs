//! Garbage collection by `ownerReferences`, the part of kube-controller-manager clients
//! notice: once an object is gone, dependents with no remaining owner are deleted
//! (`Background` propagation; those with finalizers get `deletionTimestamp`), and
//! `Orphan` deletion strips the owner's references from its dependents instead.

use std::collections::HashSet;

use serde_json::{Value, json};

use crate::meta;
use crate::resources::ResourceKey;
use crate::store::State;

fn owner_uids(obj: &Value) -> Vec<String> {
    let refs = obj
        .pointer("/metadata/ownerReferences")
        .and_then(Value::as_array);
    let uids = refs
        .into_iter()
        .flatten()
        .filter_map(|r| r["uid"].as_str().map(String::from));
    uids.collect()
}

/// Every (collection, object) that lists `owner` among its owners.
fn dependents(state: &State, owner: &str) -> Vec<(ResourceKey, Value)> {
    let mut found = Vec::new();
    for key in state.resource_keys() {
        let objects = state.collection(&key).into_iter().flat_map(|c| c.values());
        for obj in objects.filter(|o| owner_uids(o).iter().any(|u| u == owner)) {
            found.push((key.clone(), obj.clone()));
        }
    }
    found
}

fn live_uids(state: &State) -> HashSet<String> {
    let mut uids = HashSet::new();
    for key in state.resource_keys() {
        for obj in state.collection(&key).into_iter().flat_map(|c| c.values()) {
            uids.insert(meta::uid(obj).to_string());
        }
    }
    uids
}

/// Deletes what depended only on the removed object `owner_uid`, transitively.
pub fn collect(state: &mut State, owner_uid: &str) {
    let mut pending = vec![owner_uid.to_string()];
    while let Some(owner) = pending.pop() {
        let live = live_uids(state);
        for (key, obj) in dependents(state, &owner) {
            if owner_uids(&obj).iter().any(|u| live.contains(u)) {
                continue;
            }
            if meta::finalizers(&obj).is_empty() {
                state.remove(&key, meta::namespace(&obj), meta::name(&obj));
                pending.push(meta::uid(&obj).to_string());
            } else if !meta::is_deleting(&obj) {
                let mut marked = obj.clone();
                let m = meta::metadata_mut(&mut marked);
                m.insert("deletionTimestamp".into(), json!(meta::now_timestamp()));
                m.insert("deletionGracePeriodSeconds".into(), json!(0));
                state.replace(&key, marked);
            }
        }
    }
}

/// Removes references to `owner_uid` from its dependents, which then outlive it.
pub fn orphan(state: &mut State, owner_uid: &str) {
    for (key, mut obj) in dependents(state, owner_uid) {
        let refs = obj
            .pointer_mut("/metadata/ownerReferences")
            .and_then(Value::as_array_mut);
        if let Some(refs) = refs {
            refs.retain(|r| r["uid"].as_str() != Some(owner_uid));
        }
        state.replace(&key, obj);
    }
}
