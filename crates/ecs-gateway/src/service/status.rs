//! ECS and gateway failures as gRPC statuses. The code table is part of the contract (see the
//! proto file's header); clients decide by code whether and when to retry.

use std::time::Duration;

use ecs_client::ApiError;
use ecs_gateway_api::{EcsErrorDetails, GatewayErrorDetails, GatewayReason};
use tonic::{Code, Status};

use crate::backend::BackendError;
use crate::limiter::Rejection;

/// The status for a failed backend call of `rpc`.
pub fn from_backend(rpc: &'static str, error: BackendError) -> Status {
    match error {
        BackendError::Rejected(rejection) => from_rejection(rpc, rejection),
        BackendError::Ecs { error, .. } => from_ecs(rpc, error),
    }
}

fn from_rejection(rpc: &'static str, rejection: Rejection) -> Status {
    let message = rejection.to_string();
    let details = match rejection {
        Rejection::QueueFull { retry_after, .. }
        | Rejection::CallerQueueFull { retry_after, .. } => {
            GatewayErrorDetails::new(GatewayReason::QueueFull).retry_after(retry_after)
        }
        Rejection::DeadlineTooShort { expected_wait, .. } => {
            GatewayErrorDetails::new(GatewayReason::DeadlineTooShort).retry_after(expected_wait)
        }
        Rejection::ShuttingDown => GatewayErrorDetails::new(GatewayReason::EcsUnavailable)
            .retry_after(Duration::from_secs(1)),
    };
    details.with("rpc", rpc).into_status(message)
}

fn from_ecs(rpc: &'static str, error: ecs_client::Error) -> Status {
    use ecs_client::Error as E;

    let message = error.to_string();
    let details = match &error {
        E::Api(api) => return from_api(api),
        E::InvalidRequest { parameter, .. } => {
            GatewayErrorDetails::new(GatewayReason::InvalidRequest).with("field", parameter.clone())
        }
        E::Transport { .. } => GatewayErrorDetails::new(GatewayReason::EcsUnavailable),
        E::UnexpectedResponse { status, .. } if *status >= 500 => {
            GatewayErrorDetails::new(GatewayReason::EcsUnavailable)
        }
        E::Credentials {
            transient: true, ..
        } => {
            tracing::warn!(rpc, %error, "the gateway's credential source is unreachable");
            GatewayErrorDetails::new(GatewayReason::EcsUnavailable)
        }
        E::UnexpectedResponse { .. } | E::Credentials { .. } | E::Config(_) => {
            tracing::error!(rpc, %error, "the gateway cannot call ECS");
            GatewayErrorDetails::new(GatewayReason::Internal)
        }
    };
    details.with("rpc", rpc).into_status(message)
}

fn from_api(api: &ApiError) -> Status {
    let details = EcsErrorDetails {
        code: api.code().to_string(),
        message: api.message().to_string(),
        request_id: api.request_id().to_string(),
        http_status: Some(api.status()),
        action: api.action().to_string(),
    };
    details.into_status(code_for_answer(api.code(), api.status(), api.message()))
}

/// The gRPC code for an ECS error answer, reading the message where the code alone is
/// ambiguous: ECS answers an unknown automatic snapshot policy with `ParameterInvalid` (HTTP
/// 403 on Apply, 404 on Delete), the same code it uses for malformed parameters.
pub fn code_for_answer(code: &str, http: u16, message: &str) -> Code {
    if code == "ParameterInvalid" && names_missing_policy(message) {
        return Code::NotFound;
    }
    code_for(code, http)
}

/// Whether an ECS message says an automatic snapshot policy does not exist, e.g. "The
/// specified autoSnapshotPolicyId sp-1 does not exist in cn-hangzhou."
fn names_missing_policy(message: &str) -> bool {
    let message = message.to_ascii_lowercase();
    let about_policy = message.contains("autosnapshotpolicy");
    about_policy && (message.contains("not exist") || message.contains("not found"))
}

/// Codes of ECS answers that mean the gateway's own credentials or signature are wrong.
const GATEWAY_FAULT_PREFIXES: &[&str] = &[
    "InvalidAccessKeyId",
    "InvalidAccessKeySecret",
    "SignatureDoesNotMatch",
    "IncompleteSignature",
    "InvalidSecurityToken",
    "MissingSecurityToken",
    "InvalidTimeStamp",
    "SignatureNonceUsed",
    "Forbidden.AccessKeyDisabled",
];

/// Codes of ECS answers that mean the object is in the wrong state for the operation.
const PRECONDITION_PREFIXES: &[&str] = &[
    "IncorrectDiskStatus",
    "IncorrectInstanceStatus",
    "IncorrectSnapshotStatus",
    "OperationDenied",
    "InvalidAccountStatus",
    "SnapshotCreatedImage",
    "SnapshotCreatedDisk",
    "DependencyViolation",
    "DiskCategory.OperationNotSupported",
    "PartofDiskCategory.OperationNotSupported",
];

/// The gRPC code for an ECS error answer with `code` and HTTP status `http`.
pub fn code_for(code: &str, http: u16) -> Code {
    let has_prefix = |prefixes: &[&str]| prefixes.iter().any(|p| code.starts_with(p));

    if code == "Throttling" || code.starts_with("Throttling.") || http == 429 {
        Code::ResourceExhausted
    } else if http >= 500
        || matches!(
            code,
            "InternalError" | "UnknownError" | "ServiceUnavailable"
        )
    {
        Code::Unavailable
    } else if has_prefix(GATEWAY_FAULT_PREFIXES) {
        Code::Internal
    } else if code.contains("QuotaExceed") {
        Code::ResourceExhausted
    } else if code.starts_with("Forbidden") {
        Code::PermissionDenied
    } else if code.ends_with(".NotFound") || code.ends_with("NotFound") || http == 404 {
        Code::NotFound
    } else if has_prefix(PRECONDITION_PREFIXES) || code.ends_with(".OperationNotSupported") {
        Code::FailedPrecondition
    } else if (400..500).contains(&http) {
        Code::InvalidArgument
    } else {
        Code::Internal
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ecs_codes_map_to_the_documented_grpc_codes() {
        let cases = [
            ("Throttling.User", 400, Code::ResourceExhausted),
            ("Throttling", 400, Code::ResourceExhausted),
            ("ServiceUnavailable", 503, Code::Unavailable),
            ("InternalError", 500, Code::Unavailable),
            ("SignatureDoesNotMatch", 400, Code::Internal),
            ("InvalidSecurityToken.Expired", 400, Code::Internal),
            (
                "QuotaExceed.AutoSnapshotPolicy",
                403,
                Code::ResourceExhausted,
            ),
            ("Forbidden.RAM", 403, Code::PermissionDenied),
            ("InvalidDiskId.NotFound", 404, Code::NotFound),
            ("ParameterInvalid", 404, Code::NotFound),
            ("ParameterInvalid", 403, Code::InvalidArgument),
            (
                "IncorrectDiskStatus.CreatingSnapshot",
                400,
                Code::FailedPrecondition,
            ),
            (
                "OperationDenied.TooManyAutoSnapshotPolicies",
                403,
                Code::FailedPrecondition,
            ),
            ("SnapshotCreatedDisk", 403, Code::FailedPrecondition),
            ("MissingParameter", 400, Code::InvalidArgument),
        ];

        for (code, http, expected) in cases {
            assert_eq!(code_for(code, http), expected, "{code} / {http}");
        }
    }

    #[test]
    fn an_unknown_policy_is_not_found_whatever_the_http_status() {
        let missing = "The specified autoSnapshotPolicyId sp-9 does not exist in cn-hangzhou.";
        let bad_disk = "The specified diskIds contains d-9, which does not exist.";
        let malformed = "The specified parameter AutoSnapshotPolicyId is invalid.";

        assert_eq!(
            code_for_answer("ParameterInvalid", 403, missing),
            Code::NotFound
        );
        assert_eq!(
            code_for_answer("ParameterInvalid", 404, missing),
            Code::NotFound
        );
        assert_eq!(
            code_for_answer("ParameterInvalid", 403, bad_disk),
            Code::InvalidArgument
        );
        assert_eq!(
            code_for_answer("ParameterInvalid", 403, malformed),
            Code::InvalidArgument
        );
        let other_code = code_for_answer("InvalidParameter", 400, missing);
        assert_eq!(other_code, Code::InvalidArgument);
    }

    #[test]
    fn rejections_carry_gateway_details_and_a_retry_hint() {
        let rejection = Rejection::QueueFull {
            capacity: 5,
            retry_after: Duration::from_secs(2),
        };

        let status = from_backend("DescribeDisks", BackendError::Rejected(rejection));

        assert_eq!(status.code(), Code::ResourceExhausted);
        let details = GatewayErrorDetails::from_status(&status).unwrap();
        assert_eq!(details.reason, GatewayReason::QueueFull);
        assert_eq!(details.retry_after, Some(Duration::from_secs(2)));
        assert_eq!(details.metadata["rpc"], "DescribeDisks");
    }

    #[test]
    fn a_local_validation_failure_names_the_field() {
        let error = ecs_client::Error::InvalidRequest {
            action: "CreateSnapshot",
            parameter: "DiskId".into(),
            reason: "must not be empty".into(),
        };

        let status = from_backend(
            "CreateSnapshot",
            BackendError::Ecs {
                error,
                attempts: 1,
                earlier_ambiguous: false,
            },
        );

        assert_eq!(status.code(), Code::InvalidArgument);
        assert_eq!(
            GatewayErrorDetails::from_status(&status).unwrap().metadata["field"],
            "DiskId"
        );
    }
}
