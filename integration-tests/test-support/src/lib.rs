//! The in-process harness shared by the services' integration tests (a dev-dependency only).
//!
//! It owns the worlds a test runs in and the helpers every suite needs:
//! - [`kube_world`]: kube-sim with a kube-rs client, CRD installation, Event queries;
//! - [`cloud_world`]: ecs-sim seeded with instances and disks, and the real ecs-gateway in
//!   front of it (mutual TLS or plain-text development mode) with clients to reach it;
//! - [`controller_world`]: both, as a controller suite starts them (cluster with the VSP CRD,
//!   cloud in development mode);
//! - [`pki`]: a throwaway CA issuing server and client certificates;
//! - [`fixtures`]: the Kubernetes objects tests create (bound PV/PVC pairs, policies);
//! - [`waiting`]: bounded polling and deadlines, so a hung test fails instead of CI.
//!
//! It must not own any service's controller wiring or assertions: each suite builds its own
//! controller from these parts in its `tests/common`. It must not touch product source.
//!
//! # Errors
//! Every helper panics with a message naming what failed: its callers are tests, and a panic
//! with context is how a test reports a broken harness.

pub mod cloud_world;
pub mod controller_world;
pub mod fixtures;
pub mod kube_world;
pub mod pki;
pub mod waiting;

/// Prepares the test process once: installs the rustls crypto provider the ECS client and
/// kube-rs need, and a tracing subscriber writing to the test output at the level in
/// `TEST_LOG` (default `warn`). Safe to call from every test.
pub fn init_process() {
    ecs_client::install_crypto_provider();
    let filter = std::env::var("TEST_LOG").unwrap_or_else(|_| "warn".into());
    let _already_set = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_test_writer()
        .try_init();
}
