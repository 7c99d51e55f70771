//! Names, tags and client tokens of the ECS objects this product creates.
//!
//! # Identity
//! An ECS object belongs to a `VolumeSnapshotPolicy` when its tags carry this cluster's ID
//! ([`TAG_CLUSTER_ID`]) and the policy's uid ([`TAG_POLICY_UID`]). Tags, not names, are the
//! identity: a name is shortened to fit ECS's limits, tags are exact. Looking objects up by these
//! two tags is how a restarted controller finds what it created, and the cluster tag is what keeps
//! two installations in one account out of each other's objects.
//!
//! # Names
//! Names are for people reading the ECS console: `ssm-<cluster>-<policy name>-…`. They follow
//! ECS's rules (2..128 characters, starting with a letter; letters, digits, `:`, `_`, `-`; snapshot
//! names never start with `auto`, which ECS reserves for automatic snapshots).

use crate::{
    DomainError,
    naming_rules::{check_dns_subdomain, check_ecs_id, digest_hex, truncate},
};

/// Tag key holding the cluster ID. Never starts with `aliyun` or `acs:`, which ECS reserves.
pub const TAG_CLUSTER_ID: &str = "storage-snapshot-manager/cluster-id";
/// Tag key holding the `VolumeSnapshotPolicy` uid.
pub const TAG_POLICY_UID: &str = "storage-snapshot-manager/policy-uid";
/// Tag key holding the `VolumeSnapshotPolicy` name (informational; cut to 128 characters).
pub const TAG_POLICY_NAME: &str = "storage-snapshot-manager/policy-name";

const NAME_PREFIX: &str = "ssm";
const ECS_NAME_MAX: usize = 128;
const ECS_TAG_VALUE_MAX: usize = 128;
const CLUSTER_ID_MAX: usize = 40;

/// The installation's cluster ID (an ACK cluster ID such as `c0123…`, or any operator choice).
///
/// 1..=40 lowercase letters, digits or `-`, starting with a letter or digit: it must fit inside
/// ECS names, tag values and Kubernetes label values alike.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct ClusterId(String);

impl ClusterId {
    pub fn new(id: &str) -> Result<Self, DomainError> {
        const RULE: &str = "use 1 to 40 lowercase letters, digits or '-', starting with a letter \
                            or digit";
        let ok = !id.is_empty()
            && id.len() <= CLUSTER_ID_MAX
            && !id.starts_with('-')
            && id
                .bytes()
                .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-');
        ok.then(|| Self(id.to_owned()))
            .ok_or_else(|| DomainError::identifier("cluster ID", id, RULE))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

/// Checks that `id` looks like an ECS disk ID (`d-` and lowercase alphanumerics, at most 48
/// characters), e.g. before trusting a PV's `volumeHandle` as one.
pub fn check_disk_id(id: &str) -> Result<(), DomainError> {
    check_ecs_id("disk ID", id, "d-")
}

/// One ECS tag (`Tag.N.Key` / `Tag.N.Value`).
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct EcsTag {
    pub key: String,
    pub value: String,
}

/// The `VolumeSnapshotPolicy` on whose behalf ECS objects are created, in a given cluster.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct PolicyOwner {
    cluster: ClusterId,
    name: String,
    uid: String,
}

impl PolicyOwner {
    /// `name` and `uid` are the policy's `metadata.name` and `metadata.uid`.
    pub fn new(cluster: ClusterId, name: &str, uid: &str) -> Result<Self, DomainError> {
        check_dns_subdomain("policy name", name)?;
        let uid_ok = !uid.is_empty()
            && uid.len() <= 64
            && uid.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'-');
        if !uid_ok {
            const RULE: &str = "expected a Kubernetes uid: 1 to 64 letters, digits or '-'";
            return Err(DomainError::identifier("policy uid", uid, RULE));
        }
        Ok(Self {
            cluster,
            name: name.to_owned(),
            uid: uid.to_owned(),
        })
    }

    pub fn cluster(&self) -> &ClusterId {
        &self.cluster
    }

    pub fn name(&self) -> &str {
        &self.name
    }

    pub fn uid(&self) -> &str {
        &self.uid
    }

    /// `autoSnapshotPolicyName` for the policy's ECS automatic snapshot policy.
    ///
    /// Ends in a digest of cluster and uid, so a policy deleted and re-created under the same
    /// name gets a different ECS name, and two clusters never share one.
    pub fn ecs_policy_name(&self) -> String {
        let digest = digest_hex(&["policy", self.cluster.as_str(), &self.uid]);
        self.compose(&[&digest[..10]])
    }

    /// Tags for every ECS object created for this policy (policy, snapshots, groups).
    pub fn tags(&self) -> Vec<EcsTag> {
        let tag = |key: &str, value: &str| EcsTag {
            key: key.to_owned(),
            value: truncate(value, ECS_TAG_VALUE_MAX).to_owned(),
        };
        vec![
            tag(TAG_CLUSTER_ID, self.cluster.as_str()),
            tag(TAG_POLICY_UID, &self.uid),
            tag(TAG_POLICY_NAME, &self.name),
        ]
    }

    /// Whether `tags` mark an object as created for this very policy in this cluster.
    pub fn owns(&self, tags: &[EcsTag]) -> bool {
        TaggedOwner::from_tags(tags)
            .is_some_and(|o| o.cluster_id == self.cluster.as_str() && o.policy_uid == self.uid)
    }

    /// `SnapshotName` of the one-off snapshot of `disk_id` for the policy's `generation`.
    pub fn snapshot_name(&self, disk_id: &str, generation: i64) -> Result<String, DomainError> {
        check_ecs_id("disk ID", disk_id, "d-")?;
        Ok(self.compose(&[disk_id, &format!("g{generation}")]))
    }

    /// Name of the one-off snapshot group of the disks on `instance_id` for `generation`.
    pub fn group_name(&self, instance_id: &str, generation: i64) -> Result<String, DomainError> {
        check_ecs_id("instance ID", instance_id, "i-")?;
        Ok(self.compose(&[instance_id, &format!("g{generation}")]))
    }

    /// `ClientToken` of `CreateSnapshot` for `disk_id` at `generation`.
    ///
    /// Deterministic, so a controller killed mid-call and restarted sends the same token and ECS
    /// returns the snapshot it already started instead of taking a second one. 64 ASCII
    /// characters, ECS's maximum.
    pub fn snapshot_client_token(
        &self,
        disk_id: &str,
        generation: i64,
    ) -> Result<String, DomainError> {
        check_ecs_id("disk ID", disk_id, "d-")?;
        let generation = generation.to_string();
        Ok(self.token(&["snapshot", disk_id, &generation]))
    }

    /// `ClientToken` of `CreateSnapshotGroup` for `disk_ids` of `instance_id` at `generation`.
    ///
    /// The order of `disk_ids` does not matter; the set does.
    pub fn group_client_token(
        &self,
        instance_id: &str,
        disk_ids: &[&str],
        generation: i64,
    ) -> Result<String, DomainError> {
        check_ecs_id("instance ID", instance_id, "i-")?;
        let mut disks = disk_ids.to_vec();
        for disk in &disks {
            check_ecs_id("disk ID", disk, "d-")?;
        }
        disks.sort_unstable();
        disks.dedup();

        let generation = generation.to_string();
        let mut parts = vec!["group", instance_id, generation.as_str()];
        parts.extend(disks);
        Ok(self.token(&parts))
    }

    fn token(&self, parts: &[&str]) -> String {
        let mut all = vec![self.cluster.as_str(), self.uid.as_str()];
        all.extend_from_slice(parts);
        format!("{NAME_PREFIX}-{}", &digest_hex(&all)[..60])
    }

    /// `ssm-<cluster>-<policy name>-<suffix…>`, the policy name shortened to fit 128 characters
    /// and its dots turned into `_` (ECS policy names do not allow dots).
    fn compose(&self, suffixes: &[&str]) -> String {
        let head = format!("{NAME_PREFIX}-{}-", self.cluster.as_str());
        let tail = suffixes.join("-");
        let budget = ECS_NAME_MAX.saturating_sub(head.len() + tail.len() + 1);
        let name = self.name.replace('.', "_");
        match truncate(&name, budget).trim_end_matches(['-', '_']) {
            "" => format!("{head}{tail}"),
            short => format!("{head}{short}-{tail}"),
        }
    }
}

/// The owner an ECS object's tags name, if they name one: how a controller tells its own objects
/// from another cluster's and from objects made by hand.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct TaggedOwner {
    pub cluster_id: String,
    pub policy_uid: String,
    /// Possibly shortened; informational only.
    pub policy_name: Option<String>,
}

impl TaggedOwner {
    /// Reads the ownership tags; `None` unless both cluster ID and policy uid are present.
    pub fn from_tags(tags: &[EcsTag]) -> Option<Self> {
        let find = |key: &str| tags.iter().find(|t| t.key == key).map(|t| t.value.clone());
        Some(Self {
            cluster_id: find(TAG_CLUSTER_ID)?,
            policy_uid: find(TAG_POLICY_UID)?,
            policy_name: find(TAG_POLICY_NAME),
        })
    }

    /// Whether the object belongs to `cluster` (to any of its policies).
    pub fn is_in(&self, cluster: &ClusterId) -> bool {
        self.cluster_id == cluster.as_str()
    }
}

#[cfg(test)]
mod tests;
