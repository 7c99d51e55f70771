//! The reconcile loop: while this replica leads, a full pass at once and every
//! `full_resync_interval`, an incremental pass every `poll_interval` in between.
//!
//! # Flow of one pass
//! 1. Read policies, PVCs, PVs and the managed `VolumeSnapshot`s and contents from the watch
//!    caches ([`crate::cache`]; started on the first pass while leading), and the class.
//! 2. Ask ECS what is new and whether the snapshots [`crate::expiry`] suspects still exist
//!    (incremental), or what exists (full; also what is gone).
//! 3. [`plan`](crate::plan::plan) the changes and [`apply`](crate::apply::Executor) them.
//!
//! # Caveats
//! Kubernetes reads cost one LIST and one WATCH per kind when a replica starts leading, then
//! one GET of the class per pass. A failed pass is retried at the next
//! tick (no hot loop); a failed full pass is repeated until one succeeds, since only a full
//! pass can tell what ECS deleted.

use std::{sync::Arc, time::Duration};

use jiff::Timestamp;
use kube::{Api, Client, api::DynamicObject};
use tokio::{sync::watch, time::Instant};
use tokio_util::sync::CancellationToken;
use tracing::{debug, error, info};

use snapshot_domain::schedule::ScheduleZone;
use snapshot_k8s::upstream::DeletionPolicy;

use crate::{
    ReconcilerError,
    apply::Executor,
    cache::{ClusterCache, Expectation},
    deletion::{self, SingleCopyPolicy},
    discovery::Discovery,
    ecs::SnapshotCatalog,
    expiry,
    metrics::Metrics,
    objects::HeldCopies,
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
    /// Zone of a policy's hours when it names none: part of whether a policy is valid.
    pub default_zone: ScheduleZone,
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
    /// Watch caches, started on the first pass while leading.
    cache: Option<ClusterCache>,
    /// What the last pass wrote, for the next read to wait for.
    expected: Vec<Expectation>,
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
            cache: None,
            expected: Vec::new(),
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
            let suspects = expiry::suspects(&held, &ownership, Timestamp::now());
            let catalog = &*self.catalog;
            self.discovery.incremental_pass(catalog, &suspects).await?
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
        if let Some(cache) = &self.cache {
            cache.forget_seen();
        }
        let applied = self.executor.apply(planned.actions).await;
        let failed_writes = applied.failed.len();
        self.expected = applied.expected;
        Ok(PassReport {
            full,
            ecs_calls: observation.calls,
            actions,
            failed_writes,
            dismissed: planned.dismissed,
            waiting: planned.waiting,
        })
    }

    async fn read_cluster(&mut self) -> Result<ClusterView, ReconcilerError> {
        let client = self.client.clone();
        let cache = self
            .cache
            .get_or_insert_with(|| ClusterCache::start(&client));
        let read = cache.read(&self.expected).await?;

        let classes: Api<DynamicObject> = Api::all_with(client, &deletion::class_resource());
        let class = classes
            .get_opt(&self.settings.snapshot_class)
            .await
            .map_err(|source| ReconcilerError::KubeList {
                what: "VolumeSnapshotClasses",
                source,
            })?;

        let ownership = Ownership::build(
            policies::decode(read.policies),
            read.pvcs.iter().map(Arc::as_ref),
            read.pvs.iter().map(Arc::as_ref),
            &self.settings.csi_drivers,
            (&self.settings.default_zone, Timestamp::now()),
        );
        let fallback = self.settings.default_deletion_policy;
        Ok(ClusterView {
            ownership,
            held: read.held,
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
                self.cache = None;
                self.expected.clear();
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
