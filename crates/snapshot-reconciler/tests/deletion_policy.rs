//! Which copies may delete the cloud snapshot: a snapshot's only copy follows its
//! VolumeSnapshotClass, several copies are all `Retain`, and edits of the policy's namespaces
//! patch the contents that exist. The snapshot-controller and CSI driver are played by the
//! test where they act (deleting a `Delete` content, then the ECS snapshot).

mod common;

use common::{CLASS, DRIVER, Harness};
use jiff::Timestamp;
use k8s_openapi::apiextensions_apiserver::pkg::apis::apiextensions::v1::CustomResourceDefinition;
use kube::{
    Api,
    api::{DeleteParams, DynamicObject, Patch, PatchParams, PostParams},
};
use serde_json::json;
use snapshot_reconciler::deletion::class_resource;

const CLASS_CRD: &str = concat!(
    env!("CARGO_MANIFEST_DIR"),
    "/../../integration-tests/fixtures/crds/snapshot.storage.k8s.io_volumesnapshotclasses.yaml"
);

/// The upstream VolumeSnapshotClass CRD and, when `policy` is given, the configured class.
async fn class(h: &Harness, policy: Option<&str>) {
    let text = std::fs::read_to_string(CLASS_CRD).expect("class CRD file");
    let crd: CustomResourceDefinition = serde_saphyr::from_str(&text).expect("class CRD parses");
    let crds: Api<CustomResourceDefinition> = Api::all(h.client.clone());
    crds.create(&PostParams::default(), &crd)
        .await
        .expect("class CRD installed");
    let Some(policy) = policy else {
        return;
    };
    let object: DynamicObject = serde_json::from_value(json!({
        "apiVersion": "snapshot.storage.k8s.io/v1",
        "kind": "VolumeSnapshotClass",
        "metadata": {"name": CLASS},
        "driver": DRIVER,
        "deletionPolicy": policy,
    }))
    .unwrap();
    Api::<DynamicObject>::all_with(h.client.clone(), &class_resource())
        .create(&PostParams::default(), &object)
        .await
        .expect("class created");
}

/// PVC `shop/data-0` on disk `d-1`, policy `nightly` importing into `namespaces`, snapshot
/// `s-1` in ECS, a class saying `class_policy`, and one full pass.
async fn imported(namespaces: &[&str], class_policy: Option<&str>) -> Harness {
    let mut h = Harness::start().await;
    class(&h, class_policy).await;
    for ns in ["shop", "a", "b"] {
        h.namespace(ns).await;
    }
    h.bound_pvc("shop", "data-0", "web", "d-1").await;
    h.policy("nightly", "web", namespaces).await;
    h.ecs.put("s-1", "d-1", "accomplished", Timestamp::now());
    h.pass(true).await;
    h
}

async fn policy_of(h: &Harness, content: &str) -> String {
    let content = h.contents().get(content).await.unwrap();
    content.data["spec"]["deletionPolicy"]
        .as_str()
        .unwrap()
        .to_owned()
}

async fn edit_namespaces(h: &Harness, namespaces: &[&str]) {
    let patch = json!({"spec": {"volumeSnapshotNamespaces": namespaces}});
    h.policies()
        .patch("nightly", &PatchParams::default(), &Patch::Merge(&patch))
        .await
        .expect("policy edited");
}

#[tokio::test]
async fn a_single_copy_follows_a_delete_class() {
    let h = imported(&[], Some("Delete")).await;
    assert_eq!(policy_of(&h, "s-1.shop").await, "Delete");
}

#[tokio::test]
async fn a_single_copy_follows_a_retain_class() {
    let h = imported(&[], Some("Retain")).await;
    assert_eq!(policy_of(&h, "s-1.shop").await, "Retain");
}

#[tokio::test]
async fn a_missing_class_falls_back_to_the_flag_default() {
    let h = imported(&[], None).await;
    assert_eq!(policy_of(&h, "s-1.shop").await, "Delete");
}

#[tokio::test]
async fn copies_in_several_namespaces_are_all_retained() {
    let h = imported(&["a", "b"], Some("Delete")).await;
    assert_eq!(policy_of(&h, "s-1.a").await, "Retain");
    assert_eq!(policy_of(&h, "s-1.b").await, "Retain");
}

#[tokio::test]
async fn one_namespace_becoming_two_retains_the_existing_copy() {
    let mut h = imported(&["a"], Some("Delete")).await;
    assert_eq!(policy_of(&h, "s-1.a").await, "Delete");

    edit_namespaces(&h, &["a", "b"]).await;
    let report = h.pass(true).await;
    assert_eq!(report.actions, 2, "one patch, one import: {report:?}");
    assert_eq!(policy_of(&h, "s-1.a").await, "Retain");
    assert_eq!(policy_of(&h, "s-1.b").await, "Retain");

    let settled = h.pass(true).await;
    assert_eq!(settled.actions, 0, "{settled:?}");
}

#[tokio::test]
async fn two_namespaces_becoming_one_allow_delete_once_the_other_copy_is_gone() {
    let mut h = imported(&["a", "b"], Some("Delete")).await;
    edit_namespaces(&h, &["a"]).await;
    h.pass(true).await;
    assert_eq!(
        policy_of(&h, "s-1.a").await,
        "Retain",
        "b still holds a copy of the snapshot"
    );

    h.snapshots("b")
        .delete("s-1", &DeleteParams::default())
        .await
        .unwrap();
    h.pass(true).await;
    assert_eq!(policy_of(&h, "s-1.a").await, "Delete");
    assert_eq!(
        policy_of(&h, "s-1.b").await,
        "Retain",
        "the record of b's deleted copy is never patched"
    );
    assert_eq!(h.managed_snapshots().await, ["a/s-1"]);
}

#[tokio::test]
async fn deleting_the_only_copy_leaves_the_content_to_the_snapshotter_and_is_obeyed() {
    let mut h = imported(&[], Some("Delete")).await;
    h.snapshots("shop")
        .delete("s-1", &DeleteParams::default())
        .await
        .unwrap();
    for full in [true, false, true] {
        let report = h.pass(full).await;
        assert_eq!((report.actions, report.dismissed), (0, 1), "{report:?}");
    }
    let content = h.contents().get("s-1.shop").await.unwrap();
    assert!(
        content.metadata.deletion_timestamp.is_none(),
        "not ours to delete"
    );
    assert_eq!(content.data["spec"]["deletionPolicy"], "Delete");

    // The snapshot-controller deletes the Delete content; the CSI driver deletes the cloud
    // snapshot. The record finalizer holds the content until ECS confirms.
    h.contents()
        .delete("s-1.shop", &DeleteParams::default())
        .await
        .unwrap();
    h.ecs.remove("s-1");
    let report = h.pass(false).await;
    assert_eq!(
        report.ecs_calls, 2,
        "new snapshots, then the deleting copy by ID"
    );
    assert!(
        h.contents().get_opt("s-1.shop").await.unwrap().is_none(),
        "released by an incremental pass, not only the next full one"
    );
    for full in [false, true] {
        h.pass(full).await;
    }
    assert!(
        h.managed_snapshots().await.is_empty(),
        "never imported again"
    );
    assert!(h.managed_contents().await.is_empty());
}
