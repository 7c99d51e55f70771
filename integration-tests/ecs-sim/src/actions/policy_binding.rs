//! Which disks carry which automatic policy: Apply, Cancel and the association listing.
//!
//! Classic accounts hold one policy per disk (Apply replaces it); upgraded accounts hold up to
//! `max_policies_per_disk` (Apply adds, and Cancel must then name the policy).

use serde_json::{Value, json};

use super::Call;
use super::policies::{policy_mut, policy_region};
use crate::api_error::ApiError;
use crate::config::AccountMode;
use crate::paging::{PageRequest, PagingRules, paginate};
use crate::world::World;

pub fn apply(world: &mut World, call: &Call<'_>) -> Result<Value, ApiError> {
    let p = call.params;
    let region = policy_region(world, call)?;
    let id = p.required("autoSnapshotPolicyId")?.to_owned();
    let disk_ids = p
        .json_list("diskIds")?
        .ok_or_else(|| ApiError::missing("diskIds"))?;
    policy_mut(world, &region, &id, 403)?;
    check_apply_targets(world, &region, &id, &disk_ids)?;

    let mode = world.settings.account.mode;
    for disk_id in &disk_ids {
        let disk = world.disks.get_mut(disk_id).expect("checked above");
        match mode {
            AccountMode::Classic => disk.policy_ids = vec![id.clone()],
            AccountMode::Upgraded if !disk.policy_ids.contains(&id) => {
                disk.policy_ids.push(id.clone())
            }
            AccountMode::Upgraded => {}
        }
    }
    tracing::info!(policy = %id, disks = disk_ids.len(), "auto snapshot policy applied");
    Ok(json!({}))
}

/// All-or-nothing: every disk must exist in the region, take snapshots and have room.
fn check_apply_targets(
    world: &World,
    region: &str,
    policy_id: &str,
    disk_ids: &[String],
) -> Result<(), ApiError> {
    if disk_ids.is_empty() {
        return Err(ApiError::parameter_invalid(
            403,
            "The specified diskIds is empty.",
        ));
    }
    let mut unsupported = 0;
    for disk_id in disk_ids {
        let disk = world
            .disks
            .get(disk_id)
            .filter(|d| d.region_id == region)
            .ok_or_else(|| {
                let message =
                    format!("The specified diskIds contains {disk_id}, which does not exist.");
                ApiError::parameter_invalid(403, message)
            })?;
        if !disk.supports_snapshots() {
            unsupported += 1;
        }
        let account = &world.settings.account;
        let full = account.mode == AccountMode::Upgraded
            && !disk.policy_ids.iter().any(|p| p == policy_id)
            && disk.policy_ids.len() >= account.max_policies_per_disk;
        if full {
            let message = format!(
                "The disk {disk_id} already carries {} automatic snapshot policies.",
                disk.policy_ids.len()
            );
            return Err(ApiError::new(
                403,
                "OperationDenied.TooManyAutoSnapshotPolicies",
                message,
            ));
        }
    }
    match unsupported {
        0 => Ok(()),
        n if n == disk_ids.len() => Err(ApiError::new(
            400,
            "DiskCategory.OperationNotSupported",
            "The disk category does not support automatic snapshot policies.",
        )),
        _ => Err(ApiError::new(
            400,
            "PartofDiskCategory.OperationNotSupported",
            "Some of the disks are of a category that does not support snapshot policies.",
        )),
    }
}

pub fn cancel(world: &mut World, call: &Call<'_>) -> Result<Value, ApiError> {
    let p = call.params;
    let region = policy_region(world, call)?;
    let disk_ids = p
        .json_list("diskIds")?
        .ok_or_else(|| ApiError::missing("diskIds"))?;
    let policy_id = p.text("autoSnapshotPolicyId").map(str::to_owned);
    if let Some(id) = &policy_id {
        policy_mut(world, &region, id, 404)?;
    }
    for disk_id in &disk_ids {
        let disk = world.disk(&region, disk_id)?;
        if policy_id.is_none() && disk.policy_ids.len() > 1 {
            let message = format!(
                "The disk {disk_id} carries several automatic snapshot policies; specify \
                 autoSnapshotPolicyId."
            );
            return Err(ApiError::new(
                403,
                "OperationDenied.TooManyAutoSnapshotPolicies",
                message,
            ));
        }
    }

    for disk_id in &disk_ids {
        let disk = world.disks.get_mut(disk_id).expect("checked above");
        match &policy_id {
            Some(id) => disk.policy_ids.retain(|p| p != id),
            None => disk.policy_ids.clear(),
        }
    }
    Ok(json!({}))
}

pub fn associations(world: &mut World, call: &Call<'_>) -> Result<Value, ApiError> {
    let p = call.params;
    let region = call.region(world, "RegionId")?;
    let (policy_id, disk_id) = (p.text("AutoSnapshotPolicyId"), p.text("DiskId"));
    if policy_id.is_some() == disk_id.is_some() {
        let why = "requires exactly one of AutoSnapshotPolicyId and DiskId.";
        return Err(ApiError::invalid("AutoSnapshotPolicyId", why));
    }
    let rules = PagingRules {
        default_size: 10,
        max_size: 100,
        clamp: true,
    };
    let page_request = PageRequest::parse(p, &rules, true)?;

    let pairs: Vec<(String, String)> = world
        .disks
        .values()
        .filter(|d| d.region_id == region && disk_id.is_none_or(|id| d.id == id))
        .flat_map(|d| d.policy_ids.iter().map(|p| (p.clone(), d.id.clone())))
        .filter(|(p, _)| policy_id.is_none_or(|id| p == id))
        .collect();
    let page = paginate(pairs, |(p, d)| format!("{d}/{p}"), false, &page_request);

    let items: Vec<Value> = page
        .items
        .iter()
        .map(|(p, d)| json!({"AutoSnapshotPolicyId": p, "DiskId": d}))
        .collect();
    Ok(json!({
        "NextToken": page.next_token,
        "AutoSnapshotPolicyAssociations": { "AutoSnapshotPolicyAssociation": items },
    }))
}
