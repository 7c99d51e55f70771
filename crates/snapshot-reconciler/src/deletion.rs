//! Which `deletionPolicy` each imported content carries.
//!
//! # The rule
//! - A snapshot with exactly **one** copy gets the policy of the configured
//!   `VolumeSnapshotClass`, so deleting that `VolumeSnapshot` deletes the cloud snapshot, as
//!   with any snapshot the CSI driver took (the chart's class says `Delete`).
//! - A snapshot with **several** copies gets `Retain` on every one: deleting one copy must
//!   never delete the cloud snapshot under the others. ECS retention removes it, and the
//!   reconciler then removes every copy.
//!
//! The copies of a snapshot are the namespaces its policy imports into, minus those where a
//! user deleted the copy, plus any namespace that still holds a live copy (a namespace removed
//! from the policy keeps its copies). Counting a target namespace that does not exist yet errs
//! towards `Retain`, the safe side.
//!
//! # Class lookup
//! When the class does not exist, or its `deletionPolicy` is neither `Delete` nor `Retain`,
//! the `--default-deletion-policy` flag decides (default `Delete`); a warning says so once per
//! change, not once per pass.

use kube::api::{ApiResource, DynamicObject, GroupVersionKind};
use snapshot_k8s::upstream::DeletionPolicy;
use tracing::{info, warn};

/// `snapshot.storage.k8s.io/v1` `VolumeSnapshotClass`.
pub fn class_resource() -> ApiResource {
    let gvk = GroupVersionKind::gvk("snapshot.storage.k8s.io", "v1", "VolumeSnapshotClass");
    ApiResource::from_gvk_with_plural(&gvk, "volumesnapshotclasses")
}

/// The wire spelling of `policy`.
pub fn as_str(policy: DeletionPolicy) -> &'static str {
    match policy {
        DeletionPolicy::Delete => "Delete",
        DeletionPolicy::Retain => "Retain",
    }
}

/// Parses the wire spelling; anything else is `None`.
pub fn parse(value: &str) -> Option<DeletionPolicy> {
    match value {
        "Delete" => Some(DeletionPolicy::Delete),
        "Retain" => Some(DeletionPolicy::Retain),
        _ => None,
    }
}

/// The policy a content gets when its snapshot has `copies` copies.
pub fn for_copies(copies: usize, single_copy: DeletionPolicy) -> DeletionPolicy {
    if copies == 1 {
        single_copy
    } else {
        DeletionPolicy::Retain
    }
}

/// Where the single-copy policy came from.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Source {
    /// The class exists and names a policy.
    Class,
    /// The class does not exist.
    ClassMissing,
    /// The class exists but its `deletionPolicy` is not one this reconciler knows.
    ClassUnusable(String),
}

/// The policy of a snapshot's only copy, as resolved for one pass.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SingleCopyPolicy {
    pub policy: DeletionPolicy,
    pub source: Source,
}

impl SingleCopyPolicy {
    /// Resolves from the class object (`None`: it does not exist) and the flag's fallback.
    pub fn resolve(class: Option<&DynamicObject>, fallback: DeletionPolicy) -> Self {
        let Some(class) = class else {
            return Self {
                policy: fallback,
                source: Source::ClassMissing,
            };
        };
        let named = class.data["deletionPolicy"].as_str().unwrap_or_default();
        match parse(named) {
            Some(policy) => Self {
                policy,
                source: Source::Class,
            },
            None => Self {
                policy: fallback,
                source: Source::ClassUnusable(named.to_owned()),
            },
        }
    }

    /// Logs the outcome when it differs from `previous` (the last pass's).
    pub fn announce(&self, class: &str, previous: Option<&SingleCopyPolicy>) {
        if previous == Some(self) {
            return;
        }
        let policy = as_str(self.policy);
        match &self.source {
            Source::Class => info!(class, policy, "single-copy deletion policy from the class"),
            Source::ClassMissing => warn!(
                class,
                policy,
                "VolumeSnapshotClass does not exist; single copies use --default-deletion-policy"
            ),
            Source::ClassUnusable(found) => warn!(
                class,
                policy,
                found = found.as_str(),
                "VolumeSnapshotClass has an unknown deletionPolicy; single copies use \
                 --default-deletion-policy"
            ),
        }
    }
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    fn class(policy: serde_json::Value) -> DynamicObject {
        let mut object = DynamicObject::new("default-snapclass", &class_resource());
        object.data =
            json!({"driver": "diskplugin.csi.alibabacloud.com", "deletionPolicy": policy});
        object
    }

    #[test]
    fn one_copy_follows_the_class_and_several_are_retained() {
        assert_eq!(
            for_copies(1, DeletionPolicy::Delete),
            DeletionPolicy::Delete
        );
        assert_eq!(
            for_copies(1, DeletionPolicy::Retain),
            DeletionPolicy::Retain
        );
        for copies in [0, 2, 5] {
            assert_eq!(
                for_copies(copies, DeletionPolicy::Delete),
                DeletionPolicy::Retain
            );
        }
    }

    #[test]
    fn the_class_decides_and_the_flag_fills_in_when_it_cannot() {
        let retain =
            SingleCopyPolicy::resolve(Some(&class(json!("Retain"))), DeletionPolicy::Delete);
        assert_eq!(
            (retain.policy, retain.source),
            (DeletionPolicy::Retain, Source::Class)
        );

        let missing = SingleCopyPolicy::resolve(None, DeletionPolicy::Delete);
        assert_eq!(
            (missing.policy, missing.source),
            (DeletionPolicy::Delete, Source::ClassMissing)
        );

        let odd = SingleCopyPolicy::resolve(Some(&class(json!("Recycle"))), DeletionPolicy::Retain);
        assert_eq!(odd.policy, DeletionPolicy::Retain);
        assert_eq!(odd.source, Source::ClassUnusable("Recycle".to_owned()));
    }

    #[test]
    fn wire_spellings_round_trip_and_others_are_refused() {
        for policy in [DeletionPolicy::Delete, DeletionPolicy::Retain] {
            assert_eq!(parse(as_str(policy)), Some(policy));
        }
        assert_eq!(parse("delete"), None);
    }
}
