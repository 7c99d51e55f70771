//! ECS simulator: the Alibaba Cloud side of every test and of the local demo.
//!
//! Owns a faithful-enough imitation of the ECS OpenAPI (2014-05-26, RPC style) for the actions
//! the product uses, the STS and instance-metadata endpoints that issue temporary credentials,
//! a virtual clock on which automatic snapshot policies fire and retention expires, flow control,
//! fault injection and an admin API (`/_sim/...`). Signing itself is `acs-signature`'s; this
//! crate only verifies. It must not depend on any product crate: the product is tested against
//! it, never the other way round.
//!
//! # In-process use
//! ```no_run
//! # async fn demo() -> Result<(), ecs_sim::Error> {
//! let sim = ecs_sim::spawn(ecs_sim::SimConfig::default()).await?;
//! let admin = sim.admin();
//! admin.put_instance(&ecs_sim::InstanceSeed {
//!     id: "i-1".into(), region_id: None, zone_id: "cn-hangzhou-h".into(),
//!     status: ecs_sim::InstanceStatus::Running, tags: Default::default(),
//! }).await?;
//! // Point an ECS client at sim.endpoint() (plain HTTP) with ecs_sim::DEFAULT_ACCESS_KEY_ID.
//! admin.advance(3600).await?;
//! sim.shutdown().await;
//! # Ok(()) }
//! ```

mod actions;
mod admin;
mod api_error;
mod auth;
mod config;
mod counters;
mod error;
mod faults;
mod imds;
mod model;
mod oidc;
mod paging;
mod params;
mod rpc;
mod schedule;
mod server;
mod sim;
mod sts;
mod throttle;
mod timeline;
mod world;

use std::net::SocketAddr;
use std::sync::Arc;

use tokio::net::TcpListener;
use tokio::sync::oneshot;
use tokio::task::JoinHandle;

pub use admin::AdminClient;
pub use admin::types::{
    ClockMoved, ClockNow, OidcTokenRequest, SnapshotState, StateDump, StsCredentials,
};
pub use config::{
    AccessKey, AccountMode, AccountSettings, CredentialIssuing, DEFAULT_ACCESS_KEY_ID,
    DEFAULT_ACCESS_KEY_SECRET, OidcTrust, Quotas, Rate, SimConfig, Throttling, Timing,
};
pub use counters::{CallCounters, DROPPED, SUCCESS};
pub use error::Error;
pub use faults::{Fault, FaultRule};
pub use model::{
    Disk, DiskSeed, Instance, InstanceSeed, InstanceStatus, Policy, Snapshot, SnapshotGroup,
    SnapshotKind, Tags,
};
pub use schedule::{ECS_UTC_OFFSET_SECONDS, next_firing};
pub use timeline::{MAX_EVENTS_PER_MOVE, TimelineEvent};

/// A running simulator. Dropping it stops the server too (without waiting).
pub struct SimHandle {
    addr: SocketAddr,
    shutdown: Option<oneshot::Sender<()>>,
    task: Option<JoinHandle<()>>,
}

impl SimHandle {
    /// The bound address, e.g. `127.0.0.1:34567`.
    pub fn addr(&self) -> SocketAddr {
        self.addr
    }

    /// `host:port`, the form SDKs take as an endpoint (use plain HTTP).
    pub fn endpoint(&self) -> String {
        self.addr.to_string()
    }

    /// `http://host:port`.
    pub fn base_url(&self) -> String {
        format!("http://{}", self.addr)
    }

    /// A client of this simulator's admin API.
    pub fn admin(&self) -> AdminClient {
        AdminClient::new(self.base_url())
    }

    /// Stops accepting, closes open connections and waits for the server task.
    pub async fn shutdown(mut self) {
        if let Some(stop) = self.shutdown.take() {
            let _ = stop.send(());
        }
        if let Some(task) = self.task.take() {
            let _ = task.await;
        }
    }
}

impl Drop for SimHandle {
    fn drop(&mut self) {
        if let Some(stop) = self.shutdown.take() {
            let _ = stop.send(());
        }
    }
}

/// Starts a simulator on `127.0.0.1` with an ephemeral port.
pub async fn spawn(config: SimConfig) -> Result<SimHandle, Error> {
    spawn_on(config, "127.0.0.1:0").await
}

/// Starts a simulator on `listen` (`host:port`); must run inside a Tokio runtime.
pub async fn spawn_on(config: SimConfig, listen: &str) -> Result<SimHandle, Error> {
    let sim = Arc::new(sim::Sim::new(&config)?);
    let bind_error = |source| Error::Bind {
        addr: listen.to_owned(),
        source,
    };
    let listener = TcpListener::bind(listen).await.map_err(bind_error)?;
    let addr = listener.local_addr().map_err(bind_error)?;
    let (stop, stopped) = oneshot::channel();
    let task = tokio::spawn(server::serve(listener, sim, stopped));
    tracing::info!(%addr, "ecs-sim listening");
    Ok(SimHandle {
        addr,
        shutdown: Some(stop),
        task: Some(task),
    })
}

/// Names of every simulated ECS action.
pub fn simulated_actions() -> Vec<&'static str> {
    actions::known_actions().collect()
}
