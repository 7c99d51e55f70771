//! A policy policy-listener refuses (`InvalidSpec`) claims no disk, however old it is: it never
//! gets an ECS policy ID, so were it to win, the disk would wait for that ID forever.

mod common;

use std::time::Duration;

use common::{Chain, disk, within};
use kube::api::PostParams;
use pvc_reconciler::args::AccountMode;
use serde_json::{Value, json};
use snapshot_k8s::vsp::VolumeSnapshotPolicy;
use ssm_test_support::fixtures;

/// An older invalid VSP (`invalid_zone`, `invalid_hours`) and a newer valid one select a PVC
/// that a previous owner's policy still covers: the valid one takes the disk, the previous
/// owner's policy is cancelled, and the valid VSP reports no conflict.
async fn an_invalid_older_policy_does_not_freeze_the_disk(invalid_zone: &str, hours: &[&str]) {
    let settings = Chain::settings(AccountMode::Classic, Duration::from_millis(700));
    let chain = Chain::start(1, settings).await;
    chain.bound_pvc("blk-0", &disk(0), &[("app", "old")]).await;
    let previous = chain.create_vsp("t-previous", "old").await;
    let sp_previous = chain.give_ecs_policy(&previous).await;
    chain.wait_policies(&disk(0), &[&sp_previous]).await;

    let invalid = schedule(invalid_zone, &["1"], hours);
    create(&chain, "t-k-invalid", invalid).await;
    tokio::time::sleep(Duration::from_millis(1500)).await;
    let valid = create(
        &chain,
        "t-v-valid",
        schedule("Asia/Shanghai", &["2"], &["9"]),
    )
    .await;
    let sp_valid = chain.give_ecs_policy(&valid).await;
    chain.label("blk-0", "app", Some("blk")).await;

    chain.wait_policies(&disk(0), &[&sp_valid]).await;
    let vsp = chain
        .wait_vsp("t-v-valid", "the disk applied", |v| {
            v.status
                .as_ref()
                .is_some_and(|s| s.applied_volumes == Some(1))
        })
        .await;
    let conflicts = vsp.status.unwrap().conflicts;
    assert!(
        conflicts.is_none(),
        "{invalid_zone} {hours:?}: {conflicts:?}"
    );
    chain.stop().await;
}

fn schedule(zone: &str, weekdays: &[&str], hours: &[&str]) -> Value {
    json!({
        "pvcSelector": {"matchLabels": {"app": "blk"}},
        "timeZone": zone,
        "snapshotSchedule": {"repeatWeekdays": weekdays, "timePoints": hours},
    })
}

async fn create(chain: &Chain, name: &str, spec: Value) -> VolumeSnapshotPolicy {
    let vsp: VolumeSnapshotPolicy = fixtures::from_json(fixtures::vsp_json(name, spec));
    chain
        .vsps()
        .create(&PostParams::default(), &vsp)
        .await
        .unwrap()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_half_hour_zone_claims_no_disk() {
    within(
        60,
        an_invalid_older_policy_does_not_freeze_the_disk("Asia/Kolkata", &["9"]),
    )
    .await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn hours_on_different_ecs_days_claim_no_disk() {
    within(
        60,
        an_invalid_older_policy_does_not_freeze_the_disk("UTC", &["3", "20"]),
    )
    .await;
}
