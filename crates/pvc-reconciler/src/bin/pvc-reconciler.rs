//! `pvc-reconciler`: keeps each managed cloud disk on the ECS automatic snapshot policy of the
//! VolumeSnapshotPolicy that selects it. Flags and environment follow the chart's deployment
//! contract (`--help` lists them); the service wiring (admin port, leader election, shutdown)
//! is `controller_support::service`.

use std::sync::Arc;

use clap::Parser;
use controller_support::service::{self, ServiceArgs};
use pvc_reconciler::{
    args::ReconcilerArgs,
    controller::{self, default_backoff},
    metrics::Metrics,
};
use snapshot_k8s::managed::DiskDrivers;

/// Applies and cancels ECS automatic snapshot policies on the cloud disks behind the PVCs that
/// VolumeSnapshotPolicies select, repairs drift, and reports conflicts and foreign policies.
#[derive(Debug, Parser)]
#[command(name = "pvc-reconciler", version)]
struct Args {
    #[command(flatten)]
    service: ServiceArgs,
    #[command(flatten)]
    reconciler: ReconcilerArgs,
}

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    let Args {
        service,
        reconciler,
    } = Args::parse();
    service::run("pvc-reconciler", service, |wiring| {
        let ctx = Arc::new(controller::Context {
            events: wiring.events(),
            client: wiring.client,
            gateway: Arc::new(wiring.gateway),
            region: wiring.controller.region,
            cluster: wiring.controller.cluster_id,
            default_zone: wiring.controller.default_time_zone,
            drivers: DiskDrivers::new(wiring.controller.csi_drivers),
            metrics: Metrics::register(wiring.registry),
            settings: reconciler,
            backoff: default_backoff(),
        });
        move |token| controller::run(ctx.clone(), token)
    })
    .await?;
    Ok(())
}
