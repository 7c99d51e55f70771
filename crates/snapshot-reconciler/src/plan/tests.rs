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
use snapshot_k8s::upstream::DeletionPolicy;

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
    Ownership::build(
        vec![policy],
        &[pvc],
        &[pv],
        &drivers,
        crate::ownership::test_validity(),
    )
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
            deletion_policy: Some(DeletionPolicy::Retain),
        }),
        origin: None,
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

fn rules() -> Rules {
    Rules {
        class: "default-snapclass".to_owned(),
        single_copy: DeletionPolicy::Delete,
    }
}

#[test]
fn an_accomplished_snapshot_is_imported_into_every_target_namespace() {
    let own = ownership(&["a", "b"]);
    let plan = plan(
        &[snap("s-1", "accomplished")],
        &BTreeSet::new(),
        &own,
        &held("x", "y", None, None),
        &rules(),
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
        &rules(),
    );
    assert!(waiting.actions.is_empty());
    let done = plan(
        &[snap("s-1", "accomplished")],
        &BTreeSet::new(),
        &own,
        &empty,
        &rules(),
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
        &rules(),
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
            &rules(),
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
        &rules(),
    );
    let [Action::DeleteSnapshot { namespace, .. }] = &first.actions[..] else {
        panic!("expected one DeleteSnapshot, got {:?}", first.actions);
    };
    assert_eq!(namespace, "shop");

    let second = plan(
        &[],
        &gone,
        &own,
        &held("s-1", "shop", None, Some(false)),
        &rules(),
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
            &rules(),
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
        &rules(),
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

fn live(ns: &str, policy: DeletionPolicy) -> ((String, String), Held) {
    let copy = Held {
        snapshot: Some(HeldSnapshot { terminating: false }),
        content: Some(HeldContent {
            name: format!("s-1.{ns}"),
            terminating: false,
            finalized: true,
            deletion_policy: Some(policy),
        }),
        origin: None,
    };
    (("s-1".to_owned(), ns.to_owned()), copy)
}

fn import_policies(plan: &Plan) -> Vec<(String, DeletionPolicy)> {
    plan.actions
        .iter()
        .filter_map(|a| match a {
            Action::Import { copy, .. } => Some((copy.namespace.clone(), copy.deletion_policy)),
            _ => None,
        })
        .collect()
}

fn patches(plan: &Plan) -> Vec<(String, DeletionPolicy)> {
    plan.actions
        .iter()
        .filter_map(|a| match a {
            Action::SetDeletionPolicy {
                content, policy, ..
            } => Some((content.clone(), *policy)),
            _ => None,
        })
        .collect()
}

fn plan_s1(namespaces: &[&str], copies: HeldCopies, single_copy: DeletionPolicy) -> Plan {
    let rules = Rules {
        single_copy,
        ..rules()
    };
    plan(
        &[snap("s-1", "accomplished")],
        &BTreeSet::new(),
        &ownership(namespaces),
        &copies,
        &rules,
    )
}

#[test]
fn a_single_copy_gets_the_class_policy_and_several_copies_are_retained() {
    let one = plan_s1(&["a"], HeldCopies::new(), DeletionPolicy::Delete);
    assert_eq!(
        import_policies(&one),
        [("a".into(), DeletionPolicy::Delete)]
    );

    let class_retains = plan_s1(&["a"], HeldCopies::new(), DeletionPolicy::Retain);
    assert_eq!(
        import_policies(&class_retains),
        [("a".into(), DeletionPolicy::Retain)]
    );

    let two = plan_s1(&["a", "b"], HeldCopies::new(), DeletionPolicy::Delete);
    assert_eq!(
        import_policies(&two),
        [
            ("a".into(), DeletionPolicy::Retain),
            ("b".into(), DeletionPolicy::Retain)
        ]
    );
}

#[test]
fn a_second_namespace_makes_the_first_copy_retain_before_the_import() {
    let copies: HeldCopies = [live("a", DeletionPolicy::Delete)].into();
    let plan = plan_s1(&["a", "b"], copies, DeletionPolicy::Delete);

    assert_eq!(patches(&plan), [("s-1.a".into(), DeletionPolicy::Retain)]);
    assert!(plan.actions[0].protects(), "the patch comes first");
    assert_eq!(
        import_policies(&plan),
        [("b".into(), DeletionPolicy::Retain)]
    );
}

#[test]
fn a_namespace_dropped_from_the_policy_still_counts_while_it_holds_a_copy() {
    let both: HeldCopies = [
        live("a", DeletionPolicy::Retain),
        live("b", DeletionPolicy::Retain),
    ]
    .into();
    let still_two = plan_s1(&["a"], both, DeletionPolicy::Delete);
    assert!(still_two.actions.is_empty(), "{:?}", still_two.actions);

    let mut b_deleted: HeldCopies = [live("a", DeletionPolicy::Retain)].into();
    b_deleted.extend(held("s-1", "b", None, Some(false)));
    let alone = plan_s1(&["a"], b_deleted, DeletionPolicy::Delete);
    assert_eq!(patches(&alone), [("s-1.a".into(), DeletionPolicy::Delete)]);
}

#[test]
fn a_copy_the_user_deleted_no_longer_counts_and_its_record_is_never_patched() {
    let mut copies: HeldCopies = [live("a", DeletionPolicy::Retain)].into();
    copies.extend(held("s-1", "b", None, Some(false)));
    let plan = plan_s1(&["a", "b"], copies, DeletionPolicy::Delete);

    assert_eq!(patches(&plan), [("s-1.a".into(), DeletionPolicy::Delete)]);
    assert_eq!(plan.dismissed, 1);
}

#[test]
fn a_terminating_copy_is_only_ever_made_retain() {
    let mut terminating = live("a", DeletionPolicy::Retain);
    terminating.1.snapshot = Some(HeldSnapshot { terminating: true });
    let to_delete = plan_s1(&["a"], [terminating.clone()].into(), DeletionPolicy::Delete);
    assert!(patches(&to_delete).is_empty());

    terminating.1.content.as_mut().unwrap().deletion_policy = Some(DeletionPolicy::Delete);
    let copies: HeldCopies = [terminating].into();
    let to_retain = plan_s1(&["a", "b"], copies, DeletionPolicy::Delete);
    assert_eq!(
        patches(&to_retain),
        [("s-1.a".into(), DeletionPolicy::Retain)]
    );
}

#[test]
fn a_settled_copy_needs_no_patch() {
    let copies: HeldCopies = [live("a", DeletionPolicy::Delete)].into();
    assert!(
        plan_s1(&["a"], copies, DeletionPolicy::Delete)
            .actions
            .is_empty()
    );
}
