//! Events on imported `VolumeSnapshot`s, published on transitions only (import, removal).
//!
//! Publishing goes through `controller_support::EventPublisher` on a typed
//! `snapshot_k8s::upstream::VolumeSnapshot` reference (the reconciler writes untyped objects,
//! which the publisher does not take). Reasons live in `controller_support::reasons`.
//! Publishing never fails a pass: a refused Event is logged at error and the work goes on.

use controller_support::events::EventPublisher;
use k8s_openapi::apimachinery::pkg::apis::meta::v1::ObjectMeta;
use kube::Client;
use snapshot_k8s::upstream::VolumeSnapshot;

/// `reportingController` of every Event this service publishes.
pub const REPORTING_CONTROLLER: &str = "storage.alibabacloud.com/snapshot-reconciler";

/// Publishes Events as [`REPORTING_CONTROLLER`], or nothing when disabled.
#[derive(Clone, Debug)]
pub struct Events {
    publisher: Option<EventPublisher>,
}

impl Events {
    /// `instance` names this replica (its pod name).
    pub fn new(client: Client, instance: Option<String>) -> Self {
        Self {
            publisher: Some(EventPublisher::new(client, REPORTING_CONTROLLER, instance)),
        }
    }

    /// Publishes nothing (tests that count writes).
    pub fn disabled() -> Self {
        Self { publisher: None }
    }

    /// A `Normal` Event with `reason` (from `controller_support::reasons`) and `action` on the
    /// `VolumeSnapshot` `namespace/name`.
    pub async fn on_snapshot(
        &self,
        namespace: &str,
        name: &str,
        reason: &str,
        action: &str,
        note: String,
    ) {
        let Some(publisher) = &self.publisher else {
            return;
        };
        let regarding = VolumeSnapshot {
            metadata: ObjectMeta {
                namespace: Some(namespace.to_owned()),
                name: Some(name.to_owned()),
                ..Default::default()
            },
            spec: Default::default(),
            status: None,
        };
        publisher.normal(&regarding, reason, action, note).await;
    }
}
