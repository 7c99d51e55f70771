//! The domain core of storage-snapshot-manager: the rules that decide *what* the product does,
//! free of Kubernetes and gRPC so that every controller and test can share them.
//!
//! It owns:
//! - [`schedule`]: weekday/hour schedules, their conversion from an IANA time zone to ECS's fixed
//!   UTC+8 zone, how long a conversion stays valid, and the next/previous firing instants;
//! - [`ecs_naming`]: names, tags and client tokens of the ECS objects the product creates, so
//!   that two clusters in one account never collide and a restart finds its objects again;
//! - [`imported`]: names, labels and annotations of the `VolumeSnapshot`/`VolumeSnapshotContent`
//!   pairs that mirror ECS snapshots;
//! - [`conflict`]: the deterministic rule that picks one policy when several select a disk.
//!
//! It must not touch: `kube`, `k8s-openapi`, `tonic`, the network, the clock or the environment.
//! Callers pass "now" and names in; everything here is a pure function of its inputs.

pub mod conflict;
pub mod ecs_naming;
mod error;
pub mod imported;
mod naming_rules;
pub mod schedule;

pub use error::DomainError;
/// The time types this crate speaks (jiff 0.2, the version `k8s-openapi` wraps).
pub use jiff::{Timestamp, tz::TimeZone};
