use controller_support::{SupportError, gateway_error::RetryClass};
use thiserror::Error;

/// Why a reconcile pass did not finish; the pass is retried with backoff.
#[derive(Debug, Error)]
pub enum ReconcilerError {
    /// A gateway call failed in a way that retrying later may fix (outage, throttling, an
    /// operator-side problem such as the allow-list). `class` says how soon.
    #[error("gateway call {rpc} failed ({code}): {message}")]
    Gateway {
        rpc: &'static str,
        class: RetryClass,
        code: String,
        message: String,
    },

    /// A VSP status write was refused.
    #[error(transparent)]
    Status(#[from] SupportError),
}

impl ReconcilerError {
    /// How soon repeating the pass is worth it.
    pub fn class(&self) -> RetryClass {
        match self {
            Self::Gateway { class, .. } => *class,
            Self::Status(_) => RetryClass::Soon,
        }
    }
}
