use controller_support::{
    SupportError,
    gateway_error::{GatewayFailure, RetryClass},
};
use kube::runtime::finalizer::Error as FinalizerError;
use thiserror::Error;

/// Why a reconcile did not finish; every variant is retried with per-object backoff.
#[derive(Debug, Error)]
pub enum Error {
    /// A gateway call failed (ECS, the gateway itself, or the way to it).
    #[error("gateway call {rpc} failed: {failure}")]
    Gateway {
        rpc: &'static str,
        failure: Box<GatewayFailure>,
    },

    /// A Kubernetes API call failed.
    #[error("Kubernetes API call failed while {doing}: {source}")]
    Kube {
        doing: &'static str,
        #[source]
        source: kube::Error,
    },

    /// Status could not be written.
    #[error(transparent)]
    Status(#[from] SupportError),

    /// Adding or removing the finalizer failed, or the apply or cleanup behind it did.
    #[error("finalizer: {0}")]
    Finalizer(#[source] Box<FinalizerError<Error>>),

    /// The object lacks what every stored object has (name, uid): a bug or a broken API server.
    #[error("object is missing metadata.{0}")]
    MissingMetadata(&'static str),

    /// The object's name or uid cannot name ECS objects (not a Kubernetes name or uid).
    #[error("cannot derive ECS names and tags: {0}")]
    Identity(#[source] snapshot_domain::DomainError),
}

impl Error {
    pub(crate) fn gateway(rpc: &'static str) -> impl FnOnce(tonic::Status) -> Self {
        move |status| Self::Gateway {
            rpc,
            failure: Box::new(GatewayFailure::from_status(&status)),
        }
    }

    pub(crate) fn kube(doing: &'static str) -> impl FnOnce(kube::Error) -> Self {
        move |source| Self::Kube { doing, source }
    }

    /// How soon repeating the reconcile is worth it.
    pub fn class(&self) -> RetryClass {
        match self {
            Self::Gateway { failure, .. } => failure.class,
            Self::Finalizer(inner) => match inner.as_ref() {
                FinalizerError::ApplyFailed(e) | FinalizerError::CleanupFailed(e) => e.class(),
                FinalizerError::AddFinalizer(_) | FinalizerError::RemoveFinalizer(_) => {
                    RetryClass::Soon
                }
                FinalizerError::UnnamedObject | FinalizerError::InvalidFinalizer => {
                    RetryClass::Permanent
                }
            },
            Self::MissingMetadata(_) | Self::Identity(_) => RetryClass::Permanent,
            Self::Kube { .. } | Self::Status(_) => RetryClass::Soon,
        }
    }

    /// The gateway's retry hint, if the failure carried one.
    pub fn retry_after(&self) -> Option<std::time::Duration> {
        match self {
            Self::Gateway { failure, .. } => failure.retry_after(),
            Self::Finalizer(inner) => match inner.as_ref() {
                FinalizerError::ApplyFailed(e) | FinalizerError::CleanupFailed(e) => {
                    e.retry_after()
                }
                _ => None,
            },
            _ => None,
        }
    }
}
