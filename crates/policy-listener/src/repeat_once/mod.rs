//! A `repeatOnce` VSP: one snapshot of every selected, bound, managed volume, taken once.
//!
//! # Flow
//! 1. **Plan** (first reconcile only): resolve the selected volumes and record one `Pending`
//!    entry per disk in `status.repeatOnce`, for the VSP's generation, before any ECS call. The
//!    disk set is fixed from then on: later PVCs or a new generation do not start another job.
//! 2. **Adopt**: entries still without a snapshot ID look for snapshots and groups already
//!    tagged as this VSP's (a previous run may have been killed after ECS answered but before
//!    the status write).
//! 3. **Start**: the rest are batched (`grouping`) and created with deterministic client
//!    tokens, so even a call repeated after a lost answer returns the same snapshot or group.
//! 4. **Poll**: progressing entries are polled until ECS reports them `accomplished` or
//!    `failed`; the job is finished when every entry is one of the two.
//!
//! # Snapshot times
//! `lastSnapshotTime` is the latest ECS creation time (the instant the data is from) among the
//! job's accomplished snapshots: absent until the first one is accomplished, moved forward as
//! more are, kept once the job is finished. `nextSnapshotTime` stays absent: nothing follows.
//!
//! # Guarantees
//! A throttled call or a busy disk leaves its entry `Pending` with the reason and message, and
//! is retried with backoff; only a permanent refusal (unsupported disk, disk gone) or a
//! snapshot ECS itself failed marks an entry `Failed`.

mod deletion;
mod grouping;
mod start;

pub use deletion::{Deletion, report_kept, wait_for_snapshots};

use std::time::Duration;

use controller_support::{gateway_error::RetryClass, reasons};
use k8s_openapi::apimachinery::pkg::apis::meta::v1::Time;
use kube::runtime::controller::Action;
use snapshot_domain::ecs_naming::PolicyOwner;
use snapshot_k8s::vsp::{
    RepeatOnceSnapshot, RepeatOnceSnapshotState as State, RepeatOnceStatus, VolumeSnapshotPolicy,
    VolumeSnapshotPolicyStatus,
};

use crate::{
    Error,
    controller::Context,
    plan::OncePlan,
    scheduled,
    status::{self, Readiness},
    volumes,
};

/// Reconciles a one-off VSP.
pub async fn apply(
    ctx: &Context,
    vsp: &VolumeSnapshotPolicy,
    owner: &PolicyOwner,
    plan: &OncePlan,
) -> Result<Action, Error> {
    let mut status = status::current(vsp);
    if status.ecs_policy_id.is_some() {
        scheduled::remove_policies(ctx, vsp, owner).await?;
    }
    if status.repeat_once.is_none() {
        // A new job: the last firing of an earlier schedule is not one of its snapshots.
        status.last_snapshot_time = None;
    }
    clear_schedule_fields(&mut status);

    let mut job = match status.repeat_once.clone() {
        Some(job) => job,
        None => match plan_job(ctx, vsp, plan, &mut status).await? {
            Some(job) => job,
            None => return Ok(Action::requeue(ctx.timing.resync_period)),
        },
    };
    if job.finished {
        report(ctx, vsp, &mut status, &job).await?;
        return Ok(Action::await_change());
    }

    let before = job.clone();
    let pass = match start::advance(ctx, vsp, owner, plan, &mut job).await {
        Ok(pass) => pass,
        Err(e) => {
            // What ECS answered before the failure is recorded with it.
            status.repeat_once = Some(job);
            ctx.report_failure(vsp, &status, "taking the one-off snapshots", &e)
                .await;
            return Err(e);
        }
    };
    finish_if_done(ctx, &mut job);
    let last = status.last_snapshot_time.take().map(|t| t.0);
    status.last_snapshot_time = last.max(pass.taken).map(Time);
    publish_changes(ctx, vsp, &before, &job).await;
    report(ctx, vsp, &mut status, &job).await?;
    Ok(next_action(ctx, owner, &job, pass.retry))
}

/// Fixes the job's disks in status; `None` (and `Ready=False`) when nothing is selected yet.
async fn plan_job(
    ctx: &Context,
    vsp: &VolumeSnapshotPolicy,
    plan: &OncePlan,
    status: &mut VolumeSnapshotPolicyStatus,
) -> Result<Option<RepeatOnceStatus>, Error> {
    let selection = volumes::select(&ctx.client, &plan.selector, &ctx.drivers).await?;
    status.selected_volumes = Some(selection.managed.len() as i32);
    status.unmanaged_volumes = Some(selection.unmanaged as i32);
    let now = ctx.clock.now();

    if selection.managed.is_empty() {
        let readiness = Readiness::not_ready(
            reasons::NO_VOLUMES_SELECTED,
            format!(
                "the selector selects no PVC bound to a managed cloud disk ({} unmanaged); the \
                 snapshots are taken once one is bound",
                selection.unmanaged
            ),
        );
        if status::is_transition(status, &readiness) {
            let note = readiness.message.clone();
            ctx.events
                .warning(vsp, readiness.reason, "PlanSnapshots", note)
                .await;
        }
        status::set_ready(status, &readiness, vsp.metadata.generation, now);
        ctx.write_status(vsp, status).await?;
        return Ok(None);
    }

    let job = RepeatOnceStatus {
        generation: vsp.metadata.generation.unwrap_or(1),
        snapshots: selection
            .managed
            .into_iter()
            .map(|v| RepeatOnceSnapshot {
                disk_id: v.disk_id,
                pvc: Some(v.pvc),
                ..RepeatOnceSnapshot::default()
            })
            .collect(),
        finished: false,
        finish_time: None,
    };
    // Written before any ECS call: a restart finds the same disks and the same tokens.
    status.repeat_once = Some(job.clone());
    let readiness = in_progress(&job);
    status::set_ready(status, &readiness, vsp.metadata.generation, now);
    ctx.write_status(vsp, status).await?;
    Ok(Some(job))
}

fn finish_if_done(ctx: &Context, job: &mut RepeatOnceStatus) {
    let done = job
        .snapshots
        .iter()
        .all(|s| matches!(s.state, State::Accomplished | State::Failed));
    if done && !job.finished {
        job.finished = true;
        job.finish_time = Some(Time(ctx.clock.now()));
    }
}

/// Events for what changed in this pass: started, failed, retried, finished.
async fn publish_changes(
    ctx: &Context,
    vsp: &VolumeSnapshotPolicy,
    before: &RepeatOnceStatus,
    after: &RepeatOnceStatus,
) {
    for (old, new) in before.snapshots.iter().zip(&after.snapshots) {
        let disk = &new.disk_id;
        let why = || new.message.clone().unwrap_or_default();
        if new.state == State::Failed && old.state != State::Failed {
            let note = format!("snapshot of disk {disk} failed: {}", why());
            ctx.events
                .warning(vsp, reasons::SNAPSHOT_FAILED, "CreateSnapshot", note)
                .await;
        } else if new.state == State::Pending && new.reason.is_some() && new.reason != old.reason {
            let note = format!("snapshot of disk {disk} will be retried: {}", why());
            ctx.events
                .warning(vsp, reasons::GATEWAY_ERROR, "CreateSnapshot", note)
                .await;
        }
    }
    if after.finished && !before.finished {
        let readiness = readiness(after);
        let note = readiness.message.clone();
        if readiness.ready {
            ctx.events
                .normal(vsp, reasons::SNAPSHOTS_COMPLETED, "PollSnapshots", note)
                .await;
        } else {
            ctx.events
                .warning(vsp, reasons::SNAPSHOT_FAILED, "PollSnapshots", note)
                .await;
        }
    }
}

async fn report(
    ctx: &Context,
    vsp: &VolumeSnapshotPolicy,
    status: &mut VolumeSnapshotPolicyStatus,
    job: &RepeatOnceStatus,
) -> Result<(), Error> {
    status.selected_volumes = Some(job.snapshots.len() as i32);
    status.repeat_once = Some(job.clone());
    status::set_ready(
        status,
        &readiness(job),
        vsp.metadata.generation,
        ctx.clock.now(),
    );
    ctx.write_status(vsp, status).await
}

fn readiness(job: &RepeatOnceStatus) -> Readiness {
    if !job.finished {
        return in_progress(job);
    }
    let failed: Vec<&str> = job
        .snapshots
        .iter()
        .filter(|s| s.state == State::Failed)
        .map(|s| s.disk_id.as_str())
        .collect();
    if failed.is_empty() {
        let n = job.snapshots.len();
        Readiness::ready(
            reasons::SNAPSHOTS_COMPLETED,
            format!("all {n} snapshots accomplished"),
        )
    } else {
        Readiness::not_ready(
            reasons::SNAPSHOT_FAILED,
            format!(
                "snapshots of disks {} failed; see status.repeatOnce",
                failed.join(", ")
            ),
        )
    }
}

fn in_progress(job: &RepeatOnceStatus) -> Readiness {
    let count = |state| job.snapshots.iter().filter(|s| s.state == state).count();
    Readiness::not_ready(
        reasons::SNAPSHOTS_IN_PROGRESS,
        format!(
            "{} of {} snapshots accomplished, {} progressing, {} pending",
            count(State::Accomplished),
            job.snapshots.len(),
            count(State::Progressing),
            count(State::Pending),
        ),
    )
}

/// Retry after backoff when some start was refused for a passing reason, else poll while
/// anything progresses; a finished job waits for nothing.
fn next_action(
    ctx: &Context,
    owner: &PolicyOwner,
    job: &RepeatOnceStatus,
    retry: Option<(RetryClass, Option<Duration>)>,
) -> Action {
    let key = owner.uid().to_owned();
    if job.finished {
        ctx.backoff.reset(&key);
        return Action::await_change();
    }
    let poll = ctx.timing.snapshot_poll_interval;
    match retry {
        Some((class, hint)) => Action::requeue(ctx.backoff.next_delay(&key, class, hint)),
        None => {
            ctx.backoff.reset(&key);
            Action::requeue(poll)
        }
    }
}

fn clear_schedule_fields(status: &mut VolumeSnapshotPolicyStatus) {
    status.schedule = Some("once".to_owned());
    status.ecs_policy_id = None;
    status.ecs_schedule = None;
    status.next_snapshot_time = None;
}
