//! DescribeDisks, the product's way to see which policies a disk carries.

use serde_json::{Value, json};

use super::Call;
use super::render;
use crate::api_error::ApiError;
use crate::model::Disk;
use crate::paging::{PageRequest, PagingRules, paginate};
use crate::world::World;

pub fn describe(world: &mut World, call: &Call<'_>) -> Result<Value, ApiError> {
    let p = call.params;
    let region = call.region(world, "RegionId")?;
    let rules = PagingRules {
        default_size: 10,
        max_size: 500,
        clamp: true,
    };
    let page_request = PageRequest::parse(p, &rules, true)?;
    let ids = p.json_list("DiskIds")?;
    if ids.as_ref().is_some_and(|ids| ids.len() > 100) {
        return Err(ApiError::invalid("DiskIds", "must list at most 100 IDs."));
    }
    let text = |name| p.text(name);
    let (instance, zone, name) = (text("InstanceId"), text("ZoneId"), text("DiskName"));
    let policy = text("AutoSnapshotPolicyId");
    let has_policy = p.bool("EnableAutomatedSnapshotPolicy")?;
    let disk_type = text("DiskType").filter(|t| *t != "all");
    let category = text("Category").filter(|c| *c != "all");
    let status = text("Status").filter(|s| *s != "All");
    let tag_filters = p.tag_pairs("Tag")?;

    let matching: Vec<&Disk> = world
        .disks
        .values()
        .filter(|d| d.region_id == region)
        .filter(|d| ids.as_ref().is_none_or(|ids| ids.contains(&d.id)))
        .filter(|d| instance.is_none_or(|i| d.instance_id.as_deref() == Some(i)))
        .filter(|d| zone.is_none_or(|z| d.zone_id == z) && name.is_none_or(|n| d.name == n))
        .filter(|d| policy.is_none_or(|pol| d.policy_ids.iter().any(|x| x == pol)))
        .filter(|d| has_policy.is_none_or(|has| d.policy_ids.is_empty() != has))
        .filter(|d| disk_type.is_none_or(|t| d.disk_type == t))
        .filter(|d| category.is_none_or(|c| d.category == c))
        .filter(|d| status.is_none_or(|s| d.status() == s))
        .filter(|d| render::tags_match(&d.tags, &tag_filters))
        .collect();
    let page = paginate(matching, |d| d.id.clone(), false, &page_request);

    let items: Vec<Value> = page.items.iter().map(|d| render_disk(d)).collect();
    Ok(json!({
        "NextToken": page.next_token,
        "TotalCount": page.total,
        "PageNumber": page.page_number,
        "PageSize": page.page_size,
        "Disks": { "Disk": items },
    }))
}

fn render_disk(d: &Disk) -> Value {
    let mut disk = identity_fields(d);
    if let (Some(disk), Value::Object(extra)) = (disk.as_object_mut(), unmodelled_fields(d)) {
        disk.extend(extra);
    }
    disk
}

/// Fields ECS reports that the simulator does not model; present so SDK models are filled.
fn unmodelled_fields(d: &Disk) -> Value {
    json!({
        "IOPSRead": 0,
        "IOPSWrite": 0,
        "Throughput": 0,
        "ThroughputRead": 0,
        "ThroughputWrite": 0,
        "ProvisionedIops": 0,
        "BurstingEnabled": false,
        "BdfId": "",
        "ProductCode": "",
        "SourceDiskId": "",
        "StorageClusterId": "",
        "StorageSetId": "",
        "StorageSetPartitionNumber": 0,
        "DataSource": { "Id": "", "Type": "" },
        "Placement": { "ZoneIds": d.zone_id },
    })
}

fn identity_fields(d: &Disk) -> Value {
    let created = render::time(d.creation_time);
    let device = d
        .instance_id
        .as_ref()
        .map(|_| "/dev/xvdb")
        .unwrap_or_default();
    let attachments: Vec<Value> = d
        .instance_id
        .iter()
        .map(|i| json!({"InstanceId": i, "Device": device, "AttachedTime": created}))
        .collect();
    json!({
        "DiskId": d.id,
        "DiskName": d.name,
        "Description": "",
        "RegionId": d.region_id,
        "ZoneId": d.zone_id,
        "InstanceId": d.instance_id.clone().unwrap_or_default(),
        "Device": device,
        "Type": d.disk_type,
        "Category": d.category,
        "PerformanceLevel": if d.category == "cloud_essd" { "PL1" } else { "" },
        "Size": d.size_gib,
        "Status": d.status(),
        "Portable": d.disk_type == "data",
        "Encrypted": false,
        "KMSKeyId": "",
        "AutoSnapshotPolicyId": d.policy_ids.first().cloned().unwrap_or_default(),
        "EnableAutomatedSnapshotPolicy": !d.policy_ids.is_empty(),
        "EnableAutoSnapshot": true,
        "DeleteAutoSnapshot": false,
        "DeleteWithInstance": d.disk_type == "system",
        "SourceSnapshotId": "",
        "ImageId": "",
        "MultiAttach": if d.multi_attach { "Enabled" } else { "Disabled" },
        "MountInstanceNum": attachments.len(),
        "SerialNumber": format!("sn-{}", d.id),
        "IOPS": 3000,
        "CreationTime": created,
        "AttachedTime": if d.instance_id.is_some() { created.clone() } else { String::new() },
        "DetachedTime": "",
        "ExpiredTime": "2999-09-08T16:00Z",
        "DiskChargeType": "PostPaid",
        "ResourceGroupId": "",
        "Attachments": { "Attachment": attachments },
        "MountInstances": { "MountInstance": attachments },
        "OperationLocks": { "OperationLock": [] },
        "Tags": render::tags(&d.tags),
    })
}
