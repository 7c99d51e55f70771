//! One request type per ECS action, with its response type.
//!
//! Request structs have public fields and a `new` taking the required ones; everything
//! optional defaults to "not sent". Response structs keep ECS's field names on the wire and
//! unwrap ECS's `{"Things": {"Thing": [...]}}` lists into plain `Vec`s.

mod common;
mod disks;
mod params;
mod policies;
mod policy_disks;
mod snapshot_groups;
mod snapshots;
mod tags;
mod validate;

pub use common::{ResourceTag, Tag, TagFilter, format_filter_time, parse_ecs_time};
pub use disks::*;
pub use policies::*;
pub use policy_disks::*;
pub use snapshot_groups::*;
pub use snapshots::*;
pub use tags::*;

pub(crate) use params::json_array;

use serde::{Deserialize, Serialize};

use crate::EcsResponse;

/// The body of actions that return nothing but a request ID.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Empty {
    #[serde(rename = "RequestId", default)]
    pub request_id: String,
}

impl EcsResponse for Empty {
    fn request_id(&self) -> &str {
        &self.request_id
    }
}

/// Implements [`EcsResponse`] for response structs with a `request_id` field.
macro_rules! ecs_response {
    ($($ty:ty),* $(,)?) => {
        $(impl crate::EcsResponse for $ty {
            fn request_id(&self) -> &str {
                &self.request_id
            }
        })*
    };
}
pub(crate) use ecs_response;
