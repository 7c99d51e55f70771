//! The crate's error type for everything that is not an ECS answer: configuration, start-up and
//! the admin client. ECS-level refusals are [`crate::api_error::ApiError`] values instead, because
//! they are responses, not failures of the simulator.

use std::path::PathBuf;

/// What went wrong while configuring, starting or driving the simulator.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// The configuration file could not be read.
    #[error("cannot read simulator config {path}: {source}")]
    ConfigRead {
        path: PathBuf,
        source: std::io::Error,
    },

    /// The configuration file is not valid YAML/JSON for [`crate::SimConfig`].
    #[error("invalid simulator config {path}: {message}")]
    ConfigParse { path: PathBuf, message: String },

    /// A configuration value is out of range or inconsistent; the message names the field.
    #[error("invalid simulator setting {field}: {message}")]
    InvalidSetting { field: String, message: String },

    /// The listener could not be bound.
    #[error("cannot listen on {addr}: {source}")]
    Bind {
        addr: String,
        source: std::io::Error,
    },

    /// The ready file could not be written.
    #[error("cannot write ready file {path}: {source}")]
    ReadyFile {
        path: PathBuf,
        source: std::io::Error,
    },

    /// The admin API could not be reached.
    #[error("admin API request {what} failed: {source}")]
    AdminTransport {
        what: String,
        source: reqwest::Error,
    },

    /// The admin API refused a request; `message` is the simulator's explanation.
    #[error("admin API refused {what} with HTTP {status}: {message}")]
    AdminRefused {
        what: String,
        status: u16,
        message: String,
    },
}

impl Error {
    pub(crate) fn setting(field: impl Into<String>, message: impl Into<String>) -> Self {
        Self::InvalidSetting {
            field: field.into(),
            message: message.into(),
        }
    }
}
