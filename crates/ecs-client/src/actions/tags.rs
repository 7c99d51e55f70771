//! Tagging ECS resources and listing tags.

use serde::{Deserialize, Serialize};

use super::common::{Tag, TagFilter};
use super::params::Params;
use super::validate::{Check, MAX_TAGS};
use super::{Empty, ecs_response};
use crate::{Action, Error, RetrySafety};

/// `ResourceType` values ECS accepts for TagResources / ListTagResources. Automatic snapshot
/// policies are `snapshotpolicy`.
pub const TAGGABLE_RESOURCE_TYPES: &[&str] = &[
    "instance",
    "disk",
    "snapshot",
    "image",
    "securitygroup",
    "volume",
    "eni",
    "ddh",
    "ddhcluster",
    "keypair",
    "launchtemplate",
    "reservedinstance",
    "snapshotpolicy",
    "elasticityassurance",
    "capacityreservation",
    "command",
    "invocation",
    "activation",
    "managedinstance",
];

/// The most resources per TagResources / ListTagResources call.
pub const MAX_TAGGED_RESOURCES: usize = 50;

/// `TagResources`: adds or overwrites tags on up to 50 resources of one type.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TagResources {
    pub region_id: String,
    /// One of [`TAGGABLE_RESOURCE_TYPES`].
    pub resource_type: String,
    /// `ResourceId.N`, 1..=50.
    pub resource_ids: Vec<String>,
    /// `Tag.N`, 1..=20, unique keys.
    pub tags: Vec<Tag>,
}

impl TagResources {
    pub fn new(
        region_id: impl Into<String>,
        resource_type: impl Into<String>,
        resource_ids: Vec<String>,
        tags: Vec<Tag>,
    ) -> Self {
        Self {
            region_id: region_id.into(),
            resource_type: resource_type.into(),
            resource_ids,
            tags,
        }
    }
}

impl Action for TagResources {
    const NAME: &'static str = "TagResources";
    type Response = Empty;

    fn params(&self) -> Vec<(String, String)> {
        Params::new()
            .put("RegionId", &self.region_id)
            .put("ResourceType", &self.resource_type)
            .indexed("ResourceId", &self.resource_ids)
            .tags("Tag", &self.tags)
            .finish()
    }

    /// Setting the same tags again is a no-op on ECS's side, but the trait's `Idempotent`
    /// requires a client token ECS does not offer here.
    fn safety(&self) -> RetrySafety {
        RetrySafety::Mutating
    }

    fn validate(&self) -> Result<(), Error> {
        let check = Check(Self::NAME);
        check.region("RegionId", &self.region_id)?;
        check.one_of("ResourceType", &self.resource_type, TAGGABLE_RESOURCE_TYPES)?;
        check.ids("ResourceId", &self.resource_ids, 1, MAX_TAGGED_RESOURCES)?;
        check.count("Tag", self.tags.len(), 1, MAX_TAGS)?;
        check.tags("Tag", &self.tags, MAX_TAGS)
    }
}

/// `ListTagResources`: one row per resource × tag, paged by `NextToken` only.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ListTagResources {
    pub region_id: String,
    /// One of [`TAGGABLE_RESOURCE_TYPES`].
    pub resource_type: String,
    /// `ResourceId.N`, up to 50.
    pub resource_ids: Vec<String>,
    /// `Tag.N`, exact match; a filter without value matches any value.
    pub tags: Vec<TagFilter>,
    pub next_token: Option<String>,
}

impl ListTagResources {
    pub fn new(region_id: impl Into<String>, resource_type: impl Into<String>) -> Self {
        Self {
            region_id: region_id.into(),
            resource_type: resource_type.into(),
            ..Self::default()
        }
    }
}

/// One resource × tag row.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "PascalCase", default)]
pub struct TagResource {
    pub resource_id: String,
    pub resource_type: String,
    pub tag_key: String,
    pub tag_value: String,
}

crate::wire::wrapped_list!(tag_resource_list, "TagResource", TagResource);

/// The body of `ListTagResources`. An empty or absent `NextToken` means the last page.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "PascalCase", default)]
pub struct ListTagResourcesResponse {
    pub request_id: String,
    pub next_token: Option<String>,
    #[serde(with = "tag_resource_list")]
    pub tag_resources: Vec<TagResource>,
}

ecs_response!(ListTagResourcesResponse);

impl Action for ListTagResources {
    const NAME: &'static str = "ListTagResources";
    type Response = ListTagResourcesResponse;

    fn params(&self) -> Vec<(String, String)> {
        Params::new()
            .put("RegionId", &self.region_id)
            .put("ResourceType", &self.resource_type)
            .indexed("ResourceId", &self.resource_ids)
            .tag_filters("Tag", &self.tags)
            .opt("NextToken", self.next_token.as_ref())
            .finish()
    }

    fn safety(&self) -> RetrySafety {
        RetrySafety::ReadOnly
    }

    fn validate(&self) -> Result<(), Error> {
        let check = Check(Self::NAME);
        check.region("RegionId", &self.region_id)?;
        check.one_of("ResourceType", &self.resource_type, TAGGABLE_RESOURCE_TYPES)?;
        check.ids("ResourceId", &self.resource_ids, 0, MAX_TAGGED_RESOURCES)?;
        check.tag_filters("Tag", &self.tags)
    }
}
