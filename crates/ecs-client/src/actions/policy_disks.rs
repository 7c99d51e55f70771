//! Attaching automatic snapshot policies to disks and detaching them.
//!
//! ECS documents no maximum number of disks per call; this crate caps both actions at
//! [`MAX_DISKS_PER_POLICY_CALL`] (the limit ECS uses for its other disk-ID lists) so callers
//! chunk large sets instead of discovering a hidden limit in production.

use super::Empty;
use super::params::Params;
use super::validate::Check;
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
