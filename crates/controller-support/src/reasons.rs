//! Every Event reason (and condition reason) the controllers use, in one place so that the
//! same situation is always named the same way and `kubectl get events --field-selector
//! reason=…` finds it. CamelCase, as Kubernetes expects.
//!
//! Controllers add their reasons here rather than writing strings inline.

// --- policy-listener: scheduled policies ---

/// The ECS automatic snapshot policy was created.
pub const ECS_POLICY_CREATED: &str = "EcsPolicyCreated";
/// The ECS policy was changed to follow the spec (schedule or retention).
pub const ECS_POLICY_UPDATED: &str = "EcsPolicyUpdated";
/// The ECS policy was re-converted because the time zone's UTC offset changed (DST).
pub const ECS_POLICY_RECONVERTED: &str = "EcsPolicyReconverted";
/// The ECS policy was deleted because the VSP is being deleted.
pub const ECS_POLICY_DELETED: &str = "EcsPolicyDeleted";
/// Several ECS policies carried this VSP's tags; the extras were deleted.
pub const DUPLICATE_ECS_POLICIES_REMOVED: &str = "DuplicateEcsPoliciesRemoved";
/// The ECS policy matches the spec (condition reason of `Ready=True`).
pub const ECS_POLICY_READY: &str = "EcsPolicyReady";

// --- policy-listener: repeatOnce ---

/// A one-off snapshot (or snapshot group) was started.
pub const SNAPSHOT_STARTED: &str = "SnapshotStarted";
/// Every one-off snapshot is accomplished.
pub const SNAPSHOTS_COMPLETED: &str = "SnapshotsCompleted";
/// Some one-off snapshots are still in progress or waiting for a retry.
pub const SNAPSHOTS_IN_PROGRESS: &str = "SnapshotsInProgress";
/// A one-off snapshot could not be started or failed in ECS.
pub const SNAPSHOT_FAILED: &str = "SnapshotFailed";
/// A one-off policy selects no managed, bound volume.
pub const NO_VOLUMES_SELECTED: &str = "NoVolumesSelected";

// --- shared ---

/// The spec is invalid in a way the CRD schema cannot catch (zone, offset, values).
pub const INVALID_SPEC: &str = "InvalidSpec";
/// A gateway or ECS call failed; it will be retried.
pub const GATEWAY_ERROR: &str = "GatewayError";
/// The object is waiting for its first reconcile.
pub const PENDING: &str = "Pending";
