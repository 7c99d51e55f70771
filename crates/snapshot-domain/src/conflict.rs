//! Which `VolumeSnapshotPolicy` wins a disk that several select.
//!
//! # Rule
//! Among the scheduled policies that select one disk, the one with the **oldest
//! `metadata.creationTimestamp`** wins; policies created in the same second are ordered by
//! **name**, the lexicographically smallest winning. Names of cluster-scoped objects are unique,
//! so the order is total and every controller, replica and restart picks the same winner.
//!
//! # Why this rule
//! It never flaps: neither editing a policy nor restarting a controller changes a creation time,
//! so the winner only changes when the winner itself goes away. A newly created policy never
//! steals disks that an existing one already protects.
//!
//! # Assumptions
//! Callers pass only policies that may own a disk: scheduled (not `repeatOnce`), valid, and not
//! being deleted. `repeatOnce` policies take one snapshot and never carry an ECS policy, so they
//! do not compete.

use jiff::Timestamp;

/// One policy's claim on a disk, ordered so that the winner is the smallest.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct PolicyClaim {
    /// `metadata.creationTimestamp` of the policy (compared first).
    pub created: Timestamp,
    /// `metadata.name` of the policy (tie-breaker).
    pub name: String,
}

impl PolicyClaim {
    pub fn new(name: impl Into<String>, created: Timestamp) -> Self {
        Self {
            created,
            name: name.into(),
        }
    }
}

/// The winning claim, or `None` when there are no claims. See the module docs for the rule.
pub fn winner<'a>(claims: impl IntoIterator<Item = &'a PolicyClaim>) -> Option<&'a PolicyClaim> {
    claims.into_iter().min()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn claim(name: &str, created: &str) -> PolicyClaim {
        PolicyClaim::new(name, created.parse().unwrap())
    }

    #[test]
    fn oldest_wins_then_smallest_name() {
        let claims = [
            claim("nightly", "2026-12-01T10:00:00Z"),
            claim("hourly", "2026-12-01T09:00:00Z"),
            claim("audit", "2026-12-01T10:00:00Z"),
        ];
        assert_eq!(winner(&claims).unwrap().name, "hourly");
        assert_eq!(winner(&claims[..1]).unwrap().name, "nightly");
        assert_eq!(
            winner(&[claims[0].clone(), claims[2].clone()])
                .unwrap()
                .name,
            "audit"
        );
        assert_eq!(winner(&[]), None);
    }

    #[test]
    fn winner_does_not_depend_on_input_order() {
        let mut claims = vec![
            claim("b", "2026-12-01T10:00:00Z"),
            claim("a", "2026-12-01T10:00:00Z"),
            claim("c", "2026-11-01T10:00:00Z"),
        ];
        let first = winner(&claims).cloned();
        claims.reverse();
        assert_eq!(winner(&claims).cloned(), first);
        assert_eq!(first.unwrap().name, "c");
    }
}
