//! Structured error details carried by every gateway status.
//!
//! The gateway puts a `google.rpc.ErrorInfo` (and `RequestInfo` / `RetryInfo` where they apply)
//! into `grpc-status-details-bin`. Two domains exist: [`ECS_DOMAIN`] for answers from ECS, whose
//! reason is the ECS error code, and [`GATEWAY_DOMAIN`] for refusals by the gateway itself, whose
//! reason is a [`GatewayReason`]. Building and decoding both live here so that server and
//! clients cannot drift apart.

use std::collections::HashMap;
use std::time::Duration;

use tonic::{Code, Status};
use tonic_types::{ErrorDetails, StatusExt};

/// `ErrorInfo.domain` of errors reported by ECS.
pub const ECS_DOMAIN: &str = "ecs.aliyuncs.com";

/// `ErrorInfo.domain` of errors produced by the gateway itself.
pub const GATEWAY_DOMAIN: &str = "ecsgateway.storage.alibabacloud.com";

/// `ErrorInfo.metadata` key: ECS `RequestId`.
pub const META_REQUEST_ID: &str = "request_id";
/// `ErrorInfo.metadata` key: HTTP status of the ECS answer, decimal.
pub const META_HTTP_STATUS: &str = "http_status";
/// `ErrorInfo.metadata` key: ECS action name, e.g. `DescribeSnapshots`.
pub const META_ACTION: &str = "action";
/// `ErrorInfo.metadata` key: ECS error message.
pub const META_MESSAGE: &str = "message";

/// An error ECS answered, as carried in a gateway status.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct EcsErrorDetails {
    /// ECS error code, e.g. `InvalidDiskId.NotFound`.
    pub code: String,
    /// ECS error message.
    pub message: String,
    /// ECS `RequestId`; empty when ECS gave none (e.g. a connection error).
    pub request_id: String,
    /// HTTP status of the ECS answer; `None` when there was no HTTP answer.
    pub http_status: Option<u16>,
    /// ECS action that failed.
    pub action: String,
}

impl EcsErrorDetails {
    /// The ECS error carried by `status`, if it came from ECS.
    pub fn from_status(status: &Status) -> Option<Self> {
        let details = status.get_error_details();
        let info = details.error_info()?;
        if info.domain != ECS_DOMAIN {
            return None;
        }

        let meta = |key: &str| info.metadata.get(key).cloned().unwrap_or_default();
        Some(Self {
            code: info.reason.clone(),
            message: meta(META_MESSAGE),
            request_id: meta(META_REQUEST_ID),
            http_status: meta(META_HTTP_STATUS).parse().ok(),
            action: meta(META_ACTION),
        })
    }

    /// A status with `code` and a readable message that carries these details.
    pub fn into_status(self, code: Code) -> Status {
        let message = format!(
            "ECS {} failed: {}: {} (request id {})",
            self.action,
            self.code,
            self.message,
            if self.request_id.is_empty() {
                "none"
            } else {
                &self.request_id
            }
        );

        let mut metadata = HashMap::new();
        metadata.insert(META_MESSAGE.to_string(), self.message);
        metadata.insert(META_ACTION.to_string(), self.action);
        if let Some(http) = self.http_status {
            metadata.insert(META_HTTP_STATUS.to_string(), http.to_string());
        }
        metadata.insert(META_REQUEST_ID.to_string(), self.request_id.clone());

        let mut details = ErrorDetails::with_error_info(self.code, ECS_DOMAIN, metadata);
        if !self.request_id.is_empty() {
            details.set_request_info(self.request_id, "");
        }
        Status::with_error_details(code, message, details)
    }
}

/// Why the gateway itself refused or failed a call (the `ErrorInfo.reason` in
/// [`GATEWAY_DOMAIN`]).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum GatewayReason {
    /// The request failed validation before any ECS call (INVALID_ARGUMENT).
    InvalidRequest,
    /// The wait queue of the rate limiter is full (RESOURCE_EXHAUSTED).
    QueueFull,
    /// The expected wait exceeds the caller's deadline (RESOURCE_EXHAUSTED).
    DeadlineTooShort,
    /// ECS kept throttling after every retry (RESOURCE_EXHAUSTED).
    Throttled,
    /// The caller may not use this RPC (PERMISSION_DENIED).
    NotAllowed,
    /// The caller presented no valid identity (UNAUTHENTICATED).
    Unauthenticated,
    /// ECS could not be reached or kept failing transiently (UNAVAILABLE).
    EcsUnavailable,
    /// The gateway could not do its job: credentials, signing, unexpected answers (INTERNAL).
    Internal,
}

impl GatewayReason {
    /// All reasons, for tests and documentation.
    pub const ALL: [Self; 8] = [
        Self::InvalidRequest,
        Self::QueueFull,
        Self::DeadlineTooShort,
        Self::Throttled,
        Self::NotAllowed,
        Self::Unauthenticated,
        Self::EcsUnavailable,
        Self::Internal,
    ];

    /// The `ErrorInfo.reason` string.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::InvalidRequest => "INVALID_REQUEST",
            Self::QueueFull => "QUEUE_FULL",
            Self::DeadlineTooShort => "DEADLINE_TOO_SHORT",
            Self::Throttled => "THROTTLED",
            Self::NotAllowed => "NOT_ALLOWED",
            Self::Unauthenticated => "UNAUTHENTICATED",
            Self::EcsUnavailable => "ECS_UNAVAILABLE",
            Self::Internal => "INTERNAL",
        }
    }

    /// The gRPC code the gateway uses with this reason.
    pub fn code(self) -> Code {
        match self {
            Self::InvalidRequest => Code::InvalidArgument,
            Self::QueueFull | Self::DeadlineTooShort | Self::Throttled => Code::ResourceExhausted,
            Self::NotAllowed => Code::PermissionDenied,
            Self::Unauthenticated => Code::Unauthenticated,
            Self::EcsUnavailable => Code::Unavailable,
            Self::Internal => Code::Internal,
        }
    }

    fn parse(reason: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|r| r.as_str() == reason)
    }
}

/// A refusal or failure produced by the gateway itself, as carried in a status.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct GatewayErrorDetails {
    /// Why.
    pub reason: GatewayReason,
    /// Extra facts, e.g. `rpc` and `field`; never secrets.
    pub metadata: HashMap<String, String>,
    /// When the gateway expects a retry to be admitted, if it knows.
    pub retry_after: Option<Duration>,
}

impl GatewayErrorDetails {
    /// Details with no metadata and no retry hint.
    pub fn new(reason: GatewayReason) -> Self {
        Self {
            reason,
            metadata: HashMap::new(),
            retry_after: None,
        }
    }

    /// Adds a metadata entry.
    pub fn with(mut self, key: &str, value: impl Into<String>) -> Self {
        self.metadata.insert(key.to_string(), value.into());
        self
    }

    /// Adds a retry hint.
    pub fn retry_after(mut self, delay: Duration) -> Self {
        self.retry_after = Some(delay);
        self
    }

    /// The gateway error carried by `status`, if the gateway produced it.
    pub fn from_status(status: &Status) -> Option<Self> {
        let details = status.get_error_details();
        let info = details.error_info()?;
        if info.domain != GATEWAY_DOMAIN {
            return None;
        }

        Some(Self {
            reason: GatewayReason::parse(&info.reason)?,
            metadata: info.metadata.clone(),
            retry_after: details.retry_info().and_then(|r| r.retry_delay),
        })
    }

    /// A status with the reason's code, `message`, and these details.
    pub fn into_status(self, message: impl Into<String>) -> Status {
        let code = self.reason.code();
        let mut details =
            ErrorDetails::with_error_info(self.reason.as_str(), GATEWAY_DOMAIN, self.metadata);
        if let Some(delay) = self.retry_after {
            details.set_retry_info(Some(delay));
        }
        Status::with_error_details(code, message, details)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ecs_details_round_trip_through_a_status() {
        let details = EcsErrorDetails {
            code: "InvalidDiskId.NotFound".into(),
            message: "The specified disk does not exist.".into(),
            request_id: "4F3B-REQ".into(),
            http_status: Some(404),
            action: "CreateSnapshot".into(),
        };

        let status = details.clone().into_status(Code::NotFound);

        assert_eq!(status.code(), Code::NotFound);
        assert!(status.message().contains("InvalidDiskId.NotFound"));
        assert!(status.message().contains("4F3B-REQ"));
        assert_eq!(EcsErrorDetails::from_status(&status), Some(details));
        assert_eq!(GatewayErrorDetails::from_status(&status), None);
        let request_info = status.get_error_details().request_info().cloned();
        assert_eq!(
            request_info.map(|r| r.request_id),
            Some("4F3B-REQ".to_string())
        );
    }

    #[test]
    fn gateway_details_round_trip_with_retry_hint() {
        let details = GatewayErrorDetails::new(GatewayReason::QueueFull)
            .with("rpc", "DescribeSnapshots")
            .retry_after(Duration::from_millis(1500));

        let status = details.clone().into_status("queue full");

        assert_eq!(status.code(), Code::ResourceExhausted);
        assert_eq!(GatewayErrorDetails::from_status(&status), Some(details));
        assert_eq!(EcsErrorDetails::from_status(&status), None);
    }

    #[test]
    fn a_plain_status_has_no_details() {
        let status = Status::unavailable("connection refused");

        assert_eq!(EcsErrorDetails::from_status(&status), None);
        assert_eq!(GatewayErrorDetails::from_status(&status), None);
    }

    #[test]
    fn every_reason_parses_back() {
        for reason in GatewayReason::ALL {
            assert_eq!(GatewayReason::parse(reason.as_str()), Some(reason));
        }
    }
}
