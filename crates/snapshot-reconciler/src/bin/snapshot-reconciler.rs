//! The `snapshot-reconciler` binary: its flags and how its reconciler is built; the behaviour
//! lives in the library and the service wiring (admin port, leader election, shutdown) in
//! `controller_support::service`.

use std::sync::Arc;

use clap::Parser;
use controller_support::service::{self, ServiceArgs};
use snapshot_reconciler::{
    apply::Executor,
    args::Args,
    controller::{Reconciler, Settings},
    ecs::GatewayCatalog,
    events::Events,
    metrics::Metrics,
};
use tokio::sync::watch;
use tracing::info;

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
    let service = ServiceArgs {
        log,
        admin,
        kube,
        leader,
        controller,
    };

    service::run("snapshot-reconciler", service, |wiring| {
        info!(
            snapshot_class,
            "importing snapshots as VolumeSnapshots of this class"
        );
        let metrics = Metrics::register(wiring.registry);
        let events = Events::new(wiring.client.clone(), wiring.identity());
        let region = &wiring.controller.region;
        let catalog = Arc::new(GatewayCatalog::new(Arc::new(wiring.gateway), region));
        let executor = Executor::new(wiring.client.clone(), metrics.clone(), events);
        let settings = Settings {
            snapshot_class,
            default_deletion_policy,
            csi_drivers: wiring.controller.csi_drivers,
            default_zone: wiring.controller.default_time_zone,
            poll_interval,
            full_resync_interval,
        };
        let client = wiring.client;

        // A fresh reconciler per period of leadership: a new leader starts from a full pass.
        move |token| {
            let reconciler = Reconciler::new(
                client.clone(),
                catalog.clone(),
                settings.clone(),
                executor.clone(),
                metrics.clone(),
            );
            // Leadership is decided outside; a closed watch at `true` means "lead until
            // the token is cancelled".
            let (_, leading) = watch::channel(true);
            reconciler.run(leading, token)
        }
    })
    .await?;
    Ok(())
}
