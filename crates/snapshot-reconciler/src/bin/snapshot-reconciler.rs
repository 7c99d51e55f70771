//! The `snapshot-reconciler` binary: wiring only; the behaviour lives in the library.

use std::sync::Arc;

use anyhow::Context;
use clap::Parser;
use controller_support::gateway::Gateway;
use service_runtime::{
    Readiness, Registry, admin::AdminServer, leader::LeaderElection, leader::LeaderMetrics,
    shutdown::Shutdown,
};
use snapshot_reconciler::{
    apply::Executor,
    args::Args,
    controller::{Reconciler, Settings},
    ecs::GatewayCatalog,
    events::Events,
    metrics::Metrics,
};
use tracing::info;

const SERVICE: &str = "snapshot-reconciler";

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    let Args {
        snapshot_class,
        default_deletion_policy,
        poll_interval,
        full_resync_interval,
        controller,
        kube,
        leader,
        log,
        admin,
    } = Args::parse();
    service_runtime::logging::init(&log)?;
    info!(
        cluster_id = controller.cluster_id.as_str(),
        region = controller.region,
        snapshot_class,
        default_time_zone = ?controller.default_time_zone,
        "starting {SERVICE}"
    );

    let shutdown = Shutdown::on_signals(admin.drain_timeout)?;
    let mut registry = Registry::with_prefix("ssm");
    let metrics = Metrics::register(&mut registry);
    let leader_metrics = LeaderMetrics::register(&mut registry);
    let readiness = Readiness::new();
    let server = AdminServer::bind(admin.admin_addr).await?;
    // Spawned, not merely created: probes and scrapes must be answered from the start, not
    // only once shutdown begins.
    let serving = tokio::spawn(server.serve(registry, readiness.clone(), shutdown.token()));

    let client = service_runtime::kube_client::client(&kube).await?;
    let gateway = Gateway::open(&controller.gateway).context("gateway connection")?;
    let catalog = Arc::new(GatewayCatalog::new(Arc::new(gateway), &controller.region));
    let events = Events::new(client.clone(), leader.leader_identity.clone());
    let executor = Executor::new(client.clone(), metrics.clone(), events);
    let settings = Settings {
        snapshot_class,
        default_deletion_policy,
        csi_drivers: controller.csi_drivers,
        poll_interval,
        full_resync_interval,
    };
    let election = LeaderElection::start(
        client.clone(),
        &leader,
        SERVICE,
        leader_metrics,
        shutdown.token(),
    )
    .await?;
    let reconciler = Reconciler::new(client, catalog, settings, executor, metrics);
    let running = tokio::spawn(reconciler.run(election.subscribe(), shutdown.token()));
    readiness.set(true);

    shutdown.triggered().await;
    readiness.set(false);
    let admin_task = shutdown
        .drain(async {
            let _ = running.await;
            election.stopped().await;
            serving.await
        })
        .await?;
    admin_task.context("admin server task")??;
    info!("{SERVICE} stopped");
    Ok(())
}
