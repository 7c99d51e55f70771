//! Gateway overhead and throughput, measured against the in-process ECS simulator.
//!
//! Run: `cargo bench -p ecs-gateway --bench overhead` (add `--profile dev` on machines where
//! optimized builds are not allowed). Prints a Markdown table for BENCHMARKS.md.
//!
//! 1. Latency: the same DescribeDisks call made sequentially, directly with `ecs_client` and
//!    through the gateway (tonic client, mutual TLS, authorization, admission, retries layer),
//!    in the same run; the difference of the percentiles is the gateway's overhead.
//! 2. Throughput at saturation: concurrent callers for a fixed time, direct and through the
//!    gateway, with rate limits set far above what the machine can do.

#[path = "../tests/common/mod.rs"]
mod common;

use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, Instant};

use common::{ADMIN, Harness, Options, REGION};
use ecs_gateway::limiter::LimitsConfig;
use ecs_gateway_api::v1;

const SEQUENTIAL_CALLS: usize = 1000;
const WARMUP_CALLS: usize = 100;
const CONCURRENCY: usize = 32;
const SATURATION_TIME: Duration = Duration::from_secs(5);

#[tokio::main(flavor = "multi_thread")]
async fn main() {
    let options = Options {
        limits: unlimited(),
        ..Options::default()
    };
    let harness = Harness::start_with(options).await;
    let direct = common::ecs_client(&harness.sim);
    let gateway = harness.client(ADMIN).await;

    let direct_latency = latencies(|| {
        let client = direct.clone();
        async move {
            client
                .execute(&describe_disks_action())
                .await
                .map(|_| ())
                .is_ok()
        }
    })
    .await;
    let gateway_latency = latencies(|| {
        let mut client = gateway.clone();
        async move { client.describe_disks(describe_disks()).await.is_ok() }
    })
    .await;

    let direct_rate = saturate(move || {
        let client = direct.clone();
        async move { client.execute(&describe_disks_action()).await.is_ok() }
    })
    .await;
    let gateway_rate = saturate(move || {
        let mut client = gateway.clone();
        async move { client.describe_disks(describe_disks()).await.is_ok() }
    })
    .await;

    report(&direct_latency, &gateway_latency, direct_rate, gateway_rate);
}

fn unlimited() -> LimitsConfig {
    LimitsConfig {
        account_rate: 1_000_000.0,
        account_burst: 1_000_000,
        default_action_rate: 1_000_000.0,
        action_rates: Default::default(),
        queue_capacity: 100_000,
        ..LimitsConfig::default()
    }
}

fn describe_disks_action() -> ecs_client::actions::DescribeDisks {
    ecs_client::actions::DescribeDisks::new(REGION)
}

fn describe_disks() -> v1::DescribeDisksRequest {
    v1::DescribeDisksRequest {
        region_id: REGION.into(),
        ..Default::default()
    }
}

/// Sequential call latencies in microseconds, sorted, after a warm-up.
async fn latencies<F, Fut>(mut call: F) -> Vec<u64>
where
    F: FnMut() -> Fut,
    Fut: Future<Output = bool>,
{
    for _ in 0..WARMUP_CALLS {
        assert!(call().await, "warm-up call failed");
    }
    let mut samples = Vec::with_capacity(SEQUENTIAL_CALLS);
    for _ in 0..SEQUENTIAL_CALLS {
        let started = Instant::now();
        assert!(call().await, "measured call failed");
        samples.push(u64::try_from(started.elapsed().as_micros()).unwrap_or(u64::MAX));
    }
    samples.sort_unstable();
    samples
}

/// Successful calls per second with [`CONCURRENCY`] callers for [`SATURATION_TIME`].
async fn saturate<F, Fut>(call: F) -> f64
where
    F: Fn() -> Fut + Send + Sync + 'static,
    Fut: Future<Output = bool> + Send,
{
    let call = Arc::new(call);
    let done = Arc::new(AtomicU64::new(0));
    let failed = Arc::new(AtomicU64::new(0));
    let started = Instant::now();
    let workers = (0..CONCURRENCY).map(|_| {
        let (call, done, failed) = (Arc::clone(&call), Arc::clone(&done), Arc::clone(&failed));
        tokio::spawn(async move {
            while started.elapsed() < SATURATION_TIME {
                let counter = if call().await { &done } else { &failed };
                counter.fetch_add(1, Ordering::Relaxed);
            }
        })
    });
    for worker in futures::future::join_all(workers).await {
        worker.unwrap();
    }
    assert_eq!(
        failed.load(Ordering::Relaxed),
        0,
        "calls failed under saturation"
    );
    done.load(Ordering::Relaxed) as f64 / started.elapsed().as_secs_f64()
}

fn percentile(sorted: &[u64], p: f64) -> u64 {
    let index = ((sorted.len() as f64 - 1.0) * p).round() as usize;
    sorted[index]
}

fn report(direct: &[u64], gateway: &[u64], direct_rate: f64, gateway_rate: f64) {
    println!("| path | p50 | p99 | throughput ({CONCURRENCY} callers) |");
    println!("|---|---|---|---|");
    for (name, samples, rate) in [
        ("direct ecs_client → simulator", direct, direct_rate),
        ("through the gateway", gateway, gateway_rate),
    ] {
        let (p50, p99) = (percentile(samples, 0.50), percentile(samples, 0.99));
        println!("| {name} | {p50} µs | {p99} µs | {rate:.0} calls/s |");
    }
    let p50 = percentile(gateway, 0.50).saturating_sub(percentile(direct, 0.50));
    let p99 = percentile(gateway, 0.99).saturating_sub(percentile(direct, 0.99));
    println!("| gateway overhead | {p50} µs | {p99} µs | |");
    let calls = SEQUENTIAL_CALLS;
    println!("\n{calls} sequential DescribeDisks calls per path after {WARMUP_CALLS} warm-ups.");
}
