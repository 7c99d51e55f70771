//! One pass of a one-off job: adopt, start, poll (see the parent module's flow).

use std::{collections::HashMap, time::Duration};

use controller_support::{
    gateway_error::{GatewayFailure, RetryClass},
    reasons,
};
use ecs_gateway_api::v1::{
    CreateSnapshotGroupRequest, CreateSnapshotRequest, DescribeDisksRequest,
    DescribeSnapshotGroupsRequest, DescribeSnapshotsRequest, Snapshot, SnapshotGroup,
};
use snapshot_domain::{Timestamp, ecs_naming::PolicyOwner};
use snapshot_k8s::vsp::{RepeatOnceSnapshotState as State, RepeatOnceStatus, VolumeSnapshotPolicy};
use tracing::{info, warn};

use super::grouping::{Batch, DiskFacts, batches};
use crate::{Error, controller::Context, ecs_policy, plan::OncePlan};

/// The most urgent retry a refused start asks for.
pub type Retry = Option<(RetryClass, Option<Duration>)>;

/// What one pass found out besides the entries it changed.
#[derive(Debug, Default)]
pub struct Pass {
    /// The most urgent retry a refused start asks for.
    pub retry: Retry,
    /// The latest ECS creation time among the snapshots this pass saw turn `accomplished`.
    pub taken: Option<Timestamp>,
}

const DESCRIBE_IDS_MAX: usize = 100;
const GROUP_IDS_MAX: usize = 10;

/// Moves the job forward as far as ECS allows in one pass.
pub async fn advance(
    ctx: &Context,
    vsp: &VolumeSnapshotPolicy,
    owner: &PolicyOwner,
    plan: &OncePlan,
    job: &mut RepeatOnceStatus,
) -> Result<Pass, Error> {
    if !unstarted(job).is_empty() {
        adopt(ctx, owner, job).await?;
    }
    let mut pass = Pass::default();
    let todo = unstarted(job);
    if !todo.is_empty() {
        pass.retry = start(ctx, vsp, owner, plan, job, &todo).await?;
    }
    poll_groups(ctx, job).await?;
    pass.taken = poll_snapshots(ctx, job).await?;
    Ok(pass)
}

/// Finds out what the job's started snapshots became, starting nothing: adopts snapshots a
/// killed run started but did not record, then polls. For a VSP being deleted.
pub async fn settle(
    ctx: &Context,
    owner: &PolicyOwner,
    job: &mut RepeatOnceStatus,
) -> Result<(), Error> {
    if !unstarted(job).is_empty() {
        adopt(ctx, owner, job).await?;
    }
    poll_groups(ctx, job).await?;
    poll_snapshots(ctx, job).await?;
    Ok(())
}

fn unstarted(job: &RepeatOnceStatus) -> Vec<String> {
    job.snapshots
        .iter()
        .filter(|s| s.state == State::Pending && s.snapshot_id.is_none())
        .filter(|s| s.snapshot_group_id.is_none())
        .map(|s| s.disk_id.clone())
        .collect()
}

/// Takes over groups and snapshots a killed earlier run started but did not record.
async fn adopt(
    ctx: &Context,
    owner: &PolicyOwner,
    job: &mut RepeatOnceStatus,
) -> Result<(), Error> {
    for group in list_groups(ctx, owner, Vec::new()).await? {
        for member in &group.snapshots {
            if let Some(entry) =
                entry(job, &member.source_disk_id).filter(|e| e.snapshot_id.is_none())
            {
                entry.snapshot_group_id = Some(group.snapshot_group_id.clone());
                entry.snapshot_id = Some(member.snapshot_id.clone()).filter(|id| !id.is_empty());
                entry.state = State::Progressing;
            }
        }
    }

    let mut next_token = String::new();
    loop {
        let request = DescribeSnapshotsRequest {
            region_id: ctx.region.clone(),
            tags: ecs_policy::ownership_tags(owner),
            snapshot_type: "user".into(),
            next_token: next_token.clone(),
            ..Default::default()
        };
        let page = ctx
            .gateway
            .client()
            .describe_snapshots(ctx.gateway.request(request))
            .await
            .map_err(Error::gateway("DescribeSnapshots"))?
            .into_inner();
        for snapshot in page.snapshots {
            if let Some(entry) = entry(job, &snapshot.source_disk_id)
                .filter(|e| e.snapshot_id.is_none() && e.snapshot_group_id.is_none())
            {
                entry.snapshot_id = Some(snapshot.snapshot_id);
                entry.state = State::Progressing;
            }
        }
        if page.next_token.is_empty() {
            return Ok(());
        }
        next_token = page.next_token;
    }
}

async fn start(
    ctx: &Context,
    vsp: &VolumeSnapshotPolicy,
    owner: &PolicyOwner,
    plan: &OncePlan,
    job: &mut RepeatOnceStatus,
    todo: &[String],
) -> Result<Retry, Error> {
    let (facts, unknown) = describe_disks(ctx, todo).await?;
    let mut retry: Retry = None;
    for batch in batches(&facts, &unknown) {
        let outcome = match &batch {
            Batch::Group {
                instance_id,
                disk_ids,
            } => match start_group(ctx, owner, job, instance_id, disk_ids).await {
                Err(f) if f.class == RetryClass::Permanent => {
                    warn!(instance_id, error = %f, "group refused; snapshotting disks singly");
                    start_singles(ctx, owner, plan, job, disk_ids).await
                }
                other => other.map(|()| Vec::new()),
            },
            Batch::Single { disk_id } => {
                start_singles(ctx, owner, plan, job, std::slice::from_ref(disk_id)).await
            }
        };
        for failure in refused(job, outcome, &batch) {
            retry = most_urgent(retry, failure);
        }
    }
    publish_started(ctx, vsp, job, todo).await;
    Ok(retry)
}

async fn start_group(
    ctx: &Context,
    owner: &PolicyOwner,
    job: &mut RepeatOnceStatus,
    instance_id: &str,
    disk_ids: &[String],
) -> Result<(), GatewayFailure> {
    let ids: Vec<&str> = disk_ids.iter().map(String::as_str).collect();
    let invalid = |e: snapshot_domain::DomainError| permanent(e.to_string());
    let request = CreateSnapshotGroupRequest {
        region_id: ctx.region.clone(),
        disk_ids: disk_ids.to_vec(),
        name: owner
            .group_name(instance_id, job.generation)
            .map_err(invalid)?,
        description: String::new(),
        tags: ecs_policy::wire_tags(&owner.tags()),
        client_token: owner
            .group_client_token(instance_id, &ids, job.generation)
            .map_err(invalid)?,
    };
    let response = ctx
        .gateway
        .client()
        .create_snapshot_group(ctx.gateway.request(request))
        .await?
        .into_inner();
    info!(
        group = response.snapshot_group_id,
        instance_id, "snapshot group started"
    );
    for disk in disk_ids {
        if let Some(entry) = entry(job, disk) {
            entry.snapshot_group_id = Some(response.snapshot_group_id.clone());
            entry.state = State::Progressing;
            entry.reason = None;
            entry.message = None;
        }
    }
    Ok(())
}

/// Starts single snapshots; returns the disks ECS refused, with why.
async fn start_singles(
    ctx: &Context,
    owner: &PolicyOwner,
    plan: &OncePlan,
    job: &mut RepeatOnceStatus,
    disk_ids: &[String],
) -> Result<Vec<(String, GatewayFailure)>, GatewayFailure> {
    let mut refused = Vec::new();
    for disk in disk_ids {
        match start_single(ctx, owner, plan, job.generation, disk).await {
            Ok(id) => {
                if let Some(entry) = entry(job, disk) {
                    entry.snapshot_id = Some(id);
                    entry.state = State::Progressing;
                    entry.reason = None;
                    entry.message = None;
                }
            }
            Err(f) => refused.push((disk.clone(), f)),
        }
    }
    Ok(refused)
}

async fn start_single(
    ctx: &Context,
    owner: &PolicyOwner,
    plan: &OncePlan,
    generation: i64,
    disk_id: &str,
) -> Result<String, GatewayFailure> {
    let invalid = |e: snapshot_domain::DomainError| permanent(e.to_string());
    let request = CreateSnapshotRequest {
        region_id: ctx.region.clone(),
        disk_id: disk_id.to_owned(),
        name: owner.snapshot_name(disk_id, generation).map_err(invalid)?,
        description: String::new(),
        retention_days: u32::try_from(plan.retention_days).unwrap_or(0),
        tags: ecs_policy::wire_tags(&owner.tags()),
        client_token: owner
            .snapshot_client_token(disk_id, generation)
            .map_err(invalid)?,
    };
    let response = ctx
        .gateway
        .client()
        .create_snapshot(ctx.gateway.request(request))
        .await?
        .into_inner();
    info!(snapshot = response.snapshot_id, disk_id, "snapshot started");
    Ok(response.snapshot_id)
}

/// Records refusals on their entries: `Pending` with the reason when the cause passes,
/// `Failed` when it does not. Returns the passing failures.
fn refused(
    job: &mut RepeatOnceStatus,
    outcome: Result<Vec<(String, GatewayFailure)>, GatewayFailure>,
    batch: &Batch,
) -> Vec<GatewayFailure> {
    let failures = match outcome {
        Ok(per_disk) => per_disk,
        Err(f) => match batch {
            Batch::Group { disk_ids, .. } => {
                disk_ids.iter().map(|d| (d.clone(), f.clone())).collect()
            }
            Batch::Single { disk_id } => vec![(disk_id.clone(), f)],
        },
    };
    let mut passing = Vec::new();
    for (disk, failure) in failures {
        let Some(entry) = entry(job, &disk) else {
            continue;
        };
        entry.reason = Some(failure.short_code());
        entry.message = Some(failure.message.clone());
        if failure.class == RetryClass::Permanent {
            entry.state = State::Failed;
        } else {
            entry.state = State::Pending;
            passing.push(failure);
        }
    }
    passing
}

async fn publish_started(
    ctx: &Context,
    vsp: &VolumeSnapshotPolicy,
    job: &RepeatOnceStatus,
    todo: &[String],
) {
    let started: Vec<String> = job
        .snapshots
        .iter()
        .filter(|s| todo.contains(&s.disk_id) && s.state == State::Progressing)
        .map(|s| match (&s.snapshot_group_id, &s.snapshot_id) {
            (Some(g), _) => format!("{} in group {g}", s.disk_id),
            (None, Some(id)) => format!("{} as {id}", s.disk_id),
            (None, None) => s.disk_id.clone(),
        })
        .collect();
    if !started.is_empty() {
        let note = format!("started snapshots of disks {}", started.join(", "));
        ctx.events
            .normal(vsp, reasons::SNAPSHOT_STARTED, "CreateSnapshot", note)
            .await;
    }
}

/// Fills member snapshot IDs of groups and fails the members of failed groups.
async fn poll_groups(ctx: &Context, job: &mut RepeatOnceStatus) -> Result<(), Error> {
    let mut ids: Vec<String> = job
        .snapshots
        .iter()
        .filter(|s| s.state == State::Progressing)
        .filter_map(|s| s.snapshot_group_id.clone())
        .collect();
    ids.sort();
    ids.dedup();
    for chunk in ids.chunks(GROUP_IDS_MAX) {
        let owner_free = list_groups_by_id(ctx, chunk.to_vec()).await?;
        for group in owner_free {
            apply_group(job, &group);
        }
    }
    Ok(())
}

fn apply_group(job: &mut RepeatOnceStatus, group: &SnapshotGroup) {
    for member in &group.snapshots {
        if let Some(entry) = entry(job, &member.source_disk_id) {
            if entry.snapshot_id.is_none() && !member.snapshot_id.is_empty() {
                entry.snapshot_id = Some(member.snapshot_id.clone());
            }
            if group.status == "failed" && entry.state == State::Progressing {
                entry.state = State::Failed;
                entry.reason = Some("EcsSnapshotGroupFailed".into());
                entry.message = Some(format!(
                    "ECS reports group {} failed",
                    group.snapshot_group_id
                ));
            }
        }
    }
}

/// Updates progressing entries from DescribeSnapshots; returns the latest creation time of
/// those that turned `accomplished` (the controller's clock when ECS reports none).
async fn poll_snapshots(
    ctx: &Context,
    job: &mut RepeatOnceStatus,
) -> Result<Option<Timestamp>, Error> {
    let ids: Vec<String> = job
        .snapshots
        .iter()
        .filter(|s| s.state == State::Progressing)
        .filter_map(|s| s.snapshot_id.clone())
        .collect();
    let mut found: HashMap<String, Snapshot> = HashMap::new();
    for chunk in ids.chunks(DESCRIBE_IDS_MAX) {
        let request = DescribeSnapshotsRequest {
            region_id: ctx.region.clone(),
            snapshot_ids: chunk.to_vec(),
            max_results: DESCRIBE_IDS_MAX as u32,
            ..Default::default()
        };
        let page = ctx
            .gateway
            .client()
            .describe_snapshots(ctx.gateway.request(request))
            .await
            .map_err(Error::gateway("DescribeSnapshots"))?
            .into_inner();
        found.extend(
            page.snapshots
                .into_iter()
                .map(|s| (s.snapshot_id.clone(), s)),
        );
    }

    let mut taken = None;
    for entry in job
        .snapshots
        .iter_mut()
        .filter(|s| s.state == State::Progressing)
    {
        let Some(id) = &entry.snapshot_id else {
            continue;
        };
        let snapshot = found.get(id);
        match snapshot.map(|s| s.status.as_str()) {
            Some("accomplished") => {
                entry.state = State::Accomplished;
                let created = snapshot.and_then(creation_time);
                taken = taken.max(Some(created.unwrap_or_else(|| ctx.clock.now())));
            }
            Some("failed") => {
                entry.state = State::Failed;
                entry.reason = Some("EcsSnapshotFailed".into());
                entry.message = Some(format!("ECS reports snapshot {id} failed"));
            }
            Some(_) => {}
            None => {
                entry.state = State::Failed;
                entry.reason = Some("EcsSnapshotMissing".into());
                entry.message = Some(format!("ECS no longer has snapshot {id}"));
            }
        }
    }
    Ok(taken)
}

fn creation_time(snapshot: &Snapshot) -> Option<Timestamp> {
    let t = snapshot.creation_time.as_ref()?;
    Timestamp::new(t.seconds, t.nanos).ok()
}

async fn describe_disks(
    ctx: &Context,
    disk_ids: &[String],
) -> Result<(Vec<DiskFacts>, Vec<String>), Error> {
    let mut facts = Vec::new();
    for chunk in disk_ids.chunks(DESCRIBE_IDS_MAX) {
        let request = DescribeDisksRequest {
            region_id: ctx.region.clone(),
            disk_ids: chunk.to_vec(),
            max_results: DESCRIBE_IDS_MAX as u32,
            ..Default::default()
        };
        let page = ctx
            .gateway
            .client()
            .describe_disks(ctx.gateway.request(request))
            .await
            .map_err(Error::gateway("DescribeDisks"))?
            .into_inner();
        facts.extend(page.disks.into_iter().map(|d| DiskFacts {
            disk_id: d.disk_id,
            instance_id: d.instance_id,
            category: d.category,
        }));
    }
    let unknown = disk_ids
        .iter()
        .filter(|id| !facts.iter().any(|f| &f.disk_id == *id))
        .cloned()
        .collect();
    Ok((facts, unknown))
}

async fn list_groups(
    ctx: &Context,
    owner: &PolicyOwner,
    ids: Vec<String>,
) -> Result<Vec<SnapshotGroup>, Error> {
    let mut groups = Vec::new();
    let mut next_token = String::new();
    loop {
        let request = DescribeSnapshotGroupsRequest {
            region_id: ctx.region.clone(),
            snapshot_group_ids: ids.clone(),
            tags: ecs_policy::ownership_tags(owner),
            next_token: next_token.clone(),
            ..Default::default()
        };
        let page = ctx
            .gateway
            .client()
            .describe_snapshot_groups(ctx.gateway.request(request))
            .await
            .map_err(Error::gateway("DescribeSnapshotGroups"))?
            .into_inner();
        groups.extend(page.snapshot_groups);
        if page.next_token.is_empty() {
            return Ok(groups);
        }
        next_token = page.next_token;
    }
}

async fn list_groups_by_id(ctx: &Context, ids: Vec<String>) -> Result<Vec<SnapshotGroup>, Error> {
    let request = DescribeSnapshotGroupsRequest {
        region_id: ctx.region.clone(),
        snapshot_group_ids: ids,
        ..Default::default()
    };
    let page = ctx
        .gateway
        .client()
        .describe_snapshot_groups(ctx.gateway.request(request))
        .await
        .map_err(Error::gateway("DescribeSnapshotGroups"))?;
    Ok(page.into_inner().snapshot_groups)
}

fn entry<'a>(
    job: &'a mut RepeatOnceStatus,
    disk_id: &str,
) -> Option<&'a mut snapshot_k8s::vsp::RepeatOnceSnapshot> {
    job.snapshots.iter_mut().find(|s| s.disk_id == disk_id)
}

fn most_urgent(current: Retry, failure: GatewayFailure) -> Retry {
    let candidate = (failure.class, failure.retry_after());
    match current {
        Some(c) if c.0 <= candidate.0 => Some(c),
        _ => Some(candidate),
    }
}

fn permanent(message: String) -> GatewayFailure {
    GatewayFailure {
        class: RetryClass::Permanent,
        code: tonic::Code::InvalidArgument,
        ecs: None,
        gateway: None,
        message,
    }
}
