//! The reconciler against kube-sim (with the upstream snapshot CRDs, so every object it writes
//! passes their schema and CEL rules) and an in-memory ECS region.

mod common;

use common::{CLASS, DRIVER, Harness};
use jiff::{SignedDuration, Timestamp};
use kube::api::{DeleteParams, Patch, PatchParams, PostParams};
use serde_json::json;
use snapshot_domain::imported::{selector_for_policy, selector_for_pvc};

fn at(minutes_ago: i64) -> Timestamp {
    Timestamp::now() - SignedDuration::from_mins(minutes_ago)
}

/// One namespace `shop`, one PVC `data-0` on disk `d-1`, one policy `nightly` created now.
async fn shop() -> Harness {
    let h = Harness::start().await;
    h.namespace("shop").await;
    h.bound_pvc("shop", "data-0", "web", "d-1").await;
    h.policy("nightly", "web", &[]).await;
    h
}

#[tokio::test]
async fn a_finished_snapshot_becomes_a_bound_pair() {
    let mut h = shop().await;
    h.pass(true).await;
    h.ecs.put("s-1", "d-1", "accomplished", Timestamp::now());
    let report = h.pass(false).await;
    assert_eq!(report.actions, 1);

    let vs = h.snapshots("shop").get("s-1").await.unwrap();
    assert_eq!(
        vs.data["spec"]["source"]["volumeSnapshotContentName"],
        "s-1.shop"
    );
    assert_eq!(vs.data["spec"]["volumeSnapshotClassName"], CLASS);
    let content = h.contents().get("s-1.shop").await.unwrap();
    let spec = &content.data["spec"];
    assert_eq!(spec["source"]["snapshotHandle"], "s-1");
    assert_eq!(spec["driver"], DRIVER);
    assert_eq!(
        spec["deletionPolicy"], "Delete",
        "one copy, no class in this cluster: --default-deletion-policy"
    );
    assert_eq!(spec["volumeSnapshotRef"]["name"], "s-1");
    assert_eq!(spec["volumeSnapshotRef"]["namespace"], "shop");
    assert_eq!(h.metrics.imported.get(), 1);
}

#[tokio::test]
async fn label_selectors_find_the_snapshots_of_a_pvc_and_of_a_policy() {
    let mut h = shop().await;
    h.ecs.put("s-1", "d-1", "accomplished", Timestamp::now());
    h.pass(true).await;

    let api = h.snapshots("shop");
    let by_pvc = kube::api::ListParams::default().labels(&selector_for_pvc("shop", "data-0"));
    assert_eq!(api.list(&by_pvc).await.unwrap().items.len(), 1);
    let by_policy = kube::api::ListParams::default().labels(&selector_for_policy("nightly"));
    assert_eq!(api.list(&by_policy).await.unwrap().items.len(), 1);
    let other = kube::api::ListParams::default().labels(&selector_for_policy("hourly"));
    assert!(api.list(&other).await.unwrap().items.is_empty());
}

#[tokio::test]
async fn a_progressing_snapshot_is_imported_once_ecs_finishes_it() {
    let mut h = shop().await;
    h.pass(true).await;
    h.ecs.put("s-1", "d-1", "progressing", at(0));
    h.pass(false).await;
    assert!(h.managed_snapshots().await.is_empty());

    h.ecs.put("s-late", "d-1", "accomplished", at(-30));
    h.pass(false).await;
    h.ecs.put("s-1", "d-1", "accomplished", at(0));
    h.pass(false).await;
    assert_eq!(h.managed_snapshots().await, ["shop/s-1", "shop/s-late"]);
}

#[tokio::test]
async fn every_named_namespace_gets_its_own_copy() {
    let mut h = Harness::start().await;
    for ns in ["shop", "backup-a", "backup-b"] {
        h.namespace(ns).await;
    }
    h.bound_pvc("shop", "data-0", "web", "d-1").await;
    h.policy("nightly", "web", &["backup-a", "backup-b"]).await;
    h.ecs.put("s-1", "d-1", "accomplished", at(0));
    h.pass(true).await;

    assert_eq!(
        h.managed_snapshots().await,
        ["backup-a/s-1", "backup-b/s-1"]
    );
    assert_eq!(h.managed_contents().await, ["s-1.backup-a", "s-1.backup-b"]);
}

#[tokio::test]
async fn retention_expiry_removes_the_pair() {
    let mut h = shop().await;
    h.ecs.put("s-1", "d-1", "accomplished", at(0));
    h.pass(true).await;
    h.ecs.remove("s-1");

    h.pass(true).await;
    assert!(h.managed_snapshots().await.is_empty());
    h.pass(true).await;
    assert!(h.managed_contents().await.is_empty());
    assert_eq!(h.metrics.removed.get(), 1);
}

#[tokio::test]
async fn a_deleted_copy_stays_deleted_and_the_others_keep_the_snapshot() {
    let mut h = Harness::start().await;
    for ns in ["shop", "a", "b"] {
        h.namespace(ns).await;
    }
    h.bound_pvc("shop", "data-0", "web", "d-1").await;
    h.policy("nightly", "web", &["a", "b"]).await;
    h.ecs.put("s-1", "d-1", "accomplished", at(0));
    h.pass(true).await;

    h.snapshots("a")
        .delete("s-1", &DeleteParams::default())
        .await
        .unwrap();
    // The first pass makes b's copy, now the only one, follow the class; then all is settled.
    for actions in [1, 0] {
        let report = h.pass(true).await;
        assert_eq!((report.actions, report.dismissed), (actions, 1));
    }
    h.restart();
    h.pass(true).await;
    assert_eq!(h.managed_snapshots().await, ["b/s-1"]);
    assert_eq!(
        h.managed_contents().await,
        ["s-1.a", "s-1.b"],
        "a's content is the record"
    );
    let b = h.contents().get("s-1.b").await.unwrap();
    assert_eq!(
        b.data["spec"]["deletionPolicy"], "Delete",
        "b's copy is now the only one, so it follows the class (here: the flag default)"
    );
    let a = h.contents().get("s-1.a").await.unwrap();
    assert_eq!(
        a.data["spec"]["deletionPolicy"], "Retain",
        "a's record keeps Retain"
    );
}

#[tokio::test]
async fn a_user_made_volume_snapshot_is_never_touched() {
    let mut h = shop().await;
    let mine: kube::api::DynamicObject = serde_json::from_value(json!({
        "apiVersion": "snapshot.storage.k8s.io/v1",
        "kind": "VolumeSnapshot",
        "metadata": {"name": "s-1-manual", "namespace": "shop",
                     "labels": {"storage.alibabacloud.com/snapshot-id": "s-1"}},
        "spec": {"source": {"persistentVolumeClaimName": "data-0"}},
    }))
    .unwrap();
    h.snapshots("shop")
        .create(&PostParams::default(), &mine)
        .await
        .unwrap();
    h.ecs.put("s-1", "d-1", "accomplished", at(0));
    h.pass(true).await;
    h.ecs.remove("s-1");
    h.pass(true).await;
    h.pass(true).await;

    let kept = h.snapshots("shop").get("s-1-manual").await.unwrap();
    assert!(kept.metadata.deletion_timestamp.is_none());
    assert!(h.managed_snapshots().await.is_empty());
}

#[tokio::test]
async fn a_restart_in_the_middle_of_an_import_finishes_it_without_duplicates() {
    let mut h = shop().await;
    for i in 0..5 {
        h.ecs.put(&format!("s-{i}"), "d-1", "accomplished", at(-i));
    }
    h.pass(true).await;
    // As if the process died after creating s-0's VolumeSnapshot but not its content.
    h.contents()
        .delete("s-0.shop", &DeleteParams::default())
        .await
        .unwrap();
    let release = json!({"metadata": {"finalizers": null}});
    h.contents()
        .patch("s-0.shop", &PatchParams::default(), &Patch::Merge(&release))
        .await
        .unwrap();

    h.restart();
    h.pass(true).await;
    assert_eq!(h.managed_contents().await.len(), 5);
    assert_eq!(h.managed_snapshots().await.len(), 5);

    let writes = h.metrics.kube_writes.get();
    h.restart();
    h.pass(true).await;
    h.pass(false).await;
    assert_eq!(
        h.metrics.kube_writes.get(),
        0,
        "a settled cluster needs no writes ({writes})"
    );
}

#[tokio::test]
async fn gateway_faults_fail_the_pass_and_delete_nothing() {
    let mut h = shop().await;
    h.ecs.put("s-1", "d-1", "accomplished", at(0));
    h.pass(true).await;

    h.ecs.fail_next(1);
    assert!(h.reconciler.pass(true).await.is_err());
    assert_eq!(h.managed_snapshots().await, ["shop/s-1"]);

    h.ecs.put("s-2", "d-1", "accomplished", at(0));
    h.pass(false).await;
    assert_eq!(h.managed_snapshots().await, ["shop/s-1", "shop/s-2"]);
}

#[tokio::test]
async fn imports_and_removals_are_announced_as_events() {
    let mut h = shop().await;
    h.with_events();
    h.ecs.put("s-1", "d-1", "accomplished", at(0));
    h.pass(true).await;
    h.ecs.remove("s-1");
    h.pass(true).await;

    let api: kube::Api<k8s_openapi::api::events::v1::Event> =
        kube::Api::namespaced(h.client.clone(), "shop");
    let events = api.list(&Default::default()).await.unwrap().items;
    let mut reasons: Vec<(String, String)> = events
        .iter()
        .map(|e| {
            let about = e
                .regarding
                .as_ref()
                .and_then(|r| r.name.clone())
                .unwrap_or_default();
            (e.reason.clone().unwrap_or_default(), about)
        })
        .collect();
    reasons.sort();
    assert_eq!(
        reasons,
        [
            ("SnapshotImported".to_owned(), "s-1".to_owned()),
            ("SnapshotRemoved".to_owned(), "s-1".to_owned()),
        ]
    );
}
