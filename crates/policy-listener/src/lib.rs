//! policy-listener: the `VolumeSnapshotPolicy` lifecycle.
//!
//! It owns, for each VSP: the one ECS automatic snapshot policy behind a scheduled VSP
//! (created, kept equal to the converted schedule and retention, re-converted before a daylight
//! saving switch, deleted through a finalizer), the one-off snapshots of a `repeatOnce` VSP
//! (taken exactly once, as consistent groups where ECS allows), and the VSP's status fields
//! named in `snapshot_k8s::vsp::VolumeSnapshotPolicyStatus` as policy-listener's.
//!
//! It must not touch: which disks carry the ECS policy (pvc-reconciler), snapshots taken by the
//! schedule or their import (snapshot-reconciler), status fields owned by other controllers, or
//! any ECS object whose tags do not name this cluster and the VSP's uid.

pub mod args;
pub mod clock;
pub mod controller;
mod ecs_policy;
mod error;
#[cfg(test)]
mod fixtures;
pub mod metrics;
pub mod plan;
mod repeat_once;
mod scheduled;
mod status;
mod volumes;

pub use error::Error;
