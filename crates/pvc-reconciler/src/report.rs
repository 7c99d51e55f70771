//! What a pass tells people: Events on PVCs and losing VSPs, the VSP status fields this
//! controller owns, and a log line per pass that changed something.
//!
//! # Events
//! On transitions only (a disk gets or loses a policy, a new conflict, a newly seen foreign
//! policy or missing disk), at most [`MAX_EVENTS_PER_PASS`] per pass so that 1,000 new PVCs do
//! not flood the API server; the rest are counted in the pass's log line.

use std::{collections::BTreeMap, sync::Arc};

use controller_support::{events::EventPublisher, reasons, status::apply_status};
use k8s_openapi::api::core::v1::PersistentVolumeClaim;
use kube::{Api, Client};
use snapshot_k8s::vsp::{DiskConflict, VolumeSnapshotPolicy, VolumeSnapshotPolicyStatus};
use tracing::{debug, info, warn};

use crate::{
    ReconcilerError,
    desired::{Desired, PvcRef},
    pass::{Change, PassReport},
    plan::DiskState,
};

/// `(disk, policy)` pairs as one entry per disk, its policies joined (`sp-a, sp-b`): several
/// Events of one reason about one PVC within minutes fold into one series that keeps only the
/// first note, so each disk gets one note naming every policy found in the pass.
fn by_disk(pairs: &[(String, String)]) -> BTreeMap<&str, String> {
    let mut grouped: BTreeMap<&str, Vec<&str>> = BTreeMap::new();
    for (disk, policy) in pairs {
        grouped.entry(disk).or_default().push(policy);
    }
    let named = |list: Vec<&str>| match list.len() {
        1 => format!("ECS policy {}", list[0]),
        _ => format!("ECS policies {}", list.join(", ")),
    };
    grouped
        .into_iter()
        .map(|(disk, p)| (disk, named(p)))
        .collect()
}

/// Field manager of pvc-reconciler's status writes.
pub const FIELD_MANAGER: &str = "pvc-reconciler";
/// The status fields pvc-reconciler owns.
pub const OWNED_FIELDS: [&str; 2] = ["appliedVolumes", "conflicts"];
/// Events published per pass at most.
pub const MAX_EVENTS_PER_PASS: usize = 100;
/// Conflict entries kept in one VSP's status (the CRD's `maxItems`).
pub const MAX_CONFLICTS_IN_STATUS: usize = 100;

/// pvc-reconciler's part of `vsp`'s status: disks it won that carry its policy, and disks it
/// lost, sorted by disk ID.
pub fn vsp_status(
    vsp: &str,
    desired: &Desired,
    states: &BTreeMap<String, DiskState>,
) -> VolumeSnapshotPolicyStatus {
    let applied = desired
        .disks
        .iter()
        .filter(|(d, disk)| {
            disk.winner.as_deref() == Some(vsp) && states.get(*d) == Some(&DiskState::Applied)
        })
        .count();
    let conflicts: Vec<DiskConflict> = desired
        .disks
        .iter()
        .filter(|(_, disk)| disk.losers.iter().any(|l| l == vsp))
        .take(MAX_CONFLICTS_IN_STATUS)
        .map(|(d, disk)| DiskConflict {
            disk_id: d.clone(),
            pvc: disk.pvc.to_string(),
            winning_policy: disk.winner.clone().unwrap_or_default(),
        })
        .collect();
    VolumeSnapshotPolicyStatus {
        applied_volumes: Some(i32::try_from(applied).unwrap_or(i32::MAX)),
        conflicts: (!conflicts.is_empty()).then_some(conflicts),
        ..VolumeSnapshotPolicyStatus::default()
    }
}

/// Writes the owned status fields of every competing VSP whose values changed.
pub async fn write_statuses(
    client: &Client,
    vsps: &[Arc<VolumeSnapshotPolicy>],
    desired: &Desired,
    states: &BTreeMap<String, DiskState>,
) -> Result<(), ReconcilerError> {
    let api: Api<VolumeSnapshotPolicy> = Api::all(client.clone());
    for vsp in vsps {
        let Some(name) = vsp.metadata.name.as_deref() else {
            continue;
        };
        if !desired.claimants.contains_key(name) {
            continue;
        }
        let status = vsp_status(name, desired, states);
        apply_status(&api, vsp.as_ref(), FIELD_MANAGER, &OWNED_FIELDS, &status).await?;
    }
    Ok(())
}

/// Publishes the pass's Events (bounded) and logs its summary.
pub struct Announcer<'a> {
    pub events: &'a EventPublisher,
    pub pvcs: &'a BTreeMap<PvcRef, Arc<PersistentVolumeClaim>>,
    pub vsps: &'a BTreeMap<String, Arc<VolumeSnapshotPolicy>>,
    pub desired: &'a Desired,
}

impl Announcer<'_> {
    pub async fn announce(&self, report: &PassReport) {
        let mut budget = MAX_EVENTS_PER_PASS;
        let mut skipped = 0usize;
        for note in self.notes(report) {
            if budget == 0 {
                skipped += 1;
                continue;
            }
            budget -= 1;
            self.publish(note).await;
        }
        self.log(report, skipped);
    }

    fn notes(&self, report: &PassReport) -> Vec<Note> {
        let mut notes: Vec<Note> = report.applied.iter().map(|c| self.applied(c)).collect();
        notes.extend(report.removed.iter().map(removed));
        for (disk, foreign) in by_disk(&report.taken_over) {
            let text = format!(
                "foreign {foreign} on disk {disk}: replaced or cancelled \
                 (--take-over-foreign-policies)"
            );
            let reason = reasons::FOREIGN_POLICY_TAKEN_OVER;
            notes.push(Note::pvc(disk, false, reason, "TakeOver", text));
        }
        for (disk, policy, why) in &report.failed {
            let text = format!(
                "ECS refused to change policy {policy} on disk {disk}: {why}; retried on the \
                 next resync"
            );
            let reason = reasons::POLICY_CHANGE_REFUSED;
            notes.push(Note::pvc(disk, true, reason, "ApplyPolicy", text));
        }
        for (disk, policy) in by_disk(&report.new_foreign) {
            let text = format!(
                "disk {disk} carries {policy}, which this cluster did not create: left alone \
                 (start pvc-reconciler with --take-over-foreign-policies to replace or cancel \
                 foreign policies)"
            );
            notes.push(Note::pvc(disk, true, reasons::FOREIGN_POLICY, "Skip", text));
        }
        for disk in &report.new_missing {
            let text = format!("disk {disk} does not exist in ECS; its policy cannot be applied");
            notes.push(Note::pvc(disk, true, reasons::DISK_NOT_FOUND, "Skip", text));
        }
        for (vsp, disk) in &report.new_conflicts {
            notes.push(self.conflict(vsp, disk));
        }
        notes
    }

    fn applied(&self, change: &Change) -> Note {
        let vsp = self.vsp_of(&change.policy_id);
        let (disk, policy) = (&change.disk_id, &change.policy_id);
        let (reason, text) = match change.drift {
            true => (
                reasons::POLICY_DRIFT_REPAIRED,
                format!(
                    "disk {disk} had lost ECS policy {policy} of VolumeSnapshotPolicy {vsp} \
                     outside the cluster; it was put back"
                ),
            ),
            false => (
                reasons::POLICY_APPLIED,
                format!(
                    "disk {disk} now carries ECS policy {policy} of VolumeSnapshotPolicy {vsp}"
                ),
            ),
        };
        Note::pvc(disk, change.drift, reason, "ApplyPolicy", text)
    }

    fn conflict(&self, vsp: &str, disk: &str) -> Note {
        let d = &self.desired.disks[disk];
        let winner = d.winner.clone().unwrap_or_default();
        let text = format!(
            "PVC {} (disk {disk}) is also selected by VolumeSnapshotPolicy {winner}, which wins: \
             it is older (or, created in the same second, its name sorts first)",
            d.pvc
        );
        Note {
            target: Target::Vsp(vsp.to_owned()),
            warning: true,
            reason: reasons::POLICY_CONFLICT,
            action: "Skip",
            text,
        }
    }

    fn vsp_of(&self, policy_id: &str) -> String {
        let found = self
            .desired
            .claimants
            .iter()
            .find(|(_, c)| c.ecs_policy_id.as_deref() == Some(policy_id));
        found.map_or_else(|| "(unknown)".to_owned(), |(name, _)| name.clone())
    }

    async fn publish(&self, note: Note) {
        let published = match &note.target {
            Target::Disk(disk) => {
                let Some(pvc) = self
                    .desired
                    .disks
                    .get(disk)
                    .and_then(|d| self.pvcs.get(&d.pvc))
                else {
                    debug!(disk, reason = note.reason, note = %note.text, "no PVC for the event");
                    return;
                };
                self.send(pvc.as_ref(), &note).await
            }
            Target::Vsp(name) => {
                let Some(vsp) = self.vsps.get(name) else {
                    return;
                };
                self.send(vsp.as_ref(), &note).await
            }
        };
        if !published {
            debug!(reason = note.reason, "event not published");
        }
    }

    async fn send<K: kube::Resource<DynamicType = ()>>(&self, object: &K, note: &Note) -> bool {
        let text = note.text.clone();
        match note.warning {
            true => {
                self.events
                    .warning(object, note.reason, note.action, text)
                    .await
            }
            false => {
                self.events
                    .normal(object, note.reason, note.action, text)
                    .await
            }
        }
    }

    fn log(&self, report: &PassReport, skipped_events: usize) {
        let changed = report.applied.len() + report.removed.len() + report.failed.len();
        if report.drift_repaired > 0 {
            warn!(
                repaired = report.drift_repaired,
                "resync found disks changed outside the cluster and put them back"
            );
        }
        if changed > 0 || report.full {
            info!(
                full = report.full,
                applied = report.applied.len(),
                removed = report.removed.len(),
                refused = report.failed.len(),
                new_foreign = report.new_foreign.len(),
                new_conflicts = report.new_conflicts.len(),
                drift_repaired = report.drift_repaired,
                skipped_events,
                "pass finished"
            );
        }
    }
}

fn removed(change: &Change) -> Note {
    let (disk, policy) = (&change.disk_id, &change.policy_id);
    let (reason, text) = match change.drift {
        true => (
            reasons::POLICY_DRIFT_REPAIRED,
            format!(
                "disk {disk} had been given ECS policy {policy} outside the cluster; it was \
                 cancelled because another policy owns the disk"
            ),
        ),
        false => (
            reasons::POLICY_REMOVED,
            format!(
                "disk {disk} no longer carries ECS policy {policy}: no VolumeSnapshotPolicy \
                 selects it for that policy"
            ),
        ),
    };
    Note::pvc(disk, change.drift, reason, "CancelPolicy", text)
}

enum Target {
    Disk(String),
    Vsp(String),
}

struct Note {
    target: Target,
    warning: bool,
    reason: &'static str,
    action: &'static str,
    text: String,
}

impl Note {
    fn pvc(
        disk: &str,
        warning: bool,
        reason: &'static str,
        action: &'static str,
        text: String,
    ) -> Self {
        Self {
            target: Target::Disk(disk.to_owned()),
            warning,
            reason,
            action,
            text,
        }
    }
}

#[cfg(test)]
mod tests {
    use snapshot_domain::conflict::PolicyClaim;

    use super::*;
    use crate::{
        desired::{Claimant, DesiredDisk},
        plan::Want,
    };

    #[test]
    fn each_disk_gets_one_note_naming_all_its_policies() {
        let pair = |d: &str, p: &str| (d.to_owned(), p.to_owned());
        let pairs = [
            pair("d-1", "sp-a"),
            pair("d-2", "sp-c"),
            pair("d-1", "sp-b"),
        ];
        let grouped = by_disk(&pairs);
        assert_eq!(grouped["d-1"], "ECS policies sp-a, sp-b");
        assert_eq!(grouped["d-2"], "ECS policy sp-c");
    }

    #[test]
    fn status_counts_applied_winners_and_lists_lost_disks() {
        let pvc = |n: &str| PvcRef {
            namespace: "default".into(),
            name: n.into(),
        };
        let disk = |p: &str, winner: &str, losers: &[&str]| DesiredDisk {
            pvc: pvc(p),
            winner: Some(winner.into()),
            losers: losers.iter().map(|s| s.to_string()).collect(),
            want: Want::Policy(format!("sp-{winner}")),
        };
        let mut desired = Desired::default();
        desired
            .disks
            .insert("d-1".into(), disk("a", "old", &["new"]));
        desired.disks.insert("d-2".into(), disk("b", "old", &[]));
        desired.disks.insert("d-3".into(), disk("c", "new", &[]));
        for name in ["old", "new"] {
            let claim = PolicyClaim::new(name, "2026-12-01T00:00:00Z".parse().unwrap());
            let claimant = Claimant {
                claim,
                ecs_policy_id: Some(format!("sp-{name}")),
            };
            desired.claimants.insert(name.into(), claimant);
        }
        let states = BTreeMap::from([
            ("d-1".to_string(), DiskState::Applied),
            ("d-2".to_string(), DiskState::Foreign),
            ("d-3".to_string(), DiskState::Applied),
        ]);

        let old = vsp_status("old", &desired, &states);
        assert_eq!((old.applied_volumes, old.conflicts), (Some(1), None));
        let new = vsp_status("new", &desired, &states);
        assert_eq!(new.applied_volumes, Some(1));
        let conflicts = new.conflicts.unwrap();
        assert_eq!(conflicts.len(), 1);
        assert_eq!(
            (conflicts[0].disk_id.as_str(), conflicts[0].pvc.as_str()),
            ("d-1", "default/a")
        );
        assert_eq!(conflicts[0].winning_policy, "old");
    }
}
