//! The ECS automatic snapshot policies of one VSP, through the gateway.
//!
//! # Identity
//! A policy belongs to a VSP when its tags carry this cluster's ID and the VSP's uid
//! (`snapshot_domain::ecs_naming`). ECS has no client token for `CreateAutoSnapshotPolicy`, so
//! a create whose answer was lost may have worked: the next reconcile finds the policy by its
//! tags instead of creating a second one. Should two ever exist (a lost answer and a tag lookup
//! that raced it), [`split_canonical`] keeps the oldest and the caller deletes the rest.

use ecs_gateway_api::v1::{
    AutoSnapshotPolicy, CreateAutoSnapshotPolicyRequest, DeleteAutoSnapshotPolicyRequest,
    DescribeAutoSnapshotPoliciesRequest, ModifyAutoSnapshotPolicyRequest, Tag,
};
use snapshot_domain::ecs_naming::{EcsTag, PolicyOwner};

use crate::{Error, controller::Context, plan::ScheduledPlan};

const PAGE_SIZE: u32 = 100;

/// What differs between an ECS policy and the plan.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Drift {
    pub schedule: bool,
    pub retention: bool,
    pub name: bool,
}

impl Drift {
    pub fn any(self) -> bool {
        self.schedule || self.retention || self.name
    }
}

/// Every ECS policy tagged as `owner`'s.
pub async fn find(ctx: &Context, owner: &PolicyOwner) -> Result<Vec<AutoSnapshotPolicy>, Error> {
    let mut found = Vec::new();
    for page_number in 1.. {
        let request = DescribeAutoSnapshotPoliciesRequest {
            region_id: ctx.region.clone(),
            tags: ownership_tags(owner),
            page_number,
            page_size: PAGE_SIZE,
            ..Default::default()
        };
        let page = ctx
            .gateway
            .client()
            .describe_auto_snapshot_policies(ctx.gateway.request(request))
            .await
            .map_err(Error::gateway("DescribeAutoSnapshotPolicies"))?
            .into_inner();

        let last = page.policies.len() < PAGE_SIZE as usize
            || u64::from(page_number) * u64::from(PAGE_SIZE) >= u64::from(page.total_count);
        found.extend(
            page.policies
                .into_iter()
                .filter(|p| owner.owns(&domain_tags(&p.tags))),
        );
        if last {
            break;
        }
    }
    Ok(found)
}

/// Creates `owner`'s policy with `plan`'s schedule; returns its ID.
pub async fn create(
    ctx: &Context,
    owner: &PolicyOwner,
    plan: &ScheduledPlan,
) -> Result<String, Error> {
    let ecs = &plan.conversion.ecs;
    let request = CreateAutoSnapshotPolicyRequest {
        region_id: ctx.region.clone(),
        name: owner.ecs_policy_name(),
        time_points: ecs.schedule().hours().map(u32::from).collect(),
        repeat_weekdays: ecs.schedule().weekdays().map(u32::from).collect(),
        retention_days: plan.retention_days,
        tags: wire_tags(&owner.tags()),
    };
    let response = ctx
        .gateway
        .client()
        .create_auto_snapshot_policy(ctx.gateway.request(request))
        .await
        .map_err(Error::gateway("CreateAutoSnapshotPolicy"))?;
    Ok(response.into_inner().auto_snapshot_policy_id)
}

/// Brings `policy` to `plan`; only what drifted is sent.
pub async fn modify(
    ctx: &Context,
    owner: &PolicyOwner,
    policy: &AutoSnapshotPolicy,
    plan: &ScheduledPlan,
    drift: Drift,
) -> Result<(), Error> {
    let ecs = &plan.conversion.ecs;
    let mut request = ModifyAutoSnapshotPolicyRequest {
        region_id: ctx.region.clone(),
        auto_snapshot_policy_id: policy.auto_snapshot_policy_id.clone(),
        ..Default::default()
    };
    if drift.schedule {
        request.time_points = ecs.schedule().hours().map(u32::from).collect();
        request.repeat_weekdays = ecs.schedule().weekdays().map(u32::from).collect();
    }
    if drift.retention {
        request.retention_days = Some(plan.retention_days);
    }
    if drift.name {
        request.name = Some(owner.ecs_policy_name());
    }
    ctx.gateway
        .client()
        .modify_auto_snapshot_policy(ctx.gateway.request(request))
        .await
        .map_err(Error::gateway("ModifyAutoSnapshotPolicy"))?;
    Ok(())
}

/// Deletes policy `id`; `Ok(false)` when ECS did not have it (which counts as done).
pub async fn delete(ctx: &Context, id: &str) -> Result<bool, Error> {
    let request = DeleteAutoSnapshotPolicyRequest {
        region_id: ctx.region.clone(),
        auto_snapshot_policy_id: id.to_owned(),
    };
    let result = ctx
        .gateway
        .client()
        .delete_auto_snapshot_policy(ctx.gateway.request(request))
        .await;
    match result {
        Ok(_) => Ok(true),
        Err(status) if status.code() == tonic::Code::NotFound => Ok(false),
        Err(status) => Err(Error::gateway("DeleteAutoSnapshotPolicy")(status)),
    }
}

/// What differs between `policy` and `plan`.
pub fn drift(policy: &AutoSnapshotPolicy, owner: &PolicyOwner, plan: &ScheduledPlan) -> Drift {
    let ecs = plan.conversion.ecs.schedule();
    let sorted = |v: &[u32]| {
        let mut v = v.to_vec();
        v.sort_unstable();
        v.dedup();
        v
    };
    let hours: Vec<u32> = ecs.hours().map(u32::from).collect();
    let days: Vec<u32> = ecs.weekdays().map(u32::from).collect();
    Drift {
        schedule: sorted(&policy.time_points) != hours || sorted(&policy.repeat_weekdays) != days,
        retention: policy.retention_days != plan.retention_days,
        name: policy.name != owner.ecs_policy_name(),
    }
}

/// The policy to keep (oldest creation time, then smallest ID: the same on every replica and
/// restart) and the duplicates to delete.
pub fn split_canonical(
    mut policies: Vec<AutoSnapshotPolicy>,
) -> Option<(AutoSnapshotPolicy, Vec<AutoSnapshotPolicy>)> {
    policies.sort_by(|a, b| {
        let created = |p: &AutoSnapshotPolicy| p.creation_time.map(|t| (t.seconds, t.nanos));
        // Policies without a creation time sort last.
        let key = |p: &AutoSnapshotPolicy| (created(p).is_none(), created(p));
        key(a)
            .cmp(&key(b))
            .then_with(|| a.auto_snapshot_policy_id.cmp(&b.auto_snapshot_policy_id))
    });
    let mut iter = policies.into_iter();
    let keep = iter.next()?;
    Some((keep, iter.collect()))
}

/// Cluster and uid tags only: enough to find the VSP's objects, and exact (the name tag may be
/// shortened).
pub fn ownership_tags(owner: &PolicyOwner) -> Vec<Tag> {
    let wanted = [
        snapshot_domain::ecs_naming::TAG_CLUSTER_ID,
        snapshot_domain::ecs_naming::TAG_POLICY_UID,
    ];
    let tags: Vec<EcsTag> = owner
        .tags()
        .into_iter()
        .filter(|t| wanted.contains(&t.key.as_str()))
        .collect();
    wire_tags(&tags)
}

pub fn wire_tags(tags: &[EcsTag]) -> Vec<Tag> {
    tags.iter()
        .map(|t| Tag {
            key: t.key.clone(),
            value: t.value.clone(),
        })
        .collect()
}

pub fn domain_tags(tags: &[Tag]) -> Vec<EcsTag> {
    tags.iter()
        .map(|t| EcsTag {
            key: t.key.clone(),
            value: t.value.clone(),
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use prost_types::Timestamp as WireTime;

    use super::*;

    fn policy(id: &str, created: Option<i64>) -> AutoSnapshotPolicy {
        AutoSnapshotPolicy {
            auto_snapshot_policy_id: id.into(),
            creation_time: created.map(|seconds| WireTime { seconds, nanos: 0 }),
            ..Default::default()
        }
    }

    #[test]
    fn the_oldest_policy_is_kept_whatever_the_listing_order() {
        let listed = vec![
            policy("sp-b", Some(20)),
            policy("sp-c", None),
            policy("sp-a", Some(20)),
            policy("sp-z", Some(10)),
        ];
        let (keep, extra) = split_canonical(listed.clone()).unwrap();
        assert_eq!(keep.auto_snapshot_policy_id, "sp-z");
        let extra: Vec<_> = extra
            .iter()
            .map(|p| p.auto_snapshot_policy_id.as_str())
            .collect();
        assert_eq!(extra, ["sp-a", "sp-b", "sp-c"]);

        let mut reversed = listed;
        reversed.reverse();
        assert_eq!(
            split_canonical(reversed).unwrap().0.auto_snapshot_policy_id,
            "sp-z"
        );
        assert!(split_canonical(vec![]).is_none());
    }
}
