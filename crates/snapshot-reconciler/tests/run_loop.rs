//! The leader-gated loop: passes run only while leading, a closed leadership channel (election
//! disabled) keeps the replica leading without spinning, and shutdown ends the loop.

mod common;

use std::time::Duration;

use common::Harness;
use jiff::Timestamp;
use tokio::sync::watch;
use tokio_util::sync::CancellationToken;

async fn shop() -> Harness {
    let h = Harness::start().await;
    h.namespace("shop").await;
    h.bound_pvc("shop", "data-0", "web", "d-1").await;
    h.policy("nightly", "web", &[]).await;
    h
}

fn passes(h: &Harness) -> u64 {
    let full = h
        .metrics
        .passes
        .get_or_create(&vec![("kind", "full")])
        .get();
    let inc = h
        .metrics
        .passes
        .get_or_create(&vec![("kind", "incremental")])
        .get();
    full + inc
}

#[tokio::test]
async fn election_disabled_keeps_leading_at_the_poll_pace_until_shutdown() {
    let mut h = shop().await;
    h.ecs.put("s-1", "d-1", "accomplished", Timestamp::now());
    let reconciler = h.detached_reconciler();
    let (tx, rx) = watch::channel(true);
    drop(tx);
    let shutdown = CancellationToken::new();
    let task = tokio::spawn(reconciler.run(rx, shutdown.clone()));

    tokio::time::sleep(Duration::from_millis(600)).await;
    let ran = passes(&h);
    assert!(
        (2..=20).contains(&ran),
        "{ran} passes in 600ms at a 50ms poll"
    );
    assert_eq!(h.managed_snapshots().await, ["shop/s-1"]);

    shutdown.cancel();
    tokio::time::timeout(Duration::from_secs(2), task)
        .await
        .unwrap()
        .unwrap();
}

#[tokio::test]
async fn a_standby_does_nothing_and_losing_the_lease_stops_the_passes() {
    let mut h = shop().await;
    h.ecs.put("s-1", "d-1", "accomplished", Timestamp::now());
    let reconciler = h.detached_reconciler();
    let (tx, rx) = watch::channel(false);
    let shutdown = CancellationToken::new();
    let task = tokio::spawn(reconciler.run(rx, shutdown.clone()));

    tokio::time::sleep(Duration::from_millis(200)).await;
    assert_eq!(passes(&h), 0);
    assert!(h.managed_snapshots().await.is_empty());

    tx.send(true).unwrap();
    tokio::time::sleep(Duration::from_millis(300)).await;
    assert_eq!(h.managed_snapshots().await, ["shop/s-1"]);
    tx.send(false).unwrap();
    tokio::time::sleep(Duration::from_millis(100)).await;
    let stopped_at = passes(&h);
    tokio::time::sleep(Duration::from_millis(300)).await;
    assert_eq!(passes(&h), stopped_at, "no passes after losing the lease");

    shutdown.cancel();
    tokio::time::timeout(Duration::from_secs(2), task)
        .await
        .unwrap()
        .unwrap();
}
