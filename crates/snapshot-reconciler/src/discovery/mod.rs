//! Which ECS snapshots exist, learned cheaply.
//!
//! # Flow
//! - A **full pass** ([`Discovery::full_pass`]) lists every snapshot of the region once. It is
//!   the only source of "ECS no longer has snapshot X": a snapshot the reconciler imported
//!   that the full pass does not list is asked for by ID once more, and only when that also
//!   misses it is it reported [`Observation::gone`].
//! - An **incremental pass** ([`Discovery::incremental_pass`]) lists the snapshots created
//!   since the newest creation time seen (minus [`OVERLAP`], as ECS filters by the minute),
//!   and asks by ID for the ones last seen `progressing`, so that a snapshot which finishes
//!   after it was first listed is still noticed, and for the suspects the caller names
//!   ([`crate::expiry`]): those ECS does not return are reported gone.
//!
//! # Guarantees
//! The number of gateway calls of an incremental pass follows the number of new and unfinished
//! snapshots (one call per 100), never the number of disks or of old snapshots. The watermark
//! is ECS's own creation time, so clock skew between the cluster and ECS cannot skip any.

use std::collections::{BTreeMap, BTreeSet};

use jiff::{SignedDuration, Timestamp};

use crate::{
    ReconcilerError,
    ecs::{EcsSnapshot, SnapshotCatalog},
};

/// How far back an incremental pass reaches before the newest creation time seen.
pub const OVERLAP: SignedDuration = SignedDuration::from_mins(2);

/// What one pass learned.
#[derive(Debug, Default, Clone)]
pub struct Observation {
    /// Snapshots listed by this pass (new, changed or, for a full pass, all).
    pub snapshots: Vec<EcsSnapshot>,
    /// Snapshots confirmed gone from ECS (asked for by ID and not returned).
    pub gone: BTreeSet<String>,
    /// ECS calls the pass cost (pages of up to 100; a stream fetches its pages one call each).
    pub calls: u32,
}

/// Discovery state kept between passes (in memory: a restart begins with a full pass).
#[derive(Debug, Default)]
pub struct Discovery {
    /// Newest ECS creation time seen; `None` until the first full pass.
    watermark: Option<Timestamp>,
    /// Snapshots last seen `progressing`.
    unfinished: BTreeSet<String>,
}

impl Discovery {
    /// Whether a full pass has completed since start-up.
    pub fn is_primed(&self) -> bool {
        self.watermark.is_some()
    }

    /// Lists every snapshot; `imported` are the snapshot IDs the cluster holds pairs of, whose
    /// absence is confirmed by ID before it is reported.
    pub async fn full_pass(
        &mut self,
        catalog: &impl SnapshotCatalog,
        imported: &BTreeSet<String>,
    ) -> Result<Observation, ReconcilerError> {
        let snapshots = catalog.all().await?;
        let listed: BTreeSet<&str> = snapshots.iter().map(|s| s.snapshot_id.as_str()).collect();
        let missing: Vec<String> = imported
            .iter()
            .filter(|id| !listed.contains(id.as_str()))
            .cloned()
            .collect();

        let mut calls = pages(snapshots.len());
        let mut gone: BTreeSet<String> = missing.iter().cloned().collect();
        let mut snapshots = snapshots;
        if !missing.is_empty() {
            calls += pages(missing.len());
            for still in catalog.by_ids(&missing).await? {
                gone.remove(&still.snapshot_id);
                snapshots.push(still);
            }
        }

        self.watermark = Some(newest(&snapshots).unwrap_or(Timestamp::UNIX_EPOCH));
        self.unfinished = unfinished(&snapshots);
        Ok(Observation {
            snapshots,
            gone,
            calls,
        })
    }

    /// Lists what is new or was unfinished, and asks for `suspects` by ID; a full pass must
    /// have run first.
    pub async fn incremental_pass(
        &mut self,
        catalog: &impl SnapshotCatalog,
        suspects: &BTreeSet<String>,
    ) -> Result<Observation, ReconcilerError> {
        let Some(watermark) = self.watermark else {
            return Ok(Observation::default());
        };
        let mut by_id = BTreeMap::new();
        let fresh = catalog.created_after(watermark - OVERLAP).await?;
        let mut calls = pages(fresh.len());
        for s in fresh {
            by_id.insert(s.snapshot_id.clone(), s);
        }

        let recheck: Vec<String> = self
            .unfinished
            .iter()
            .chain(suspects)
            .filter(|id| !by_id.contains_key(*id))
            .cloned()
            .collect::<BTreeSet<_>>()
            .into_iter()
            .collect();
        let mut gone: BTreeSet<String> = suspects
            .iter()
            .filter(|id| !by_id.contains_key(*id))
            .cloned()
            .collect();
        if !recheck.is_empty() {
            calls += pages(recheck.len());
            for s in catalog.by_ids(&recheck).await? {
                gone.remove(&s.snapshot_id);
                by_id.insert(s.snapshot_id.clone(), s);
            }
        }

        let snapshots: Vec<EcsSnapshot> = by_id.into_values().collect();
        if let Some(newest) = newest(&snapshots) {
            self.watermark = Some(watermark.max(newest));
        }
        self.unfinished = unfinished(&snapshots);
        Ok(Observation {
            snapshots,
            gone,
            calls,
        })
    }
}

/// ECS calls needed to list `n` snapshots (an empty answer is one call too).
fn pages(n: usize) -> u32 {
    n.div_ceil(crate::ecs::PAGE_SIZE).max(1) as u32
}

fn newest(snapshots: &[EcsSnapshot]) -> Option<Timestamp> {
    snapshots.iter().map(|s| s.created_at).max()
}

fn unfinished(snapshots: &[EcsSnapshot]) -> BTreeSet<String> {
    snapshots
        .iter()
        .filter(|s| s.status == "progressing")
        .map(|s| s.snapshot_id.clone())
        .collect()
}

#[cfg(test)]
mod tests;
