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
//!
//! # Deletion policy
//! Every listed, owned snapshot's copies get the policy [`crate::deletion`] decides from how
//! many copies it has: new copies are created with it, and the contents of live copies whose
//! policy differs are patched ([`Action::SetDeletionPolicy`]). Only contents that are not being
//! deleted and whose `VolumeSnapshot` exists are patched, and a content whose
//! `VolumeSnapshot` is terminating is only ever switched to `Retain`: a user who deleted a
//! copy gets what its policy said at that moment. Patches to `Retain` come first in
//! [`Plan::actions`] and [`crate::apply`] finishes them before it imports.

use std::collections::BTreeSet;

use jiff::Timestamp;
use snapshot_domain::imported::SnapshotOrigin;
use snapshot_k8s::upstream::DeletionPolicy;
use tracing::warn;

use crate::{
    cache::Expectation,
    deletion,
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
        snapshot_id: String,
        namespace: String,
        name: String,
        deleting: bool,
        finalized: bool,
    },
    /// Patch the `deletionPolicy` of a live copy's content.
    SetDeletionPolicy {
        snapshot_id: String,
        namespace: String,
        content: String,
        policy: DeletionPolicy,
    },
}

impl Action {
    /// Whether the action makes a content `Retain`, which must be done before new copies of
    /// the same snapshot appear.
    pub fn protects(&self) -> bool {
        matches!(
            self,
            Action::SetDeletionPolicy {
                policy: DeletionPolicy::Retain,
                ..
            }
        )
    }

    /// The ECS snapshot the action is about.
    pub fn snapshot_id(&self) -> &str {
        match self {
            Action::Import { copy, .. } => copy.origin.snapshot_id(),
            Action::DeleteSnapshot { snapshot_id, .. }
            | Action::RemoveContent { snapshot_id, .. }
            | Action::SetDeletionPolicy { snapshot_id, .. } => snapshot_id,
        }
    }

    /// What the caches show once a delete is done (creates and patches are expected by the
    /// version their response carries).
    pub fn deleted(&self) -> Option<Expectation> {
        match self {
            Action::DeleteSnapshot {
                snapshot_id,
                namespace,
            } => Some(Expectation::SnapshotDeleted {
                key: (snapshot_id.clone(), namespace.clone()),
            }),
            Action::RemoveContent {
                snapshot_id,
                namespace,
                ..
            } => Some(Expectation::ContentRemoved {
                key: (snapshot_id.clone(), namespace.clone()),
            }),
            Action::Import { .. } | Action::SetDeletionPolicy { .. } => None,
        }
    }
}

/// Configuration the plan applies to every copy.
#[derive(Debug, Clone)]
pub struct Rules {
    /// `volumeSnapshotClassName` of new copies.
    pub class: String,
    /// Deletion policy of a snapshot's only copy (resolved from the class).
    pub single_copy: DeletionPolicy,
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
    rules: &Rules,
) -> Plan {
    let mut plan = Plan::default();
    for snapshot in observed.iter().filter(|s| s.is_accomplished()) {
        if gone.contains(&snapshot.snapshot_id) {
            continue;
        }
        let Some(owner) = ownership.owner_of(snapshot) else {
            continue;
        };
        let id = &snapshot.snapshot_id;
        let policy = deletion::for_copies(copies(id, &owner.namespaces, held), rules.single_copy);
        set_policies(&mut plan, id, held, policy);
        for namespace in &owner.namespaces {
            let key = (id.clone(), namespace.clone());
            let copy = held.get(&key).cloned().unwrap_or_default();
            let target = Target {
                owner: &owner,
                namespace,
                class: &rules.class,
                policy,
            };
            import(&mut plan, snapshot, &target, &copy);
        }
    }
    plan.actions.sort_by_key(|a| !a.protects());

    for ((id, namespace), copy) in held {
        if gone.contains(id) {
            remove(&mut plan, id, namespace, copy);
        }
    }
    plan
}

/// Where one copy goes and what it carries.
struct Target<'a> {
    owner: &'a Owner,
    namespace: &'a str,
    class: &'a str,
    policy: DeletionPolicy,
}

/// The held copies of snapshot `id`, by namespace.
fn held_of<'a>(id: &'a str, held: &'a HeldCopies) -> impl Iterator<Item = (&'a str, &'a Held)> {
    held.range((id.to_owned(), String::new())..)
        .take_while(move |((held_id, _), _)| held_id == id)
        .map(|((_, ns), copy)| (ns.as_str(), copy))
}

/// How many copies snapshot `id` has: the target namespaces where a user did not delete the
/// copy, plus every namespace that still holds a `VolumeSnapshot` of it.
fn copies(id: &str, targets: &[String], held: &HeldCopies) -> usize {
    let dismissed = |ns: &str| {
        let copy = held.get(&(id.to_owned(), ns.to_owned()));
        copy.is_some_and(|c| c.snapshot.is_none() && c.content.is_some())
    };
    let mut namespaces: BTreeSet<&str> = targets
        .iter()
        .map(String::as_str)
        .filter(|ns| !dismissed(ns))
        .collect();
    namespaces.extend(
        held_of(id, held)
            .filter(|(_, c)| c.snapshot.is_some())
            .map(|(ns, _)| ns),
    );
    namespaces.len()
}

/// Patches the contents of live copies of `id` whose policy differs from `policy`.
fn set_policies(plan: &mut Plan, id: &str, held: &HeldCopies, policy: DeletionPolicy) {
    for (namespace, copy) in held_of(id, held) {
        let (Some(vs), Some(content)) = (&copy.snapshot, &copy.content) else {
            continue;
        };
        let settled = content.deletion_policy == Some(policy);
        let towards_delete = policy == DeletionPolicy::Delete;
        if settled || content.terminating || (vs.terminating && towards_delete) {
            continue;
        }
        plan.actions.push(Action::SetDeletionPolicy {
            snapshot_id: id.to_owned(),
            namespace: namespace.to_owned(),
            content: content.name.clone(),
            policy,
        });
    }
}

fn import(plan: &mut Plan, snapshot: &EcsSnapshot, target: &Target<'_>, held: &Held) {
    let with_snapshot = match (&held.snapshot, &held.content) {
        (None, None) => true,
        (Some(_), None) => false,
        (None, Some(_)) => {
            plan.dismissed += 1;
            return;
        }
        (Some(_), Some(_)) => return,
    };
    let copy = match copy_spec(snapshot, target) {
        Ok(copy) => copy,
        Err(e) => {
            warn!(
                snapshot = snapshot.snapshot_id,
                namespace = target.namespace,
                error = %e,
                "cannot import"
            );
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
    target: &Target<'_>,
) -> Result<CopySpec, crate::ReconcilerError> {
    let owner = target.owner;
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
        namespace: target.namespace.to_owned(),
        driver: owner.driver.clone(),
        class: target.class.to_owned(),
        deletion_policy: target.policy,
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
            snapshot_id: id.to_owned(),
            namespace: namespace.to_owned(),
            name: c.name.clone(),
            deleting: c.terminating,
            finalized: c.finalized,
        }),
        (None, None) => {}
    }
}

#[cfg(test)]
mod tests;
