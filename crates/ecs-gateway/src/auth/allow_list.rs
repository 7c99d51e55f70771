//! The allow-list file: which caller identity may call which RPCs, and with what fairness
//! weight.
//!
//! ```yaml
//! callers:
//!   - identity: system:serviceaccount:kube-system:policy-listener   # TokenReview user name
//!     rpcs: [CreateAutoSnapshotPolicy, ModifyAutoSnapshotPolicy, DescribeAutoSnapshotPolicies]
//!     weight: 2                                                      # optional, default 1
//!   - identity: snapshot-reconciler.kube-system.svc                  # certificate SAN or CN
//!     rpcs: ["*"]                                                    # every RPC
//! ```
//!
//! Unknown keys, unknown RPC names, duplicate identities and weights outside 1..=100 are
//! errors that name the file and the entry, so a typo cannot silently lock a caller out.

use std::collections::{HashMap, HashSet};
use std::path::Path;

use serde::Deserialize;

use crate::Error;

/// Every RPC of the service, as named in the allow-list and in metrics.
pub const RPC_NAMES: &[&str] = &[
    "CreateAutoSnapshotPolicy",
    "ModifyAutoSnapshotPolicy",
    "DeleteAutoSnapshotPolicy",
    "DescribeAutoSnapshotPolicies",
    "ApplyAutoSnapshotPolicy",
    "CancelAutoSnapshotPolicy",
    "DescribeAutoSnapshotPolicyAssociations",
    "CreateSnapshot",
    "CreateSnapshotGroup",
    "DescribeSnapshots",
    "StreamSnapshots",
    "DeleteSnapshot",
    "DescribeSnapshotGroups",
    "DescribeDisks",
    "TagResources",
    "ListTagResources",
];

/// Largest fairness weight; keeps one caller from being configured into a monopoly by typo.
pub const MAX_WEIGHT: u32 = 100;

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct File {
    callers: Vec<Entry>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct Entry {
    identity: String,
    rpcs: Vec<String>,
    #[serde(default = "default_weight")]
    weight: u32,
}

fn default_weight() -> u32 {
    1
}

/// What one caller may do.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Grant {
    /// RPC names the caller may use.
    pub rpcs: HashSet<&'static str>,
    /// Fairness weight, 1..=[`MAX_WEIGHT`].
    pub weight: u32,
}

/// The parsed allow-list.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct AllowList {
    grants: HashMap<String, Grant>,
}

impl AllowList {
    /// Reads and checks an allow-list file.
    pub fn from_file(path: &Path) -> Result<Self, Error> {
        let text = std::fs::read_to_string(path).map_err(|source| Error::ReadFile {
            what: "allow-list",
            path: path.to_path_buf(),
            source,
        })?;
        Self::parse(&text).map_err(|reason| Error::AllowList {
            path: path.to_path_buf(),
            reason,
        })
    }

    /// Parses allow-list YAML; the error says which entry is wrong and why.
    pub fn parse(text: &str) -> Result<Self, String> {
        let file: File = serde_saphyr::from_str(text).map_err(|err| err.to_string())?;
        let mut grants = HashMap::new();

        for (index, entry) in file.callers.into_iter().enumerate() {
            let at = format!("callers[{index}] ({:?})", entry.identity);
            if entry.identity.trim().is_empty() {
                return Err(format!("callers[{index}]: identity must not be empty"));
            }
            if !(1..=MAX_WEIGHT).contains(&entry.weight) {
                return Err(format!(
                    "{at}: weight {} is not in 1..={MAX_WEIGHT}",
                    entry.weight
                ));
            }

            let rpcs = resolve_rpcs(&entry.rpcs).map_err(|reason| format!("{at}: {reason}"))?;
            let grant = Grant {
                rpcs,
                weight: entry.weight,
            };
            if grants.insert(entry.identity.clone(), grant).is_some() {
                return Err(format!("{at}: identity is listed twice"));
            }
        }
        Ok(Self { grants })
    }

    /// A list that lets `identity` call everything with weight 1 (insecure development mode).
    pub fn allow_all(identity: &str) -> Self {
        let grant = Grant {
            rpcs: RPC_NAMES.iter().copied().collect(),
            weight: 1,
        };
        Self {
            grants: HashMap::from([(identity.to_string(), grant)]),
        }
    }

    /// The grant of `identity`, if listed.
    pub fn grant(&self, identity: &str) -> Option<&Grant> {
        self.grants.get(identity)
    }

    /// Number of listed callers.
    pub fn len(&self) -> usize {
        self.grants.len()
    }

    /// Whether no caller is listed.
    pub fn is_empty(&self) -> bool {
        self.grants.is_empty()
    }
}

fn resolve_rpcs(names: &[String]) -> Result<HashSet<&'static str>, String> {
    if names.is_empty() {
        return Err("rpcs must list at least one RPC (or \"*\")".into());
    }

    let mut rpcs = HashSet::new();
    for name in names {
        if name == "*" {
            rpcs.extend(RPC_NAMES.iter().copied());
            continue;
        }
        let known = RPC_NAMES
            .iter()
            .find(|rpc| **rpc == name.as_str())
            .ok_or_else(|| {
                format!(
                    "unknown RPC {name:?}; known RPCs are {}",
                    RPC_NAMES.join(", ")
                )
            })?;
        rpcs.insert(*known);
    }
    Ok(rpcs)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_grants_with_default_weight_and_wildcard() {
        let list = AllowList::parse(
            "callers:\n\
             - identity: system:serviceaccount:kube-system:policy-listener\n  \
               rpcs: [CreateAutoSnapshotPolicy, DescribeAutoSnapshotPolicies]\n\
             - identity: reconciler\n  rpcs: ['*']\n  weight: 3\n",
        )
        .unwrap();

        let listener = list
            .grant("system:serviceaccount:kube-system:policy-listener")
            .unwrap();
        assert_eq!(listener.weight, 1);
        assert!(listener.rpcs.contains("CreateAutoSnapshotPolicy"));
        assert!(!listener.rpcs.contains("DeleteSnapshot"));
        assert_eq!(
            list.grant("reconciler").unwrap().rpcs.len(),
            RPC_NAMES.len()
        );
        assert_eq!(list.grant("someone-else"), None);
    }

    #[test]
    fn errors_name_the_entry_and_the_problem() {
        let typo = AllowList::parse("callers:\n- identity: a\n  rpcs: [CreateSnapshots]\n");
        let weight = AllowList::parse("callers:\n- identity: a\n  rpcs: ['*']\n  weight: 0\n");
        let twice = AllowList::parse(
            "callers:\n- identity: a\n  rpcs: ['*']\n- identity: a\n  rpcs: ['*']\n",
        );
        let unknown_key = AllowList::parse("callers:\n- identity: a\n  rpc: ['*']\n");

        assert!(
            typo.unwrap_err()
                .contains("callers[0] (\"a\"): unknown RPC \"CreateSnapshots\"")
        );
        assert!(weight.unwrap_err().contains("weight 0"));
        assert!(twice.unwrap_err().contains("callers[1]"));
        assert!(unknown_key.unwrap_err().contains("rpc"));
    }
}
