use jiff::{Timestamp, ToSpan, tz::TimeZone};

use super::*;
use crate::DomainError;

fn ts(s: &str) -> Timestamp {
    s.parse().expect("test timestamp")
}

fn zone(name: &str) -> ScheduleZone {
    ScheduleZone::named(name).expect("zone in bundled database")
}

fn convert(days: &[u8], hours: &[u8], zone_name: &str, now: &str) -> EcsConversion {
    let schedule = Schedule::new(days, hours).expect("valid schedule");
    to_ecs(&schedule, &zone(zone_name), ts(now)).expect("convertible")
}

#[test]
fn parses_crd_strings_and_refuses_non_canonical_forms() {
    let s = Schedule::parse(&["1", "2", "4", "5"], &["2", "10", "12", "16"]).unwrap();
    assert_eq!(s.summary(), "1,2,4,5 @ 2,10,12,16");

    let bad_day = Schedule::parse(&["0"], &["1"]).unwrap_err();
    assert_eq!(bad_day, DomainError::InvalidWeekday { value: "0".into() });
    for hour in ["24", "07", " 7", "", "-1", "x"] {
        let err = Schedule::parse(&["1"], &[hour]).unwrap_err();
        assert_eq!(
            err,
            DomainError::InvalidHour { value: hour.into() },
            "{hour:?}"
        );
    }
    let dup = Schedule::parse(&["1", "1"], &["2"]).unwrap_err();
    assert!(
        dup.to_string()
            .contains("repeatWeekdays lists \"1\" more than once")
    );
    let empty = Schedule::parse::<&str>(&["1"], &[]).unwrap_err();
    assert_eq!(
        empty,
        DomainError::EmptySchedule {
            field: "timePoints"
        }
    );
}

#[test]
fn monday_evening_in_utc_fires_tuesday_morning_in_ecs_zone() {
    let c = convert(&[1], &[20, 23], "UTC", "2026-12-01T00:00:00Z");
    assert_eq!(c.ecs.repeat_weekdays(), ["2"]);
    assert_eq!(c.ecs.time_points(), ["4", "7"]);
    assert_eq!(c.utc_offset_hours, 0);
    assert_eq!(c.valid_until, None, "UTC never changes offset");
}

#[test]
fn sunday_wraps_to_monday_and_westward_zones_move_back_a_day() {
    let east = convert(&[7], &[22], "UTC", "2026-12-01T00:00:00Z");
    assert_eq!(
        (east.ecs.repeat_weekdays(), east.ecs.time_points()),
        (vec!["1".into()], vec!["6".into()])
    );

    // Honolulu is UTC-10: 8 - (-10) = +18 hours, so Monday 02:00 is Monday 20:00 and
    // Monday 08:00 is Tuesday 02:00.
    let west = convert(&[1, 7], &[8], "Pacific/Honolulu", "2026-12-01T00:00:00Z");
    assert_eq!(west.ecs.repeat_weekdays(), ["1", "2"]);
    assert_eq!(west.ecs.time_points(), ["2"]);
}

#[test]
fn shanghai_is_ecs_zone_and_changes_nothing() {
    let c = convert(
        &[1, 2, 4, 5],
        &[2, 10, 12, 16],
        "Asia/Shanghai",
        "2026-06-01T00:00:00Z",
    );
    assert_eq!(
        c.ecs.schedule(),
        &Schedule::new(&[1, 2, 4, 5], &[2, 10, 12, 16]).unwrap()
    );
}

#[test]
fn hours_split_across_ecs_midnight_are_refused_unless_all_week() {
    let schedule = Schedule::new(&[1, 2, 4, 5], &[2, 10, 12, 16]).unwrap();
    let err = to_ecs(&schedule, &zone("UTC"), ts("2026-12-01T00:00:00Z")).unwrap_err();
    assert_eq!(
        err,
        DomainError::SplitAcrossDays {
            zone: "UTC".into(),
            offset: "+00".into(),
            earlier_day: vec![2, 10, 12],
            later_day: vec![16],
        }
    );
    assert!(err.to_string().contains("select all seven weekdays"));

    let every_day = convert(
        &[1, 2, 3, 4, 5, 6, 7],
        &[2, 16],
        "UTC",
        "2026-12-01T00:00:00Z",
    );
    assert_eq!(every_day.ecs.repeat_weekdays().len(), 7);
    assert_eq!(every_day.ecs.time_points(), ["0", "10"]);
}

#[test]
fn unknown_and_fractional_zones_are_errors_not_panics() {
    let err = ScheduleZone::named("Mars/Olympus_Mons").unwrap_err();
    assert!(
        matches!(err, DomainError::UnknownTimeZone { ref name, .. } if name == "Mars/Olympus_Mons")
    );

    let schedule = Schedule::new(&[1], &[1]).unwrap();
    let err = to_ecs(&schedule, &zone("Asia/Kolkata"), ts("2026-12-01T00:00:00Z")).unwrap_err();
    assert!(matches!(err, DomainError::FractionalOffset { .. }), "{err}");
    assert!(err.to_string().contains("+05:30"), "{err}");
}

#[test]
fn new_york_resolves_from_the_bundled_database() {
    let c = convert(
        &[1, 2, 3, 4, 5, 6, 7],
        &[0],
        "America/New_York",
        "2026-01-15T00:00:00Z",
    );
    assert_eq!(c.utc_offset_hours, -5);
    assert_eq!(c.ecs.time_points(), ["13"]);
    assert_eq!(
        c.valid_until,
        Some(ts("2026-03-08T07:00:00Z")),
        "EDT starts 2026-03-08"
    );
}

/// Every ECS firing of the conversion, read back on Berlin's clock, must be a scheduled local
/// hour, and every scheduled local hour must be fired, on both sides of both 2026 switches.
#[test]
fn berlin_keeps_its_local_hours_across_both_daylight_saving_switches() {
    let schedule = Schedule::new(&[1, 3, 5, 7], &[2, 10, 16]).unwrap();
    let berlin = zone("Europe/Berlin");
    let cases = [
        ("2026-03-20T00:00:00Z", Some("2026-03-29T01:00:00Z")), // CET, before spring switch
        ("2026-03-29T01:00:00Z", Some("2026-10-25T01:00:00Z")), // CEST, right after it
        ("2026-10-18T00:00:00Z", Some("2026-10-25T01:00:00Z")), // CEST, before autumn switch
        ("2026-10-25T01:00:00Z", Some("2027-03-28T01:00:00Z")), // CET, right after it
    ];

    for (now, until) in cases {
        let c = to_ecs(&schedule, &berlin, ts(now)).expect("Berlin converts");
        assert_eq!(c.valid_until, until.map(ts), "valid_until from {now}");
        assert_fires_local_hours(
            &c.ecs,
            &schedule,
            berlin.time_zone(),
            ts(now),
            c.valid_until,
        );
    }
}

fn assert_fires_local_hours(
    ecs: &EcsSchedule,
    local: &Schedule,
    tz: &TimeZone,
    from: Timestamp,
    until: Option<Timestamp>,
) {
    let end = until
        .unwrap_or(from + (14 * 24).hours())
        .min(from.checked_add((7 * 24).hours()).unwrap());
    let mut fired = 0;
    let mut at = from;
    while let Some(next) = ecs.next_firing_after(at).filter(|n| *n < end) {
        let civil = next.to_zoned(tz.clone());
        let (day, hour) = (
            civil.weekday().to_monday_one_offset() as u8,
            civil.hour() as u8,
        );
        assert!(
            local.fires_at(day, hour),
            "ECS fires {next} = local {civil}, not scheduled"
        );
        fired += 1;
        at = next;
    }
    let expected = count_local_firings(local, tz, from, end);
    assert!(
        expected > 0,
        "the window from {from} to {end} holds scheduled hours"
    );
    assert_eq!(fired, expected, "firings between {from} and {end}");
}

fn count_local_firings(local: &Schedule, tz: &TimeZone, from: Timestamp, end: Timestamp) -> usize {
    let mut count = 0;
    let mut t = from;
    while t < end {
        t = t.checked_add(1.hour()).unwrap();
        let civil = t.to_zoned(tz.clone());
        let (day, hour) = (
            civil.weekday().to_monday_one_offset() as u8,
            civil.hour() as u8,
        );
        if t < end && civil.minute() == 0 && local.fires_at(day, hour) {
            count += 1;
        }
    }
    count
}

#[test]
fn next_and_last_firing_follow_the_ecs_clock() {
    // Tuesday 04:00 and 07:00 in UTC+8 are Monday 20:00 and 23:00 UTC.
    let ecs = EcsSchedule::parse(&["2"], &["4", "7"]).unwrap();
    let monday_noon = ts("2026-11-30T12:00:00Z");
    assert_eq!(
        ecs.next_firing_after(monday_noon),
        Some(ts("2026-11-30T20:00:00Z"))
    );
    assert_eq!(
        ecs.next_firing_after(ts("2026-11-30T20:00:00Z")),
        Some(ts("2026-11-30T23:00:00Z"))
    );
    assert_eq!(
        ecs.next_firing_after(ts("2026-11-30T23:00:00Z")),
        Some(ts("2026-12-07T20:00:00Z"))
    );

    assert_eq!(
        ecs.last_firing_at_or_before(ts("2026-11-30T23:00:00Z")),
        Some(ts("2026-11-30T23:00:00Z"))
    );
    assert_eq!(
        ecs.last_firing_at_or_before(ts("2026-11-30T22:59:59Z")),
        Some(ts("2026-11-30T20:00:00Z"))
    );
    assert_eq!(
        ecs.last_firing_at_or_before(monday_noon),
        Some(ts("2026-11-23T23:00:00Z"))
    );
}
