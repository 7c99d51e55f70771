//! The runtime conventions every storage-snapshot-manager service shares, so that all four
//! binaries are operated the same way.
//!
//! It owns:
//! - [`args`]: clap argument groups with environment overrides (logging, admin address,
//!   Kubernetes client, leader election) to `#[command(flatten)]` into each binary's `Args`;
//! - [`logging`]: the tracing subscriber (JSON or text, env-filter syntax);
//! - [`admin`]: the admin HTTP server: `/metrics` (Prometheus text from a
//!   `prometheus_client` [`Registry`]), `/healthz` (liveness), `/readyz` (readiness from a
//!   [`Readiness`] handle), and the gRPC health protocol on the same port;
//! - [`shutdown`]: SIGTERM/SIGINT handling with a drain timeout;
//! - [`kube_client`]: the `kube::Client` builder;
//! - [`leader`]: leader election on a `Lease`, exposed as a watch of "am I leader" plus metrics.
//!
//! It must not touch: any product logic (VolumeSnapshotPolicy, ECS), any specific Kubernetes
//! resource other than the election `Lease`, or process-wide state other than the tracing
//! subscriber that [`logging::init`] installs once. `main` stays in the binaries.
//!
//! # Typical `main`
//! ```no_run
//! # async fn run() -> Result<(), service_runtime::RuntimeError> {
//! use service_runtime::{Readiness, Registry, admin::AdminServer, shutdown::Shutdown};
//! # let (log, admin) = (service_runtime::args::LogArgs::default(),
//! #     service_runtime::args::AdminArgs::default());
//! service_runtime::logging::init(&log)?;
//! let shutdown = Shutdown::on_signals(admin.drain_timeout)?;
//! let mut registry = Registry::with_prefix("ssm");
//! // ... each component registers its metrics into `registry` here ...
//! let readiness = Readiness::new();
//! let server = AdminServer::bind(admin.admin_addr).await?;
//! let serving = server.serve(registry, readiness.clone(), shutdown.token());
//! readiness.set(true);
//! shutdown.drain(serving).await??;
//! # Ok(()) }
//! ```

pub mod admin;
pub mod args;
mod error;
pub mod kube_client;
pub mod leader;
pub mod logging;
mod readiness;
pub mod shutdown;

pub use error::RuntimeError;
pub use prometheus_client::registry::Registry;
pub use readiness::Readiness;
