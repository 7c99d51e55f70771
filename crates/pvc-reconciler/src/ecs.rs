//! The gateway calls pvc-reconciler makes, each counted in the metrics.
//!
//! # Cost
//! [`EcsDisks::describe`] costs one call per 100 disk IDs; [`EcsDisks::carrying`] one call per
//! 500 disks carrying a policy; [`EcsDisks::origin`] one call per policy ID (callers cache the
//! answer); [`EcsDisks::apply`] and [`EcsDisks::cancel`] one call per batch. The association
//! listings of upgraded accounts are in [`associations`].

pub mod associations;

use std::{
    collections::{BTreeMap, BTreeSet},
    sync::Arc,
};

use controller_support::{gateway::Gateway, gateway_error::GatewayFailure};
use ecs_gateway_api::v1;
use snapshot_domain::ecs_naming::{EcsTag, TaggedOwner};

use crate::{ReconcilerError, metrics::Metrics, plan::Batch};

/// The most disk IDs one DescribeDisks call accepts.
pub const DESCRIBE_IDS_PER_CALL: usize = 100;
/// The largest DescribeDisks page.
const PAGE_SIZE: u32 = 500;

/// Who created an automatic snapshot policy, as its tags say.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum PolicyOrigin {
    /// Tagged with this cluster's ID: created by policy-listener here.
    ThisCluster,
    /// Anything else: another cluster, a person, another tool.
    Foreign,
    /// ECS does not know the policy (deleted since the disk was read).
    Gone,
}

/// Disk and policy-binding calls of one region through the gateway.
#[derive(Debug, Clone)]
pub struct EcsDisks {
    gateway: Arc<Gateway>,
    region: String,
    metrics: Metrics,
}

impl EcsDisks {
    pub fn new(gateway: Arc<Gateway>, region: impl Into<String>, metrics: Metrics) -> Self {
        Self {
            gateway,
            region: region.into(),
            metrics,
        }
    }

    /// The disks among `ids` that ECS knows, each with the one policy ECS reports on it (empty
    /// when none).
    pub async fn describe(
        &self,
        ids: &[String],
    ) -> Result<BTreeMap<String, String>, ReconcilerError> {
        let mut found = BTreeMap::new();
        for chunk in ids.chunks(DESCRIBE_IDS_PER_CALL) {
            let request = v1::DescribeDisksRequest {
                region_id: self.region.clone(),
                disk_ids: chunk.to_vec(),
                max_results: DESCRIBE_IDS_PER_CALL as u32,
                ..Default::default()
            };
            for disk in self.pages(request).await? {
                found.insert(disk.disk_id, disk.auto_snapshot_policy_id);
            }
        }
        Ok(found)
    }

    /// Every disk carrying `policy_id` (exact on upgraded accounts too).
    pub async fn carrying(&self, policy_id: &str) -> Result<BTreeSet<String>, ReconcilerError> {
        let request = v1::DescribeDisksRequest {
            region_id: self.region.clone(),
            auto_snapshot_policy_id: policy_id.to_owned(),
            max_results: PAGE_SIZE,
            ..Default::default()
        };
        let disks = self.pages(request).await?;
        Ok(disks.into_iter().map(|d| d.disk_id).collect())
    }

    /// Whether `policy_id` was created by the cluster `cluster_id`.
    pub async fn origin(
        &self,
        policy_id: &str,
        cluster_id: &str,
    ) -> Result<PolicyOrigin, ReconcilerError> {
        const RPC: &str = "DescribeAutoSnapshotPolicies";
        let request = v1::DescribeAutoSnapshotPoliciesRequest {
            region_id: self.region.clone(),
            auto_snapshot_policy_id: policy_id.to_owned(),
            ..Default::default()
        };
        let answer = self
            .gateway
            .client()
            .describe_auto_snapshot_policies(self.gateway.request(request))
            .await;
        let page = self.count(RPC, answer).map_err(|f| failure(RPC, *f))?;
        let found = page
            .policies
            .iter()
            .find(|p| p.auto_snapshot_policy_id == policy_id);
        Ok(found.map_or(PolicyOrigin::Gone, |p| origin_of(p, cluster_id)))
    }

    /// Applies `batch.policy_id` to `batch.disk_ids` (one call).
    pub async fn apply(&self, batch: &Batch) -> Result<(), Box<GatewayFailure>> {
        let request = v1::ApplyAutoSnapshotPolicyRequest {
            region_id: self.region.clone(),
            auto_snapshot_policy_id: batch.policy_id.clone(),
            disk_ids: batch.disk_ids.clone(),
        };
        let answer = self
            .gateway
            .client()
            .apply_auto_snapshot_policy(self.gateway.request(request))
            .await;
        self.count("ApplyAutoSnapshotPolicy", answer).map(drop)
    }

    /// Cancels `batch.policy_id` (always named: ECS refuses a cancel without it on disks with
    /// several policies) on `batch.disk_ids` (one call).
    pub async fn cancel(&self, batch: &Batch) -> Result<(), Box<GatewayFailure>> {
        let request = v1::CancelAutoSnapshotPolicyRequest {
            region_id: self.region.clone(),
            auto_snapshot_policy_id: batch.policy_id.clone(),
            disk_ids: batch.disk_ids.clone(),
        };
        let answer = self
            .gateway
            .client()
            .cancel_auto_snapshot_policy(self.gateway.request(request))
            .await;
        self.count("CancelAutoSnapshotPolicy", answer).map(drop)
    }

    async fn pages(
        &self,
        mut request: v1::DescribeDisksRequest,
    ) -> Result<Vec<v1::Disk>, ReconcilerError> {
        const RPC: &str = "DescribeDisks";
        let mut disks = Vec::new();
        loop {
            let answer = self
                .gateway
                .client()
                .describe_disks(self.gateway.request(request.clone()))
                .await;
            let page = self.count(RPC, answer).map_err(|f| failure(RPC, *f))?;
            disks.extend(page.disks);
            if page.next_token.is_empty() {
                return Ok(disks);
            }
            request.next_token = page.next_token;
        }
    }

    fn count<T>(
        &self,
        action: &'static str,
        answer: Result<tonic::Response<T>, tonic::Status>,
    ) -> Result<T, Box<GatewayFailure>> {
        match answer {
            Ok(response) => {
                self.metrics.call(action, None);
                Ok(response.into_inner())
            }
            Err(status) => {
                let failure = GatewayFailure::from_status(&status);
                self.metrics.call(action, Some(failure.class));
                Err(Box::new(failure))
            }
        }
    }
}

/// Whether `policy`'s tags say the cluster `cluster_id` created it.
fn origin_of(policy: &v1::AutoSnapshotPolicy, cluster_id: &str) -> PolicyOrigin {
    let tags: Vec<EcsTag> = (policy.tags.iter())
        .map(|t| EcsTag {
            key: t.key.clone(),
            value: t.value.clone(),
        })
        .collect();
    match TaggedOwner::from_tags(&tags) {
        Some(owner) if owner.cluster_id == cluster_id => PolicyOrigin::ThisCluster,
        _ => PolicyOrigin::Foreign,
    }
}

/// A failed read or call as the pass's error.
pub fn failure(rpc: &'static str, failure: GatewayFailure) -> ReconcilerError {
    ReconcilerError::Gateway {
        rpc,
        class: failure.class,
        code: failure.short_code(),
        message: failure.message,
    }
}
