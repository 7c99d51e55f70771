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
}
