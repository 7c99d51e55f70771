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

use std::collections::BTreeMap;

use k8s_openapi::api::core::v1::{PersistentVolume, PersistentVolumeClaim};
use kube::core::{Selector, SelectorExt};
use snapshot_domain::conflict::{PolicyClaim, winner};
use tracing::{debug, warn};

use crate::{ecs::EcsSnapshot, policy_view::PolicyView};

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

/// Ownership of snapshots, computed from one consistent read of policies, PVCs and PVs.
#[derive(Debug, Default)]
pub struct Ownership {
    disks: BTreeMap<String, ManagedDisk>,
    scheduled: BTreeMap<String, PolicyView>,
    once: BTreeMap<String, PolicyView>,
    default_driver: String,
}

impl Ownership {
    /// `drivers` lists the CSI drivers whose volumes are managed; the first is recorded on the
    /// copies of snapshots whose disk is no longer bound.
    pub fn build(
        policies: Vec<PolicyView>,
        pvcs: &[PersistentVolumeClaim],
        pvs: &[PersistentVolume],
        drivers: &[String],
    ) -> Self {
        let disks = managed_disks(pvcs, pvs, drivers);
        let mut scheduled = BTreeMap::new();
        let mut once = BTreeMap::new();
        for policy in policies.into_iter().filter(|p| !p.deleting) {
            if policy.repeat_once {
                for id in policy.once_snapshots.keys() {
                    once.insert(id.clone(), policy.clone());
                }
            } else {
                scheduled.insert(policy.name.clone(), policy);
            }
        }
        let scheduled = claims_per_disk(&disks, scheduled);
        Self {
            disks,
            scheduled,
            once,
            default_driver: drivers.first().cloned().unwrap_or_default(),
        }
    }

    /// The owner of `snapshot`, or `None` when no policy claims it.
    pub fn owner_of(&self, snapshot: &EcsSnapshot) -> Option<Owner> {
        if let Some(policy) = self.once.get(&snapshot.snapshot_id) {
            return self.once_owner(policy, snapshot);
        }
        if snapshot.snapshot_type != "auto" {
            return None;
        }
        let policy = self.scheduled.get(&snapshot.disk_id)?;
        if snapshot.created_at < policy.created {
            debug!(
                snapshot = snapshot.snapshot_id,
                policy = policy.name,
                "predates the policy"
            );
            return None;
        }
        let disk = &self.disks[&snapshot.disk_id];
        let pvc = (disk.pvc_namespace.clone(), disk.pvc_name.clone());
        Some(Owner {
            policy: policy.name.clone(),
            namespaces: targets(policy, Some(&pvc.0))?,
            pvc: Some(pvc),
            driver: disk.driver.clone(),
        })
    }

    fn once_owner(&self, policy: &PolicyView, snapshot: &EcsSnapshot) -> Option<Owner> {
        let recorded = policy.once_snapshots[&snapshot.snapshot_id].pvc.as_deref();
        let pvc = recorded
            .and_then(|p| p.split_once('/'))
            .map(|(ns, name)| (ns.to_owned(), name.to_owned()));
        let driver = self
            .disks
            .get(&snapshot.disk_id)
            .map(|d| d.driver.clone())
            .unwrap_or_else(|| self.default_driver.clone());
        Some(Owner {
            policy: policy.name.clone(),
            namespaces: targets(policy, pvc.as_ref().map(|p| p.0.as_str()))?,
            pvc,
            driver,
        })
    }
}

fn targets(policy: &PolicyView, pvc_namespace: Option<&str>) -> Option<Vec<String>> {
    if !policy.namespaces.is_empty() {
        return Some(policy.namespaces.clone());
    }
    pvc_namespace.map(|ns| vec![ns.to_owned()])
}

/// Disk ID to the scheduled policy that wins it.
fn claims_per_disk(
    disks: &BTreeMap<String, ManagedDisk>,
    policies: BTreeMap<String, PolicyView>,
) -> BTreeMap<String, PolicyView> {
    let selectors: Vec<(&PolicyView, Selector)> = policies
        .values()
        .filter_map(|p| match Selector::try_from(p.selector.clone()) {
            Ok(s) => Some((p, s)),
            Err(e) => {
                warn!(policy = p.name, error = %e, "skipping a policy with an unusable selector");
                None
            }
        })
        .collect();

    let mut owners = BTreeMap::new();
    for (disk_id, disk) in disks {
        let claims: Vec<PolicyClaim> = selectors
            .iter()
            .filter(|(_, s)| s.matches(&disk.labels))
            .map(|(p, _)| PolicyClaim::new(p.name.clone(), p.created))
            .collect();
        if let Some(won) = winner(&claims) {
            owners.insert(disk_id.clone(), policies[&won.name].clone());
        }
    }
    owners
}

fn managed_disks(
    pvcs: &[PersistentVolumeClaim],
    pvs: &[PersistentVolume],
    drivers: &[String],
) -> BTreeMap<String, ManagedDisk> {
    let volumes: BTreeMap<&str, (&str, &str)> = pvs
        .iter()
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

#[cfg(test)]
mod tests;
