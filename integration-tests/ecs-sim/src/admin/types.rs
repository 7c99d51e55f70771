//! Bodies of the admin API, shared by the server and [`crate::AdminClient`].

use jiff::Timestamp;
use serde::{Deserialize, Serialize};

use crate::model::{Disk, Instance, InstanceStatus, Policy, Snapshot, SnapshotGroup};
use crate::timeline::TimelineEvent;

/// `POST /_sim/clock/advance`.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct AdvanceClock {
    pub seconds: u64,
}

/// `POST /_sim/clock/set`: a time not before the current virtual time.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct SetClock {
    pub now: Timestamp,
}

/// The clock after a move, and everything that happened on the way.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
pub struct ClockMoved {
    pub now: Timestamp,
    pub events: Vec<TimelineEvent>,
}

/// `GET /_sim/clock`.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq, Eq)]
pub struct ClockNow {
    pub now: Timestamp,
}

/// `POST /_sim/instances/{id}/status`.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct InstanceStatusChange {
    pub status: InstanceStatus,
}

/// A snapshot with its status at the current virtual time.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq, Eq)]
pub struct SnapshotState {
    #[serde(flatten)]
    pub snapshot: Snapshot,
    /// `progressing` or `accomplished`.
    pub status: String,
}

/// `GET /_sim/state`: everything the account holds, for assertions.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq, Eq)]
pub struct StateDump {
    pub now: Timestamp,
    pub instances: Vec<Instance>,
    pub disks: Vec<Disk>,
    pub policies: Vec<Policy>,
    pub snapshots: Vec<SnapshotState>,
    pub groups: Vec<SnapshotGroup>,
}

/// `POST /_sim/oidc/token`: a token the simulated STS accepts (fields default to the trust).
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
#[serde(default)]
pub struct OidcTokenRequest {
    pub subject: Option<String>,
    /// Lifetime in virtual seconds (default 3600).
    pub ttl_seconds: Option<u64>,
    pub issuer: Option<String>,
    pub audience: Option<String>,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct OidcToken {
    pub token: String,
}

/// `POST /_sim/sts/credentials`: issue STS credentials directly, skipping OIDC.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct StsRequest {
    pub role_arn: String,
    pub duration_seconds: u64,
}

#[derive(Debug, Clone, Serialize, Deserialize, PartialEq, Eq)]
pub struct StsCredentials {
    pub access_key_id: String,
    pub access_key_secret: String,
    pub security_token: String,
    pub expiration: Timestamp,
}

/// Error body of every refused admin call.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct AdminError {
    pub error: String,
}
