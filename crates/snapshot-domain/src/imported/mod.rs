//! Names, labels and annotations of the `VolumeSnapshot`/`VolumeSnapshotContent` pairs that make
//! an ECS snapshot visible in the cluster.
//!
//! # Names
//! - `VolumeSnapshot` (namespaced): the snapshot ID, e.g. `s-uf6221abc`, as `kubectl get
//!   volumesnapshot` in the seed shows it; one per namespace the snapshot is imported into.
//! - `VolumeSnapshotContent` (cluster-scoped): `<snapshot ID>.<namespace>`, one per copy, so each
//!   namespace's copy has its own content and deleting one never reaches the others'.
//!
//! # Labels
//! Every imported object carries [`LABEL_MANAGED_BY`] and the labels below, so that
//! `kubectl get volumesnapshot -l storage.alibabacloud.com/source-pvc=web-0` answers "snapshots of
//! PVC web-0" and `-l storage.alibabacloud.com/snapshot-policy=nightly` "snapshots of policy
//! nightly". Values longer than a label allows go through [`label_value`]; the exact values are
//! kept in annotations.

use std::collections::BTreeMap;

use jiff::Timestamp;

use crate::{
    DomainError,
    naming_rules::{
        check_dns_label, check_dns_subdomain, check_ecs_id, digest_hex, is_label_value,
    },
};

/// Marks objects this product created; the controllers never touch objects without it.
pub const LABEL_MANAGED_BY: &str = "app.kubernetes.io/managed-by";
/// Value of [`LABEL_MANAGED_BY`].
pub const MANAGED_BY: &str = "storage-snapshot-manager";
pub const LABEL_SNAPSHOT_ID: &str = "storage.alibabacloud.com/snapshot-id";
pub const LABEL_DISK_ID: &str = "storage.alibabacloud.com/disk-id";
pub const LABEL_POLICY: &str = "storage.alibabacloud.com/snapshot-policy";
pub const LABEL_PVC_NAMESPACE: &str = "storage.alibabacloud.com/source-pvc-namespace";
pub const LABEL_PVC_NAME: &str = "storage.alibabacloud.com/source-pvc";
/// Creation time in UTC as `YYYYMMDDTHHMMSSZ` (label values cannot hold `:`).
pub const LABEL_SNAPSHOT_TIME: &str = "storage.alibabacloud.com/snapshot-time";
/// `namespace/name` of the source PVC, exact.
pub const ANNOTATION_SOURCE_PVC: &str = "storage.alibabacloud.com/source-pvc";
/// Name of the policy that took the snapshot, exact.
pub const ANNOTATION_POLICY: &str = "storage.alibabacloud.com/snapshot-policy";
/// ECS creation time, RFC 3339.
pub const ANNOTATION_CREATED_AT: &str = "storage.alibabacloud.com/snapshot-created-at";

/// The PVC whose disk a snapshot was taken from.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct PvcRef {
    pub namespace: String,
    pub name: String,
}

/// Everything known about an ECS snapshot that its Kubernetes objects record.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SnapshotOrigin {
    snapshot_id: String,
    disk_id: String,
    created_at: Timestamp,
    source_pvc: Option<PvcRef>,
    policy: Option<String>,
}

impl SnapshotOrigin {
    /// Validates the ECS IDs (`s-…`, `d-…`, lowercase), the only parts names are built from.
    pub fn new(
        snapshot_id: &str,
        disk_id: &str,
        created_at: Timestamp,
    ) -> Result<Self, DomainError> {
        check_ecs_id("snapshot ID", snapshot_id, "s-")?;
        check_ecs_id("disk ID", disk_id, "d-")?;
        Ok(Self {
            snapshot_id: snapshot_id.to_owned(),
            disk_id: disk_id.to_owned(),
            created_at,
            source_pvc: None,
            policy: None,
        })
    }

    /// Records the PVC that was bound to the disk when the snapshot was imported.
    pub fn with_source_pvc(mut self, namespace: &str, name: &str) -> Result<Self, DomainError> {
        check_dns_label("PVC namespace", namespace)?;
        check_dns_subdomain("PVC name", name)?;
        self.source_pvc = Some(PvcRef {
            namespace: namespace.to_owned(),
            name: name.to_owned(),
        });
        Ok(self)
    }

    /// Records the `VolumeSnapshotPolicy` that took the snapshot.
    pub fn with_policy(mut self, name: &str) -> Result<Self, DomainError> {
        check_dns_subdomain("policy name", name)?;
        self.policy = Some(name.to_owned());
        Ok(self)
    }

    pub fn snapshot_id(&self) -> &str {
        &self.snapshot_id
    }

    /// Name of the `VolumeSnapshot` in every namespace the snapshot is imported into.
    pub fn volume_snapshot_name(&self) -> &str {
        &self.snapshot_id
    }

    /// Name of the `VolumeSnapshotContent` behind the copy in `namespace`.
    pub fn content_name(&self, namespace: &str) -> Result<String, DomainError> {
        check_dns_label("namespace", namespace)?;
        Ok(format!("{}.{namespace}", self.snapshot_id))
    }

    /// Labels for both objects of a pair. All keys and values are valid label syntax.
    pub fn labels(&self) -> BTreeMap<String, String> {
        let mut labels = BTreeMap::new();
        let mut put = |k: &str, v: String| labels.insert(k.to_owned(), v);
        put(LABEL_MANAGED_BY, MANAGED_BY.to_owned());
        put(LABEL_SNAPSHOT_ID, self.snapshot_id.clone());
        put(LABEL_DISK_ID, self.disk_id.clone());
        put(
            LABEL_SNAPSHOT_TIME,
            self.created_at.strftime("%Y%m%dT%H%M%SZ").to_string(),
        );
        if let Some(pvc) = &self.source_pvc {
            put(LABEL_PVC_NAMESPACE, pvc.namespace.clone());
            put(LABEL_PVC_NAME, label_value(&pvc.name));
        }
        if let Some(policy) = &self.policy {
            put(LABEL_POLICY, label_value(policy));
        }
        labels
    }

    /// Annotations with the exact values that labels may have shortened.
    pub fn annotations(&self) -> BTreeMap<String, String> {
        let mut annotations = BTreeMap::new();
        annotations.insert(
            ANNOTATION_CREATED_AT.to_owned(),
            self.created_at.to_string(),
        );
        if let Some(pvc) = &self.source_pvc {
            let value = format!("{}/{}", pvc.namespace, pvc.name);
            annotations.insert(ANNOTATION_SOURCE_PVC.to_owned(), value);
        }
        if let Some(policy) = &self.policy {
            annotations.insert(ANNOTATION_POLICY.to_owned(), policy.clone());
        }
        annotations
    }
}

/// A label value standing for `value`: `value` itself when it is a valid label value (at most 63
/// characters, alphanumerics plus `-`, `_`, `.`, alphanumeric at both ends), otherwise its first
/// 52 usable characters, `-`, and 10 hex digits of its SHA-256, so long names stay distinct.
pub fn label_value(value: &str) -> String {
    if is_label_value(value) {
        return value.to_owned();
    }
    let digest = digest_hex(&[value]);
    let kept: String = value
        .chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() || matches!(c, '-' | '_' | '.') {
                c
            } else {
                '-'
            }
        })
        .take(52)
        .collect();
    match kept.trim_matches(|c: char| !c.is_ascii_alphanumeric()) {
        "" => digest[..10].to_owned(),
        head => format!("{head}-{}", &digest[..10]),
    }
}

/// Label selector (`kubectl -l` syntax) for the imported snapshots of one PVC.
pub fn selector_for_pvc(namespace: &str, name: &str) -> String {
    format!(
        "{LABEL_MANAGED_BY}={MANAGED_BY},{LABEL_PVC_NAMESPACE}={},{LABEL_PVC_NAME}={}",
        label_value(namespace),
        label_value(name)
    )
}

/// Label selector (`kubectl -l` syntax) for the imported snapshots of one policy.
pub fn selector_for_policy(name: &str) -> String {
    format!(
        "{LABEL_MANAGED_BY}={MANAGED_BY},{LABEL_POLICY}={}",
        label_value(name)
    )
}

#[cfg(test)]
mod tests;
