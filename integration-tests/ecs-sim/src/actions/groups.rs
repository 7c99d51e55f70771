//! Snapshot-consistent groups: ESSD-family disks of one zone (and, with `InstanceId`, of one
//! instance), snapshotted together.

use serde_json::{Value, json};

use super::Call;
use super::render;
use super::snapshots::{check_description, client_token};
use crate::api_error::ApiError;
use crate::model::{Disk, SnapshotGroup, SnapshotKind};
use crate::paging::{PageRequest, PagingRules, paginate};
use crate::params::Params;
use crate::world::{SnapshotSpec, World};

const ACTION: &str = "CreateSnapshotGroup";

pub fn create(world: &mut World, call: &Call<'_>) -> Result<Value, ApiError> {
    let p = call.params;
    let region = call.region(world, "RegionId")?;
    let token = client_token(p)?;
    if let Some(id) = token
        .as_ref()
        .and_then(|t| world.client_tokens.get(&(ACTION, t.clone())))
    {
        return Ok(json!({ "SnapshotGroupId": id }));
    }
    let name = p
        .text("Name")
        .map(check_group_name)
        .transpose()?
        .unwrap_or_default();
    let description = p
        .text("Description")
        .map(check_description)
        .transpose()?
        .unwrap_or_default();
    let tags = p.tags_to_set("Tag")?;
    let disk_ids = member_disks(world, &region, p)?;
    check_members(world, &disk_ids)?;

    let group_id = world.new_id("ssg");
    let resource_group_id = p.text("ResourceGroupId").unwrap_or_default().to_owned();
    let snapshot_ids: Vec<String> = disk_ids
        .iter()
        .map(|disk_id| {
            let spec = SnapshotSpec {
                name: String::new(),
                description: String::new(),
                kind: SnapshotKind::User,
                retention_days: None,
                tags: Default::default(),
                group_id: Some(group_id.clone()),
                resource_group_id: resource_group_id.clone(),
            };
            world.take_snapshot(disk_id, spec)
        })
        .collect();

    let instances: Vec<Option<&String>> = disk_ids
        .iter()
        .map(|d| world.disks[d].instance_id.as_ref())
        .collect();
    let one_instance = instances.windows(2).all(|w| w[0] == w[1]);
    let group = SnapshotGroup {
        id: group_id.clone(),
        region_id: region,
        name,
        description,
        instance_id: instances
            .first()
            .copied()
            .flatten()
            .filter(|_| one_instance)
            .cloned(),
        creation_time: world.now,
        snapshot_ids,
        tags,
        resource_group_id,
    };
    world.groups.insert(group_id.clone(), group);
    if let Some(token) = token {
        world
            .client_tokens
            .insert((ACTION, token), group_id.clone());
    }
    tracing::info!(group = %group_id, disks = disk_ids.len(), "snapshot group started");
    Ok(json!({ "SnapshotGroupId": group_id }))
}

/// The disks named by `InstanceId`, `DiskId.N` and `ExcludeDiskId.N`.
fn member_disks(world: &World, region: &str, p: &Params) -> Result<Vec<String>, ApiError> {
    let listed = p.indexed("DiskId", 128)?;
    let excluded = p.indexed("ExcludeDiskId", 128)?;
    if !listed.is_empty() && !excluded.is_empty() {
        return Err(ApiError::invalid(
            "ExcludeDiskId.N",
            "cannot be combined with DiskId.N.",
        ));
    }
    for disk_id in listed.iter().chain(&excluded) {
        world.disk(region, disk_id)?;
    }

    let Some(instance_id) = p.text("InstanceId") else {
        if listed.is_empty() {
            return Err(ApiError::missing("DiskId.1"));
        }
        return Ok(listed);
    };
    let instance = world
        .instances
        .get(instance_id)
        .filter(|i| i.region_id == region);
    instance.ok_or_else(|| ApiError::instance_not_found(instance_id))?;
    let attached: Vec<String> = world
        .disks
        .values()
        .filter(|d| d.instance_id.as_deref() == Some(instance_id))
        .map(|d| d.id.clone())
        .collect();
    if let Some(stranger) = listed.iter().find(|d| !attached.contains(d)) {
        let message = format!("The disk {stranger} is not attached to instance {instance_id}.");
        return Err(ApiError::new(400, "InvalidParameter.DiskId", message));
    }
    let chosen = if listed.is_empty() { attached } else { listed };
    Ok(chosen
        .into_iter()
        .filter(|d| !excluded.contains(d))
        .collect())
}

/// ECS's group rules: ESSD family, one zone, no multi-attach, size limits, snapshottable.
fn check_members(world: &World, disk_ids: &[String]) -> Result<(), ApiError> {
    let disks: Vec<&Disk> = disk_ids.iter().map(|id| &world.disks[id]).collect();
    let quotas = &world.settings.quotas;
    if disks.is_empty() {
        return Err(ApiError::invalid("DiskId.N", "selects no disk."));
    }
    if disks.len() > quotas.group_max_disks {
        let message = format!(
            "A snapshot group holds at most {} disks.",
            quotas.group_max_disks
        );
        return Err(ApiError::new(400, "InvalidParameter.DiskCount", message));
    }
    let total: u64 = disks.iter().map(|d| d.size_gib).sum();
    if total > quotas.group_max_total_gib {
        let message = format!(
            "The disks total {total} GiB; a group holds at most {} GiB.",
            quotas.group_max_total_gib
        );
        return Err(ApiError::new(400, "InvalidParameter.DiskSize", message));
    }
    if let Some(disk) = disks.iter().find(|d| !d.is_essd_family()) {
        let message = format!(
            "The disk {} is {}; snapshot groups need ESSD, ESSD AutoPL or ESSD Entry disks.",
            disk.id, disk.category
        );
        return Err(ApiError::new(
            400,
            "InvalidDiskCategory.NotSupported",
            message,
        ));
    }
    if disks.iter().any(|d| d.zone_id != disks[0].zone_id) {
        let message = "All disks of a snapshot group must be in the same zone.";
        return Err(ApiError::new(400, "InvalidParameter.ZoneId", message));
    }
    if let Some(disk) = disks.iter().find(|d| d.multi_attach) {
        let message = format!(
            "The multi-attach disk {} cannot join a snapshot group.",
            disk.id
        );
        return Err(ApiError::new(
            400,
            "InvalidOperation.MultiAttachDisk",
            message,
        ));
    }
    disks.iter().try_for_each(|d| world.check_snapshottable(d))
}

pub fn describe(world: &mut World, call: &Call<'_>) -> Result<Value, ApiError> {
    let p = call.params;
    let region = call.region(world, "RegionId")?;
    let rules = PagingRules {
        default_size: 10,
        max_size: 100,
        clamp: false,
    };
    let page_request = PageRequest::parse(p, &rules, true)?;
    let ids = p.indexed("SnapshotGroupId", 10)?;
    let statuses = p.indexed("Status", 3)?;
    let (instance_id, name) = (p.text("InstanceId"), p.text("Name"));
    let tag_filters = p.tag_pairs("Tag")?;

    let matching: Vec<&SnapshotGroup> = world
        .groups
        .values()
        .rev()
        .filter(|g| g.region_id == region)
        .filter(|g| ids.is_empty() || ids.contains(&g.id))
        .filter(|g| statuses.is_empty() || statuses.iter().any(|s| s == group_status(world, g)))
        .filter(|g| instance_id.is_none_or(|i| g.instance_id.as_deref() == Some(i)))
        .filter(|g| name.is_none_or(|n| g.name == n))
        .filter(|g| render::tags_match(&g.tags, &tag_filters))
        .collect();
    let page = paginate(matching, |g| g.id.clone(), true, &page_request);

    let items: Vec<Value> = page.items.iter().map(|g| render_group(world, g)).collect();
    Ok(json!({ "NextToken": page.next_token, "SnapshotGroups": { "SnapshotGroup": items } }))
}

pub fn delete(world: &mut World, call: &Call<'_>) -> Result<Value, ApiError> {
    let region = call.region(world, "RegionId")?;
    let id = call.params.required("SnapshotGroupId")?;
    let group = world
        .groups
        .get(id)
        .filter(|g| g.region_id == region)
        .ok_or_else(|| {
            let message = format!("The specified snapshot group {id} does not exist.");
            ApiError::new(404, "InvalidSnapshotGroupId.NotFound", message)
        })?;

    let members = group.snapshot_ids.clone();
    let progress: Vec<Value> = members
        .iter()
        .map(|snapshot_id| {
            world.release_snapshot(snapshot_id);
            json!({
                "OperationStatus": "Success",
                "ErrorCode": "",
                "ErrorMsg": "",
                "RelatedItemSet": {
                    "RelatedItem": [ { "Name": "SnapshotId", "Value": snapshot_id } ],
                },
            })
        })
        .collect();
    world.groups.remove(id);
    Ok(json!({ "OperationProgressSet": { "OperationProgress": progress } }))
}

fn group_status(world: &World, group: &SnapshotGroup) -> &'static str {
    let busy = group
        .snapshot_ids
        .iter()
        .filter_map(|id| world.snapshots.get(id))
        .any(|s| s.is_progressing(world.now));
    if busy { "progressing" } else { "accomplished" }
}

fn render_group(world: &World, group: &SnapshotGroup) -> Value {
    let members: Vec<Value> = group
        .snapshot_ids
        .iter()
        .filter_map(|id| world.snapshots.get(id))
        .map(|s| {
            let done = !s.is_progressing(world.now);
            json!({
                "SnapshotId": s.id,
                "SourceDiskId": s.source_disk_id,
                "SourceDiskType": s.source_disk_type,
                "Progress": if done { "100%" } else { "0%" },
                "Available": done,
                "InstantAccess": false,
                "InstantAccessRetentionDays": 0,
                "Tags": render::key_value_tags(&s.tags),
            })
        })
        .collect();
    json!({
        "SnapshotGroupId": group.id,
        "Name": group.name,
        "Description": group.description,
        "CreationTime": render::time(group.creation_time),
        "Status": group_status(world, group),
        "ProgressStatus": "",
        "InstanceId": group.instance_id.clone().unwrap_or_default(),
        "ResourceGroupId": group.resource_group_id,
        "Tags": render::key_value_tags(&group.tags),
        "Snapshots": { "Snapshot": members },
    })
}

/// Group names: 2..128 chars, a letter first; digits `.` `_` `-` `:` allowed.
fn check_group_name(name: &str) -> Result<String, ApiError> {
    let len = name.chars().count();
    let first_ok = name.chars().next().is_some_and(char::is_alphabetic);
    let chars_ok = name
        .chars()
        .all(|c| c.is_alphanumeric() || matches!(c, ':' | '_' | '.' | '-'));
    if !(2..=128).contains(&len) || !first_ok || !chars_ok || name.starts_with("http") {
        let message = format!("The Name {name:?} must be 2-128 characters starting with a letter.");
        return Err(ApiError::new(400, "InvalidName.Malformed", message));
    }
    Ok(name.to_owned())
}
