//! ECS automatic snapshot policies made through the gateway, as the controller a suite does
//! not run would make them (policy-listener creates them, pvc-reconciler applies them).

use ecs_gateway_api::{GatewayClient, v1};

use super::seed::REGION;

/// When an automatic policy fires and how long its snapshots are kept.
#[derive(Debug, Clone)]
pub struct PolicySchedule {
    /// Hours of the day (0-23).
    pub time_points: Vec<u32>,
    /// Days of the week (1 = Monday, 7 = Sunday).
    pub repeat_weekdays: Vec<u32>,
    pub retention_days: i32,
}

impl PolicySchedule {
    /// Every hour of every day, keeping snapshots `retention_days`.
    pub fn hourly(retention_days: i32) -> Self {
        Self {
            time_points: (0..24).collect(),
            repeat_weekdays: (1..=7).collect(),
            retention_days,
        }
    }

    /// Mondays at 02:00, keeping snapshots 7 days.
    pub fn weekly() -> Self {
        Self {
            time_points: vec![2],
            repeat_weekdays: vec![1],
            retention_days: 7,
        }
    }
}

/// Creates policy `name` in [`REGION`] with `tags`; returns its ID.
pub async fn create(
    client: &GatewayClient,
    name: &str,
    schedule: PolicySchedule,
    tags: Vec<v1::Tag>,
) -> String {
    let request = v1::CreateAutoSnapshotPolicyRequest {
        region_id: REGION.into(),
        name: name.into(),
        time_points: schedule.time_points,
        repeat_weekdays: schedule.repeat_weekdays,
        retention_days: schedule.retention_days,
        tags,
    };
    let created = client.clone().create_auto_snapshot_policy(request).await;
    let created = created.unwrap_or_else(|e| panic!("policy {name} is not created: {e}"));
    created.into_inner().auto_snapshot_policy_id
}

/// Applies `policy` to `disks`.
pub async fn apply(client: &GatewayClient, policy: &str, disks: &[String]) {
    let request = v1::ApplyAutoSnapshotPolicyRequest {
        region_id: REGION.into(),
        auto_snapshot_policy_id: policy.into(),
        disk_ids: disks.to_vec(),
    };
    let applied = client.clone().apply_auto_snapshot_policy(request).await;
    applied.unwrap_or_else(|e| panic!("policy {policy} is not applied to {disks:?}: {e}"));
}

/// Takes `policy` off `disks`.
pub async fn cancel(client: &GatewayClient, policy: &str, disks: &[String]) {
    let request = v1::CancelAutoSnapshotPolicyRequest {
        region_id: REGION.into(),
        auto_snapshot_policy_id: policy.into(),
        disk_ids: disks.to_vec(),
    };
    let cancelled = client.clone().cancel_auto_snapshot_policy(request).await;
    cancelled.unwrap_or_else(|e| panic!("policy {policy} is not cancelled on {disks:?}: {e}"));
}
