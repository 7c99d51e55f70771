//! The crate's one error type and how the gateway should read it.
//!
//! # Contract
//! - Nothing secret is ever part of an error: transport errors are stripped of their URL (the
//!   query carries `SecurityToken`), and ECS messages are scrubbed of the caller's credentials
//!   before they are stored (ECS echoes its string-to-sign in `SignatureDoesNotMatch`).
//! - Classification ([`Error::is_throttling`], [`Error::is_transient`],
//!   [`Error::is_credentials_expired`]) describes what happened, not what to do; retry policy
//!   belongs to the gateway.

use std::time::Duration;

/// Codes ECS uses for flow control; all arrive as HTTP 400, not 429.
const THROTTLING_CODE: &str = "Throttling";

/// Codes ECS documents as server-side and retryable.
const TRANSIENT_CODES: &[&str] = &["InternalError", "UnknownError", "ServiceUnavailable"];

/// Codes meaning the credential itself was refused; a fresh credential may cure them.
const CREDENTIAL_CODES: &[&str] = &[
    "InvalidAccessKeyId.NotFound",
    "InvalidAccessKeyId.Inactive",
    "Forbidden.AccessKeyDisabled",
    "MissingSecurityToken",
];

/// Everything that can go wrong in this crate.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// ECS answered with an error body (`Code`, `Message`, `RequestId`).
    #[error(transparent)]
    Api(Box<ApiError>),

    /// ECS (or something in front of it) answered with a body that is not an ECS response,
    /// e.g. an HTML 502 page or truncated JSON.
    #[error(
        "ECS {action} answered HTTP {status} with a body that is not an ECS response: {detail}"
    )]
    UnexpectedResponse {
        action: &'static str,
        status: u16,
        detail: String,
    },

    /// The HTTP exchange itself failed: connect error, timeout, reset, unreadable body.
    #[error("sending ECS {action} to {host} failed ({kind}): {source}")]
    Transport {
        action: &'static str,
        host: String,
        kind: TransportKind,
        #[source]
        source: reqwest::Error,
    },

    /// The request breaks an ECS limit and was not sent.
    #[error("invalid {action} request, parameter {parameter}: {reason}")]
    InvalidRequest {
        action: &'static str,
        parameter: String,
        reason: String,
    },

    /// No usable credentials: a provider failed or returned something unusable.
    ///
    /// `transient` is true when the source could not be reached or answered like an outage
    /// (connect error, timeout, HTTP 5xx, throttling): asking again later may succeed. It is
    /// false when the source refused (bad OIDC token, role not found, `Code` other than
    /// `Success`) or is misconfigured: repeating cannot help until someone fixes it.
    #[error("credentials from {provider} are unavailable: {reason}")]
    Credentials {
        provider: &'static str,
        reason: String,
        transient: bool,
    },

    /// The client or a provider was configured with values that cannot work.
    #[error("invalid ECS client configuration: {0}")]
    Config(String),
}

/// Where in the HTTP exchange a transport error happened.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TransportKind {
    /// No connection was made; the request cannot have reached ECS.
    Connect,
    /// The connect, read or total timeout elapsed.
    Timeout,
    /// The connection broke while sending or receiving.
    Broken,
}

impl std::fmt::Display for TransportKind {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(match self {
            Self::Connect => "connect",
            Self::Timeout => "timeout",
            Self::Broken => "connection broken",
        })
    }
}

/// An error answer from ECS.
#[derive(Debug, Clone, thiserror::Error)]
#[error("ECS {action} failed with HTTP {status} {code}: {message} (RequestId {request_id})")]
pub struct ApiError {
    pub(crate) action: &'static str,
    pub(crate) status: u16,
    pub(crate) code: String,
    pub(crate) message: String,
    pub(crate) request_id: String,
    pub(crate) retry_after: Option<Duration>,
}

impl ApiError {
    /// The action that failed.
    pub fn action(&self) -> &'static str {
        self.action
    }

    /// The HTTP status ECS answered with.
    pub fn status(&self) -> u16 {
        self.status
    }

    /// ECS's `Code`, e.g. `Throttling.User` or `ParameterInvalid`.
    pub fn code(&self) -> &str {
        &self.code
    }

    /// ECS's `Message`, scrubbed of credentials.
    pub fn message(&self) -> &str {
        &self.message
    }

    /// ECS's `RequestId` (empty when the body had none).
    pub fn request_id(&self) -> &str {
        &self.request_id
    }

    /// The wait ECS asked for through `x-acs-retry-after` (read as milliseconds, as the
    /// official SDK does).
    pub fn retry_after(&self) -> Option<Duration> {
        self.retry_after
    }

    fn is_throttling(&self) -> bool {
        let code = self.code.as_str();
        let throttling_code = code == THROTTLING_CODE
            || code
                .strip_prefix(THROTTLING_CODE)
                .is_some_and(|rest| rest.starts_with('.'));
        throttling_code || self.status == 429 || self.retry_after.is_some()
    }

    fn is_transient(&self) -> bool {
        self.status >= 500 || TRANSIENT_CODES.contains(&self.code.as_str())
    }

    fn is_credentials_expired(&self) -> bool {
        self.code.starts_with("InvalidSecurityToken.")
    }

    fn is_credentials_rejected(&self) -> bool {
        self.is_credentials_expired() || CREDENTIAL_CODES.contains(&self.code.as_str())
    }
}

/// A coarse, bounded classification, fit for metric labels.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum ErrorKind {
    Throttled,
    Transient,
    CredentialsRejected,
    /// ECS refused the request itself (4xx other than the above).
    Rejected,
    InvalidRequest,
    CredentialsUnavailable,
    Config,
}

impl ErrorKind {
    /// A stable snake_case label.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Throttled => "throttled",
            Self::Transient => "transient",
            Self::CredentialsRejected => "credentials_rejected",
            Self::Rejected => "rejected",
            Self::InvalidRequest => "invalid_request",
            Self::CredentialsUnavailable => "credentials_unavailable",
            Self::Config => "config",
        }
    }
}

impl Error {
    /// The ECS error answer, if this is one.
    pub fn api(&self) -> Option<&ApiError> {
        match self {
            Self::Api(api) => Some(api),
            _ => None,
        }
    }

    /// The HTTP status of ECS's answer, if one arrived.
    pub fn http_status(&self) -> Option<u16> {
        match self {
            Self::Api(api) => Some(api.status),
            Self::UnexpectedResponse { status, .. } => Some(*status),
            _ => None,
        }
    }

    /// ECS's error `Code`, if ECS answered with one.
    pub fn code(&self) -> Option<&str> {
        self.api().map(ApiError::code)
    }

    /// ECS's error `Message`, if ECS answered with one.
    pub fn message(&self) -> Option<&str> {
        self.api().map(ApiError::message)
    }

    /// ECS's `RequestId`, if ECS answered with one.
    pub fn request_id(&self) -> Option<&str> {
        self.api()
            .map(ApiError::request_id)
            .filter(|id| !id.is_empty())
    }

    /// ECS flow control: codes `Throttling` and `Throttling.*` (HTTP 400), HTTP 429, or any
    /// error carrying `x-acs-retry-after`.
    pub fn is_throttling(&self) -> bool {
        self.api().is_some_and(ApiError::is_throttling)
    }

    /// A failure that says nothing about the request itself: HTTP 5xx, ECS's
    /// `InternalError`/`UnknownError`/`ServiceUnavailable`, timeouts, refused or reset
    /// connections, non-ECS bodies with a 5xx status, and credential sources that were
    /// unreachable or down (the request was then never sent, so repeating it is always safe).
    pub fn is_transient(&self) -> bool {
        match self {
            Self::Api(api) => api.is_transient(),
            Self::UnexpectedResponse { status, .. } => *status >= 500,
            Self::Transport { .. } => true,
            Self::Credentials { transient, .. } => *transient,
            _ => false,
        }
    }

    /// ECS refused the STS token as expired or invalid (`InvalidSecurityToken.*`); refreshing
    /// the credentials and repeating once is the documented cure.
    pub fn is_credentials_expired(&self) -> bool {
        self.api().is_some_and(ApiError::is_credentials_expired)
    }

    /// ECS refused the credential itself (expired token, unknown or disabled AccessKey).
    pub fn is_credentials_rejected(&self) -> bool {
        self.api().is_some_and(ApiError::is_credentials_rejected)
    }

    /// False only when the request certainly never reached ECS (local validation,
    /// configuration, credentials, connect failures). A mutating request that failed with
    /// `true` here may have taken effect.
    pub fn request_may_have_reached_ecs(&self) -> bool {
        match self {
            Self::Api(_) | Self::UnexpectedResponse { .. } => true,
            Self::Transport { kind, .. } => *kind != TransportKind::Connect,
            _ => false,
        }
    }

    /// A bounded label for metrics and logs.
    pub fn kind(&self) -> ErrorKind {
        match self {
            Self::Credentials { .. } => ErrorKind::CredentialsUnavailable,
            _ if self.is_throttling() => ErrorKind::Throttled,
            _ if self.is_transient() => ErrorKind::Transient,
            _ if self.is_credentials_rejected() => ErrorKind::CredentialsRejected,
            Self::Api(_) | Self::UnexpectedResponse { .. } => ErrorKind::Rejected,
            Self::InvalidRequest { .. } => ErrorKind::InvalidRequest,
            Self::Config(_) | Self::Transport { .. } => ErrorKind::Config,
        }
    }

    pub(crate) fn invalid(
        action: &'static str,
        parameter: impl Into<String>,
        reason: String,
    ) -> Self {
        Self::InvalidRequest {
            action,
            parameter: parameter.into(),
            reason,
        }
    }

    pub(crate) fn transport(action: &'static str, host: &str, source: reqwest::Error) -> Self {
        let kind = if source.is_timeout() {
            TransportKind::Timeout
        } else if source.is_connect() {
            TransportKind::Connect
        } else {
            TransportKind::Broken
        };
        Self::Transport {
            action,
            host: host.to_owned(),
            kind,
            source: source.without_url(),
        }
    }
}
