//! Batching arithmetic, restarts mid-batch and a gateway outage, through the whole chain.
//! Bounded: a few hundred PVCs, seconds each.

mod common;

use std::time::Duration;

use common::{Chain, disk, within};
use ecs_sim::{Fault, FaultRule};
use pvc_reconciler::args::AccountMode;

const PVCS: usize = 300;

async fn many_pvcs(chain: &Chain, n: usize) {
    for i in 0..n {
        chain
            .bound_pvc(&format!("web-{i}"), &disk(i), &[("app", "web")])
            .await;
    }
    // Let the watches deliver and the reconciler read the new (pending) disks.
    chain.settle().await;
}

async fn all_carry(chain: &Chain, n: usize, policy: &str) {
    chain
        .wait_ecs(&format!("{n} disks carrying {policy}"), |s| {
            let carrying = s.disks.iter().filter(|d| d.policy_ids == [policy]).count();
            carrying == n
        })
        .await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn ecs_calls_grow_with_the_changes_not_with_the_cluster() {
    within(120, async {
        let settings = Chain::settings(AccountMode::Classic, Duration::from_secs(600));
        let chain = Chain::start(PVCS, settings).await;
        let vsp = chain.create_vsp("nightly", "web").await;
        many_pvcs(&chain, PVCS).await;

        // The policy ID appears: 300 disks change at once, in one pass.
        chain.ecs_sim.admin().reset_counters().await.unwrap();
        let sp = chain.give_ecs_policy(&vsp).await;
        all_carry(&chain, PVCS, &sp).await;
        tokio::time::sleep(Duration::from_millis(300)).await;
        assert_eq!(
            chain.calls("ApplyAutoSnapshotPolicy").await,
            3,
            "300 disks / 100 per call"
        );
        assert_eq!(
            chain.calls("DescribeDisks").await,
            3,
            "300 IDs / 100 per call"
        );
        assert_eq!(chain.calls("CancelAutoSnapshotPolicy").await, 0);
        chain
            .wait_vsp("nightly", "appliedVolumes 300", |v| {
                v.status.as_ref().and_then(|s| s.applied_volumes) == Some(PVCS as i32)
            })
            .await;

        // One relabelled PVC costs one read and one cancel, whatever the cluster size.
        chain.settle().await;
        chain.ecs_sim.admin().reset_counters().await.unwrap();
        chain.label("web-7", "app", None).await;
        chain.wait_policies(&disk(7), &[]).await;
        tokio::time::sleep(Duration::from_millis(300)).await;
        assert_eq!(chain.calls("CancelAutoSnapshotPolicy").await, 1);
        assert_eq!(chain.calls("DescribeDisks").await, 1);
        assert_eq!(chain.calls("ApplyAutoSnapshotPolicy").await, 0);
        chain.stop().await;
    })
    .await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_restart_mid_batch_finishes_the_job_without_duplicates() {
    within(120, async {
        let n = 250;
        let settings = Chain::settings(AccountMode::Upgraded, Duration::from_secs(600));
        let mut chain = Chain::start(n, settings).await;
        let vsp = chain.create_vsp("nightly", "web").await;
        many_pvcs(&chain, n).await;

        // Slow Apply down so the kill lands between batches.
        let slow = FaultRule {
            action: "ApplyAutoSnapshotPolicy".into(),
            fault: Fault::Latency { millis: 300 },
            probability: 1.0,
            times: None,
        };
        chain.ecs_sim.admin().set_faults(&[slow]).await.unwrap();
        let sp = chain.give_ecs_policy(&vsp).await;
        for _ in 0..100 {
            if chain.calls("ApplyAutoSnapshotPolicy").await >= 1 {
                break;
            }
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
        chain.kill_controller().await;
        let partial = chain
            .ecs()
            .await
            .disks
            .iter()
            .filter(|d| !d.policy_ids.is_empty())
            .count();
        assert!(
            partial < n,
            "killed too late to be mid-batch: {partial} of {n} applied"
        );

        chain.start_controller();
        all_carry(&chain, n, &sp).await;
        chain.stop().await;
    })
    .await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_gateway_outage_delays_the_work_and_recovery_finishes_it() {
    within(60, async {
        let settings = Chain::settings(AccountMode::Classic, Duration::from_secs(600));
        let chain = Chain::start(3, settings).await;
        let vsp = chain.create_vsp("nightly", "web").await;
        chain.bound_pvc("web-0", &disk(0), &[("app", "web")]).await;
        let sp = chain.give_ecs_policy(&vsp).await;
        chain.wait_policies(&disk(0), &[&sp]).await;

        let outage = FaultRule {
            action: "*".into(),
            fault: Fault::ServerError {
                status: 503,
                code: "ServiceUnavailable".into(),
            },
            probability: 1.0,
            times: None,
        };
        chain.ecs_sim.admin().set_faults(&[outage]).await.unwrap();
        chain.bound_pvc("web-1", &disk(1), &[("app", "web")]).await;
        chain.label("web-0", "app", None).await;
        tokio::time::sleep(Duration::from_millis(1500)).await;
        assert_eq!(
            chain.policies_on(&disk(0)).await,
            std::slice::from_ref(&sp),
            "nothing moves in an outage"
        );
        assert!(chain.policies_on(&disk(1)).await.is_empty());

        chain.ecs_sim.admin().set_faults(&[]).await.unwrap();
        chain.wait_policies(&disk(1), &[&sp]).await;
        chain.wait_policies(&disk(0), &[]).await;
        chain.stop().await;
    })
    .await;
}
