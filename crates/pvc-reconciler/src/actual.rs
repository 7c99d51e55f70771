//! What ECS last told us about each disk, kept between passes so that a pass triggered by a
//! change reads only the disks that change from ECS, and updated after every successful call.

use std::collections::{BTreeMap, BTreeSet};

use crate::args::AccountMode;

/// A disk's automatic snapshot policies as far as this cluster cares.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ActualDisk {
    /// ECS knows the disk.
    pub exists: bool,
    /// Policies of this cluster on the disk (tagged with its cluster ID).
    pub ours: BTreeSet<String>,
    /// Policies on the disk that this cluster did not create: at most one on classic
    /// accounts (from DescribeDisks), every one on upgraded accounts (from the policy
    /// associations, since DescribeDisks reports only one policy per disk).
    pub foreign: BTreeSet<String>,
}

impl ActualDisk {
    /// A disk ECS knows, carrying `ours` and the `foreign` policies.
    pub fn present(
        ours: impl IntoIterator<Item = String>,
        foreign: impl IntoIterator<Item = String>,
    ) -> Self {
        Self {
            exists: true,
            ours: ours.into_iter().collect(),
            foreign: foreign.into_iter().collect(),
        }
    }

    /// A disk ECS does not know.
    pub fn missing() -> Self {
        Self::default()
    }
}

/// The last known [`ActualDisk`] of every disk this reconciler has looked at.
#[derive(Debug, Clone, Default)]
pub struct ActualCache {
    disks: BTreeMap<String, ActualDisk>,
}

impl ActualCache {
    pub fn get(&self, disk: &str) -> Option<&ActualDisk> {
        self.disks.get(disk)
    }

    pub fn contains(&self, disk: &str) -> bool {
        self.disks.contains_key(disk)
    }

    pub fn disks(&self) -> &BTreeMap<String, ActualDisk> {
        &self.disks
    }

    /// Records what ECS just said about `disk`.
    pub fn observe(&mut self, disk: String, actual: ActualDisk) {
        self.disks.insert(disk, actual);
    }

    /// Replaces everything with a full read.
    pub fn replace(&mut self, disks: BTreeMap<String, ActualDisk>) {
        self.disks = disks;
    }

    /// Forgets a disk (it is gone and no longer wanted).
    pub fn forget(&mut self, disk: &str) {
        self.disks.remove(disk);
    }

    /// `policy` was applied to `disk`: classic accounts replaced whatever it carried.
    pub fn applied(&mut self, policy: &str, disk: &str, mode: AccountMode) {
        let entry = self.disks.entry(disk.to_owned()).or_default();
        entry.exists = true;
        if mode == AccountMode::Classic {
            entry.ours.clear();
            entry.foreign.clear();
        }
        entry.ours.insert(policy.to_owned());
    }

    /// `policy` (ours or foreign) was cancelled on `disk`.
    pub fn cancelled(&mut self, policy: &str, disk: &str) {
        if let Some(entry) = self.disks.get_mut(disk) {
            entry.ours.remove(policy);
            entry.foreign.remove(policy);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn calls_update_the_cache_per_account_mode() {
        let mut cache = ActualCache::default();
        let foreign = ["sp-x".to_owned(), "sp-y".to_owned()];
        cache.observe(
            "d-1".into(),
            ActualDisk::present(["sp-a".into()], foreign.clone()),
        );
        let d2 = ActualDisk::present(["sp-a".into()], foreign.clone());
        cache.observe("d-2".into(), d2);
        let none = || Vec::<String>::new();

        cache.applied("sp-b", "d-1", AccountMode::Classic);
        assert_eq!(
            cache.get("d-1"),
            Some(&ActualDisk::present(["sp-b".into()], none()))
        );
        cache.applied("sp-b", "d-2", AccountMode::Upgraded);
        let both = ActualDisk::present(["sp-a".into(), "sp-b".into()], foreign.clone());
        assert_eq!(cache.get("d-2"), Some(&both));

        cache.cancelled("sp-x", "d-2");
        cache.cancelled("sp-a", "d-2");
        assert_eq!(
            cache.get("d-2"),
            Some(&ActualDisk::present(["sp-b".into()], ["sp-y".to_owned()]))
        );
        cache.cancelled("sp-a", "d-unknown");
        assert!(!cache.contains("d-unknown"));
    }
}
