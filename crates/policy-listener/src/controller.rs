//! The kube-runtime controller: what triggers a reconcile, the finalizer around it, and
//! per-object backoff on failure.
//!
//! # Triggers
//! Every VSP change, every change of a PVC whose labels some VSP selects, and the requeue each
//! reconcile asks for (next firing, next offset change of the zone, polling, resync).
//!
//! # Finalizer
//! [`FINALIZER`] protects the ECS policy: a VSP being deleted keeps it until its ECS policies
//! are deleted (ECS saying NotFound counts as deleted), and a one-off VSP keeps it while ECS
//! still takes its snapshots (see `repeat_once::deletion`). Snapshots are never deleted here.
//! kube-runtime's `finalizer` keeps it in step: a VSP without it only gets it added (the write
//! triggers the apply), and it is removed only after a successful cleanup.

use std::{
    sync::Arc,
    time::{Duration, Instant},
};

use controller_support::{
    backoff::PerObjectBackoff, events::EventPublisher, gateway::Gateway, reasons,
    status::apply_status,
};
use futures::{FutureExt, StreamExt};
use k8s_openapi::api::core::v1::PersistentVolumeClaim;
use kube::{
    Api, Client, ResourceExt,
    runtime::{
        Controller,
        controller::Action,
        finalizer::{Event as Finalizer, finalizer},
        reflector::ObjectRef,
        watcher,
    },
};
use snapshot_domain::{
    ecs_naming::{ClusterId, PolicyOwner},
    schedule::ScheduleZone,
};
use snapshot_k8s::{
    managed::DiskDrivers,
    selector::PvcMatcher,
    vsp::{RepeatOnceStatus, VolumeSnapshotPolicy, VolumeSnapshotPolicyStatus},
};
use tokio_util::sync::CancellationToken;
use tracing::{error, info, warn};

use crate::{
    Error,
    args::TimingArgs,
    clock::Clock,
    metrics::Metrics,
    plan::{self, Plan},
    repeat_once::{self, Deletion},
    scheduled,
    status::{self, FIELD_MANAGER, OWNED_FIELDS, Readiness},
};

/// Event reason: the API server refused a write for good (400, 422).
pub const API_REFUSED: &str = "KubernetesApiRefused";

/// Protects a VSP's ECS automatic snapshot policy.
pub const FINALIZER: &str = "storage.alibabacloud.com/ecs-snapshot-policy";

/// Everything a reconcile needs.
pub struct Context {
    pub client: Client,
    pub gateway: Gateway,
    pub region: String,
    pub cluster: ClusterId,
    pub default_zone: ScheduleZone,
    pub drivers: DiskDrivers,
    pub events: EventPublisher,
    pub backoff: PerObjectBackoff<String>,
    pub metrics: Metrics,
    pub clock: Arc<dyn Clock>,
    pub timing: TimingArgs,
}

impl Context {
    /// Writes policy-listener's status fields when they changed.
    pub async fn write_status(
        &self,
        vsp: &VolumeSnapshotPolicy,
        status: &VolumeSnapshotPolicyStatus,
    ) -> Result<(), Error> {
        let api: Api<VolumeSnapshotPolicy> = Api::all(self.client.clone());
        apply_status(&api, vsp, FIELD_MANAGER, &OWNED_FIELDS, status).await?;
        Ok(())
    }

    /// Reports a failed pass as `Ready=False` (reason `GatewayError`) and, on a new failure, a
    /// Warning Event. Best effort: the reconcile error is what gets retried.
    ///
    /// `known` is the status as this pass last wrote or would write it, not `vsp.status`: the
    /// write replaces every field policy-listener owns, so a stale status would erase what the
    /// pass already recorded (a one-off job's disks and started snapshots).
    pub async fn report_failure(
        &self,
        vsp: &VolumeSnapshotPolicy,
        known: &VolumeSnapshotPolicyStatus,
        doing: &str,
        error: &Error,
    ) {
        let readiness = Readiness::not_ready(
            reasons::GATEWAY_ERROR,
            format!("{doing} failed, will retry: {error}"),
        );
        let mut status = known.clone();
        if status::is_transition(&status, &readiness) {
            let note = readiness.message.clone();
            self.events
                .warning(vsp, reasons::GATEWAY_ERROR, "Reconcile", note)
                .await;
        }
        status::set_ready(
            &mut status,
            &readiness,
            vsp.metadata.generation,
            self.clock.now(),
        );
        if let Err(e) = self.write_status(vsp, &status).await {
            warn!(name = vsp.name_any(), error = %e, "cannot report the failure in status");
        }
    }

    fn owner(&self, vsp: &VolumeSnapshotPolicy) -> Result<PolicyOwner, Error> {
        let name = vsp
            .metadata
            .name
            .as_deref()
            .ok_or(Error::MissingMetadata("name"))?;
        let uid = vsp
            .metadata
            .uid
            .as_deref()
            .ok_or(Error::MissingMetadata("uid"))?;
        PolicyOwner::new(self.cluster.clone(), name, uid).map_err(Error::Identity)
    }
}

/// Runs the controller until `token` is cancelled.
pub async fn run(ctx: Arc<Context>, token: CancellationToken) {
    let vsps: Api<VolumeSnapshotPolicy> = Api::all(ctx.client.clone());
    let pvcs: Api<PersistentVolumeClaim> = Api::all(ctx.client.clone());
    let controller = Controller::new(vsps, watcher::Config::default());
    let store = controller.store();
    let listed = controller.store();

    let running = controller
        .watches(pvcs, watcher::Config::default(), move |pvc| {
            let labels = pvc.labels().clone();
            store
                .state()
                .into_iter()
                .filter(move |vsp| {
                    PvcMatcher::new(&vsp.spec.pvc_selector).is_ok_and(|m| m.matches(&labels))
                })
                .map(|vsp| ObjectRef::from_obj(vsp.as_ref()))
                .collect::<Vec<_>>()
        })
        .graceful_shutdown_on(token.clone().cancelled_owned())
        .run(reconcile, error_policy, ctx)
        .for_each(|result| async move {
            if let Err(e) = result {
                warn!(error = %e, "controller event failed");
            }
        });
    tokio::select! {
        () = running => {}
        () = shutdown_before_first_list(listed, token) => {
            info!("shutdown before the first VolumeSnapshotPolicy list succeeded");
        }
    }
    info!("policy controller stopped");
}

/// Completes when shutdown is requested while the VSP cache has never been filled.
///
/// kube-runtime holds reconciles until the first list succeeds and its graceful shutdown waits
/// for that hold, so with the list failing (CRD not installed, API server unreachable) the
/// controller would only stop at the drain timeout. No reconcile can have started then, so
/// dropping the controller loses nothing. Once the cache is filled this never completes and
/// the graceful shutdown lets running reconciles finish.
async fn shutdown_before_first_list(
    store: kube::runtime::reflector::Store<VolumeSnapshotPolicy>,
    token: CancellationToken,
) {
    token.cancelled().await;
    if store.wait_until_ready().now_or_never().is_some() {
        std::future::pending::<()>().await;
    }
}

/// One reconcile: finalizer bookkeeping, then apply or cleanup.
pub async fn reconcile(vsp: Arc<VolumeSnapshotPolicy>, ctx: Arc<Context>) -> Result<Action, Error> {
    let started = Instant::now();
    let result = match deletion(&ctx, &vsp).await {
        Ok(Deletion::Wait(wait)) => Ok(wait),
        Ok(Deletion::Release(job)) => with_finalizer(&ctx, vsp, job).await,
        Err(e) => Err(e),
    };

    let seconds = started.elapsed().as_secs_f64();
    match &result {
        Ok(_) => ctx.metrics.reconcile.ok(seconds),
        Err(e) => ctx.metrics.reconcile.failed(e.class(), seconds),
    }
    result
}

/// `job`: a one-off job as [`deletion`] last saw it, newer than `vsp.status`.
async fn with_finalizer(
    ctx: &Arc<Context>,
    vsp: Arc<VolumeSnapshotPolicy>,
    job: Option<RepeatOnceStatus>,
) -> Result<Action, Error> {
    let api: Api<VolumeSnapshotPolicy> = Api::all(ctx.client.clone());
    finalizer(&api, FINALIZER, vsp, |event| async {
        match event {
            Finalizer::Apply(vsp) => apply(ctx, &vsp).await,
            Finalizer::Cleanup(vsp) => cleanup(ctx, &vsp, job.as_ref()).await,
        }
    })
    .await
    .map_err(|e| Error::Finalizer(Box::new(e)))
}

/// A VSP being deleted whose one-off snapshots ECS is still taking keeps its finalizer and is
/// polled again. Decided before kube-runtime's `finalizer`, which removes the finalizer
/// whenever the cleanup succeeds.
async fn deletion(ctx: &Context, vsp: &VolumeSnapshotPolicy) -> Result<Deletion, Error> {
    let ours = vsp.finalizers().iter().any(|f| f == FINALIZER);
    if vsp.metadata.deletion_timestamp.is_none() || !ours {
        return Ok(Deletion::Release(None));
    }
    repeat_once::wait_for_snapshots(ctx, vsp, &ctx.owner(vsp)?).await
}

/// Requeues a failed object after its own backoff.
pub fn error_policy(vsp: Arc<VolumeSnapshotPolicy>, error: &Error, ctx: Arc<Context>) -> Action {
    let key = vsp.metadata.uid.clone().unwrap_or_else(|| vsp.name_any());
    let delay = ctx
        .backoff
        .next_delay(&key, error.class(), error.retry_after());
    warn!(name = vsp.name_any(), error = %error, retry_in = ?delay, "reconcile failed");
    if let Some(message) = error.refusal() {
        report_refusal(&ctx, vsp, message.to_owned(), delay);
    }
    Action::requeue(delay)
}

/// A request the API server refused for good (400, 422) is retried only after the longest
/// backoff and reported as a Warning Event with the server's message. Not as a condition: the
/// refused request is often the status write itself, and any status write sends every field
/// policy-listener owns.
fn report_refusal(ctx: &Context, vsp: Arc<VolumeSnapshotPolicy>, message: String, delay: Duration) {
    let events = ctx.events.clone();
    error!(
        name = vsp.name_any(),
        message, "the API server refused a write"
    );
    let note = format!(
        "the Kubernetes API server refused a write for this VolumeSnapshotPolicy, retrying in \
         {}s: {message}",
        delay.as_secs()
    );
    tokio::spawn(async move {
        events
            .warning(vsp.as_ref(), API_REFUSED, "WriteStatus", note)
            .await;
    });
}

async fn apply(ctx: &Context, vsp: &VolumeSnapshotPolicy) -> Result<Action, Error> {
    let owner = ctx.owner(vsp)?;
    let plan = match plan::plan(&vsp.spec, &ctx.default_zone, ctx.clock.now()) {
        Ok(plan) => plan,
        Err(invalid) => return refuse(ctx, vsp, &invalid.message).await,
    };
    let action = match &plan {
        Plan::Scheduled(p) => scheduled::apply(ctx, vsp, &owner, p).await?,
        Plan::Once(p) => repeat_once::apply(ctx, vsp, &owner, p).await?,
    };
    if matches!(plan, Plan::Scheduled(_)) {
        ctx.backoff.reset(&owner.uid().to_owned());
    }
    Ok(action)
}

/// An invalid spec: `Ready=False`, an Event on the first sight of this message, no ECS call.
/// An ECS policy made for an earlier, valid spec keeps running until the spec is fixed.
async fn refuse(ctx: &Context, vsp: &VolumeSnapshotPolicy, message: &str) -> Result<Action, Error> {
    let readiness = Readiness::not_ready(reasons::INVALID_SPEC, message);
    let mut status = status::current(vsp);
    status::forget_spec_derived(&mut status);
    if status::is_transition(&status, &readiness) {
        warn!(
            name = vsp.name_any(),
            message, "invalid VolumeSnapshotPolicy"
        );
        let note = message.to_owned();
        ctx.events
            .warning(vsp, reasons::INVALID_SPEC, "Validate", note)
            .await;
    }
    status::set_ready(
        &mut status,
        &readiness,
        vsp.metadata.generation,
        ctx.clock.now(),
    );
    ctx.write_status(vsp, &status).await?;
    Ok(Action::await_change())
}

async fn cleanup(
    ctx: &Context,
    vsp: &VolumeSnapshotPolicy,
    job: Option<&RepeatOnceStatus>,
) -> Result<Action, Error> {
    let owner = ctx.owner(vsp)?;
    scheduled::remove_policies(ctx, vsp, &owner).await?;
    if let Some(job) = job {
        repeat_once::report_kept(ctx, vsp, job).await;
    }
    ctx.backoff.reset(&owner.uid().to_owned());
    info!(name = owner.name(), "VolumeSnapshotPolicy cleaned up");
    Ok(Action::await_change())
}
