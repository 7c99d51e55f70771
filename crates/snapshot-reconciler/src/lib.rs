//! snapshot-reconciler: makes every finished ECS snapshot of a managed disk visible in the
//! cluster as a pre-provisioned `VolumeSnapshotContent` + `VolumeSnapshot` pair, one per target
//! namespace, and removes the pairs when ECS no longer has the snapshot.
//!
//! It owns: discovery of ECS snapshots through the gateway ([`ecs`], [`discovery`],
//! [`expiry`]), the watch caches of what it reads from the cluster ([`cache`]), which policy a
//! snapshot belongs to ([`ownership`], [`policies`]), the pair it becomes ([`objects`]) and
//! its deletion policy ([`deletion`]), the rules of what to create and remove ([`plan`]), the
//! writes ([`apply`]), the loop ([`controller`]), Events and metrics.
//!
//! It must not touch: `VolumeSnapshot`s or contents without its managed-by label, ECS
//! policies or disks (policy-listener and pvc-reconciler own those), VSP status, or cloud
//! snapshots themselves: it never calls ECS to delete one. A snapshot's only copy carries the
//! class's deletion policy, so the CSI driver deletes the snapshot with it ([`deletion`]).

pub mod apply;
pub mod args;
pub mod cache;
pub mod controller;
pub mod deletion;
pub mod discovery;
pub mod ecs;
mod error;
pub mod events;
pub mod expiry;
pub mod metrics;
pub mod objects;
pub mod ownership;
pub mod plan;
pub mod policies;

pub use error::ReconcilerError;
