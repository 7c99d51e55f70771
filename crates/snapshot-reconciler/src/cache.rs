//! Watch-driven caches of what each pass reads from the cluster: `VolumeSnapshotPolicy`s,
//! PVCs, PVs and the managed `VolumeSnapshot`s and contents (by the managed-by label).
//!
//! # Why
//! Listing all of them every `--poll-interval` costs five LISTs per pass, growing with the
//! cluster. The caches cost one LIST per kind when they start (paged) and then one open WATCH
//! per kind; a pass reads memory.
//!
//! # Read-your-writes
//! A cache learns of the reconciler's own writes a moment after they return. So that a pass
//! right after another one never acts on its predecessor's stale view (and re-creates what it
//! just created), each write leaves an [`Expectation`]; the next pass waits, at most
//! [`SETTLE_TIMEOUT`], until the caches show every one. A pass that stops waiting is still
//! safe: writes are idempotent ("already exists" and "not found" count as done).
//!
//! # Lifecycle
//! Started when a replica begins to lead, dropped (watches closed) when it stops.

use std::{
    collections::HashSet,
    fmt::Debug,
    sync::{Arc, Mutex},
    time::Duration,
};

use futures::{FutureExt, StreamExt};
use k8s_openapi::api::core::v1::{PersistentVolume, PersistentVolumeClaim};
use kube::{
    Api, Client, Resource,
    api::{ApiResource, DynamicObject},
    runtime::{WatchStreamExt, reflector, reflector::Store, watcher},
};
use serde::de::DeserializeOwned;
use tokio::{sync::Notify, task::JoinHandle, time::Instant};
use tracing::{debug, warn};

use crate::{
    ReconcilerError,
    objects::{self, HeldCopies, MANAGED_SELECTOR},
    policies,
};

/// Longest a pass waits for the caches to show the previous pass's writes.
pub const SETTLE_TIMEOUT: Duration = Duration::from_secs(10);

/// Longest a pass waits for the caches' first lists (paged; tens of thousands of objects take
/// a while); after it the pass fails, and the next one waits again while the lists go on.
pub const READY_TIMEOUT: Duration = Duration::from_secs(300);

/// What a successful write should make the caches show.
///
/// Creates and patches are matched by the exact version they wrote (UID and
/// `resourceVersion`, compared for equality only), so a later change by someone else, such as a
/// user deleting what was just created, cannot leave the expectation unmet. Deletions are
/// matched by state: a deleted object never comes back under the same copy key.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Expectation {
    /// A watch event carried this version of an object.
    Seen {
        uid: String,
        resource_version: String,
    },
    /// The `VolumeSnapshot` of copy `(snapshot ID, namespace)` is gone or terminating.
    SnapshotDeleted { key: (String, String) },
    /// The copy's content is gone, or terminating without the record finalizer.
    ContentRemoved { key: (String, String) },
}

impl Expectation {
    /// The version `object` (a write's response) carries, if it names one.
    pub fn seen(object: &DynamicObject) -> Option<Self> {
        Some(Expectation::Seen {
            uid: object.metadata.uid.clone()?,
            resource_version: object.metadata.resource_version.clone()?,
        })
    }

    /// Whether `held` and the versions `seen` show the write.
    fn met(&self, held: &HeldCopies, seen: &HashSet<(String, String)>) -> bool {
        match self {
            Expectation::Seen {
                uid,
                resource_version,
            } => seen.contains(&(uid.clone(), resource_version.clone())),
            Expectation::SnapshotDeleted { key } => held
                .get(key)
                .and_then(|c| c.snapshot.as_ref())
                .is_none_or(|s| s.terminating),
            Expectation::ContentRemoved { key } => held
                .get(key)
                .and_then(|c| c.content.as_ref())
                .is_none_or(|c| c.terminating && !c.finalized),
        }
    }
}

/// Versions `(uid, resourceVersion)` the watches delivered since the last
/// [`ClusterCache::forget_seen`].
type Seen = Arc<Mutex<HashSet<(String, String)>>>;

/// What one pass reads, taken from the caches.
#[derive(Debug)]
pub struct ClusterRead {
    pub policies: Vec<DynamicObject>,
    pub pvcs: Vec<Arc<PersistentVolumeClaim>>,
    pub pvs: Vec<Arc<PersistentVolume>>,
    pub held: HeldCopies,
}

/// The caches and the tasks that keep them filled; dropping it closes the watches.
pub struct ClusterCache {
    policies: Store<DynamicObject>,
    pvcs: Store<PersistentVolumeClaim>,
    pvs: Store<PersistentVolume>,
    snapshots: Store<DynamicObject>,
    contents: Store<DynamicObject>,
    changed: Arc<Notify>,
    seen: Seen,
    tasks: Vec<JoinHandle<()>>,
}

impl Drop for ClusterCache {
    fn drop(&mut self) {
        for task in &self.tasks {
            task.abort();
        }
    }
}

impl ClusterCache {
    /// Starts one watch per kind; [`ClusterCache::ready`] says when all have listed.
    pub fn start(client: &Client) -> Self {
        let changed = Arc::new(Notify::new());
        let seen = Seen::default();
        let mut tasks = Vec::new();
        let managed = || watcher::Config::default().labels(MANAGED_SELECTOR);
        let all = watcher::Config::default;
        let mut dynamic = |resource: ApiResource, config| {
            let api = Api::all_with(client.clone(), &resource);
            let (store, task) = spawn(api, resource, config, (&changed, &seen));
            tasks.push(task);
            store
        };
        let policies = dynamic(policies::api_resource(), all());
        let snapshots = dynamic(objects::volume_snapshot_resource(), managed());
        let contents = dynamic(objects::content_resource(), managed());
        let (pvcs, pvc_task) = spawn(Api::all(client.clone()), (), all(), (&changed, &seen));
        let (pvs, pv_task) = spawn(Api::all(client.clone()), (), all(), (&changed, &seen));
        tasks.extend([pvc_task, pv_task]);
        Self {
            policies,
            pvcs,
            pvs,
            snapshots,
            contents,
            changed,
            seen,
            tasks,
        }
    }

    /// Forgets the versions seen so far; called before a pass writes, so that what is kept
    /// stays bounded by one pass's events.
    pub fn forget_seen(&self) {
        lock(&self.seen).clear();
    }

    /// Waits, at most [`READY_TIMEOUT`], until every cache has completed its first list.
    ///
    /// # Errors
    /// [`ReconcilerError::CacheNotReady`] naming the kinds still not listed (their watch
    /// failures are logged at warn: a missing CRD, no permission).
    pub async fn ready(&self) -> Result<(), ReconcilerError> {
        let deadline = Instant::now() + READY_TIMEOUT;
        let waits = [
            (
                "VolumeSnapshotPolicies",
                self.policies.wait_until_ready().boxed(),
            ),
            (
                "PersistentVolumeClaims",
                self.pvcs.wait_until_ready().boxed(),
            ),
            ("PersistentVolumes", self.pvs.wait_until_ready().boxed()),
            ("VolumeSnapshots", self.snapshots.wait_until_ready().boxed()),
            (
                "VolumeSnapshotContents",
                self.contents.wait_until_ready().boxed(),
            ),
        ];
        let mut missing = Vec::new();
        for (kind, wait) in waits {
            if tokio::time::timeout_at(deadline, wait).await.is_err() {
                missing.push(kind);
            }
        }
        if missing.is_empty() {
            return Ok(());
        }
        Err(ReconcilerError::CacheNotReady {
            kinds: missing.join(", "),
            seconds: READY_TIMEOUT.as_secs(),
        })
    }

    /// The current contents, once they show every one of `expected` (or [`SETTLE_TIMEOUT`]
    /// passed).
    pub async fn read(&self, expected: &[Expectation]) -> Result<ClusterRead, ReconcilerError> {
        self.ready().await?;
        let deadline = Instant::now() + SETTLE_TIMEOUT;
        let held = loop {
            let changed = self.changed.notified();
            tokio::pin!(changed);
            changed.as_mut().enable();
            let held = self.held();
            let seen = lock(&self.seen).clone();
            let unmet = expected.iter().filter(|e| !e.met(&held, &seen)).count();
            if unmet == 0 {
                break held;
            }
            if Instant::now() >= deadline {
                debug!(
                    unmet,
                    "caches did not show every write of the last pass in time"
                );
                break held;
            }
            let _ = tokio::time::timeout_at(deadline, changed).await;
            // Let a burst of events land before indexing again.
            tokio::time::sleep(Duration::from_millis(20)).await;
        };
        Ok(ClusterRead {
            policies: self
                .policies
                .state()
                .iter()
                .map(|p| (**p).clone())
                .collect(),
            pvcs: self.pvcs.state(),
            pvs: self.pvs.state(),
            held,
        })
    }

    fn held(&self) -> HeldCopies {
        let snapshots = self.snapshots.state();
        let contents = self.contents.state();
        objects::index(
            snapshots.iter().map(Arc::as_ref),
            contents.iter().map(Arc::as_ref),
        )
    }
}

fn lock(seen: &Seen) -> std::sync::MutexGuard<'_, HashSet<(String, String)>> {
    seen.lock()
        .unwrap_or_else(std::sync::PoisonError::into_inner)
}

/// A reflector over `api` in its own task, recording every version it delivers in `seen` and
/// then waking `changed`.
fn spawn<K>(
    api: Api<K>,
    dyntype: <K as Resource>::DynamicType,
    config: watcher::Config,
    (changed, seen): (&Arc<Notify>, &Seen),
) -> (Store<K>, JoinHandle<()>)
where
    K: Resource + Clone + Debug + DeserializeOwned + Send + Sync + 'static,
    <K as Resource>::DynamicType: Clone + Eq + std::hash::Hash + Send + Sync,
{
    let kind = <K as Resource>::kind(&dyntype).into_owned();
    let writer = reflector::store::Writer::new(dyntype);
    let store = writer.as_reader();
    let stream = reflector(writer, watcher(api, config)).default_backoff();
    let changed = changed.clone();
    let seen = seen.clone();
    let task = tokio::spawn(stream.for_each(move |event| {
        match event {
            Ok(event) => {
                record(&seen, &event);
                changed.notify_waiters();
            }
            Err(e) => warn!(kind, error = %e, "watch failed; retrying with backoff"),
        }
        std::future::ready(())
    }));
    (store, task)
}

fn record<K: Resource>(seen: &Seen, event: &watcher::Event<K>) {
    let object = match event {
        watcher::Event::Apply(o) | watcher::Event::InitApply(o) | watcher::Event::Delete(o) => o,
        watcher::Event::Init | watcher::Event::InitDone => return,
    };
    let meta = object.meta();
    if let (Some(uid), Some(version)) = (&meta.uid, &meta.resource_version) {
        lock(seen).insert((uid.clone(), version.clone()));
    }
}
