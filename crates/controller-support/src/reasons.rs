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

// --- pvc-reconciler ---

/// A PVC's disk got its VSP's ECS policy (on the PVC).
pub const POLICY_APPLIED: &str = "PolicyApplied";
/// A PVC's disk lost a policy of this cluster: no VSP selects it any more (on the PVC).
pub const POLICY_REMOVED: &str = "PolicyRemoved";
/// A resync found a disk's policy changed outside the cluster and put it back (on the PVC).
pub const POLICY_DRIFT_REPAIRED: &str = "PolicyDriftRepaired";
/// A selected disk carries a policy this cluster did not create; it is left alone (on the PVC).
pub const FOREIGN_POLICY: &str = "ForeignPolicy";
/// A foreign policy was replaced or cancelled because the operator opted in (on the PVC).
pub const FOREIGN_POLICY_TAKEN_OVER: &str = "ForeignPolicyTakenOver";
/// Another VSP won a disk this VSP selects (on the losing VSP).
pub const POLICY_CONFLICT: &str = "PolicyConflict";
/// A selected PVC's disk does not exist in ECS (on the PVC).
pub const DISK_NOT_FOUND: &str = "DiskNotFound";
/// ECS refused to apply or cancel a policy on a PVC's disk (on the PVC).
pub const POLICY_CHANGE_REFUSED: &str = "PolicyChangeRefused";

// --- snapshot-reconciler (on the imported VolumeSnapshot) ---

/// A finished ECS snapshot was imported as a pre-provisioned VolumeSnapshot and content.
pub const SNAPSHOT_IMPORTED: &str = "SnapshotImported";
/// ECS no longer has the snapshot; this copy is being removed.
pub const SNAPSHOT_REMOVED: &str = "SnapshotRemoved";
