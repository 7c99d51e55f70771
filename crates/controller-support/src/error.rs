use thiserror::Error;

/// What the shared controller plumbing can fail with.
#[derive(Debug, Error)]
pub enum SupportError {
    /// The gateway connection could not be prepared (endpoint, TLS or token files).
    #[error("gateway connection: {0}")]
    Gateway(#[from] ecs_gateway_api::ConnectError),

    /// A status write by server-side apply was refused or failed.
    #[error("cannot write status of {kind} {name}: {source}")]
    StatusWrite {
        kind: String,
        name: String,
        #[source]
        source: kube::Error,
    },

    /// A status could not be turned into JSON (a bug in the status type).
    #[error("cannot serialize status of {kind} {name}: {source}")]
    StatusEncode {
        kind: String,
        name: String,
        #[source]
        source: serde_json::Error,
    },

    /// The shared process runtime failed: logging, signal handlers, the admin port, the
    /// Kubernetes client configuration, leader election start, or the drain timeout.
    #[error(transparent)]
    Runtime(#[from] service_runtime::RuntimeError),

    /// The admin server task panicked or was aborted.
    #[error("admin server task failed: {0}")]
    AdminTask(#[source] tokio::task::JoinError),

    /// Leader election stopped while the service was running; this replica could never lead
    /// again, so the process exits for Kubernetes to restart it.
    #[error(
        "leader election stopped unexpectedly (see the log for the Lease error); exiting so \
         that a restarted replica can take part again"
    )]
    LeaderElectionEnded,
}
