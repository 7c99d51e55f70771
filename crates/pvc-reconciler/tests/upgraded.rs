//! Disks carrying several policies (upgraded ECS accounts, where DescribeDisks reports only
//! one of them): every foreign policy is seen, reported and left alone (or taken over), ours
//! is reconciled, and a disk at ECS's limit of 10 policies still moves between our policies.
//! The classic-account counterpart of each scenario runs too.

mod common;

use std::time::Duration;

use common::{Chain, disk, within};
use k8s_openapi::api::events::v1::Event;
use kube::{Api, api::ListParams};
use pvc_reconciler::args::AccountMode;

/// Notes of the `reason` Events about object `name`.
async fn notes(chain: &Chain, name: &str, reason: &str) -> Vec<String> {
    let events: Api<Event> = Api::all(chain.client.clone());
    let list = events.list(&ListParams::default()).await.unwrap().items;
    let about = |e: &Event| e.regarding.as_ref().and_then(|r| r.name.as_deref()) == Some(name);
    list.into_iter()
        .filter(|e| about(e) && e.reason.as_deref() == Some(reason))
        .filter_map(|e| e.note)
        .collect()
}

/// Waits until a `reason` Event about `name` names each of `policies`.
async fn wait_noted(chain: &Chain, name: &str, reason: &str, policies: &[&str]) {
    for _ in 0..200 {
        let notes = notes(chain, name, reason).await;
        if policies.iter().all(|p| notes.iter().any(|n| n.contains(p))) {
            return;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    let notes = notes(chain, name, reason).await;
    panic!("{reason} Events about {name} never named all of {policies:?}: {notes:#?}");
}

/// Ours is applied first, then two foreign policies by hand: on an upgraded account
/// DescribeDisks names only ours, so both foreign ones are hidden behind it.
async fn foreign_policies_behind_ours(mode: AccountMode) {
    let settings = Chain::settings(mode, Duration::from_millis(700));
    let mut chain = Chain::start(1, settings).await;
    chain.bound_pvc("web-0", &disk(0), &[("app", "web")]).await;
    let vsp = chain.create_vsp("nightly", "web").await;
    let sp = chain.give_ecs_policy(&vsp).await;
    chain.wait_policies(&disk(0), &[&sp]).await;

    // Both appear while the reconciler is down, so its first pass finds them together.
    chain.kill_controller().await;
    let first = chain.foreign_policy(&[disk(0)]).await;
    let second = chain.foreign_policy(&[disk(0)]).await;
    chain.start_controller();
    match mode {
        AccountMode::Upgraded => {
            // Both are found, reported by ID, and left alone; ours stays.
            wait_noted(&chain, "web-0", "ForeignPolicy", &[&first, &second]).await;
            chain.ecs_sim.admin().reset_counters().await.unwrap();
            tokio::time::sleep(Duration::from_millis(1500)).await;
            assert_eq!(chain.calls("ApplyAutoSnapshotPolicy").await, 0);
            assert_eq!(chain.calls("CancelAutoSnapshotPolicy").await, 0);
            assert!(chain.calls("DescribeAutoSnapshotPolicyAssociations").await >= 1);
            chain.wait_policies(&disk(0), &[&sp, &first, &second]).await;
        }
        AccountMode::Classic => {
            // Each Apply replaced what the disk carried: only the second one is left, and a
            // person chose it, so it is reported, not treated as drift.
            wait_noted(&chain, "web-0", "ForeignPolicy", &[&second]).await;
            tokio::time::sleep(Duration::from_millis(1500)).await;
            assert_eq!(
                chain.policies_on(&disk(0)).await,
                std::slice::from_ref(&second)
            );
        }
    }

    // With the operator's opt-in every foreign policy goes, hidden or not, and ours stays.
    chain.kill_controller().await;
    chain.settings.take_over_foreign_policies = true;
    chain.start_controller();
    chain.wait_policies(&disk(0), &[&sp]).await;
    let taken = match mode {
        AccountMode::Upgraded => vec![first.as_str(), second.as_str()],
        AccountMode::Classic => vec![second.as_str()],
    };
    wait_noted(&chain, "web-0", "ForeignPolicyTakenOver", &taken).await;
    chain.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn hidden_foreign_policies_upgraded_account() {
    within(60, foreign_policies_behind_ours(AccountMode::Upgraded)).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn foreign_policy_over_ours_classic_account() {
    within(60, foreign_policies_behind_ours(AccountMode::Classic)).await;
}

/// A disk carrying our policy and 9 foreign ones (ECS's limit of 10) moves to another VSP:
/// ECS refuses the Apply, so ours is cancelled first and the Apply repeated.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_disk_at_the_policy_limit_moves_between_our_policies() {
    within(60, async {
        // Resyncs far apart: the move below is the work of one watch-triggered pass.
        let settings = Chain::settings(AccountMode::Upgraded, Duration::from_secs(30));
        let chain = Chain::start(2, settings).await;
        chain.bound_pvc("web-0", &disk(0), &[("app", "web")]).await;
        chain.bound_pvc("web-1", &disk(1), &[("app", "web")]).await;
        let old = chain.create_vsp("old", "web").await;
        let sp_old = chain.give_ecs_policy(&old).await;
        let new = chain.create_vsp("new", "db").await;
        let sp_new = chain.give_ecs_policy(&new).await;
        chain.wait_policies(&disk(0), &[&sp_old]).await;
        chain.wait_policies(&disk(1), &[&sp_old]).await;

        let mut foreign = Vec::new();
        for _ in 0..9 {
            foreign.push(chain.foreign_policy(&[disk(0)]).await);
        }
        assert_eq!(chain.policies_on(&disk(0)).await.len(), 10, "at the limit");
        chain.settle().await;

        // Both disks move to "new" in one Apply batch; disk 0 is at the limit, disk 1 is not.
        chain.ecs_sim.admin().reset_counters().await.unwrap();
        chain.label("web-0", "app", Some("db")).await;
        chain.label("web-1", "app", Some("db")).await;
        let mut full: Vec<&str> = foreign.iter().map(String::as_str).collect();
        full.push(&sp_new);
        chain.wait_policies(&disk(0), &full).await;
        chain.wait_policies(&disk(1), &[&sp_new]).await;
        chain.wait_event("web-0", "PolicyApplied").await;

        let refused = chain.event_reasons("web-0").await;
        assert!(
            !refused.iter().any(|r| r == "PolicyChangeRefused"),
            "{refused:?}"
        );
        let counters = chain.ecs_sim.admin().counters().await.unwrap();
        let limit = "OperationDenied.TooManyAutoSnapshotPolicies";
        assert!(
            counters.get("ApplyAutoSnapshotPolicy", limit) >= 1,
            "the limit was reached and handled"
        );
        chain.settle().await;
        assert_eq!(
            chain.policies_on(&disk(0)).await.len(),
            10,
            "nothing stacked"
        );
        chain.stop().await;
    })
    .await;
}

/// A disk whose 10 policies are all foreign cannot take ours without take-over: it is refused
/// and reported, and the rest of the pass goes on.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_disk_full_of_foreign_policies_is_reported_and_does_not_block_the_others() {
    within(60, async {
        let settings = Chain::settings(AccountMode::Upgraded, Duration::from_millis(700));
        let chain = Chain::start(2, settings).await;
        chain.bound_pvc("web-0", &disk(0), &[("app", "web")]).await;
        chain.bound_pvc("web-1", &disk(1), &[("app", "web")]).await;
        for _ in 0..10 {
            chain.foreign_policy(&[disk(0)]).await;
        }
        let vsp = chain.create_vsp("nightly", "web").await;
        let sp = chain.give_ecs_policy(&vsp).await;

        chain.wait_policies(&disk(1), &[&sp]).await;
        chain.wait_event("web-0", "PolicyChangeRefused").await;
        let on_full = chain.policies_on(&disk(0)).await;
        assert_eq!(on_full.len(), 10);
        assert!(!on_full.contains(&sp));
        chain.stop().await;
    })
    .await;
}
