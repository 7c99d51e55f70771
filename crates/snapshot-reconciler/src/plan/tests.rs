use std::collections::BTreeSet;

use k8s_openapi::{
    api::core::v1::{
        CSIPersistentVolumeSource, PersistentVolume, PersistentVolumeClaim,
        PersistentVolumeClaimSpec, PersistentVolumeClaimStatus, PersistentVolumeSpec,
    },
    apimachinery::pkg::apis::meta::v1::{ObjectMeta, Time},
};
use snapshot_k8s::vsp::{
    PvcSelector, SnapshotSchedule, VolumeSnapshotPolicy, VolumeSnapshotPolicySpec,
};

use super::*;
use crate::objects::{HeldContent, HeldSnapshot};

fn ownership(namespaces: &[&str]) -> Ownership {
    let spec = VolumeSnapshotPolicySpec {
        pvc_selector: PvcSelector {
            match_labels: Some([("app".to_owned(), "web".to_owned())].into()),
            ..Default::default()
        },
        volume_snapshot_namespaces: Some(namespaces.iter().map(|s| s.to_string()).collect()),
        snapshot_schedule: SnapshotSchedule {
            repeat_weekdays: Some(vec!["1".to_owned()]),
            time_points: Some(vec!["2".to_owned()]),
            ..Default::default()
        },
        ..Default::default()
    };
    let mut policy = VolumeSnapshotPolicy::new("nightly", spec);
    policy.metadata.creation_timestamp = Some(Time("2026-12-01T00:00:00Z".parse().unwrap()));
    let pvc = PersistentVolumeClaim {
        metadata: ObjectMeta {
            namespace: Some("shop".into()),
            name: Some("data-0".into()),
            labels: Some([("app".to_owned(), "web".to_owned())].into()),
            ..Default::default()
        },
        spec: Some(PersistentVolumeClaimSpec {
            volume_name: Some("pv-1".into()),
            ..Default::default()
        }),
        status: Some(PersistentVolumeClaimStatus {
            phase: Some("Bound".into()),
            ..Default::default()
        }),
    };
    let pv = PersistentVolume {
        metadata: ObjectMeta {
            name: Some("pv-1".into()),
            ..Default::default()
        },
        spec: Some(PersistentVolumeSpec {
            csi: Some(CSIPersistentVolumeSource {
                driver: "diskplugin.csi.alibabacloud.com".into(),
                volume_handle: "d-1".into(),
                ..Default::default()
            }),
            ..Default::default()
        }),
        status: None,
    };
    let drivers = ["diskplugin.csi.alibabacloud.com".to_owned()];
    Ownership::build(vec![policy], &[pvc], &[pv], &drivers)
}

fn snap(id: &str, status: &str) -> EcsSnapshot {
    EcsSnapshot {
        snapshot_id: id.into(),
        disk_id: "d-1".into(),
        status: status.into(),
        snapshot_type: "auto".into(),
        created_at: "2026-12-02T00:00:00Z".parse().unwrap(),
    }
}

fn held(id: &str, ns: &str, vs: Option<bool>, vsc: Option<bool>) -> HeldCopies {
    let copy = Held {
        snapshot: vs.map(|terminating| HeldSnapshot { terminating }),
        content: vsc.map(|terminating| HeldContent {
            name: format!("{id}.{ns}"),
            terminating,
            finalized: true,
        }),
    };
    [((id.to_owned(), ns.to_owned()), copy)].into()
}

fn imports(plan: &Plan) -> Vec<(String, bool)> {
    plan.actions
        .iter()
        .filter_map(|a| match a {
            Action::Import {
                copy,
                with_snapshot,
                ..
            } => Some((copy.namespace.clone(), *with_snapshot)),
            _ => None,
        })
        .collect()
}

const CLASS: &str = "default-snapclass";

#[test]
fn an_accomplished_snapshot_is_imported_into_every_target_namespace() {
    let own = ownership(&["a", "b"]);
    let plan = plan(
        &[snap("s-1", "accomplished")],
        &BTreeSet::new(),
        &own,
        &held("x", "y", None, None),
        CLASS,
    );
    assert_eq!(imports(&plan), [("a".into(), true), ("b".into(), true)]);
}

#[test]
fn a_progressing_snapshot_waits_until_ecs_finishes_it() {
    let own = ownership(&[]);
    let empty = HeldCopies::new();
    let waiting = plan(
        &[snap("s-1", "progressing")],
        &BTreeSet::new(),
        &own,
        &empty,
        CLASS,
    );
    assert!(waiting.actions.is_empty());
    let done = plan(
        &[snap("s-1", "accomplished")],
        &BTreeSet::new(),
        &own,
        &empty,
        CLASS,
    );
    assert_eq!(imports(&done), [("shop".into(), true)]);
}

#[test]
fn an_interrupted_import_gets_its_content() {
    let own = ownership(&[]);
    let copies = held("s-1", "shop", Some(false), None);
    let plan = plan(
        &[snap("s-1", "accomplished")],
        &BTreeSet::new(),
        &own,
        &copies,
        CLASS,
    );
    assert_eq!(imports(&plan), [("shop".into(), false)]);
}

#[test]
fn a_copy_the_user_deleted_is_not_imported_again() {
    let own = ownership(&[]);
    for content_terminating in [false, true] {
        let copies = held("s-1", "shop", None, Some(content_terminating));
        let plan = plan(
            &[snap("s-1", "accomplished")],
            &BTreeSet::new(),
            &own,
            &copies,
            CLASS,
        );
        assert!(plan.actions.is_empty());
        assert_eq!(plan.dismissed, 1);
    }
}

#[test]
fn a_gone_snapshot_loses_its_snapshot_then_its_content() {
    let own = ownership(&[]);
    let gone: BTreeSet<String> = ["s-1".to_owned()].into();
    let first = plan(
        &[],
        &gone,
        &own,
        &held("s-1", "shop", Some(false), Some(false)),
        CLASS,
    );
    assert!(
        matches!(&first.actions[..], [Action::DeleteSnapshot { namespace, .. }] if namespace == "shop")
    );

    let second = plan(
        &[],
        &gone,
        &own,
        &held("s-1", "shop", None, Some(false)),
        CLASS,
    );
    assert!(matches!(
        &second.actions[..],
        [Action::RemoveContent {
            deleting: false,
            finalized: true,
            ..
        }]
    ));
}

#[test]
fn a_terminating_snapshot_is_waited_for_without_new_writes() {
    let own = ownership(&[]);
    let gone: BTreeSet<String> = ["s-1".to_owned()].into();
    for _ in 0..3 {
        let plan = plan(
            &[],
            &gone,
            &own,
            &held("s-1", "shop", Some(true), Some(false)),
            CLASS,
        );
        assert!(plan.actions.is_empty());
        assert_eq!(plan.waiting, 1);
    }
}

#[test]
fn a_content_already_deleting_is_only_released() {
    let own = ownership(&[]);
    let gone: BTreeSet<String> = ["s-1".to_owned()].into();
    let plan = plan(
        &[],
        &gone,
        &own,
        &held("s-1", "shop", None, Some(true)),
        CLASS,
    );
    assert!(matches!(
        &plan.actions[..],
        [Action::RemoveContent {
            deleting: true,
            finalized: true,
            ..
        }]
    ));
}
