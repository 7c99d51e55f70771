//! The loop: watch PVCs, PVs and VSPs into caches, and run a pass after each burst of changes,
//! on every resync period, and after a failure (with backoff).
//!
//! # Triggers
//! Any watch event (a PVC created, bound, relabelled or deleted; a PV appearing or going; a
//! VSP created, re-selected, deleted, or its ECS policy ID appearing in status) wakes the loop;
//! events arriving within `--batch-delay` share one pass. Because a pass compares the whole
//! desired map with the last one, an event that changes nothing costs no ECS call.
//!
//! Runs only while this replica leads; a new leadership term starts with empty memory and a
//! full pass.

use std::{collections::BTreeMap, sync::Arc, time::Duration};

use controller_support::{
    backoff::{BackoffConfig, PerObjectBackoff},
    events::EventPublisher,
    gateway::Gateway,
};
use futures::StreamExt;
use k8s_openapi::api::core::v1::{PersistentVolume, PersistentVolumeClaim};
use kube::{
    Api, Client, Resource, ResourceExt,
    runtime::{WatchStreamExt, reflector, reflector::Store, watcher},
};
use snapshot_domain::{ecs_naming::ClusterId, schedule::ScheduleZone};
use snapshot_k8s::{managed::DiskDrivers, vsp::VolumeSnapshotPolicy};
use tokio::{sync::Notify, time::Instant};
use tokio_util::sync::CancellationToken;
use tracing::{error, info, warn};

use crate::{
    args::ReconcilerArgs,
    desired::{self, Desired, PvcRef},
    ecs::EcsDisks,
    metrics::Metrics,
    pass::{PassReport, Reconciler},
    plan::{DiskState, Rules},
    report::{self, Announcer},
};

/// Everything the loop needs.
pub struct Context {
    pub client: Client,
    pub gateway: Arc<Gateway>,
    pub region: String,
    pub cluster: ClusterId,
    pub default_zone: ScheduleZone,
    pub drivers: DiskDrivers,
    pub events: EventPublisher,
    pub metrics: Metrics,
    pub settings: ReconcilerArgs,
    pub backoff: BackoffConfig,
}

struct Stores {
    vsps: Store<VolumeSnapshotPolicy>,
    pvcs: Store<PersistentVolumeClaim>,
    pvs: Store<PersistentVolume>,
}

/// Runs until `token` is cancelled.
pub async fn run(ctx: Arc<Context>, token: CancellationToken) {
    let changed = Arc::new(Notify::new());
    let stores = Stores {
        vsps: watch::<VolumeSnapshotPolicy>(&ctx.client, &changed, &token),
        pvcs: watch::<PersistentVolumeClaim>(&ctx.client, &changed, &token),
        pvs: watch::<PersistentVolume>(&ctx.client, &changed, &token),
    };
    let ready = async {
        let _ = stores.vsps.wait_until_ready().await;
        let _ = stores.pvcs.wait_until_ready().await;
        let _ = stores.pvs.wait_until_ready().await;
    };
    tokio::select! {
        () = token.cancelled() => return,
        () = ready => info!("caches of VSPs, PVCs and PVs are ready"),
    }

    let rules = Rules {
        mode: ctx.settings.ecs_account_mode,
        take_over: ctx.settings.take_over_foreign_policies,
    };
    let ecs = EcsDisks::new(ctx.gateway.clone(), ctx.region.clone(), ctx.metrics.clone());
    let mut reconciler = Reconciler::new(ecs, ctx.cluster.clone(), rules);
    let backoff = PerObjectBackoff::new(ctx.backoff);
    let mut next_full = Instant::now();
    let mut retry_at: Option<Instant> = None;

    loop {
        let wake = retry_at.map_or(next_full, |r| r.min(next_full));
        tokio::select! {
            () = token.cancelled() => return,
            () = changed.notified() => {}
            () = tokio::time::sleep_until(wake) => {}
        }
        tokio::select! {
            () = token.cancelled() => return,
            () = tokio::time::sleep(ctx.settings.batch_delay) => {}
        }

        let full = Instant::now() >= next_full;
        let started = Instant::now();
        let outcome = one_pass(&ctx, &stores, &mut reconciler, full).await;
        let seconds = started.elapsed().as_secs_f64();
        match outcome {
            Ok(()) => {
                ctx.metrics.reconcile.ok(seconds);
                backoff.reset(&"pass");
                retry_at = None;
                if full {
                    next_full = started + ctx.settings.resync_period;
                }
            }
            Err(e) => {
                ctx.metrics.reconcile.failed(e.class(), seconds);
                let delay = backoff.next_delay(&"pass", e.class(), None);
                warn!(error = %e, retry_in = ?delay, "pass failed; retrying");
                retry_at = Some(Instant::now() + delay);
            }
        }
    }
}

async fn one_pass(
    ctx: &Context,
    stores: &Stores,
    reconciler: &mut Reconciler,
    full: bool,
) -> Result<(), crate::ReconcilerError> {
    let vsps = stores.vsps.state();
    let pvcs = stores.pvcs.state();
    let pvs = stores.pvs.state();
    let pv_index: BTreeMap<String, &PersistentVolume> =
        pvs.iter().map(|pv| (pv.name_any(), pv.as_ref())).collect();
    let desired = desired::compute(
        vsps.iter().map(AsRef::as_ref),
        pvcs.iter().map(AsRef::as_ref),
        &pv_index,
        &ctx.drivers,
        &ctx.default_zone,
        snapshot_domain::Timestamp::now(),
    );

    let mut report = reconciler.pass(&desired, full).await;
    announce(ctx, &desired, &vsps, &pvcs, &report).await;
    record_metrics(ctx, &desired, reconciler.states(), &report);

    let written = report::write_statuses(&ctx.client, &vsps, &desired, reconciler.states()).await;
    if let Err(e) = &written {
        error!(error = %e, "cannot write VSP status");
    }
    match report.error.take() {
        Some(e) => Err(e),
        None => written,
    }
}

async fn announce(
    ctx: &Context,
    desired: &Desired,
    vsps: &[Arc<VolumeSnapshotPolicy>],
    pvcs: &[Arc<PersistentVolumeClaim>],
    report: &PassReport,
) {
    let pvcs: BTreeMap<PvcRef, Arc<PersistentVolumeClaim>> = pvcs
        .iter()
        .map(|p| {
            let key = PvcRef {
                namespace: p.namespace().unwrap_or_default(),
                name: p.name_any(),
            };
            (key, p.clone())
        })
        .collect();
    let vsps: BTreeMap<String, Arc<VolumeSnapshotPolicy>> =
        vsps.iter().map(|v| (v.name_any(), v.clone())).collect();
    let announcer = Announcer {
        events: &ctx.events,
        pvcs: &pvcs,
        vsps: &vsps,
        desired,
    };
    announcer.announce(report).await;
}

fn record_metrics(
    ctx: &Context,
    desired: &Desired,
    states: &BTreeMap<String, DiskState>,
    report: &PassReport,
) {
    let mut counts: BTreeMap<DiskState, usize> = BTreeMap::new();
    for state in states.values() {
        *counts.entry(*state).or_default() += 1;
    }
    ctx.metrics.set_disks(&counts);
    ctx.metrics.set_unmanaged(&desired.unmanaged);
    let conflicts = desired.disks.values().map(|d| d.losers.len()).sum();
    ctx.metrics.set_conflicts(conflicts);
    ctx.metrics.drift_repaired(report.drift_repaired);
}

/// A reflector over every object of kind `K`, waking `changed` on each event, stopped by
/// `token`.
fn watch<K>(client: &Client, changed: &Arc<Notify>, token: &CancellationToken) -> Store<K>
where
    K: Resource<DynamicType = ()>
        + Clone
        + std::fmt::Debug
        + serde::de::DeserializeOwned
        + Send
        + Sync
        + 'static,
{
    let (reader, writer) = reflector::store();
    let api: Api<K> = Api::all(client.clone());
    let stream = reflector(writer, watcher(api, watcher::Config::default())).default_backoff();
    let changed = changed.clone();
    let token = token.clone();
    tokio::spawn(async move {
        let events = stream.for_each(|event| {
            match event {
                Ok(_) => changed.notify_one(),
                Err(e) => warn!(kind = %K::kind(&()), error = %e, "watch failed; retrying"),
            }
            std::future::ready(())
        });
        tokio::select! {
            () = token.cancelled() => {}
            () = events => {}
        }
    });
    reader
}

/// Backoff suited to a whole-cluster pass: quick retries after a blip, capped at 5 minutes.
pub fn default_backoff() -> BackoffConfig {
    BackoffConfig {
        soon: Duration::from_secs(1),
        later: Duration::from_secs(30),
        permanent: Duration::from_secs(300),
        max: Duration::from_secs(300),
    }
}
