//! pvc-reconciler's metrics (prefix `ssm_pvc_reconciler_` in the binary). Registered at start,
//! measured until exit; only the leader's passes change them.
//!
//! - `disks{state}`: managed disks by [`DiskState`] after the last pass (gauge; a standby
//!   keeps its last values).
//! - `unmanaged_pvcs{reason}`: PVCs that are not managed, by reason, after the last pass.
//! - `conflicts`: (disk, losing VSP) pairs after the last pass.
//! - `ecs_calls_total{action, result}`: gateway calls by ECS action and outcome (`ok` or a
//!   retry class), so Apply/Cancel volume can be compared with the number of changes.
//! - `drift_repaired_total`: disks found changed behind our back by a resync and put back.
//! - `reconciles_total{result}`, `reconcile_duration_seconds`: passes (controller-support).

use std::collections::BTreeMap;

use controller_support::{gateway_error::RetryClass, metrics::ReconcileMetrics};
use prometheus_client::{
    encoding::EncodeLabelSet,
    metrics::{counter::Counter, family::Family, gauge::Gauge},
    registry::Registry,
};

use crate::plan::DiskState;

#[derive(Debug, Clone, Hash, PartialEq, Eq, EncodeLabelSet)]
struct StateLabel {
    state: &'static str,
}

#[derive(Debug, Clone, Hash, PartialEq, Eq, EncodeLabelSet)]
struct ReasonLabel {
    reason: &'static str,
}

#[derive(Debug, Clone, Hash, PartialEq, Eq, EncodeLabelSet)]
struct CallLabel {
    action: &'static str,
    result: &'static str,
}

const STATES: [DiskState; 6] = [
    DiskState::Applied,
    DiskState::Pending,
    DiskState::Foreign,
    DiskState::Missing,
    DiskState::Unselected,
    DiskState::Failed,
];

/// Every pvc-reconciler metric.
#[derive(Debug, Clone)]
pub struct Metrics {
    pub reconcile: ReconcileMetrics,
    disks: Family<StateLabel, Gauge>,
    unmanaged: Family<ReasonLabel, Gauge>,
    conflicts: Gauge,
    calls: Family<CallLabel, Counter>,
    drift: Counter,
}

impl Metrics {
    /// Registers into `registry` under a `pvc_reconciler` sub-registry.
    pub fn register(registry: &mut Registry) -> Self {
        let sub = registry.sub_registry_with_prefix("pvc_reconciler");
        let metrics = Self {
            reconcile: ReconcileMetrics::register(sub),
            disks: Family::default(),
            unmanaged: Family::default(),
            conflicts: Gauge::default(),
            calls: Family::default(),
            drift: Counter::default(),
        };
        sub.register(
            "disks",
            "Managed disks by state after the last pass",
            metrics.disks.clone(),
        );
        sub.register(
            "unmanaged_pvcs",
            "PVCs not managed (unbound, other driver, ...) after the last pass, by reason",
            metrics.unmanaged.clone(),
        );
        sub.register(
            "conflicts",
            "Disks selected by a VSP that lost them",
            metrics.conflicts.clone(),
        );
        sub.register(
            "ecs_calls",
            "Gateway calls by ECS action and result",
            metrics.calls.clone(),
        );
        sub.register(
            "drift_repaired",
            "Disks changed outside the cluster and put back",
            metrics.drift.clone(),
        );
        metrics
    }

    /// Sets the per-state gauges (states absent from `counts` drop to 0).
    pub fn set_disks(&self, counts: &BTreeMap<DiskState, usize>) {
        for state in STATES {
            let n = counts.get(&state).copied().unwrap_or(0);
            self.disks
                .get_or_create(&StateLabel {
                    state: state.as_str(),
                })
                .set(n as i64);
        }
    }

    /// Sets the unmanaged-PVC gauges; reasons seen before but absent now drop to 0.
    pub fn set_unmanaged(&self, counts: &BTreeMap<&'static str, usize>) {
        const REASONS: [&str; 6] = [
            "Unbound",
            "PersistentVolumeMissing",
            "ClaimMismatch",
            "NotCsi",
            "OtherDriver",
            "NotADisk",
        ];
        for reason in REASONS {
            let n = counts.get(reason).copied().unwrap_or(0);
            self.unmanaged
                .get_or_create(&ReasonLabel { reason })
                .set(n as i64);
        }
    }

    pub fn set_conflicts(&self, n: usize) {
        self.conflicts.set(n as i64);
    }

    /// Counts one gateway call of `action`; `failure` is `None` on success.
    pub fn call(&self, action: &'static str, failure: Option<RetryClass>) {
        let result = failure.map_or("ok", RetryClass::as_str);
        self.calls
            .get_or_create(&CallLabel { action, result })
            .inc();
    }

    pub fn drift_repaired(&self, n: usize) {
        self.drift.inc_by(n as u64);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_and_labels_are_stable() {
        let mut registry = Registry::with_prefix("ssm");
        let metrics = Metrics::register(&mut registry);
        metrics.set_disks(&BTreeMap::from([(DiskState::Applied, 3)]));
        metrics.set_unmanaged(&BTreeMap::from([("Unbound", 2)]));
        metrics.call("ApplyAutoSnapshotPolicy", None);
        metrics.call("DescribeDisks", Some(RetryClass::Soon));
        metrics.drift_repaired(2);

        let mut text = String::new();
        prometheus_client::encoding::text::encode(&mut text, &registry).unwrap();
        for line in [
            "ssm_pvc_reconciler_disks{state=\"applied\"} 3",
            "ssm_pvc_reconciler_disks{state=\"foreign\"} 0",
            "ssm_pvc_reconciler_unmanaged_pvcs{reason=\"Unbound\"} 2",
            "ssm_pvc_reconciler_ecs_calls_total{action=\"ApplyAutoSnapshotPolicy\",\
             result=\"ok\"} 1",
            "ssm_pvc_reconciler_ecs_calls_total{action=\"DescribeDisks\",result=\"retry_soon\"} 1",
            "ssm_pvc_reconciler_drift_repaired_total 2",
        ] {
            assert!(text.contains(line), "missing {line} in\n{text}");
        }
    }
}
