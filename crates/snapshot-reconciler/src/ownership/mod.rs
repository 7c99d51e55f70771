//! Which policy an ECS snapshot belongs to, and so where its copies go.
//!
//! ECS snapshots do not name the automatic policy that took them, so ownership is derived:
//! - a snapshot whose ID a `repeatOnce` policy recorded in its status belongs to that policy;
//! - otherwise an `auto` snapshot of a managed disk belongs to the scheduled policy that owns
//!   the disk under `snapshot_domain::conflict` (oldest policy, then smallest name), provided
//!   the snapshot is not older than that policy: snapshots taken before the policy existed came
//!   from someone else's schedule.
//!
//! A disk is managed when a bound PVC's PersistentVolume uses one of the configured CSI
//! drivers; its `volumeHandle` is the disk ID.

use std::{collections::BTreeMap, sync::Arc};

use k8s_openapi::api::core::v1::{PersistentVolume, PersistentVolumeClaim};
use snapshot_domain::{
    Timestamp,
    conflict::{PolicyClaim, winner},
    schedule::ScheduleZone,
};
use snapshot_k8s::{
    selector::PvcMatcher,
    vsp::{VolumeSnapshotPolicy, validate},
};
use tracing::{debug, warn};

use crate::ecs::EcsSnapshot;

/// A cloud disk behind a bound PVC of a managed CSI driver.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ManagedDisk {
    pub pvc_namespace: String,
    pub pvc_name: String,
    pub driver: String,
    labels: BTreeMap<String, String>,
}

/// Where the copies of one snapshot go and what they record.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Owner {
    pub policy: String,
    /// `(namespace, name)` of the PVC the disk was bound to.
    pub pvc: Option<(String, String)>,
    pub namespaces: Vec<String>,
    pub driver: String,
}

/// The scheduled policy that won a disk, with its claim (name and creation time).
#[derive(Debug, Clone)]
struct DiskOwner {
    policy: Arc<VolumeSnapshotPolicy>,
    claim: PolicyClaim,
}

/// A snapshot ID a repeatOnce policy recorded in its status.
#[derive(Debug, Clone)]
struct OnceRecord {
    policy: Arc<VolumeSnapshotPolicy>,
    name: String,
    /// `namespace/name` of the PVC, as recorded.
    pvc: Option<String>,
}

/// Ownership of snapshots, computed from one consistent read of policies, PVCs and PVs.
#[derive(Debug, Default)]
pub struct Ownership {
    disks: BTreeMap<String, ManagedDisk>,
    scheduled: BTreeMap<String, DiskOwner>,
    once: BTreeMap<String, OnceRecord>,
    /// `retentionDays` of every policy, by name.
    retention: BTreeMap<String, i32>,
    default_driver: String,
}

impl Ownership {
    /// `drivers` lists the CSI drivers whose volumes are managed; the first is recorded on the
    /// copies of snapshots whose disk is no longer bound. Policies being deleted own nothing,
    /// and neither do scheduled policies `snapshot_k8s::vsp::validate` refuses as of `now`
    /// (with `default_zone` for policies naming none): pvc-reconciler gives them no disk.
    pub fn build<'a>(
        policies: Vec<VolumeSnapshotPolicy>,
        pvcs: impl IntoIterator<Item = &'a PersistentVolumeClaim>,
        pvs: impl IntoIterator<Item = &'a PersistentVolume>,
        drivers: &[String],
        validity: (&ScheduleZone, Timestamp),
    ) -> Self {
        let disks = managed_disks(pvcs, pvs, drivers);
        let mut scheduled = Vec::new();
        let mut once = BTreeMap::new();
        let mut retention = BTreeMap::new();
        for policy in policies.into_iter().map(Arc::new) {
            if let Some(name) = &policy.metadata.name {
                retention.insert(name.clone(), policy.retention_days());
            }
            if policy.metadata.deletion_timestamp.is_some() {
                continue;
            }
            if policy.spec.snapshot_schedule.is_repeat_once() {
                once.extend(once_records(&policy));
            } else if let Some(claim) = policy.disk_claim() {
                scheduled.push(DiskOwner { policy, claim });
            }
        }

        Self {
            scheduled: claims_per_disk(&disks, scheduled, validity),
            disks,
            once,
            retention,
            default_driver: drivers.first().cloned().unwrap_or_default(),
        }
    }

    /// `retentionDays` of policy `name` (-1: kept forever), if it exists.
    pub fn retention_days(&self, name: &str) -> Option<i32> {
        self.retention.get(name).copied()
    }

    /// The owner of `snapshot`, or `None` when no policy claims it.
    pub fn owner_of(&self, snapshot: &EcsSnapshot) -> Option<Owner> {
        if let Some(record) = self.once.get(&snapshot.snapshot_id) {
            return self.once_owner(record, snapshot);
        }
        if snapshot.snapshot_type != "auto" {
            return None;
        }
        let owner = self.scheduled.get(&snapshot.disk_id)?;
        if snapshot.created_at < owner.claim.created {
            debug!(
                snapshot = snapshot.snapshot_id,
                policy = owner.claim.name,
                "predates the policy"
            );
            return None;
        }

        let disk = &self.disks[&snapshot.disk_id];
        let pvc = (disk.pvc_namespace.clone(), disk.pvc_name.clone());
        Some(Owner {
            policy: owner.claim.name.clone(),
            namespaces: targets(&owner.policy, Some(&pvc.0))?,
            pvc: Some(pvc),
            driver: disk.driver.clone(),
        })
    }

    fn once_owner(&self, record: &OnceRecord, snapshot: &EcsSnapshot) -> Option<Owner> {
        let pvc = record
            .pvc
            .as_deref()
            .and_then(|p| p.split_once('/'))
            .map(|(ns, name)| (ns.to_owned(), name.to_owned()));
        let driver = self
            .disks
            .get(&snapshot.disk_id)
            .map(|d| d.driver.clone())
            .unwrap_or_else(|| self.default_driver.clone());
        Some(Owner {
            policy: record.name.clone(),
            namespaces: targets(&record.policy, pvc.as_ref().map(|p| p.0.as_str()))?,
            pvc,
            driver,
        })
    }
}

/// Snapshot ID to record, for every snapshot ECS has returned an ID for.
fn once_records(policy: &Arc<VolumeSnapshotPolicy>) -> Vec<(String, OnceRecord)> {
    let Some(name) = policy.metadata.name.clone() else {
        return Vec::new();
    };
    let status = policy.status.as_ref().and_then(|s| s.repeat_once.as_ref());
    let entries = status.map(|s| s.snapshots.as_slice()).unwrap_or_default();
    entries
        .iter()
        .filter_map(|entry| {
            let record = OnceRecord {
                policy: Arc::clone(policy),
                name: name.clone(),
                pvc: entry.pvc.clone(),
            };
            Some((entry.snapshot_id.clone()?, record))
        })
        .collect()
}

/// `spec.volumeSnapshotNamespaces`, or the PVC's namespace when it names none.
fn targets(policy: &VolumeSnapshotPolicy, pvc_namespace: Option<&str>) -> Option<Vec<String>> {
    let named = policy.spec.volume_snapshot_namespaces.as_deref();
    if let Some(named) = named.filter(|n| !n.is_empty()) {
        return Some(named.to_vec());
    }
    pvc_namespace.map(|ns| vec![ns.to_owned()])
}

/// Disk ID to the scheduled policy that wins it.
fn claims_per_disk(
    disks: &BTreeMap<String, ManagedDisk>,
    policies: Vec<DiskOwner>,
    (default_zone, now): (&ScheduleZone, Timestamp),
) -> BTreeMap<String, DiskOwner> {
    let matchers: Vec<(DiskOwner, PvcMatcher)> = policies
        .into_iter()
        .filter_map(|p| match validate(&p.policy.spec, default_zone, now) {
            Ok(valid) => Some((p, valid.selector)),
            Err(e) => {
                warn!(
                    policy = p.claim.name,
                    error = %e,
                    "skipping an invalid policy: it owns no disk"
                );
                None
            }
        })
        .collect();

    let mut owners = BTreeMap::new();
    for (disk_id, disk) in disks {
        let selecting: Vec<&DiskOwner> = matchers
            .iter()
            .filter(|(_, m)| m.matches(&disk.labels))
            .map(|(p, _)| p)
            .collect();
        let won = winner(selecting.iter().map(|p| &p.claim))
            .and_then(|w| selecting.iter().find(|p| p.claim == *w));
        if let Some(won) = won {
            owners.insert(disk_id.clone(), (*won).clone());
        }
    }
    owners
}

fn managed_disks<'a>(
    pvcs: impl IntoIterator<Item = &'a PersistentVolumeClaim>,
    pvs: impl IntoIterator<Item = &'a PersistentVolume>,
    drivers: &[String],
) -> BTreeMap<String, ManagedDisk> {
    let volumes: BTreeMap<&str, (&str, &str)> = pvs
        .into_iter()
        .filter_map(|pv| {
            let csi = pv.spec.as_ref()?.csi.as_ref()?;
            let managed = drivers.contains(&csi.driver);
            managed.then(|| {
                let name = pv.metadata.name.as_deref().unwrap_or_default();
                (name, (csi.driver.as_str(), csi.volume_handle.as_str()))
            })
        })
        .collect();

    let mut disks = BTreeMap::new();
    for pvc in pvcs {
        let bound = pvc.status.as_ref().and_then(|s| s.phase.as_deref()) == Some("Bound");
        let volume = pvc.spec.as_ref().and_then(|s| s.volume_name.as_deref());
        let Some((driver, disk_id)) = volume.filter(|_| bound).and_then(|v| volumes.get(v)) else {
            continue;
        };
        disks.insert(
            (*disk_id).to_owned(),
            ManagedDisk {
                pvc_namespace: pvc.metadata.namespace.clone().unwrap_or_default(),
                pvc_name: pvc.metadata.name.clone().unwrap_or_default(),
                driver: (*driver).to_owned(),
                labels: pvc.metadata.labels.clone().unwrap_or_default(),
            },
        );
    }
    disks
}

/// What unit tests pass as `validity`: Shanghai, on a fixed day.
#[cfg(test)]
pub(crate) fn test_validity() -> (&'static ScheduleZone, Timestamp) {
    static ZONE: std::sync::LazyLock<ScheduleZone> =
        std::sync::LazyLock::new(|| ScheduleZone::named("Asia/Shanghai").unwrap());
    (&ZONE, "2026-12-03T00:00:00Z".parse().unwrap())
}

#[cfg(test)]
mod tests;
