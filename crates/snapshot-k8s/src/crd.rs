//! The `VolumeSnapshotPolicy` CRD as shipped in the Helm chart, generated from the Rust types so
//! that the types are the one source of truth.

use kube::CustomResourceExt;

use crate::{K8sError, vsp::VolumeSnapshotPolicy};

/// Path of the generated CRD, relative to the repository root.
pub const CHART_CRD_PATH: &str = "charts/storage-snapshot-manager/crds/volumesnapshotpolicies.yaml";

const HEADER: &str = "# Generated from crates/snapshot-k8s by `cargo run -p snapshot-k8s --bin \
                      snapshot-crdgen`; do not edit.\n";

/// The CRD YAML, with a header saying how it was made.
pub fn volume_snapshot_policy_crd_yaml() -> Result<String, K8sError> {
    let body = serde_saphyr::to_string(&VolumeSnapshotPolicy::crd())
        .map_err(|e| K8sError::Render(e.to_string()))?;
    Ok(format!("{HEADER}{body}"))
}
