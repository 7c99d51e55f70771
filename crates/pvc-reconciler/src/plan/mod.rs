//! The diff between the desired and the actual disk → policy map: which Apply and Cancel calls
//! bring ECS to the desired state, and what state each disk is in. Pure: no I/O, no clock.
//!
//! # Rules (the README explains them for operators)
//! - A disk wants at most one policy of this cluster: its winning VSP's ([`Want::Policy`]).
//!   The same holds in both account modes, so a second VSP never stacks by accident.
//! - Classic accounts (Apply replaces): a disk carrying another policy of ours is moved by one
//!   Apply, no Cancel. Upgraded accounts (Apply adds): Apply the wanted policy first, then
//!   Cancel every other policy of ours, so the disk is never left without one; where the
//!   disk is at ECS's limit of policies, the executor cancels first (`pass::execute`).
//! - A policy this cluster did not create ("foreign") is never cancelled or replaced unless
//!   the operator opted in ([`Rules::take_over`]). In classic mode it blocks our Apply (the
//!   Apply would replace it); in upgraded mode ours is added next to it.
//! - A disk that wants nothing loses every policy of ours; foreign ones stay.
//! - A missing disk, or one whose winner has no ECS policy yet, is left as it is.

#[cfg(test)]
mod tests;

use std::collections::{BTreeMap, BTreeSet};

use crate::{actual::ActualDisk, args::AccountMode};

/// The most disk IDs sent in one Apply or Cancel call. ECS documents no limit for these two
/// actions (it caps DescribeDisks at 100); the gateway accepts 1..100.
pub const MAX_DISKS_PER_CALL: usize = 100;

/// What a disk should carry.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Want {
    /// No VSP selects it (or its PVC is gone): no policy of ours.
    Nothing,
    /// Its winning VSP has no ECS policy yet: leave the disk as it is until it has one.
    Pending,
    /// This ECS policy ID.
    Policy(String),
}

/// How the account and the operator want disks handled.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Rules {
    pub mode: AccountMode,
    /// Replace or cancel foreign policies on disks a VSP selects.
    pub take_over: bool,
}

/// Where a disk stands once the plan is carried out.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum DiskState {
    /// It carries its wanted policy.
    Applied,
    /// Its winning VSP has no ECS policy yet.
    Pending,
    /// A foreign policy blocks ours (classic mode without take-over).
    Foreign,
    /// ECS does not know the disk.
    Missing,
    /// No VSP selects it; it carries no policy of ours.
    Unselected,
    /// ECS refused the call for this disk (set by the pass, never by the plan).
    Failed,
}

impl DiskState {
    /// A bounded metric label.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Applied => "applied",
            Self::Pending => "pending",
            Self::Foreign => "foreign",
            Self::Missing => "missing",
            Self::Unselected => "unselected",
            Self::Failed => "failed",
        }
    }
}

/// One Apply or Cancel call: one policy, 1..=[`MAX_DISKS_PER_CALL`] disks.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Batch {
    pub policy_id: String,
    pub disk_ids: Vec<String>,
}

/// The calls to make and the resulting state of every disk in scope.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Plan {
    /// Policy ID → disks to apply it to.
    pub applies: BTreeMap<String, BTreeSet<String>>,
    /// Policy ID → disks to cancel it on (ours, or foreign ones taken over).
    pub cancels: BTreeMap<String, BTreeSet<String>>,
    /// Disk → its state after the calls succeed.
    pub states: BTreeMap<String, DiskState>,
    /// Disk → the foreign policies it carries and that are left alone (reported).
    pub foreign_left: BTreeMap<String, BTreeSet<String>>,
    /// Disk → the foreign policies that are replaced or cancelled (take-over).
    pub taken_over: BTreeMap<String, BTreeSet<String>>,
}

impl Plan {
    /// Whether no call is needed.
    pub fn is_empty(&self) -> bool {
        self.applies.is_empty() && self.cancels.is_empty()
    }

    /// The Apply calls, grouped by policy, in policy and disk order.
    pub fn apply_batches(&self) -> Vec<Batch> {
        batches(&self.applies)
    }

    /// The Cancel calls, grouped by policy, in policy and disk order.
    pub fn cancel_batches(&self) -> Vec<Batch> {
        batches(&self.cancels)
    }

    fn apply(&mut self, policy: &str, disk: &str) {
        let disks = self.applies.entry(policy.to_owned()).or_default();
        disks.insert(disk.to_owned());
    }

    fn cancel(&mut self, policy: &str, disk: &str) {
        let disks = self.cancels.entry(policy.to_owned()).or_default();
        disks.insert(disk.to_owned());
    }

    /// The cancels planned for `disk`, as (policy, disk) pairs.
    pub fn cancels_on(&self, disk: &str) -> Vec<(String, String)> {
        let on_disk = self
            .cancels
            .iter()
            .filter(|(_, disks)| disks.contains(disk));
        on_disk.map(|(p, _)| (p.clone(), disk.to_owned())).collect()
    }
}

/// Calls of one kind, grouped by policy, at most [`MAX_DISKS_PER_CALL`] disks each.
pub fn batches(calls: &BTreeMap<String, BTreeSet<String>>) -> Vec<Batch> {
    let mut out = Vec::new();
    for (policy, disks) in calls {
        let disks: Vec<String> = disks.iter().cloned().collect();
        for chunk in disks.chunks(MAX_DISKS_PER_CALL) {
            out.push(Batch {
                policy_id: policy.clone(),
                disk_ids: chunk.to_vec(),
            });
        }
    }
    out
}

/// Plans the disks in `scope`. A disk absent from `wants` wants nothing; one absent from
/// `actual` is missing.
pub fn plan<'a>(
    wants: &BTreeMap<String, Want>,
    actual: &BTreeMap<String, ActualDisk>,
    scope: impl IntoIterator<Item = &'a String>,
    rules: Rules,
) -> Plan {
    let mut plan = Plan::default();
    for disk in scope {
        let want = wants.get(disk).unwrap_or(&Want::Nothing);
        let state = match actual.get(disk).filter(|a| a.exists) {
            None => DiskState::Missing,
            Some(actual) => decide(&mut plan, disk, want, actual, rules),
        };
        plan.states.insert(disk.clone(), state);
    }
    plan
}

fn decide(
    plan: &mut Plan,
    disk: &str,
    want: &Want,
    actual: &ActualDisk,
    rules: Rules,
) -> DiskState {
    match want {
        Want::Nothing => {
            for policy in &actual.ours {
                plan.cancel(policy, disk);
            }
            DiskState::Unselected
        }
        Want::Pending => DiskState::Pending,
        Want::Policy(policy) => match rules.mode {
            AccountMode::Classic => classic(plan, disk, policy, actual, rules.take_over),
            AccountMode::Upgraded => upgraded(plan, disk, policy, actual, rules.take_over),
        },
    }
}

/// One policy per disk: Apply replaces whatever the disk carries.
fn classic(
    plan: &mut Plan,
    disk: &str,
    policy: &str,
    actual: &ActualDisk,
    take_over: bool,
) -> DiskState {
    if !actual.foreign.is_empty() {
        let foreign = actual.foreign.clone();
        if !take_over {
            plan.foreign_left.insert(disk.to_owned(), foreign);
            return DiskState::Foreign;
        }
        plan.taken_over.insert(disk.to_owned(), foreign);
        plan.apply(policy, disk);
        return DiskState::Applied;
    }

    if actual.ours.contains(policy) {
        // Only reachable with stale knowledge of a second policy of ours; cancel it by ID.
        for other in actual.ours.iter().filter(|p| *p != policy) {
            plan.cancel(other, disk);
        }
    } else {
        plan.apply(policy, disk);
    }
    DiskState::Applied
}

/// Several policies per disk: Apply adds, so every other policy of ours is cancelled. The
/// Apply is planned first so the disk is never without a policy; a disk already at ECS's limit
/// of policies refuses it, and the executor then runs the disk's cancels first.
fn upgraded(
    plan: &mut Plan,
    disk: &str,
    policy: &str,
    actual: &ActualDisk,
    take_over: bool,
) -> DiskState {
    if !actual.ours.contains(policy) {
        plan.apply(policy, disk);
    }
    for other in actual.ours.iter().filter(|p| *p != policy) {
        plan.cancel(other, disk);
    }

    if actual.foreign.is_empty() {
        return DiskState::Applied;
    }
    if take_over {
        for foreign in &actual.foreign {
            plan.cancel(foreign, disk);
        }
        plan.taken_over
            .insert(disk.to_owned(), actual.foreign.clone());
    } else {
        plan.foreign_left
            .insert(disk.to_owned(), actual.foreign.clone());
    }
    DiskState::Applied
}
