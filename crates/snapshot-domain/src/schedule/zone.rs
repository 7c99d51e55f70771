//! Conversion of a schedule from the user's IANA time zone to ECS's UTC+8.

use std::collections::BTreeSet;

use jiff::{
    Timestamp,
    tz::{TimeZone, TimeZoneDatabase},
};

use super::{ECS_UTC_OFFSET_HOURS, EcsSchedule, Schedule};
use crate::DomainError;

/// An IANA time zone resolved from the database compiled into the binary.
///
/// The bundled database is used on purpose, not `/usr/share/zoneinfo`: distroless images have
/// no zoneinfo, and every replica must convert a schedule the same way whatever its image holds.
#[derive(Debug, Clone)]
pub struct ScheduleZone {
    name: String,
    tz: TimeZone,
}

impl ScheduleZone {
    /// Looks up an IANA name such as `Europe/Berlin` or `UTC`.
    ///
    /// # Errors
    /// [`DomainError::UnknownTimeZone`] when the name is not in the bundled database.
    pub fn named(name: &str) -> Result<Self, DomainError> {
        let tz =
            TimeZoneDatabase::bundled()
                .get(name)
                .map_err(|e| DomainError::UnknownTimeZone {
                    name: name.to_owned(),
                    reason: e.to_string(),
                })?;
        Ok(Self {
            name: name.to_owned(),
            tz,
        })
    }

    /// The IANA name this zone was resolved from.
    pub fn name(&self) -> &str {
        &self.name
    }

    /// The underlying jiff zone, for callers that render local times (status, events).
    pub fn time_zone(&self) -> &TimeZone {
        &self.tz
    }
}

/// The result of [`to_ecs`]: what to send to ECS, and until when it is right.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct EcsConversion {
    /// The schedule in UTC+8, ready for `repeatWeekdays`/`timePoints`.
    pub ecs: EcsSchedule,
    /// The zone's UTC offset, in whole hours, that the conversion used.
    pub utc_offset_hours: i8,
    /// The zone's next offset transition after "now", if it has one (`None` for fixed zones).
    ///
    /// From this instant on, ECS would fire at shifted local hours: the controller must convert
    /// again and modify the ECS policy at this instant, not on its next periodic resync.
    pub valid_until: Option<Timestamp>,
}

/// Converts `schedule`, meant as local hours of `zone`, to ECS's zone (UTC+8) as of `now`.
///
/// Each hour moves by `8 - offset` hours. Hours that cross midnight move their weekdays along
/// (Monday 20:00 UTC is Tuesday 04:00 UTC+8; Monday 02:00 UTC-10 is Sunday 20:00 UTC+8).
///
/// # Errors
/// - [`DomainError::FractionalOffset`]: the zone's offset at `now` is not whole hours.
/// - [`DomainError::SplitAcrossDays`]: some hours cross midnight and some do not, and not all
///   seven weekdays are selected, so no single ECS weekday list fits every hour.
pub fn to_ecs(
    schedule: &Schedule,
    zone: &ScheduleZone,
    now: Timestamp,
) -> Result<EcsConversion, DomainError> {
    let offset = zone.tz.to_offset(now);
    if offset.seconds() % 3600 != 0 {
        return Err(DomainError::FractionalOffset {
            zone: zone.name.clone(),
            offset: offset.to_string(),
        });
    }
    let utc_offset_hours = (offset.seconds() / 3600) as i8;

    let ecs = shift(schedule, ECS_UTC_OFFSET_HOURS - utc_offset_hours).map_err(|split| {
        DomainError::SplitAcrossDays {
            zone: zone.name.clone(),
            offset: offset.to_string(),
            earlier_day: split.0,
            later_day: split.1,
        }
    })?;

    let valid_until = zone.tz.following(now).next().map(|t| t.timestamp());
    Ok(EcsConversion {
        ecs,
        utc_offset_hours,
        valid_until,
    })
}

/// Local hours that land on the earlier and on the later of two ECS days, when both are
/// non-empty and the two groups cannot share one weekday list.
type Split = (Vec<u8>, Vec<u8>);

fn shift(schedule: &Schedule, hours: i8) -> Result<EcsSchedule, Split> {
    let mut earlier = Vec::new();
    let mut later = Vec::new();
    let mut shifted_hours = BTreeSet::new();
    let base_day_shift = i32::from(hours).div_euclid(24);

    for h in schedule.hours() {
        let moved = i32::from(h) + i32::from(hours);
        if moved.div_euclid(24) == base_day_shift {
            earlier.push(h);
        } else {
            later.push(h);
        }
        shifted_hours.insert(moved.rem_euclid(24) as u8);
    }

    let day_shift = if later.is_empty() {
        base_day_shift
    } else if earlier.is_empty() {
        base_day_shift + 1
    } else if schedule.weekdays().len() == 7 {
        0
    } else {
        return Err((earlier, later));
    };

    let weekdays = schedule
        .weekdays()
        .map(|d| ((i32::from(d) - 1 + day_shift).rem_euclid(7) + 1) as u8)
        .collect();
    Ok(EcsSchedule(Schedule {
        weekdays,
        hours: shifted_hours,
    }))
}
