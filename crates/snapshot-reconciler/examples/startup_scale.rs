//! Start-up against 10,000 existing ECS snapshots: how many ECS calls and Kubernetes writes
//! the first full pass costs, how long it takes, and that a second pass (after a restart)
//! writes nothing. Run on demand, not in CI (about a minute on 2 cores):
//! `cargo run -p snapshot-reconciler --example startup_scale`.
//!
//! ECS is the simulator behind the real ecs-gateway: 100 disks carry an hourly automatic
//! policy and the clock moves 100 hours, so ECS itself takes the snapshots.

#[path = "../tests/common/mod.rs"]
mod common;

use std::time::Instant;

use common::{Harness, cloud::Cloud};
use snapshot_reconciler::ecs::SnapshotCatalog;

const DISKS: usize = 100;
const HOURS: u64 = 100;

#[tokio::main]
async fn main() {
    let disks: Vec<String> = (0..DISKS).map(|d| format!("d-bench{d:03}")).collect();
    let names: Vec<&str> = disks.iter().map(String::as_str).collect();
    let cloud = Cloud::start(&names).await;
    let mut h = Harness::start_with(cloud.catalog.clone()).await;
    h.namespace("shop").await;
    for (i, disk) in disks.iter().enumerate() {
        h.bound_pvc("shop", &format!("data-{i}"), "web", disk).await;
    }
    h.policy("nightly", "web", &[]).await;
    for disk in &disks {
        cloud.hourly_policy_on(disk, 30).await;
    }
    cloud.advance(HOURS * 3600 - 1800).await;
    let before = cloud.describe_calls().await;

    let started = Instant::now();
    let report = h.pass(true).await;
    let elapsed = started.elapsed();
    let ecs_calls = cloud.describe_calls().await - before;
    let copies = h.metrics.imported.get();
    println!(
        "first full pass: {copies} copies imported in {elapsed:.1?}; \
         ECS DescribeSnapshots calls: {ecs_calls}; Kubernetes writes: {}; report: {report:?}",
        h.metrics.kube_writes.get()
    );
    let in_ecs = cloud.catalog.all().await.unwrap();
    let finished = in_ecs.iter().filter(|s| s.is_accomplished()).count();
    assert_eq!(
        copies as usize, finished,
        "every finished snapshot imported"
    );
    assert!(
        finished >= DISKS * (HOURS as usize - 1),
        "{finished} snapshots in ECS"
    );
    assert!(
        ecs_calls <= copies / 100 + 1,
        "{ecs_calls} calls for {copies} snapshots"
    );
    assert_eq!(h.metrics.kube_writes.get(), 2 * copies);

    h.restart();
    let started = Instant::now();
    let before = cloud.describe_calls().await;
    h.pass(true).await;
    println!(
        "second full pass after a restart: {:.1?}; ECS calls: {}; Kubernetes writes: {}",
        started.elapsed(),
        cloud.describe_calls().await - before,
        h.metrics.kube_writes.get()
    );
    assert_eq!(h.metrics.kube_writes.get(), 0);
}
