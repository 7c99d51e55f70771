//! Builder fixtures for unit tests: a VSP with sensible defaults, changed one field at a time.

use std::collections::BTreeMap;

use kube::api::ObjectMeta;
use snapshot_k8s::vsp::{
    PvcSelector, SnapshotSchedule, VolumeSnapshotPolicy, VolumeSnapshotPolicySpec,
};

/// `nightly`: `app=nginx`, Monday at 2 in UTC, kept 30 days.
pub struct VspBuilder(VolumeSnapshotPolicy);

impl VspBuilder {
    pub fn new() -> Self {
        let spec = VolumeSnapshotPolicySpec {
            pvc_selector: PvcSelector {
                match_labels: Some(BTreeMap::from([("app".into(), "nginx".into())])),
                match_expressions: None,
            },
            volume_snapshot_namespaces: None,
            retention_days: Some(30),
            snapshot_schedule: SnapshotSchedule {
                repeat_once: None,
                repeat_weekdays: Some(vec!["1".into()]),
                time_points: Some(vec!["2".into()]),
            },
            time_zone: Some("UTC".into()),
        };
        let mut vsp = VolumeSnapshotPolicy::new("nightly", spec);
        vsp.metadata = ObjectMeta {
            name: Some("nightly".into()),
            uid: Some("0b7e2f8c-1111-4222-8333-944445555666".into()),
            generation: Some(1),
            ..ObjectMeta::default()
        };
        Self(vsp)
    }

    pub fn weekly(mut self, days: &[&str], hours: &[&str]) -> Self {
        let schedule = &mut self.0.spec.snapshot_schedule;
        schedule.repeat_weekdays = Some(days.iter().map(|d| d.to_string()).collect());
        schedule.time_points = Some(hours.iter().map(|h| h.to_string()).collect());
        schedule.repeat_once = None;
        self
    }

    pub fn once(mut self) -> Self {
        self.0.spec.snapshot_schedule = SnapshotSchedule {
            repeat_once: Some(true),
            ..SnapshotSchedule::default()
        };
        self
    }

    pub fn zone(mut self, zone: Option<&str>) -> Self {
        self.0.spec.time_zone = zone.map(str::to_owned);
        self
    }

    pub fn retention(mut self, days: Option<i32>) -> Self {
        self.0.spec.retention_days = days;
        self
    }

    pub fn spec(&self) -> &VolumeSnapshotPolicySpec {
        &self.0.spec
    }

    pub fn build(self) -> VolumeSnapshotPolicy {
        self.0
    }
}
