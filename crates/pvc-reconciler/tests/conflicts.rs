//! Two VSPs on one PVC, drift, foreign policies and take-over, in both ECS account modes.

mod common;

use std::time::Duration;

use common::{Chain, disk, within};
use pvc_reconciler::args::AccountMode;

async fn two_vsps_on_one_pvc(mode: AccountMode) {
    let settings = Chain::settings(mode, Duration::from_millis(700));
    let chain = Chain::start(1, settings).await;
    chain
        .bound_pvc("web-0", &disk(0), &[("app", "web"), ("tier", "db")])
        .await;

    // "zeta" is older; "alpha" would win a same-second tie but is created later.
    let zeta = chain.create_vsp("zeta", "web").await;
    tokio::time::sleep(Duration::from_millis(1100)).await;
    let alpha = chain.create_vsp("alpha", "web").await;
    let sp_alpha = chain.give_ecs_policy(&alpha).await;
    tokio::time::sleep(Duration::from_millis(400)).await;
    assert!(
        chain.policies_on(&disk(0)).await.is_empty(),
        "{mode:?}: the loser is never applied while the winner waits for its ECS policy"
    );
    let sp_zeta = chain.give_ecs_policy(&zeta).await;
    chain.wait_policies(&disk(0), &[&sp_zeta]).await;

    let loser = chain
        .wait_vsp("alpha", "a conflict entry", |v| {
            v.status
                .as_ref()
                .and_then(|s| s.conflicts.as_ref())
                .is_some()
        })
        .await;
    let conflict = &loser.status.unwrap().conflicts.unwrap()[0];
    assert_eq!(conflict.disk_id, disk(0));
    assert_eq!(
        (conflict.pvc.as_str(), conflict.winning_policy.as_str()),
        ("default/web-0", "zeta")
    );
    chain.wait_event("alpha", "PolicyConflict").await;

    // Several resyncs later nothing has moved: no flapping.
    chain.ecs_sim.admin().reset_counters().await.unwrap();
    tokio::time::sleep(Duration::from_millis(2000)).await;
    assert_eq!(chain.calls("ApplyAutoSnapshotPolicy").await, 0, "{mode:?}");
    assert_eq!(chain.calls("CancelAutoSnapshotPolicy").await, 0, "{mode:?}");
    assert!(
        chain.calls("DescribeDisks").await >= 2,
        "{mode:?}: resyncs ran"
    );
    assert_eq!(
        chain.policies_on(&disk(0)).await,
        std::slice::from_ref(&sp_zeta)
    );
    let conflicts = chain.event_reasons("alpha").await;
    assert_eq!(
        conflicts.iter().filter(|r| *r == "PolicyConflict").count(),
        1,
        "{conflicts:?}"
    );

    // The loser's policy put on the disk by hand (replacing or stacking) is undone.
    chain.apply(&sp_alpha, &[disk(0)]).await;
    chain.wait_policies(&disk(0), &[&sp_zeta]).await;
    chain.wait_event("web-0", "PolicyDriftRepaired").await;

    // The winner deleted (its ECS policy still exists: policy-listener is not running here,
    // and its tags say it is ours): the loser takes the disk, and its conflict clears.
    chain
        .vsps()
        .delete("zeta", &Default::default())
        .await
        .unwrap();
    chain.wait_policies(&disk(0), &[&sp_alpha]).await;
    chain
        .wait_vsp("alpha", "conflicts cleared", |v| {
            let status = v.status.as_ref();
            status.is_some_and(|s| s.conflicts.is_none() && s.applied_volumes == Some(1))
        })
        .await;
    chain.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn two_vsps_on_one_pvc_classic_account() {
    within(60, two_vsps_on_one_pvc(AccountMode::Classic)).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn two_vsps_on_one_pvc_upgraded_account() {
    within(60, two_vsps_on_one_pvc(AccountMode::Upgraded)).await;
}

async fn drift_and_foreign(mode: AccountMode) {
    let settings = Chain::settings(mode, Duration::from_millis(700));
    let mut chain = Chain::start(2, settings).await;
    chain.bound_pvc("web-0", &disk(0), &[("app", "web")]).await;
    chain.bound_pvc("web-1", &disk(1), &[("app", "web")]).await;
    let foreign = chain.foreign_policy(&[disk(1)]).await;
    let vsp = chain.create_vsp("nightly", "web").await;
    let sp = chain.give_ecs_policy(&vsp).await;

    chain.wait_policies(&disk(0), &[&sp]).await;
    chain.wait_event("web-1", "ForeignPolicy").await;
    match mode {
        // Applying ours would replace the foreign policy: left alone.
        AccountMode::Classic => assert_eq!(
            chain.policies_on(&disk(1)).await,
            std::slice::from_ref(&foreign)
        ),
        // Ours is added next to it; the foreign one stays.
        AccountMode::Upgraded => chain.wait_policies(&disk(1), &[&foreign, &sp]).await,
    }

    // Our policy cancelled behind our back is put back by the resync and reported.
    chain.cancel(&sp, &[disk(0)]).await;
    chain.wait_policies(&disk(0), &[&sp]).await;
    chain.wait_event("web-0", "PolicyDriftRepaired").await;
    assert_eq!(
        chain.policies_on(&disk(1)).await.first(),
        Some(&foreign),
        "{mode:?}"
    );

    // With the operator's opt-in the foreign policy is taken over.
    chain.kill_controller().await;
    chain.settings.take_over_foreign_policies = true;
    chain.start_controller();
    chain.wait_policies(&disk(1), &[&sp]).await;
    chain.wait_event("web-1", "ForeignPolicyTakenOver").await;
    chain.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn drift_and_foreign_policies_classic_account() {
    within(60, drift_and_foreign(AccountMode::Classic)).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn drift_and_foreign_policies_upgraded_account() {
    within(60, drift_and_foreign(AccountMode::Upgraded)).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_classic_setting_on_an_upgraded_account_still_never_stacks_two_of_ours() {
    within(60, async {
        let settings = Chain::settings(AccountMode::Classic, Duration::from_millis(700));
        let chain = Chain::start(1, settings).await;
        let upgraded = ecs_sim::AccountMode::Upgraded;
        chain
            .ecs_sim
            .admin()
            .set_account_mode(upgraded)
            .await
            .unwrap();
        chain.bound_pvc("web-0", &disk(0), &[("app", "web")]).await;
        let old = chain.create_vsp("old", "web").await;
        let sp_old = chain.give_ecs_policy(&old).await;
        chain.wait_policies(&disk(0), &[&sp_old]).await;

        // Another policy of ours stacked by hand is found by the resync and cancelled.
        let other = chain.create_vsp("other", "db").await;
        let sp_other = chain.give_ecs_policy(&other).await;
        chain.apply(&sp_other, &[disk(0)]).await;
        chain.wait_policies(&disk(0), &[&sp_old]).await;
        chain.stop().await;
    })
    .await;
}
