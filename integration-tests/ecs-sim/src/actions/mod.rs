//! The ECS actions: parameter rules, state changes and response shapes, one module per resource.
//!
//! Handlers take the world and the parsed parameters and return the response body without
//! `RequestId`, which the server adds. They never see signatures, throttling or faults.

mod disks;
mod groups;
mod policies;
mod policy_binding;
pub(crate) mod render;
pub(crate) use render::time as render_time;
mod snapshots;
mod tags;

use serde_json::Value;

use crate::api_error::ApiError;
use crate::params::Params;
use crate::world::World;

/// The only ECS API version the simulator speaks.
pub const ECS_VERSION: &str = "2014-05-26";

type Handler = fn(&mut World, &Call<'_>) -> Result<Value, ApiError>;

/// One ECS call as handlers see it.
pub struct Call<'a> {
    pub params: &'a Params,
    /// Region taken from an `ecs.<region>.aliyuncs.com` Host header, for actions without a
    /// `RegionId` parameter.
    pub host_region: Option<&'a str>,
}

impl Call<'_> {
    /// `RegionId` when given, else the endpoint's region, else the account's first region.
    fn implied_region(&self, world: &World) -> Result<String, ApiError> {
        let region = self
            .params
            .text("RegionId")
            .or(self.host_region)
            .unwrap_or(world.default_region())
            .to_owned();
        world.check_region(&region)?;
        Ok(region)
    }

    /// A required, configured region under parameter `name` (`RegionId` or `regionId`).
    fn region(&self, world: &World, name: &str) -> Result<String, ApiError> {
        let region = self.params.required(name)?;
        world.check_region(region)?;
        Ok(region.to_owned())
    }
}

const HANDLERS: &[(&str, Handler)] = &[
    ("CreateAutoSnapshotPolicy", policies::create),
    ("ModifyAutoSnapshotPolicyEx", policies::modify),
    ("DeleteAutoSnapshotPolicy", policies::delete),
    ("DescribeAutoSnapshotPolicyEx", policies::describe),
    ("ApplyAutoSnapshotPolicy", policy_binding::apply),
    ("CancelAutoSnapshotPolicy", policy_binding::cancel),
    (
        "DescribeAutoSnapshotPolicyAssociations",
        policy_binding::associations,
    ),
    ("CreateSnapshot", snapshots::create),
    ("DeleteSnapshot", snapshots::delete),
    ("DescribeSnapshots", snapshots::describe),
    ("CreateSnapshotGroup", groups::create),
    ("DescribeSnapshotGroups", groups::describe),
    ("DeleteSnapshotGroup", groups::delete),
    ("DescribeDisks", disks::describe),
    ("TagResources", tags::tag),
    ("UntagResources", tags::untag),
    ("ListTagResources", tags::list),
];

/// Whether the simulator implements an ECS action.
pub fn is_known(action: &str) -> bool {
    HANDLERS.iter().any(|(name, _)| *name == action)
}

/// Names of every implemented ECS action.
pub fn known_actions() -> impl Iterator<Item = &'static str> {
    HANDLERS.iter().map(|(name, _)| *name)
}

/// Runs one action. `DryRun=true` answers `DryRunOperation` without changing anything.
pub fn execute(world: &mut World, action: &str, call: &Call<'_>) -> Result<Value, ApiError> {
    let (_, handler) = HANDLERS
        .iter()
        .find(|(name, _)| *name == action)
        .ok_or_else(|| unknown_action(action))?;
    if call.params.bool("DryRun")? == Some(true) {
        let message = "Request validation has been passed with DryRun flag set.";
        return Err(ApiError::new(400, "DryRunOperation", message));
    }
    handler(world, call)
}

pub fn unknown_action(action: &str) -> ApiError {
    let message = format!("Specified api is not found, please check your url and method: {action}");
    ApiError::new(404, "InvalidApi.NotFound", message)
}
