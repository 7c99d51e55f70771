//! Events on imported `VolumeSnapshot`s, published on transitions only (import, removal).
//!
//! Publishing never fails a pass: a refused Event is logged at error and the work goes on.

use k8s_openapi::api::core::v1::ObjectReference;
use kube::{
    Client,
    runtime::events::{Event, EventType, Recorder, Reporter},
};
use tracing::error;

/// A copy of an ECS snapshot was imported.
pub const SNAPSHOT_IMPORTED: &str = "SnapshotImported";
/// ECS no longer has the snapshot; the copy is being removed.
pub const SNAPSHOT_REMOVED: &str = "SnapshotRemoved";
/// A copy could not be written; it is retried on the next pass.
pub const IMPORT_FAILED: &str = "ImportFailed";

/// Publishes Events as `storage.alibabacloud.com/snapshot-reconciler`.
#[derive(Clone)]
pub struct Events {
    recorder: Option<Recorder>,
}

impl std::fmt::Debug for Events {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Events").finish_non_exhaustive()
    }
}

impl Events {
    /// `instance` names this replica (its pod name).
    pub fn new(client: Client, instance: Option<String>) -> Self {
        let reporter = Reporter {
            controller: "storage.alibabacloud.com/snapshot-reconciler".to_owned(),
            instance,
        };
        Self {
            recorder: Some(Recorder::new(client, reporter)),
        }
    }

    /// Publishes nothing (tests that count writes).
    pub fn disabled() -> Self {
        Self { recorder: None }
    }

    /// An Event on the `VolumeSnapshot` `namespace/name`.
    pub async fn on_snapshot(
        &self,
        namespace: &str,
        name: &str,
        warning: bool,
        reason: &str,
        note: String,
    ) {
        let Some(recorder) = &self.recorder else {
            return;
        };
        let reference = ObjectReference {
            api_version: Some("snapshot.storage.k8s.io/v1".to_owned()),
            kind: Some("VolumeSnapshot".to_owned()),
            namespace: Some(namespace.to_owned()),
            name: Some(name.to_owned()),
            ..Default::default()
        };
        let event = Event {
            type_: if warning {
                EventType::Warning
            } else {
                EventType::Normal
            },
            reason: reason.to_owned(),
            note: Some(note),
            action: reason.trim_start_matches("Snapshot").to_owned(),
            secondary: None,
        };
        if let Err(e) = recorder.publish(&event, &reference).await {
            error!(namespace, name, reason, error = %e, "cannot publish event");
        }
    }
}
