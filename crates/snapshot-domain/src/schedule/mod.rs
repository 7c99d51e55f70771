//! Weekly schedules: which weekdays and which hours a policy fires.
//!
//! A [`Schedule`] is what the user wrote, meant in some IANA time zone. [`to_ecs`] turns it into
//! an [`EcsSchedule`], the same idea in ECS's fixed zone (UTC+8), which is what ECS runs.
//!
//! # Model
//! Both are cartesian products: the policy fires at every listed hour of every listed weekday.
//! Weekdays are 1 (Monday) .. 7 (Sunday), hours 0 .. 23, as in ECS and in the seed's CRD.

mod firing;
mod zone;

use std::collections::BTreeSet;

use crate::DomainError;

pub use zone::{EcsConversion, ScheduleZone, to_ecs};

/// The offset of ECS's schedule clock from UTC, in hours (China Standard Time).
pub const ECS_UTC_OFFSET_HOURS: i8 = 8;

/// A weekly schedule: weekdays 1..=7 (Monday = 1) crossed with hours 0..=23.
///
/// Invariant: both sets are non-empty and in range; construction is the only check.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct Schedule {
    weekdays: BTreeSet<u8>,
    hours: BTreeSet<u8>,
}

/// A [`Schedule`] meant in ECS's zone (UTC+8): the exact values to send as `repeatWeekdays` and
/// `timePoints`, and to compare with what `DescribeAutoSnapshotPolicyEx` reports.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct EcsSchedule(Schedule);

impl Schedule {
    /// Builds a schedule from numbers, refusing out-of-range values, duplicates and empty lists.
    pub fn new(weekdays: &[u8], hours: &[u8]) -> Result<Self, DomainError> {
        let weekdays = collect(
            "repeatWeekdays",
            weekdays,
            |d| (1..=7).contains(&d),
            |d| DomainError::InvalidWeekday {
                value: d.to_string(),
            },
        )?;
        let hours = collect(
            "timePoints",
            hours,
            |h| h <= 23,
            |h| DomainError::InvalidHour {
                value: h.to_string(),
            },
        )?;
        Ok(Self { weekdays, hours })
    }

    /// Parses the string lists of the CRD (`repeatWeekdays: ["1","3"]`, `timePoints: ["2"]`).
    ///
    /// Only canonical decimal forms are accepted ("7", not "07" or " 7"), matching the CRD enum.
    pub fn parse<S: AsRef<str>>(weekdays: &[S], hours: &[S]) -> Result<Self, DomainError> {
        let days = parse_all(weekdays, 1..=7, |v| DomainError::InvalidWeekday {
            value: v,
        })?;
        let hours = parse_all(hours, 0..=23, |v| DomainError::InvalidHour { value: v })?;
        Self::new(&days, &hours)
    }

    /// Weekdays in ascending order, 1 = Monday.
    pub fn weekdays(&self) -> impl ExactSizeIterator<Item = u8> + '_ {
        self.weekdays.iter().copied()
    }

    /// Hours in ascending order.
    pub fn hours(&self) -> impl ExactSizeIterator<Item = u8> + '_ {
        self.hours.iter().copied()
    }

    /// Whether the schedule fires on `weekday` (1..=7) at `hour` (0..=23).
    pub fn fires_at(&self, weekday: u8, hour: u8) -> bool {
        self.weekdays.contains(&weekday) && self.hours.contains(&hour)
    }

    /// `"1,2,4 @ 2,10"`: a compact form for printer columns, logs and events.
    pub fn summary(&self) -> String {
        format!("{} @ {}", join(self.weekdays()), join(self.hours()))
    }
}

impl EcsSchedule {
    /// Reads the weekday and hour lists ECS reports (already in UTC+8).
    pub fn parse<S: AsRef<str>>(weekdays: &[S], hours: &[S]) -> Result<Self, DomainError> {
        Schedule::parse(weekdays, hours).map(Self)
    }

    /// The schedule's weekdays/hours, in UTC+8.
    pub fn schedule(&self) -> &Schedule {
        &self.0
    }

    /// `repeatWeekdays` as ECS wants it: decimal strings, ascending.
    pub fn repeat_weekdays(&self) -> Vec<String> {
        self.0.weekdays().map(|d| d.to_string()).collect()
    }

    /// `timePoints` as ECS wants it: decimal strings, ascending.
    pub fn time_points(&self) -> Vec<String> {
        self.0.hours().map(|h| h.to_string()).collect()
    }
}

fn collect(
    field: &'static str,
    values: &[u8],
    in_range: impl Fn(u8) -> bool,
    invalid: impl Fn(u8) -> DomainError,
) -> Result<BTreeSet<u8>, DomainError> {
    if values.is_empty() {
        return Err(DomainError::EmptySchedule { field });
    }

    let mut set = BTreeSet::new();
    for &value in values {
        if !in_range(value) {
            return Err(invalid(value));
        }
        if !set.insert(value) {
            let value = value.to_string();
            return Err(DomainError::Duplicate { field, value });
        }
    }
    Ok(set)
}

fn parse_all<S: AsRef<str>>(
    values: &[S],
    range: std::ops::RangeInclusive<u8>,
    invalid: impl Fn(String) -> DomainError,
) -> Result<Vec<u8>, DomainError> {
    values
        .iter()
        .map(|s| {
            let s = s.as_ref();
            let canonical = !s.is_empty()
                && s.bytes().all(|b| b.is_ascii_digit())
                && (s == "0" || !s.starts_with('0'));
            match s.parse::<u8>() {
                Ok(n) if canonical && range.contains(&n) => Ok(n),
                _ => Err(invalid(s.to_owned())),
            }
        })
        .collect()
}

fn join(values: impl Iterator<Item = u8>) -> String {
    values.map(|v| v.to_string()).collect::<Vec<_>>().join(",")
}

#[cfg(test)]
mod tests;
