//! Which imported snapshots an incremental pass asks ECS about by ID, so that most deletions
//! are noticed within one `--poll-interval` instead of at the next full pass.
//!
//! # Suspects
//! - Snapshots past their retention: ECS creation time plus the policy's `retentionDays` (as
//!   the copy's annotations record them) lies in the past. ECS deletes them around then.
//! - Snapshots whose content is being deleted: a `Delete` copy a user deleted, whose cloud
//!   snapshot the CSI driver is deleting; the record finalizer is released once it is gone.
//!
//! # Cost
//! One gateway call per 100 suspects, at most [`MAX_SUSPECTS`] (oldest first) per pass. A
//! suspect ECS keeps (retention runs a little late) is asked about again each pass until it
//! goes. Deletions nothing predicts (a person deleting a snapshot in ECS) still wait for the
//! full pass.

use std::collections::BTreeSet;

use jiff::{SignedDuration, Timestamp};

use crate::{objects::HeldCopies, ownership::Ownership};

/// Most snapshots one incremental pass asks about by ID.
pub const MAX_SUSPECTS: usize = 500;

/// The snapshot IDs among `held` that ECS has probably deleted by `now`.
pub fn suspects(held: &HeldCopies, ownership: &Ownership, now: Timestamp) -> BTreeSet<String> {
    let mut due: Vec<(Timestamp, &str)> = Vec::new();
    for ((id, _), copy) in held {
        let deleting = copy.content.as_ref().is_some_and(|c| c.terminating);
        let Some(origin) = &copy.origin else {
            if deleting {
                due.push((Timestamp::UNIX_EPOCH, id));
            }
            continue;
        };
        let expired = ownership
            .retention_days(&origin.policy)
            .filter(|days| *days >= 0)
            .is_some_and(|days| expires(origin.created, days) <= now);
        if deleting || expired {
            due.push((origin.created, id));
        }
    }

    due.sort();
    let mut suspects = BTreeSet::new();
    for (_, id) in due {
        if suspects.len() == MAX_SUSPECTS {
            break;
        }
        suspects.insert(id.to_owned());
    }
    suspects
}

fn expires(created: Timestamp, days: i32) -> Timestamp {
    let kept = SignedDuration::from_hours(24 * i64::from(days));
    created.checked_add(kept).unwrap_or(Timestamp::MAX)
}

#[cfg(test)]
mod tests;
