//! The desired disk → policy map, computed from the cluster alone: scheduled VSPs' selectors
//! over bound, managed PVCs, with one winner per disk (`snapshot_domain::conflict`).

use std::collections::{BTreeMap, BTreeSet};

use k8s_openapi::api::core::v1::{PersistentVolume, PersistentVolumeClaim};
use kube::ResourceExt;
use snapshot_domain::{
    Timestamp,
    conflict::{PolicyClaim, winner},
    schedule::ScheduleZone,
};
use snapshot_k8s::{
    managed::{DiskDrivers, bound_pv_name, resolve},
    selector::PvcMatcher,
    vsp::{VolumeSnapshotPolicy, validate},
};
use tracing::debug;

use crate::plan::Want;

/// A PVC, as `namespace/name` and as the pieces to find it again.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct PvcRef {
    pub namespace: String,
    pub name: String,
}

impl std::fmt::Display for PvcRef {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}/{}", self.namespace, self.name)
    }
}

/// One managed disk and the VSPs that select it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DesiredDisk {
    /// The PVC bound to the disk (the first by namespace/name if, unusually, several are).
    pub pvc: PvcRef,
    /// The winning VSP's name; `None` when no VSP selects the disk.
    pub winner: Option<String>,
    /// VSPs that select the disk but lost it, by name.
    pub losers: Vec<String>,
    /// What the disk should carry.
    pub want: Want,
}

/// A VSP that competes for disks.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Claimant {
    pub claim: PolicyClaim,
    /// `status.ecsPolicyId`, once policy-listener has created the ECS policy.
    pub ecs_policy_id: Option<String>,
}

/// The desired state of the cluster's managed disks.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Desired {
    /// Disk ID → desired state, for every managed disk.
    pub disks: BTreeMap<String, DesiredDisk>,
    /// VSP name → claimant, for every VSP that competes for disks.
    pub claimants: BTreeMap<String, Claimant>,
    /// Every ECS policy ID recorded in any VSP's status: policies of this cluster.
    pub our_policy_ids: BTreeSet<String>,
    /// PVCs that are not managed, counted by reason (`Unbound`, `OtherDriver`, …).
    pub unmanaged: BTreeMap<&'static str, usize>,
}

impl Desired {
    /// What each disk wants, for [`crate::plan::plan`].
    pub fn wants(&self) -> BTreeMap<String, Want> {
        let wants = self
            .disks
            .iter()
            .map(|(d, disk)| (d.clone(), disk.want.clone()));
        wants.collect()
    }
}

/// Computes the desired state as of `now` (a schedule's conversion to ECS's zone depends on
/// it). `pvs` is looked up by name.
pub fn compute<'a>(
    vsps: impl IntoIterator<Item = &'a VolumeSnapshotPolicy>,
    pvcs: impl IntoIterator<Item = &'a PersistentVolumeClaim>,
    pvs: &BTreeMap<String, &'a PersistentVolume>,
    drivers: &DiskDrivers,
    default_zone: &ScheduleZone,
    now: Timestamp,
) -> Desired {
    let mut desired = Desired::default();
    let mut matchers = Vec::new();
    for vsp in vsps {
        if let Some(id) = vsp.status.as_ref().and_then(|s| s.ecs_policy_id.clone()) {
            desired.our_policy_ids.insert(id);
        }
        if let Some((claimant, matcher)) = competes(vsp, default_zone, now) {
            matchers.push((claimant.claim.name.clone(), matcher));
            desired
                .claimants
                .insert(claimant.claim.name.clone(), claimant);
        }
    }

    let mut selections: BTreeMap<String, (PvcRef, BTreeSet<String>)> = BTreeMap::new();
    for pvc in pvcs {
        let pv = bound_pv_name(pvc).and_then(|name| pvs.get(name).copied());
        let disk = match resolve(pvc, pv, drivers) {
            Ok(disk) => disk,
            Err(why) => {
                debug!(pvc = %pvc_ref(pvc), reason = why.reason(), %why, "PVC not managed");
                *desired.unmanaged.entry(why.reason()).or_default() += 1;
                continue;
            }
        };
        let labels = pvc.labels();
        let selecting = matchers.iter().filter(|(_, m)| m.matches(labels));
        let entry = selections
            .entry(disk.disk_id)
            .or_insert_with(|| (pvc_ref(pvc), BTreeSet::new()));
        entry.0 = entry.0.clone().min(pvc_ref(pvc));
        entry.1.extend(selecting.map(|(name, _)| name.clone()));
    }

    for (disk_id, (pvc, selecting)) in selections {
        let disk = decide(pvc, &selecting, &desired.claimants);
        desired.disks.insert(disk_id, disk);
    }
    desired
}

/// The claimant and matcher of a VSP that may own disks: scheduled, live, stored, and valid by
/// `snapshot_k8s::vsp::validate`, the check behind policy-listener's `InvalidSpec`. A policy
/// policy-listener refuses never gets an ECS policy ID; were it to win a disk, the disk would
/// wait for that ID forever.
fn competes(
    vsp: &VolumeSnapshotPolicy,
    zone: &ScheduleZone,
    now: Timestamp,
) -> Option<(Claimant, PvcMatcher)> {
    let claim = vsp.disk_claim()?;
    let matcher = match validate(&vsp.spec, zone, now) {
        Ok(valid) => valid.selector,
        Err(e) => {
            debug!(vsp = %claim.name, error = %e, "invalid spec: the policy claims no disk");
            return None;
        }
    };
    let ecs_policy_id = vsp.status.as_ref().and_then(|s| s.ecs_policy_id.clone());
    let claimant = Claimant {
        claim,
        ecs_policy_id,
    };
    Some((claimant, matcher))
}

fn decide(
    pvc: PvcRef,
    selecting: &BTreeSet<String>,
    claimants: &BTreeMap<String, Claimant>,
) -> DesiredDisk {
    let claims = selecting
        .iter()
        .filter_map(|n| claimants.get(n))
        .map(|c| &c.claim);
    let Some(won) = winner(claims).map(|c| c.name.clone()) else {
        return DesiredDisk {
            pvc,
            winner: None,
            losers: Vec::new(),
            want: Want::Nothing,
        };
    };
    let want = match &claimants[&won].ecs_policy_id {
        Some(id) => Want::Policy(id.clone()),
        None => Want::Pending,
    };
    let losers = selecting.iter().filter(|n| **n != won).cloned().collect();
    DesiredDisk {
        pvc,
        winner: Some(won),
        losers,
        want,
    }
}

fn pvc_ref(pvc: &PersistentVolumeClaim) -> PvcRef {
    PvcRef {
        namespace: pvc.namespace().unwrap_or_default(),
        name: pvc.name_any(),
    }
}

#[cfg(test)]
mod tests;
