//! Kubernetes Events (`events.k8s.io/v1`) through kube's `Recorder`.
//!
//! # Contract
//! Controllers publish on transitions (something changed or failed), not on every pass; the
//! recorder folds repeats of the same reason and note within a few minutes into one Event
//! series. Publishing never fails a reconcile: a refused Event is logged at error and counted
//! by the caller's metrics, and the work goes on. Cluster-scoped objects get their Events in
//! the `default` namespace, as kube-apiserver does.

use k8s_openapi::api::core::v1::ObjectReference;
use kube::{
    Client, Resource,
    runtime::events::{Event, EventType, Recorder, Reporter},
};
use tracing::error;

/// Publishes Events as one controller (`reportingController`) and replica
/// (`reportingInstance`).
#[derive(Clone)]
pub struct EventPublisher {
    recorder: Recorder,
}

impl std::fmt::Debug for EventPublisher {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("EventPublisher").finish_non_exhaustive()
    }
}

impl EventPublisher {
    /// `controller` names the reporting controller (e.g. `policy-listener`); `instance` the
    /// replica (its pod name).
    pub fn new(client: Client, controller: &str, instance: Option<String>) -> Self {
        let reporter = Reporter {
            controller: controller.to_owned(),
            instance,
        };
        Self {
            recorder: Recorder::new(client, reporter),
        }
    }

    /// A `Normal` Event on `object`. `reason` comes from [`crate::reasons`]; `action` is what
    /// the controller did (`CreateEcsPolicy`); `note` is for people (cut to 1 kB).
    pub async fn normal<K>(&self, object: &K, reason: &str, action: &str, note: String) -> bool
    where
        K: Resource<DynamicType = ()>,
    {
        self.publish(object, EventType::Normal, reason, action, note)
            .await
    }

    /// A `Warning` Event on `object`; see [`EventPublisher::normal`].
    pub async fn warning<K>(&self, object: &K, reason: &str, action: &str, note: String) -> bool
    where
        K: Resource<DynamicType = ()>,
    {
        self.publish(object, EventType::Warning, reason, action, note)
            .await
    }

    /// Publishes; returns whether the API server took the Event.
    pub async fn publish<K>(
        &self,
        object: &K,
        type_: EventType,
        reason: &str,
        action: &str,
        note: String,
    ) -> bool
    where
        K: Resource<DynamicType = ()>,
    {
        let reference: ObjectReference = object.object_ref(&());
        let event = Event {
            type_,
            reason: reason.to_owned(),
            note: Some(truncate(note, 1024)),
            action: action.to_owned(),
            secondary: None,
        };
        match self.recorder.publish(&event, &reference).await {
            Ok(()) => true,
            Err(e) => {
                let name = reference.name.unwrap_or_default();
                error!(name, reason, error = %e, "cannot publish event");
                false
            }
        }
    }
}

fn truncate(mut note: String, max: usize) -> String {
    if note.len() > max {
        let mut end = max;
        while !note.is_char_boundary(end) {
            end -= 1;
        }
        note.truncate(end);
    }
    note
}

#[cfg(test)]
mod tests {
    #[test]
    fn notes_are_cut_on_a_character_boundary() {
        assert_eq!(super::truncate("abc".into(), 10), "abc");
        assert_eq!(super::truncate("aé".into(), 2), "a");
        assert_eq!(super::truncate("x".repeat(2000), 1024).len(), 1024);
    }
}
