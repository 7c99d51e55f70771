//! Snapshot-consistent groups: one crash-consistent snapshot of several ESSD disks in one zone.

use serde::{Deserialize, Serialize};

use super::common::Tag;
use super::ecs_response;
use super::params::Params;
use super::snapshots::SnapshotStatus;
use super::validate::{Check, MAX_TAGS, NameRule};
use crate::{Action, Error, RetrySafety};

/// The most disks in one group according to the newest SDK model. Older documentation says 16
/// disks / 32 TiB; ECS enforces whichever applies to the account and answers with an error.
pub const MAX_GROUP_DISKS: usize = 128;

const GROUP_NAME: NameRule = NameRule {
    extra: &['.', '_', '-', ':'],
    reserved_prefix: None,
};

/// `CreateSnapshotGroup`: all (or the listed) disks of `instance_id`, or the listed disks of
/// several instances in the same zone. ESSD-family disks only; multi-attach disks excluded.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CreateSnapshotGroup {
    pub region_id: String,
    pub instance_id: Option<String>,
    /// `DiskId.N`; exclusive with `exclude_disk_ids`.
    pub disk_ids: Vec<String>,
    /// `ExcludeDiskId.N`; exclusive with `disk_ids`.
    pub exclude_disk_ids: Vec<String>,
    pub name: Option<String>,
    pub description: Option<String>,
    /// [`CreateSnapshotGroup::new`] fills in a fresh UUID; set `None` to opt out.
    pub client_token: Option<String>,
    pub tags: Vec<Tag>,
    pub resource_group_id: Option<String>,
}

impl CreateSnapshotGroup {
    /// A group of the listed disks (which may belong to several instances in one zone).
    pub fn new(region_id: impl Into<String>, disk_ids: Vec<String>) -> Self {
        Self {
            region_id: region_id.into(),
            instance_id: None,
            disk_ids,
            exclude_disk_ids: Vec::new(),
            name: None,
            description: None,
            client_token: Some(uuid::Uuid::new_v4().to_string()),
            tags: Vec::new(),
            resource_group_id: None,
        }
    }
}

/// The body of `CreateSnapshotGroup`.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "PascalCase", default)]
pub struct CreateSnapshotGroupResponse {
    pub request_id: String,
    /// `ssg-…`.
    pub snapshot_group_id: String,
}

impl Action for CreateSnapshotGroup {
    const NAME: &'static str = "CreateSnapshotGroup";
    type Response = CreateSnapshotGroupResponse;

    fn params(&self) -> Vec<(String, String)> {
        Params::new()
            .put("RegionId", &self.region_id)
            .opt("InstanceId", self.instance_id.as_ref())
            .indexed("DiskId", &self.disk_ids)
            .indexed("ExcludeDiskId", &self.exclude_disk_ids)
            .opt("Name", self.name.as_ref())
            .opt("Description", self.description.as_ref())
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
        check.region("RegionId", &self.region_id)?;
        check.opt_id("InstanceId", self.instance_id.as_ref())?;
        check.ids("DiskId", &self.disk_ids, 0, MAX_GROUP_DISKS)?;
        check.ids("ExcludeDiskId", &self.exclude_disk_ids, 0, MAX_GROUP_DISKS)?;
        if !self.disk_ids.is_empty() && !self.exclude_disk_ids.is_empty() {
            return Err(check.fail("ExcludeDiskId", "cannot be combined with DiskId"));
        }
        if self.instance_id.is_none() && self.disk_ids.is_empty() {
            return Err(check.fail("DiskId", "required when InstanceId is not set"));
        }
        if self.instance_id.is_none() && !self.exclude_disk_ids.is_empty() {
            return Err(check.fail("ExcludeDiskId", "only meaningful together with InstanceId"));
        }
        check.opt_name("Name", self.name.as_ref(), &GROUP_NAME)?;
        check.description("Description", self.description.as_ref())?;
        check.client_token(self.client_token.as_ref())?;
        check.tags("Tag", &self.tags, MAX_TAGS)?;
        check.opt_id("ResourceGroupId", self.resource_group_id.as_ref())
    }
}

/// `DescribeSnapshotGroups`, paged by `MaxResults` / `NextToken`.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct DescribeSnapshotGroups {
    pub region_id: String,
    pub instance_id: Option<String>,
    pub name: Option<String>,
    /// `SnapshotGroupId.N`, at most 10.
    pub snapshot_group_ids: Vec<String>,
    /// `Status.N`, at most 3; [`SnapshotStatus::All`] is not accepted here.
    pub statuses: Vec<SnapshotStatus>,
    pub tags: Vec<Tag>,
    pub resource_group_id: Option<String>,
    /// 1..=100, ECS default 10.
    pub max_results: Option<u32>,
    pub next_token: Option<String>,
}

impl DescribeSnapshotGroups {
    pub fn new(region_id: impl Into<String>) -> Self {
        Self {
            region_id: region_id.into(),
            ..Self::default()
        }
    }
}

/// A tag as snapshot groups spell it (`Key` / `Value`, unlike the rest of ECS).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "PascalCase", default)]
pub struct GroupTag {
    pub key: String,
    pub value: String,
}

crate::wire::wrapped_list!(group_tags, "Tag", GroupTag);

/// One member snapshot of a group.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "PascalCase", default)]
pub struct GroupSnapshot {
    pub snapshot_id: String,
    pub source_disk_id: String,
    pub source_disk_type: Option<String>,
    pub progress: Option<String>,
    pub available: Option<bool>,
    pub instant_access: Option<bool>,
    pub instant_access_retention_days: Option<i32>,
    #[serde(with = "group_tags")]
    pub tags: Vec<GroupTag>,
}

crate::wire::wrapped_list!(group_snapshots, "Snapshot", GroupSnapshot);

/// One group as DescribeSnapshotGroups reports it.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "PascalCase", default)]
pub struct SnapshotGroup {
    pub snapshot_group_id: String,
    pub name: String,
    pub description: String,
    pub creation_time: String,
    /// `progressing`, `accomplished` or `failed`.
    pub status: String,
    pub progress_status: Option<String>,
    /// Set only when every member comes from one instance.
    pub instance_id: Option<String>,
    pub resource_group_id: Option<String>,
    #[serde(with = "group_tags")]
    pub tags: Vec<GroupTag>,
    #[serde(with = "group_snapshots")]
    pub snapshots: Vec<GroupSnapshot>,
}

crate::wire::wrapped_list!(group_list, "SnapshotGroup", SnapshotGroup);

/// The body of `DescribeSnapshotGroups`. An empty or absent `NextToken` means the last page.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "PascalCase", default)]
pub struct DescribeSnapshotGroupsResponse {
    pub request_id: String,
    pub next_token: Option<String>,
    #[serde(with = "group_list")]
    pub snapshot_groups: Vec<SnapshotGroup>,
}

ecs_response!(CreateSnapshotGroupResponse, DescribeSnapshotGroupsResponse);

impl Action for DescribeSnapshotGroups {
    const NAME: &'static str = "DescribeSnapshotGroups";
    type Response = DescribeSnapshotGroupsResponse;

    fn params(&self) -> Vec<(String, String)> {
        Params::new()
            .put("RegionId", &self.region_id)
            .opt("InstanceId", self.instance_id.as_ref())
            .opt("Name", self.name.as_ref())
            .indexed("SnapshotGroupId", &self.snapshot_group_ids)
            .indexed("Status", &self.statuses)
            .tags("Tag", &self.tags)
            .opt("ResourceGroupId", self.resource_group_id.as_ref())
            .opt("MaxResults", self.max_results)
            .opt("NextToken", self.next_token.as_ref())
            .finish()
    }

    fn safety(&self) -> RetrySafety {
        RetrySafety::ReadOnly
    }

    fn validate(&self) -> Result<(), Error> {
        let check = Check(Self::NAME);
        check.region("RegionId", &self.region_id)?;
        check.opt_id("InstanceId", self.instance_id.as_ref())?;
        check.ids("SnapshotGroupId", &self.snapshot_group_ids, 0, 10)?;
        check.count("Status", self.statuses.len(), 0, 3)?;
        if self.statuses.contains(&SnapshotStatus::All) {
            return Err(check.fail(
                "Status",
                "\"all\" is not a snapshot-group status; omit the filter",
            ));
        }
        check.tags("Tag", &self.tags, MAX_TAGS)?;
        check.opt_range("MaxResults", self.max_results.map(i64::from), 1, 100)?;
        check.opt_id("ResourceGroupId", self.resource_group_id.as_ref())
    }
}
