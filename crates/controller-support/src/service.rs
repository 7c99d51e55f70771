//! The one way a controller binary runs: flags, logging, admin port, Kubernetes client, gateway
//! connection, leader election on a Lease and graceful shutdown, so that each `main` is only
//! its own flags and the function that runs its controller while this replica leads.
//!
//! ```no_run
//! use clap::Parser;
//! use controller_support::service::{self, ServiceArgs};
//!
//! #[derive(Parser)]
//! struct Args {
//!     #[command(flatten)]
//!     service: ServiceArgs,
//! }
//!
//! # async fn run() -> Result<(), controller_support::SupportError> {
//! let Args { service } = Args::parse();
//! service::run("my-controller", service, |wiring| {
//!     let client = wiring.client.clone();
//!     move |token: tokio_util::sync::CancellationToken| {
//!         let _client = client.clone();
//!         async move { token.cancelled().await }
//!     }
//! })
//! .await
//! # }
//! ```
//!
//! # Flow
//! 1. [`run`] installs logging, the `ring` crypto provider and the SIGTERM/SIGINT handler.
//! 2. [`ControllerService::prepare`] builds the Kubernetes client and the gateway connection
//!    (neither contacts its server), hands both to the binary's builder with the metrics
//!    registry, and opens the admin port: `/healthz` answers from then on, `/readyz` says
//!    not ready.
//! 3. [`ControllerService::run`] joins leader election on the Lease, the first call to the API
//!    server. The controller runs only while this replica leads ([`run_while_leader`]).
//! 4. Shutdown turns the replica not ready at once, stops the controller, then releases the
//!    Lease (never before: a standby must not start while this leader still drains) and
//!    closes the admin port last, all within the drain timeout. A controller that overruns
//!    the drain timeout leaves the Lease to expire.
//!
//! # Readiness
//! `/readyz` (and gRPC health) is ready from the moment leader election has started (the Lease
//! could be read or created) until shutdown begins, whether this replica leads or stands by: a
//! standby is a healthy replica waiting for the Lease. The gateway is not part of it: the
//! connection is lazy, and a gateway outage must not take every controller replica out of
//! service (calls fail UNAVAILABLE and are retried instead).
//!
//! # Errors
//! [`run`] returns an error, and the process should exit non-zero, when set-up fails (bad
//! flags for the client or gateway, admin port taken, Lease unusable), when the controller does
//! not stop within the drain timeout, or when leader election stops on its own: such a replica
//! could never lead again, so a restart is better than an eternal standby that looks ready.

use std::{future::Future, net::SocketAddr};

use clap::Args;
use kube::Client;
use service_runtime::{
    Readiness, Registry, RuntimeError,
    admin::AdminServer,
    args::{AdminArgs, KubeArgs, LeaderElectionArgs, LogArgs},
    kube_client,
    leader::{LeaderElection, LeaderMetrics},
    shutdown::Shutdown,
};
use tokio::{sync::watch, task::JoinHandle};
use tokio_util::sync::CancellationToken;
use tracing::{error, info};

use crate::{
    SupportError, args::ControllerArgs, events::EventPublisher, gateway::Gateway,
    leader::run_while_leader,
};

/// Every flag a controller binary takes besides its own, as the chart passes them:
/// `#[command(flatten)]` it next to the controller's own group.
#[derive(Debug, Clone, Args)]
pub struct ServiceArgs {
    #[command(flatten)]
    pub log: LogArgs,
    #[command(flatten)]
    pub admin: AdminArgs,
    #[command(flatten)]
    pub kube: KubeArgs,
    #[command(flatten)]
    pub leader: LeaderElectionArgs,
    #[command(flatten)]
    pub controller: ControllerArgs,
}

/// What a controller is built from, handed to the builder before the admin port opens, so
/// that the metrics it registers are there from the first scrape.
pub struct Wiring<'a> {
    /// The Kubernetes client (configured, not yet connected).
    pub client: Client,
    /// The gateway connection (prepared, not yet connected).
    pub gateway: Gateway,
    /// Cluster identity, region, default time zone and CSI drivers.
    pub controller: ControllerArgs,
    /// The process registry, prefixed `ssm`; register the controller's metrics here.
    pub registry: &'a mut Registry,
    name: &'static str,
    identity: Option<String>,
}

impl Wiring<'_> {
    /// The service's name, as given to [`run`].
    pub fn name(&self) -> &'static str {
        self.name
    }

    /// This replica's identity (`--leader-identity` / `POD_NAME`), when set.
    pub fn identity(&self) -> Option<String> {
        self.identity.clone()
    }

    /// An Event publisher reporting as this service and replica.
    pub fn events(&self) -> EventPublisher {
        EventPublisher::new(self.client.clone(), self.name, self.identity())
    }
}

/// Runs the controller service `name` until SIGTERM or SIGINT, as described in the module
/// docs. `build` makes, from the [`Wiring`], the function that runs the controller for one
/// period of leadership; that function's future must return once its token is cancelled.
///
/// Call once per process, from `main`: it installs the global tracing subscriber.
///
/// # Errors
/// See the module docs; each error names what failed.
pub async fn run<B, C, Fut>(
    name: &'static str,
    args: ServiceArgs,
    build: B,
) -> Result<(), SupportError>
where
    B: FnOnce(Wiring<'_>) -> C,
    C: FnMut(CancellationToken) -> Fut,
    Fut: Future<Output = ()>,
{
    service_runtime::logging::init(&args.log)?;
    // kube and tonic both use rustls with ring; make it the process default once.
    let _ = rustls::crypto::ring::default_provider().install_default();
    let shutdown = Shutdown::on_signals(args.admin.drain_timeout)?;
    info!(
        service = name,
        cluster_id = args.controller.cluster_id.as_str(),
        region = args.controller.region,
        default_time_zone = args.controller.default_time_zone.name(),
        "starting"
    );

    ControllerService::prepare(name, args, shutdown, build)
        .await?
        .run()
        .await
}

/// A controller service whose admin port is open and whose controller is built, but which has
/// not joined leader election yet. [`run`] is the usual entry; this split lets tests drive
/// shutdown themselves and read the admin address chosen for port 0.
pub struct ControllerService<C> {
    name: &'static str,
    leader: LeaderElectionArgs,
    client: Client,
    shutdown: Shutdown,
    readiness: Readiness,
    leader_metrics: LeaderMetrics,
    admin: AdminTask,
    controller: C,
}

impl<C, Fut> ControllerService<C>
where
    C: FnMut(CancellationToken) -> Fut,
    Fut: Future<Output = ()>,
{
    /// Step 2 of the flow: client, gateway, the binary's `build`, then the admin port.
    ///
    /// # Errors
    /// [`SupportError::Runtime`] for an unusable kubeconfig or a taken admin address,
    /// [`SupportError::Gateway`] for a bad gateway endpoint or unreadable TLS files.
    pub async fn prepare<B>(
        name: &'static str,
        args: ServiceArgs,
        shutdown: Shutdown,
        build: B,
    ) -> Result<Self, SupportError>
    where
        B: FnOnce(Wiring<'_>) -> C,
    {
        let ServiceArgs {
            log: _,
            admin,
            kube,
            leader,
            controller,
        } = args;
        let client = kube_client::client(&kube).await?;
        let gateway = Gateway::open(&controller.gateway)?;

        let mut registry = Registry::with_prefix("ssm");
        let leader_metrics = LeaderMetrics::register(&mut registry);
        let controller = build(Wiring {
            client: client.clone(),
            gateway,
            controller,
            registry: &mut registry,
            name,
            identity: leader.leader_identity.clone(),
        });

        let readiness = Readiness::new();
        let admin = AdminTask::start(admin, registry, readiness.clone()).await?;
        Ok(Self {
            name,
            leader,
            client,
            shutdown,
            readiness,
            leader_metrics,
            admin,
            controller,
        })
    }

    /// The address the admin server listens on (port 0 resolved).
    pub fn admin_addr(&self) -> SocketAddr {
        self.admin.addr
    }

    /// Steps 3 and 4 of the flow: returns once shutdown has completed.
    ///
    /// # Errors
    /// See the module docs.
    pub async fn run(self) -> Result<(), SupportError> {
        let Self {
            name,
            leader,
            client,
            shutdown,
            readiness,
            leader_metrics,
            admin,
            controller,
        } = self;

        // The Lease outlives the controller: released only once the controller has stopped.
        let release = CancellationToken::new();
        let token = release.clone();
        let started = tokio::select! {
            biased;
            () = shutdown.triggered() => None,
            started = LeaderElection::start(client, &leader, name, leader_metrics, token) => {
                Some(started)
            }
        };
        let election = match started {
            Some(Ok(election)) => election,
            Some(Err(e)) => {
                shutdown.trigger();
                shutdown.drain(admin.close()).await??;
                return Err(e.into());
            }
            None => return shutdown.drain(admin.close()).await?,
        };

        let running = Running {
            name,
            elect: leader.leader_elect,
            shutdown,
            readiness,
            release,
        };
        running.lead_or_stand_by(election, controller, admin).await
    }
}

/// A replica that has joined leader election.
struct Running {
    name: &'static str,
    elect: bool,
    shutdown: Shutdown,
    readiness: Readiness,
    /// Stops the election and releases the Lease.
    release: CancellationToken,
}

impl Running {
    async fn lead_or_stand_by<C, Fut>(
        self,
        election: LeaderElection,
        controller: C,
        admin: AdminTask,
    ) -> Result<(), SupportError>
    where
        C: FnMut(CancellationToken) -> Fut,
        Fut: Future<Output = ()>,
    {
        let Self {
            name,
            elect,
            shutdown,
            readiness,
            release,
        } = self;
        readiness.set(true);
        info!(service = name, leader = election.is_leader(), "ready");

        let work = run_while_leader(election.subscribe(), shutdown.token(), controller);
        tokio::pin!(work);
        let mut leadership = election.subscribe();
        let (work_done, election_ended) = tokio::select! {
            biased;
            () = shutdown.triggered() => (false, false),
            () = &mut work => (true, false),
            () = election_ended(&mut leadership, elect) => (false, true),
        };

        readiness.set(false);
        if election_ended {
            error!(
                service = name,
                "leader election stopped on its own; shutting down"
            );
        }
        shutdown.trigger();
        shutdown
            .drain(async {
                if !work_done {
                    work.await;
                }
                release.cancel();
                election.stopped().await;
                admin.close().await
            })
            .await??;
        info!(service = name, "stopped");

        if election_ended {
            return Err(SupportError::LeaderElectionEnded);
        }
        Ok(())
    }
}

/// Resolves when the election's watch closes while electing; never when election is disabled
/// (its watch is closed from the start, at `true`). Only meaningful before shutdown: releasing
/// the Lease at shutdown closes the watch too.
async fn election_ended(leadership: &mut watch::Receiver<bool>, elect: bool) {
    if !elect {
        return std::future::pending().await;
    }
    while leadership.changed().await.is_ok() {}
}

/// The admin server, serving until closed: it is stopped last, so that probes are answered
/// (`/readyz` with 503) while the controller drains.
#[derive(Debug)]
struct AdminTask {
    addr: SocketAddr,
    stop: CancellationToken,
    task: JoinHandle<Result<(), RuntimeError>>,
}

impl AdminTask {
    async fn start(
        args: AdminArgs,
        registry: Registry,
        readiness: Readiness,
    ) -> Result<Self, SupportError> {
        let server = AdminServer::bind(args.admin_addr).await?;
        let addr = server.local_addr();
        let stop = CancellationToken::new();
        let task = tokio::spawn(server.serve(registry, readiness, stop.clone()));
        Ok(Self { addr, stop, task })
    }

    async fn close(self) -> Result<(), SupportError> {
        self.stop.cancel();
        self.task.await.map_err(SupportError::AdminTask)??;
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn an_election_watch_that_closes_ends_the_election_only_when_electing() {
        let (tx, mut rx) = watch::channel(false);
        tx.send_replace(true);
        drop(tx);
        tokio::time::timeout(
            std::time::Duration::from_secs(1),
            election_ended(&mut rx, true),
        )
        .await
        .expect("a closed watch while electing means the election ended");

        let (_, mut rx) = watch::channel(true);
        let disabled = election_ended(&mut rx, false);
        let waited = tokio::time::timeout(std::time::Duration::from_millis(50), disabled).await;
        assert!(waited.is_err(), "disabled election never ends on its own");
    }
}
