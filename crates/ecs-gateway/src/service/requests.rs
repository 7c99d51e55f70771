//! Contract requests as `ecs_client` actions. The gateway checks what only it knows (its
//! region, enum values, integer ranges of the wire types, required IDs); ECS's own limits are
//! checked by each action's `validate` before anything is sent, and both kinds of failure
//! answer INVALID_ARGUMENT naming the field.

use ecs_client::actions as ecs;
use ecs_gateway_api::v1;
use ecs_gateway_api::{GatewayErrorDetails, GatewayReason};
use tonic::Status;

use super::convert;

/// Builds actions for one region.
#[derive(Debug, Clone)]
pub struct RequestMapper {
    region: String,
}

/// An INVALID_ARGUMENT status naming `field`.
pub fn invalid(rpc: &'static str, field: &str, reason: impl std::fmt::Display) -> Status {
    GatewayErrorDetails::new(GatewayReason::InvalidRequest)
        .with("rpc", rpc)
        .with("field", field)
        .into_status(format!("invalid {rpc} request: {field}: {reason}"))
}

impl RequestMapper {
    /// Mapper for a gateway serving `region`.
    pub fn new(region: impl Into<String>) -> Self {
        Self {
            region: region.into(),
        }
    }

    /// The region this gateway serves.
    pub fn region(&self) -> &str {
        &self.region
    }

    fn check_region(&self, rpc: &'static str, region: &str) -> Result<String, Status> {
        if region.is_empty() {
            return Err(invalid(rpc, "region_id", "is required"));
        }
        if region != self.region {
            let reason = format!("this gateway serves region {}, not {region}", self.region);
            return Err(invalid(rpc, "region_id", reason));
        }
        Ok(region.to_string())
    }

    pub fn create_policy(
        &self,
        rpc: &'static str,
        req: v1::CreateAutoSnapshotPolicyRequest,
    ) -> Result<ecs::CreateAutoSnapshotPolicy, Status> {
        let region = self.check_region(rpc, &req.region_id)?;
        let hours = small(rpc, "time_points", &req.time_points)?;
        let days = small(rpc, "repeat_weekdays", &req.repeat_weekdays)?;

        let mut action =
            ecs::CreateAutoSnapshotPolicy::new(region, hours, days, req.retention_days);
        action.name = non_empty(req.name);
        action.tags = tags(req.tags);
        Ok(action)
    }

    pub fn modify_policy(
        &self,
        rpc: &'static str,
        req: v1::ModifyAutoSnapshotPolicyRequest,
    ) -> Result<ecs::ModifyAutoSnapshotPolicyEx, Status> {
        let region = self.check_region(rpc, &req.region_id)?;
        let id = required(rpc, "auto_snapshot_policy_id", req.auto_snapshot_policy_id)?;

        let mut action = ecs::ModifyAutoSnapshotPolicyEx::new(region, id);
        action.name = req.name;
        action.time_points = small(rpc, "time_points", &req.time_points)?;
        action.repeat_weekdays = small(rpc, "repeat_weekdays", &req.repeat_weekdays)?;
        action.retention_days = req.retention_days;
        Ok(action)
    }

    pub fn delete_policy(
        &self,
        rpc: &'static str,
        req: v1::DeleteAutoSnapshotPolicyRequest,
    ) -> Result<ecs::DeleteAutoSnapshotPolicy, Status> {
        let region = self.check_region(rpc, &req.region_id)?;
        let id = required(rpc, "auto_snapshot_policy_id", req.auto_snapshot_policy_id)?;
        Ok(ecs::DeleteAutoSnapshotPolicy::new(region, id))
    }

    pub fn describe_policies(
        &self,
        rpc: &'static str,
        req: v1::DescribeAutoSnapshotPoliciesRequest,
    ) -> Result<ecs::DescribeAutoSnapshotPolicyEx, Status> {
        let region = self.check_region(rpc, &req.region_id)?;

        let mut action = ecs::DescribeAutoSnapshotPolicyEx::new(region);
        action.auto_snapshot_policy_id = non_empty(req.auto_snapshot_policy_id);
        action.auto_snapshot_policy_name = non_empty(req.name);
        action.tags = tags(req.tags);
        action.page_number = Some(req.page_number.max(1));
        action.page_size = Some(if req.page_size == 0 {
            10
        } else {
            req.page_size
        });
        Ok(action)
    }

    pub fn apply_policy(
        &self,
        rpc: &'static str,
        req: v1::ApplyAutoSnapshotPolicyRequest,
    ) -> Result<ecs::ApplyAutoSnapshotPolicy, Status> {
        let region = self.check_region(rpc, &req.region_id)?;
        let id = required(rpc, "auto_snapshot_policy_id", req.auto_snapshot_policy_id)?;
        let disks = required_list(rpc, "disk_ids", req.disk_ids)?;
        Ok(ecs::ApplyAutoSnapshotPolicy::new(region, id, disks))
    }

    pub fn cancel_policy(
        &self,
        rpc: &'static str,
        req: v1::CancelAutoSnapshotPolicyRequest,
    ) -> Result<ecs::CancelAutoSnapshotPolicy, Status> {
        let region = self.check_region(rpc, &req.region_id)?;
        let id = required(rpc, "auto_snapshot_policy_id", req.auto_snapshot_policy_id)?;
        let disks = required_list(rpc, "disk_ids", req.disk_ids)?;
        Ok(ecs::CancelAutoSnapshotPolicy::new(region, id, disks))
    }

    pub fn describe_associations(
        &self,
        rpc: &'static str,
        req: v1::DescribeAutoSnapshotPolicyAssociationsRequest,
    ) -> Result<ecs::DescribeAutoSnapshotPolicyAssociations, Status> {
        let region = self.check_region(rpc, &req.region_id)?;
        let policy = non_empty(req.auto_snapshot_policy_id);
        let disk = non_empty(req.disk_id);
        if policy.is_some() == disk.is_some() {
            let why = "exactly one of auto_snapshot_policy_id and disk_id must be set";
            return Err(invalid(rpc, "auto_snapshot_policy_id", why));
        }
        let max = ecs::MIN_ASSOCIATIONS_PAGE..=ecs::MAX_ASSOCIATIONS_PAGE;

        Ok(ecs::DescribeAutoSnapshotPolicyAssociations {
            region_id: region,
            auto_snapshot_policy_id: policy,
            disk_id: disk,
            max_results: Some(page_size(rpc, req.max_results, max)?),
            next_token: non_empty(req.next_token),
        })
    }

    /// The action and the client token it carries (generated when the caller gave none).
    pub fn create_snapshot(
        &self,
        rpc: &'static str,
        req: v1::CreateSnapshotRequest,
    ) -> Result<(ecs::CreateSnapshot, String), Status> {
        self.check_region(rpc, &req.region_id)?;
        let disk = required(rpc, "disk_id", req.disk_id)?;
        let token = client_token(req.client_token);
        let retention = i32::try_from(req.retention_days)
            .map_err(|_| invalid(rpc, "retention_days", "is larger than 65535"))?;

        let mut action = ecs::CreateSnapshot::new(disk);
        action.snapshot_name = non_empty(req.name);
        action.description = non_empty(req.description);
        action.retention_days = (retention > 0).then_some(retention);
        action.tags = tags(req.tags);
        action.client_token = Some(token.clone());
        Ok((action, token))
    }

    /// The action and the client token it carries.
    pub fn create_snapshot_group(
        &self,
        rpc: &'static str,
        req: v1::CreateSnapshotGroupRequest,
    ) -> Result<(ecs::CreateSnapshotGroup, String), Status> {
        let region = self.check_region(rpc, &req.region_id)?;
        let disks = required_list(rpc, "disk_ids", req.disk_ids)?;
        let token = client_token(req.client_token);

        let mut action = ecs::CreateSnapshotGroup::new(region, disks);
        action.name = non_empty(req.name);
        action.description = non_empty(req.description);
        action.tags = tags(req.tags);
        action.client_token = Some(token.clone());
        Ok((action, token))
    }

    pub fn describe_snapshots(
        &self,
        rpc: &'static str,
        req: v1::DescribeSnapshotsRequest,
    ) -> Result<ecs::DescribeSnapshots, Status> {
        let region = self.check_region(rpc, &req.region_id)?;

        let mut action = ecs::DescribeSnapshots::new(region);
        action.snapshot_ids = req.snapshot_ids;
        action.disk_id = non_empty(req.disk_id);
        action.snapshot_type = snapshot_type(rpc, &req.snapshot_type)?;
        action.status = snapshot_status(rpc, "status", &req.status)?;
        action.tags = tags(req.tags);
        action.created_after = match req.created_after {
            Some(ts) => Some(
                convert::from_timestamp(&ts)
                    .ok_or_else(|| invalid(rpc, "created_after", "is out of range"))?,
            ),
            None => None,
        };
        action.max_results = Some(page_size(rpc, req.max_results, 1..=100)?);
        action.next_token = non_empty(req.next_token);
        Ok(action)
    }

    pub fn delete_snapshot(
        &self,
        rpc: &'static str,
        req: v1::DeleteSnapshotRequest,
    ) -> Result<ecs::DeleteSnapshot, Status> {
        self.check_region(rpc, &req.region_id)?;
        let id = required(rpc, "snapshot_id", req.snapshot_id)?;

        let mut action = ecs::DeleteSnapshot::new(id);
        action.force = req.force.then_some(true);
        Ok(action)
    }

    pub fn describe_snapshot_groups(
        &self,
        rpc: &'static str,
        req: v1::DescribeSnapshotGroupsRequest,
    ) -> Result<ecs::DescribeSnapshotGroups, Status> {
        let region = self.check_region(rpc, &req.region_id)?;
        let statuses = req
            .statuses
            .iter()
            .map(|s| snapshot_status(rpc, "statuses", s));

        let mut action = ecs::DescribeSnapshotGroups::new(region);
        action.snapshot_group_ids = req.snapshot_group_ids;
        action.statuses = statuses
            .collect::<Result<Vec<_>, _>>()?
            .into_iter()
            .flatten()
            .collect();
        action.tags = tags(req.tags);
        action.max_results = Some(page_size(rpc, req.max_results, 1..=100)?);
        action.next_token = non_empty(req.next_token);
        Ok(action)
    }

    pub fn describe_disks(
        &self,
        rpc: &'static str,
        req: v1::DescribeDisksRequest,
    ) -> Result<ecs::DescribeDisks, Status> {
        let region = self.check_region(rpc, &req.region_id)?;

        let mut action = ecs::DescribeDisks::new(region);
        action.disk_ids = req.disk_ids;
        action.auto_snapshot_policy_id = non_empty(req.auto_snapshot_policy_id);
        action.tags = tags(req.tags);
        action.max_results = Some(page_size(rpc, req.max_results, 10..=500)?);
        action.next_token = non_empty(req.next_token);
        Ok(action)
    }

    pub fn tag_resources(
        &self,
        rpc: &'static str,
        req: v1::TagResourcesRequest,
    ) -> Result<ecs::TagResources, Status> {
        let region = self.check_region(rpc, &req.region_id)?;
        let kind = resource_type(rpc, req.resource_type)?;
        let ids = required_list(rpc, "resource_ids", req.resource_ids)?;
        if req.tags.is_empty() {
            return Err(invalid(rpc, "tags", "at least one tag is required"));
        }
        Ok(ecs::TagResources::new(region, kind, ids, tags(req.tags)))
    }

    pub fn list_tag_resources(
        &self,
        rpc: &'static str,
        req: v1::ListTagResourcesRequest,
    ) -> Result<ecs::ListTagResources, Status> {
        let region = self.check_region(rpc, &req.region_id)?;
        let kind = resource_type(rpc, req.resource_type)?;
        let filters = req.tags.into_iter().map(|tag| ecs::TagFilter {
            value: non_empty(tag.value),
            key: tag.key,
        });

        let mut action = ecs::ListTagResources::new(region, kind);
        action.resource_ids = req.resource_ids;
        action.tags = filters.collect();
        action.next_token = non_empty(req.next_token);
        Ok(action)
    }
}

fn required(rpc: &'static str, field: &str, value: String) -> Result<String, Status> {
    if value.trim().is_empty() {
        return Err(invalid(rpc, field, "is required"));
    }
    Ok(value)
}

fn required_list(
    rpc: &'static str,
    field: &str,
    values: Vec<String>,
) -> Result<Vec<String>, Status> {
    if values.is_empty() {
        return Err(invalid(rpc, field, "must list at least one ID"));
    }
    if values.iter().any(|v| v.trim().is_empty()) {
        return Err(invalid(rpc, field, "contains an empty ID"));
    }
    Ok(values)
}

/// The page size asked of ECS: 0 means the contract's default of 100, and anything outside the
/// range the RPC documents is refused here, so a caller learns of it before an ECS call is
/// spent on it (ECS would silently clamp some of these values).
fn page_size(
    rpc: &'static str,
    requested: u32,
    allowed: std::ops::RangeInclusive<u32>,
) -> Result<u32, Status> {
    match requested {
        0 => Ok(100),
        n if allowed.contains(&n) => Ok(n),
        n => Err(invalid(
            rpc,
            "max_results",
            format!(
                "must be 0 (default 100) or {}..={}, got {n}",
                allowed.start(),
                allowed.end()
            ),
        )),
    }
}

fn non_empty(value: String) -> Option<String> {
    (!value.is_empty()).then_some(value)
}

fn small(rpc: &'static str, field: &str, values: &[u32]) -> Result<Vec<u8>, Status> {
    values
        .iter()
        .map(|v| u8::try_from(*v).map_err(|_| invalid(rpc, field, format!("{v} is out of range"))))
        .collect()
}

fn tags(tags: Vec<v1::Tag>) -> Vec<ecs::Tag> {
    tags.into_iter()
        .map(|t| ecs::Tag::new(t.key, t.value))
        .collect()
}

/// The caller's token, or a fresh random one (32 hex characters, within ECS's 64).
fn client_token(given: String) -> String {
    if given.is_empty() {
        uuid::Uuid::new_v4().simple().to_string()
    } else {
        given
    }
}

fn snapshot_type(rpc: &'static str, text: &str) -> Result<Option<ecs::SnapshotTypeFilter>, Status> {
    match text {
        "" => Ok(None),
        "auto" => Ok(Some(ecs::SnapshotTypeFilter::Auto)),
        "user" => Ok(Some(ecs::SnapshotTypeFilter::User)),
        "all" => Ok(Some(ecs::SnapshotTypeFilter::All)),
        other => Err(invalid(
            rpc,
            "snapshot_type",
            format!("{other:?} is not auto, user or all"),
        )),
    }
}

fn snapshot_status(
    rpc: &'static str,
    field: &str,
    text: &str,
) -> Result<Option<ecs::SnapshotStatus>, Status> {
    match text {
        "" => Ok(None),
        "progressing" => Ok(Some(ecs::SnapshotStatus::Progressing)),
        "accomplished" => Ok(Some(ecs::SnapshotStatus::Accomplished)),
        "failed" => Ok(Some(ecs::SnapshotStatus::Failed)),
        other => Err(invalid(
            rpc,
            field,
            format!("{other:?} is not progressing, accomplished or failed"),
        )),
    }
}

fn resource_type(rpc: &'static str, value: i32) -> Result<&'static str, Status> {
    let kind = v1::ResourceType::try_from(value)
        .map_err(|_| invalid(rpc, "resource_type", format!("{value} is not a known type")))?;
    convert::resource_type_name(kind).ok_or_else(|| invalid(rpc, "resource_type", "is required"))
}
