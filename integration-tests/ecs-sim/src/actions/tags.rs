//! TagResources, UntagResources and ListTagResources over disks, snapshots, policies and
//! instances.

use serde_json::{Value, json};

use super::Call;
use crate::api_error::ApiError;
use crate::model::Tags;
use crate::paging::{PageRequest, paginate};
use crate::params::Params;
use crate::world::World;

/// ECS allows at most 20 tags on one resource.
const MAX_TAGS_PER_RESOURCE: usize = 20;
/// ListTagResources page size (not a parameter; 50 as sibling products use).
const LIST_PAGE_SIZE: usize = 50;

pub fn tag(world: &mut World, call: &Call<'_>) -> Result<Value, ApiError> {
    let p = call.params;
    let region = call.region(world, "RegionId")?;
    let kind = resource_type(p)?;
    let ids = resource_ids(p, true)?;
    let tags = p.tags_to_set("Tag")?;
    if tags.is_empty() {
        return Err(ApiError::missing("Tag.1.Key"));
    }
    for id in &ids {
        let current = tags_of(world, &region, kind, id)?;
        let merged = current
            .keys()
            .chain(tags.keys())
            .collect::<std::collections::BTreeSet<_>>();
        if merged.len() > MAX_TAGS_PER_RESOURCE {
            let message = format!("The resource {id} would carry more than 20 tags.");
            return Err(ApiError::new(400, "InvalidTagCount", message));
        }
    }

    for id in &ids {
        tags_mut(world, kind, id).extend(tags.clone());
    }
    Ok(json!({}))
}

pub fn untag(world: &mut World, call: &Call<'_>) -> Result<Value, ApiError> {
    let p = call.params;
    let region = call.region(world, "RegionId")?;
    let kind = resource_type(p)?;
    let ids = resource_ids(p, true)?;
    let keys = p.indexed("TagKey", 20)?;
    let all = p.bool("All")?.unwrap_or(false);
    if keys.is_empty() && !all {
        return Err(ApiError::missing("TagKey.1"));
    }
    for id in &ids {
        tags_of(world, &region, kind, id)?;
    }

    for id in &ids {
        let tags = tags_mut(world, kind, id);
        if keys.is_empty() {
            tags.clear();
        } else {
            tags.retain(|k, _| !keys.contains(k));
        }
    }
    Ok(json!({}))
}

pub fn list(world: &mut World, call: &Call<'_>) -> Result<Value, ApiError> {
    let p = call.params;
    let region = call.region(world, "RegionId")?;
    let kind = resource_type(p)?;
    let ids = resource_ids(p, false)?;
    let filters = p.tag_pairs("Tag")?;
    let after = p.text("NextToken").map(str::to_owned);
    let page_request = match after {
        Some(token) => PageRequest::parse(
            &Params::new([("NextToken".to_owned(), token)]),
            &crate::paging::PagingRules {
                default_size: LIST_PAGE_SIZE,
                max_size: LIST_PAGE_SIZE,
                clamp: true,
            },
            true,
        )?,
        None => PageRequest::Token {
            max_results: LIST_PAGE_SIZE,
            after: None,
        },
    };

    let rows: Vec<(String, String, String)> = all_of_kind(world, &region, kind)
        .into_iter()
        .filter(|(id, _)| ids.is_empty() || ids.contains(id))
        .filter(|(_, tags)| crate::actions::render::tags_match(tags, &filters))
        .flat_map(|(id, tags)| tags.into_iter().map(move |(k, v)| (id.clone(), k, v)))
        .collect();
    let page = paginate(
        rows,
        |(id, k, _)| format!("{id}\u{1}{k}"),
        false,
        &page_request,
    );

    let items: Vec<Value> = page
        .items
        .iter()
        .map(|(id, k, v)| {
            json!({"ResourceId": id, "ResourceType": kind, "TagKey": k, "TagValue": v})
        })
        .collect();
    Ok(json!({ "NextToken": page.next_token, "TagResources": { "TagResource": items } }))
}

fn resource_type(p: &Params) -> Result<&'static str, ApiError> {
    let kind = p.required("ResourceType")?;
    ["disk", "snapshot", "snapshotpolicy", "instance"]
        .into_iter()
        .find(|k| k.eq_ignore_ascii_case(kind))
        .ok_or_else(|| {
            let message = format!("The ResourceType {kind} is not simulated or not supported.");
            ApiError::new(400, "InvalidResourceType.NotSupported", message)
        })
}

fn resource_ids(p: &Params, required: bool) -> Result<Vec<String>, ApiError> {
    let ids = p.indexed("ResourceId", 50)?;
    if required && ids.is_empty() {
        return Err(ApiError::missing("ResourceId.1"));
    }
    Ok(ids)
}

fn tags_of<'w>(world: &'w World, region: &str, kind: &str, id: &str) -> Result<&'w Tags, ApiError> {
    let found = match kind {
        "disk" => world
            .disks
            .get(id)
            .filter(|d| d.region_id == region)
            .map(|d| &d.tags),
        "snapshot" => world
            .snapshots
            .get(id)
            .filter(|s| s.region_id == region)
            .map(|s| &s.tags),
        "snapshotpolicy" => world
            .policies
            .get(id)
            .filter(|p| p.region_id == region)
            .map(|p| &p.tags),
        _ => world
            .instances
            .get(id)
            .filter(|i| i.region_id == region)
            .map(|i| &i.tags),
    };
    found.ok_or_else(|| {
        let message = format!("The specified resource {id} of type {kind} does not exist.");
        ApiError::new(404, "InvalidResourceId.NotFound", message)
    })
}

fn tags_mut<'w>(world: &'w mut World, kind: &str, id: &str) -> &'w mut Tags {
    match kind {
        "disk" => &mut world.disks.get_mut(id).expect("checked").tags,
        "snapshot" => &mut world.snapshots.get_mut(id).expect("checked").tags,
        "snapshotpolicy" => &mut world.policies.get_mut(id).expect("checked").tags,
        _ => &mut world.instances.get_mut(id).expect("checked").tags,
    }
}

fn all_of_kind(world: &World, region: &str, kind: &str) -> Vec<(String, Tags)> {
    match kind {
        "disk" => world
            .disks
            .values()
            .filter(|d| d.region_id == region)
            .map(|d| (d.id.clone(), d.tags.clone()))
            .collect(),
        "snapshot" => world
            .snapshots
            .values()
            .filter(|s| s.region_id == region)
            .map(|s| (s.id.clone(), s.tags.clone()))
            .collect(),
        "snapshotpolicy" => world
            .policies
            .values()
            .filter(|p| p.region_id == region)
            .map(|p| (p.id.clone(), p.tags.clone()))
            .collect(),
        _ => world
            .instances
            .values()
            .filter(|i| i.region_id == region)
            .map(|i| (i.id.clone(), i.tags.clone()))
            .collect(),
    }
}
