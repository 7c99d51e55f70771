//! What the three controllers (policy-listener, pvc-reconciler, snapshot-reconciler) share, so
//! that they are configured, retry, report and hand over leadership the same way.
//!
//! It owns the controller flags of the chart contract, the gateway connection built from them,
//! the classification of gateway errors, per-object backoff, Kubernetes Events and their
//! reasons, status writes by server-side apply, reconcile metrics, running a controller only
//! while this replica leads, and the controller binaries' common entry point ([`service`]),
//! which composes `service-runtime`'s pieces in one order for all three.
//!
//! It must not touch: any one controller's reconcile logic, ECS semantics beyond error
//! classification (those live in `snapshot-domain`), or the process-setup pieces themselves
//! (`service-runtime` owns logging, the admin server, shutdown, the client and the election).
//! Keep this file a list of modules.

pub mod args;
pub mod backoff;
mod error;
pub mod events;
pub mod gateway;
pub mod gateway_error;
pub mod leader;
pub mod metrics;
pub mod reasons;
pub mod service;
pub mod status;

pub use error::SupportError;
