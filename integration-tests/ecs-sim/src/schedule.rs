//! When an automatic snapshot policy fires.
//!
//! ECS reads `TimePoints` as hours and `RepeatWeekdays` as ISO weekdays of the China Standard
//! Time calendar (UTC+8, no daylight saving), whatever the caller's zone. The arithmetic is done
//! on whole hours since the Unix epoch shifted by eight hours, which makes it exact and cheap.

use jiff::Timestamp;

/// ECS's schedule time zone offset from UTC, in seconds.
pub const ECS_UTC_OFFSET_SECONDS: i64 = 8 * 3600;

const HOUR: i64 = 3600;
const HOURS_PER_WEEK: i64 = 7 * 24;

/// The first firing strictly after `after`, or `None` when the schedule is empty.
///
/// Firings happen exactly on the hour (`HH:00:00` UTC+8).
pub fn next_firing(time_points: &[u8], weekdays: &[u8], after: Timestamp) -> Option<Timestamp> {
    if time_points.is_empty() || weekdays.is_empty() {
        return None;
    }
    let local_hour = (after.as_second() + ECS_UTC_OFFSET_SECONDS).div_euclid(HOUR);

    (local_hour + 1..=local_hour + HOURS_PER_WEEK).find_map(|hour| {
        let hour_of_day = hour.rem_euclid(24) as u8;
        let weekday = iso_weekday(hour.div_euclid(24));
        let fires = time_points.contains(&hour_of_day) && weekdays.contains(&weekday);
        fires.then(|| Timestamp::from_second(hour * HOUR - ECS_UTC_OFFSET_SECONDS).ok())?
    })
}

/// ISO weekday (1 = Monday … 7 = Sunday) of a day counted from 1970-01-01, a Thursday.
fn iso_weekday(day_since_epoch: i64) -> u8 {
    ((day_since_epoch + 3).rem_euclid(7) + 1) as u8
}

/// The UTC+8 calendar date of an instant as `yyyyMMdd`, used in automatic snapshot names.
pub fn ecs_local_date(at: Timestamp) -> String {
    let zone = jiff::tz::TimeZone::fixed(jiff::tz::offset(8));
    at.to_zoned(zone).strftime("%Y%m%d").to_string()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn at(text: &str) -> Timestamp {
        text.parse().unwrap()
    }

    #[test]
    fn epoch_day_is_thursday() {
        assert_eq!(iso_weekday(0), 4);
        assert_eq!(iso_weekday(4), 1);
    }

    #[test]
    fn fires_on_the_next_matching_hour_in_utc_plus_8() {
        // 2024-05-20 is a Monday. 02:00 UTC+8 on Monday is Sunday 18:00 UTC.
        let next = next_firing(&[2], &[1], at("2024-05-19T17:30:00Z"));
        assert_eq!(next, Some(at("2024-05-19T18:00:00Z")));
    }

    #[test]
    fn firing_time_itself_is_excluded() {
        let next = next_firing(&[2], &[1], at("2024-05-19T18:00:00Z"));
        assert_eq!(next, Some(at("2024-05-26T18:00:00Z")));
    }

    #[test]
    fn empty_schedule_never_fires() {
        assert_eq!(next_firing(&[], &[1], at("2024-05-19T18:00:00Z")), None);
        assert_eq!(next_firing(&[1], &[], at("2024-05-19T18:00:00Z")), None);
    }

    #[test]
    fn local_date_rolls_over_at_16_utc() {
        assert_eq!(ecs_local_date(at("2024-05-19T15:59:59Z")), "20240519");
        assert_eq!(ecs_local_date(at("2024-05-19T16:00:00Z")), "20240520");
    }
}
