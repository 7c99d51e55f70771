//! Carrying out a plan: Apply and Cancel batches, splitting batches ECS refuses for good,
//! cancelling first on disks at ECS's limit of policies, and recording each outcome in the
//! cache and the pass report.

use std::collections::{BTreeMap, BTreeSet};

use controller_support::gateway_error::{GatewayFailure, RetryClass};
use tracing::warn;

use super::{Call, Change, PassReport, Reconciler};
use crate::{
    ReconcilerError,
    args::AccountMode,
    ecs::failure,
    plan::{Batch, DiskState, Plan, batches},
};

/// The ECS code of an Apply refused because a disk already carries as many automatic
/// snapshot policies as the account allows (10 on upgraded accounts).
pub const AT_LIMIT: &str = "OperationDenied.TooManyAutoSnapshotPolicies";

/// Cancels still to run, policy → disks; the limit handling runs some of them early.
type Pending = BTreeMap<String, BTreeSet<String>>;

impl Reconciler {
    /// Applies first, then cancels, so a disk moving between policies is never without one.
    /// A disk at ECS's limit of policies refuses the Apply; its planned cancels then run
    /// first, and the Apply is repeated once.
    pub(super) async fn execute(
        &mut self,
        plan: &Plan,
        drifted: &BTreeSet<String>,
        report: &mut PassReport,
    ) -> Result<(), ReconcilerError> {
        let mut pending = plan.cancels.clone();
        for batch in plan.apply_batches() {
            self.run(Call::Apply, batch, plan, &mut pending, drifted, report)
                .await?;
        }
        for batch in batches(&pending) {
            self.run(Call::Cancel, batch, plan, &mut pending, drifted, report)
                .await?;
        }
        Ok(())
    }

    /// One batch; a batch refused for good is split until the refused disks are isolated.
    async fn run(
        &mut self,
        call: Call,
        batch: Batch,
        plan: &Plan,
        pending: &mut Pending,
        drifted: &BTreeSet<String>,
        report: &mut PassReport,
    ) -> Result<(), ReconcilerError> {
        let mut queue = vec![batch];
        let mut made_room = BTreeSet::new();
        while let Some(batch) = queue.pop() {
            let answer = match call {
                Call::Apply => self.ecs.apply(&batch).await,
                Call::Cancel => self.ecs.cancel(&batch).await,
            };
            let single = batch.disk_ids.len() == 1;
            match answer {
                Ok(()) => self.succeeded(call, &batch, plan, drifted, report),
                Err(f) if call == Call::Cancel && f.is_not_found() && single => {
                    // The disk or the policy is gone: nothing of ours is left on the disk.
                    self.succeeded(call, &batch, plan, drifted, report)
                }
                Err(f) if (f.class == RetryClass::Permanent || at_limit(&f)) && !single => {
                    let (a, b) = batch.disk_ids.split_at(batch.disk_ids.len() / 2);
                    let half = |ids: &[String]| Batch {
                        policy_id: batch.policy_id.clone(),
                        disk_ids: ids.to_vec(),
                    };
                    queue.push(half(b));
                    queue.push(half(a));
                }
                Err(f) if at_limit(&f) && made_room.insert(batch.disk_ids[0].clone()) => {
                    let disk = &batch.disk_ids[0];
                    match self.make_room(disk, plan, pending, drifted, report).await? {
                        true => queue.push(batch),
                        false => self.refused(&batch, &f, report),
                    }
                }
                Err(f) if f.class == RetryClass::Permanent || at_limit(&f) => {
                    self.refused(&batch, &f, report)
                }
                Err(f) => {
                    let rpc = match call {
                        Call::Apply => "ApplyAutoSnapshotPolicy",
                        Call::Cancel => "CancelAutoSnapshotPolicy",
                    };
                    return Err(failure(rpc, *f));
                }
            }
        }
        Ok(())
    }

    /// Runs the cancels planned for `disk` now, before its Apply; whether any took a policy
    /// off the disk.
    async fn make_room(
        &mut self,
        disk: &str,
        plan: &Plan,
        pending: &mut Pending,
        drifted: &BTreeSet<String>,
        report: &mut PassReport,
    ) -> Result<bool, ReconcilerError> {
        let mut freed = false;
        for (policy, disks) in pending.iter_mut() {
            if !disks.remove(disk) {
                continue;
            }
            let batch = Batch {
                policy_id: policy.clone(),
                disk_ids: vec![disk.to_owned()],
            };
            warn!(disk, policy = %policy, "disk at ECS's policy limit: cancelling before applying");
            match self.ecs.cancel(&batch).await {
                Ok(()) => freed = true,
                Err(f) if f.is_not_found() => {}
                Err(f) if f.class == RetryClass::Permanent => {
                    self.refused(&batch, &f, report);
                    continue;
                }
                Err(f) => return Err(failure("CancelAutoSnapshotPolicy", *f)),
            }
            self.succeeded(Call::Cancel, &batch, plan, drifted, report);
        }
        pending.retain(|_, disks| !disks.is_empty());
        Ok(freed)
    }

    fn succeeded(
        &mut self,
        call: Call,
        batch: &Batch,
        plan: &Plan,
        drifted: &BTreeSet<String>,
        report: &mut PassReport,
    ) {
        for disk in &batch.disk_ids {
            let policy = &batch.policy_id;
            let took_over = plan.taken_over.get(disk);
            let change = Change {
                disk_id: disk.clone(),
                policy_id: policy.clone(),
                drift: drifted.contains(disk),
            };
            match call {
                Call::Apply => {
                    self.cache.applied(policy, disk, self.rules.mode);
                    if let Some(foreign) =
                        took_over.filter(|_| self.rules.mode == AccountMode::Classic)
                    {
                        let replaced = foreign.iter().map(|f| (disk.clone(), f.clone()));
                        report.taken_over.extend(replaced);
                    }
                    report.applied.push(change);
                }
                Call::Cancel if took_over.is_some_and(|f| f.contains(policy)) => {
                    self.cache.cancelled(policy, disk);
                    report.taken_over.push((disk.clone(), policy.clone()));
                }
                Call::Cancel => {
                    self.cache.cancelled(policy, disk);
                    report.removed.push(change);
                }
            }
        }
    }

    fn refused(&mut self, batch: &Batch, failure: &GatewayFailure, report: &mut PassReport) {
        let why = format!("{}: {}", failure.short_code(), failure.message);
        for disk in &batch.disk_ids {
            warn!(disk, policy = %batch.policy_id, error = %why, "ECS refused the disk");
            self.states.insert(disk.clone(), DiskState::Failed);
            report
                .failed
                .push((disk.clone(), batch.policy_id.clone(), why.clone()));
        }
    }
}

fn at_limit(failure: &GatewayFailure) -> bool {
    failure.ecs.as_ref().is_some_and(|ecs| ecs.code == AT_LIMIT)
}
