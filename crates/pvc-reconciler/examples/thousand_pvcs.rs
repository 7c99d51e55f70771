//! On-demand measurement, not run in CI: 1,000 labelled PVCs whose VSP gets its ECS policy at
//! once, through kube-sim ← pvc-reconciler → ecs-gateway → ecs-sim. Prints the ECS calls and
//! the time until every disk carries the policy, and fails if the batching arithmetic breaks.
//!
//! `cargo run -p pvc-reconciler --example thousand_pvcs [COUNT]`

#[path = "../tests/common/mod.rs"]
mod common;

use std::time::{Duration, Instant};

use common::{Chain, disk};
use pvc_reconciler::args::AccountMode;

#[tokio::main]
async fn main() {
    let count: usize = match std::env::args().nth(1) {
        None => 1000,
        Some(text) => text.parse().unwrap_or_else(|_| {
            eprintln!("COUNT must be a number of PVCs, not {text:?}");
            std::process::exit(2)
        }),
    };
    let settings = Chain::settings(AccountMode::Classic, Duration::from_secs(600));
    let chain = Chain::start(count, settings).await;
    let vsp = chain.create_vsp("nightly", "web").await;

    let created = Instant::now();
    for i in 0..count {
        chain
            .bound_pvc(&format!("web-{i}"), &disk(i), &[("app", "web")])
            .await;
    }
    println!("created {count} PVCs and PVs in {:?}", created.elapsed());
    chain.settle().await;

    chain.ecs_sim.admin().reset_counters().await.unwrap();
    let started = Instant::now();
    let sp = chain.give_ecs_policy(&vsp).await;
    chain
        .wait_ecs("every disk carrying the policy", |s| {
            s.disks
                .iter()
                .filter(|d| d.policy_ids == [sp.as_str()])
                .count()
                == count
        })
        .await;
    let elapsed = started.elapsed();
    chain.settle().await;

    let applies = chain.calls("ApplyAutoSnapshotPolicy").await;
    let describes = chain.calls("DescribeDisks").await;
    println!("{count} disks applied in {elapsed:?}: {applies} Apply, {describes} DescribeDisks");
    let expected = count.div_ceil(100) as u64;
    assert_eq!(
        (applies, describes),
        (expected, expected),
        "one call per 100 disks"
    );
    chain.stop().await;
}
