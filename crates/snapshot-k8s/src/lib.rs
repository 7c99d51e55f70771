//! The Kubernetes vocabulary of storage-snapshot-manager: the types every controller reads and
//! writes, and the rules for reading cluster objects that all controllers must share.
//!
//! It owns:
//! - [`vsp`]: the `VolumeSnapshotPolicy` custom resource (spec, status, schema validation) and
//!   [`vsp::validate`], the one answer to "is this policy valid?" that every controller uses;
//! - [`crd`]: its CRD YAML, generated into the Helm chart by the `snapshot-crdgen` binary;
//! - [`upstream`]: typed `snapshot.storage.k8s.io/v1` VolumeSnapshot, VolumeSnapshotContent and
//!   VolumeSnapshotClass, and the pre-provisioned pair that imports an ECS snapshot;
//! - [`managed`]: PVC → PV → cloud disk resolution ("is this PVC ours, and which disk?");
//! - [`selector`]: evaluation of a policy's PVC selector.
//!
//! It must not touch: the network (no `kube::Client`, no API calls), ECS, or controller logic.
//! Naming, schedule and conflict rules live in `snapshot_domain`; this crate applies them to
//! Kubernetes objects. `k8s-openapi`'s Kubernetes version feature is chosen once for the
//! workspace, not here.

pub mod crd;
mod error;
pub mod managed;
pub mod selector;
pub mod upstream;
pub mod vsp;

pub use error::K8sError;
