//! Start-up with many existing snapshots, bounded to stay fast in CI (500 snapshots); the
//! 10,000-snapshot measurement is `cargo run -p snapshot-reconciler --example startup_scale`.

mod common;

use common::Harness;
use jiff::{SignedDuration, Timestamp};

const DISKS: usize = 5;
const PER_DISK: usize = 100;

#[tokio::test]
async fn start_up_with_500_snapshots_costs_one_call_per_page_and_two_writes_per_copy() {
    let mut h = Harness::start().await;
    h.namespace("shop").await;
    for d in 0..DISKS {
        h.bound_pvc("shop", &format!("data-{d}"), "web", &format!("d-{d}"))
            .await;
    }
    h.policy("nightly", "web", &[]).await;
    let base = Timestamp::now();
    for d in 0..DISKS {
        for i in 0..PER_DISK {
            let at = base + SignedDuration::from_mins((d * PER_DISK + i) as i64);
            h.ecs
                .put(&format!("s-{d}x{i}"), &format!("d-{d}"), "accomplished", at);
        }
    }

    let report = h.pass(true).await;
    let copies = DISKS * PER_DISK;
    assert_eq!(
        report.ecs_calls as usize,
        copies / 100,
        "one call per page of 100"
    );
    assert_eq!(h.ecs.calls() as usize, copies / 100);
    assert_eq!(h.metrics.kube_writes.get() as usize, 2 * copies);
    assert_eq!(h.managed_snapshots().await.len(), copies);

    h.restart();
    let again = h.pass(true).await;
    assert_eq!(
        (again.actions, h.metrics.kube_writes.get()),
        (0, 0),
        "nothing to redo"
    );
    let quiet = h.pass(false).await;
    assert_eq!(
        quiet.ecs_calls, 1,
        "an incremental pass with nothing new is one call"
    );
}
