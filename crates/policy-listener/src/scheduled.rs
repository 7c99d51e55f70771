//! A scheduled VSP: exactly one ECS automatic snapshot policy with the converted schedule and
//! the retention, and the status that describes it.
//!
//! # Flow (every reconcile)
//! 1. Find the VSP's ECS policies by tag; keep the canonical one, delete duplicates.
//! 2. None: create it. One: modify what drifted (schedule, retention, name).
//! 3. Report: `Ready`, the ECS policy ID and schedule, selected volumes, last and next firing.
//! 4. Requeue at the earliest of: the zone's next offset change (so the ECS policy is
//!    re-converted when daylight saving starts or ends, not a resync later), the next firing
//!    (so `nextSnapshotTime` moves on), and the resync period.
//!
//! # Guarantees
//! Nothing here takes a snapshot: editing retention or labels, or restarting, changes the ECS
//! policy at most, so ECS takes exactly the snapshots the schedule asks for.

use std::time::Duration;

use controller_support::reasons;
use k8s_openapi::apimachinery::pkg::apis::meta::v1::Time;
use kube::runtime::controller::Action;
use snapshot_domain::{Timestamp, ecs_naming::PolicyOwner};
use snapshot_k8s::vsp::{EcsScheduleStatus, VolumeSnapshotPolicy, VolumeSnapshotPolicyStatus};
use tracing::info;

use crate::{
    Error,
    controller::Context,
    ecs_policy::{self, Drift},
    plan::ScheduledPlan,
    status::{self, Readiness},
    volumes,
};

/// Reconciles a scheduled VSP whose plan is valid.
pub async fn apply(
    ctx: &Context,
    vsp: &VolumeSnapshotPolicy,
    owner: &PolicyOwner,
    plan: &ScheduledPlan,
) -> Result<Action, Error> {
    let selection = volumes::select(&ctx.client, &plan.selector, &ctx.drivers).await?;
    let previous = status::current(vsp);
    let id = match converge(ctx, vsp, owner, plan, &previous).await {
        Ok(id) => id,
        Err(e) => {
            ctx.report_failure(vsp, &previous, "converging the ECS policy", &e)
                .await;
            return Err(e);
        }
    };
    ctx.metrics.policy_managed(owner.uid());

    let now = ctx.clock.now();
    let mut status = previous.clone();
    describe(&mut status, vsp, plan, &id, now);
    status.selected_volumes = Some(count(selection.managed.len()));
    status.unmanaged_volumes = Some(count(selection.unmanaged));
    status.repeat_once = None;
    let readiness = Readiness::ready(
        reasons::ECS_POLICY_READY,
        format!("ECS policy {id} takes snapshots {}", ecs_words(plan)),
    );
    status::set_ready(&mut status, &readiness, vsp.metadata.generation, now);
    ctx.write_status(vsp, &status).await?;

    Ok(Action::requeue(requeue_after(ctx, plan, now)))
}

/// Deletes every ECS policy of the VSP (by tag, and the one in status); snapshots stay.
pub async fn remove_policies(
    ctx: &Context,
    vsp: &VolumeSnapshotPolicy,
    owner: &PolicyOwner,
) -> Result<(), Error> {
    let mut ids: Vec<String> = ecs_policy::find(ctx, owner)
        .await?
        .into_iter()
        .map(|p| p.auto_snapshot_policy_id)
        .collect();
    ids.extend(status::current(vsp).ecs_policy_id);
    ids.sort();
    ids.dedup();

    for id in ids {
        if ecs_policy::delete(ctx, &id).await? {
            info!(name = owner.name(), policy = id, "ECS policy deleted");
            let note = format!("deleted ECS policy {id}; snapshots already taken are kept");
            ctx.events
                .normal(vsp, reasons::ECS_POLICY_DELETED, "DeleteEcsPolicy", note)
                .await;
        }
    }
    ctx.metrics.policy_forgotten(owner.uid());
    Ok(())
}

async fn converge(
    ctx: &Context,
    vsp: &VolumeSnapshotPolicy,
    owner: &PolicyOwner,
    plan: &ScheduledPlan,
    previous: &VolumeSnapshotPolicyStatus,
) -> Result<String, Error> {
    let found = ecs_policy::find(ctx, owner).await?;
    let Some((keep, extra)) = ecs_policy::split_canonical(found) else {
        let id = ecs_policy::create(ctx, owner, plan).await?;
        info!(name = owner.name(), policy = id, "ECS policy created");
        let note = format!("created ECS policy {id}: {}", ecs_words(plan));
        ctx.events
            .normal(vsp, reasons::ECS_POLICY_CREATED, "CreateEcsPolicy", note)
            .await;
        return Ok(id);
    };

    let id = keep.auto_snapshot_policy_id.clone();
    if !extra.is_empty() {
        remove_duplicates(
            ctx,
            vsp,
            &id,
            extra.iter().map(|p| &p.auto_snapshot_policy_id),
        )
        .await?;
    }
    let drift = ecs_policy::drift(&keep, owner, plan);
    if drift.any() {
        ecs_policy::modify(ctx, owner, &keep, plan, drift).await?;
        let reason = update_reason(vsp, previous, drift);
        info!(
            name = owner.name(),
            policy = id,
            reason,
            "ECS policy modified"
        );
        let note = format!("ECS policy {id} now takes snapshots {}", ecs_words(plan));
        ctx.events
            .normal(vsp, reason, "ModifyEcsPolicy", note)
            .await;
    }
    Ok(id)
}

async fn remove_duplicates<'a>(
    ctx: &Context,
    vsp: &VolumeSnapshotPolicy,
    keep: &str,
    extra: impl Iterator<Item = &'a String>,
) -> Result<(), Error> {
    let mut removed = Vec::new();
    for id in extra {
        ecs_policy::delete(ctx, id).await?;
        removed.push(id.as_str());
    }
    let note = format!(
        "kept ECS policy {keep}, deleted duplicates {}",
        removed.join(", ")
    );
    ctx.events
        .warning(
            vsp,
            reasons::DUPLICATE_ECS_POLICIES_REMOVED,
            "DeleteEcsPolicy",
            note,
        )
        .await;
    Ok(())
}

/// `EcsPolicyReconverted` when only the zone's offset moved the schedule (same generation, same
/// local schedule), else `EcsPolicyUpdated`.
fn update_reason(
    vsp: &VolumeSnapshotPolicy,
    previous: &VolumeSnapshotPolicyStatus,
    drift: Drift,
) -> &'static str {
    let same_generation = previous.observed_generation.is_some()
        && previous.observed_generation == vsp.metadata.generation;
    if drift.schedule && !drift.retention && same_generation {
        reasons::ECS_POLICY_RECONVERTED
    } else {
        reasons::ECS_POLICY_UPDATED
    }
}

fn describe(
    status: &mut VolumeSnapshotPolicyStatus,
    vsp: &VolumeSnapshotPolicy,
    plan: &ScheduledPlan,
    id: &str,
    now: Timestamp,
) {
    let ecs = &plan.conversion.ecs;
    let created = vsp.metadata.creation_timestamp.as_ref().map(|t| t.0);
    status.schedule = Some(plan.summary.clone());
    status.ecs_policy_id = Some(id.to_owned());
    status.ecs_schedule = Some(EcsScheduleStatus {
        repeat_weekdays: ecs.repeat_weekdays(),
        time_points: ecs.time_points(),
        valid_until: plan.conversion.valid_until.map(Time),
    });
    status.next_snapshot_time = ecs.next_firing_after(now).map(Time);
    status.last_snapshot_time = ecs
        .last_firing_at_or_before(now)
        .filter(|last| created.is_none_or(|c| *last >= c))
        .map(Time);
}

fn requeue_after(ctx: &Context, plan: &ScheduledPlan, now: Timestamp) -> Duration {
    let until = |t: Timestamp| {
        let seconds = (t.as_second() - now.as_second()).max(1);
        Duration::from_secs(seconds.unsigned_abs())
    };
    let mut delay = ctx.timing.resync_period;
    if let Some(valid_until) = plan.conversion.valid_until {
        delay = delay.min(until(valid_until));
    }
    if let Some(next) = plan.conversion.ecs.next_firing_after(now) {
        delay = delay.min(until(next) + Duration::from_secs(1));
    }
    delay
}

fn ecs_words(plan: &ScheduledPlan) -> String {
    let ecs = &plan.conversion.ecs;
    let retention = match plan.retention_days {
        -1 => "kept until deleted".to_owned(),
        d => format!("kept {d} days"),
    };
    format!(
        "on weekdays {} at hours {} (ECS time, UTC+8), {retention}",
        ecs.repeat_weekdays().join(","),
        ecs.time_points().join(","),
    )
}

fn count(n: usize) -> i32 {
    i32::try_from(n).unwrap_or(i32::MAX)
}
