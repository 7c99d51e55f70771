//! Kubernetes Events (`events.k8s.io/v1`) through kube's `Recorder`.
//!
//! # Contract
//! Controllers publish on transitions (something changed or failed), not on every pass; the
//! recorder folds repeats of the same reason and note within a few minutes into one Event
//! series. A different note is a new Event: kube's `Recorder` keys its series without the note
//! (a PVC that moved to another policy would keep the old policy's note with a growing count),
//! so each (object, type, reason, action) gets its own recorder, replaced when the note
//! changes. Publishing never fails a reconcile: a refused Event is logged at error and counted
//! by the caller's metrics, and the work goes on. Cluster-scoped objects get their Events in
//! the `default` namespace, as kube-apiserver does.

use std::{
    collections::HashMap,
    sync::{Arc, Mutex},
    time::{Duration, Instant},
};

use k8s_openapi::api::core::v1::ObjectReference;
use kube::{
    Client, Resource,
    runtime::events::{Event, EventType, Recorder, Reporter},
};
use tracing::error;

/// How long a series is remembered; kube's recorder forgets its series after 6 minutes.
const SERIES_TTL: Duration = Duration::from_secs(6 * 60);

/// The recorder of one (object, type, reason, action) and the note its series carries.
struct Series {
    note: String,
    recorder: Recorder,
    used: Instant,
}

/// Publishes Events as one controller (`reportingController`) and replica
/// (`reportingInstance`).
#[derive(Clone)]
pub struct EventPublisher {
    client: Client,
    reporter: Reporter,
    series: Arc<Mutex<HashMap<String, Series>>>,
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
            client,
            reporter,
            series: Arc::default(),
        }
    }

    /// The recorder for this Event: the series' own while the note is unchanged (the count
    /// grows), a fresh one otherwise (a new Event).
    fn recorder(&self, reference: &ObjectReference, event: &Event) -> Recorder {
        let key = format!(
            "{:?}/{}/{}/{}/{}/{:?}/{}/{}",
            reference.namespace,
            reference.kind.as_deref().unwrap_or_default(),
            reference.name.as_deref().unwrap_or_default(),
            reference.uid.as_deref().unwrap_or_default(),
            match event.type_ {
                EventType::Normal => "Normal",
                EventType::Warning => "Warning",
            },
            reference.api_version,
            event.reason,
            event.action,
        );
        let note = event.note.clone().unwrap_or_default();
        let now = Instant::now();
        let mut series = self.series.lock().unwrap_or_else(|p| p.into_inner());
        series.retain(|_, s| now.duration_since(s.used) < SERIES_TTL);
        let entry = series.entry(key).or_insert_with(|| Series {
            note: note.clone(),
            recorder: Recorder::new(self.client.clone(), self.reporter.clone()),
            used: now,
        });
        if entry.note != note {
            entry.note = note;
            entry.recorder = Recorder::new(self.client.clone(), self.reporter.clone());
        }
        entry.used = now;
        entry.recorder.clone()
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
        let recorder = self.recorder(&reference, &event);
        match recorder.publish(&event, &reference).await {
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
