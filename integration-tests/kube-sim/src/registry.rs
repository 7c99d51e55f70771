//! The set of resources currently served: the built-in table plus one descriptor per served
//! version of every established CRD. Rebuilt whenever a CRD changes, so discovery, routing and
//! validation always agree with the stored CRDs.

use std::cmp::Ordering;

use serde_json::Value;

use crate::crd;
use crate::resources::{ResourceDescriptor, ResourceKey, builtin_descriptors};

#[derive(Debug, Clone)]
pub struct Registry {
    descriptors: Vec<ResourceDescriptor>,
}

/// One API group as discovery shows it.
#[derive(Debug, Clone, PartialEq)]
pub struct GroupInfo {
    pub name: String,
    /// Served versions, most preferred first.
    pub versions: Vec<String>,
}

impl Registry {
    /// Built-ins plus whatever the given CRD objects define. CRDs that cannot be turned into a
    /// resource (bad names, no served version) are skipped; their creation was validated.
    pub fn new<'a>(crds: impl Iterator<Item = &'a Value>) -> Self {
        let mut descriptors = builtin_descriptors();
        for crd in crds {
            descriptors.extend(crd::descriptors(crd));
        }
        Self { descriptors }
    }

    pub fn all(&self) -> &[ResourceDescriptor] {
        &self.descriptors
    }

    pub fn find(&self, group: &str, version: &str, plural: &str) -> Option<&ResourceDescriptor> {
        self.descriptors
            .iter()
            .find(|d| d.group == group && d.version == version && d.plural == plural)
    }

    /// The version objects of this resource are stored in.
    pub fn storage(&self, key: &ResourceKey) -> Option<&ResourceDescriptor> {
        let mut versions = self.descriptors.iter().filter(|d| d.group == key.group);
        versions.find(|d| d.plural == key.plural && d.storage)
    }

    pub fn in_group_version(&self, group: &str, version: &str) -> Vec<&ResourceDescriptor> {
        self.descriptors
            .iter()
            .filter(|d| d.group == group && d.version == version)
            .collect()
    }

    /// Groups in first-seen order (the core group excluded), each with its versions sorted the
    /// way kube-apiserver prefers them.
    pub fn groups(&self) -> Vec<GroupInfo> {
        let mut groups: Vec<GroupInfo> = Vec::new();
        for d in self.descriptors.iter().filter(|d| !d.group.is_empty()) {
            match groups.iter_mut().find(|g| g.name == d.group) {
                Some(g) if !g.versions.contains(&d.version) => g.versions.push(d.version.clone()),
                Some(_) => {}
                None => groups.push(GroupInfo {
                    name: d.group.clone(),
                    versions: vec![d.version.clone()],
                }),
            }
        }
        for g in &mut groups {
            g.versions.sort_by(|a, b| compare_versions(b, a));
        }
        groups
    }

    pub fn group(&self, name: &str) -> Option<GroupInfo> {
        self.groups().into_iter().find(|g| g.name == name)
    }
}

/// Kubernetes version priority: GA over beta over alpha, then higher numbers first; anything
/// not shaped like `vN[alpha|betaM]` sorts last, alphabetically.
pub fn compare_versions(a: &str, b: &str) -> Ordering {
    match (parse_version(a), parse_version(b)) {
        (Some(x), Some(y)) => x.cmp(&y),
        (Some(_), None) => Ordering::Greater,
        (None, Some(_)) => Ordering::Less,
        (None, None) => b.cmp(a),
    }
}

/// `(stability, major, minor)` with stability 2 = GA, 1 = beta, 0 = alpha.
fn parse_version(v: &str) -> Option<(u8, u32, u32)> {
    let rest = v.strip_prefix('v')?;
    let digits: String = rest.chars().take_while(|c| c.is_ascii_digit()).collect();
    let major: u32 = digits.parse().ok()?;
    let tail = &rest[digits.len()..];
    if tail.is_empty() {
        return Some((2, major, 0));
    }
    let (stability, num) = if let Some(n) = tail.strip_prefix("beta") {
        (1, n)
    } else if let Some(n) = tail.strip_prefix("alpha") {
        (0, n)
    } else {
        return None;
    };
    Some((stability, major, num.parse().ok()?))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn versions_sort_like_kube_apiserver() {
        let mut v = vec!["v1alpha1", "v1", "v2beta1", "v1beta2", "foo", "v2"];
        v.sort_by(|a, b| compare_versions(b, a));
        assert_eq!(v, vec!["v2", "v1", "v2beta1", "v1beta2", "v1alpha1", "foo"]);
    }
}
