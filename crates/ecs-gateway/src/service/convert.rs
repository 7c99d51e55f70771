//! ECS response types (from `ecs_client`) as contract messages. Missing or unparsable optional
//! values become the proto default rather than errors: a listing must not fail because ECS
//! left out a field the caller may not even read.

use ecs_client::actions as ecs;
use ecs_gateway_api::v1;

/// An ECS time as a protobuf timestamp; `None` when ECS gave none or an unreadable one.
pub fn timestamp(text: &str) -> Option<prost_types::Timestamp> {
    let time = ecs::parse_ecs_time(text)?;
    Some(prost_types::Timestamp {
        seconds: time.as_second(),
        nanos: time.subsec_nanosecond(),
    })
}

/// A protobuf timestamp as a jiff one; `None` when out of range.
pub fn from_timestamp(ts: &prost_types::Timestamp) -> Option<jiff::Timestamp> {
    jiff::Timestamp::new(ts.seconds, ts.nanos).ok()
}

/// `"87%"` as 87; unreadable values as 0.
pub fn percent(text: &str) -> u32 {
    text.trim()
        .trim_end_matches('%')
        .trim()
        .parse()
        .unwrap_or(0)
}

fn tags(tags: &[ecs::ResourceTag]) -> Vec<v1::Tag> {
    tags.iter()
        .map(|t| v1::Tag {
            key: t.key.clone(),
            value: t.value.clone(),
        })
        .collect()
}

fn group_tags(tags: &[ecs::GroupTag]) -> Vec<v1::Tag> {
    tags.iter()
        .map(|t| v1::Tag {
            key: t.key.clone(),
            value: t.value.clone(),
        })
        .collect()
}

/// An automatic snapshot policy.
pub fn policy(p: &ecs::AutoSnapshotPolicy) -> v1::AutoSnapshotPolicy {
    v1::AutoSnapshotPolicy {
        auto_snapshot_policy_id: p.auto_snapshot_policy_id.clone(),
        name: p.auto_snapshot_policy_name.clone(),
        region_id: p.region_id.clone(),
        creation_time: timestamp(&p.creation_time),
        time_points: p.time_points.iter().map(|h| u32::from(*h)).collect(),
        repeat_weekdays: p.repeat_weekdays.iter().map(|d| u32::from(*d)).collect(),
        retention_days: p.retention_days,
        status: p.status.clone(),
        r#type: p.policy_type.clone(),
        disk_count: u32::try_from(p.disk_nums).unwrap_or(0),
        tags: tags(&p.tags),
    }
}

/// A snapshot.
pub fn snapshot(s: &ecs::Snapshot) -> v1::Snapshot {
    let size = s
        .source_disk_size
        .as_deref()
        .and_then(|text| text.trim().parse().ok());
    v1::Snapshot {
        snapshot_id: s.snapshot_id.clone(),
        name: s.snapshot_name.clone(),
        description: s.description.clone(),
        region_id: s.region_id.clone().unwrap_or_default(),
        status: s.status.clone(),
        progress_percent: percent(&s.progress),
        snapshot_type: s.snapshot_type.clone(),
        source_disk_id: s.source_disk_id.clone(),
        source_disk_size_gib: size.unwrap_or(0),
        source_disk_type: s.source_disk_type.clone().unwrap_or_default(),
        retention_days: s.retention_days.unwrap_or(0),
        creation_time: timestamp(&s.creation_time),
        available: s.available.unwrap_or(false),
        encrypted: s.encrypted.unwrap_or(false),
        tags: tags(&s.tags),
    }
}

/// A snapshot group.
pub fn snapshot_group(g: &ecs::SnapshotGroup) -> v1::SnapshotGroup {
    let members = g.snapshots.iter().map(|m| v1::SnapshotGroupMember {
        snapshot_id: m.snapshot_id.clone(),
        source_disk_id: m.source_disk_id.clone(),
        progress_percent: m.progress.as_deref().map_or(0, percent),
        available: m.available.unwrap_or(false),
    });
    v1::SnapshotGroup {
        snapshot_group_id: g.snapshot_group_id.clone(),
        name: g.name.clone(),
        description: g.description.clone(),
        status: g.status.clone(),
        creation_time: timestamp(&g.creation_time),
        instance_id: g.instance_id.clone().unwrap_or_default(),
        snapshots: members.collect(),
        tags: group_tags(&g.tags),
    }
}

/// A disk.
pub fn association(a: &ecs::AutoSnapshotPolicyAssociation) -> v1::AutoSnapshotPolicyAssociation {
    v1::AutoSnapshotPolicyAssociation {
        auto_snapshot_policy_id: a.auto_snapshot_policy_id.clone(),
        disk_id: a.disk_id.clone(),
    }
}

pub fn disk(d: &ecs::Disk) -> v1::Disk {
    v1::Disk {
        disk_id: d.disk_id.clone(),
        name: d.disk_name.clone(),
        region_id: d.region_id.clone(),
        zone_id: d.zone_id.clone(),
        category: d.category.clone(),
        status: d.status.clone(),
        size_gib: u64::try_from(d.size).unwrap_or(0),
        instance_id: d.instance_id.clone(),
        auto_snapshot_policy_id: d.auto_snapshot_policy_id.clone().unwrap_or_default(),
        tags: tags(&d.tags),
    }
}

/// The ECS name of a resource type.
pub fn resource_type_name(kind: v1::ResourceType) -> Option<&'static str> {
    match kind {
        v1::ResourceType::Unspecified => None,
        v1::ResourceType::Disk => Some("disk"),
        v1::ResourceType::Snapshot => Some("snapshot"),
        v1::ResourceType::SnapshotPolicy => Some("snapshotpolicy"),
    }
}

/// A resource type from its ECS name.
pub fn resource_type(name: &str) -> v1::ResourceType {
    match name {
        "disk" => v1::ResourceType::Disk,
        "snapshot" => v1::ResourceType::Snapshot,
        "snapshotpolicy" => v1::ResourceType::SnapshotPolicy,
        _ => v1::ResourceType::Unspecified,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_ecs_times_and_percentages() {
        let ts = timestamp("2024-05-20T08:30Z").unwrap();

        assert_eq!(ts.seconds, 1_716_193_800);
        assert_eq!(timestamp("soon"), None);
        assert_eq!(percent("87%"), 87);
        assert_eq!(percent("garbage"), 0);
    }

    #[test]
    fn resource_types_round_trip() {
        for kind in [
            v1::ResourceType::Disk,
            v1::ResourceType::Snapshot,
            v1::ResourceType::SnapshotPolicy,
        ] {
            assert_eq!(resource_type(resource_type_name(kind).unwrap()), kind);
        }
        assert_eq!(resource_type_name(v1::ResourceType::Unspecified), None);
    }
}
