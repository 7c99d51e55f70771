//! Carries out a [`Plan`](crate::plan::Plan) against the Kubernetes API.
//!
//! # Guarantees
//! - Idempotent: "already exists" on create and "not found" on delete count as done, so a
//!   replica that restarts in the middle of an import wave, or a second replica that led
//!   briefly, never makes a duplicate (names are deterministic).
//! - One failed write does not stop the others; it is logged at error, counted, and retried on
//!   the next pass because the plan is recomputed from what the cluster holds.
//! - Only objects the reconciler created are deleted: plans are built from objects carrying
//!   the managed-by label.
//! - Patches that make a content `Retain` ([`Action::protects`]) finish before any other
//!   write, and a snapshot whose patch failed gets no new copy in that pass: a second copy
//!   never appears while another copy of the same snapshot would still delete it.
//! - At most [`EVENTS_PER_PASS`] Events per pass: the first pass after start-up may import
//!   thousands of copies, and one Event each would flood the API server; the rest are logged.

use std::collections::BTreeSet;

use controller_support::reasons;
use futures::{StreamExt, stream};
use jiff::Timestamp;
use kube::{
    Api, Client,
    api::{DeleteParams, DynamicObject, Patch, PatchParams, PostParams},
};
use serde_json::json;
use snapshot_k8s::upstream::DeletionPolicy;
use tracing::{error, info, warn};

use crate::{
    ReconcilerError,
    cache::Expectation,
    deletion,
    events::Events,
    metrics::Metrics,
    objects::{CopySpec, FINALIZER_IMPORT_RECORD, content_resource, volume_snapshot_resource},
    plan::Action,
};

/// Copies written at once: start-up imports of thousands of copies finish in reasonable time
/// without bursting the API server (each copy's two writes stay in order).
pub const CONCURRENT_WRITES: usize = 8;

/// Most Events one pass publishes.
pub const EVENTS_PER_PASS: usize = 50;

/// The outcome of applying a plan.
#[derive(Debug, Default)]
pub struct Applied {
    /// Actions that failed, or were held back because a protective patch failed.
    pub failed: Vec<Action>,
    /// What the caches will show of the writes that were made.
    pub expected: Vec<Expectation>,
}

/// Writes plans; cheap to clone.
#[derive(Clone)]
pub struct Executor {
    client: Client,
    metrics: Metrics,
    events: Events,
}

impl std::fmt::Debug for Executor {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Executor").finish_non_exhaustive()
    }
}

impl Executor {
    pub fn new(client: Client, metrics: Metrics, events: Events) -> Self {
        Self {
            client,
            metrics,
            events,
        }
    }

    /// Applies every action, [`CONCURRENT_WRITES`] at a time, protective patches first.
    pub async fn apply(&self, actions: Vec<Action>) -> Applied {
        let (protect, rest): (Vec<Action>, Vec<Action>) =
            actions.into_iter().partition(Action::protects);
        let mut applied = self.apply_all(protect, 0).await;
        let unprotected: BTreeSet<String> = applied
            .failed
            .iter()
            .map(|a| a.snapshot_id().to_owned())
            .collect();

        let (held_back, rest): (Vec<Action>, Vec<Action>) = rest.into_iter().partition(|a| {
            matches!(a, Action::Import { .. }) && unprotected.contains(a.snapshot_id())
        });
        for action in &held_back {
            warn!(
                snapshot = action.snapshot_id(),
                "new copy held back: another copy could not be made Retain"
            );
        }
        let more = self.apply_all(rest, EVENTS_PER_PASS).await;
        applied.failed.extend(more.failed);
        applied.failed.extend(held_back);
        applied.expected.extend(more.expected);
        applied
    }

    /// Applies `actions` concurrently; announces the first `announce` of them.
    async fn apply_all(&self, actions: Vec<Action>, announce: usize) -> Applied {
        let results: Vec<Result<Vec<Expectation>, Action>> =
            stream::iter(actions.into_iter().enumerate())
                .map(|(i, action)| async move {
                    match self.apply_one(action.clone(), i < announce).await {
                        Ok(expected) => Ok(expected),
                        Err(e) => {
                            error!(error = %e, "write failed; retried on the next pass");
                            self.metrics.write_failures.inc();
                            Err(action)
                        }
                    }
                })
                .buffer_unordered(CONCURRENT_WRITES)
                .collect()
                .await;

        let mut applied = Applied::default();
        for result in results {
            match result {
                Ok(expected) => applied.expected.extend(expected),
                Err(action) => applied.failed.push(action),
            }
        }
        applied
    }

    /// Makes the action's writes; returns what the caches will show of them.
    async fn apply_one(
        &self,
        action: Action,
        announce: bool,
    ) -> Result<Vec<Expectation>, ReconcilerError> {
        let deleted = action.deleted();
        match action {
            Action::Import {
                copy,
                with_snapshot,
                created_at,
            } => {
                self.import(&copy, with_snapshot, created_at, announce)
                    .await
            }
            Action::DeleteSnapshot {
                snapshot_id,
                namespace,
            } => {
                self.delete_snapshot(&snapshot_id, &namespace, announce)
                    .await?;
                Ok(deleted.into_iter().collect())
            }
            Action::RemoveContent {
                name,
                deleting,
                finalized,
                ..
            } => {
                self.remove_content(&name, deleting, finalized).await?;
                Ok(deleted.into_iter().collect())
            }
            Action::SetDeletionPolicy {
                content, policy, ..
            } => self.set_deletion_policy(&content, policy).await,
        }
    }

    async fn set_deletion_policy(
        &self,
        name: &str,
        policy: DeletionPolicy,
    ) -> Result<Vec<Expectation>, ReconcilerError> {
        let api: Api<DynamicObject> = Api::all_with(self.client.clone(), &content_resource());
        let policy = deletion::as_str(policy);
        let patch = json!({"spec": {"deletionPolicy": policy}});
        let patched = api
            .patch(name, &PatchParams::default(), &Patch::Merge(&patch))
            .await;
        let patched = match patched {
            Ok(patched) => patched,
            Err(e) if is_status(&e, 404) => return Ok(Vec::new()),
            Err(source) => {
                return Err(ReconcilerError::KubeWrite {
                    verb: "set the deletionPolicy of",
                    kind: "VolumeSnapshotContent",
                    name: name.to_owned(),
                    source,
                });
            }
        };
        self.metrics.kube_writes.inc();
        info!(name, policy, "content deletionPolicy set");
        Ok(Expectation::seen(&patched).into_iter().collect())
    }

    async fn import(
        &self,
        copy: &CopySpec,
        with_snapshot: bool,
        created_at: Timestamp,
        announce: bool,
    ) -> Result<Vec<Expectation>, ReconcilerError> {
        let name = copy.origin.volume_snapshot_name().to_owned();
        let ns = copy.namespace.as_str();
        let mut expected = Vec::new();
        if with_snapshot {
            let api = self.snapshots(ns);
            let created = create(&api, &copy.volume_snapshot()?, "VolumeSnapshot").await;
            if let Err(ReconcilerError::KubeWrite { source, .. }) = &created
                && is_status(source, 404)
            {
                warn!(
                    namespace = ns,
                    snapshot = name,
                    "target namespace does not exist; skipped"
                );
                return Ok(expected);
            }
            expected.extend(created?.as_ref().and_then(Expectation::seen));
            self.metrics.kube_writes.inc();
        }

        let contents: Api<DynamicObject> = Api::all_with(self.client.clone(), &content_resource());
        let created = create(&contents, &copy.content()?, "VolumeSnapshotContent").await?;
        expected.extend(created.as_ref().and_then(Expectation::seen));
        self.metrics.kube_writes.inc();
        self.metrics.imported.inc();
        let lag = Timestamp::now().duration_since(created_at).as_secs_f64();
        self.metrics.import_lag.observe(lag.max(0.0));
        info!(namespace = ns, name, "snapshot imported");
        if !announce {
            return Ok(expected);
        }

        let note = format!("imported ECS snapshot {name} as a pre-provisioned VolumeSnapshot");
        self.events
            .on_snapshot(ns, &name, reasons::SNAPSHOT_IMPORTED, "Imported", note)
            .await;
        Ok(expected)
    }

    async fn delete_snapshot(
        &self,
        id: &str,
        namespace: &str,
        announce: bool,
    ) -> Result<(), ReconcilerError> {
        if announce {
            let note = format!("ECS no longer has snapshot {id}; removing this copy");
            self.events
                .on_snapshot(namespace, id, reasons::SNAPSHOT_REMOVED, "Removed", note)
                .await;
        }
        delete(&self.snapshots(namespace), id, "VolumeSnapshot").await?;
        self.metrics.kube_writes.inc();
        info!(
            namespace,
            name = id,
            "VolumeSnapshot of a gone snapshot deleted"
        );
        Ok(())
    }

    async fn remove_content(
        &self,
        name: &str,
        deleting: bool,
        finalized: bool,
    ) -> Result<(), ReconcilerError> {
        let api: Api<DynamicObject> = Api::all_with(self.client.clone(), &content_resource());
        if !deleting {
            delete(&api, name, "VolumeSnapshotContent").await?;
            self.metrics.kube_writes.inc();
        }
        if finalized {
            release(&api, name).await?;
            self.metrics.kube_writes.inc();
        }
        self.metrics.removed.inc();
        info!(name, "content of a gone snapshot removed");
        Ok(())
    }

    fn snapshots(&self, namespace: &str) -> Api<DynamicObject> {
        Api::namespaced_with(self.client.clone(), namespace, &volume_snapshot_resource())
    }
}

/// Creates `object`; `None` when it already existed.
async fn create(
    api: &Api<DynamicObject>,
    object: &DynamicObject,
    kind: &'static str,
) -> Result<Option<DynamicObject>, ReconcilerError> {
    match api.create(&PostParams::default(), object).await {
        Ok(created) => Ok(Some(created)),
        Err(e) if is_status(&e, 409) => Ok(None),
        Err(source) => Err(ReconcilerError::KubeWrite {
            verb: "create",
            kind,
            name: object.metadata.name.clone().unwrap_or_default(),
            source,
        }),
    }
}

async fn delete(
    api: &Api<DynamicObject>,
    name: &str,
    kind: &'static str,
) -> Result<(), ReconcilerError> {
    match api.delete(name, &DeleteParams::default()).await {
        Ok(_) => Ok(()),
        Err(e) if is_status(&e, 404) => Ok(()),
        Err(source) => Err(ReconcilerError::KubeWrite {
            verb: "delete",
            kind,
            name: name.to_owned(),
            source,
        }),
    }
}

/// Removes the record finalizer, guarded by the resourceVersion read, so that finalizers
/// others add in the meantime are never dropped.
async fn release(api: &Api<DynamicObject>, name: &str) -> Result<(), ReconcilerError> {
    let failed = |verb, source| ReconcilerError::KubeWrite {
        verb,
        kind: "VolumeSnapshotContent",
        name: name.to_owned(),
        source,
    };
    let current = match api.get(name).await {
        Ok(current) => current,
        Err(e) if is_status(&e, 404) => return Ok(()),
        Err(e) => return Err(failed("read", e)),
    };
    let finalizers: Vec<String> = current
        .metadata
        .finalizers
        .unwrap_or_default()
        .into_iter()
        .filter(|f| f != FINALIZER_IMPORT_RECORD)
        .collect();
    let patch = json!({"metadata": {
        "finalizers": finalizers,
        "resourceVersion": current.metadata.resource_version,
    }});
    match api
        .patch(name, &PatchParams::default(), &Patch::Merge(&patch))
        .await
    {
        Ok(_) => Ok(()),
        Err(e) if is_status(&e, 404) => Ok(()),
        Err(e) => Err(failed("release the record finalizer of", e)),
    }
}

fn is_status(error: &kube::Error, code: u16) -> bool {
    matches!(error, kube::Error::Api(s) if s.code == code)
}
