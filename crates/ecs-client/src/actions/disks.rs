//! `DescribeDisks`: which disks exist, where, and which automatic snapshot policy they carry.

use serde::{Deserialize, Serialize};

use super::common::{ResourceTag, Tag, resource_tags};
use super::ecs_response;
use super::params::Params;
use super::validate::{Check, MAX_TAGS};
use crate::{Action, Error, RetrySafety};

const DISK_TYPES: &[&str] = &["all", "system", "data"];
const DISK_STATUSES: &[&str] = &[
    "In_use",
    "Available",
    "Attaching",
    "Detaching",
    "Creating",
    "ReIniting",
    "All",
];

/// `DescribeDisks`, paged by `MaxResults` / `NextToken`. Filters are ANDed.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct DescribeDisks {
    pub region_id: String,
    /// `DiskIds`, a JSON-array string of at most 100 IDs.
    pub disk_ids: Vec<String>,
    pub instance_id: Option<String>,
    pub zone_id: Option<String>,
    pub disk_name: Option<String>,
    pub snapshot_id: Option<String>,
    /// Disks carrying this policy.
    pub auto_snapshot_policy_id: Option<String>,
    /// Disks carrying any policy (`true`) or none (`false`).
    pub enable_automated_snapshot_policy: Option<bool>,
    /// `all`, `system` or `data`.
    pub disk_type: Option<String>,
    /// e.g. `cloud_essd`; ECS's list grows, so it is not checked locally.
    pub category: Option<String>,
    /// `In_use`, `Available`, `Attaching`, `Detaching`, `Creating`, `ReIniting` or `All`.
    pub status: Option<String>,
    pub tags: Vec<Tag>,
    pub resource_group_id: Option<String>,
    /// ECS clamps this to 10..=500 itself, so only zero is refused.
    pub max_results: Option<u32>,
    pub next_token: Option<String>,
    pub dry_run: Option<bool>,
}

impl DescribeDisks {
    pub fn new(region_id: impl Into<String>) -> Self {
        Self {
            region_id: region_id.into(),
            ..Self::default()
        }
    }
}

/// Where a disk is attached.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "PascalCase", default)]
pub struct DiskAttachment {
    pub instance_id: String,
    pub device: Option<String>,
    pub attached_time: Option<String>,
}

crate::wire::wrapped_list!(attachments, "Attachment", DiskAttachment);

/// One disk as DescribeDisks reports it (the fields the product reads, plus the common ones).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "PascalCase", default)]
pub struct Disk {
    pub disk_id: String,
    pub disk_name: String,
    pub description: String,
    pub region_id: String,
    pub zone_id: String,
    /// Empty when detached.
    pub instance_id: String,
    pub device: Option<String>,
    /// `system` or `data`.
    #[serde(rename = "Type")]
    pub disk_type: String,
    pub category: String,
    pub performance_level: Option<String>,
    /// GiB.
    pub size: i64,
    pub status: String,
    pub portable: Option<bool>,
    pub encrypted: Option<bool>,
    #[serde(rename = "KMSKeyId")]
    pub kms_key_id: Option<String>,
    /// One policy even when the account may attach several.
    pub auto_snapshot_policy_id: Option<String>,
    pub enable_automated_snapshot_policy: Option<bool>,
    pub delete_auto_snapshot: Option<bool>,
    pub delete_with_instance: Option<bool>,
    pub source_snapshot_id: Option<String>,
    pub multi_attach: Option<String>,
    pub serial_number: Option<String>,
    pub creation_time: Option<String>,
    pub disk_charge_type: Option<String>,
    pub resource_group_id: Option<String>,
    #[serde(with = "attachments")]
    pub attachments: Vec<DiskAttachment>,
    #[serde(with = "resource_tags")]
    pub tags: Vec<ResourceTag>,
}

crate::wire::wrapped_list!(disk_list, "Disk", Disk);

/// The body of `DescribeDisks`. An empty or absent `NextToken` means the last page.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "PascalCase", default)]
pub struct DescribeDisksResponse {
    pub request_id: String,
    pub next_token: Option<String>,
    pub total_count: Option<i64>,
    #[serde(with = "disk_list")]
    pub disks: Vec<Disk>,
}

ecs_response!(DescribeDisksResponse);

impl Action for DescribeDisks {
    const NAME: &'static str = "DescribeDisks";
    type Response = DescribeDisksResponse;

    fn params(&self) -> Vec<(String, String)> {
        Params::new()
            .put("RegionId", &self.region_id)
            .json_list("DiskIds", &self.disk_ids)
            .opt("InstanceId", self.instance_id.as_ref())
            .opt("ZoneId", self.zone_id.as_ref())
            .opt("DiskName", self.disk_name.as_ref())
            .opt("SnapshotId", self.snapshot_id.as_ref())
            .opt(
                "AutoSnapshotPolicyId",
                self.auto_snapshot_policy_id.as_ref(),
            )
            .opt(
                "EnableAutomatedSnapshotPolicy",
                self.enable_automated_snapshot_policy,
            )
            .opt("DiskType", self.disk_type.as_ref())
            .opt("Category", self.category.as_ref())
            .opt("Status", self.status.as_ref())
            .tags("Tag", &self.tags)
            .opt("ResourceGroupId", self.resource_group_id.as_ref())
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
        check.ids("DiskIds", &self.disk_ids, 0, 100)?;
        check.opt_id("InstanceId", self.instance_id.as_ref())?;
        check.opt_id(
            "AutoSnapshotPolicyId",
            self.auto_snapshot_policy_id.as_ref(),
        )?;
        if let Some(kind) = &self.disk_type {
            check.one_of("DiskType", kind, DISK_TYPES)?;
        }
        if let Some(status) = &self.status {
            check.one_of("Status", status, DISK_STATUSES)?;
        }
        check.tags("Tag", &self.tags, MAX_TAGS)?;
        check.opt_range(
            "MaxResults",
            self.max_results.map(i64::from),
            1,
            i64::from(u32::MAX),
        )?;
        check.opt_id("ResourceGroupId", self.resource_group_id.as_ref())
    }
}
