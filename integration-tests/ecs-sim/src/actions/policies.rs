//! Automatic snapshot policies: lower-camel parameters, JSON-array-in-string schedules in UTC+8,
//! classic (replace) versus upgraded (add) application to disks.

use serde_json::{Value, json};

use super::Call;
use super::render::{self, json_string_list};
use crate::api_error::ApiError;
use crate::model::Policy;
use crate::paging::{PageRequest, PagingRules, paginate};
use crate::params::Params;
use crate::world::World;

pub fn create(world: &mut World, call: &Call<'_>) -> Result<Value, ApiError> {
    let p = call.params;
    let region = policy_region(world, call)?;
    let time_points = schedule_list(p, "timePoints", 0, 23, 24)?
        .ok_or_else(|| ApiError::missing("timePoints"))?;
    let repeat_weekdays = schedule_list(p, "repeatWeekdays", 1, 7, 7)?
        .ok_or_else(|| ApiError::missing("repeatWeekdays"))?;
    let retention_days = retention(p)?.ok_or_else(|| ApiError::missing("retentionDays"))?;
    let name = p
        .text("autoSnapshotPolicyName")
        .map(check_name)
        .transpose()?
        .unwrap_or_default();
    let association_type = association_type(p)?;
    let target_tags = p.tags_to_set("TargetTags")?;
    if association_type == "AssociatedWithInstanceTag" && target_tags.is_empty() {
        return Err(ApiError::missing("TargetTags.1.Key"));
    }

    let in_region = world
        .policies
        .values()
        .filter(|p| p.region_id == region)
        .count();
    if in_region >= world.settings.quotas.policies_per_region {
        let message = format!(
            "The number of automatic snapshot policies in {region} has reached the quota of {}.",
            world.settings.quotas.policies_per_region
        );
        return Err(ApiError::new(
            403,
            "QuotaExceed.AutoSnapshotPolicy",
            message,
        ));
    }

    let policy = Policy {
        id: world.new_id("sp"),
        region_id: region,
        name,
        time_points,
        repeat_weekdays,
        retention_days,
        creation_time: world.now,
        tags: p.tags_to_set("Tag")?,
        target_tags,
        association_type,
        resource_group_id: p.text("ResourceGroupId").unwrap_or_default().to_owned(),
        enable_cross_region_copy: p.bool("EnableCrossRegionCopy")?.unwrap_or(false),
        target_copy_regions: p.text("TargetCopyRegions").unwrap_or_default().to_owned(),
        copied_snapshots_retention_days: p
            .int("CopiedSnapshotsRetentionDays", -1, 65536)?
            .unwrap_or(-1),
    };
    let id = policy.id.clone();
    tracing::info!(policy = %id, "auto snapshot policy created");
    world.policies.insert(id.clone(), policy);
    Ok(json!({ "AutoSnapshotPolicyId": id }))
}

pub fn modify(world: &mut World, call: &Call<'_>) -> Result<Value, ApiError> {
    let p = call.params;
    let region = policy_region(world, call)?;
    let id = p.required("autoSnapshotPolicyId")?;
    let name = p
        .text("autoSnapshotPolicyName")
        .map(check_name)
        .transpose()?;
    let time_points = schedule_list(p, "timePoints", 0, 23, 24)?;
    let weekdays = schedule_list(p, "repeatWeekdays", 1, 7, 7)?;
    let retention_days = retention(p)?;
    let target_tags = p.tags_to_set("TargetTags")?;
    let cross_region = p.bool("EnableCrossRegionCopy")?;
    let copied_retention = p.int("CopiedSnapshotsRetentionDays", -1, 65536)?;

    let policy = policy_mut(world, &region, id, 404)?;
    if let Some(name) = name {
        policy.name = name;
    }
    if let Some(time_points) = time_points {
        policy.time_points = time_points;
    }
    if let Some(weekdays) = weekdays {
        policy.repeat_weekdays = weekdays;
    }
    if let Some(days) = retention_days {
        policy.retention_days = days;
    }
    if !target_tags.is_empty() {
        policy.target_tags = target_tags;
    }
    if let Some(enabled) = cross_region {
        policy.enable_cross_region_copy = enabled;
    }
    if let Some(regions) = p.text("TargetCopyRegions") {
        policy.target_copy_regions = regions.to_owned();
    }
    if let Some(days) = copied_retention {
        policy.copied_snapshots_retention_days = days;
    }
    Ok(json!({}))
}

pub fn delete(world: &mut World, call: &Call<'_>) -> Result<Value, ApiError> {
    let region = policy_region(world, call)?;
    let id = call.params.required("autoSnapshotPolicyId")?.to_owned();
    policy_mut(world, &region, &id, 404)?;

    world.policies.remove(&id);
    for disk in world.disks.values_mut() {
        disk.policy_ids.retain(|p| *p != id);
    }
    tracing::info!(policy = %id, "auto snapshot policy deleted and detached");
    Ok(json!({}))
}

pub fn describe(world: &mut World, call: &Call<'_>) -> Result<Value, ApiError> {
    let p = call.params;
    let region = call.region(world, "RegionId")?;
    let rules = PagingRules {
        default_size: 10,
        max_size: 100,
        clamp: false,
    };
    let page_request = PageRequest::parse(p, &rules, false)?;
    let id = p.text("AutoSnapshotPolicyId");
    let name = p.text("AutoSnapshotPolicyName");
    let tag_filters = p.tag_pairs("Tag")?;
    let resource_group = p.text("ResourceGroupId");

    let matching: Vec<&Policy> = world
        .policies
        .values()
        .filter(|pol| pol.region_id == region)
        .filter(|pol| id.is_none_or(|id| pol.id == id))
        .filter(|pol| name.is_none_or(|n| pol.name == n))
        .filter(|pol| resource_group.is_none_or(|rg| pol.resource_group_id == rg))
        .filter(|pol| render::tags_match(&pol.tags, &tag_filters))
        .collect();
    let page = paginate(matching, |pol| pol.id.clone(), false, &page_request);

    let items: Vec<Value> = page
        .items
        .iter()
        .map(|pol| render_policy(world, pol))
        .collect();
    Ok(json!({
        "TotalCount": page.total,
        "PageNumber": page.page_number,
        "PageSize": page.page_size,
        "AutoSnapshotPolicies": { "AutoSnapshotPolicy": items },
    }))
}

fn render_policy(world: &World, policy: &Policy) -> Value {
    let disk_nums = world
        .disks
        .values()
        .filter(|d| d.policy_ids.contains(&policy.id))
        .count();
    json!({
        "AutoSnapshotPolicyId": policy.id,
        "AutoSnapshotPolicyName": policy.name,
        "RegionId": policy.region_id,
        "CreationTime": render::time(policy.creation_time),
        "TimePoints": json_string_list(&policy.time_points),
        "RepeatWeekdays": json_string_list(&policy.repeat_weekdays),
        "RetentionDays": policy.retention_days,
        "Status": "Normal",
        "Type": "Custom",
        "DiskNums": disk_nums,
        "VolumeNums": 0,
        "AssociationType": policy.association_type,
        "ResourceGroupId": policy.resource_group_id,
        "EnableCrossRegionCopy": policy.enable_cross_region_copy,
        "TargetCopyRegions": policy.target_copy_regions,
        "CopiedSnapshotsRetentionDays": policy.copied_snapshots_retention_days,
        "CopyEncryptionConfiguration": { "Encrypted": false, "KMSKeyId": "" },
        "Tags": render::tags(&policy.tags),
        "TargetTags": { "TargetTag": policy.target_tags.iter()
            .map(|(k, v)| json!({"TagKey": k, "TagValue": v})).collect::<Vec<_>>() },
    })
}

/// The region of a policy action: the lower-camel `regionId` the current SDK models send, else
/// the `RegionId` the old SDK core adds to every request, else the endpoint's region. A region
/// the account does not have is `ParameterInvalid` (403).
pub(super) fn policy_region(world: &World, call: &Call<'_>) -> Result<String, ApiError> {
    let region = call
        .params
        .text("regionId")
        .or_else(|| call.params.text("RegionId"))
        .or(call.host_region)
        .ok_or_else(|| ApiError::missing("regionId"))?;
    if !world.settings.regions.iter().any(|r| r == region) {
        let message = format!("The specified regionId {region} does not exist.");
        return Err(ApiError::parameter_invalid(403, message));
    }
    Ok(region.to_owned())
}

/// The policy, or `ParameterInvalid` with the status the calling action uses.
pub(super) fn policy_mut<'w>(
    world: &'w mut World,
    region: &str,
    id: &str,
    status: u16,
) -> Result<&'w mut Policy, ApiError> {
    world
        .policies
        .get_mut(id)
        .filter(|p| p.region_id == region)
        .ok_or_else(|| {
            let message =
                format!("The specified autoSnapshotPolicyId {id} does not exist in {region}.");
            ApiError::parameter_invalid(status, message)
        })
}

/// A JSON-array-in-string of integers within `min..=max`, deduplicated and sorted.
fn schedule_list(
    params: &Params,
    name: &str,
    min: u8,
    max: u8,
    max_len: usize,
) -> Result<Option<Vec<u8>>, ApiError> {
    let Some(values) = params.json_list(name)? else {
        return Ok(None);
    };
    if values.is_empty() || values.len() > max_len {
        let why = format_args!("must list 1 to {max_len} values.");
        return Err(ApiError::invalid(name, why));
    }
    let mut parsed = Vec::with_capacity(values.len());
    for value in &values {
        match value.trim().parse::<u8>() {
            Ok(n) if (min..=max).contains(&n) => parsed.push(n),
            _ => {
                let why = format_args!("contains {value:?}; values must be {min} to {max}.");
                return Err(ApiError::invalid(name, why));
            }
        }
    }
    parsed.sort_unstable();
    parsed.dedup();
    Ok(Some(parsed))
}

/// `retentionDays`: -1 (forever) or 1..=65536 (both upper bounds appear in ECS's docs).
fn retention(params: &Params) -> Result<Option<i64>, ApiError> {
    let days = params.int("retentionDays", -1, 65536)?;
    if days == Some(0) {
        return Err(ApiError::invalid(
            "retentionDays",
            "must be -1 or 1 to 65536, got 0.",
        ));
    }
    Ok(days)
}

fn association_type(params: &Params) -> Result<String, ApiError> {
    match params
        .text("AssociationType")
        .unwrap_or("AssociatedWithDisk")
    {
        t @ ("AssociatedWithDisk" | "AssociatedWithInstanceTag") => Ok(t.to_owned()),
        other => Err(ApiError::invalid(
            "AssociationType",
            format_args!("{other:?} is unknown."),
        )),
    }
}

/// Policy names: 2..128 chars, starting with a letter, no URL prefix.
fn check_name(name: &str) -> Result<String, ApiError> {
    let len = name.chars().count();
    let starts_with_letter = name.chars().next().is_some_and(char::is_alphabetic);
    if !(2..=128).contains(&len) || !starts_with_letter || name.starts_with("http") {
        let message = format!(
            "The autoSnapshotPolicyName {name:?} must be 2-128 characters and start with a letter."
        );
        return Err(ApiError::new(
            400,
            "InvalidAutoSnapshotPolicyName.Malformed",
            message,
        ));
    }
    Ok(name.to_owned())
}
