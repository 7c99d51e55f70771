//! The status fields policy-listener owns, and the `Ready` condition.

use k8s_openapi::apimachinery::pkg::apis::meta::v1::{Condition, Time};
use snapshot_domain::Timestamp;
use snapshot_k8s::vsp::{VolumeSnapshotPolicy, VolumeSnapshotPolicyStatus};

/// Field manager of policy-listener's status writes.
pub const FIELD_MANAGER: &str = "policy-listener";

/// The status fields policy-listener owns (the rest belong to pvc-reconciler).
pub const OWNED_FIELDS: [&str; 10] = [
    "conditions",
    "observedGeneration",
    "schedule",
    "ecsPolicyId",
    "ecsSchedule",
    "selectedVolumes",
    "unmanagedVolumes",
    "lastSnapshotTime",
    "nextSnapshotTime",
    "repeatOnce",
];

pub const READY: &str = "Ready";

/// The `Ready` condition to report.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Readiness {
    pub ready: bool,
    pub reason: &'static str,
    pub message: String,
}

impl Readiness {
    pub fn ready(reason: &'static str, message: impl Into<String>) -> Self {
        Self {
            ready: true,
            reason,
            message: message.into(),
        }
    }

    pub fn not_ready(reason: &'static str, message: impl Into<String>) -> Self {
        Self {
            ready: false,
            reason,
            message: message.into(),
        }
    }
}

/// The object's current status, or an empty one.
pub fn current(vsp: &VolumeSnapshotPolicy) -> VolumeSnapshotPolicyStatus {
    vsp.status.clone().unwrap_or_default()
}

/// The current `Ready` condition, if any.
pub fn ready_condition(status: &VolumeSnapshotPolicyStatus) -> Option<&Condition> {
    status
        .conditions
        .iter()
        .flatten()
        .find(|c| c.type_ == READY)
}

/// Whether `readiness` differs from what the status already says (reason or message), which is
/// when an Event is worth publishing.
pub fn is_transition(status: &VolumeSnapshotPolicyStatus, readiness: &Readiness) -> bool {
    match ready_condition(status) {
        Some(c) => c.reason != readiness.reason || c.message != readiness.message,
        None => true,
    }
}

/// Sets `Ready` in `status`, keeping `lastTransitionTime` unless the condition's status flips.
pub fn set_ready(
    status: &mut VolumeSnapshotPolicyStatus,
    readiness: &Readiness,
    generation: Option<i64>,
    now: Timestamp,
) {
    let value = if readiness.ready { "True" } else { "False" };
    let since = match ready_condition(status) {
        Some(c) if c.status == value => c.last_transition_time.clone(),
        _ => Time(now),
    };
    let condition = Condition {
        type_: READY.to_owned(),
        status: value.to_owned(),
        reason: readiness.reason.to_owned(),
        message: readiness.message.clone(),
        observed_generation: generation,
        last_transition_time: since,
    };
    let mut conditions: Vec<Condition> = status
        .conditions
        .take()
        .unwrap_or_default()
        .into_iter()
        .filter(|c| c.type_ != READY)
        .collect();
    conditions.push(condition);
    status.conditions = Some(conditions);
    status.observed_generation = generation;
}

/// For a spec refused as invalid: clears the fields that describe the spec itself (`schedule`,
/// and the selection unless a one-off job fixed it), which would otherwise show the last valid
/// spec's values as if current. What ECS still runs from that spec stays: `ecsPolicyId`,
/// `ecsSchedule`, `lastSnapshotTime`, `nextSnapshotTime` and the one-off job.
pub fn forget_spec_derived(status: &mut VolumeSnapshotPolicyStatus) {
    status.schedule = None;
    if status.repeat_once.is_none() {
        status.selected_volumes = None;
        status.unmanaged_volumes = None;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_invalid_spec_clears_what_describes_the_spec_and_keeps_what_ecs_runs() {
        let mut status = VolumeSnapshotPolicyStatus {
            schedule: Some("1 @ 2 Europe/Berlin".into()),
            selected_volumes: Some(3),
            unmanaged_volumes: Some(1),
            ecs_policy_id: Some("sp-1".into()),
            ..VolumeSnapshotPolicyStatus::default()
        };
        forget_spec_derived(&mut status);
        assert_eq!(
            (
                status.schedule,
                status.selected_volumes,
                status.unmanaged_volumes
            ),
            (None, None, None)
        );
        assert_eq!(status.ecs_policy_id.as_deref(), Some("sp-1"));

        let mut once = VolumeSnapshotPolicyStatus {
            schedule: Some("once".into()),
            selected_volumes: Some(2),
            repeat_once: Some(Default::default()),
            ..VolumeSnapshotPolicyStatus::default()
        };
        forget_spec_derived(&mut once);
        assert_eq!((once.schedule, once.selected_volumes), (None, Some(2)));
    }

    #[test]
    fn transition_time_moves_only_when_the_condition_flips() {
        let t0: Timestamp = "2026-06-01T00:00:00Z".parse().unwrap();
        let t1: Timestamp = "2026-06-01T01:00:00Z".parse().unwrap();
        let mut status = VolumeSnapshotPolicyStatus::default();

        let bad = Readiness::not_ready("InvalidSpec", "zone");
        assert!(is_transition(&status, &bad));
        set_ready(&mut status, &bad, Some(1), t0);
        assert!(!is_transition(&status, &bad));

        let other = Readiness::not_ready("GatewayError", "down");
        set_ready(&mut status, &other, Some(2), t1);
        let c = ready_condition(&status).unwrap();
        assert_eq!(
            (c.last_transition_time.0, c.reason.as_str()),
            (t0, "GatewayError")
        );
        assert_eq!(status.observed_generation, Some(2));

        set_ready(
            &mut status,
            &Readiness::ready("EcsPolicyReady", "ok"),
            Some(2),
            t1,
        );
        let c = ready_condition(&status).unwrap();
        assert_eq!((c.last_transition_time.0, c.status.as_str()), (t1, "True"));
        assert_eq!(status.conditions.as_ref().unwrap().len(), 1);
    }
}
