//! Leader election on a `coordination.k8s.io/v1` Lease (through `kube-lease-manager`), so a
//! second replica is a hot standby instead of a second writer.
//!
//! # Guarantees
//! - [`LeaderElection::subscribe`] sees `true` only while this replica holds the Lease, and
//!   `false` as soon as it loses it or shutdown begins.
//! - On shutdown the Lease is released, so the standby takes over without waiting for expiry.
//!
//! # Caveats
//! Holding the Lease is not a fence: a replica that stalls longer than the lease duration may
//! still act for a moment after another took over. Controllers must keep their writes
//! idempotent (they are, by design) and stop work when the watch turns `false`.
//!
//! # Metrics
//! `leader_election_is_leader` (gauge, 0/1) from [`LeaderElection::start`] until the process
//! exits; `leader_election_transitions_total` counts every change of that gauge.

use std::time::Duration;

use kube::Client;
use kube_lease_manager::{LeaseManagerBuilder, LeaseParams};
use prometheus_client::{
    metrics::{counter::Counter, gauge::Gauge},
    registry::Registry,
};
use tokio::{sync::watch, task::JoinHandle};
use tokio_util::sync::CancellationToken;
use tracing::{info, warn};

use crate::{RuntimeError, args::LeaderElectionArgs};

/// The leader-election metrics; register once per process.
#[derive(Debug, Clone, Default)]
pub struct LeaderMetrics {
    is_leader: Gauge,
    transitions: Counter,
}

impl LeaderMetrics {
    /// Registers under the `leader_election` sub-registry of `registry`.
    pub fn register(registry: &mut Registry) -> Self {
        let metrics = Self::default();
        let sub = registry.sub_registry_with_prefix("leader_election");
        sub.register(
            "is_leader",
            "1 while this replica holds the Lease",
            metrics.is_leader.clone(),
        );
        sub.register(
            "transitions",
            "Times this replica gained or lost leadership",
            metrics.transitions.clone(),
        );
        metrics
    }

    fn record(&self, leader: bool) {
        let previous = self.is_leader.set(i64::from(leader));
        if previous != i64::from(leader) {
            self.transitions.inc();
        }
    }
}

/// A running election: a watch of "am I leader" and the task that keeps the Lease.
#[derive(Debug)]
pub struct LeaderElection {
    rx: watch::Receiver<bool>,
    task: Option<JoinHandle<()>>,
}

impl LeaderElection {
    /// Starts electing, or, when `args.leader_elect` is false, returns an election this replica
    /// has already won.
    ///
    /// `default_lease_name` (the service's name) is used unless `--lease-name` is set. The
    /// election stops, and the Lease is released, when `shutdown` is cancelled.
    ///
    /// # Errors
    /// [`RuntimeError::MissingLeaderIdentity`] without `--leader-identity`/`POD_NAME`,
    /// [`RuntimeError::LeaderElection`] for invalid timings or when the Lease cannot be read or
    /// created (RBAC, API down).
    pub async fn start(
        client: Client,
        args: &LeaderElectionArgs,
        default_lease_name: &str,
        metrics: LeaderMetrics,
        shutdown: CancellationToken,
    ) -> Result<Self, RuntimeError> {
        if !args.leader_elect {
            metrics.record(true);
            info!("leader election disabled: acting as leader");
            let (_, rx) = watch::channel(true);
            return Ok(Self { rx, task: None });
        }

        let identity = args
            .leader_identity
            .clone()
            .ok_or(RuntimeError::MissingLeaderIdentity)?;
        let name = args.lease_name.as_deref().unwrap_or(default_lease_name);
        let namespace = args.lease_namespace.as_str();
        let failed = |reason: String| RuntimeError::LeaderElection {
            namespace: namespace.to_owned(),
            name: name.to_owned(),
            reason,
        };

        let params =
            lease_params(&identity, args.lease_duration, args.lease_renew_grace).map_err(failed)?;
        let manager = LeaseManagerBuilder::new(client, name)
            .with_namespace(namespace)
            .with_parameters(params)
            .build()
            .await
            .map_err(|e| failed(e.to_string()))?;
        info!(lease = name, namespace, identity, "leader election started");

        let (lease_rx, lease_task) = manager.watch().await;
        let (tx, rx) = watch::channel(false);
        metrics.record(false);
        let task = tokio::spawn(follow(lease_rx, lease_task, tx, metrics, shutdown));
        Ok(Self {
            rx,
            task: Some(task),
        })
    }

    /// Whether this replica is the leader right now.
    pub fn is_leader(&self) -> bool {
        *self.rx.borrow()
    }

    /// A receiver of every change of leadership.
    pub fn subscribe(&self) -> watch::Receiver<bool> {
        self.rx.clone()
    }

    /// Waits until the election has stopped after shutdown and the Lease is released.
    pub async fn stopped(mut self) {
        if let Some(task) = self.task.take()
            && let Err(e) = task.await
        {
            warn!(error = %e, "leader election task failed");
        }
    }
}

fn lease_params(
    identity: &str,
    duration: Duration,
    grace: Duration,
) -> Result<LeaseParams, String> {
    let (duration, grace) = (duration.as_secs(), grace.as_secs());
    if grace == 0 || grace >= duration {
        return Err(format!(
            "renew grace ({grace}s) must be at least 1s and shorter than the lease duration \
             ({duration}s)"
        ));
    }
    Ok(LeaseParams::new(identity, duration, grace))
}

/// Mirrors the lease manager's state into `tx` and the metrics until shutdown, then lets the
/// manager release the Lease by dropping its receiver and waits for it.
async fn follow(
    mut lease_rx: watch::Receiver<bool>,
    lease_task: JoinHandle<
        Result<kube_lease_manager::LeaseManager, kube_lease_manager::LeaseManagerError>,
    >,
    tx: watch::Sender<bool>,
    metrics: LeaderMetrics,
    shutdown: CancellationToken,
) {
    loop {
        tokio::select! {
            _ = shutdown.cancelled() => break,
            changed = lease_rx.changed() => {
                if changed.is_err() {
                    warn!("lease manager stopped unexpectedly");
                    break;
                }
                let leader = *lease_rx.borrow_and_update();
                info!(leader, "leadership changed");
                metrics.record(leader);
                tx.send_replace(leader);
            }
        }
    }

    tx.send_replace(false);
    metrics.record(false);
    drop(lease_rx);
    match lease_task.await {
        Ok(Ok(_)) => info!("lease released"),
        Ok(Err(e)) => warn!(error = %e, "lease could not be released; it expires on its own"),
        Err(e) => warn!(error = %e, "lease manager task failed"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn timings_are_checked_before_the_lease_manager_sees_them() {
        let s = Duration::from_secs;
        assert!(lease_params("a", s(15), s(5)).is_ok());
        assert!(
            lease_params("a", s(5), s(5))
                .unwrap_err()
                .contains("shorter than")
        );
        assert!(lease_params("a", s(15), Duration::from_millis(500)).is_err());
    }

    fn unreachable_client() -> Client {
        let config = kube::Config::new("http://127.0.0.1:9".parse().unwrap());
        Client::try_from(config).unwrap()
    }

    fn args(leader_elect: bool, identity: Option<&str>) -> LeaderElectionArgs {
        LeaderElectionArgs {
            leader_elect,
            lease_name: None,
            lease_namespace: "kube-system".into(),
            leader_identity: identity.map(str::to_owned),
            lease_duration: Duration::from_secs(15),
            lease_renew_grace: Duration::from_secs(5),
        }
    }

    #[tokio::test]
    async fn disabled_election_is_won_at_once_without_the_api() {
        let mut registry = Registry::default();
        let metrics = LeaderMetrics::register(&mut registry);
        let token = CancellationToken::new();
        let election = LeaderElection::start(
            unreachable_client(),
            &args(false, None),
            "svc",
            metrics,
            token,
        )
        .await
        .unwrap();
        assert!(election.is_leader());
        let mut text = String::new();
        prometheus_client::encoding::text::encode(&mut text, &registry).unwrap();
        assert!(text.contains("leader_election_is_leader 1"), "{text}");
        election.stopped().await;
    }

    #[tokio::test]
    async fn enabled_election_needs_an_identity_and_reports_an_unreachable_api() {
        let token = CancellationToken::new();
        let metrics = LeaderMetrics::default();
        let err = LeaderElection::start(
            unreachable_client(),
            &args(true, None),
            "svc",
            metrics.clone(),
            token.clone(),
        )
        .await
        .unwrap_err();
        assert!(matches!(err, RuntimeError::MissingLeaderIdentity), "{err}");

        let err = LeaderElection::start(
            unreachable_client(),
            &args(true, Some("pod-a")),
            "svc",
            metrics,
            token,
        )
        .await
        .unwrap_err();
        assert!(
            err.to_string()
                .starts_with("leader election on Lease kube-system/svc failed"),
            "{err}"
        );
    }

    #[test]
    fn metrics_count_transitions_not_repeats() {
        let mut registry = Registry::default();
        let metrics = LeaderMetrics::register(&mut registry);
        metrics.record(false);
        metrics.record(true);
        metrics.record(true);
        metrics.record(false);

        let mut text = String::new();
        prometheus_client::encoding::text::encode(&mut text, &registry).unwrap();
        assert!(text.contains("leader_election_is_leader 0"), "{text}");
        assert!(
            text.contains("leader_election_transitions_total 2"),
            "{text}"
        );
    }
}
