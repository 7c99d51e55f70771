//! The object store: every object of every resource, one resourceVersion counter, and a bounded
//! history of changes that feeds watches and historical reads.
//!
//! Guarantees: every committed change gets the next resourceVersion and is broadcast while the
//! lock is held, so watchers see changes in resourceVersion order with no gaps. The history
//! keeps the last `history_limit` changes; reads or watches from before the oldest retained
//! change fail with 410 Gone.

mod history;
mod persist;

use std::collections::{BTreeMap, HashMap, VecDeque};
use std::sync::{Arc, Mutex, MutexGuard};

use serde_json::Value;
use tokio::sync::broadcast;

use crate::meta;
use crate::registry::Registry;
use crate::resources::ResourceKey;

/// Namespace (empty for cluster-scoped objects) and name; orders lists the way etcd keys do.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct ObjectKey {
    pub namespace: String,
    pub name: String,
}

impl ObjectKey {
    pub fn of(obj: &Value) -> Self {
        Self {
            namespace: meta::namespace(obj).to_string(),
            name: meta::name(obj).to_string(),
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ChangeType {
    Added,
    Modified,
    Deleted,
}

/// One committed change. `object` is the state after the change (for deletions, the last
/// state stamped with the deletion's resourceVersion); `previous` the state before it.
#[derive(Debug)]
pub struct Change {
    pub rv: u64,
    pub resource: ResourceKey,
    pub kind: ChangeType,
    pub object: Value,
    pub previous: Option<Value>,
}

pub type Collection = BTreeMap<ObjectKey, Value>;

pub struct State {
    rv: u64,
    objects: HashMap<ResourceKey, Collection>,
    history: VecDeque<Arc<Change>>,
    history_limit: usize,
    /// resourceVersion of the newest change dropped from the history; reads at or after it
    /// can be reconstructed.
    compacted_rv: u64,
    pub registry: Registry,
    events: broadcast::Sender<Arc<Change>>,
}

pub struct Store {
    state: Mutex<State>,
}

impl Store {
    pub fn new(history_limit: usize) -> Self {
        let (events, _) = broadcast::channel(history_limit.clamp(1024, 65536));
        let state = State {
            rv: 0,
            objects: HashMap::new(),
            history: VecDeque::new(),
            history_limit: history_limit.max(1),
            compacted_rv: 0,
            registry: Registry::new(std::iter::empty()),
            events,
        };
        Self {
            state: Mutex::new(state),
        }
    }

    /// The store lock. A panic while holding it would be a bug; the data is still consistent
    /// because every mutation is a single map write, so a poisoned lock is recovered.
    pub fn lock(&self) -> MutexGuard<'_, State> {
        self.state.lock().unwrap_or_else(|p| p.into_inner())
    }
}

impl State {
    pub fn current_rv(&self) -> u64 {
        self.rv
    }

    pub fn subscribe(&self) -> broadcast::Receiver<Arc<Change>> {
        self.events.subscribe()
    }

    pub fn get(&self, key: &ResourceKey, namespace: &str, name: &str) -> Option<&Value> {
        let object_key = ObjectKey {
            namespace: namespace.into(),
            name: name.into(),
        };
        self.objects.get(key)?.get(&object_key)
    }

    /// Every collection that has ever held an object.
    pub fn resource_keys(&self) -> Vec<ResourceKey> {
        self.objects.keys().cloned().collect()
    }

    pub fn collection(&self, key: &ResourceKey) -> Option<&Collection> {
        self.objects.get(key)
    }

    /// Stores a new object, stamping its resourceVersion; returns the stored object.
    pub fn insert(&mut self, key: &ResourceKey, mut obj: Value) -> Value {
        let rv = self.next_rv();
        meta::set_resource_version(&mut obj, rv);
        let collection = self.objects.entry(key.clone()).or_default();
        collection.insert(ObjectKey::of(&obj), obj.clone());
        self.record(rv, key, ChangeType::Added, obj.clone(), None);
        obj
    }

    /// Replaces an existing object, stamping its resourceVersion; returns the stored object.
    pub fn replace(&mut self, key: &ResourceKey, mut obj: Value) -> Value {
        let rv = self.next_rv();
        meta::set_resource_version(&mut obj, rv);
        let collection = self.objects.entry(key.clone()).or_default();
        let previous = collection.insert(ObjectKey::of(&obj), obj.clone());
        self.record(rv, key, ChangeType::Modified, obj.clone(), previous);
        obj
    }

    /// Removes an object; returns its last state stamped with the deletion's resourceVersion.
    pub fn remove(&mut self, key: &ResourceKey, namespace: &str, name: &str) -> Option<Value> {
        let object_key = ObjectKey {
            namespace: namespace.into(),
            name: name.into(),
        };
        let previous = self.objects.get_mut(key)?.remove(&object_key)?;
        let rv = self.next_rv();
        let mut last = previous.clone();
        meta::set_resource_version(&mut last, rv);
        self.record(rv, key, ChangeType::Deleted, last.clone(), Some(previous));
        Some(last)
    }

    /// Drops a whole collection (a CRD went away), emitting a deletion for each object.
    pub fn remove_collection(&mut self, key: &ResourceKey) {
        let Some(collection) = self.objects.get(key) else {
            return;
        };
        let keys: Vec<ObjectKey> = collection.keys().cloned().collect();
        for k in keys {
            self.remove(key, &k.namespace, &k.name);
        }
        self.objects.remove(key);
    }

    fn next_rv(&mut self) -> u64 {
        self.rv += 1;
        self.rv
    }

    fn record(
        &mut self,
        rv: u64,
        key: &ResourceKey,
        kind: ChangeType,
        object: Value,
        previous: Option<Value>,
    ) {
        let change = Arc::new(Change {
            rv,
            resource: key.clone(),
            kind,
            object,
            previous,
        });
        self.history.push_back(change.clone());
        while self.history.len() > self.history_limit {
            if let Some(old) = self.history.pop_front() {
                self.compacted_rv = old.rv;
            }
        }
        // No receivers simply means nobody watches right now.
        let _ = self.events.send(change);
    }
}
