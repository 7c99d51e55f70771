//! Reading what ECS has: the disks in scope, the policies on them, and whose each policy is.
//!
//! # Cost on upgraded accounts
//! DescribeDisks reports one policy per disk, so upgraded accounts also list the policy
//! associations: one call per disk for up to [`PER_DISK_UP_TO`] disks; beyond that, whichever
//! is cheaper of one call per disk or one listing of the region's policies (one call per 100)
//! plus one call per 100 disks of each. A full pass of a large cluster therefore costs about as
//! many calls as the region has policies, not as the cluster has disks.

use std::collections::{BTreeMap, BTreeSet};

use tracing::debug;

use super::Reconciler;
use crate::{
    ReconcilerError,
    actual::ActualDisk,
    args::AccountMode,
    desired::Desired,
    ecs::{
        PolicyOrigin,
        associations::{RegionPolicy, region_cost},
    },
    plan::Want,
};

/// Up to this many disks, upgraded accounts list each disk's policies without first listing
/// the region's policies.
pub const PER_DISK_UP_TO: usize = 20;

/// The policy DescribeDisks reports, as a set (empty when none).
fn one(policy: &str) -> BTreeSet<String> {
    (!policy.is_empty())
        .then(|| policy.to_owned())
        .into_iter()
        .collect()
}

impl Reconciler {
    /// Reads every managed disk and every disk carrying one of our policies.
    pub(super) async fn read_full(
        &mut self,
        desired: &Desired,
    ) -> Result<(BTreeSet<String>, BTreeSet<String>), ReconcilerError> {
        let mut carrying: BTreeMap<String, BTreeSet<String>> = BTreeMap::new();
        for policy in &desired.our_policy_ids {
            for disk in self.ecs.carrying(policy).await? {
                carrying.entry(disk).or_default().insert(policy.clone());
            }
        }
        let scope: BTreeSet<String> = desired
            .disks
            .keys()
            .chain(carrying.keys())
            .cloned()
            .collect();
        let fresh = self.read(&scope, desired, Some(&carrying)).await?;

        let drifted = fresh
            .iter()
            .filter(|(disk, now)| self.cache.get(disk).is_some_and(|before| before != *now))
            .map(|(disk, _)| disk.clone())
            .collect();
        self.cache.replace(fresh);
        Ok((scope, drifted))
    }

    /// Reads the disks whose wanted policy changed, or that were never read.
    pub(super) async fn read_changed(
        &mut self,
        desired: &Desired,
        wants: &BTreeMap<String, Want>,
    ) -> Result<(BTreeSet<String>, BTreeSet<String>), ReconcilerError> {
        let last = self.last_wants.clone().unwrap_or_default();
        let changed = |d: &String| wants.get(d) != last.get(d) || !self.cache.contains(d);
        let scope: BTreeSet<String> = wants
            .keys()
            .chain(last.keys())
            .filter(|d| changed(d))
            .cloned()
            .collect();
        if scope.is_empty() {
            return Ok((scope, BTreeSet::new()));
        }
        debug!(disks = scope.len(), "reading changed disks");

        let fresh = self.read(&scope, desired, None).await?;
        for (disk, actual) in fresh {
            self.cache.observe(disk, actual);
        }
        Ok((scope, BTreeSet::new()))
    }

    /// DescribeDisks for `disks`, plus every policy of each disk on upgraded accounts (the
    /// associations). Ours per disk: on upgraded accounts exactly what the associations list;
    /// else `carrying` when a full read has it, else what ECS reports merged with the cache.
    async fn read(
        &mut self,
        disks: &BTreeSet<String>,
        desired: &Desired,
        carrying: Option<&BTreeMap<String, BTreeSet<String>>>,
    ) -> Result<BTreeMap<String, ActualDisk>, ReconcilerError> {
        let ids: Vec<String> = disks.iter().cloned().collect();
        let reported = self.ecs.describe(&ids).await?;
        let attached = match self.rules.mode {
            AccountMode::Upgraded => Some(self.attached(reported.keys().cloned().collect()).await?),
            AccountMode::Classic => None,
        };

        let mut fresh = BTreeMap::new();
        for disk in disks {
            let Some(policy) = reported.get(disk) else {
                fresh.insert(disk.clone(), ActualDisk::missing());
                continue;
            };
            let (on_disk, mut ours) = match (&attached, carrying) {
                (Some(all), _) => (all.get(disk).cloned().unwrap_or_default(), BTreeSet::new()),
                (None, Some(exact)) => (one(policy), exact.get(disk).cloned().unwrap_or_default()),
                (None, None) => (one(policy), self.known_ours(disk)),
            };
            let mut foreign = BTreeSet::new();
            for policy in on_disk {
                match self.origin(&policy, desired).await? {
                    PolicyOrigin::ThisCluster => ours.insert(policy),
                    PolicyOrigin::Foreign => foreign.insert(policy),
                    PolicyOrigin::Gone => false,
                };
            }
            if carrying.is_none() && self.rules.mode == AccountMode::Classic {
                // One policy per disk: what ECS reports is all there is. (A full read lists
                // ours exactly, which also repairs a mode setting that does not match the
                // account.)
                ours.retain(|p| p == policy);
            }
            fresh.insert(disk.clone(), ActualDisk::present(ours, foreign));
        }
        Ok(fresh)
    }

    /// Every policy on each of `disks` (upgraded accounts), by whichever listing costs fewer
    /// calls: one per disk, or the disks of every policy of the region (whose listing also
    /// tells each policy's origin, so no per-policy look-up follows).
    async fn attached(
        &mut self,
        disks: BTreeSet<String>,
    ) -> Result<BTreeMap<String, BTreeSet<String>>, ReconcilerError> {
        if disks.len() > PER_DISK_UP_TO {
            let policies = self.ecs.region_policies(self.cluster.as_str()).await?;
            for policy in &policies {
                self.origins
                    .insert(policy.id.clone(), policy.origin.clone());
            }
            if region_cost(&policies) < disks.len() {
                debug!(
                    disks = disks.len(),
                    policies = policies.len(),
                    "listing by policy"
                );
                return self.attached_by_policy(&policies, &disks).await;
            }
        }

        let mut attached = BTreeMap::new();
        for disk in disks {
            let policies = self.ecs.policies_on(&disk).await?;
            attached.insert(disk, policies);
        }
        Ok(attached)
    }

    async fn attached_by_policy(
        &self,
        policies: &[RegionPolicy],
        disks: &BTreeSet<String>,
    ) -> Result<BTreeMap<String, BTreeSet<String>>, ReconcilerError> {
        let mut attached: BTreeMap<String, BTreeSet<String>> =
            disks.iter().map(|d| (d.clone(), BTreeSet::new())).collect();
        for policy in policies {
            for disk in self.ecs.disks_of(&policy.id).await? {
                if let Some(on_disk) = attached.get_mut(&disk) {
                    on_disk.insert(policy.id.clone());
                }
            }
        }
        Ok(attached)
    }

    fn known_ours(&self, disk: &str) -> BTreeSet<String> {
        self.cache
            .get(disk)
            .map(|a| a.ours.clone())
            .unwrap_or_default()
    }

    /// Whether `policy` is ours: recorded in a VSP status, or tagged with our cluster ID
    /// (a policy whose VSP is gone). Answers other than "gone" are cached.
    async fn origin(
        &mut self,
        policy: &str,
        desired: &Desired,
    ) -> Result<PolicyOrigin, ReconcilerError> {
        if desired.our_policy_ids.contains(policy) {
            return Ok(PolicyOrigin::ThisCluster);
        }
        if let Some(origin) = self.origins.get(policy) {
            return Ok(origin.clone());
        }
        let origin = self.ecs.origin(policy, self.cluster.as_str()).await?;
        if origin != PolicyOrigin::Gone {
            self.origins.insert(policy.to_owned(), origin.clone());
        }
        Ok(origin)
    }
}
