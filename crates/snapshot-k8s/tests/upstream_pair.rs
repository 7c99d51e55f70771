//! The pre-provisioned pair the snapshot-reconciler writes passes the upstream snapshot CRDs
//! (schema and CEL rules, copies in `integration-tests/fixtures/crds/`), and so does the
//! walkthrough's snapshot class.

mod support;

use serde_json::Value;
use snapshot_domain::imported::{LABEL_PVC_NAME, SnapshotOrigin};
use snapshot_k8s::upstream::{
    DeletionPolicy, ImportSettings, VolumeSnapshotClass, pre_provisioned_pair,
};
use support::{CrdJudge, read_yaml, repo_root};

fn upstream(kind: &str) -> CrdJudge {
    let file = format!("integration-tests/fixtures/crds/snapshot.storage.k8s.io_{kind}.yaml");
    CrdJudge::new(&read_yaml(&repo_root().join(file)))
}

fn settings() -> ImportSettings {
    ImportSettings {
        driver: "diskplugin.csi.alibabacloud.com".into(),
        snapshot_class: "default-snapclass".into(),
        deletion_policy: DeletionPolicy::Retain,
    }
}

#[test]
fn imported_pair_passes_upstream_validation_and_references_itself() {
    let created = "2026-12-03T02:00:07Z".parse().unwrap();
    let origin = SnapshotOrigin::new("s-uf6221abc", "d-bp1xyz", created)
        .unwrap()
        .with_source_pvc("shop", "data-web-0")
        .unwrap()
        .with_policy("nightly")
        .unwrap();
    let (content, snapshot) = pre_provisioned_pair(&origin, "team-a", &settings()).unwrap();

    let content_json = serde_json::to_value(&content).unwrap();
    let snapshot_json = serde_json::to_value(&snapshot).unwrap();
    assert_eq!(
        upstream("volumesnapshotcontents").judge(&content_json),
        Vec::<String>::new()
    );
    assert_eq!(
        upstream("volumesnapshots").judge(&snapshot_json),
        Vec::<String>::new()
    );

    assert_eq!(content_json["metadata"]["name"], "s-uf6221abc.team-a");
    assert_eq!(
        content_json["spec"]["source"]["snapshotHandle"],
        "s-uf6221abc"
    );
    assert_eq!(content_json["spec"]["deletionPolicy"], "Retain");
    assert_eq!(
        content_json["spec"]["volumeSnapshotRef"]["name"],
        "s-uf6221abc"
    );
    assert_eq!(
        content_json["spec"]["volumeSnapshotRef"]["namespace"],
        "team-a"
    );
    assert_eq!(snapshot_json["metadata"]["namespace"], "team-a");
    assert_eq!(
        snapshot_json["spec"]["source"]["volumeSnapshotContentName"],
        "s-uf6221abc.team-a"
    );
    assert_eq!(
        snapshot_json["spec"]["volumeSnapshotClassName"],
        "default-snapclass"
    );
    assert_eq!(
        snapshot_json["metadata"]["labels"][LABEL_PVC_NAME],
        "data-web-0"
    );
    assert!(
        snapshot_json.get("status").is_none_or(Value::is_null),
        "status is the controller's"
    );
}

#[test]
fn a_content_with_both_sources_is_rejected_by_the_upstream_rules() {
    let created = "2026-12-03T02:00:07Z".parse().unwrap();
    let origin = SnapshotOrigin::new("s-1", "d-1", created).unwrap();
    let (mut content, _) = pre_provisioned_pair(&origin, "default", &settings()).unwrap();
    content.spec.source.volume_handle = Some("d-1".into());
    let problems =
        upstream("volumesnapshotcontents").judge(&serde_json::to_value(&content).unwrap());
    assert!(
        problems
            .iter()
            .any(|p| p.contains("exactly one of volumeHandle and snapshotHandle")),
        "{problems:#?}"
    );

    assert!(pre_provisioned_pair(&origin, "Not_A_Namespace", &settings()).is_err());
}

#[test]
fn walkthrough_snapshot_class_matches_upstream_and_our_type() {
    let path =
        repo_root().join("integration-tests/fixtures/walkthrough/volume-snapshot-class.yaml");
    let object = read_yaml(&path);
    assert_eq!(
        upstream("volumesnapshotclasses").judge(&object),
        Vec::<String>::new()
    );
    let class: VolumeSnapshotClass = serde_json::from_value(object.clone()).unwrap();
    assert_eq!(class.spec.driver, "diskplugin.csi.alibabacloud.com");
    assert_eq!(class.spec.deletion_policy, DeletionPolicy::Delete);
    assert_eq!(
        serde_json::to_value(&class).unwrap(),
        object,
        "round-trips unchanged"
    );
}
