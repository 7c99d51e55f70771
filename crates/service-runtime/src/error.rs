use std::{net::SocketAddr, path::PathBuf, time::Duration};

use thiserror::Error;

/// What can go wrong while setting up or running the shared runtime.
#[derive(Debug, Error)]
pub enum RuntimeError {
    /// `--log-level` / `LOG_LEVEL` is not env-filter syntax.
    #[error(
        "log level {value:?} is invalid (expected e.g. \"info\" or \"info,kube=warn\"): {reason}"
    )]
    LogFilter { value: String, reason: String },

    /// A tracing subscriber was already installed in this process.
    #[error("logging was already initialised in this process")]
    LoggingAlreadyInitialised,

    /// The admin address could not be bound (in use, no permission, bad interface).
    #[error("cannot listen on admin address {addr}: {source}")]
    Bind {
        addr: SocketAddr,
        source: std::io::Error,
    },

    /// The admin server failed while serving.
    #[error("admin server failed: {0}")]
    Serve(std::io::Error),

    /// The signal handlers could not be installed.
    #[error("cannot install the SIGTERM/SIGINT handler: {0}")]
    Signal(std::io::Error),

    /// Work did not stop within the drain timeout after shutdown began.
    #[error("shutdown did not finish within the drain timeout of {0:?}")]
    DrainTimeout(Duration),

    /// The kubeconfig file could not be read or parsed.
    #[error("cannot read kubeconfig {path}: {reason}")]
    Kubeconfig { path: PathBuf, reason: String },

    /// No usable Kubernetes client configuration (in-cluster or kubeconfig).
    #[error("cannot configure the Kubernetes client: {0}")]
    KubeConfig(String),

    /// The Kubernetes client could not be built from a valid configuration.
    #[error("cannot build the Kubernetes client: {0}")]
    KubeClient(#[source] kube::Error),

    /// Leader election is enabled but no identity was given.
    #[error(
        "leader election needs an identity: set --leader-identity or the POD_NAME environment \
         variable (the Downward API's metadata.name)"
    )]
    MissingLeaderIdentity,

    /// The election Lease could not be read or created.
    #[error("leader election on Lease {namespace}/{name} failed: {reason}")]
    LeaderElection {
        namespace: String,
        name: String,
        reason: String,
    },
}
