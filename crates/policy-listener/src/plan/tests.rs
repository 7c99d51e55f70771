use snapshot_domain::{Timestamp, schedule::ScheduleZone};

use super::*;
use crate::fixtures::VspBuilder;

fn at(text: &str) -> Timestamp {
    text.parse().unwrap()
}

fn shanghai() -> ScheduleZone {
    ScheduleZone::named("Asia/Shanghai").unwrap()
}

fn scheduled(builder: &VspBuilder, now: &str) -> ScheduledPlan {
    match plan(builder.spec(), &shanghai(), at(now)).unwrap() {
        Plan::Scheduled(p) => p,
        Plan::Once(_) => panic!("expected a scheduled plan"),
    }
}

#[test]
fn utc_evening_hours_move_to_the_next_ecs_day() {
    let vsp = VspBuilder::new().weekly(&["1"], &["20", "23"]);
    let p = scheduled(&vsp, "2026-06-01T00:00:00Z");
    assert_eq!(p.conversion.ecs.repeat_weekdays(), ["2"]);
    assert_eq!(p.conversion.ecs.time_points(), ["4", "7"]);
    assert_eq!(
        p.conversion.valid_until, None,
        "UTC never changes its offset"
    );
    assert_eq!(p.summary, "1 @ 20,23 UTC");
    assert_eq!(p.retention_days, 30);
}

#[test]
fn berlin_is_reconverted_across_daylight_saving() {
    let vsp = VspBuilder::new()
        .zone(Some("Europe/Berlin"))
        .weekly(&["1"], &["10"]);
    let winter = scheduled(&vsp, "2026-03-20T00:00:00Z");
    assert_eq!(winter.conversion.ecs.time_points(), ["17"]);
    assert_eq!(
        winter.conversion.valid_until,
        Some(at("2026-03-29T01:00:00Z"))
    );

    let summer = scheduled(&vsp, "2026-03-29T01:00:00Z");
    assert_eq!(summer.conversion.ecs.time_points(), ["16"]);
    assert_eq!(
        summer.conversion.valid_until,
        Some(at("2026-10-25T01:00:00Z"))
    );
}

#[test]
fn the_default_zone_applies_when_the_spec_names_none() {
    let vsp = VspBuilder::new().zone(None).weekly(&["3"], &["2"]);
    let p = scheduled(&vsp, "2026-06-01T00:00:00Z");
    assert_eq!(p.conversion.ecs.time_points(), ["2"]);
    assert_eq!(p.summary, "3 @ 2 Asia/Shanghai");
}

#[test]
fn what_the_schema_cannot_catch_is_refused_with_the_field_named() {
    let now = at("2026-06-01T00:00:00Z");
    let refuse = |b: VspBuilder| plan(b.spec(), &shanghai(), now).unwrap_err().message;

    let msg = refuse(VspBuilder::new().zone(Some("Mars/Olympus_Mons")));
    assert!(
        msg.starts_with("spec.timeZone:") && msg.contains("Mars/Olympus_Mons"),
        "{msg}"
    );

    let msg = refuse(VspBuilder::new().zone(Some("Asia/Kolkata")));
    assert!(msg.contains("not a whole number of hours"), "{msg}");

    let msg = refuse(VspBuilder::new().retention(Some(0)));
    assert!(msg.starts_with("spec.retentionDays: 0 is invalid"), "{msg}");

    let msg = refuse(VspBuilder::new().weekly(&["8"], &["2"]));
    assert!(
        msg.starts_with("spec.snapshotSchedule:") && msg.contains("\"8\""),
        "{msg}"
    );

    let mut both = VspBuilder::new().once().build();
    both.spec.snapshot_schedule.time_points = Some(vec!["1".into()]);
    let msg = plan(&both.spec, &shanghai(), now).unwrap_err().message;
    assert!(msg.contains("repeatOnce cannot be combined"), "{msg}");
}

#[test]
fn repeat_once_keeps_forever_by_default() {
    let vsp = VspBuilder::new().once().retention(None);
    let Plan::Once(p) = plan(vsp.spec(), &shanghai(), at("2026-06-01T00:00:00Z")).unwrap() else {
        panic!("expected a one-off plan");
    };
    assert_eq!(p.retention_days, KEEP_FOREVER);
}

#[test]
fn a_selector_the_api_server_would_refuse_is_invalid_not_listed() {
    let now = at("2026-06-01T00:00:00Z");
    let mut vsp = VspBuilder::new().build();
    vsp.spec.pvc_selector.match_labels = Some([("bad key!".into(), "v@lue".into())].into());
    let msg = plan(&vsp.spec, &shanghai(), now).unwrap_err().message;
    assert!(
        msg.starts_with("spec.pvcSelector") && msg.contains("\"bad key!\""),
        "{msg}"
    );

    let split = VspBuilder::new().weekly(&["1"], &["3", "20"]);
    let msg = plan(split.spec(), &shanghai(), now).unwrap_err().message;
    assert!(msg.contains("select all seven weekdays"), "{msg}");
    assert!(!msg.contains("two policies"), "{msg}");
}
