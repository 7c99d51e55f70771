//! `VolumeSnapshotPolicy` (`storage.alibabacloud.com/v1beta1`, cluster-scoped, short name `vsp`):
//! the resource users write.
//!
//! The schema carries every check the API server can do: enums for weekdays and hours, list
//! uniqueness, the retention range, and CEL rules for `repeatOnce` exclusivity, a non-empty
//! schedule and a well-formed, non-empty selector. Fields stay plain strings in Rust so that an
//! object written before a schema change still deserializes and its controller can report what
//! is wrong (through `snapshot_domain::schedule::Schedule::parse`) instead of failing to decode it.

mod interpret;
mod status;
mod validity;

use std::collections::BTreeMap;

use kube::CustomResource;
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

pub use interpret::{DEFAULT_RETENTION_DAYS, PolicySchedule};
pub use status::{
    DiskConflict, EcsScheduleStatus, RepeatOnceSnapshot, RepeatOnceSnapshotState, RepeatOnceStatus,
    VolumeSnapshotPolicyStatus,
};
pub use validity::{
    InvalidSpec, KEEP_FOREVER, MAX_RETENTION_DAYS, ValidSchedule, ValidSpec, validate,
};

/// The desired snapshots: which PVCs, when, for how long, and where their VolumeSnapshots go.
#[derive(CustomResource, Serialize, Deserialize, Clone, Debug, Default, PartialEq, JsonSchema)]
#[kube(
    group = "storage.alibabacloud.com",
    version = "v1beta1",
    kind = "VolumeSnapshotPolicy",
    plural = "volumesnapshotpolicies",
    shortname = "vsp",
    category = "storage",
    status = "VolumeSnapshotPolicyStatus",
    derive = "PartialEq",
    doc = "VolumeSnapshotPolicy takes cloud-disk snapshots of the PVCs it selects, on a weekly \
           schedule or once, keeps them for retentionDays, and makes each one a VolumeSnapshot.",
    printcolumn = r#"{"name": "Schedule", "type": "string", "jsonPath": ".status.schedule",
        "description": "Weekdays @ hours and time zone, or once"}"#,
    printcolumn = r#"{"name": "Retention", "type": "integer", "jsonPath": ".spec.retentionDays",
        "description": "Days snapshots are kept; -1 keeps them"}"#,
    printcolumn = r#"{"name": "Volumes", "type": "integer", "jsonPath": ".status.selectedVolumes",
        "description": "Managed volumes the selector selects"}"#,
    printcolumn = r#"{"name": "Applied", "type": "integer", "jsonPath": ".status.appliedVolumes",
        "description": "Volumes whose disk carries the ECS policy", "priority": 1}"#,
    printcolumn = r#"{"name": "ECS Policy", "type": "string", "jsonPath": ".status.ecsPolicyId",
        "description": "ID of the ECS automatic snapshot policy"}"#,
    printcolumn = r#"{"name": "Ready", "type": "string",
        "jsonPath": ".status.conditions[?(@.type==\"Ready\")].status",
        "description": "Whether the policy is in effect"}"#,
    printcolumn = r#"{"name": "Age", "type": "date", "jsonPath": ".metadata.creationTimestamp"}"#
)]
#[serde(rename_all = "camelCase")]
pub struct VolumeSnapshotPolicySpec {
    /// Selects the PersistentVolumeClaims, in every namespace, whose cloud disks are snapshotted.
    /// Only PVCs bound to a disk of the Alibaba Cloud disk CSI driver count.
    pub pvc_selector: PvcSelector,

    /// Namespaces that receive a VolumeSnapshot of each snapshot. Default: the namespace of the
    /// snapshotted PVC.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schemars(extend(
        "x-kubernetes-list-type" = "set",
        "maxItems" = 64,
        "items" = {"type": "string", "maxLength": 63,
                   "pattern": "^[a-z0-9]([-a-z0-9]*[a-z0-9])?$"}
    ))]
    pub volume_snapshot_namespaces: Option<Vec<String>>,

    /// Days ECS keeps each snapshot: -1 keeps it until deleted, otherwise 1 to 65535. Default -1.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schemars(extend(
        "minimum" = -1,
        "maximum" = 65535,
        "x-kubernetes-validations" = [{
            "rule": "self == -1 || self >= 1",
            "message": "retentionDays must be -1 (keep until deleted) or 1 to 65535"
        }]
    ))]
    pub retention_days: Option<i32>,

    /// When snapshots are taken: weekdays and hours, or once.
    pub snapshot_schedule: SnapshotSchedule,

    /// IANA time zone the hours are meant in, e.g. `Europe/Berlin`. Default: the installation's
    /// time zone. Zones whose offset is not a whole number of hours are refused.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schemars(extend("maxLength" = 64, "pattern" = "^[A-Za-z0-9_+\\-]+(/[A-Za-z0-9_+\\-]+)*$"))]
    pub time_zone: Option<String>,
}

/// A weekly schedule (`repeatWeekdays` with `timePoints`), or `repeatOnce: true`.
#[derive(Serialize, Deserialize, Clone, Debug, Default, PartialEq, JsonSchema)]
#[serde(rename_all = "camelCase")]
#[schemars(extend("x-kubernetes-validations" = [
    {
        "rule": "!(has(self.repeatOnce) && self.repeatOnce) || \
                 (!has(self.repeatWeekdays) && !has(self.timePoints))",
        "message": "repeatOnce cannot be combined with repeatWeekdays or timePoints"
    },
    {
        "rule": "(has(self.repeatOnce) && self.repeatOnce) || \
                 (has(self.repeatWeekdays) && size(self.repeatWeekdays) > 0 && \
                  has(self.timePoints) && size(self.timePoints) > 0)",
        "message": "a schedule needs both repeatWeekdays and timePoints, or repeatOnce: true"
    }
]))]
pub struct SnapshotSchedule {
    /// Take one snapshot of every selected volume, once, instead of a weekly schedule.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub repeat_once: Option<bool>,

    /// Days of the week: "1" (Monday) to "7" (Sunday).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schemars(extend(
        "x-kubernetes-list-type" = "set",
        "maxItems" = 7,
        "items" = {"type": "string", "enum": ["1", "2", "3", "4", "5", "6", "7"]}
    ))]
    pub repeat_weekdays: Option<Vec<String>>,

    /// Hours of the day, "0" to "23", in the policy's time zone.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schemars(extend(
        "x-kubernetes-list-type" = "set",
        "maxItems" = 24,
        "items" = {"type": "string", "enum": [
            "0", "1", "2", "3", "4", "5", "6", "7", "8", "9", "10", "11",
            "12", "13", "14", "15", "16", "17", "18", "19", "20", "21", "22", "23"
        ]}
    ))]
    pub time_points: Option<Vec<String>>,
}

/// A Kubernetes label key: an optional DNS subdomain prefix and `/`, then a name of at most 63
/// characters. The prefix's 253-character limit is left to `crate::selector` (a regex cannot
/// say it), which reports it as `InvalidSpec`.
const LABEL_KEY: &str = "^([a-z0-9]([-a-z0-9]{0,61}[a-z0-9])?([.][a-z0-9]([-a-z0-9]{0,61}\
                         [a-z0-9])?)*/)?[A-Za-z0-9]([-A-Za-z0-9_.]{0,61}[A-Za-z0-9])?$";
/// A Kubernetes label value: empty, or at most 63 characters like a key's name part.
const LABEL_VALUE: &str = "^([A-Za-z0-9]([-A-Za-z0-9_.]{0,61}[A-Za-z0-9])?)?$";

/// A label selector over PVCs: `matchLabels` and `matchExpressions` are ANDed. At least one
/// label must be named, so a policy never selects every PVC of the cluster by accident.
#[derive(Serialize, Deserialize, Clone, Debug, Default, PartialEq, JsonSchema)]
#[serde(rename_all = "camelCase")]
#[schemars(extend("x-kubernetes-validations" = [{
    "rule": "(has(self.matchLabels) && size(self.matchLabels) > 0) || \
             (has(self.matchExpressions) && size(self.matchExpressions) > 0)",
    "message": "pvcSelector must name at least one label in matchLabels or matchExpressions"
}]))]
pub struct PvcSelector {
    /// Labels a PVC must carry with exactly these values.
    ///
    /// Keys are not checked by the schema: a structural schema cannot bound a map key's length,
    /// so a CEL rule over the keys has an estimated cost the real API server refuses when the
    /// CRD is created. A malformed key is reported by the controllers as `InvalidSpec`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schemars(extend(
        "maxProperties" = 32,
        "additionalProperties" = {"type": "string", "maxLength": 63, "pattern": LABEL_VALUE}
    ))]
    pub match_labels: Option<BTreeMap<String, String>>,

    /// Requirements a PVC's labels must all meet.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schemars(extend("maxItems" = 32))]
    pub match_expressions: Option<Vec<SelectorRequirement>>,
}

/// One requirement on a label, as in Kubernetes label selectors.
#[derive(Serialize, Deserialize, Clone, Debug, Default, PartialEq, JsonSchema)]
#[serde(rename_all = "camelCase")]
#[schemars(extend("x-kubernetes-validations" = [{
    "rule": "self.operator in ['In', 'NotIn'] ? (has(self.values) && size(self.values) > 0) \
             : (!has(self.values) || size(self.values) == 0)",
    "message": "values must be non-empty for In and NotIn, and empty for Exists and DoesNotExist"
}]))]
pub struct SelectorRequirement {
    /// The label key.
    #[schemars(extend("minLength" = 1, "maxLength" = 317, "pattern" = LABEL_KEY))]
    pub key: String,

    /// How the label relates to `values`: In, NotIn, Exists or DoesNotExist.
    #[schemars(extend("enum" = ["In", "NotIn", "Exists", "DoesNotExist"], "maxLength" = 12))]
    pub operator: String,

    /// Label values for In and NotIn; empty for Exists and DoesNotExist.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schemars(extend(
        "maxItems" = 64,
        "items" = {"type": "string", "maxLength": 63, "pattern": LABEL_VALUE}
    ))]
    pub values: Option<Vec<String>>,
}

impl SnapshotSchedule {
    /// Whether this is a one-off schedule.
    pub fn is_repeat_once(&self) -> bool {
        self.repeat_once == Some(true)
    }
}
