//! The crate's error type: what can stop the gateway from starting or serving.

use std::path::PathBuf;

/// Everything that can go wrong while setting the gateway up.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// A configured file could not be read.
    #[error("cannot read the {what} file {}: {source}", path.display())]
    ReadFile {
        what: &'static str,
        path: PathBuf,
        source: std::io::Error,
    },
    /// The allow-list file is not valid.
    #[error("invalid allow-list {}: {reason}", path.display())]
    AllowList { path: PathBuf, reason: String },
    /// A setting is missing, out of range or contradicts another.
    #[error("invalid setting {setting}: {reason}")]
    Config {
        setting: &'static str,
        reason: String,
    },
    /// The gRPC server could not be built or failed while serving.
    #[error("gRPC server failed: {0}")]
    Serve(String),
}
