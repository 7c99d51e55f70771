use controller_support::{
    SupportError,
    gateway_error::{GatewayFailure, RetryClass},
};
use kube::runtime::finalizer::Error as FinalizerError;
use thiserror::Error;

/// Why a reconcile did not finish; every variant is retried with per-object backoff (a
/// permanent one, see [`Error::class`], after the longest).
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
                FinalizerError::AddFinalizer(_) | FinalizerError::RemoveFinalizer(_)
                    if self.refusal().is_some() =>
                {
                    RetryClass::Permanent
                }
                FinalizerError::AddFinalizer(_) | FinalizerError::RemoveFinalizer(_) => {
                    RetryClass::Soon
                }
                FinalizerError::UnnamedObject | FinalizerError::InvalidFinalizer => {
                    RetryClass::Permanent
                }
            },
            Self::MissingMetadata(_) | Self::Identity(_) => RetryClass::Permanent,
            Self::Kube { .. } | Self::Status(_) if self.refusal().is_some() => {
                RetryClass::Permanent
            }
            Self::Kube { .. } | Self::Status(_) => RetryClass::Soon,
        }
    }

    /// The API server's message when it refused a request for good: 400 Bad Request or 422
    /// Invalid (e.g. a status a schema rule rejects). Repeating the same request cannot help;
    /// what changes it is an edit of the object or a fix in the controller.
    pub fn refusal(&self) -> Option<&str> {
        let source = match self {
            Self::Kube { source, .. } => source,
            Self::Status(SupportError::StatusWrite { source, .. }) => source,
            Self::Finalizer(inner) => {
                return match inner.as_ref() {
                    FinalizerError::ApplyFailed(e) | FinalizerError::CleanupFailed(e) => {
                        e.refusal()
                    }
                    FinalizerError::AddFinalizer(source)
                    | FinalizerError::RemoveFinalizer(source) => refused(source),
                    _ => None,
                };
            }
            _ => return None,
        };
        refused(source)
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

fn refused(error: &kube::Error) -> Option<&str> {
    match error {
        kube::Error::Api(status) if matches!(status.code, 400 | 422) => Some(&status.message),
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn api(code: u16, message: &str) -> kube::Error {
        let status = kube::core::Status {
            code,
            message: message.into(),
            ..kube::core::Status::failure(message, "Invalid")
        };
        kube::Error::Api(Box::new(status))
    }

    fn status_write(code: u16, message: &str) -> Error {
        Error::Status(SupportError::StatusWrite {
            kind: "VolumeSnapshotPolicy".into(),
            name: "nightly".into(),
            source: api(code, message),
        })
    }

    #[test]
    fn invalid_and_bad_requests_are_permanent_refusals_with_the_servers_message() {
        for code in [400, 422] {
            let error = status_write(code, "status.selectedVolumes: must be >= 0");
            assert_eq!(error.class(), RetryClass::Permanent, "{code}");
            assert_eq!(
                error.refusal(),
                Some("status.selectedVolumes: must be >= 0")
            );
        }
        let wrapped = Error::Finalizer(Box::new(FinalizerError::ApplyFailed(status_write(
            422, "bad",
        ))));
        assert_eq!(
            (wrapped.class(), wrapped.refusal()),
            (RetryClass::Permanent, Some("bad"))
        );
    }

    #[test]
    fn conflicts_and_server_errors_stay_retryable() {
        for code in [409, 429, 500, 503] {
            let error = status_write(code, "try again");
            assert_eq!((error.class(), error.refusal()), (RetryClass::Soon, None));
        }
        let add = Error::Finalizer(Box::new(FinalizerError::AddFinalizer(api(500, "x"))));
        assert_eq!(add.class(), RetryClass::Soon);
    }
}
