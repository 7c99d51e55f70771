//! An in-memory ECS region behind [`SnapshotCatalog`], counting calls and injecting faults.

use std::sync::{
    Mutex,
    atomic::{AtomicU32, Ordering},
};

use jiff::Timestamp;
use snapshot_reconciler::{
    ReconcilerError,
    ecs::{EcsSnapshot, PAGE_SIZE, SnapshotCatalog},
};

#[derive(Default)]
pub struct MemCatalog {
    snapshots: Mutex<Vec<EcsSnapshot>>,
    calls: AtomicU32,
    /// Calls left to fail with UNAVAILABLE.
    failures: AtomicU32,
}

impl MemCatalog {
    pub fn put(&self, id: &str, disk: &str, status: &str, created_at: Timestamp) {
        let mut all = self.snapshots.lock().unwrap();
        all.retain(|s| s.snapshot_id != id);
        all.push(EcsSnapshot {
            snapshot_id: id.to_owned(),
            disk_id: disk.to_owned(),
            status: status.to_owned(),
            snapshot_type: "auto".to_owned(),
            created_at,
        });
    }

    pub fn remove(&self, id: &str) {
        self.snapshots
            .lock()
            .unwrap()
            .retain(|s| s.snapshot_id != id);
    }

    pub fn calls(&self) -> u32 {
        self.calls.load(Ordering::SeqCst)
    }

    pub fn fail_next(&self, calls: u32) {
        self.failures.store(calls, Ordering::SeqCst);
    }

    fn answer(
        &self,
        keep: impl Fn(&EcsSnapshot) -> bool,
    ) -> Result<Vec<EcsSnapshot>, ReconcilerError> {
        if self
            .failures
            .fetch_update(Ordering::SeqCst, Ordering::SeqCst, |n| n.checked_sub(1))
            .is_ok()
        {
            self.calls.fetch_add(1, Ordering::SeqCst);
            return Err(ReconcilerError::Gateway {
                rpc: "DescribeSnapshots",
                class: "retry_soon",
                message: "UNAVAILABLE: injected".to_owned(),
            });
        }
        let found: Vec<EcsSnapshot> = self
            .snapshots
            .lock()
            .unwrap()
            .iter()
            .filter(|s| keep(s))
            .cloned()
            .collect();
        let pages = found.len().div_ceil(PAGE_SIZE).max(1) as u32;
        self.calls.fetch_add(pages, Ordering::SeqCst);
        Ok(found)
    }
}

impl SnapshotCatalog for MemCatalog {
    async fn created_after(&self, since: Timestamp) -> Result<Vec<EcsSnapshot>, ReconcilerError> {
        self.answer(|s| s.created_at >= since)
    }

    async fn by_ids(&self, ids: &[String]) -> Result<Vec<EcsSnapshot>, ReconcilerError> {
        self.answer(|s| ids.contains(&s.snapshot_id))
    }

    async fn all(&self) -> Result<Vec<EcsSnapshot>, ReconcilerError> {
        self.answer(|_| true)
    }
}
