//! Manual snapshots and the snapshot listing the importer relies on.

use jiff::Timestamp;
use serde_json::{Value, json};

use super::Call;
use super::render;
use crate::api_error::ApiError;
use crate::model::{Snapshot, SnapshotKind};
use crate::paging::{PageRequest, PagingRules, paginate};
use crate::params::Params;
use crate::world::{SnapshotSpec, World};

pub fn create(world: &mut World, call: &Call<'_>) -> Result<Value, ApiError> {
    let p = call.params;
    let region = call.implied_region(world)?;
    let disk_id = p.required("DiskId")?;
    let token = client_token(p)?;
    if let Some(id) = token
        .as_ref()
        .and_then(|t| world.client_tokens.get(&("CreateSnapshot", t.clone())))
    {
        return Ok(json!({ "SnapshotId": id }));
    }

    let spec = SnapshotSpec {
        name: p
            .text("SnapshotName")
            .map(check_snapshot_name)
            .transpose()?
            .unwrap_or_default(),
        description: p
            .text("Description")
            .map(check_description)
            .transpose()?
            .unwrap_or_default(),
        kind: SnapshotKind::User,
        retention_days: p.int("RetentionDays", 1, 65536)?,
        tags: p.tags_to_set("Tag")?,
        group_id: None,
        resource_group_id: p.text("ResourceGroupId").unwrap_or_default().to_owned(),
    };
    p.bool("InstantAccess")?;
    let disk = world.disk(&region, disk_id)?;
    world.check_snapshottable(disk)?;
    let manual = world.disk_snapshots(disk_id, SnapshotKind::User).len();
    if manual >= world.settings.quotas.manual_snapshots_per_disk {
        let message = format!("The disk {disk_id} already has {manual} manual snapshots.");
        return Err(ApiError::new(403, "QuotaExceed.Snapshot", message));
    }

    let id = world.take_snapshot(disk_id, spec);
    if let Some(token) = token {
        world
            .client_tokens
            .insert(("CreateSnapshot", token), id.clone());
    }
    tracing::info!(disk_id, snapshot_id = %id, "manual snapshot started");
    Ok(json!({ "SnapshotId": id }))
}

pub fn delete(world: &mut World, call: &Call<'_>) -> Result<Value, ApiError> {
    let p = call.params;
    call.implied_region(world)?;
    let id = p.required("SnapshotId")?;
    p.bool("Force")?;
    if world.release_snapshot(id).is_some() {
        tracing::info!(snapshot_id = id, "snapshot deleted");
    }
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
    let page_request = PageRequest::parse(p, &rules, true)?;
    let filter = SnapshotFilter::parse(p)?;

    let matching: Vec<&Snapshot> = world
        .snapshots
        .values()
        .rev()
        .filter(|s| s.region_id == region && filter.matches(s, world.now))
        .collect();
    let page = paginate(matching, |s| s.id.clone(), true, &page_request);

    let items: Vec<Value> = page
        .items
        .iter()
        .map(|s| render_snapshot(s, world))
        .collect();
    Ok(json!({
        "NextToken": page.next_token,
        "TotalCount": page.total,
        "PageNumber": page.page_number,
        "PageSize": page.page_size,
        "Snapshots": { "Snapshot": items },
    }))
}

/// The DescribeSnapshots filters; all of them are ANDed.
struct SnapshotFilter<'p> {
    ids: Option<Vec<String>>,
    disk_id: Option<&'p str>,
    instance_id: Option<&'p str>,
    name: Option<&'p str>,
    kind: Option<SnapshotKind>,
    status: Option<&'p str>,
    source_disk_type: Option<String>,
    tags: Vec<(String, Option<String>)>,
    created_after: Option<Timestamp>,
    created_before: Option<Timestamp>,
}

impl<'p> SnapshotFilter<'p> {
    fn parse(p: &'p Params) -> Result<Self, ApiError> {
        let ids = p.json_list("SnapshotIds")?;
        if ids.as_ref().is_some_and(|ids| ids.len() > 100) {
            return Err(ApiError::invalid(
                "SnapshotIds",
                "must list at most 100 IDs.",
            ));
        }
        let kind = match p.text("SnapshotType").unwrap_or("all") {
            "all" => None,
            "auto" | "timer" => Some(SnapshotKind::Auto),
            "user" => Some(SnapshotKind::User),
            other => {
                return Err(ApiError::invalid(
                    "SnapshotType",
                    format_args!("{other:?} is unknown."),
                ));
            }
        };
        let status = match p.text("Status").unwrap_or("all") {
            "all" => None,
            s @ ("progressing" | "accomplished" | "failed") => Some(s),
            other => {
                return Err(ApiError::invalid(
                    "Status",
                    format_args!("{other:?} is unknown."),
                ));
            }
        };
        let (created_after, created_before) = time_filters(p)?;
        Ok(Self {
            ids,
            disk_id: p.text("DiskId"),
            instance_id: p.text("InstanceId"),
            name: p.text("SnapshotName"),
            kind,
            status,
            source_disk_type: p.text("SourceDiskType").map(str::to_ascii_lowercase),
            tags: p.tag_pairs("Tag")?,
            created_after,
            created_before,
        })
    }

    fn matches(&self, s: &Snapshot, now: Timestamp) -> bool {
        self.ids.as_ref().is_none_or(|ids| ids.contains(&s.id))
            && self.disk_id.is_none_or(|d| s.source_disk_id == d)
            && self
                .instance_id
                .is_none_or(|i| s.instance_id.as_deref() == Some(i))
            && self.name.is_none_or(|n| s.name == n)
            && self.kind.is_none_or(|k| s.kind == k)
            && self.status.is_none_or(|st| s.status(now) == st)
            && self
                .source_disk_type
                .as_ref()
                .is_none_or(|t| s.source_disk_type == *t)
            && render::tags_match(&s.tags, &self.tags)
            && self.created_after.is_none_or(|t| s.creation_time >= t)
            && self.created_before.is_none_or(|t| s.creation_time <= t)
    }
}

/// `Filter.N.Key` = `CreationStartTime` / `CreationEndTime` with `Filter.N.Value` in
/// `yyyy-MM-ddTHH:mmZ` (seconds also accepted).
fn time_filters(p: &Params) -> Result<(Option<Timestamp>, Option<Timestamp>), ApiError> {
    let (mut after, mut before) = (None, None);
    for n in 1..=2 {
        let Some(key) = p.text(&format!("Filter.{n}.Key")) else {
            continue;
        };
        if !matches!(key, "CreationStartTime" | "CreationEndTime") {
            let why = format_args!("{key:?} is not CreationStartTime or CreationEndTime.");
            return Err(ApiError::invalid(&format!("Filter.{n}.Key"), why));
        }

        let value_name = format!("Filter.{n}.Value");
        let value = p.required(&value_name)?;
        let at = parse_minute_time(value).ok_or_else(|| {
            ApiError::invalid(
                &value_name,
                format_args!("{value:?} is not yyyy-MM-ddTHH:mmZ."),
            )
        })?;
        if key == "CreationStartTime" {
            after = Some(at);
        } else {
            before = Some(at);
        }
    }
    Ok((after, before))
}

fn parse_minute_time(text: &str) -> Option<Timestamp> {
    if let Ok(at) = text.parse::<Timestamp>() {
        return Some(at);
    }
    let with_seconds = text.strip_suffix('Z').map(|t| format!("{t}:00Z"))?;
    with_seconds.parse().ok()
}

fn render_snapshot(s: &Snapshot, world: &World) -> Value {
    let now = world.now;
    let total = s
        .creation_time
        .duration_until(s.completes_at)
        .as_secs_f64()
        .max(1.0);
    let done = (s.creation_time.duration_until(now).as_secs_f64() / total).clamp(0.0, 1.0);
    let progress = if s.is_progressing(now) {
        (done * 100.0).floor().min(99.0) as u32
    } else {
        100
    };
    let remain = if s.is_progressing(now) {
        now.duration_until(s.completes_at).as_secs().max(0)
    } else {
        0
    };
    let kind = match s.kind {
        SnapshotKind::Auto => "auto",
        SnapshotKind::User => "user",
    };
    json!({
        "SnapshotId": s.id,
        "SnapshotName": s.name,
        "Description": s.description,
        "SnapshotSN": format!("{}-sn", s.id),
        "SnapshotLinkId": format!("sl-{}", s.source_disk_id),
        "Status": s.status(now),
        "Progress": format!("{progress}%"),
        "RemainTime": remain,
        "SnapshotType": kind,
        "Category": "standard",
        "Usage": "none",
        "Available": !s.is_progressing(now),
        "Encrypted": false,
        "KMSKeyId": "",
        "SourceDiskId": s.source_disk_id,
        "SourceDiskSize": s.source_disk_size_gib.to_string(),
        "SourceDiskType": s.source_disk_type,
        "SourceStorageType": "disk",
        "SourceRegionId": s.region_id,
        "SourceSnapshotId": "",
        "RetentionDays": s.retention_days.unwrap_or(0),
        "CreationTime": render::time(s.creation_time),
        "LastModifiedTime": render::time(s.completes_at.min(now)),
        "RegionId": s.region_id,
        "ResourceGroupId": s.resource_group_id,
        "ProductCode": "",
        "InstantAccess": false,
        "InstantAccessRetentionDays": 0,
        "FullSnapshotSizeInBytes": s.source_disk_size_gib * 1024 * 1024 * 1024,
        "Tags": render::tags(&s.tags),
    })
}

/// `ClientToken`: at most 64 ASCII characters.
pub fn client_token(p: &Params) -> Result<Option<String>, ApiError> {
    let Some(token) = p.text("ClientToken") else {
        return Ok(None);
    };
    if token.len() > 64 || !token.is_ascii() {
        return Err(ApiError::invalid(
            "ClientToken",
            "must be at most 64 ASCII characters.",
        ));
    }
    Ok(Some(token.to_owned()))
}

/// Manual snapshot names: 2..128 chars, a letter first, not `auto…` (reserved), no URL.
fn check_snapshot_name(name: &str) -> Result<String, ApiError> {
    let len = name.chars().count();
    let first_ok = name.chars().next().is_some_and(char::is_alphabetic);
    let chars_ok = name
        .chars()
        .all(|c| c.is_alphanumeric() || matches!(c, ':' | '_' | '.' | '-'));
    if !(2..=128).contains(&len) || !first_ok || !chars_ok || name.starts_with("http") {
        let message = format!(
            "The SnapshotName {name:?} must be 2-128 characters of letters, digits, colons, \
             underscores, periods or hyphens, starting with a letter."
        );
        return Err(ApiError::new(400, "InvalidSnapshotName.Malformed", message));
    }
    if name.starts_with("auto") {
        let message = format!("The SnapshotName {name:?} must not start with auto (reserved).");
        return Err(ApiError::new(400, "InvalidSnapshotName.Malformed", message));
    }
    Ok(name.to_owned())
}

/// Descriptions: 2..256 chars, no URL prefix.
pub fn check_description(text: &str) -> Result<String, ApiError> {
    let len = text.chars().count();
    if !(2..=256).contains(&len) || text.starts_with("http://") || text.starts_with("https://") {
        let message = "The Description must be 2-256 characters and not start with http(s)://.";
        return Err(ApiError::new(400, "InvalidDescription.Malformed", message));
    }
    Ok(text.to_owned())
}
