//! Snapshots: create, describe, delete. CreateSnapshot and DeleteSnapshot take no region
//! parameter: ECS takes the region from the endpoint, so send them to the disk's region.

use serde::{Deserialize, Serialize};

use super::common::{ResourceTag, Tag, format_filter_time, resource_tags};
use super::params::Params;
use super::validate::{Check, MAX_TAGS, NameRule};
use super::{Empty, ecs_response};
use crate::{Action, Error, RetrySafety};

const SNAPSHOT_NAME: NameRule = NameRule {
    extra: &[':', '_', '.', '-'],
    reserved_prefix: Some("auto"),
};

/// `CreateSnapshot`: a manual snapshot of one disk. It starts `progressing`; poll
/// DescribeSnapshots for `accomplished`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CreateSnapshot {
    pub disk_id: String,
    /// 2..=128 characters; must not start with `auto` (reserved for automatic snapshots).
    pub snapshot_name: Option<String>,
    pub description: Option<String>,
    /// 1..=65536 days; `None` keeps the snapshot until deleted.
    pub retention_days: Option<i32>,
    /// Deduplicates repeats for a while on ECS's side. [`CreateSnapshot::new`] fills in a
    /// fresh UUID so a repeat of this value is always safe; set `None` to opt out.
    pub client_token: Option<String>,
    pub tags: Vec<Tag>,
    pub resource_group_id: Option<String>,
}

impl CreateSnapshot {
    pub fn new(disk_id: impl Into<String>) -> Self {
        Self {
            disk_id: disk_id.into(),
            snapshot_name: None,
            description: None,
            retention_days: None,
            client_token: Some(uuid::Uuid::new_v4().to_string()),
            tags: Vec::new(),
            resource_group_id: None,
        }
    }
}

/// The body of `CreateSnapshot`.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "PascalCase", default)]
pub struct CreateSnapshotResponse {
    pub request_id: String,
    /// `s-…`.
    pub snapshot_id: String,
}

impl Action for CreateSnapshot {
    const NAME: &'static str = "CreateSnapshot";
    type Response = CreateSnapshotResponse;

    fn params(&self) -> Vec<(String, String)> {
        Params::new()
            .put("DiskId", &self.disk_id)
            .opt("SnapshotName", self.snapshot_name.as_ref())
            .opt("Description", self.description.as_ref())
            .opt("RetentionDays", self.retention_days)
            .opt("ClientToken", self.client_token.as_ref())
            .tags("Tag", &self.tags)
            .opt("ResourceGroupId", self.resource_group_id.as_ref())
            .finish()
    }

    fn safety(&self) -> RetrySafety {
        match &self.client_token {
            Some(token) => RetrySafety::Idempotent {
                client_token: token.clone(),
            },
            None => RetrySafety::Mutating,
        }
    }

    fn validate(&self) -> Result<(), Error> {
        let check = Check(Self::NAME);
        check.id("DiskId", &self.disk_id)?;
        check.opt_name("SnapshotName", self.snapshot_name.as_ref(), &SNAPSHOT_NAME)?;
        check.description("Description", self.description.as_ref())?;
        check.opt_range(
            "RetentionDays",
            self.retention_days.map(i64::from),
            1,
            65536,
        )?;
        check.client_token(self.client_token.as_ref())?;
        check.tags("Tag", &self.tags, MAX_TAGS)?;
        check.opt_id("ResourceGroupId", self.resource_group_id.as_ref())
    }
}

/// `DeleteSnapshot`. Deleting a `progressing` snapshot cancels it; an unknown ID is ignored
/// and answers success, so a repeat after success is harmless.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DeleteSnapshot {
    pub snapshot_id: String,
    /// Also delete a snapshot that disks were created from (they then cannot be re-initialised).
    pub force: Option<bool>,
}

impl DeleteSnapshot {
    pub fn new(snapshot_id: impl Into<String>) -> Self {
        Self {
            snapshot_id: snapshot_id.into(),
            force: None,
        }
    }
}

impl Action for DeleteSnapshot {
    const NAME: &'static str = "DeleteSnapshot";
    type Response = Empty;

    fn params(&self) -> Vec<(String, String)> {
        Params::new()
            .put("SnapshotId", &self.snapshot_id)
            .opt("Force", self.force)
            .finish()
    }

    /// ECS answers success to a delete of a snapshot that no longer exists.
    fn safety(&self) -> RetrySafety {
        RetrySafety::IdempotentDelete
    }

    fn validate(&self) -> Result<(), Error> {
        Check(Self::NAME).id("SnapshotId", &self.snapshot_id)
    }
}

/// `SnapshotType` filter values.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SnapshotTypeFilter {
    Auto,
    User,
    All,
}

impl SnapshotTypeFilter {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Auto => "auto",
            Self::User => "user",
            Self::All => "all",
        }
    }
}

/// Snapshot `Status` values (also used by snapshot groups, without `all`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SnapshotStatus {
    Progressing,
    Accomplished,
    Failed,
    All,
}

impl SnapshotStatus {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Progressing => "progressing",
            Self::Accomplished => "accomplished",
            Self::Failed => "failed",
            Self::All => "all",
        }
    }
}

impl std::fmt::Display for SnapshotStatus {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

/// `DescribeSnapshots`, paged by `MaxResults` / `NextToken`. Filters are ANDed.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct DescribeSnapshots {
    pub region_id: String,
    pub disk_id: Option<String>,
    pub instance_id: Option<String>,
    /// `SnapshotIds`, a JSON-array string of at most 100 IDs.
    pub snapshot_ids: Vec<String>,
    pub snapshot_name: Option<String>,
    pub snapshot_link_id: Option<String>,
    pub snapshot_type: Option<SnapshotTypeFilter>,
    pub status: Option<SnapshotStatus>,
    /// `system` or `data`.
    pub source_disk_type: Option<String>,
    /// `image`, `disk`, `image_disk` or `none`.
    pub usage: Option<String>,
    pub encrypted: Option<bool>,
    pub resource_group_id: Option<String>,
    pub tags: Vec<Tag>,
    /// Only snapshots created at or after this time (`Filter.1.Key=CreationStartTime`),
    /// sent to the minute.
    pub created_after: Option<jiff::Timestamp>,
    /// 1..=100, ECS default 10.
    pub max_results: Option<u32>,
    pub next_token: Option<String>,
    pub dry_run: Option<bool>,
}

impl DescribeSnapshots {
    pub fn new(region_id: impl Into<String>) -> Self {
        Self {
            region_id: region_id.into(),
            ..Self::default()
        }
    }
}

/// One snapshot as DescribeSnapshots reports it. It does not name the automatic snapshot
/// policy that took it; correlate through `source_disk_id` and `snapshot_type`.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "PascalCase", default)]
pub struct Snapshot {
    pub snapshot_id: String,
    pub snapshot_name: String,
    pub description: String,
    #[serde(rename = "SnapshotSN")]
    pub snapshot_sn: Option<String>,
    pub snapshot_link_id: Option<String>,
    /// `progressing`, `accomplished` or `failed`.
    pub status: String,
    /// A percentage string such as `"87%"`.
    pub progress: String,
    pub remain_time: Option<i64>,
    /// `auto` (also `timer`) or `user`.
    pub snapshot_type: String,
    pub category: Option<String>,
    pub usage: Option<String>,
    pub available: Option<bool>,
    pub encrypted: Option<bool>,
    #[serde(rename = "KMSKeyId")]
    pub kms_key_id: Option<String>,
    /// Kept after the disk is released.
    pub source_disk_id: String,
    /// GiB, as a string on the wire.
    pub source_disk_size: Option<String>,
    /// `system` or `data`.
    pub source_disk_type: Option<String>,
    pub source_region_id: Option<String>,
    pub source_snapshot_id: Option<String>,
    pub retention_days: Option<i32>,
    pub creation_time: String,
    pub last_modified_time: Option<String>,
    pub region_id: Option<String>,
    pub resource_group_id: Option<String>,
    pub product_code: Option<String>,
    pub instant_access: Option<bool>,
    pub full_snapshot_size_in_bytes: Option<i64>,
    #[serde(with = "resource_tags")]
    pub tags: Vec<ResourceTag>,
}

crate::wire::wrapped_list!(snapshot_list, "Snapshot", Snapshot);

/// The body of `DescribeSnapshots`. An empty or absent `NextToken` means the last page.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "PascalCase", default)]
pub struct DescribeSnapshotsResponse {
    pub request_id: String,
    pub next_token: Option<String>,
    /// Meaningless with `NextToken` paging; kept for completeness.
    pub total_count: Option<i64>,
    #[serde(with = "snapshot_list")]
    pub snapshots: Vec<Snapshot>,
}

ecs_response!(CreateSnapshotResponse, DescribeSnapshotsResponse);

impl Action for DescribeSnapshots {
    const NAME: &'static str = "DescribeSnapshots";
    type Response = DescribeSnapshotsResponse;

    fn params(&self) -> Vec<(String, String)> {
        let mut params = Params::new();
        params
            .put("RegionId", &self.region_id)
            .opt("DiskId", self.disk_id.as_ref())
            .opt("InstanceId", self.instance_id.as_ref())
            .json_list("SnapshotIds", &self.snapshot_ids)
            .opt("SnapshotName", self.snapshot_name.as_ref())
            .opt("SnapshotLinkId", self.snapshot_link_id.as_ref())
            .opt(
                "SnapshotType",
                self.snapshot_type.map(SnapshotTypeFilter::as_str),
            )
            .opt("Status", self.status.map(SnapshotStatus::as_str))
            .opt("SourceDiskType", self.source_disk_type.as_ref())
            .opt("Usage", self.usage.as_ref())
            .opt("Encrypted", self.encrypted)
            .opt("ResourceGroupId", self.resource_group_id.as_ref())
            .tags("Tag", &self.tags);
        if let Some(after) = self.created_after {
            params
                .put("Filter.1.Key", "CreationStartTime")
                .put("Filter.1.Value", format_filter_time(after));
        }
        params
            .opt("MaxResults", self.max_results)
            .opt("NextToken", self.next_token.as_ref())
            .opt("DryRun", self.dry_run)
            .finish()
    }

    fn safety(&self) -> RetrySafety {
        RetrySafety::ReadOnly
    }

    fn validate(&self) -> Result<(), Error> {
        let check = Check(Self::NAME);
        check.region("RegionId", &self.region_id)?;
        check.opt_id("DiskId", self.disk_id.as_ref())?;
        check.opt_id("InstanceId", self.instance_id.as_ref())?;
        check.ids("SnapshotIds", &self.snapshot_ids, 0, 100)?;
        if let Some(kind) = &self.source_disk_type {
            check.one_of(
                "SourceDiskType",
                &kind.to_ascii_lowercase(),
                &["system", "data"],
            )?;
        }
        if let Some(usage) = &self.usage {
            check.one_of("Usage", usage, &["image", "disk", "image_disk", "none"])?;
        }
        check.tags("Tag", &self.tags, MAX_TAGS)?;
        check.opt_range("MaxResults", self.max_results.map(i64::from), 1, 100)?;
        check.opt_id("ResourceGroupId", self.resource_group_id.as_ref())
    }
}
