//! Inputs that broke other importers: stale bindings after a user delete, deletion-policy
//! flips, and `VolumeSnapshot`s stuck terminating. The snapshot-controller is played by the
//! test (binding UIDs, its finalizers, deleting a `Delete` content).

mod common;

use common::Harness;
use jiff::Timestamp;
use kube::api::{DeleteParams, DynamicObject, Patch, PatchParams, PostParams};
use serde_json::json;

const AS_SOURCE: &str = "snapshot.storage.kubernetes.io/volumesnapshot-as-source-protection";
const BOUND: &str = "snapshot.storage.kubernetes.io/volumesnapshotcontent-bound-protection";

async fn imported() -> Harness {
    let mut h = Harness::start().await;
    h.namespace("shop").await;
    h.bound_pvc("shop", "data-0", "web", "d-1").await;
    h.policy("nightly", "web", &[]).await;
    h.ecs.put("s-1", "d-1", "accomplished", Timestamp::now());
    h.pass(true).await;
    h
}

/// What the snapshot-controller does on binding: the snapshot's UID into the content's ref.
async fn bind(h: &Harness) {
    let vs = h.snapshots("shop").get("s-1").await.unwrap();
    let patch = json!({"spec": {"volumeSnapshotRef": {"uid": vs.metadata.uid}}});
    h.contents()
        .patch("s-1.shop", &PatchParams::default(), &Patch::Merge(&patch))
        .await
        .expect("binding passes the CRD's rules");
}

async fn settle(h: &mut Harness, passes: usize) {
    let before = h.metrics.kube_writes.get();
    for i in 0..passes {
        let report = h.pass(i % 2 == 0).await;
        assert_eq!(report.actions, 0, "pass {i} wanted to write: {report:?}");
    }
    assert_eq!(h.metrics.kube_writes.get(), before);
}

#[tokio::test]
async fn a_stale_binding_after_a_user_delete_causes_no_loop() {
    let mut h = imported().await;
    bind(&h).await;
    h.snapshots("shop")
        .delete("s-1", &DeleteParams::default())
        .await
        .unwrap();

    settle(&mut h, 4).await;
    let content = h.contents().get("s-1.shop").await.unwrap();
    assert!(
        content.data["spec"]["volumeSnapshotRef"]["uid"].is_string(),
        "left as it was"
    );
    assert!(h.managed_snapshots().await.is_empty(), "not imported again");

    h.ecs.remove("s-1");
    h.pass(true).await;
    assert!(
        h.managed_contents().await.is_empty(),
        "the record goes with the snapshot"
    );
}

#[tokio::test]
async fn a_content_flipped_to_delete_and_back_lets_its_snapshot_go() {
    let mut h = imported().await;
    bind(&h).await;
    for policy in ["Delete", "Retain", "Delete"] {
        let patch = json!({"spec": {"deletionPolicy": policy}});
        h.contents()
            .patch("s-1.shop", &PatchParams::default(), &Patch::Merge(&patch))
            .await
            .unwrap();
    }
    h.snapshots("shop")
        .delete("s-1", &DeleteParams::default())
        .await
        .unwrap();
    assert!(
        h.snapshots("shop").get_opt("s-1").await.unwrap().is_none(),
        "deleted at once"
    );

    // The snapshot-controller deletes a Delete content whose snapshot is gone; the CSI driver
    // then deletes the cloud snapshot.
    h.contents()
        .delete("s-1.shop", &DeleteParams::default())
        .await
        .unwrap();
    let held = h.contents().get("s-1.shop").await.unwrap();
    assert!(
        held.metadata.deletion_timestamp.is_some(),
        "kept by the record finalizer"
    );
    settle(&mut h, 3).await;
    assert!(
        h.managed_snapshots().await.is_empty(),
        "not imported again meanwhile"
    );

    h.ecs.remove("s-1");
    h.pass(true).await;
    assert!(h.contents().get_opt("s-1.shop").await.unwrap().is_none());
}

#[tokio::test]
async fn a_snapshot_stuck_terminating_is_waited_for_without_a_hot_loop() {
    let mut h = imported().await;
    let patch = json!({"metadata": {"finalizers": [AS_SOURCE]}});
    h.snapshots("shop")
        .patch("s-1", &PatchParams::default(), &Patch::Merge(&patch))
        .await
        .unwrap();
    h.ecs.remove("s-1");

    let report = h.pass(true).await;
    assert_eq!(report.actions, 1, "one delete");
    for _ in 0..3 {
        let report = h.pass(true).await;
        assert_eq!((report.actions, report.waiting), (0, 1));
    }
    assert!(
        h.contents().get_opt("s-1.shop").await.unwrap().is_some(),
        "kept for the restore"
    );

    let release = json!({"metadata": {"finalizers": null}});
    h.snapshots("shop")
        .patch("s-1", &PatchParams::default(), &Patch::Merge(&release))
        .await
        .unwrap();
    h.pass(true).await;
    assert!(h.managed_contents().await.is_empty());
}

#[tokio::test]
async fn foreign_finalizers_on_the_content_survive_the_release() {
    let mut h = imported().await;
    let content = h.contents().get("s-1.shop").await.unwrap();
    let mut finalizers = content.metadata.finalizers.unwrap();
    finalizers.push(BOUND.to_owned());
    let patch = json!({"metadata": {"finalizers": finalizers}});
    h.contents()
        .patch("s-1.shop", &PatchParams::default(), &Patch::Merge(&patch))
        .await
        .unwrap();
    h.snapshots("shop")
        .delete("s-1", &DeleteParams::default())
        .await
        .unwrap();
    h.ecs.remove("s-1");

    h.pass(true).await;
    let left = h.contents().get("s-1.shop").await.unwrap();
    assert_eq!(left.metadata.finalizers.unwrap(), [BOUND]);
}

#[tokio::test]
async fn the_crds_reject_what_they_must() {
    let h = Harness::start().await;
    let both_handles: DynamicObject = serde_json::from_value(json!({
        "apiVersion": "snapshot.storage.k8s.io/v1",
        "kind": "VolumeSnapshotContent",
        "metadata": {"name": "bad"},
        "spec": {
            "deletionPolicy": "Retain",
            "driver": common::DRIVER,
            "source": {"snapshotHandle": "s-1", "volumeHandle": "d-1"},
            "volumeSnapshotRef": {"name": "s-1", "namespace": "shop"},
        },
    }))
    .unwrap();
    let refused = h
        .contents()
        .create(&PostParams::default(), &both_handles)
        .await;
    assert!(
        refused.is_err(),
        "the harness must validate what the reconciler writes"
    );
}
