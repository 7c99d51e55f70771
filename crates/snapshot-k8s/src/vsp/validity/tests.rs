use serde_json::json;

use super::*;

fn spec(extra: serde_json::Value) -> VolumeSnapshotPolicySpec {
    let mut base = json!({
        "pvcSelector": {"matchLabels": {"app": "blk"}},
        "snapshotSchedule": {"repeatWeekdays": ["1"], "timePoints": ["9"]},
    });
    for (k, v) in extra.as_object().unwrap() {
        base[k] = v.clone();
    }
    serde_json::from_value(base).unwrap()
}

fn shanghai() -> ScheduleZone {
    ScheduleZone::named("Asia/Shanghai").unwrap()
}

fn now() -> Timestamp {
    "2026-12-03T00:00:00Z".parse().unwrap()
}

fn refused(extra: serde_json::Value) -> String {
    validate(&spec(extra), &shanghai(), now())
        .unwrap_err()
        .message
}

#[test]
fn a_whole_hour_zone_with_hours_on_one_ecs_day_is_valid() {
    let valid = validate(&spec(json!({"timeZone": "UTC"})), &shanghai(), now()).unwrap();
    let ValidSchedule::Weekly {
        conversion,
        summary,
    } = valid.schedule
    else {
        panic!("expected a weekly schedule");
    };
    assert_eq!(summary, "1 @ 9 UTC");
    assert_eq!(conversion.ecs.time_points(), ["17"]);
    assert_eq!(valid.retention_days, KEEP_FOREVER);
    assert!(
        valid
            .selector
            .matches(&[("app".into(), "blk".into())].into())
    );
}

#[test]
fn a_half_hour_zone_is_refused_at_the_time_zone() {
    let msg = refused(json!({"timeZone": "Asia/Kolkata"}));
    assert!(msg.starts_with("spec.timeZone:"), "{msg}");
    assert!(msg.contains("not a whole number of hours"), "{msg}");
}

#[test]
fn hours_on_different_ecs_days_are_refused_with_advice_that_avoids_a_conflict() {
    let schedule = json!({"repeatWeekdays": ["1"], "timePoints": ["3", "20"]});
    let msg = refused(json!({"timeZone": "UTC", "snapshotSchedule": schedule}));
    assert!(msg.starts_with("spec.timeZone:"), "{msg}");
    assert!(msg.contains("all seven weekdays"), "{msg}");
    assert!(!msg.contains("two policies"), "{msg}");

    let every_day = json!({"repeatWeekdays": ["1", "2", "3", "4", "5", "6", "7"],
                           "timePoints": ["3", "20"]});
    let spec = spec(json!({"timeZone": "UTC", "snapshotSchedule": every_day}));
    assert!(validate(&spec, &shanghai(), now()).is_ok());
}

#[test]
fn unknown_zones_duplicates_and_bad_retention_name_their_field() {
    let msg = refused(json!({"timeZone": "Mars/Olympus_Mons"}));
    assert!(
        msg.starts_with("spec.timeZone:") && msg.contains("Mars/Olympus_Mons"),
        "{msg}"
    );

    let dup = json!({"repeatWeekdays": ["1", "1"], "timePoints": ["9"]});
    let msg = refused(json!({"snapshotSchedule": dup}));
    assert!(
        msg.starts_with("spec.snapshotSchedule:") && msg.contains("more than once"),
        "{msg}"
    );

    let mixed = json!({"repeatOnce": true, "timePoints": ["9"]});
    let msg = refused(json!({"snapshotSchedule": mixed}));
    assert!(msg.contains("repeatOnce cannot be combined"), "{msg}");

    let msg = refused(json!({"retentionDays": 0}));
    assert!(msg.starts_with("spec.retentionDays: 0 is invalid"), "{msg}");
}

#[test]
fn malformed_selectors_are_refused_at_the_selector() {
    let msg = refused(json!({"pvcSelector": {"matchLabels": {"bad key!": "v"}}}));
    assert!(
        msg.starts_with("spec.pvcSelector") && msg.contains("\"bad key!\""),
        "{msg}"
    );

    let msg = refused(json!({"pvcSelector": {"matchLabels": {"app": "v@lue"}}}));
    assert!(
        msg.starts_with("spec.pvcSelector") && msg.contains("\"v@lue\""),
        "{msg}"
    );

    let expr = json!([{"key": "app", "operator": "In", "values": ["bad value!"]}]);
    let msg = refused(json!({"pvcSelector": {"matchExpressions": expr}}));
    assert!(
        msg.starts_with("spec.pvcSelector") && msg.contains("matchExpressions[0]"),
        "{msg}"
    );

    let msg = refused(json!({"pvcSelector": {}}));
    assert!(msg.contains("would select every PVC"), "{msg}");
}

#[test]
fn repeat_once_is_valid_without_a_zone_check() {
    let once = json!({"repeatOnce": true});
    let valid = validate(
        &spec(json!({"snapshotSchedule": once, "timeZone": "Asia/Kolkata"})),
        &shanghai(),
        now(),
    )
    .unwrap();
    assert!(matches!(valid.schedule, ValidSchedule::Once));
}
