//! What a VSP asks for, checked beyond what the CRD schema can check, and converted for ECS.
//!
//! A [`Plan`] is computed on every reconcile from the spec, the installation's default zone
//! and "now". An [`InvalidSpec`] never reaches ECS: the controller reports it as
//! `Ready=False` with reason `InvalidSpec` and an Event.

use snapshot_domain::{
    Timestamp,
    schedule::{EcsConversion, ScheduleZone},
};
pub use snapshot_k8s::vsp::{InvalidSpec, KEEP_FOREVER, MAX_RETENTION_DAYS};
use snapshot_k8s::{
    selector::PvcMatcher,
    vsp::{ValidSchedule, VolumeSnapshotPolicySpec, validate},
};

/// What to do for one VSP.
#[derive(Debug, Clone)]
pub enum Plan {
    /// Keep one ECS automatic snapshot policy with this schedule.
    Scheduled(ScheduledPlan),
    /// Take one snapshot of every selected volume, once.
    Once(OncePlan),
}

/// A weekly schedule, converted to ECS's zone as of "now".
#[derive(Debug, Clone)]
pub struct ScheduledPlan {
    pub selector: PvcMatcher,
    pub conversion: EcsConversion,
    pub retention_days: i32,
    /// `1,2 @ 2,10 Europe/Berlin`, for status, printer columns and Events.
    pub summary: String,
}

/// A one-off job.
#[derive(Debug, Clone)]
pub struct OncePlan {
    pub selector: PvcMatcher,
    pub retention_days: i32,
}

impl Plan {
    pub fn selector(&self) -> &PvcMatcher {
        match self {
            Self::Scheduled(p) => &p.selector,
            Self::Once(p) => &p.selector,
        }
    }

    /// The `status.schedule` text.
    pub fn summary(&self) -> &str {
        match self {
            Self::Scheduled(p) => &p.summary,
            Self::Once(_) => "once",
        }
    }
}

/// Checks and converts `spec`; `default_zone` applies when the spec names no zone.
///
/// The checks are `snapshot_k8s::vsp::validate`, the ones pvc-reconciler applies before a
/// policy may claim disks, so a policy refused here never holds a disk.
pub fn plan(
    spec: &VolumeSnapshotPolicySpec,
    default_zone: &ScheduleZone,
    now: Timestamp,
) -> Result<Plan, InvalidSpec> {
    let valid = validate(spec, default_zone, now)?;
    let (selector, retention_days) = (valid.selector, valid.retention_days);
    Ok(match valid.schedule {
        ValidSchedule::Weekly {
            conversion,
            summary,
        } => Plan::Scheduled(ScheduledPlan {
            selector,
            conversion,
            retention_days,
            summary,
        }),
        ValidSchedule::Once => Plan::Once(OncePlan {
            selector,
            retention_days,
        }),
    })
}

#[cfg(test)]
mod tests;
