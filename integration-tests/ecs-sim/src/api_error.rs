//! ECS error answers: the code, message and HTTP status a real ECS endpoint would send.
//!
//! Constructors are named after the situation, not the code, so a handler cannot pick the right
//! code with the wrong status. Statuses are the ones ECS's API reference and the official SDKs
//! document; where those leave a status open, the choice is listed in the README's limits.

use std::fmt;

/// One ECS error answer.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ApiError {
    pub status: u16,
    pub code: String,
    pub message: String,
}

impl fmt::Display for ApiError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{} {}: {}", self.status, self.code, self.message)
    }
}

impl ApiError {
    pub fn new(status: u16, code: impl Into<String>, message: impl Into<String>) -> Self {
        Self {
            status,
            code: code.into(),
            message: message.into(),
        }
    }

    pub fn missing(name: &str) -> Self {
        let message = format!(
            "The input parameter \"{name}\" that is mandatory for processing this request is not \
             supplied."
        );
        Self::new(400, "MissingParameter", message)
    }

    pub fn invalid(name: &str, why: impl fmt::Display) -> Self {
        Self::new(
            400,
            "InvalidParameter",
            format!("The specified parameter \"{name}\" {why}"),
        )
    }

    /// The `ParameterInvalid` family of the auto-snapshot-policy actions (403 or 404).
    pub fn parameter_invalid(status: u16, why: impl Into<String>) -> Self {
        Self::new(status, "ParameterInvalid", why)
    }

    pub fn disk_not_found(disk_id: &str) -> Self {
        let message = format!("The specified disk \"{disk_id}\" does not exist.");
        Self::new(404, "InvalidDiskId.NotFound", message)
    }

    pub fn instance_not_found(instance_id: &str) -> Self {
        let message = format!("The specified instance \"{instance_id}\" does not exist.");
        Self::new(404, "InvalidInstanceId.NotFound", message)
    }

    pub fn region_not_found(region: &str) -> Self {
        let message = format!("The specified RegionId \"{region}\" does not exist.");
        Self::new(404, "InvalidRegionId.NotFound", message)
    }

    pub fn creating_snapshot(disk_id: &str) -> Self {
        let message = format!(
            "The operation is not permitted because a snapshot of disk \"{disk_id}\" is being \
             created."
        );
        Self::new(400, "IncorrectDiskStatus.CreatingSnapshot", message)
    }

    pub fn throttled_user() -> Self {
        Self::new(
            400,
            "Throttling.User",
            "Request was denied due to user flow control.",
        )
    }

    pub fn throttled_api(action: &str) -> Self {
        let message = format!("Request was denied due to api flow control of {action}.");
        Self::new(400, "Throttling.Api", message)
    }
}
