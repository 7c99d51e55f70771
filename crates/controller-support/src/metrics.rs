//! Reconcile metrics every controller registers, with bounded labels.
//!
//! `reconciles_total{result}` counts finished reconciles from registration until exit; `result`
//! is `ok` or a [`RetryClass`] label (`retry_soon`, `retry_later`, `permanent`), never an object
//! name or an error text. `reconcile_duration_seconds` measures each reconcile, success or not.

use prometheus_client::{
    encoding::EncodeLabelSet,
    metrics::{counter::Counter, family::Family, histogram::Histogram},
    registry::Registry,
};

use crate::gateway_error::RetryClass;

#[derive(Debug, Clone, Hash, PartialEq, Eq, EncodeLabelSet)]
struct ResultLabel {
    result: &'static str,
}

/// Reconcile counters and timing of one controller.
#[derive(Debug, Clone)]
pub struct ReconcileMetrics {
    reconciles: Family<ResultLabel, Counter>,
    duration: Histogram,
}

impl ReconcileMetrics {
    /// Registers into `registry` (use a sub-registry named after the controller).
    pub fn register(registry: &mut Registry) -> Self {
        let metrics = Self {
            reconciles: Family::default(),
            duration: Histogram::new([0.01, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 30.0]),
        };
        registry.register(
            "reconciles",
            "Finished reconciles by result (ok, retry_soon, retry_later, permanent)",
            metrics.reconciles.clone(),
        );
        registry.register(
            "reconcile_duration_seconds",
            "Time one reconcile took, whatever its result",
            metrics.duration.clone(),
        );
        metrics
    }

    /// Counts a reconcile that ended `Ok`.
    pub fn ok(&self, seconds: f64) {
        self.record("ok", seconds);
    }

    /// Counts a reconcile that failed with `class`.
    pub fn failed(&self, class: RetryClass, seconds: f64) {
        self.record(class.as_str(), seconds);
    }

    fn record(&self, result: &'static str, seconds: f64) {
        self.reconciles.get_or_create(&ResultLabel { result }).inc();
        self.duration.observe(seconds);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn results_are_counted_by_label() {
        let mut registry = Registry::default();
        let metrics = ReconcileMetrics::register(&mut registry);
        metrics.ok(0.02);
        metrics.ok(0.02);
        metrics.failed(RetryClass::Later, 0.3);

        let mut text = String::new();
        prometheus_client::encoding::text::encode(&mut text, &registry).unwrap();
        assert!(text.contains("reconciles_total{result=\"ok\"} 2"), "{text}");
        assert!(
            text.contains("reconciles_total{result=\"retry_later\"} 1"),
            "{text}"
        );
        assert!(
            text.contains("reconcile_duration_seconds_count 3"),
            "{text}"
        );
    }
}
