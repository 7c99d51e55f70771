//! Label changes, PVC and PV deletion, and policies appearing, through the whole chain.

mod common;

use std::time::Duration;

use common::{Chain, disk, within};
use pvc_reconciler::args::AccountMode;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn labels_in_both_directions_and_deleted_pvcs_move_exactly_the_right_disks() {
    within(60, async {
        let settings = Chain::settings(AccountMode::Classic, Duration::from_secs(600));
        let chain = Chain::start(4, settings).await;
        chain.bound_pvc("web-0", &disk(0), &[("app", "web")]).await;
        chain.bound_pvc("web-1", &disk(1), &[("app", "web")]).await;
        chain.bound_pvc("db-0", &disk(2), &[("app", "db")]).await;
        chain.bound_pvc("gone", &disk(3), &[("app", "web")]).await;

        // Without an ECS policy ID the VSP claims its disks but nothing is applied.
        let vsp = chain.create_vsp("nightly", "web").await;
        tokio::time::sleep(Duration::from_millis(500)).await;
        assert!(
            chain
                .ecs()
                .await
                .disks
                .iter()
                .all(|d| d.policy_ids.is_empty())
        );

        // The ID appearing in status applies it to the selected disks only.
        let sp = chain.give_ecs_policy(&vsp).await;
        for i in [0, 1, 3] {
            chain.wait_policies(&disk(i), &[&sp]).await;
        }
        assert!(chain.policies_on(&disk(2)).await.is_empty());
        chain.wait_event("web-0", "PolicyApplied").await;
        chain
            .wait_vsp("nightly", "appliedVolumes 3", |v| {
                v.status.as_ref().and_then(|s| s.applied_volumes) == Some(3)
            })
            .await;

        // A label added after the VSP exists applies within one reconcile.
        chain.label("db-0", "app", Some("web")).await;
        chain.wait_policies(&disk(2), &[&sp]).await;

        // A label removed cancels for that disk only.
        chain.label("web-1", "app", None).await;
        chain.wait_policies(&disk(1), &[]).await;
        chain.wait_event("web-1", "PolicyRemoved").await;
        for i in [0, 2, 3] {
            assert_eq!(chain.policies_on(&disk(i)).await, std::slice::from_ref(&sp));
        }

        // PVC deleted, PV retained: the released disk keeps no policy of ours.
        chain.delete_pvc("web-0").await;
        chain.wait_policies(&disk(0), &[]).await;

        // PVC and PV deleted and the disk released (Delete reclaim): the loop carries on.
        chain.delete_pvc("gone").await;
        chain.delete_pv("gone").await;
        chain.ecs_sim.admin().delete_disk(&disk(3)).await.unwrap();
        chain.label("web-1", "app", Some("web")).await;
        chain.wait_policies(&disk(1), &[&sp]).await;
        chain
            .wait_vsp("nightly", "appliedVolumes 2", |v| {
                v.status.as_ref().and_then(|s| s.applied_volumes) == Some(2)
            })
            .await;
        chain.stop().await;
    })
    .await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_pv_or_disk_that_disappears_under_a_selected_pvc_never_stops_the_loop() {
    within(60, async {
        let settings = Chain::settings(AccountMode::Classic, Duration::from_secs(1));
        let chain = Chain::start(3, settings).await;
        let vsp = chain.create_vsp("nightly", "web").await;
        let sp = chain.give_ecs_policy(&vsp).await;

        // A PVC whose disk ECS does not know, and one whose PV is deleted under it.
        chain
            .bound_pvc("ghost", "d-neverexisted", &[("app", "web")])
            .await;
        chain.bound_pvc("orphan", &disk(1), &[("app", "web")]).await;
        chain.wait_policies(&disk(1), &[&sp]).await;
        chain.wait_event("ghost", "DiskNotFound").await;
        chain.delete_pv("orphan").await;
        chain.wait_policies(&disk(1), &[]).await;

        // The loop still serves new PVCs, including across full resyncs.
        chain.ecs_sim.admin().delete_disk(&disk(1)).await.unwrap();
        tokio::time::sleep(Duration::from_millis(1500)).await;
        chain.bound_pvc("web-2", &disk(2), &[("app", "web")]).await;
        chain.wait_policies(&disk(2), &[&sp]).await;
        chain.stop().await;
    })
    .await;
}
