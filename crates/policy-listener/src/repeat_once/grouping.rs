//! Which one-off snapshots can be taken together as a crash-consistent snapshot group.
//!
//! # Rule
//! ECS groups only ESSD-family disks (ESSD, ESSD AutoPL, ESSD Entry) and, when the disks are
//! named by instance, only disks attached to that instance. So disks are grouped per instance,
//! ESSD family only, at most [`MAX_GROUP_DISKS`] per group (the smaller of the documented
//! limits); every other disk, and an instance with a single eligible disk, gets a single
//! snapshot. The batches are sorted, so the same disks always give the same batches (and the
//! same client tokens).

use std::collections::BTreeMap;

/// ECS's documented group limit (newer SDK models allow more; the smaller is safe).
pub const MAX_GROUP_DISKS: usize = 16;

const ESSD_FAMILY: [&str; 3] = ["cloud_essd", "cloud_auto", "cloud_essd_entry"];

/// What DescribeDisks says about one disk.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DiskFacts {
    pub disk_id: String,
    /// Empty when the disk is detached.
    pub instance_id: String,
    pub category: String,
}

/// One CreateSnapshotGroup or CreateSnapshot call.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Batch {
    Group {
        instance_id: String,
        disk_ids: Vec<String>,
    },
    Single {
        disk_id: String,
    },
}

/// Splits `disks` into groups and singles (see the module rule). Disks ECS did not describe
/// go in `unknown` and become singles, so ECS itself says what is wrong with them.
pub fn batches(disks: &[DiskFacts], unknown: &[String]) -> Vec<Batch> {
    let mut per_instance: BTreeMap<&str, Vec<&str>> = BTreeMap::new();
    let mut singles: Vec<&str> = unknown.iter().map(String::as_str).collect();
    for disk in disks {
        let groupable =
            !disk.instance_id.is_empty() && ESSD_FAMILY.contains(&disk.category.as_str());
        if groupable {
            per_instance
                .entry(&disk.instance_id)
                .or_default()
                .push(&disk.disk_id);
        } else {
            singles.push(&disk.disk_id);
        }
    }

    let mut out = Vec::new();
    for (instance, mut disk_ids) in per_instance {
        disk_ids.sort_unstable();
        for chunk in disk_ids.chunks(MAX_GROUP_DISKS) {
            if let [only] = chunk {
                singles.push(only);
                continue;
            }
            out.push(Batch::Group {
                instance_id: instance.to_owned(),
                disk_ids: chunk.iter().map(|d| d.to_string()).collect(),
            });
        }
    }
    singles.sort_unstable();
    singles.dedup();
    out.extend(singles.into_iter().map(|d| Batch::Single {
        disk_id: d.to_owned(),
    }));
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn disk(id: &str, instance: &str, category: &str) -> DiskFacts {
        DiskFacts {
            disk_id: id.into(),
            instance_id: instance.into(),
            category: category.into(),
        }
    }

    fn single(id: &str) -> Batch {
        Batch::Single { disk_id: id.into() }
    }

    #[test]
    fn essd_disks_of_one_instance_form_a_group_the_rest_are_single() {
        let disks = [
            disk("d-3", "i-1", "cloud_essd"),
            disk("d-1", "i-1", "cloud_auto"),
            disk("d-2", "i-2", "cloud_essd"),
            disk("d-4", "i-1", "cloud_efficiency"),
            disk("d-5", "", "cloud_essd"),
        ];
        let got = batches(&disks, &["d-9".to_owned()]);
        assert_eq!(
            got,
            vec![
                Batch::Group {
                    instance_id: "i-1".into(),
                    disk_ids: vec!["d-1".into(), "d-3".into()]
                },
                single("d-2"),
                single("d-4"),
                single("d-5"),
                single("d-9"),
            ]
        );
    }

    #[test]
    fn large_instances_are_split_and_order_does_not_matter() {
        let mut disks: Vec<_> = (0..17)
            .map(|i| disk(&format!("d-{i:02}"), "i-1", "cloud_essd"))
            .collect();
        let first = batches(&disks, &[]);
        disks.reverse();
        assert_eq!(batches(&disks, &[]), first);
        assert!(matches!(&first[0], Batch::Group { disk_ids, .. } if disk_ids.len() == 16));
        assert_eq!(first[1], single("d-16"));
    }
}
