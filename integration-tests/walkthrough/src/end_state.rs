//! What the cluster and ECS must hold after the walkthrough, however it got there: the
//! counting checks the fault scenario ends with (no duplicates, nothing leaked).
//!
//! # Guarantees
//! [`imported_pairs`] fails, naming the object, when any imported pair is duplicated,
//! half-bound, orphaned (its VolumeSnapshot or its ECS snapshot gone) or missing for a
//! finished ECS snapshot.

use std::collections::BTreeMap;

use ecs_sim::{SnapshotKind, StateDump};
use jiff::Timestamp;
use kube::api::{DynamicObject, ListParams};

use crate::standins::{DISK_DRIVER, all_vs, vsc_resource};
use crate::{Environment, WalkthroughError};

/// The imported pairs, by ECS snapshot ID: `namespace/name` of the VolumeSnapshot.
pub type Pairs = BTreeMap<String, String>;

/// Checks that every finished ECS snapshot has exactly one bound, ready
/// VolumeSnapshotContent + VolumeSnapshot pair, and that no other pair exists.
pub async fn imported_pairs(
    env: &Environment,
    state: &StateDump,
) -> Result<Pairs, WalkthroughError> {
    let contents: kube::Api<DynamicObject> = kube::Api::all_with(env.kube.clone(), &vsc_resource());
    let contents = contents.list(&ListParams::default()).await?.items;
    let snapshots = all_vs(&env.kube).list(&ListParams::default()).await?.items;

    let mut pairs = Pairs::new();
    for content in contents
        .iter()
        .filter(|c| c.data["spec"]["driver"] == DISK_DRIVER)
    {
        let (handle, vs) = bound_pair(content, &snapshots)?;
        if let Some(earlier) = pairs.insert(handle.clone(), vs.clone()) {
            return mismatch(format!(
                "snapshot {handle} imported twice: {earlier} and {vs}"
            ));
        }
    }
    if snapshots.len() != pairs.len() {
        let names: Vec<String> = snapshots.iter().map(full_name).collect();
        let detail = format!(
            "{} VolumeSnapshots for {} contents",
            names.len(),
            pairs.len()
        );
        return mismatch(format!("{detail}: {names:?}"));
    }

    let finished: Vec<&str> = state
        .snapshots
        .iter()
        .filter(|s| s.status == "accomplished")
        .map(|s| s.snapshot.id.as_str())
        .collect();
    if let Some(orphan) = pairs.keys().find(|id| !finished.contains(&id.as_str())) {
        return mismatch(format!(
            "{orphan} is imported but not a finished ECS snapshot"
        ));
    }
    if let Some(missing) = finished.iter().find(|id| !pairs.contains_key(**id)) {
        return mismatch(format!("finished ECS snapshot {missing} is not imported"));
    }
    Ok(pairs)
}

/// The content's snapshot handle and its VolumeSnapshot, which must point back at it and be
/// ready.
fn bound_pair(
    content: &DynamicObject,
    snapshots: &[DynamicObject],
) -> Result<(String, String), WalkthroughError> {
    let name = content.metadata.name.clone().unwrap_or_default();
    let handle = content.data["spec"]["source"]["snapshotHandle"]
        .as_str()
        .unwrap_or_default()
        .to_owned();
    let reference = &content.data["spec"]["volumeSnapshotRef"];
    let (ns, vs_name) = (
        reference["namespace"].as_str().unwrap_or_default(),
        reference["name"].as_str().unwrap_or_default(),
    );
    let vs = snapshots.iter().find(|vs| {
        vs.metadata.namespace.as_deref() == Some(ns) && vs.metadata.name.as_deref() == Some(vs_name)
    });
    let Some(vs) = vs else {
        return mismatch(format!(
            "content {name} ({handle}): VolumeSnapshot {ns}/{vs_name} gone"
        ));
    };
    if vs.data["spec"]["source"]["volumeSnapshotContentName"] != name.as_str() {
        return mismatch(format!("{ns}/{vs_name} does not name content {name}"));
    }
    if vs.data["status"]["readyToUse"] != true {
        return mismatch(format!("{ns}/{vs_name} ({handle}) is not ready"));
    }
    Ok((handle, format!("{ns}/{vs_name}")))
}

fn full_name(object: &DynamicObject) -> String {
    let ns = object.metadata.namespace.clone().unwrap_or_default();
    format!("{ns}/{}", object.metadata.name.clone().unwrap_or_default())
}

fn mismatch<T>(detail: String) -> Result<T, WalkthroughError> {
    Err(WalkthroughError::Mismatch(detail))
}

/// How many snapshots of `kind` ECS holds of `disk`.
pub fn count_of(state: &StateDump, disk: &str, kind: SnapshotKind) -> usize {
    state
        .snapshots
        .iter()
        .filter(|s| s.snapshot.source_disk_id == disk && s.snapshot.kind == kind)
        .count()
}

/// How many automatic snapshots a disk carrying `policy` since `from` holds at `now`: one per
/// firing in `(from, now]` whose retention has not run out.
pub fn expected_auto_snapshots(policy: &ecs_sim::Policy, from: Timestamp, now: Timestamp) -> usize {
    let keep = policy.retention_days * 24 * 3600;
    let mut count = 0;
    let mut at = from;
    while let Some(next) = ecs_sim::next_firing(&policy.time_points, &policy.repeat_weekdays, at) {
        if next > now {
            break;
        }
        if policy.retention_days < 0 || next.as_second() + keep > now.as_second() {
            count += 1;
        }
        at = next;
    }
    count
}
