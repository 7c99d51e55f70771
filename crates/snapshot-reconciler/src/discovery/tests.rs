use std::{
    collections::BTreeSet,
    sync::{
        Mutex,
        atomic::{AtomicU32, Ordering},
    },
};

use super::*;

/// An in-memory region that counts calls.
#[derive(Default)]
struct FakeCatalog {
    snapshots: Mutex<Vec<EcsSnapshot>>,
    calls: AtomicU32,
}

impl FakeCatalog {
    fn put(&self, id: &str, status: &str, at: &str) {
        let mut all = self.snapshots.lock().unwrap();
        all.retain(|s| s.snapshot_id != id);
        all.push(snap(id, status, at));
    }

    fn remove(&self, id: &str) {
        self.snapshots
            .lock()
            .unwrap()
            .retain(|s| s.snapshot_id != id);
    }

    fn pages(&self, found: Vec<EcsSnapshot>) -> Vec<EcsSnapshot> {
        let pages = found.len().div_ceil(100).max(1) as u32;
        self.calls.fetch_add(pages, Ordering::SeqCst);
        found
    }
}

impl SnapshotCatalog for FakeCatalog {
    async fn created_after(&self, since: Timestamp) -> Result<Vec<EcsSnapshot>, ReconcilerError> {
        let all = self.snapshots.lock().unwrap().clone();
        Ok(self.pages(all.into_iter().filter(|s| s.created_at >= since).collect()))
    }

    async fn by_ids(&self, ids: &[String]) -> Result<Vec<EcsSnapshot>, ReconcilerError> {
        let all = self.snapshots.lock().unwrap().clone();
        Ok(self.pages(
            all.into_iter()
                .filter(|s| ids.contains(&s.snapshot_id))
                .collect(),
        ))
    }

    async fn all(&self) -> Result<Vec<EcsSnapshot>, ReconcilerError> {
        let all = self.snapshots.lock().unwrap().clone();
        Ok(self.pages(all))
    }
}

fn snap(id: &str, status: &str, at: &str) -> EcsSnapshot {
    EcsSnapshot {
        snapshot_id: id.to_owned(),
        disk_id: "d-1".to_owned(),
        status: status.to_owned(),
        snapshot_type: "auto".to_owned(),
        created_at: at.parse().unwrap(),
    }
}

fn ids(observation: &Observation) -> Vec<&str> {
    observation
        .snapshots
        .iter()
        .map(|s| s.snapshot_id.as_str())
        .collect()
}

#[tokio::test]
async fn incremental_sees_only_new_snapshots() {
    let catalog = FakeCatalog::default();
    for i in 0..250 {
        catalog.put(&format!("s-old{i}"), "accomplished", "2026-12-01T00:00:00Z");
    }
    catalog.put("s-last", "accomplished", "2026-12-01T12:00:00Z");
    let mut discovery = Discovery::default();
    assert!(
        discovery
            .incremental_pass(&catalog, &BTreeSet::new())
            .await
            .unwrap()
            .snapshots
            .is_empty()
    );

    let full = discovery
        .full_pass(&catalog, &BTreeSet::new())
        .await
        .unwrap();
    assert_eq!(full.snapshots.len(), 251);
    catalog.put("s-new", "accomplished", "2026-12-02T00:00:00Z");
    catalog.calls.store(0, Ordering::SeqCst);

    let inc = discovery
        .incremental_pass(&catalog, &BTreeSet::new())
        .await
        .unwrap();
    // s-last is inside the overlap that covers ECS's minute precision.
    assert_eq!(ids(&inc), ["s-last", "s-new"]);
    assert_eq!(
        catalog.calls.load(Ordering::SeqCst),
        1,
        "one page, not one per old snapshot"
    );
}

#[tokio::test]
async fn a_progressing_snapshot_is_seen_again_when_it_finishes() {
    let catalog = FakeCatalog::default();
    let mut discovery = Discovery::default();
    discovery
        .full_pass(&catalog, &BTreeSet::new())
        .await
        .unwrap();
    catalog.put("s-slow", "progressing", "2026-12-02T00:00:00Z");
    let first = discovery
        .incremental_pass(&catalog, &BTreeSet::new())
        .await
        .unwrap();
    assert_eq!(first.snapshots[0].status, "progressing");

    // Much newer snapshots move the watermark past s-slow's creation time.
    catalog.put("s-later", "accomplished", "2026-12-03T00:00:00Z");
    discovery
        .incremental_pass(&catalog, &BTreeSet::new())
        .await
        .unwrap();
    catalog.put("s-slow", "accomplished", "2026-12-02T00:00:00Z");
    let done = discovery
        .incremental_pass(&catalog, &BTreeSet::new())
        .await
        .unwrap();
    let slow = done
        .snapshots
        .iter()
        .find(|s| s.snapshot_id == "s-slow")
        .unwrap();
    assert!(slow.is_accomplished());
}

#[tokio::test]
async fn gone_is_reported_only_after_a_check_by_id() {
    let catalog = FakeCatalog::default();
    catalog.put("s-kept", "accomplished", "2026-12-01T00:00:00Z");
    let imported: BTreeSet<String> = ["s-kept", "s-expired"].map(String::from).into();
    let mut discovery = Discovery::default();
    let full = discovery.full_pass(&catalog, &imported).await.unwrap();
    assert_eq!(full.gone, ["s-expired".to_owned()].into());
    assert_eq!(full.calls, 2);

    catalog.remove("s-kept");
    let full = discovery.full_pass(&catalog, &imported).await.unwrap();
    assert_eq!(full.gone.len(), 2);
}

#[tokio::test]
async fn an_incremental_pass_reports_suspects_ecs_no_longer_has() {
    let catalog = FakeCatalog::default();
    catalog.put("s-old", "accomplished", "2026-11-01T00:00:00Z");
    catalog.put("s-due", "accomplished", "2026-11-02T00:00:00Z");
    let mut discovery = Discovery::default();
    discovery
        .full_pass(&catalog, &BTreeSet::new())
        .await
        .unwrap();
    catalog.remove("s-due");
    catalog.calls.store(0, Ordering::SeqCst);

    let suspects: BTreeSet<String> = ["s-old", "s-due"].map(String::from).into();
    let inc = discovery
        .incremental_pass(&catalog, &suspects)
        .await
        .unwrap();
    assert_eq!(inc.gone, ["s-due".to_owned()].into());
    assert_eq!(ids(&inc), ["s-old"], "a suspect ECS still has is listed");
    assert_eq!(
        catalog.calls.load(Ordering::SeqCst),
        2,
        "new ones, then the suspects"
    );
}
