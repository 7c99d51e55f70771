//! Every policy on a disk, for upgraded accounts, where DescribeDisks reports only one of up
//! to 10: ECS's policy associations, listed per disk or per policy.
//!
//! # Cost
//! [`EcsDisks::policies_on`] costs one call per disk (a disk holds at most 10 policies, so one
//! page). [`EcsDisks::region_policies`] costs one call per 100 policies of the region, and
//! [`EcsDisks::disks_of`] one call per 100 disks carrying the policy. Which of the two ways is
//! cheaper for a set of disks is the caller's choice ([`region_cost`]).

use std::collections::BTreeSet;

use ecs_gateway_api::v1;

use super::{EcsDisks, PolicyOrigin, failure, origin_of};
use crate::ReconcilerError;

/// The largest association page ECS serves.
const ASSOCIATIONS_PAGE: u32 = 100;
/// The largest DescribeAutoSnapshotPolicies page.
const POLICIES_PAGE: u32 = 100;
const RPC: &str = "DescribeAutoSnapshotPolicyAssociations";

/// A policy of the region, as the listing reports it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RegionPolicy {
    pub id: String,
    /// Disks ECS says carry it.
    pub disk_count: u32,
    pub origin: PolicyOrigin,
}

/// The calls listing the disks of every policy in `policies` costs (at least one each).
pub fn region_cost(policies: &[RegionPolicy]) -> usize {
    let per_page = ASSOCIATIONS_PAGE as usize;
    let pages = |p: &RegionPolicy| (p.disk_count as usize).div_ceil(per_page).max(1);
    policies.iter().map(pages).sum()
}

impl EcsDisks {
    /// Every policy on `disk` (empty when none, or when ECS does not know the disk).
    pub async fn policies_on(&self, disk: &str) -> Result<BTreeSet<String>, ReconcilerError> {
        let request = v1::DescribeAutoSnapshotPolicyAssociationsRequest {
            region_id: self.region.clone(),
            disk_id: disk.to_owned(),
            max_results: ASSOCIATIONS_PAGE,
            ..Default::default()
        };
        let pairs = self.associations(request).await?;
        Ok(pairs
            .into_iter()
            .map(|a| a.auto_snapshot_policy_id)
            .collect())
    }

    /// Every disk carrying `policy`.
    pub async fn disks_of(&self, policy: &str) -> Result<BTreeSet<String>, ReconcilerError> {
        let request = v1::DescribeAutoSnapshotPolicyAssociationsRequest {
            region_id: self.region.clone(),
            auto_snapshot_policy_id: policy.to_owned(),
            max_results: ASSOCIATIONS_PAGE,
            ..Default::default()
        };
        let pairs = self.associations(request).await?;
        Ok(pairs.into_iter().map(|a| a.disk_id).collect())
    }

    /// Every policy of the region, with its origin for the cluster `cluster_id`.
    pub async fn region_policies(
        &self,
        cluster_id: &str,
    ) -> Result<Vec<RegionPolicy>, ReconcilerError> {
        const RPC: &str = "DescribeAutoSnapshotPolicies";
        let mut found = Vec::new();
        for page_number in 1.. {
            let request = v1::DescribeAutoSnapshotPoliciesRequest {
                region_id: self.region.clone(),
                page_number,
                page_size: POLICIES_PAGE,
                ..Default::default()
            };
            let answer = self
                .gateway
                .client()
                .describe_auto_snapshot_policies(self.gateway.request(request))
                .await;
            let page = self.count(RPC, answer).map_err(|f| failure(RPC, *f))?;
            let last = page.policies.len() < POLICIES_PAGE as usize;
            found.extend(page.policies.into_iter().map(|p| RegionPolicy {
                origin: origin_of(&p, cluster_id),
                id: p.auto_snapshot_policy_id,
                disk_count: p.disk_count,
            }));
            if last || found.len() >= page.total_count as usize {
                break;
            }
        }
        Ok(found)
    }

    async fn associations(
        &self,
        mut request: v1::DescribeAutoSnapshotPolicyAssociationsRequest,
    ) -> Result<Vec<v1::AutoSnapshotPolicyAssociation>, ReconcilerError> {
        let mut pairs = Vec::new();
        loop {
            let answer = self
                .gateway
                .client()
                .describe_auto_snapshot_policy_associations(self.gateway.request(request.clone()))
                .await;
            let page = self.count(RPC, answer).map_err(|f| failure(RPC, *f))?;
            pairs.extend(page.associations);
            if page.next_token.is_empty() {
                return Ok(pairs);
            }
            request.next_token = page.next_token;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn region_cost_counts_one_call_per_hundred_disks_and_at_least_one_per_policy() {
        let policy = |disk_count| RegionPolicy {
            id: "sp-1".into(),
            disk_count,
            origin: PolicyOrigin::Foreign,
        };
        assert_eq!(region_cost(&[]), 0);
        assert_eq!(region_cost(&[policy(0), policy(100), policy(101)]), 4);
    }
}
