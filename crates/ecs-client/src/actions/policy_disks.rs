//! Attaching automatic snapshot policies to disks, detaching them, and listing which disk
//! carries which policy.
//!
//! ECS documents no maximum number of disks per call; this crate caps both actions at
//! [`MAX_DISKS_PER_POLICY_CALL`] (the limit ECS uses for its other disk-ID lists) so callers
//! chunk large sets instead of discovering a hidden limit in production.

use serde::{Deserialize, Serialize};

use super::params::Params;
use super::validate::Check;
use super::{Empty, ecs_response};
use crate::{Action, Error, RetrySafety};

/// The most disk IDs sent in one Apply/Cancel call.
pub const MAX_DISKS_PER_POLICY_CALL: usize = 100;

/// `ApplyAutoSnapshotPolicy`: by default a disk holds one policy and applying *replaces* it;
/// accounts allowed several policies per disk get the policy *added*.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ApplyAutoSnapshotPolicy {
    pub region_id: String,
    pub auto_snapshot_policy_id: String,
    /// `diskIds`, sent as a JSON-array string.
    pub disk_ids: Vec<String>,
}

impl ApplyAutoSnapshotPolicy {
    pub fn new(
        region_id: impl Into<String>,
        auto_snapshot_policy_id: impl Into<String>,
        disk_ids: Vec<String>,
    ) -> Self {
        Self {
            region_id: region_id.into(),
            auto_snapshot_policy_id: auto_snapshot_policy_id.into(),
            disk_ids,
        }
    }
}

impl Action for ApplyAutoSnapshotPolicy {
    const NAME: &'static str = "ApplyAutoSnapshotPolicy";
    type Response = Empty;

    fn params(&self) -> Vec<(String, String)> {
        Params::new()
            .put("regionId", &self.region_id)
            .put("autoSnapshotPolicyId", &self.auto_snapshot_policy_id)
            .json_list("diskIds", &self.disk_ids)
            .finish()
    }

    /// Applying the same policy to the same disks again leaves the same state, but with
    /// replace semantics a repeat could displace a policy applied in between; read back first.
    fn safety(&self) -> RetrySafety {
        RetrySafety::Mutating
    }

    fn validate(&self) -> Result<(), Error> {
        let check = Check(Self::NAME);
        check.region("regionId", &self.region_id)?;
        check.id("autoSnapshotPolicyId", &self.auto_snapshot_policy_id)?;
        check.ids("diskIds", &self.disk_ids, 1, MAX_DISKS_PER_POLICY_CALL)
    }
}

/// `CancelAutoSnapshotPolicy`: detaches a policy from disks. Always name the policy: without
/// it ECS refuses disks carrying several policies (`OperationDenied.TooManyAutoSnapshotPolicies`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CancelAutoSnapshotPolicy {
    pub region_id: String,
    /// `diskIds`, sent as a JSON-array string.
    pub disk_ids: Vec<String>,
    pub auto_snapshot_policy_id: Option<String>,
}

impl CancelAutoSnapshotPolicy {
    pub fn new(
        region_id: impl Into<String>,
        auto_snapshot_policy_id: impl Into<String>,
        disk_ids: Vec<String>,
    ) -> Self {
        Self {
            region_id: region_id.into(),
            disk_ids,
            auto_snapshot_policy_id: Some(auto_snapshot_policy_id.into()),
        }
    }
}

impl Action for CancelAutoSnapshotPolicy {
    const NAME: &'static str = "CancelAutoSnapshotPolicy";
    type Response = Empty;

    fn params(&self) -> Vec<(String, String)> {
        Params::new()
            .put("regionId", &self.region_id)
            .json_list("diskIds", &self.disk_ids)
            .opt(
                "autoSnapshotPolicyId",
                self.auto_snapshot_policy_id.as_ref(),
            )
            .finish()
    }

    fn safety(&self) -> RetrySafety {
        RetrySafety::Mutating
    }

    fn validate(&self) -> Result<(), Error> {
        let check = Check(Self::NAME);
        check.region("regionId", &self.region_id)?;
        check.ids("diskIds", &self.disk_ids, 1, MAX_DISKS_PER_POLICY_CALL)?;
        check.opt_id(
            "autoSnapshotPolicyId",
            self.auto_snapshot_policy_id.as_ref(),
        )
    }
}

/// `DescribeAutoSnapshotPolicyAssociations`: which disks carry which automatic policy, paged
/// by `MaxResults` / `NextToken`. Unlike DescribeDisks (one policy per disk) it lists every
/// policy of a disk on accounts allowed several. Exactly one of the two filters is required.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct DescribeAutoSnapshotPolicyAssociations {
    pub region_id: String,
    /// Associations of this policy.
    pub auto_snapshot_policy_id: Option<String>,
    /// Associations of this disk.
    pub disk_id: Option<String>,
    /// Page size, [`MIN_ASSOCIATIONS_PAGE`]..=[`MAX_ASSOCIATIONS_PAGE`] (ECS default 10).
    pub max_results: Option<u32>,
    pub next_token: Option<String>,
}

/// The smallest `MaxResults` ECS accepts for association listings.
pub const MIN_ASSOCIATIONS_PAGE: u32 = 10;
/// The largest `MaxResults` ECS accepts for association listings.
pub const MAX_ASSOCIATIONS_PAGE: u32 = 100;

impl DescribeAutoSnapshotPolicyAssociations {
    /// Every disk carrying `auto_snapshot_policy_id`.
    pub fn of_policy(region_id: impl Into<String>, auto_snapshot_policy_id: &str) -> Self {
        Self {
            region_id: region_id.into(),
            auto_snapshot_policy_id: Some(auto_snapshot_policy_id.to_owned()),
            ..Self::default()
        }
    }

    /// Every policy on `disk_id`.
    pub fn of_disk(region_id: impl Into<String>, disk_id: &str) -> Self {
        Self {
            region_id: region_id.into(),
            disk_id: Some(disk_id.to_owned()),
            ..Self::default()
        }
    }
}

/// One policy on one disk.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "PascalCase", default)]
pub struct AutoSnapshotPolicyAssociation {
    pub auto_snapshot_policy_id: String,
    pub disk_id: String,
}

crate::wire::wrapped_list!(
    association_list,
    "AutoSnapshotPolicyAssociation",
    AutoSnapshotPolicyAssociation
);

/// The body of `DescribeAutoSnapshotPolicyAssociations`. An empty or absent `NextToken` means
/// the last page.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "PascalCase", default)]
pub struct DescribeAutoSnapshotPolicyAssociationsResponse {
    pub request_id: String,
    pub next_token: Option<String>,
    #[serde(with = "association_list")]
    pub auto_snapshot_policy_associations: Vec<AutoSnapshotPolicyAssociation>,
}

ecs_response!(DescribeAutoSnapshotPolicyAssociationsResponse);

impl Action for DescribeAutoSnapshotPolicyAssociations {
    const NAME: &'static str = "DescribeAutoSnapshotPolicyAssociations";
    type Response = DescribeAutoSnapshotPolicyAssociationsResponse;

    fn params(&self) -> Vec<(String, String)> {
        Params::new()
            .put("RegionId", &self.region_id)
            .opt(
                "AutoSnapshotPolicyId",
                self.auto_snapshot_policy_id.as_ref(),
            )
            .opt("DiskId", self.disk_id.as_ref())
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
        check.opt_id(
            "AutoSnapshotPolicyId",
            self.auto_snapshot_policy_id.as_ref(),
        )?;
        check.opt_id("DiskId", self.disk_id.as_ref())?;
        if self.auto_snapshot_policy_id.is_some() == self.disk_id.is_some() {
            let why = "exactly one of AutoSnapshotPolicyId and DiskId must be set";
            return Err(check.fail("AutoSnapshotPolicyId", why));
        }
        check.opt_range(
            "MaxResults",
            self.max_results.map(i64::from),
            i64::from(MIN_ASSOCIATIONS_PAGE),
            i64::from(MAX_ASSOCIATIONS_PAGE),
        )
    }
}
