//! The optional state file: every object and the resourceVersion counter, written when the
//! simulator stops and read when it starts, so a demo keeps its objects between runs. The
//! change history is not kept: watches from before a restart get 410 Gone, as after an etcd
//! compaction.

use std::collections::HashMap;
use std::path::Path;

use serde_json::{Value, json};

use super::{Collection, ObjectKey, State};
use crate::error::{Error, Result};
use crate::resources::ResourceKey;

fn io_error(context: String, err: impl std::fmt::Display) -> Error {
    Error::Io {
        context,
        source: std::io::Error::other(err.to_string()),
    }
}

impl State {
    /// Writes all objects to `path` (through a temporary file, so a crash leaves the old one).
    pub fn save(&self, path: &Path) -> Result<()> {
        let objects: Vec<Value> = self
            .objects
            .iter()
            .flat_map(|(key, c)| {
                c.values()
                    .map(move |o| json!({"group": key.group, "resource": key.plural, "object": o}))
            })
            .collect();
        let doc = json!({"resourceVersion": self.rv, "objects": objects});
        let tmp = path.with_extension("tmp");
        let text = serde_json::to_string(&doc)
            .map_err(|e| io_error("cannot encode the state".into(), e))?;
        std::fs::write(&tmp, text)
            .map_err(|e| io_error(format!("cannot write {}", tmp.display()), e))?;
        std::fs::rename(&tmp, path)
            .map_err(|e| io_error(format!("cannot replace {}", path.display()), e))
    }

    /// Replaces the store's objects with those saved in `path`; a missing file is an empty
    /// start. Errors name the file and what is wrong with it.
    pub fn load(&mut self, path: &Path) -> Result<bool> {
        let text = match std::fs::read_to_string(path) {
            Ok(text) => text,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(false),
            Err(e) => return Err(io_error(format!("cannot read {}", path.display()), e)),
        };
        let doc: Value = serde_json::from_str(&text).map_err(|e| {
            io_error(
                format!("{} is not a kube-sim state file", path.display()),
                e,
            )
        })?;
        let rv = doc["resourceVersion"].as_u64().ok_or_else(|| {
            io_error(
                format!("{}", path.display()),
                "resourceVersion is missing or not a number",
            )
        })?;
        let mut objects: HashMap<ResourceKey, Collection> = HashMap::new();
        for entry in doc["objects"].as_array().into_iter().flatten() {
            let key = ResourceKey {
                group: entry["group"].as_str().unwrap_or_default().into(),
                plural: entry["resource"].as_str().unwrap_or_default().into(),
            };
            let (key, object) = crate::events::stored_entry(key, entry["object"].clone());
            objects
                .entry(key)
                .or_default()
                .insert(ObjectKey::of(&object), object);
        }
        self.objects = objects;
        self.rv = rv;
        self.compacted_rv = rv;
        self.history.clear();
        Ok(true)
    }
}
