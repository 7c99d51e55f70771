//! What the controllers report on a `VolumeSnapshotPolicy`.
//!
//! # Who writes what
//! Status is written with server-side apply, each controller under its own field manager, so
//! fields have one owner each:
//! - policy-listener: `conditions` (`Ready`), `observedGeneration`, `schedule`, `ecsPolicyId`,
//!   `ecsSchedule`, `selectedVolumes`, `unmanagedVolumes`, `lastSnapshotTime`,
//!   `nextSnapshotTime`, `repeatOnce`;
//! - pvc-reconciler: `appliedVolumes` and `conflicts`.

use k8s_openapi::apimachinery::pkg::apis::meta::v1::{Condition, Time};
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

/// Observed state of a `VolumeSnapshotPolicy`.
#[derive(Serialize, Deserialize, Clone, Debug, Default, PartialEq, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct VolumeSnapshotPolicyStatus {
    /// `Ready` is True when the ECS side matches the spec (scheduled) or the one-off job has
    /// finished (repeatOnce); False with a reason and message a person can act on otherwise.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schemars(extend("x-kubernetes-list-type" = "map", "x-kubernetes-list-map-keys" = ["type"]))]
    pub conditions: Option<Vec<Condition>>,

    /// The `metadata.generation` this status describes.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub observed_generation: Option<i64>,

    /// The schedule in words, e.g. `1,2,4,5 @ 2,10,12,16 Europe/Berlin`, or `once`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub schedule: Option<String>,

    /// ID of the ECS automatic snapshot policy behind this policy (scheduled policies only).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub ecs_policy_id: Option<String>,

    /// The schedule as ECS runs it, in ECS's time zone (UTC+8).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub ecs_schedule: Option<EcsScheduleStatus>,

    /// PVCs the selector selects that are bound to a managed cloud disk.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub selected_volumes: Option<i32>,

    /// PVCs the selector selects that are not managed (unbound, not CSI, another driver).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub unmanaged_volumes: Option<i32>,

    /// Selected volumes whose disk carries this policy's ECS policy.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub applied_volumes: Option<i32>,

    /// Disks this policy selects but another policy owns: of two scheduled policies selecting
    /// one disk, the older (by creationTimestamp, then name) wins.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schemars(extend("maxItems" = 100))]
    pub conflicts: Option<Vec<DiskConflict>>,

    /// When ECS last took snapshots for this policy.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub last_snapshot_time: Option<Time>,

    /// When ECS will next take snapshots for this policy.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub next_snapshot_time: Option<Time>,

    /// Progress of a repeatOnce policy.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub repeat_once: Option<RepeatOnceStatus>,
}

/// The ECS side of a converted schedule.
#[derive(Serialize, Deserialize, Clone, Debug, Default, PartialEq, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct EcsScheduleStatus {
    /// Weekdays in UTC+8, "1" (Monday) to "7".
    pub repeat_weekdays: Vec<String>,
    /// Hours in UTC+8, "0" to "23".
    pub time_points: Vec<String>,
    /// When the policy's time zone next changes its offset; the ECS policy is updated then.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub valid_until: Option<Time>,
}

/// A disk this policy selects that another policy won.
#[derive(Serialize, Deserialize, Clone, Debug, Default, PartialEq, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct DiskConflict {
    /// The cloud disk ID.
    pub disk_id: String,
    /// The PVC bound to the disk, as `namespace/name`.
    pub pvc: String,
    /// The policy that owns the disk.
    pub winning_policy: String,
}

/// Progress of the one-off job of a repeatOnce policy.
#[derive(Serialize, Deserialize, Clone, Debug, Default, PartialEq, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct RepeatOnceStatus {
    /// The `metadata.generation` the job ran for; a new generation does not start a new job.
    pub generation: i64,
    /// One entry per selected disk.
    #[serde(default)]
    pub snapshots: Vec<RepeatOnceSnapshot>,
    /// True once every snapshot is accomplished or failed for good.
    #[serde(default)]
    pub finished: bool,
    /// When the job finished.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub finish_time: Option<Time>,
}

/// The one-off snapshot of one disk.
#[derive(Serialize, Deserialize, Clone, Debug, Default, PartialEq, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct RepeatOnceSnapshot {
    /// The cloud disk ID.
    pub disk_id: String,
    /// The PVC bound to the disk, as `namespace/name`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub pvc: Option<String>,
    /// The ECS snapshot ID, once ECS has returned one.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub snapshot_id: Option<String>,
    /// The ECS snapshot group ID when the disk was snapshotted in a consistent group.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub snapshot_group_id: Option<String>,
    /// Where this snapshot stands.
    pub state: RepeatOnceSnapshotState,
    /// Why it failed, as a CamelCase reason (failed snapshots only).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub reason: Option<String>,
    /// What failed, in words (failed snapshots only).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub message: Option<String>,
}

/// The life of one one-off snapshot.
#[derive(Serialize, Deserialize, Clone, Copy, Debug, Default, PartialEq, Eq, JsonSchema)]
pub enum RepeatOnceSnapshotState {
    /// Not requested from ECS yet (or the request's answer was lost; the client token makes
    /// the retry safe).
    #[default]
    Pending,
    /// ECS is taking the snapshot.
    Progressing,
    /// ECS finished the snapshot.
    Accomplished,
    /// ECS refused or failed it for good; `reason` and `message` say why.
    Failed,
}
