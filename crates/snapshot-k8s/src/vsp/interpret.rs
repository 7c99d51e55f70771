//! What a `VolumeSnapshotPolicy` means, in the domain's terms: the readings every controller
//! must make the same way (schedule, time zone, retention, claim on disks).

use snapshot_domain::{
    DomainError,
    conflict::PolicyClaim,
    schedule::{Schedule, ScheduleZone},
};

use super::{SnapshotSchedule, VolumeSnapshotPolicy};

/// Retention ECS applies when `retentionDays` is absent: keep until deleted.
pub const DEFAULT_RETENTION_DAYS: i32 = -1;

/// What a policy's `snapshotSchedule` asks for.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum PolicySchedule {
    /// A weekly schedule, in the policy's time zone.
    Weekly(Schedule),
    /// One snapshot of every selected volume.
    Once,
}

impl SnapshotSchedule {
    /// Reads the schedule, refusing what the CRD schema would refuse (for objects stored before
    /// the schema said so): `repeatOnce` with weekdays or hours, bad or duplicate values, and
    /// empty lists.
    pub fn interpret(&self) -> Result<PolicySchedule, DomainError> {
        let weekdays = self.repeat_weekdays.as_deref().unwrap_or_default();
        let hours = self.time_points.as_deref().unwrap_or_default();
        if self.is_repeat_once() {
            if self.repeat_weekdays.is_some() || self.time_points.is_some() {
                return Err(DomainError::OnceWithWeeklyFields);
            }
            return Ok(PolicySchedule::Once);
        }
        Schedule::parse(weekdays, hours).map(PolicySchedule::Weekly)
    }
}

impl VolumeSnapshotPolicy {
    /// The policy's time zone: its own `timeZone`, else the installation's `default_zone`.
    ///
    /// # Errors
    /// [`DomainError::UnknownTimeZone`] naming whichever zone was used.
    pub fn time_zone(&self, default_zone: &str) -> Result<ScheduleZone, DomainError> {
        ScheduleZone::named(self.spec.time_zone.as_deref().unwrap_or(default_zone))
    }

    /// `retentionDays`, or [`DEFAULT_RETENTION_DAYS`].
    pub fn retention_days(&self) -> i32 {
        self.spec.retention_days.unwrap_or(DEFAULT_RETENTION_DAYS)
    }

    /// This policy's claim on the disks it selects, for `snapshot_domain::conflict::winner`.
    ///
    /// `None` when the policy does not compete: it is `repeatOnce`, it is being deleted, or it
    /// has no creation timestamp yet (not stored by the API server).
    pub fn disk_claim(&self) -> Option<PolicyClaim> {
        let meta = &self.metadata;
        if self.spec.snapshot_schedule.is_repeat_once() || meta.deletion_timestamp.is_some() {
            return None;
        }
        let created = meta.creation_timestamp.as_ref()?.0;
        Some(PolicyClaim::new(meta.name.clone()?, created))
    }
}

#[cfg(test)]
mod tests {
    use k8s_openapi::apimachinery::pkg::apis::meta::v1::Time;

    use super::*;
    use crate::vsp::VolumeSnapshotPolicySpec;

    fn schedule(
        once: Option<bool>,
        days: Option<&[&str]>,
        hours: Option<&[&str]>,
    ) -> SnapshotSchedule {
        let strings = |v: &[&str]| v.iter().map(|s| s.to_string()).collect();
        SnapshotSchedule {
            repeat_once: once,
            repeat_weekdays: days.map(strings),
            time_points: hours.map(strings),
        }
    }

    #[test]
    fn schedules_are_read_like_the_crd_rules_read_them() {
        let weekly = schedule(None, Some(&["1", "5"]), Some(&["2"]));
        let expected = Schedule::new(&[1, 5], &[2]).unwrap();
        assert_eq!(weekly.interpret(), Ok(PolicySchedule::Weekly(expected)));
        assert_eq!(
            schedule(Some(true), None, None).interpret(),
            Ok(PolicySchedule::Once)
        );

        let mixed = schedule(Some(true), Some(&["1"]), None)
            .interpret()
            .unwrap_err();
        assert_eq!(mixed, DomainError::OnceWithWeeklyFields);
        let empty = schedule(Some(false), None, None).interpret().unwrap_err();
        assert_eq!(
            empty,
            DomainError::EmptySchedule {
                field: "repeatWeekdays"
            }
        );
        let bad = schedule(None, Some(&["8"]), Some(&["2"]))
            .interpret()
            .unwrap_err();
        assert_eq!(bad, DomainError::InvalidWeekday { value: "8".into() });
    }

    fn policy(name: &str, once: bool, zone: Option<&str>) -> VolumeSnapshotPolicy {
        let spec = VolumeSnapshotPolicySpec {
            snapshot_schedule: schedule(once.then_some(true), None, None),
            time_zone: zone.map(str::to_owned),
            ..VolumeSnapshotPolicySpec::default()
        };
        let mut vsp = VolumeSnapshotPolicy::new(name, spec);
        vsp.metadata.creation_timestamp = Some(Time("2026-12-01T00:00:00Z".parse().unwrap()));
        vsp
    }

    #[test]
    fn zone_falls_back_to_the_installation_default() {
        assert_eq!(
            policy("a", false, None)
                .time_zone("Asia/Shanghai")
                .unwrap()
                .name(),
            "Asia/Shanghai"
        );
        assert_eq!(
            policy("a", false, Some("UTC"))
                .time_zone("Asia/Shanghai")
                .unwrap()
                .name(),
            "UTC"
        );
        let err = policy("a", false, Some("Nowhere/Else"))
            .time_zone("UTC")
            .unwrap_err();
        assert!(err.to_string().contains("\"Nowhere/Else\""), "{err}");
        assert_eq!(policy("a", false, None).retention_days(), -1);
    }

    #[test]
    fn only_live_scheduled_policies_claim_disks() {
        let claim = policy("nightly", false, None).disk_claim().unwrap();
        assert_eq!(claim.name, "nightly");
        assert_eq!(policy("once", true, None).disk_claim(), None);

        let mut deleting = policy("nightly", false, None);
        deleting.metadata.deletion_timestamp = deleting.metadata.creation_timestamp.clone();
        assert_eq!(deleting.disk_claim(), None);
        let mut unsaved = policy("nightly", false, None);
        unsaved.metadata.creation_timestamp = None;
        assert_eq!(unsaved.disk_claim(), None);
    }
}
