use thiserror::Error;

/// What the snapshot-reconciler can fail with.
#[derive(Debug, Error)]
pub enum ReconcilerError {
    /// A gateway call failed; `class` says whether and when retrying helps.
    #[error("gateway call {rpc} failed ({class}): {message}")]
    Gateway {
        rpc: &'static str,
        class: &'static str,
        message: String,
    },

    /// ECS answered with a snapshot the reconciler cannot use (bad ID, no creation time).
    #[error("ECS snapshot {snapshot_id:?} is unusable: {reason}")]
    BadSnapshot { snapshot_id: String, reason: String },

    /// Reading objects from the Kubernetes API failed.
    #[error("cannot list {what}: {source}")]
    KubeList {
        what: &'static str,
        #[source]
        source: kube::Error,
    },

    /// The watch caches did not complete their first list in time (CRD missing, no RBAC
    /// permission to list or watch, API server unreachable).
    #[error("the caches of {kinds} are not filled after {seconds}s; see the watch warnings")]
    CacheNotReady { kinds: String, seconds: u64 },

    /// A write to the Kubernetes API failed.
    #[error("cannot {verb} {kind} {name}: {source}")]
    KubeWrite {
        verb: &'static str,
        kind: &'static str,
        name: String,
        #[source]
        source: kube::Error,
    },

    /// A name or label could not be built from an ECS ID or Kubernetes name.
    #[error(transparent)]
    Domain(#[from] snapshot_domain::DomainError),
}
