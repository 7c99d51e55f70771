//! When an [`EcsSchedule`] fires, for the `nextSnapshotTime`/`lastSnapshotTime` of a status.
//!
//! Computed on ECS's own clock (UTC+8, no daylight saving), because that is what ECS runs; the
//! result is exact as long as the ECS policy carries this schedule.

use jiff::Timestamp;

use super::{ECS_UTC_OFFSET_HOURS, EcsSchedule};

const HOUR: i64 = 3600;
/// One week of hours plus one: any non-empty weekly schedule fires within this many steps.
const SEARCH_HOURS: i64 = 7 * 24 + 1;

impl EcsSchedule {
    /// The first firing instant strictly after `after`.
    ///
    /// `None` only at the far end of the representable time range.
    pub fn next_firing_after(&self, after: Timestamp) -> Option<Timestamp> {
        let start = after.as_second().div_euclid(HOUR) * HOUR + HOUR;
        (0..SEARCH_HOURS)
            .map(|i| start + i * HOUR)
            .find(|&s| self.fires_at_second(s))
            .and_then(|s| Timestamp::from_second(s).ok())
    }

    /// The last firing instant at or before `at`.
    ///
    /// `None` only at the far start of the representable time range.
    pub fn last_firing_at_or_before(&self, at: Timestamp) -> Option<Timestamp> {
        let start = at.as_second().div_euclid(HOUR) * HOUR;
        (0..SEARCH_HOURS)
            .map(|i| start - i * HOUR)
            .find(|&s| self.fires_at_second(s))
            .and_then(|s| Timestamp::from_second(s).ok())
    }

    /// Whether the whole-hour instant `second` (Unix seconds) is a firing instant.
    fn fires_at_second(&self, second: i64) -> bool {
        let local = second + i64::from(ECS_UTC_OFFSET_HOURS) * HOUR;
        let hour = local.div_euclid(HOUR).rem_euclid(24) as u8;
        // 1970-01-01 was a Thursday (4 when Monday is 1).
        let weekday = ((local.div_euclid(24 * HOUR) + 3).rem_euclid(7) + 1) as u8;
        self.0.fires_at(weekday, hour)
    }
}
