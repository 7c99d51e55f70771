//! The one answer to "is this VolumeSnapshotPolicy valid?", shared by every controller.
//!
//! policy-listener reports an invalid spec as `Ready=False`/`InvalidSpec`; pvc-reconciler and
//! snapshot-reconciler let an invalid policy claim no disk. Both must read validity the same
//! way, or an invalid policy that never gets an ECS policy ID wins disks and freezes them.
//! The checks go beyond the CRD schema: the conversion to ECS's zone (whole-hour offsets, hours
//! on one ECS day) depends on "now", and objects stored before a schema rule must still be
//! refused.

use snapshot_domain::{
    DomainError, Timestamp,
    schedule::{EcsConversion, Schedule, ScheduleZone, to_ecs},
};
use thiserror::Error;

use super::VolumeSnapshotPolicySpec;
use crate::selector::PvcMatcher;

/// ECS's "keep until deleted".
pub const KEEP_FOREVER: i32 = -1;
/// ECS's largest retention.
pub const MAX_RETENTION_DAYS: i32 = 65535;

/// A spec the controllers refuse; `message` starts with the field (`spec.timeZone: …`) and says
/// what to change.
#[derive(Debug, Clone, PartialEq, Eq, Error)]
#[error("{message}")]
pub struct InvalidSpec {
    pub message: String,
}

impl InvalidSpec {
    fn at(field: &str, what: impl std::fmt::Display) -> Self {
        Self {
            message: format!("spec.{field}: {what}"),
        }
    }
}

/// A spec that passed every check, with what the checks produced.
#[derive(Debug, Clone)]
pub struct ValidSpec {
    pub selector: PvcMatcher,
    /// `retentionDays`, or [`KEEP_FOREVER`].
    pub retention_days: i32,
    pub schedule: ValidSchedule,
}

/// The schedule of a [`ValidSpec`].
#[derive(Debug, Clone)]
pub enum ValidSchedule {
    /// A weekly schedule, converted to ECS's zone as of "now".
    Weekly {
        conversion: EcsConversion,
        /// `1,2 @ 2,10 Europe/Berlin`, for status, printer columns and Events.
        summary: String,
    },
    /// One snapshot of every selected volume.
    Once,
}

/// Checks `spec` as of `now`; `default_zone` applies when the spec names no zone.
///
/// # Errors
/// [`InvalidSpec`] naming the first offending field: a selector Kubernetes would refuse or
/// that selects every PVC, a retention out of range, `repeatOnce` mixed with weekly fields, bad,
/// duplicate or missing weekdays and hours, an unknown zone, a zone not at a whole-hour offset
/// now, or hours that fall on different ECS days.
pub fn validate(
    spec: &VolumeSnapshotPolicySpec,
    default_zone: &ScheduleZone,
    now: Timestamp,
) -> Result<ValidSpec, InvalidSpec> {
    let selector =
        PvcMatcher::new(&spec.pvc_selector).map_err(|e| InvalidSpec::at("pvcSelector", e))?;
    let retention_days = retention(spec.retention_days)?;
    let schedule = schedule(spec, default_zone, now)?;
    Ok(ValidSpec {
        selector,
        retention_days,
        schedule,
    })
}

fn schedule(
    spec: &VolumeSnapshotPolicySpec,
    default_zone: &ScheduleZone,
    now: Timestamp,
) -> Result<ValidSchedule, InvalidSpec> {
    let schedule = &spec.snapshot_schedule;
    let weekdays = schedule.repeat_weekdays.clone().unwrap_or_default();
    let hours = schedule.time_points.clone().unwrap_or_default();
    if schedule.is_repeat_once() {
        if !weekdays.is_empty() || !hours.is_empty() {
            return Err(schedule_error(DomainError::OnceWithWeeklyFields));
        }
        return Ok(ValidSchedule::Once);
    }

    let schedule = Schedule::parse(&weekdays, &hours).map_err(schedule_error)?;
    let zone = match &spec.time_zone {
        Some(name) => ScheduleZone::named(name).map_err(|e| InvalidSpec::at("timeZone", e))?,
        None => default_zone.clone(),
    };
    let conversion = to_ecs(&schedule, &zone, now).map_err(|e| InvalidSpec::at("timeZone", e))?;
    Ok(ValidSchedule::Weekly {
        summary: format!("{} {}", schedule.summary(), zone.name()),
        conversion,
    })
}

fn retention(days: Option<i32>) -> Result<i32, InvalidSpec> {
    match days.unwrap_or(KEEP_FOREVER) {
        d if d == KEEP_FOREVER || (1..=MAX_RETENTION_DAYS).contains(&d) => Ok(d),
        d => Err(InvalidSpec::at(
            "retentionDays",
            format!("{d} is invalid: use -1 (keep until deleted) or 1 to {MAX_RETENTION_DAYS}"),
        )),
    }
}

fn schedule_error(e: DomainError) -> InvalidSpec {
    InvalidSpec::at("snapshotSchedule", e)
}

#[cfg(test)]
mod tests;
