//! The resources the simulated account holds. Plain data: rules live in the action handlers and
//! the timeline, rendering to ECS JSON in `render`.

use std::collections::BTreeMap;

use jiff::Timestamp;
use serde::{Deserialize, Serialize};

/// Tags as ECS stores them: key → value, keys unique.
pub type Tags = BTreeMap<String, String>;

/// ECS instance states that matter to snapshots.
#[derive(Debug, Clone, Copy, Serialize, Deserialize, PartialEq, Eq)]
pub enum InstanceStatus {
    Pending,
    Running,
    Starting,
    Stopping,
    Stopped,
}

/// An instance to create at start or through the admin API.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq, Eq)]
#[serde(deny_unknown_fields)]
pub struct InstanceSeed {
    pub id: String,
    /// Defaults to the first configured region.
    #[serde(default)]
    pub region_id: Option<String>,
    pub zone_id: String,
    #[serde(default = "running")]
    pub status: InstanceStatus,
    #[serde(default)]
    pub tags: Tags,
}

fn running() -> InstanceStatus {
    InstanceStatus::Running
}

#[derive(Debug, Clone, Serialize, Deserialize, PartialEq, Eq)]
pub struct Instance {
    pub id: String,
    pub region_id: String,
    pub zone_id: String,
    pub status: InstanceStatus,
    pub tags: Tags,
}

/// A disk to create at start or through the admin API.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq, Eq)]
#[serde(deny_unknown_fields)]
pub struct DiskSeed {
    pub id: String,
    #[serde(default)]
    pub region_id: Option<String>,
    /// Defaults to the instance's zone; required for a detached disk.
    #[serde(default)]
    pub zone_id: Option<String>,
    #[serde(default = "essd")]
    pub category: String,
    #[serde(default = "forty")]
    pub size_gib: u64,
    /// Attached (`In_use`) when set, `Available` otherwise.
    #[serde(default)]
    pub instance_id: Option<String>,
    /// `system` or `data`.
    #[serde(default = "data")]
    pub disk_type: String,
    #[serde(default)]
    pub name: String,
    /// Whether an `Available` disk was ever attached (ECS refuses snapshots of never-used disks).
    #[serde(default = "yes")]
    pub attached_before: bool,
    #[serde(default)]
    pub multi_attach: bool,
    #[serde(default)]
    pub tags: Tags,
}

fn essd() -> String {
    "cloud_essd".to_owned()
}
fn forty() -> u64 {
    40
}
fn data() -> String {
    "data".to_owned()
}
fn yes() -> bool {
    true
}

#[derive(Debug, Clone, Serialize, Deserialize, PartialEq, Eq)]
pub struct Disk {
    pub id: String,
    pub region_id: String,
    pub zone_id: String,
    pub name: String,
    pub category: String,
    pub size_gib: u64,
    pub disk_type: String,
    pub instance_id: Option<String>,
    pub attached_before: bool,
    pub multi_attach: bool,
    /// Attached automatic policies in the order they were applied.
    pub policy_ids: Vec<String>,
    pub tags: Tags,
    pub creation_time: Timestamp,
}

impl Disk {
    pub fn status(&self) -> &'static str {
        if self.instance_id.is_some() {
            "In_use"
        } else {
            "Available"
        }
    }

    /// Categories that can take snapshots at all (local and ephemeral disks cannot).
    pub fn supports_snapshots(&self) -> bool {
        !self.category.starts_with("local_") && !self.category.contains("ephemeral")
    }

    /// ESSD family, the only categories allowed in snapshot-consistent groups.
    pub fn is_essd_family(&self) -> bool {
        matches!(
            self.category.as_str(),
            "cloud_essd" | "cloud_auto" | "cloud_essd_entry"
        )
    }
}

#[derive(Debug, Clone, Serialize, Deserialize, PartialEq, Eq)]
pub struct Policy {
    pub id: String,
    pub region_id: String,
    pub name: String,
    /// Hours 0..=23 in UTC+8.
    pub time_points: Vec<u8>,
    /// ISO weekdays 1..=7 (Monday..Sunday) on the UTC+8 calendar.
    pub repeat_weekdays: Vec<u8>,
    /// `-1` keeps forever.
    pub retention_days: i64,
    pub creation_time: Timestamp,
    pub tags: Tags,
    pub target_tags: Tags,
    pub association_type: String,
    pub resource_group_id: String,
    pub enable_cross_region_copy: bool,
    pub target_copy_regions: String,
    pub copied_snapshots_retention_days: i64,
}

#[derive(Debug, Clone, Copy, Serialize, Deserialize, PartialEq, Eq)]
#[serde(rename_all = "lowercase")]
pub enum SnapshotKind {
    /// Taken by an automatic policy (`SnapshotType=auto`).
    Auto,
    /// Taken by CreateSnapshot or CreateSnapshotGroup (`SnapshotType=user`).
    User,
}

#[derive(Debug, Clone, Serialize, Deserialize, PartialEq, Eq)]
pub struct Snapshot {
    pub id: String,
    pub region_id: String,
    pub name: String,
    pub description: String,
    pub source_disk_id: String,
    pub source_disk_size_gib: u64,
    pub source_disk_type: String,
    pub source_disk_category: String,
    /// Instance the disk was attached to when the snapshot was taken.
    pub instance_id: Option<String>,
    pub kind: SnapshotKind,
    pub creation_time: Timestamp,
    /// Virtual time at which it turns `accomplished`.
    pub completes_at: Timestamp,
    /// Released automatically after this many days when set.
    pub retention_days: Option<i64>,
    pub tags: Tags,
    pub group_id: Option<String>,
    pub resource_group_id: String,
}

impl Snapshot {
    pub fn is_progressing(&self, now: Timestamp) -> bool {
        now < self.completes_at
    }

    pub fn status(&self, now: Timestamp) -> &'static str {
        if self.is_progressing(now) {
            "progressing"
        } else {
            "accomplished"
        }
    }

    /// When retention releases it, if ever.
    pub fn expires_at(&self) -> Option<Timestamp> {
        let days = self.retention_days.filter(|d| *d > 0)?;
        self.creation_time
            .checked_add(jiff::SignedDuration::from_hours(days * 24))
            .ok()
    }
}

#[derive(Debug, Clone, Serialize, Deserialize, PartialEq, Eq)]
pub struct SnapshotGroup {
    pub id: String,
    pub region_id: String,
    pub name: String,
    pub description: String,
    pub instance_id: Option<String>,
    pub creation_time: Timestamp,
    pub snapshot_ids: Vec<String>,
    pub tags: Tags,
    pub resource_group_id: String,
}
