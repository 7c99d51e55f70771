//! One reconcile pass: read what ECS has for the disks in scope, plan, call, remember.
//!
//! # Scope and cost
//! - A **full** pass (the first after start or leadership, then every resync period) lists
//!   the disks carrying each of our policies (exact even on upgraded accounts), reads every
//!   managed disk with DescribeDisks (100 IDs per call), and compares all of them. A disk that
//!   the previous read knew differently and now needs a call was changed behind our back: it
//!   is put back and reported as drift.
//! - An **incremental** pass (after watch events) reads only the disks whose wanted policy
//!   changed since the last pass, or that it has never read. Unchanged disks cost nothing, so
//!   ECS calls grow with the number of changes, not with the cluster.
//!
//! # Failures
//! A batch refused for good (`INVALID_ARGUMENT`, `NOT_FOUND`, …) is split in halves until the
//! refused disks are isolated; they are marked failed and retried on the next full pass. A
//! transient failure (outage, throttling) stops the pass; what already succeeded is kept and
//! reported, and the pass is retried with backoff (the wanted map of the failed pass is not
//! remembered, so the retry sees the same changes).

mod execute;
mod read;

use std::collections::{BTreeMap, BTreeSet};

use crate::{
    ReconcilerError,
    actual::ActualCache,
    desired::Desired,
    ecs::{EcsDisks, PolicyOrigin},
    plan::{DiskState, Plan, Rules, Want, plan},
};
use snapshot_domain::ecs_naming::ClusterId;

/// A disk that got (or lost) a policy of ours.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Change {
    pub disk_id: String,
    pub policy_id: String,
    /// A resync found the disk changed outside the cluster; this call put it back.
    pub drift: bool,
}

/// What a pass did and found, for Events, status and metrics.
#[derive(Debug, Default)]
pub struct PassReport {
    pub full: bool,
    pub applied: Vec<Change>,
    /// Policies of ours cancelled.
    pub removed: Vec<Change>,
    /// (disk, foreign policy) replaced (classic) or cancelled (upgraded) by take-over.
    pub taken_over: Vec<(String, String)>,
    /// (disk, policy, why) refused for good.
    pub failed: Vec<(String, String, String)>,
    /// (disk, foreign policy) newly found on a selected disk and left alone.
    pub new_foreign: Vec<(String, String)>,
    /// Selected disks newly found missing in ECS.
    pub new_missing: Vec<String>,
    /// (losing VSP, disk) pairs that are new.
    pub new_conflicts: Vec<(String, String)>,
    /// Disks repaired after drift.
    pub drift_repaired: usize,
    /// The pass stopped early; what is above happened before.
    pub error: Option<ReconcilerError>,
}

/// What was already reported, so Events follow transitions, not passes.
#[derive(Debug, Default)]
struct Reported {
    foreign: BTreeMap<String, BTreeSet<String>>,
    missing: BTreeSet<String>,
    conflicts: BTreeSet<(String, String)>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Call {
    Apply,
    Cancel,
}

/// The reconciler's memory between passes. One per leadership term.
#[derive(Debug)]
pub struct Reconciler {
    ecs: EcsDisks,
    cluster: ClusterId,
    rules: Rules,
    cache: ActualCache,
    origins: BTreeMap<String, PolicyOrigin>,
    last_wants: Option<BTreeMap<String, Want>>,
    states: BTreeMap<String, DiskState>,
    reported: Reported,
}

impl Reconciler {
    pub fn new(ecs: EcsDisks, cluster: ClusterId, rules: Rules) -> Self {
        Self {
            ecs,
            cluster,
            rules,
            cache: ActualCache::default(),
            origins: BTreeMap::new(),
            last_wants: None,
            states: BTreeMap::new(),
            reported: Reported::default(),
        }
    }

    /// The state of every managed disk after the last pass.
    pub fn states(&self) -> &BTreeMap<String, DiskState> {
        &self.states
    }

    /// Brings ECS to `desired`; `full` forces a full pass (the first pass always is one).
    pub async fn pass(&mut self, desired: &Desired, full: bool) -> PassReport {
        let wants = desired.wants();
        let full = full || self.last_wants.is_none();
        let mut report = PassReport {
            full,
            ..PassReport::default()
        };
        self.note_conflicts(desired, &mut report);

        let read = match full {
            true => self.read_full(desired).await,
            false => self.read_changed(desired, &wants).await,
        };
        let (scope, drifted) = match read {
            Ok(read) => read,
            Err(e) => {
                report.error = Some(e);
                return report;
            }
        };

        let plan = plan(&wants, self.cache.disks(), &scope, self.rules);
        self.note_findings(&plan, &wants, &scope, &mut report);
        if let Err(e) = self.execute(&plan, &drifted, &mut report).await {
            report.error = Some(e);
            return report;
        }
        let changes = report.applied.iter().chain(&report.removed);
        let repaired: BTreeSet<&String> = changes.filter(|c| c.drift).map(|c| &c.disk_id).collect();
        report.drift_repaired = repaired.len();
        self.states.retain(|disk, _| wants.contains_key(disk));
        self.last_wants = Some(wants);
        report
    }

    fn note_conflicts(&mut self, desired: &Desired, report: &mut PassReport) {
        let pairs: BTreeSet<(String, String)> = desired
            .disks
            .iter()
            .flat_map(|(disk, d)| d.losers.iter().map(|l| (l.clone(), disk.clone())))
            .collect();
        report.new_conflicts = pairs
            .difference(&self.reported.conflicts)
            .cloned()
            .collect();
        self.reported.conflicts = pairs;
    }

    fn note_findings(
        &mut self,
        plan: &Plan,
        wants: &BTreeMap<String, Want>,
        scope: &BTreeSet<String>,
        report: &mut PassReport,
    ) {
        for disk in scope {
            let before = self.reported.foreign.remove(disk).unwrap_or_default();
            if let Some(policies) = plan.foreign_left.get(disk) {
                for policy in policies.difference(&before) {
                    report.new_foreign.push((disk.clone(), policy.clone()));
                }
                self.reported.foreign.insert(disk.clone(), policies.clone());
            }

            let missing = plan.states.get(disk) == Some(&DiskState::Missing)
                && wants.get(disk).is_some_and(|w| *w != Want::Nothing);
            if !missing {
                self.reported.missing.remove(disk);
            } else if self.reported.missing.insert(disk.clone()) {
                report.new_missing.push(disk.clone());
            }
            match (plan.states.get(disk), wants.contains_key(disk)) {
                (Some(state), true) => self.states.insert(disk.clone(), *state),
                _ => self.states.remove(disk),
            };
            if plan.states.get(disk) == Some(&DiskState::Missing) && !wants.contains_key(disk) {
                self.cache.forget(disk);
            }
        }
    }
}
