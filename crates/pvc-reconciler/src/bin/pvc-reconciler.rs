//! `pvc-reconciler`: keeps each managed cloud disk on the ECS automatic snapshot policy of the
//! VolumeSnapshotPolicy that selects it. Flags and environment follow the chart's deployment
//! contract; `--help` lists them.

use std::sync::Arc;

use anyhow::Context as _;
use clap::Parser;
use controller_support::{
    args::ControllerArgs, events::EventPublisher, gateway::Gateway, leader::run_while_leader,
};
use pvc_reconciler::{
    args::ReconcilerArgs,
    controller::{self, default_backoff},
    metrics::Metrics,
};
use service_runtime::{
    Readiness, Registry,
    admin::AdminServer,
    args::{AdminArgs, KubeArgs, LeaderElectionArgs, LogArgs},
    leader::{LeaderElection, LeaderMetrics},
    shutdown::Shutdown,
};
use snapshot_k8s::managed::DiskDrivers;

/// Applies and cancels ECS automatic snapshot policies on the cloud disks behind the PVCs that
/// VolumeSnapshotPolicies select, repairs drift, and reports conflicts and foreign policies.
#[derive(Debug, Parser)]
#[command(name = "pvc-reconciler", version)]
struct Args {
    #[command(flatten)]
    log: LogArgs,
    #[command(flatten)]
    admin: AdminArgs,
    #[command(flatten)]
    kube: KubeArgs,
    #[command(flatten)]
    leader: LeaderElectionArgs,
    #[command(flatten)]
    controller: ControllerArgs,
    #[command(flatten)]
    reconciler: ReconcilerArgs,
}

const NAME: &str = "pvc-reconciler";

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    let Args {
        log,
        admin,
        kube,
        leader,
        controller,
        reconciler,
    } = Args::parse();
    service_runtime::logging::init(&log)?;
    // Both kube and tonic use rustls with ring; make it the process default once.
    let _ = rustls::crypto::ring::default_provider().install_default();

    let shutdown = Shutdown::on_signals(admin.drain_timeout)?;
    let mut registry = Registry::with_prefix("ssm");
    let leader_metrics = LeaderMetrics::register(&mut registry);
    let metrics = Metrics::register(&mut registry);
    let readiness = Readiness::new();
    let server = AdminServer::bind(admin.admin_addr).await?;
    let serving = tokio::spawn(server.serve(registry, readiness.clone(), shutdown.token()));

    let client = service_runtime::kube_client::client(&kube).await?;
    let gateway = Gateway::open(&controller.gateway).context("opening the gateway connection")?;
    let ctx = Arc::new(controller::Context {
        events: EventPublisher::new(client.clone(), NAME, leader.leader_identity.clone()),
        client: client.clone(),
        gateway: Arc::new(gateway),
        region: controller.region,
        cluster: controller.cluster_id,
        default_zone: controller.default_time_zone,
        drivers: DiskDrivers::new(controller.csi_drivers),
        metrics,
        settings: reconciler,
        backoff: default_backoff(),
    });

    let election =
        LeaderElection::start(client, &leader, NAME, leader_metrics, shutdown.token()).await?;
    // A standby is healthy and ready: it only waits for the Lease.
    readiness.set(true);
    let work = run_while_leader(election.subscribe(), shutdown.token(), |token| {
        controller::run(ctx.clone(), token)
    });
    shutdown.drain(work).await?;
    election.stopped().await;
    shutdown.trigger();
    serving.await??;
    Ok(())
}
