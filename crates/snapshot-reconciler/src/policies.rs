//! Reading `VolumeSnapshotPolicy` objects without letting one bad object stop a pass.
//!
//! Why objects are listed untyped and decoded one by one: a typed list fails as a whole when a
//! single stored object does not decode (written under an older schema, or by hand with the
//! schema off), and the reconciler must keep importing every other policy's snapshots. An
//! object that does not decode is logged at warn with its name and skipped.

use kube::{
    Resource,
    api::{ApiResource, DynamicObject},
};
use snapshot_k8s::vsp::VolumeSnapshotPolicy;
use tracing::warn;

/// The `VolumeSnapshotPolicy` resource, for untyped lists and watches.
pub fn api_resource() -> ApiResource {
    ApiResource::erase::<VolumeSnapshotPolicy>(&())
}

/// The objects that decode as `VolumeSnapshotPolicy`, in order; the others are skipped.
pub fn decode(objects: impl IntoIterator<Item = DynamicObject>) -> Vec<VolumeSnapshotPolicy> {
    objects.into_iter().filter_map(decode_one).collect()
}

fn decode_one(object: DynamicObject) -> Option<VolumeSnapshotPolicy> {
    let name = object.metadata.name.clone().unwrap_or_default();
    match object.try_parse::<VolumeSnapshotPolicy>() {
        Ok(policy) => Some(policy),
        Err(e) => {
            warn!(
                policy = name,
                kind = VolumeSnapshotPolicy::kind(&()).as_ref(),
                error = %e,
                "skipping a VolumeSnapshotPolicy that does not decode"
            );
            None
        }
    }
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    fn object(name: &str, spec: serde_json::Value) -> DynamicObject {
        let mut object = DynamicObject::new(name, &api_resource());
        object.data = json!({ "spec": spec });
        object
    }

    #[test]
    fn an_object_that_does_not_decode_is_skipped_and_the_rest_are_kept() {
        let good = json!({
            "pvcSelector": {"matchLabels": {"app": "web"}},
            "snapshotSchedule": {"repeatWeekdays": ["1"], "timePoints": ["2"]},
        });
        let bad = json!({"pvcSelector": "app=web", "snapshotSchedule": {}});

        let decoded = decode([
            object("a", good.clone()),
            object("broken", bad),
            object("c", good),
        ]);

        let names: Vec<_> = decoded.iter().map(|p| p.metadata.name.as_deref()).collect();
        assert_eq!(names, [Some("a"), Some("c")]);
    }

    #[test]
    fn an_object_without_spec_is_skipped() {
        let mut object = DynamicObject::new("empty", &api_resource());
        object.data = json!({});
        assert!(decode([object]).is_empty());
    }
}
