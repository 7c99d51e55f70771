//! The contract between one ECS action and the client that sends it.

use serde::de::DeserializeOwned;

use crate::Error;

/// One ECS OpenAPI action: its name, its parameters exactly as ECS spells them, the response it
/// parses into, and whether repeating it is safe.
///
/// Implementations live in [`crate::actions`]; [`crate::EcsClient::execute`] calls
/// [`Action::validate`] before anything is signed or sent, so a request ECS would reject for
/// its shape fails locally with the parameter named.
pub trait Action: Send + Sync {
    /// The ECS action name, e.g. `DescribeSnapshots`.
    const NAME: &'static str;

    /// The parsed success body.
    type Response: DeserializeOwned + EcsResponse + Send + 'static;

    /// The action's own parameters (not the common ones such as `Action` or `Timestamp`), named
    /// and formatted as ECS expects: lowerCamelCase for the auto-snapshot-policy actions,
    /// JSON-array strings where ECS takes them, `Name.N` flattening elsewhere.
    fn params(&self) -> Vec<(String, String)>;

    /// How a caller may repeat this request after a failure whose outcome is unknown.
    fn safety(&self) -> RetrySafety;

    /// Checks the request against ECS's documented limits.
    ///
    /// # Errors
    /// [`Error::InvalidRequest`] naming the action, the parameter and what is wrong with it.
    fn validate(&self) -> Result<(), Error>;
}

/// Whether a request may be sent again when the first attempt's outcome is unknown (timeout,
/// connection reset, 5xx, throttling).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum RetrySafety {
    /// Reads nothing but state; repeat freely.
    ReadOnly,
    /// Mutates, but ECS deduplicates requests carrying the same `ClientToken`, which is already
    /// among the action's parameters. Repeat with the very same request.
    Idempotent {
        /// The token sent as `ClientToken`.
        client_token: String,
    },
    /// Deletes an object by ID; a repeat after a success changes nothing more and answers
    /// either success (DeleteSnapshot of an unknown ID) or a "not found" code the caller can
    /// read as "already deleted" (see each action). Repeat freely, but expect that answer.
    IdempotentDelete,
    /// Mutates without deduplication; repeating is only safe after a read-back shows the first
    /// attempt did not take effect (or when ECS treats a repeat as harmless; see each action).
    Mutating,
}

impl RetrySafety {
    /// Whether a blind repeat is safe.
    pub fn is_retry_safe(&self) -> bool {
        !matches!(self, Self::Mutating)
    }
}

/// What every ECS success body carries.
pub trait EcsResponse {
    /// The `RequestId` ECS assigned; quote it when asking Alibaba Cloud support.
    fn request_id(&self) -> &str;
}
