//! Carrying out a plan: Apply and Cancel batches, splitting batches ECS refuses for good, and
//! recording each outcome in the cache and the pass report.

use std::collections::BTreeSet;

use controller_support::gateway_error::{GatewayFailure, RetryClass};
use tracing::warn;

use super::{Call, Change, PassReport, Reconciler};
use crate::{
    ReconcilerError,
    args::AccountMode,
    ecs::failure,
    plan::{Batch, DiskState, Plan},
};

impl Reconciler {
    pub(super) async fn execute(
        &mut self,
        plan: &Plan,
        drifted: &BTreeSet<String>,
        report: &mut PassReport,
    ) -> Result<(), ReconcilerError> {
        for batch in plan.apply_batches() {
            self.run(Call::Apply, batch, plan, drifted, report).await?;
        }
        for batch in plan.cancel_batches() {
            self.run(Call::Cancel, batch, plan, drifted, report).await?;
        }
        Ok(())
    }

    /// One batch; a batch refused for good is split until the refused disks are isolated.
    async fn run(
        &mut self,
        call: Call,
        batch: Batch,
        plan: &Plan,
        drifted: &BTreeSet<String>,
        report: &mut PassReport,
    ) -> Result<(), ReconcilerError> {
        let mut queue = vec![batch];
        while let Some(batch) = queue.pop() {
            let answer = match call {
                Call::Apply => self.ecs.apply(&batch).await,
                Call::Cancel => self.ecs.cancel(&batch).await,
            };
            match answer {
                Ok(()) => self.succeeded(call, &batch, plan, drifted, report),
                Err(f) if call == Call::Cancel && f.is_not_found() && batch.disk_ids.len() == 1 => {
                    // The disk or the policy is gone: nothing of ours is left on the disk.
                    self.succeeded(call, &batch, plan, drifted, report)
                }
                Err(f) if f.class == RetryClass::Permanent && batch.disk_ids.len() > 1 => {
                    let (a, b) = batch.disk_ids.split_at(batch.disk_ids.len() / 2);
                    let half = |ids: &[String]| Batch {
                        policy_id: batch.policy_id.clone(),
                        disk_ids: ids.to_vec(),
                    };
                    queue.push(half(b));
                    queue.push(half(a));
                }
                Err(f) if f.class == RetryClass::Permanent => self.refused(&batch, &f, report),
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
                        report.taken_over.push((disk.clone(), foreign.clone()));
                    }
                    report.applied.push(change);
                }
                Call::Cancel if took_over == Some(policy) => {
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
