//! The reconciler's Prometheus metrics, registered under the `snapshot_reconciler` prefix.
//!
//! All counters start at zero when the process starts and count only work this replica did
//! while it led; a standby replica exports zeros.

use prometheus_client::{
    metrics::{counter::Counter, family::Family, gauge::Gauge, histogram::Histogram},
    registry::Registry,
};

/// Upper bounds (seconds) of the import-lag histogram: from half a minute (a poll interval)
/// to a day (a reconciler that was down overnight).
pub const LAG_BUCKETS: [f64; 10] = [
    30.0, 60.0, 120.0, 300.0, 600.0, 1800.0, 3600.0, 10800.0, 21600.0, 86400.0,
];

type KindLabels = Vec<(&'static str, &'static str)>;

/// Handles to every metric; cheap to clone.
#[derive(Debug, Clone)]
pub struct Metrics {
    pub imported: Counter,
    pub removed: Counter,
    pub import_lag: Histogram,
    pub passes: Family<KindLabels, Counter>,
    pub pass_failures: Family<KindLabels, Counter>,
    pub ecs_calls: Counter,
    pub write_failures: Counter,
    pub kube_writes: Counter,
    pub dismissed: Gauge,
    pub waiting: Gauge,
}

impl Metrics {
    pub fn register(registry: &mut Registry) -> Self {
        let metrics = Self {
            imported: Counter::default(),
            removed: Counter::default(),
            import_lag: Histogram::new(LAG_BUCKETS),
            passes: Family::default(),
            pass_failures: Family::default(),
            ecs_calls: Counter::default(),
            write_failures: Counter::default(),
            kube_writes: Counter::default(),
            dismissed: Gauge::default(),
            waiting: Gauge::default(),
        };
        let r = registry.sub_registry_with_prefix("snapshot_reconciler");
        r.register(
            "imported",
            "Copies (VolumeSnapshot + content) imported",
            metrics.imported.clone(),
        );
        r.register(
            "removed",
            "Copies removed because ECS no longer has the snapshot",
            metrics.removed.clone(),
        );
        r.register(
            "import_lag_seconds",
            "Time from ECS snapshot creation to its import",
            metrics.import_lag.clone(),
        );
        r.register(
            "passes",
            "Discovery passes, by kind (full, incremental)",
            metrics.passes.clone(),
        );
        r.register(
            "pass_failures",
            "Discovery passes that failed, by kind",
            metrics.pass_failures.clone(),
        );
        r.register(
            "ecs_calls",
            "Gateway calls made to list snapshots",
            metrics.ecs_calls.clone(),
        );
        r.register(
            "write_failures",
            "Kubernetes writes that failed",
            metrics.write_failures.clone(),
        );
        r.register(
            "kube_writes",
            "Kubernetes writes made (creates, deletes, finalizer releases)",
            metrics.kube_writes.clone(),
        );
        r.register(
            "dismissed_copies",
            "Copies not imported again because a user deleted their VolumeSnapshot",
            metrics.dismissed.clone(),
        );
        r.register(
            "terminating_copies",
            "VolumeSnapshots of gone snapshots still terminating (e.g. a restore uses them)",
            metrics.waiting.clone(),
        );
        metrics
    }

    pub fn kind(kind: &'static str) -> KindLabels {
        vec![("kind", kind)]
    }
}

#[cfg(test)]
mod tests {
    use prometheus_client::encoding::text::encode;

    use super::*;

    #[test]
    fn metrics_are_exported_under_their_documented_names() {
        let mut registry = Registry::with_prefix("ssm");
        let metrics = Metrics::register(&mut registry);
        metrics.imported.inc();
        metrics.import_lag.observe(45.0);
        metrics.passes.get_or_create(&Metrics::kind("full")).inc();

        let mut text = String::new();
        encode(&mut text, &registry).unwrap();
        for name in [
            "ssm_snapshot_reconciler_imported_total 1",
            "ssm_snapshot_reconciler_removed_total 0",
            "ssm_snapshot_reconciler_import_lag_seconds_bucket{le=\"60.0\"} 1",
            "ssm_snapshot_reconciler_import_lag_seconds_bucket{le=\"30.0\"} 0",
            "ssm_snapshot_reconciler_passes_total{kind=\"full\"} 1",
            "ssm_snapshot_reconciler_kube_writes_total 0",
            "ssm_snapshot_reconciler_terminating_copies 0",
        ] {
            assert!(text.contains(name), "{name} missing from:\n{text}");
        }
    }
}
