//! Typed `snapshot.storage.k8s.io/v1` objects of kubernetes-csi external-snapshotter, for the
//! controllers that write them. Field for field the served v1 schema of the upstream CRDs (copies
//! in `integration-tests/fixtures/crds/`); this product does not install those CRDs.
//!
//! [`pre_provisioned_pair`] builds what the snapshot-reconciler writes for an ECS snapshot: a
//! `VolumeSnapshotContent` with `source.snapshotHandle` and a `volumeSnapshotRef`, and a
//! `VolumeSnapshot` whose `source.volumeSnapshotContentName` names it back. That mutual
//! reference is how external-snapshotter binds a pre-provisioned snapshot; it then fills both
//! statuses, after which a PVC with `dataSource: {kind: VolumeSnapshot}` restores from it.

use std::collections::BTreeMap;

use k8s_openapi::{
    api::core::v1::ObjectReference,
    apimachinery::pkg::{api::resource::Quantity, apis::meta::v1::Time},
};
use kube::{CustomResource, api::ObjectMeta};
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};
use snapshot_domain::imported::SnapshotOrigin;

use crate::K8sError;

/// What happens to the cloud snapshot when a `VolumeSnapshotContent` is deleted.
#[derive(Serialize, Deserialize, Clone, Copy, Debug, Default, PartialEq, Eq, JsonSchema)]
pub enum DeletionPolicy {
    /// The CSI driver deletes the cloud snapshot with the content.
    Delete,
    /// The cloud snapshot stays; ECS retention (or a person) removes it.
    #[default]
    Retain,
}

/// A user's request for a snapshot of a PVC, or a reference to an existing content.
#[derive(CustomResource, Serialize, Deserialize, Clone, Debug, Default, PartialEq, JsonSchema)]
#[kube(
    group = "snapshot.storage.k8s.io",
    version = "v1",
    kind = "VolumeSnapshot",
    namespaced,
    shortname = "vs",
    status = "VolumeSnapshotStatus",
    derive = "PartialEq"
)]
#[serde(rename_all = "camelCase")]
pub struct VolumeSnapshotSpec {
    /// Exactly one of its fields is set.
    pub source: VolumeSnapshotSource,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub volume_snapshot_class_name: Option<String>,
}

#[derive(Serialize, Deserialize, Clone, Debug, Default, PartialEq, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct VolumeSnapshotSource {
    /// Take a new snapshot of this PVC (dynamic provisioning).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub persistent_volume_claim_name: Option<String>,
    /// Bind to this existing content (pre-provisioned; what this product writes).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub volume_snapshot_content_name: Option<String>,
}

#[derive(Serialize, Deserialize, Clone, Debug, Default, PartialEq, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct VolumeSnapshotStatus {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub bound_volume_snapshot_content_name: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub creation_time: Option<Time>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub error: Option<VolumeSnapshotError>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub ready_to_use: Option<bool>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub restore_size: Option<Quantity>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub volume_group_snapshot_name: Option<String>,
}

/// The last error of a snapshot operation.
#[derive(Serialize, Deserialize, Clone, Debug, Default, PartialEq, JsonSchema)]
pub struct VolumeSnapshotError {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub message: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub time: Option<Time>,
}

/// A snapshot on the storage system, bound one-to-one to a `VolumeSnapshot`.
#[derive(CustomResource, Serialize, Deserialize, Clone, Debug, Default, PartialEq, JsonSchema)]
#[kube(
    group = "snapshot.storage.k8s.io",
    version = "v1",
    kind = "VolumeSnapshotContent",
    shortname = "vsc",
    status = "VolumeSnapshotContentStatus",
    derive = "PartialEq"
)]
#[serde(rename_all = "camelCase")]
pub struct VolumeSnapshotContentSpec {
    pub deletion_policy: DeletionPolicy,
    /// The CSI driver that owns the snapshot, e.g. `diskplugin.csi.alibabacloud.com`.
    pub driver: String,
    /// Exactly one of its fields is set.
    pub source: VolumeSnapshotContentSource,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub source_volume_mode: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub volume_snapshot_class_name: Option<String>,
    /// The `VolumeSnapshot` this content is bound (or to be bound) to; name and namespace set.
    pub volume_snapshot_ref: ObjectReference,
}

#[derive(Serialize, Deserialize, Clone, Debug, Default, PartialEq, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct VolumeSnapshotContentSource {
    /// The storage system's snapshot ID (pre-provisioned; for ECS the `s-…` ID).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub snapshot_handle: Option<String>,
    /// The volume to snapshot (dynamic provisioning).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub volume_handle: Option<String>,
}

#[derive(Serialize, Deserialize, Clone, Debug, Default, PartialEq, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct VolumeSnapshotContentStatus {
    /// Nanoseconds since the Unix epoch.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub creation_time: Option<i64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub error: Option<VolumeSnapshotError>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub ready_to_use: Option<bool>,
    /// Bytes.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub restore_size: Option<i64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub snapshot_handle: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub volume_group_snapshot_handle: Option<String>,
}

/// A class of snapshots: driver, deletion policy and driver parameters. Fields sit at the top
/// level of the object (no `spec`), as upstream defines it.
#[derive(CustomResource, Serialize, Deserialize, Clone, Debug, Default, PartialEq, JsonSchema)]
#[kube(
    group = "snapshot.storage.k8s.io",
    version = "v1",
    kind = "VolumeSnapshotClass",
    shortname = "vsclass",
    no_spec,
    derive = "PartialEq"
)]
#[serde(rename_all = "camelCase")]
pub struct VolumeSnapshotClassFields {
    pub driver: String,
    pub deletion_policy: DeletionPolicy,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub parameters: Option<BTreeMap<String, String>>,
}

/// Settings of an import that come from configuration, not from the snapshot.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ImportSettings {
    /// CSI driver of the contents, normally `diskplugin.csi.alibabacloud.com`.
    pub driver: String,
    /// `volumeSnapshotClassName` of both objects (the seed's `SNAPSHOT_CLASS`).
    pub snapshot_class: String,
    /// Deletion policy of the content. `Retain` keeps the cloud snapshot when a copy is deleted,
    /// which is what lets several namespace copies share one snapshot.
    pub deletion_policy: DeletionPolicy,
}

/// The pre-provisioned `VolumeSnapshotContent` and `VolumeSnapshot` that import `origin` into
/// `namespace`, named and labelled per `snapshot_domain::imported`.
///
/// # Errors
/// [`K8sError::Domain`] when `namespace` is not a valid namespace name.
pub fn pre_provisioned_pair(
    origin: &SnapshotOrigin,
    namespace: &str,
    settings: &ImportSettings,
) -> Result<(VolumeSnapshotContent, VolumeSnapshot), K8sError> {
    let content_name = origin.content_name(namespace)?;
    let snapshot_name = origin.volume_snapshot_name().to_owned();
    let meta = |name: String, namespace: Option<String>| ObjectMeta {
        name: Some(name),
        namespace,
        labels: Some(origin.labels()),
        annotations: Some(origin.annotations()),
        ..ObjectMeta::default()
    };

    let content_spec = VolumeSnapshotContentSpec {
        deletion_policy: settings.deletion_policy,
        driver: settings.driver.clone(),
        source: VolumeSnapshotContentSource {
            snapshot_handle: Some(origin.snapshot_id().to_owned()),
            volume_handle: None,
        },
        source_volume_mode: None,
        volume_snapshot_class_name: Some(settings.snapshot_class.clone()),
        volume_snapshot_ref: ObjectReference {
            api_version: Some("snapshot.storage.k8s.io/v1".to_owned()),
            kind: Some("VolumeSnapshot".to_owned()),
            name: Some(snapshot_name.clone()),
            namespace: Some(namespace.to_owned()),
            ..ObjectReference::default()
        },
    };
    let mut content = VolumeSnapshotContent::new(&content_name, content_spec);
    content.metadata = meta(content_name.clone(), None);

    let snapshot_spec = VolumeSnapshotSpec {
        source: VolumeSnapshotSource {
            persistent_volume_claim_name: None,
            volume_snapshot_content_name: Some(content_name),
        },
        volume_snapshot_class_name: Some(settings.snapshot_class.clone()),
    };
    let mut snapshot = VolumeSnapshot::new(&snapshot_name, snapshot_spec);
    snapshot.metadata = meta(snapshot_name, Some(namespace.to_owned()));
    Ok((content, snapshot))
}
