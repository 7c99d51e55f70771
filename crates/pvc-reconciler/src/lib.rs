//! pvc-reconciler: which cloud disk carries which ECS automatic snapshot policy.
//!
//! It owns: the desired disk → policy map (scheduled VSPs' selectors over bound, managed PVCs,
//! one deterministic winner per disk), the actual map read from ECS, the Apply/Cancel calls
//! that close the gap (batched, grouped by policy), drift repair on a resync period, Events on
//! PVCs and losing VSPs, and the VSP status fields `appliedVolumes` and `conflicts` (field
//! manager [`report::FIELD_MANAGER`]).
//!
//! It must not touch: ECS policies themselves (policy-listener creates, modifies and deletes
//! them), other status fields, snapshots, or a policy this cluster did not create (unless the
//! operator opts in with `--take-over-foreign-policies`). See the README for the rules.

pub mod actual;
pub mod args;
pub mod controller;
pub mod desired;
pub mod ecs;
mod error;
pub mod metrics;
pub mod pass;
pub mod plan;
pub mod report;

pub use error::ReconcilerError;
