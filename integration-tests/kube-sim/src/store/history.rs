//! Reads of the past: the changes after a resourceVersion (for watches) and a collection as it
//! was at a resourceVersion (for `resourceVersionMatch=Exact` and continue tokens), both
//! bounded by the retained history.

use std::sync::Arc;

use super::{Change, ChangeType, Collection, ObjectKey, State};
use crate::error::{Error, Result};
use crate::resources::ResourceKey;

impl State {
    /// Fails with 410 Gone when `rv` is older than the retained history.
    pub fn check_not_compacted(&self, rv: u64) -> Result<()> {
        if rv < self.compacted_rv {
            return Err(Error::Gone(format!(
                "too old resource version: {rv} ({})",
                self.compacted_rv
            )));
        }
        Ok(())
    }

    /// Retained changes with a resourceVersion greater than `rv`, oldest first.
    pub fn changes_after(&self, rv: u64) -> Result<Vec<Arc<Change>>> {
        self.check_not_compacted(rv)?;
        let changes = self.history.iter().filter(|c| c.rv > rv).cloned().collect();
        Ok(changes)
    }

    /// The collection as it was right after resourceVersion `rv` was committed, rebuilt by
    /// undoing newer changes.
    pub fn collection_at(&self, key: &ResourceKey, rv: u64) -> Result<Collection> {
        self.check_not_compacted(rv)?;
        let mut collection = self.collection(key).cloned().unwrap_or_default();
        let newer = self.history.iter().rev().take_while(|c| c.rv > rv);
        for change in newer.filter(|c| &c.resource == key) {
            undo(&mut collection, change);
        }
        Ok(collection)
    }
}

fn undo(collection: &mut Collection, change: &Change) {
    let object_key = ObjectKey::of(&change.object);
    match (change.kind, &change.previous) {
        (ChangeType::Added, _) | (_, None) => {
            collection.remove(&object_key);
        }
        (ChangeType::Modified | ChangeType::Deleted, Some(previous)) => {
            collection.insert(object_key, previous.clone());
        }
    }
}
