//! Deleting a `repeatOnce` VSP: what happens to the job's snapshots.
//!
//! # Contract
//! - While ECS is still taking some of the job's snapshots, the finalizer stays: the VSP
//!   reports `Ready=False` (`SnapshotsInProgress`) naming the snapshots it waits for, publishes
//!   an Event when that list changes, and is polled again. Entries never started are not
//!   started any more.
//! - When nothing progresses, the finalizer may go. Before it does, an Event and an info log
//!   name every snapshot the job took that stays in ECS, with its retention ("kept until
//!   deleted" without one). snapshot-reconciler imports nothing of a VSP being deleted, so
//!   these snapshots never appear as VolumeSnapshots: the Event is how the user learns of them.

use controller_support::reasons;
use kube::{ResourceExt, runtime::controller::Action};
use snapshot_domain::ecs_naming::PolicyOwner;
use snapshot_k8s::vsp::{RepeatOnceSnapshotState as State, RepeatOnceStatus, VolumeSnapshotPolicy};
use tracing::info;

use super::start;

/// Event reason: the deleted VSP's one-off snapshots stay in ECS.
pub const SNAPSHOTS_KEPT: &str = "SnapshotsKeptInEcs";
use crate::{
    Error,
    controller::Context,
    status::{self, Readiness},
};

/// What a VSP being deleted does next.
pub enum Deletion {
    /// Keep the finalizer and reconcile again after this.
    Wait(Action),
    /// Release the finalizer; the job as last seen, if the VSP has one, for [`report_kept`].
    Release(Option<RepeatOnceStatus>),
}

/// Whether the deletion must wait for snapshots ECS is still taking.
pub async fn wait_for_snapshots(
    ctx: &Context,
    vsp: &VolumeSnapshotPolicy,
    owner: &PolicyOwner,
) -> Result<Deletion, Error> {
    let mut status = status::current(vsp);
    let Some(mut job) = status.repeat_once.clone() else {
        return Ok(Deletion::Release(None));
    };
    if job.finished {
        return Ok(Deletion::Release(Some(job)));
    }
    start::settle(ctx, owner, &mut job).await?;

    let waiting = progressing(&job);
    status.repeat_once = Some(job.clone());
    if waiting.is_empty() {
        ctx.write_status(vsp, &status).await?;
        return Ok(Deletion::Release(Some(job)));
    }

    let readiness = Readiness::not_ready(
        reasons::SNAPSHOTS_IN_PROGRESS,
        format!(
            "being deleted; waiting for {} snapshots ECS is still taking: {}",
            waiting.len(),
            waiting.join(", ")
        ),
    );
    if status::is_transition(&status, &readiness) {
        info!(name = owner.name(), snapshots = ?waiting, "deletion waits for snapshots");
        let note = readiness.message.clone();
        ctx.events
            .normal(vsp, readiness.reason, "DeletePolicy", note)
            .await;
    }
    status::set_ready(
        &mut status,
        &readiness,
        vsp.metadata.generation,
        ctx.clock.now(),
    );
    ctx.write_status(vsp, &status).await?;
    Ok(Deletion::Wait(Action::requeue(
        ctx.timing.snapshot_poll_interval,
    )))
}

/// Names, in an Event and an info log, the job's snapshots that stay in ECS after the VSP is
/// gone. Nothing when the job took no snapshot.
pub async fn report_kept(ctx: &Context, vsp: &VolumeSnapshotPolicy, job: &RepeatOnceStatus) {
    let kept = kept(job);
    if kept.is_empty() {
        return;
    }
    let retention = match vsp.retention_days() {
        days if days < 0 => "kept until deleted".to_owned(),
        days => format!("kept {days} days"),
    };
    let note = format!(
        "VolumeSnapshotPolicy deleted; its {} one-off snapshots stay in ECS ({retention}) and \
         are not imported into the cluster: {}",
        kept.len(),
        kept.join(", ")
    );
    info!(name = vsp.name_any(), snapshots = ?kept, retention, "one-off snapshots kept in ECS");
    ctx.events
        .normal(vsp, SNAPSHOTS_KEPT, "DeletePolicy", note)
        .await;
}

/// Snapshots (or groups whose members are not known yet) ECS is still taking.
fn progressing(job: &RepeatOnceStatus) -> Vec<String> {
    let mut ids: Vec<String> = job
        .snapshots
        .iter()
        .filter(|s| s.state == State::Progressing)
        .filter_map(|s| {
            s.snapshot_id
                .clone()
                .or_else(|| s.snapshot_group_id.clone())
        })
        .collect();
    ids.dedup();
    ids
}

/// `snapshotId (disk)` of every accomplished snapshot.
fn kept(job: &RepeatOnceStatus) -> Vec<String> {
    job.snapshots
        .iter()
        .filter(|s| s.state == State::Accomplished)
        .filter_map(|s| Some(format!("{} (disk {})", s.snapshot_id.as_ref()?, s.disk_id)))
        .collect()
}

#[cfg(test)]
mod tests {
    use snapshot_k8s::vsp::RepeatOnceSnapshot;

    use super::*;

    fn entry(
        disk: &str,
        id: Option<&str>,
        group: Option<&str>,
        state: State,
    ) -> RepeatOnceSnapshot {
        RepeatOnceSnapshot {
            disk_id: disk.into(),
            snapshot_id: id.map(Into::into),
            snapshot_group_id: group.map(Into::into),
            state,
            ..RepeatOnceSnapshot::default()
        }
    }

    #[test]
    fn waits_for_progressing_entries_and_keeps_accomplished_ones() {
        let job = RepeatOnceStatus {
            snapshots: vec![
                entry("d-1", Some("s-1"), None, State::Accomplished),
                entry("d-2", Some("s-2"), None, State::Progressing),
                entry("d-3", None, Some("ssg-1"), State::Progressing),
                entry("d-4", None, Some("ssg-1"), State::Progressing),
                entry("d-5", None, None, State::Pending),
                entry("d-6", Some("s-6"), None, State::Failed),
            ],
            ..RepeatOnceStatus::default()
        };
        assert_eq!(progressing(&job), ["s-2", "ssg-1"]);
        assert_eq!(kept(&job), ["s-1 (disk d-1)"]);
    }
}
