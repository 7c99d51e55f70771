//! policy-listener's metrics, registered under the `policy_listener` prefix.
//!
//! - `reconciles_total{result}` and `reconcile_duration_seconds`: see
//!   `controller_support::metrics`; counted from start until exit, leader only.
//! - `ecs_policies_managed`: ECS automatic snapshot policies this replica keeps for scheduled
//!   VSPs, as of its last reconcile of each; 0 on a standby.

use std::{
    collections::HashSet,
    sync::{Arc, Mutex},
};

use controller_support::metrics::ReconcileMetrics;
use prometheus_client::{metrics::gauge::Gauge, registry::Registry};

#[derive(Debug, Clone)]
pub struct Metrics {
    pub reconcile: ReconcileMetrics,
    managed: Gauge,
    uids: Arc<Mutex<HashSet<String>>>,
}

impl Metrics {
    pub fn register(registry: &mut Registry) -> Self {
        let sub = registry.sub_registry_with_prefix("policy_listener");
        let managed = Gauge::default();
        sub.register(
            "ecs_policies_managed",
            "ECS automatic snapshot policies kept for scheduled VolumeSnapshotPolicies",
            managed.clone(),
        );
        Self {
            reconcile: ReconcileMetrics::register(sub),
            managed,
            uids: Arc::default(),
        }
    }

    /// The VSP with `uid` has an ECS policy.
    pub fn policy_managed(&self, uid: &str) {
        let mut uids = self.uids.lock().unwrap_or_else(|p| p.into_inner());
        uids.insert(uid.to_owned());
        self.managed.set(uids.len() as i64);
    }

    /// The VSP with `uid` no longer has one.
    pub fn policy_forgotten(&self, uid: &str) {
        let mut uids = self.uids.lock().unwrap_or_else(|p| p.into_inner());
        uids.remove(uid);
        self.managed.set(uids.len() as i64);
    }
}
