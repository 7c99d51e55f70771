use k8s_openapi::{
    api::core::v1::{
        CSIPersistentVolumeSource, PersistentVolume, PersistentVolumeClaim,
        PersistentVolumeClaimSpec, PersistentVolumeClaimStatus, PersistentVolumeSpec,
    },
    apimachinery::pkg::apis::meta::v1::{ObjectMeta, Time},
};
use snapshot_k8s::vsp::{
    PvcSelector, RepeatOnceSnapshot, RepeatOnceSnapshotState, RepeatOnceStatus, SnapshotSchedule,
    VolumeSnapshotPolicySpec, VolumeSnapshotPolicyStatus,
};

use super::*;

const DRIVER: &str = "diskplugin.csi.alibabacloud.com";

fn drivers() -> Vec<String> {
    vec![DRIVER.to_owned()]
}

fn policy(name: &str, created: &str, app: &str) -> VolumeSnapshotPolicy {
    let spec = VolumeSnapshotPolicySpec {
        pvc_selector: PvcSelector {
            match_labels: Some([("app".to_owned(), app.to_owned())].into()),
            ..Default::default()
        },
        snapshot_schedule: SnapshotSchedule {
            repeat_weekdays: Some(vec!["1".to_owned()]),
            time_points: Some(vec!["2".to_owned()]),
            ..Default::default()
        },
        ..Default::default()
    };
    let mut policy = VolumeSnapshotPolicy::new(name, spec);
    policy.metadata.uid = Some(format!("uid-{name}"));
    policy.metadata.creation_timestamp = Some(Time(created.parse().unwrap()));
    policy
}

fn namespaces(names: &[&str]) -> Option<Vec<String>> {
    Some(names.iter().map(|n| (*n).to_owned()).collect())
}

fn pvc(ns: &str, name: &str, app: &str, volume: &str) -> PersistentVolumeClaim {
    PersistentVolumeClaim {
        metadata: ObjectMeta {
            namespace: Some(ns.to_owned()),
            name: Some(name.to_owned()),
            labels: Some([("app".to_owned(), app.to_owned())].into()),
            ..Default::default()
        },
        spec: Some(PersistentVolumeClaimSpec {
            volume_name: Some(volume.to_owned()),
            ..Default::default()
        }),
        status: Some(PersistentVolumeClaimStatus {
            phase: Some("Bound".to_owned()),
            ..Default::default()
        }),
    }
}

fn pv(name: &str, driver: &str, disk: &str) -> PersistentVolume {
    PersistentVolume {
        metadata: ObjectMeta {
            name: Some(name.to_owned()),
            ..Default::default()
        },
        spec: Some(PersistentVolumeSpec {
            csi: Some(CSIPersistentVolumeSource {
                driver: driver.to_owned(),
                volume_handle: disk.to_owned(),
                ..Default::default()
            }),
            ..Default::default()
        }),
        status: None,
    }
}

fn snap(id: &str, disk: &str, kind: &str, at: &str) -> EcsSnapshot {
    EcsSnapshot {
        snapshot_id: id.to_owned(),
        disk_id: disk.to_owned(),
        status: "accomplished".to_owned(),
        snapshot_type: kind.to_owned(),
        created_at: at.parse().unwrap(),
    }
}

#[test]
fn auto_snapshots_of_a_selected_disk_go_to_the_pvc_namespace() {
    let ownership = Ownership::build(
        vec![policy("nightly", "2026-12-01T00:00:00Z", "web")],
        &[pvc("shop", "data-0", "web", "pv-1")],
        &[pv("pv-1", DRIVER, "d-1")],
        &drivers(),
        test_validity(),
    );
    let owner = ownership.owner_of(&snap("s-1", "d-1", "auto", "2026-12-02T00:00:00Z"));
    let owner = owner.unwrap();
    assert_eq!(owner.policy, "nightly");
    assert_eq!(owner.namespaces, ["shop"]);
    assert_eq!(owner.pvc, Some(("shop".to_owned(), "data-0".to_owned())));
    assert_eq!(owner.driver, DRIVER);

    let manual = snap("s-2", "d-1", "user", "2026-12-02T00:00:00Z");
    assert_eq!(
        ownership.owner_of(&manual),
        None,
        "user snapshots are not a schedule's"
    );
    let older = snap("s-3", "d-1", "auto", "2026-11-30T00:00:00Z");
    assert_eq!(ownership.owner_of(&older), None, "predates the policy");
}

#[test]
fn unmanaged_and_unselected_disks_have_no_owner() {
    let ownership = Ownership::build(
        vec![policy("nightly", "2026-12-01T00:00:00Z", "web")],
        &[
            pvc("shop", "a", "web", "pv-nfs"),
            pvc("shop", "b", "db", "pv-2"),
        ],
        &[
            pv("pv-nfs", "nfs.csi.k8s.io", "d-nfs"),
            pv("pv-2", DRIVER, "d-2"),
        ],
        &drivers(),
        test_validity(),
    );
    let at = "2026-12-02T00:00:00Z";
    assert_eq!(ownership.owner_of(&snap("s-1", "d-nfs", "auto", at)), None);
    assert_eq!(ownership.owner_of(&snap("s-2", "d-2", "auto", at)), None);
}

#[test]
fn overlapping_policies_give_the_disk_to_the_oldest() {
    let mut newer = policy("b-newer", "2026-12-01T05:00:00Z", "web");
    newer.spec.volume_snapshot_namespaces = namespaces(&["backup"]);
    let ownership = Ownership::build(
        vec![newer, policy("a-older", "2026-12-01T00:00:00Z", "web")],
        &[pvc("shop", "data-0", "web", "pv-1")],
        &[pv("pv-1", DRIVER, "d-1")],
        &drivers(),
        test_validity(),
    );
    let owner = ownership.owner_of(&snap("s-1", "d-1", "auto", "2026-12-02T00:00:00Z"));
    assert_eq!(owner.unwrap().policy, "a-older");
}

#[test]
fn an_invalid_older_policy_owns_no_disk_like_in_pvc_reconciler() {
    let mut kolkata = policy("a-kolkata", "2026-12-01T00:00:00Z", "web");
    kolkata.spec.time_zone = Some("Asia/Kolkata".to_owned());
    let mut split = policy("a-split", "2026-12-01T00:00:00Z", "web");
    split.spec.time_zone = Some("UTC".to_owned());
    split.spec.snapshot_schedule.time_points = Some(vec!["3".to_owned(), "20".to_owned()]);

    for invalid in [kolkata, split] {
        let ownership = Ownership::build(
            vec![invalid, policy("b-valid", "2026-12-01T05:00:00Z", "web")],
            &[pvc("shop", "data-0", "web", "pv-1")],
            &[pv("pv-1", DRIVER, "d-1")],
            &drivers(),
            test_validity(),
        );
        let owner = ownership.owner_of(&snap("s-1", "d-1", "auto", "2026-12-02T00:00:00Z"));
        assert_eq!(owner.unwrap().policy, "b-valid");
    }
}

#[test]
fn repeat_once_snapshots_are_found_by_the_ids_in_status() {
    let mut once = policy("adhoc", "2026-12-01T00:00:00Z", "web");
    once.spec.snapshot_schedule = SnapshotSchedule {
        repeat_once: Some(true),
        ..Default::default()
    };
    once.spec.volume_snapshot_namespaces = namespaces(&["qa", "dev"]);
    let recorded = |id: Option<&str>, disk: &str| RepeatOnceSnapshot {
        disk_id: disk.to_owned(),
        pvc: Some("shop/data-0".to_owned()),
        snapshot_id: id.map(str::to_owned),
        state: RepeatOnceSnapshotState::Accomplished,
        ..Default::default()
    };
    once.status = Some(VolumeSnapshotPolicyStatus {
        repeat_once: Some(RepeatOnceStatus {
            generation: 1,
            snapshots: vec![
                recorded(Some("s-once"), "d-gone"),
                recorded(None, "d-pending"),
            ],
            finished: false,
            finish_time: None,
        }),
        ..Default::default()
    });
    let ownership = Ownership::build(vec![once], &[], &[], &drivers(), test_validity());
    let owner = ownership
        .owner_of(&snap("s-once", "d-gone", "user", "2026-12-02T00:00:00Z"))
        .unwrap();
    assert_eq!(owner.policy, "adhoc");
    assert_eq!(owner.namespaces, ["qa", "dev"]);
    assert_eq!(
        owner.driver, DRIVER,
        "the first configured driver when the disk is unbound"
    );
}

#[test]
fn a_deleting_policy_owns_nothing() {
    let mut gone = policy("nightly", "2026-12-01T00:00:00Z", "web");
    gone.metadata.deletion_timestamp = gone.metadata.creation_timestamp.clone();
    let ownership = Ownership::build(
        vec![gone],
        &[pvc("shop", "data-0", "web", "pv-1")],
        &[pv("pv-1", DRIVER, "d-1")],
        &drivers(),
        test_validity(),
    );
    let at = "2026-12-02T00:00:00Z";
    assert_eq!(ownership.owner_of(&snap("s-1", "d-1", "auto", at)), None);
}
