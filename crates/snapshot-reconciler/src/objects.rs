//! The `VolumeSnapshot`/`VolumeSnapshotContent` pair of one imported copy, and what the cluster
//! already holds.
//!
//! # The pair (external-snapshotter's pre-provisioned binding)
//! - `VolumeSnapshotContent` `<snapshot ID>.<namespace>`: `source.snapshotHandle` is the ECS
//!   snapshot ID, `driver` the disk's CSI driver, `volumeSnapshotRef` names the
//!   `VolumeSnapshot` (namespace and name, no UID: the snapshot-controller fills it in when it
//!   binds), `deletionPolicy` per [`crate::deletion`].
//! - `VolumeSnapshot` `<snapshot ID>` in the target namespace: `source.volumeSnapshotContentName`
//!   names the content, `volumeSnapshotClassName` the configured class.
//!
//! # Deletion policy
//! A snapshot's only copy follows the class; when there are several, every copy is `Retain`,
//! so deleting one never takes the cloud snapshot from the others ([`crate::deletion`]).
//!
//! # The import record
//! Each content carries the finalizer [`FINALIZER_IMPORT_RECORD`]. A content without its
//! `VolumeSnapshot` is the record that a user deleted that copy: it is never imported again.
//! The finalizer keeps the record even when the content is `Delete` and the snapshot-controller
//! deleted it with the `VolumeSnapshot` (the CSI driver then deletes the cloud snapshot); the
//! reconciler releases it once ECS no longer has the snapshot.

use std::collections::BTreeMap;

use jiff::Timestamp;
use kube::api::{ApiResource, DynamicObject, GroupVersionKind};
use serde_json::{Value, json};
use snapshot_domain::imported::{
    ANNOTATION_CREATED_AT, ANNOTATION_POLICY, LABEL_MANAGED_BY, LABEL_SNAPSHOT_ID, MANAGED_BY,
    SnapshotOrigin,
};
use snapshot_k8s::upstream::DeletionPolicy;

use crate::{ReconcilerError, deletion};

/// Finalizer on every imported content: keeps the record that a copy existed.
pub const FINALIZER_IMPORT_RECORD: &str = "storage.alibabacloud.com/import-record";
/// Label selector matching every object the reconciler created.
pub const MANAGED_SELECTOR: &str = "app.kubernetes.io/managed-by=storage-snapshot-manager";
const API_VERSION: &str = "snapshot.storage.k8s.io/v1";

/// `snapshot.storage.k8s.io/v1` `VolumeSnapshot`.
pub fn volume_snapshot_resource() -> ApiResource {
    let gvk = GroupVersionKind::gvk("snapshot.storage.k8s.io", "v1", "VolumeSnapshot");
    ApiResource::from_gvk_with_plural(&gvk, "volumesnapshots")
}

/// `snapshot.storage.k8s.io/v1` `VolumeSnapshotContent`.
pub fn content_resource() -> ApiResource {
    let gvk = GroupVersionKind::gvk("snapshot.storage.k8s.io", "v1", "VolumeSnapshotContent");
    ApiResource::from_gvk_with_plural(&gvk, "volumesnapshotcontents")
}

/// One copy to create: everything both objects are built from.
#[derive(Debug, Clone)]
pub struct CopySpec {
    pub origin: SnapshotOrigin,
    pub namespace: String,
    pub driver: String,
    pub class: String,
    pub deletion_policy: DeletionPolicy,
}

impl CopySpec {
    pub fn content_name(&self) -> Result<String, ReconcilerError> {
        Ok(self.origin.content_name(&self.namespace)?)
    }

    /// The `VolumeSnapshot`.
    pub fn volume_snapshot(&self) -> Result<DynamicObject, ReconcilerError> {
        let value = json!({
            "apiVersion": API_VERSION,
            "kind": "VolumeSnapshot",
            "metadata": {
                "name": self.origin.volume_snapshot_name(),
                "namespace": self.namespace,
                "labels": self.origin.labels(),
                "annotations": self.origin.annotations(),
            },
            "spec": {
                "source": {"volumeSnapshotContentName": self.content_name()?},
                "volumeSnapshotClassName": self.class,
            },
        });
        Ok(decode(value))
    }

    /// The `VolumeSnapshotContent`.
    pub fn content(&self) -> Result<DynamicObject, ReconcilerError> {
        let value = json!({
            "apiVersion": API_VERSION,
            "kind": "VolumeSnapshotContent",
            "metadata": {
                "name": self.content_name()?,
                "labels": self.origin.labels(),
                "annotations": self.origin.annotations(),
                "finalizers": [FINALIZER_IMPORT_RECORD],
            },
            "spec": {
                "deletionPolicy": deletion::as_str(self.deletion_policy),
                "driver": self.driver,
                "source": {"snapshotHandle": self.origin.snapshot_id()},
                "volumeSnapshotClassName": self.class,
                "volumeSnapshotRef": {
                    "apiVersion": API_VERSION,
                    "kind": "VolumeSnapshot",
                    "name": self.origin.volume_snapshot_name(),
                    "namespace": self.namespace,
                },
            },
        });
        Ok(decode(value))
    }
}

fn decode(value: Value) -> DynamicObject {
    serde_json::from_value(value).unwrap_or_else(|_| unreachable!("a literal object decodes"))
}

/// A `VolumeSnapshot` the reconciler created.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct HeldSnapshot {
    pub terminating: bool,
}

/// A `VolumeSnapshotContent` the reconciler created.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct HeldContent {
    pub name: String,
    pub terminating: bool,
    pub finalized: bool,
    /// `spec.deletionPolicy`; `None` when it is missing or unknown.
    pub deletion_policy: Option<DeletionPolicy>,
}

/// Where a held copy came from, as its annotations record it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct HeldOrigin {
    /// ECS creation time of the snapshot.
    pub created: Timestamp,
    /// The policy that took it.
    pub policy: String,
}

/// What the cluster holds of one copy (snapshot ID, namespace).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Held {
    pub snapshot: Option<HeldSnapshot>,
    pub content: Option<HeldContent>,
    /// From the content, else the `VolumeSnapshot`; `None` when neither records it.
    pub origin: Option<HeldOrigin>,
}

/// Copies keyed by `(snapshot ID, namespace)`.
pub type HeldCopies = BTreeMap<(String, String), Held>;

/// Indexes the managed objects; objects without both the managed-by and snapshot-ID labels
/// are not the reconciler's and are left out.
pub fn index<'a>(
    snapshots: impl IntoIterator<Item = &'a DynamicObject>,
    contents: impl IntoIterator<Item = &'a DynamicObject>,
) -> HeldCopies {
    let mut held = HeldCopies::new();
    for vs in snapshots {
        let (Some(id), Some(ns)) = (snapshot_id(vs), vs.metadata.namespace.clone()) else {
            continue;
        };
        let terminating = vs.metadata.deletion_timestamp.is_some();
        let copy = held.entry((id, ns)).or_default();
        copy.snapshot = Some(HeldSnapshot { terminating });
        copy.origin = copy.origin.take().or_else(|| origin(vs));
    }
    for vsc in contents {
        let ns = vsc.data["spec"]["volumeSnapshotRef"]["namespace"].as_str();
        let (Some(id), Some(ns)) = (snapshot_id(vsc), ns) else {
            continue;
        };
        let finalizers = vsc.metadata.finalizers.as_deref().unwrap_or_default();
        let copy = held.entry((id, ns.to_owned())).or_default();
        copy.origin = origin(vsc).or_else(|| copy.origin.take());
        copy.content = Some(HeldContent {
            name: vsc.metadata.name.clone().unwrap_or_default(),
            terminating: vsc.metadata.deletion_timestamp.is_some(),
            finalized: finalizers.iter().any(|f| f == FINALIZER_IMPORT_RECORD),
            deletion_policy: vsc.data["spec"]["deletionPolicy"]
                .as_str()
                .and_then(deletion::parse),
        });
    }
    held
}

fn origin(object: &DynamicObject) -> Option<HeldOrigin> {
    let annotations = object.metadata.annotations.as_ref()?;
    Some(HeldOrigin {
        created: annotations.get(ANNOTATION_CREATED_AT)?.parse().ok()?,
        policy: annotations.get(ANNOTATION_POLICY)?.clone(),
    })
}

fn snapshot_id(object: &DynamicObject) -> Option<String> {
    let labels = object.metadata.labels.as_ref()?;
    if labels.get(LABEL_MANAGED_BY).map(String::as_str) != Some(MANAGED_BY) {
        return None;
    }
    labels.get(LABEL_SNAPSHOT_ID).cloned()
}
