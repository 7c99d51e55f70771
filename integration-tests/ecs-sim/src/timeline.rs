//! Moving the virtual clock: everything scheduled in the skipped interval happens, in order.
//!
//! # Guarantees
//! - Advancing from `t0` to `t1` runs every retention expiry and policy firing in `(t0, t1]`,
//!   earliest first; at equal times expiries run before firings, policies in ID order, disks in
//!   ID order. The result depends only on the state and `t1`, never on wall time.
//! - Snapshot progress needs no event: `progressing`/`accomplished` is derived from the clock, so
//!   a firing at time `t` sees exactly the snapshots still progressing at `t`.

use jiff::Timestamp;
use serde::{Deserialize, Serialize};

use crate::model::{Policy, SnapshotKind};
use crate::schedule::{ecs_local_date, next_firing};
use crate::world::{SnapshotSpec, World};

/// One thing that happened while the clock moved, for tests and the admin API.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq, Eq)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum TimelineEvent {
    /// A policy fired on a disk and took an automatic snapshot.
    AutoSnapshotTaken {
        at: Timestamp,
        policy_id: String,
        disk_id: String,
        snapshot_id: String,
    },
    /// A policy fired but the disk could not be snapshotted (previous one still progressing,
    /// instance state, ...); `reason` is the ECS code that a manual call would have received.
    AutoSnapshotSkipped {
        at: Timestamp,
        policy_id: String,
        disk_id: String,
        reason: String,
    },
    /// The disk's automatic snapshot quota was full, so its oldest automatic snapshot went.
    AutoSnapshotEvicted {
        at: Timestamp,
        disk_id: String,
        snapshot_id: String,
    },
    /// A snapshot reached the end of its retention and was released.
    SnapshotExpired { at: Timestamp, snapshot_id: String },
}

/// Most timeline events one clock move runs. Each event costs a scan of the world while the
/// world lock is held, so an unbounded move (years of hourly firings) would freeze every other
/// request for minutes; a move that reaches the limit stops early and says so instead.
pub const MAX_EVENTS_PER_MOVE: usize = 20_000;

/// What one clock move did: the events it ran and whether it reached its target.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ClockMove {
    pub events: Vec<TimelineEvent>,
    /// False when [`MAX_EVENTS_PER_MOVE`] stopped the clock early, at the last event's instant
    /// (every event due at that instant has run, so the state is consistent there).
    pub complete: bool,
}

impl World {
    /// Moves the clock to `target`, running what falls in between; a target in the past is a
    /// no-op that returns no events (the clock never goes backwards). Stops early, incomplete,
    /// once the events run reach [`MAX_EVENTS_PER_MOVE`].
    pub fn advance_to(&mut self, target: Timestamp) -> ClockMove {
        let mut events = Vec::new();
        while let Some(at) = self.next_event_time().filter(|at| *at <= target) {
            self.now = at;
            self.expire_snapshots(&mut events);
            self.fire_policies(&mut events);
            if events.len() >= MAX_EVENTS_PER_MOVE && at < target {
                return ClockMove {
                    events,
                    complete: false,
                };
            }
        }
        if target > self.now {
            self.now = target;
        }
        ClockMove {
            events,
            complete: true,
        }
    }

    fn next_event_time(&self) -> Option<Timestamp> {
        let expiry = self
            .snapshots
            .values()
            .filter_map(|s| s.expires_at())
            .filter(|at| *at > self.now)
            .min();
        let firing = self
            .policies
            .values()
            .filter(|p| self.disks.values().any(|d| d.policy_ids.contains(&p.id)))
            .filter_map(|p| next_firing(&p.time_points, &p.repeat_weekdays, self.now))
            .min();
        [expiry, firing].into_iter().flatten().min()
    }

    fn expire_snapshots(&mut self, events: &mut Vec<TimelineEvent>) {
        let mut due: Vec<(Timestamp, String)> = self
            .snapshots
            .values()
            .filter_map(|s| {
                s.expires_at()
                    .filter(|at| *at <= self.now)
                    .map(|at| (at, s.id.clone()))
            })
            .collect();
        due.sort();
        for (_, id) in due {
            self.release_snapshot(&id);
            tracing::debug!(snapshot_id = %id, "snapshot released by retention");
            events.push(TimelineEvent::SnapshotExpired {
                at: self.now,
                snapshot_id: id,
            });
        }
    }

    fn fire_policies(&mut self, events: &mut Vec<TimelineEvent>) {
        let before = self
            .now
            .checked_sub(jiff::SignedDuration::from_nanos(1))
            .unwrap_or(self.now);
        let firing: Vec<Policy> = self
            .policies
            .values()
            .filter(|p| next_firing(&p.time_points, &p.repeat_weekdays, before) == Some(self.now))
            .cloned()
            .collect();
        for policy in firing {
            let disks: Vec<String> = self
                .disks
                .values()
                .filter(|d| d.policy_ids.contains(&policy.id))
                .map(|d| d.id.clone())
                .collect();
            for disk_id in disks {
                events.extend(self.fire_on_disk(&policy, &disk_id));
            }
        }
    }

    fn fire_on_disk(&mut self, policy: &Policy, disk_id: &str) -> Vec<TimelineEvent> {
        let at = self.now;
        if let Err(refusal) = self.check_snapshottable(&self.disks[disk_id]) {
            let (policy_id, disk_id) = (policy.id.clone(), disk_id.to_owned());
            return vec![TimelineEvent::AutoSnapshotSkipped {
                at,
                policy_id,
                disk_id,
                reason: refusal.code,
            }];
        }

        let mut events = self.evict_for_quota(disk_id);
        let snapshot_id = self.take_snapshot(disk_id, self.auto_snapshot_spec(policy, disk_id));
        let (policy_id, disk_id) = (policy.id.clone(), disk_id.to_owned());
        events.push(TimelineEvent::AutoSnapshotTaken {
            at,
            policy_id,
            disk_id,
            snapshot_id,
        });
        events
    }

    fn evict_for_quota(&mut self, disk_id: &str) -> Vec<TimelineEvent> {
        let quota = self.settings.quotas.auto_snapshots_per_disk;
        let autos = self.disk_snapshots(disk_id, SnapshotKind::Auto);
        let surplus = (autos.len() + 1).saturating_sub(quota);
        let oldest: Vec<String> = autos.iter().take(surplus).map(|s| s.id.clone()).collect();

        oldest
            .into_iter()
            .map(|snapshot_id| {
                self.release_snapshot(&snapshot_id);
                let disk_id = disk_id.to_owned();
                TimelineEvent::AutoSnapshotEvicted {
                    at: self.now,
                    disk_id,
                    snapshot_id,
                }
            })
            .collect()
    }

    /// `auto_yyyyMMdd_N`, N counting the disk's automatic snapshots of that UTC+8 day.
    fn auto_snapshot_spec(&self, policy: &Policy, disk_id: &str) -> SnapshotSpec {
        let date = ecs_local_date(self.now);
        let same_day = self
            .disk_snapshots(disk_id, SnapshotKind::Auto)
            .iter()
            .filter(|s| ecs_local_date(s.creation_time) == date)
            .count();
        SnapshotSpec {
            name: format!("auto_{date}_{}", same_day + 1),
            description: String::new(),
            kind: SnapshotKind::Auto,
            retention_days: (policy.retention_days > 0).then_some(policy.retention_days),
            tags: Default::default(),
            group_id: None,
            resource_group_id: policy.resource_group_id.clone(),
        }
    }
}
