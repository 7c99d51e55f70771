//! What a controller should do about a failed gateway call, decided from the gRPC code and the
//! structured ECS/gateway details (see the error table in `ecs_gateway.proto`).
//!
//! - [`RetryClass::Soon`]: UNAVAILABLE, DEADLINE_EXCEEDED, ABORTED, CANCELLED, UNKNOWN (the
//!   gateway or ECS failed transiently). Requeue after a short backoff.
//! - [`RetryClass::Later`]: RESOURCE_EXHAUSTED (throttling, queue full, quota);
//!   FAILED_PRECONDITION on a state that changes by itself (`IncorrectDiskStatus.*` such as a
//!   snapshot already being created, `OperationDenied.*`, `InvalidAccountStatus.*`);
//!   PERMISSION_DENIED, UNAUTHENTICATED, INTERNAL (an operator must fix credentials or the
//!   allow-list). Requeue after a long backoff; never mark the work failed for good.
//! - [`RetryClass::Permanent`]: INVALID_ARGUMENT, NOT_FOUND, other FAILED_PRECONDITION
//!   (`*.OperationNotSupported`, `SnapshotCreated*`). Report; retry only when the object
//!   changes (or on the slow resync).
//!
//! NOT_FOUND is permanent for the call that got it; callers that delete treat it as done.

use std::{fmt, time::Duration};

use ecs_gateway_api::{EcsErrorDetails, GatewayErrorDetails};
use tonic::{Code, Status};

/// How soon a failed call is worth repeating.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum RetryClass {
    /// A transient failure: repeat after a short backoff.
    Soon,
    /// Throttling, a busy resource or a configuration an operator must fix: repeat after a long
    /// backoff.
    Later,
    /// The request itself is wrong or its object is gone: repeating it unchanged fails again.
    Permanent,
}

impl RetryClass {
    /// `retry_soon`, `retry_later`, `permanent`: a bounded metric label.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Soon => "retry_soon",
            Self::Later => "retry_later",
            Self::Permanent => "permanent",
        }
    }
}

/// A failed gateway call, classified, with what a person needs to act on it.
#[derive(Debug, Clone)]
pub struct GatewayFailure {
    /// What to do about it.
    pub class: RetryClass,
    /// The gRPC code.
    pub code: Code,
    /// ECS's error, when ECS answered.
    pub ecs: Option<EcsErrorDetails>,
    /// The gateway's own refusal reason, when the gateway refused.
    pub gateway: Option<GatewayErrorDetails>,
    /// The status message.
    pub message: String,
}

impl GatewayFailure {
    /// Classifies `status` (see the module table).
    pub fn from_status(status: &Status) -> Self {
        let ecs = EcsErrorDetails::from_status(status);
        let class = classify(status.code(), ecs.as_ref().map(|e| e.code.as_str()));
        Self {
            class,
            code: status.code(),
            gateway: GatewayErrorDetails::from_status(status),
            ecs,
            message: status.message().to_owned(),
        }
    }

    /// The ECS error code (`Throttling.User`, `IncorrectDiskStatus.CreatingSnapshot`, …) or,
    /// failing that, the gateway reason or the gRPC code: a short, stable text for statuses.
    pub fn short_code(&self) -> String {
        if let Some(ecs) = &self.ecs {
            return ecs.code.clone();
        }
        if let Some(gateway) = &self.gateway {
            return gateway.reason.as_str().to_owned();
        }
        format!("{:?}", self.code)
    }

    /// The ECS request ID, for logs and support tickets.
    pub fn request_id(&self) -> Option<&str> {
        self.ecs
            .as_ref()
            .map(|e| e.request_id.as_str())
            .filter(|id| !id.is_empty())
    }

    /// The gateway's hint of when a retry will be admitted, if it gave one.
    pub fn retry_after(&self) -> Option<Duration> {
        self.gateway.as_ref().and_then(|g| g.retry_after)
    }

    /// Whether ECS or the gateway said the object does not exist.
    pub fn is_not_found(&self) -> bool {
        self.code == Code::NotFound
    }
}

impl fmt::Display for GatewayFailure {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}", self.message)
    }
}

impl std::error::Error for GatewayFailure {}

impl From<Status> for GatewayFailure {
    fn from(status: Status) -> Self {
        Self::from_status(&status)
    }
}

/// The class of a failure with `code` and, when ECS answered, ECS error code `ecs_code`.
pub fn classify(code: Code, ecs_code: Option<&str>) -> RetryClass {
    match code {
        Code::Unavailable
        | Code::DeadlineExceeded
        | Code::Aborted
        | Code::Cancelled
        | Code::Unknown => RetryClass::Soon,
        Code::ResourceExhausted
        | Code::PermissionDenied
        | Code::Unauthenticated
        | Code::Internal => RetryClass::Later,
        Code::FailedPrecondition => precondition(ecs_code),
        _ => RetryClass::Permanent,
    }
}

/// States that change without anyone editing the request: a disk that finishes its snapshot,
/// an operation lock that lifts, an account that is topped up.
fn precondition(ecs_code: Option<&str>) -> RetryClass {
    const PASSING: [&str; 3] = [
        "IncorrectDiskStatus",
        "OperationDenied",
        "InvalidAccountStatus",
    ];
    match ecs_code {
        Some(c) if PASSING.iter().any(|p| c.starts_with(p)) => RetryClass::Later,
        Some(_) => RetryClass::Permanent,
        // No ECS details: the gateway refused on state it could not name; assume it passes.
        None => RetryClass::Later,
    }
}

#[cfg(test)]
mod tests {
    use ecs_gateway_api::GatewayReason;

    use super::*;

    fn ecs_status(code: Code, ecs_code: &str) -> Status {
        EcsErrorDetails {
            code: ecs_code.into(),
            message: "m".into(),
            request_id: "REQ-1".into(),
            http_status: Some(400),
            action: "CreateSnapshot".into(),
        }
        .into_status(code)
    }

    #[test]
    fn busy_disks_and_throttling_are_retried_later_never_permanent() {
        let busy = GatewayFailure::from_status(&ecs_status(
            Code::FailedPrecondition,
            "IncorrectDiskStatus.CreatingSnapshot",
        ));
        assert_eq!(busy.class, RetryClass::Later);
        assert_eq!(busy.short_code(), "IncorrectDiskStatus.CreatingSnapshot");
        assert_eq!(busy.request_id(), Some("REQ-1"));

        let throttled =
            GatewayFailure::from_status(&ecs_status(Code::ResourceExhausted, "Throttling.User"));
        assert_eq!(throttled.class, RetryClass::Later);

        let queue = GatewayErrorDetails::new(GatewayReason::QueueFull)
            .retry_after(Duration::from_secs(2))
            .into_status("queue full");
        let queue = GatewayFailure::from_status(&queue);
        assert_eq!(queue.class, RetryClass::Later);
        assert_eq!(queue.retry_after(), Some(Duration::from_secs(2)));
        assert_eq!(queue.short_code(), "QUEUE_FULL");
    }

    #[test]
    fn transient_failures_are_retried_soon() {
        for code in [Code::Unavailable, Code::DeadlineExceeded, Code::Unknown] {
            let failure = GatewayFailure::from_status(&Status::new(code, "x"));
            assert_eq!(failure.class, RetryClass::Soon, "{code:?}");
            assert_eq!(failure.short_code(), format!("{code:?}"));
        }
    }

    #[test]
    fn bad_requests_and_unsupported_disks_are_permanent() {
        let bad = ecs_status(Code::InvalidArgument, "InvalidParameter");
        assert_eq!(
            GatewayFailure::from_status(&bad).class,
            RetryClass::Permanent
        );
        let unsupported = ecs_status(
            Code::FailedPrecondition,
            "DiskCategory.OperationNotSupported",
        );
        assert_eq!(
            GatewayFailure::from_status(&unsupported).class,
            RetryClass::Permanent
        );
        let gone =
            GatewayFailure::from_status(&ecs_status(Code::NotFound, "InvalidDiskId.NotFound"));
        assert!(gone.is_not_found());
        assert_eq!(gone.class, RetryClass::Permanent);
    }

    #[test]
    fn operator_problems_are_retried_later() {
        let denied = GatewayErrorDetails::new(GatewayReason::NotAllowed).into_status("no");
        assert_eq!(
            GatewayFailure::from_status(&denied).class,
            RetryClass::Later
        );
        assert_eq!(
            classify(Code::Internal, Some("SignatureDoesNotMatch")),
            RetryClass::Later
        );
    }
}
