//! What a VSP asks for, checked beyond what the CRD schema can check, and converted for ECS.
//!
//! A [`Plan`] is computed on every reconcile from the spec, the installation's default zone
//! and "now". An [`InvalidSpec`] never reaches ECS: the controller reports it as
//! `Ready=False` with reason `InvalidSpec` and an Event.

use snapshot_domain::{
    DomainError, Timestamp,
    schedule::{EcsConversion, Schedule, ScheduleZone, to_ecs},
};
use snapshot_k8s::{selector::PvcMatcher, vsp::VolumeSnapshotPolicySpec};

/// ECS's "keep until deleted".
pub const KEEP_FOREVER: i32 = -1;
/// ECS's largest retention.
pub const MAX_RETENTION_DAYS: i32 = 65535;

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

/// A spec the controller refuses; the message says what to change.
#[derive(Debug, Clone, PartialEq, Eq)]
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

/// Checks and converts `spec`; `default_zone` applies when the spec names no zone.
pub fn plan(
    spec: &VolumeSnapshotPolicySpec,
    default_zone: &ScheduleZone,
    now: Timestamp,
) -> Result<Plan, InvalidSpec> {
    let selector =
        PvcMatcher::new(&spec.pvc_selector).map_err(|e| InvalidSpec::at("pvcSelector", e))?;
    let retention_days = retention(spec.retention_days)?;

    let schedule = &spec.snapshot_schedule;
    let weekdays = schedule.repeat_weekdays.clone().unwrap_or_default();
    let hours = schedule.time_points.clone().unwrap_or_default();
    if schedule.is_repeat_once() {
        if !weekdays.is_empty() || !hours.is_empty() {
            let what = "repeatOnce cannot be combined with repeatWeekdays or timePoints";
            return Err(InvalidSpec::at("snapshotSchedule", what));
        }
        return Ok(Plan::Once(OncePlan {
            selector,
            retention_days,
        }));
    }

    let schedule = Schedule::parse(&weekdays, &hours).map_err(schedule_error)?;
    let zone = match &spec.time_zone {
        Some(name) => ScheduleZone::named(name).map_err(|e| InvalidSpec::at("timeZone", e))?,
        None => default_zone.clone(),
    };
    let conversion = to_ecs(&schedule, &zone, now).map_err(|e| InvalidSpec::at("timeZone", e))?;
    Ok(Plan::Scheduled(ScheduledPlan {
        selector,
        summary: format!("{} {}", schedule.summary(), zone.name()),
        conversion,
        retention_days,
    }))
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
