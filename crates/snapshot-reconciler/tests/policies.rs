//! Policies as the API server stores them under the chart's CRD: repeatOnce status is read,
//! and the cluster refuses what the CRD refuses (so no test relies on a policy users cannot
//! write).

mod common;

use common::Harness;
use jiff::Timestamp;
use kube::api::{DynamicObject, PostParams};
use serde_json::json;

#[tokio::test]
async fn snapshots_recorded_by_a_repeat_once_policy_are_imported_where_it_says() {
    let mut h = Harness::start().await;
    for ns in ["shop", "qa"] {
        h.namespace(ns).await;
    }
    h.bound_pvc("shop", "data-0", "web", "d-1").await;
    h.once_policy("adhoc", "web", &["qa"], &[("s-once", "d-1", "shop/data-0")])
        .await;
    h.ecs.put("s-once", "d-1", "accomplished", Timestamp::now());
    h.ecs
        .put("s-other", "d-1", "accomplished", Timestamp::now());

    h.pass(true).await;

    assert_eq!(h.managed_snapshots().await, ["qa/s-once"]);
    let copy = h.snapshots("qa").get("s-once").await.unwrap();
    let labels = copy.metadata.labels.unwrap();
    assert_eq!(labels["storage.alibabacloud.com/snapshot-policy"], "adhoc");
    assert_eq!(labels["storage.alibabacloud.com/source-pvc"], "data-0");
}

#[tokio::test]
async fn the_cluster_refuses_policies_the_crd_forbids() {
    let h = Harness::start().await;
    let refused = [
        json!({"pvcSelector": {}, "snapshotSchedule": {"repeatOnce": true}}),
        json!({
            "pvcSelector": {"matchLabels": {"app": "web"}},
            "snapshotSchedule": {"repeatOnce": true, "timePoints": ["2"]},
        }),
        json!({
            "pvcSelector": {"matchLabels": {"app": "web"}},
            "retentionDays": 0,
            "snapshotSchedule": {"repeatWeekdays": ["1"], "timePoints": ["2"]},
        }),
    ];

    for (i, spec) in refused.into_iter().enumerate() {
        let object: DynamicObject = serde_json::from_value(json!({
            "apiVersion": "storage.alibabacloud.com/v1beta1",
            "kind": "VolumeSnapshotPolicy",
            "metadata": {"name": format!("bad-{i}")},
            "spec": spec,
        }))
        .unwrap();
        let created = h.policies().create(&PostParams::default(), &object).await;
        assert!(
            matches!(&created, Err(kube::Error::Api(e)) if e.code == 422),
            "policy {i} was not refused as invalid: {created:?}"
        );
    }
}
