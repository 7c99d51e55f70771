//! `policy-listener`: VolumeSnapshotPolicy → ECS automatic snapshot policy, one-off snapshots,
//! VSP status. Flags and environment follow the chart's deployment contract; the service
//! wiring (admin port, leader election, shutdown) is `controller_support::service`.

use std::sync::Arc;

use clap::Parser;
use controller_support::{
    backoff::PerObjectBackoff,
    service::{self, ServiceArgs},
};
use policy_listener::{args::TimingArgs, clock::SystemClock, controller, metrics::Metrics};
use snapshot_k8s::managed::DiskDrivers;

/// Keeps one ECS automatic snapshot policy per scheduled VolumeSnapshotPolicy, takes the
/// one-off snapshots of repeatOnce policies, and reports both in the policies' status.
#[derive(Debug, Parser)]
#[command(name = "policy-listener", version)]
struct Args {
    #[command(flatten)]
    service: ServiceArgs,
    #[command(flatten)]
    timing: TimingArgs,
}

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    let Args { service, timing } = Args::parse();
    service::run("policy-listener", service, |wiring| {
        let ctx = Arc::new(controller::Context {
            events: wiring.events(),
            client: wiring.client,
            gateway: wiring.gateway,
            region: wiring.controller.region,
            cluster: wiring.controller.cluster_id,
            default_zone: wiring.controller.default_time_zone,
            drivers: DiskDrivers::new(wiring.controller.csi_drivers),
            backoff: PerObjectBackoff::default(),
            metrics: Metrics::register(wiring.registry),
            clock: Arc::new(SystemClock),
            timing,
        });
        move |token| controller::run(ctx.clone(), token)
    })
    .await?;
    Ok(())
}
