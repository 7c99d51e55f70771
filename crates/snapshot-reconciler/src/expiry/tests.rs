use k8s_openapi::apimachinery::pkg::apis::meta::v1::Time;
use snapshot_k8s::vsp::{
    PvcSelector, SnapshotSchedule, VolumeSnapshotPolicy, VolumeSnapshotPolicySpec,
};

use super::*;
use crate::objects::{Held, HeldContent, HeldOrigin};

fn ownership(retention_days: i32) -> Ownership {
    let spec = VolumeSnapshotPolicySpec {
        pvc_selector: PvcSelector::default(),
        retention_days: Some(retention_days),
        snapshot_schedule: SnapshotSchedule {
            repeat_weekdays: Some(vec!["1".to_owned()]),
            time_points: Some(vec!["2".to_owned()]),
            ..Default::default()
        },
        ..Default::default()
    };
    let mut policy = VolumeSnapshotPolicy::new("nightly", spec);
    policy.metadata.creation_timestamp = Some(Time("2026-11-01T00:00:00Z".parse().unwrap()));
    Ownership::build(vec![policy], [], [], &[], crate::ownership::test_validity())
}

fn copy(id: &str, created: &str, terminating: bool) -> ((String, String), Held) {
    let held = Held {
        snapshot: None,
        content: Some(HeldContent {
            name: format!("{id}.shop"),
            terminating,
            finalized: true,
            deletion_policy: None,
        }),
        origin: Some(HeldOrigin {
            created: created.parse().unwrap(),
            policy: "nightly".to_owned(),
        }),
    };
    ((id.to_owned(), "shop".to_owned()), held)
}

fn now() -> Timestamp {
    "2026-12-01T00:00:00Z".parse().unwrap()
}

#[test]
fn snapshots_past_their_retention_are_suspects_and_younger_ones_are_not() {
    let held: HeldCopies = [
        copy("s-expired", "2026-11-20T00:00:00Z", false),
        copy("s-young", "2026-11-28T00:00:00Z", false),
    ]
    .into();
    let suspects = suspects(&held, &ownership(7), now());
    assert_eq!(suspects, ["s-expired".to_owned()].into());
}

#[test]
fn kept_forever_is_never_due_but_a_content_being_deleted_always_is() {
    let held: HeldCopies = [
        copy("s-forever", "2020-01-01T00:00:00Z", false),
        copy("s-deleting", "2026-11-30T00:00:00Z", true),
    ]
    .into();
    let suspects = suspects(&held, &ownership(-1), now());
    assert_eq!(suspects, ["s-deleting".to_owned()].into());
}

#[test]
fn at_most_the_oldest_suspects_are_asked_for() {
    let held: HeldCopies = (0..MAX_SUSPECTS + 10)
        .map(|i| {
            let created = now() - SignedDuration::from_hours(24 * 30 + i as i64);
            copy(&format!("s-{i:04}"), &created.to_string(), false)
        })
        .collect();
    let suspects = suspects(&held, &ownership(7), now());
    assert_eq!(suspects.len(), MAX_SUSPECTS);
    assert!(
        suspects.contains(&format!("s-{:04}", MAX_SUSPECTS + 9)),
        "the oldest"
    );
    assert!(
        !suspects.contains("s-0000"),
        "the youngest is left for the next pass"
    );
}
