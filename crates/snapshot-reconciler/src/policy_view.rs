//! The parts of a `VolumeSnapshotPolicy` the reconciler reads, decoded leniently.
//!
//! Why a narrow view: the reconciler must keep importing the snapshots of every other policy
//! when one object is malformed or written by a newer schema, so it reads only the fields it
//! needs and skips (with a warning) an object it cannot decode.

use std::collections::BTreeMap;

use jiff::Timestamp;
use k8s_openapi::apimachinery::pkg::apis::meta::v1::LabelSelector;
use kube::api::{ApiResource, DynamicObject, GroupVersionKind};
use serde::Deserialize;

/// The `VolumeSnapshotPolicy` resource (`storage.alibabacloud.com/v1beta1`, cluster-scoped).
pub fn api_resource() -> ApiResource {
    let gvk = GroupVersionKind::gvk(
        "storage.alibabacloud.com",
        "v1beta1",
        "VolumeSnapshotPolicy",
    );
    ApiResource::from_gvk_with_plural(&gvk, "volumesnapshotpolicies")
}

/// One policy as the reconciler sees it.
#[derive(Debug, Clone, PartialEq)]
pub struct PolicyView {
    pub name: String,
    pub uid: String,
    pub created: Timestamp,
    pub deleting: bool,
    pub selector: LabelSelector,
    /// `spec.volumeSnapshotNamespaces`; empty means "the PVC's namespace".
    pub namespaces: Vec<String>,
    pub repeat_once: bool,
    /// `status.repeatOnce.snapshots`: snapshot ID to the `namespace/name` of its PVC, if known.
    pub once_snapshots: BTreeMap<String, OnceSnapshot>,
}

/// One snapshot a repeatOnce policy took, from its status.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OnceSnapshot {
    pub disk_id: String,
    pub pvc: Option<String>,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct Spec {
    pvc_selector: LabelSelector,
    #[serde(default)]
    volume_snapshot_namespaces: Option<Vec<String>>,
    #[serde(default)]
    snapshot_schedule: Schedule,
}

#[derive(Deserialize, Default)]
#[serde(rename_all = "camelCase")]
struct Schedule {
    #[serde(default)]
    repeat_once: Option<bool>,
}

#[derive(Deserialize, Default)]
#[serde(rename_all = "camelCase")]
struct Status {
    #[serde(default)]
    repeat_once: Option<OnceStatus>,
}

#[derive(Deserialize, Default)]
struct OnceStatus {
    #[serde(default)]
    snapshots: Vec<OnceEntry>,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct OnceEntry {
    disk_id: String,
    #[serde(default)]
    pvc: Option<String>,
    #[serde(default)]
    snapshot_id: Option<String>,
}

impl PolicyView {
    /// Decodes `object`; the error names the field that could not be read.
    pub fn from_object(object: &DynamicObject) -> Result<Self, String> {
        let name = object
            .metadata
            .name
            .clone()
            .ok_or("metadata.name is missing")?;
        let created = object
            .metadata
            .creation_timestamp
            .as_ref()
            .map(|t| t.0)
            .ok_or("metadata.creationTimestamp is missing")?;
        let spec: Spec = serde_json::from_value(object.data["spec"].clone())
            .map_err(|e| format!("spec: {e}"))?;
        let status: Status = match object.data.get("status") {
            Some(value) if !value.is_null() => {
                serde_json::from_value(value.clone()).map_err(|e| format!("status: {e}"))?
            }
            _ => Status::default(),
        };

        let once_snapshots = status
            .repeat_once
            .unwrap_or_default()
            .snapshots
            .into_iter()
            .filter_map(|e| {
                let id = e.snapshot_id?;
                Some((
                    id,
                    OnceSnapshot {
                        disk_id: e.disk_id,
                        pvc: e.pvc,
                    },
                ))
            })
            .collect();
        Ok(Self {
            name,
            uid: object.metadata.uid.clone().unwrap_or_default(),
            created,
            deleting: object.metadata.deletion_timestamp.is_some(),
            selector: spec.pvc_selector,
            namespaces: spec.volume_snapshot_namespaces.unwrap_or_default(),
            repeat_once: spec.snapshot_schedule.repeat_once == Some(true),
            once_snapshots,
        })
    }
}
