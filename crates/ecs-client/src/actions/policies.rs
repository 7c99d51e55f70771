//! Automatic snapshot policies: create, modify, delete, describe.
//!
//! ECS quirks kept here: the mutating actions spell their parameters in lowerCamelCase
//! (`regionId`, `timePoints`, ...) while Describe uses UpperCamelCase; `timePoints` and
//! `repeatWeekdays` are JSON arrays inside a string; hours are **UTC+8**, not UTC.

use serde::{Deserialize, Serialize};

use super::common::{ResourceTag, Tag, resource_tags};
use super::params::Params;
use super::validate::{Check, MAX_TAGS, NameRule};
use super::{Empty, ecs_response};
use crate::{Action, Error, RetrySafety};

const POLICY_NAME: NameRule = NameRule {
    extra: &[':', '_', '-'],
    reserved_prefix: None,
};

/// How a policy picks its disks.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum AssociationType {
    /// Applied disk by disk with ApplyAutoSnapshotPolicy (ECS's default).
    AssociatedWithDisk,
    /// Applied to the disks of instances carrying `TargetTags`.
    AssociatedWithInstanceTag,
}

impl AssociationType {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::AssociatedWithDisk => "AssociatedWithDisk",
            Self::AssociatedWithInstanceTag => "AssociatedWithInstanceTag",
        }
    }
}

/// Cross-region copy settings shared by create and modify.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct CrossRegionCopy {
    /// `EnableCrossRegionCopy`.
    pub enabled: Option<bool>,
    /// `TargetCopyRegions`; ECS takes exactly one destination region.
    pub target_regions: Vec<String>,
    /// `CopiedSnapshotsRetentionDays`: -1 or 1..=65535.
    pub retention_days: Option<i32>,
}

impl CrossRegionCopy {
    fn write(&self, params: &mut Params) {
        params.opt("EnableCrossRegionCopy", self.enabled);
        params.json_list("TargetCopyRegions", &self.target_regions);
        params.opt("CopiedSnapshotsRetentionDays", self.retention_days);
    }

    fn validate(&self, check: Check) -> Result<(), Error> {
        check.count("TargetCopyRegions", self.target_regions.len(), 0, 1)?;
        for region in &self.target_regions {
            check.region("TargetCopyRegions", region)?;
        }
        if let Some(days) = self.retention_days {
            check.policy_retention("CopiedSnapshotsRetentionDays", days)?;
        }
        Ok(())
    }
}

/// `CreateAutoSnapshotPolicy`: a schedule of weekdays × hours (UTC+8) with a retention.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CreateAutoSnapshotPolicy {
    pub region_id: String,
    /// `timePoints`: hours 0..=23 in **UTC+8**.
    pub time_points: Vec<u8>,
    /// `repeatWeekdays`: 1 = Monday ..= 7 = Sunday (UTC+8 calendar).
    pub repeat_weekdays: Vec<u8>,
    /// `retentionDays`: -1 keeps forever, else 1..=65535.
    pub retention_days: i32,
    /// `autoSnapshotPolicyName`.
    pub name: Option<String>,
    pub association_type: Option<AssociationType>,
    /// `TargetTags.N`, 1..=5, required with [`AssociationType::AssociatedWithInstanceTag`].
    pub target_tags: Vec<Tag>,
    /// `Tag.N`: tags on the policy itself.
    pub tags: Vec<Tag>,
    pub resource_group_id: Option<String>,
    pub cross_region_copy: CrossRegionCopy,
}

impl CreateAutoSnapshotPolicy {
    pub fn new(
        region_id: impl Into<String>,
        time_points: Vec<u8>,
        repeat_weekdays: Vec<u8>,
        retention_days: i32,
    ) -> Self {
        Self {
            region_id: region_id.into(),
            time_points,
            repeat_weekdays,
            retention_days,
            name: None,
            association_type: None,
            target_tags: Vec::new(),
            tags: Vec::new(),
            resource_group_id: None,
            cross_region_copy: CrossRegionCopy::default(),
        }
    }
}

/// The body of `CreateAutoSnapshotPolicy`.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "PascalCase", default)]
pub struct CreateAutoSnapshotPolicyResponse {
    pub request_id: String,
    /// `sp-…`.
    pub auto_snapshot_policy_id: String,
}

impl Action for CreateAutoSnapshotPolicy {
    const NAME: &'static str = "CreateAutoSnapshotPolicy";
    type Response = CreateAutoSnapshotPolicyResponse;

    fn params(&self) -> Vec<(String, String)> {
        let mut params = Params::new();
        params
            .put("regionId", &self.region_id)
            .json_list("timePoints", &self.time_points)
            .json_list("repeatWeekdays", &self.repeat_weekdays)
            .put("retentionDays", self.retention_days)
            .opt("autoSnapshotPolicyName", self.name.as_ref())
            .opt(
                "AssociationType",
                self.association_type.map(AssociationType::as_str),
            )
            .tags("TargetTags", &self.target_tags)
            .tags("Tag", &self.tags)
            .opt("ResourceGroupId", self.resource_group_id.as_ref());
        self.cross_region_copy.write(&mut params);
        params.finish()
    }

    /// ECS has no client token here; a repeat creates a second policy.
    fn safety(&self) -> RetrySafety {
        RetrySafety::Mutating
    }

    fn validate(&self) -> Result<(), Error> {
        let check = Check(Self::NAME);
        check.region("regionId", &self.region_id)?;
        check.hours("timePoints", &self.time_points)?;
        check.weekdays("repeatWeekdays", &self.repeat_weekdays)?;
        check.policy_retention("retentionDays", self.retention_days)?;
        check.opt_name("autoSnapshotPolicyName", self.name.as_ref(), &POLICY_NAME)?;
        check.tags("Tag", &self.tags, MAX_TAGS)?;
        check.tags("TargetTags", &self.target_tags, 5)?;
        if self.association_type == Some(AssociationType::AssociatedWithInstanceTag)
            && self.target_tags.is_empty()
        {
            return Err(check.fail(
                "TargetTags",
                "required when AssociationType is AssociatedWithInstanceTag",
            ));
        }
        check.opt_id("ResourceGroupId", self.resource_group_id.as_ref())?;
        self.cross_region_copy.validate(check)
    }
}

/// `ModifyAutoSnapshotPolicyEx`: changes take effect at once on every disk the policy covers.
/// `None` / empty fields are left unchanged.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ModifyAutoSnapshotPolicyEx {
    pub region_id: String,
    pub auto_snapshot_policy_id: String,
    pub name: Option<String>,
    /// Hours in **UTC+8**; empty = unchanged.
    pub time_points: Vec<u8>,
    /// Empty = unchanged.
    pub repeat_weekdays: Vec<u8>,
    pub retention_days: Option<i32>,
    /// `TargetTags.N`, up to 5.
    pub target_tags: Vec<Tag>,
    pub cross_region_copy: CrossRegionCopy,
}

impl ModifyAutoSnapshotPolicyEx {
    pub fn new(region_id: impl Into<String>, auto_snapshot_policy_id: impl Into<String>) -> Self {
        Self {
            region_id: region_id.into(),
            auto_snapshot_policy_id: auto_snapshot_policy_id.into(),
            name: None,
            time_points: Vec::new(),
            repeat_weekdays: Vec::new(),
            retention_days: None,
            target_tags: Vec::new(),
            cross_region_copy: CrossRegionCopy::default(),
        }
    }
}

impl Action for ModifyAutoSnapshotPolicyEx {
    const NAME: &'static str = "ModifyAutoSnapshotPolicyEx";
    type Response = Empty;

    fn params(&self) -> Vec<(String, String)> {
        let mut params = Params::new();
        params
            .put("regionId", &self.region_id)
            .put("autoSnapshotPolicyId", &self.auto_snapshot_policy_id)
            .opt("autoSnapshotPolicyName", self.name.as_ref())
            .json_list("timePoints", &self.time_points)
            .json_list("repeatWeekdays", &self.repeat_weekdays)
            .opt("retentionDays", self.retention_days)
            .tags("TargetTags", &self.target_tags);
        self.cross_region_copy.write(&mut params);
        params.finish()
    }

    /// Setting the same values twice leaves the same policy, but a repeat after a concurrent
    /// change would undo it, so the gateway should read back before repeating.
    fn safety(&self) -> RetrySafety {
        RetrySafety::Mutating
    }

    fn validate(&self) -> Result<(), Error> {
        let check = Check(Self::NAME);
        check.region("regionId", &self.region_id)?;
        check.id("autoSnapshotPolicyId", &self.auto_snapshot_policy_id)?;
        check.opt_name("autoSnapshotPolicyName", self.name.as_ref(), &POLICY_NAME)?;
        if !self.time_points.is_empty() {
            check.hours("timePoints", &self.time_points)?;
        }
        if !self.repeat_weekdays.is_empty() {
            check.weekdays("repeatWeekdays", &self.repeat_weekdays)?;
        }
        if let Some(days) = self.retention_days {
            check.policy_retention("retentionDays", days)?;
        }
        check.tags("TargetTags", &self.target_tags, 5)?;
        self.cross_region_copy.validate(check)
    }
}

/// `DeleteAutoSnapshotPolicy`: also detaches the policy from all its disks. A missing policy
/// answers HTTP 404 with code `ParameterInvalid`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DeleteAutoSnapshotPolicy {
    pub region_id: String,
    pub auto_snapshot_policy_id: String,
}

impl DeleteAutoSnapshotPolicy {
    pub fn new(region_id: impl Into<String>, auto_snapshot_policy_id: impl Into<String>) -> Self {
        Self {
            region_id: region_id.into(),
            auto_snapshot_policy_id: auto_snapshot_policy_id.into(),
        }
    }
}

impl Action for DeleteAutoSnapshotPolicy {
    const NAME: &'static str = "DeleteAutoSnapshotPolicy";
    type Response = Empty;

    fn params(&self) -> Vec<(String, String)> {
        Params::new()
            .put("regionId", &self.region_id)
            .put("autoSnapshotPolicyId", &self.auto_snapshot_policy_id)
            .finish()
    }

    /// A repeat after success answers 404 `ParameterInvalid`, which the gateway reads as
    /// "already deleted".
    fn safety(&self) -> RetrySafety {
        RetrySafety::IdempotentDelete
    }

    fn validate(&self) -> Result<(), Error> {
        let check = Check(Self::NAME);
        check.region("regionId", &self.region_id)?;
        check.id("autoSnapshotPolicyId", &self.auto_snapshot_policy_id)
    }
}

/// `DescribeAutoSnapshotPolicyEx`, paged by `PageNumber` / `PageSize`.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct DescribeAutoSnapshotPolicyEx {
    pub region_id: String,
    pub auto_snapshot_policy_id: Option<String>,
    pub auto_snapshot_policy_name: Option<String>,
    /// 1-based.
    pub page_number: Option<u32>,
    /// 1..=100, ECS default 10.
    pub page_size: Option<u32>,
    pub tags: Vec<Tag>,
    pub resource_group_id: Option<String>,
}

impl DescribeAutoSnapshotPolicyEx {
    pub fn new(region_id: impl Into<String>) -> Self {
        Self {
            region_id: region_id.into(),
            ..Self::default()
        }
    }
}

/// One policy as DescribeAutoSnapshotPolicyEx reports it.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "PascalCase", default)]
pub struct AutoSnapshotPolicy {
    pub auto_snapshot_policy_id: String,
    pub auto_snapshot_policy_name: String,
    pub region_id: String,
    pub creation_time: String,
    /// Hours in UTC+8.
    #[serde(with = "crate::wire::json_string_list")]
    pub time_points: Vec<u8>,
    #[serde(with = "crate::wire::json_string_list")]
    pub repeat_weekdays: Vec<u8>,
    pub retention_days: i32,
    /// `Normal`, or `Expire` when the account is overdue.
    pub status: String,
    /// `Custom` or `System` (system policies cannot be modified).
    #[serde(rename = "Type")]
    pub policy_type: String,
    pub disk_nums: i64,
    pub volume_nums: i64,
    pub association_type: Option<String>,
    pub resource_group_id: Option<String>,
    pub enable_cross_region_copy: Option<bool>,
    pub target_copy_regions: Option<String>,
    pub copied_snapshots_retention_days: Option<i32>,
    #[serde(with = "resource_tags")]
    pub tags: Vec<ResourceTag>,
    #[serde(with = "target_tags")]
    pub target_tags: Vec<ResourceTag>,
}

crate::wire::wrapped_list!(target_tags, "TargetTag", ResourceTag);
crate::wire::wrapped_list!(policy_list, "AutoSnapshotPolicy", AutoSnapshotPolicy);

/// The body of `DescribeAutoSnapshotPolicyEx`.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "PascalCase", default)]
pub struct DescribeAutoSnapshotPolicyExResponse {
    pub request_id: String,
    pub total_count: i64,
    pub page_number: i64,
    pub page_size: i64,
    #[serde(with = "policy_list")]
    pub auto_snapshot_policies: Vec<AutoSnapshotPolicy>,
}

ecs_response!(
    CreateAutoSnapshotPolicyResponse,
    DescribeAutoSnapshotPolicyExResponse
);

impl Action for DescribeAutoSnapshotPolicyEx {
    const NAME: &'static str = "DescribeAutoSnapshotPolicyEx";
    type Response = DescribeAutoSnapshotPolicyExResponse;

    fn params(&self) -> Vec<(String, String)> {
        Params::new()
            .put("RegionId", &self.region_id)
            .opt(
                "AutoSnapshotPolicyId",
                self.auto_snapshot_policy_id.as_ref(),
            )
            .opt(
                "AutoSnapshotPolicyName",
                self.auto_snapshot_policy_name.as_ref(),
            )
            .opt("PageNumber", self.page_number)
            .opt("PageSize", self.page_size)
            .tags("Tag", &self.tags)
            .opt("ResourceGroupId", self.resource_group_id.as_ref())
            .finish()
    }

    fn safety(&self) -> RetrySafety {
        RetrySafety::ReadOnly
    }

    fn validate(&self) -> Result<(), Error> {
        let check = Check(Self::NAME);
        check.region("RegionId", &self.region_id)?;
        check.opt_id(
            "AutoSnapshotPolicyId",
            self.auto_snapshot_policy_id.as_ref(),
        )?;
        check.opt_range(
            "PageNumber",
            self.page_number.map(i64::from),
            1,
            i64::from(u32::MAX),
        )?;
        check.opt_range("PageSize", self.page_size.map(i64::from), 1, 100)?;
        check.tags("Tag", &self.tags, MAX_TAGS)?;
        check.opt_id("ResourceGroupId", self.resource_group_id.as_ref())
    }
}
