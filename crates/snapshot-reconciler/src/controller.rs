//! The reconcile loop: while this replica leads, a full pass at once and every
//! `full_resync_interval`, an incremental pass every `poll_interval` in between.
//!
//! # Flow of one pass
//! 1. Read policies, PVCs, PVs and the managed `VolumeSnapshot`s and contents.
//! 2. Ask ECS what is new (incremental) or what exists (full; also what is gone).
//! 3. [`plan`](crate::plan::plan) the changes and [`apply`](crate::apply::Executor) them.
//!
//! # Caveats
//! Every pass lists the managed objects and the PVCs/PVs from the API server; that is a few
//! list calls per `poll_interval`, independent of ECS. A failed pass is retried at the next
//! tick (no hot loop); a failed full pass is repeated until one succeeds, since only a full
//! pass can tell what ECS deleted.

use std::{sync::Arc, time::Duration};

use k8s_openapi::api::core::v1::{PersistentVolume, PersistentVolumeClaim};
use kube::{
    Api, Client,
    api::{DynamicObject, ListParams},
};
use tokio::{sync::watch, time::Instant};
use tokio_util::sync::CancellationToken;
use tracing::{debug, error, info};

use snapshot_k8s::upstream::DeletionPolicy;

use crate::{
    ReconcilerError,
    apply::Executor,
    deletion::{self, SingleCopyPolicy},
    discovery::Discovery,
    ecs::SnapshotCatalog,
    metrics::Metrics,
    objects::{self, HeldCopies, MANAGED_SELECTOR},
    ownership::Ownership,
    plan::{self, Rules},
    policies,
};

/// What the loop needs besides its clients.
#[derive(Debug, Clone)]
pub struct Settings {
    /// `volumeSnapshotClassName` of every imported object.
    pub snapshot_class: String,
    /// Deletion policy of a snapshot's only copy when the class does not exist or names no
    /// known policy.
    pub default_deletion_policy: DeletionPolicy,
    /// CSI drivers whose volumes are managed disks.
    pub csi_drivers: Vec<String>,
    pub poll_interval: Duration,
    pub full_resync_interval: Duration,
}

/// What one pass did, for logs and tests.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct PassReport {
    pub full: bool,
    pub ecs_calls: u32,
    pub actions: usize,
    pub failed_writes: usize,
    pub dismissed: usize,
    pub waiting: usize,
}

/// The reconciler: discovery state plus the clients it acts through.
pub struct Reconciler<C> {
    client: Client,
    catalog: Arc<C>,
    settings: Settings,
    executor: Executor,
    metrics: Metrics,
    discovery: Discovery,
    /// The last pass's single-copy policy, so that a change is logged once.
    single_copy: Option<SingleCopyPolicy>,
}

/// What one pass read from the cluster.
struct ClusterView {
    ownership: Ownership,
    held: HeldCopies,
    single_copy: SingleCopyPolicy,
}

impl<C: SnapshotCatalog> Reconciler<C> {
    pub fn new(
        client: Client,
        catalog: Arc<C>,
        settings: Settings,
        executor: Executor,
        metrics: Metrics,
    ) -> Self {
        Self {
            client,
            catalog,
            settings,
            executor,
            metrics,
            discovery: Discovery::default(),
            single_copy: None,
        }
    }

    /// One pass; `full` forces a full pass (one also runs when none has succeeded yet).
    pub async fn pass(&mut self, full: bool) -> Result<PassReport, ReconcilerError> {
        let full = full || !self.discovery.is_primed();
        let kind = if full { "full" } else { "incremental" };
        let result = self.run_pass(full).await;
        self.metrics
            .passes
            .get_or_create(&Metrics::kind(kind))
            .inc();
        if result.is_err() {
            self.metrics
                .pass_failures
                .get_or_create(&Metrics::kind(kind))
                .inc();
        }
        result
    }

    async fn run_pass(&mut self, full: bool) -> Result<PassReport, ReconcilerError> {
        let ClusterView {
            ownership,
            held,
            single_copy,
        } = self.read_cluster().await?;
        single_copy.announce(&self.settings.snapshot_class, self.single_copy.as_ref());
        let rules = Rules {
            class: self.settings.snapshot_class.clone(),
            single_copy: single_copy.policy,
        };
        self.single_copy = Some(single_copy);
        let imported = held.keys().map(|(id, _)| id.clone()).collect();
        let observation = if full {
            self.discovery.full_pass(&*self.catalog, &imported).await?
        } else {
            self.discovery.incremental_pass(&*self.catalog).await?
        };
        self.metrics.ecs_calls.inc_by(u64::from(observation.calls));

        let planned = plan::plan(
            &observation.snapshots,
            &observation.gone,
            &ownership,
            &held,
            &rules,
        );
        if full {
            self.metrics.dismissed.set(planned.dismissed as i64);
            self.metrics.waiting.set(planned.waiting as i64);
        }
        let actions = planned.actions.len();
        let failed_writes = self.executor.apply(planned.actions).await;
        Ok(PassReport {
            full,
            ecs_calls: observation.calls,
            actions,
            failed_writes,
            dismissed: planned.dismissed,
            waiting: planned.waiting,
        })
    }

    async fn read_cluster(&self) -> Result<ClusterView, ReconcilerError> {
        let list = |what| move |source| ReconcilerError::KubeList { what, source };
        let all = ListParams::default();
        let managed = ListParams::default().labels(MANAGED_SELECTOR);
        let client = &self.client;

        let vsps: Api<DynamicObject> = Api::all_with(client.clone(), &policies::api_resource());
        let policies = vsps
            .list(&all)
            .await
            .map_err(list("VolumeSnapshotPolicies"))?;
        let pvcs = Api::<PersistentVolumeClaim>::all(client.clone())
            .list(&all)
            .await;
        let pvcs = pvcs.map_err(list("PersistentVolumeClaims"))?;
        let pvs = Api::<PersistentVolume>::all(client.clone())
            .list(&all)
            .await;
        let pvs = pvs.map_err(list("PersistentVolumes"))?;

        let snapshots: Api<DynamicObject> =
            Api::all_with(client.clone(), &objects::volume_snapshot_resource());
        let snapshots = snapshots
            .list(&managed)
            .await
            .map_err(list("VolumeSnapshots"))?;
        let contents: Api<DynamicObject> =
            Api::all_with(client.clone(), &objects::content_resource());
        let contents = contents
            .list(&managed)
            .await
            .map_err(list("VolumeSnapshotContents"))?;

        let classes: Api<DynamicObject> =
            Api::all_with(client.clone(), &deletion::class_resource());
        let class = classes
            .get_opt(&self.settings.snapshot_class)
            .await
            .map_err(list("VolumeSnapshotClasses"))?;

        let ownership = Ownership::build(
            policies::decode(policies.items),
            &pvcs.items,
            &pvs.items,
            &self.settings.csi_drivers,
        );
        let fallback = self.settings.default_deletion_policy;
        Ok(ClusterView {
            ownership,
            held: objects::index(&snapshots.items, &contents.items),
            single_copy: SingleCopyPolicy::resolve(class.as_ref(), fallback),
        })
    }

    /// Runs passes while `leader` says this replica leads, until `shutdown`.
    ///
    /// A closed `leader` channel means its last value is final (leader election disabled).
    pub async fn run(mut self, mut leader: watch::Receiver<bool>, shutdown: CancellationToken) {
        loop {
            if *leader.borrow_and_update() {
                info!("leading: importing snapshots");
                tokio::select! {
                    () = self.lead() => {}
                    () = leadership_lost(&mut leader) => {}
                    () = shutdown.cancelled() => return,
                }
                info!("no longer leading: standing by");
                self.discovery = Discovery::default();
            } else {
                tokio::select! {
                    changed = leader.changed() => if changed.is_err() {
                        shutdown.cancelled().await;
                        return;
                    },
                    () = shutdown.cancelled() => return,
                }
            }
        }
    }

    async fn lead(&mut self) {
        let mut next_full = Instant::now();
        loop {
            let full = Instant::now() >= next_full;
            match self.pass(full).await {
                Ok(report) => {
                    debug!(?report, "pass done");
                    if report.full {
                        next_full = Instant::now() + self.settings.full_resync_interval;
                    }
                }
                Err(e) => error!(error = %e, full, "pass failed; retrying at the next tick"),
            }
            tokio::time::sleep(self.settings.poll_interval).await;
        }
    }
}

/// Resolves when `leader` turns false; never when the channel closes while leading.
async fn leadership_lost(leader: &mut watch::Receiver<bool>) {
    loop {
        if leader.changed().await.is_err() {
            std::future::pending::<()>().await;
        }
        if !*leader.borrow_and_update() {
            return;
        }
    }
}
