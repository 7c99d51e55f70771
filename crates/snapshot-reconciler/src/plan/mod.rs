//! What to change, decided from one observation: a pure function, so every rule is tested
//! without a cluster.
//!
//! # Rules per copy (snapshot ID, namespace)
//! | ECS | `VolumeSnapshot` | content | action |
//! |---|---|---|---|
//! | accomplished, owned, namespace targeted | absent | absent | import (snapshot, then content) |
//! | same | present | absent | create the content (an import was interrupted) |
//! | same | absent | present | nothing: the user deleted this copy, and stays obeyed |
//! | gone | present, not terminating | any | delete the `VolumeSnapshot` |
//! | gone | terminating | any | nothing until it is gone (a restore may still use it) |
//! | gone | absent | present | delete the content and release the record finalizer |
//! | anything else | | | nothing |
//!
//! The `VolumeSnapshot` is created before its content so that a content without a snapshot
//! always means "deleted by a user", never "import interrupted".

use std::collections::BTreeSet;

use jiff::Timestamp;
use snapshot_domain::imported::SnapshotOrigin;
use tracing::warn;

use crate::{
    ecs::EcsSnapshot,
    objects::{CopySpec, Held, HeldCopies},
    ownership::{Owner, Ownership},
};

/// One change to make.
#[derive(Debug, Clone)]
pub enum Action {
    /// Create the copy; `with_snapshot` is false when its `VolumeSnapshot` already exists.
    Import {
        copy: Box<CopySpec>,
        with_snapshot: bool,
        created_at: Timestamp,
    },
    /// Delete the `VolumeSnapshot` of a copy whose ECS snapshot is gone.
    DeleteSnapshot {
        snapshot_id: String,
        namespace: String,
    },
    /// Delete a content (if not already deleting) and release its record finalizer.
    RemoveContent {
        name: String,
        deleting: bool,
        finalized: bool,
    },
}

/// The actions of one pass, and what was left alone on purpose.
#[derive(Debug, Default)]
pub struct Plan {
    pub actions: Vec<Action>,
    /// Copies not imported again because a user deleted them.
    pub dismissed: usize,
    /// `VolumeSnapshot`s of gone snapshots that are still terminating.
    pub waiting: usize,
}

/// Decides the actions for `observed` snapshots and `gone` IDs against what the cluster holds.
pub fn plan(
    observed: &[EcsSnapshot],
    gone: &BTreeSet<String>,
    ownership: &Ownership,
    held: &HeldCopies,
    class: &str,
) -> Plan {
    let mut plan = Plan::default();
    for snapshot in observed.iter().filter(|s| s.is_accomplished()) {
        if gone.contains(&snapshot.snapshot_id) {
            continue;
        }
        let Some(owner) = ownership.owner_of(snapshot) else {
            continue;
        };
        for namespace in &owner.namespaces {
            let key = (snapshot.snapshot_id.clone(), namespace.clone());
            let copy = held.get(&key).cloned().unwrap_or_default();
            import(&mut plan, snapshot, &owner, namespace, &copy, class);
        }
    }

    for ((id, namespace), copy) in held {
        if gone.contains(id) {
            remove(&mut plan, id, namespace, copy);
        }
    }
    plan
}

fn import(
    plan: &mut Plan,
    snapshot: &EcsSnapshot,
    owner: &Owner,
    namespace: &str,
    held: &Held,
    class: &str,
) {
    let with_snapshot = match (&held.snapshot, &held.content) {
        (None, None) => true,
        (Some(_), None) => false,
        (None, Some(_)) => {
            plan.dismissed += 1;
            return;
        }
        (Some(_), Some(_)) => return,
    };
    let copy = match copy_spec(snapshot, owner, namespace, class) {
        Ok(copy) => copy,
        Err(e) => {
            warn!(snapshot = snapshot.snapshot_id, namespace, error = %e, "cannot import");
            return;
        }
    };
    plan.actions.push(Action::Import {
        copy: Box::new(copy),
        with_snapshot,
        created_at: snapshot.created_at,
    });
}

fn copy_spec(
    snapshot: &EcsSnapshot,
    owner: &Owner,
    namespace: &str,
    class: &str,
) -> Result<CopySpec, crate::ReconcilerError> {
    let mut origin = SnapshotOrigin::new(
        &snapshot.snapshot_id,
        &snapshot.disk_id,
        snapshot.created_at,
    )?
    .with_policy(&owner.policy)?;
    if let Some((ns, name)) = &owner.pvc {
        origin = origin.with_source_pvc(ns, name)?;
    }
    Ok(CopySpec {
        origin,
        namespace: namespace.to_owned(),
        driver: owner.driver.clone(),
        class: class.to_owned(),
    })
}

fn remove(plan: &mut Plan, id: &str, namespace: &str, held: &Held) {
    match (&held.snapshot, &held.content) {
        (Some(s), _) if s.terminating => plan.waiting += 1,
        (Some(_), _) => plan.actions.push(Action::DeleteSnapshot {
            snapshot_id: id.to_owned(),
            namespace: namespace.to_owned(),
        }),
        (None, Some(c)) => plan.actions.push(Action::RemoveContent {
            name: c.name.clone(),
            deleting: c.terminating,
            finalized: c.finalized,
        }),
        (None, None) => {}
    }
}

#[cfg(test)]
mod tests;
