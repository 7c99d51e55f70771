//! The simulated account's state and the virtual clock it lives on.
//!
//! Every mutation goes through `&mut World` under one lock held by the server, so an ECS call,
//! an admin call and a clock advance never interleave. Rules shared by several actions (taking
//! and releasing snapshots) live here; action-specific rules live in `actions`.

use std::collections::{BTreeMap, HashMap};

use jiff::{SignedDuration, Timestamp};
use serde::Serialize;

use crate::api_error::ApiError;
use crate::config::{AccountSettings, Quotas, SimConfig, Timing};
use crate::error::Error;
use crate::model::{
    Disk, DiskSeed, Instance, InstanceSeed, InstanceStatus, Policy, Snapshot, SnapshotGroup,
    SnapshotKind, Tags,
};

/// Settings that handlers consult on every call and the admin API can replace.
#[derive(Debug, Clone, Serialize, PartialEq)]
pub struct WorldSettings {
    pub regions: Vec<String>,
    pub account: AccountSettings,
    pub quotas: Quotas,
    pub timing: Timing,
}

/// What a new snapshot is made from; the caller has already checked the rules.
pub struct SnapshotSpec {
    pub name: String,
    pub description: String,
    pub kind: SnapshotKind,
    pub retention_days: Option<i64>,
    pub tags: Tags,
    pub group_id: Option<String>,
    pub resource_group_id: String,
}

#[derive(Debug)]
pub struct World {
    pub now: Timestamp,
    pub settings: WorldSettings,
    pub instances: BTreeMap<String, Instance>,
    pub disks: BTreeMap<String, Disk>,
    pub policies: BTreeMap<String, Policy>,
    pub snapshots: BTreeMap<String, Snapshot>,
    pub groups: BTreeMap<String, SnapshotGroup>,
    /// (action, ClientToken) → resource ID, for idempotent creates.
    pub client_tokens: HashMap<(&'static str, String), String>,
    next_id: u64,
}

impl World {
    pub fn new(config: &SimConfig) -> Result<Self, Error> {
        let mut world = Self {
            now: config.timing.clock_start.unwrap_or_else(Timestamp::now),
            settings: WorldSettings {
                regions: config.regions.clone(),
                account: config.account.clone(),
                quotas: config.quotas.clone(),
                timing: config.timing.clone(),
            },
            instances: BTreeMap::new(),
            disks: BTreeMap::new(),
            policies: BTreeMap::new(),
            snapshots: BTreeMap::new(),
            groups: BTreeMap::new(),
            client_tokens: HashMap::new(),
            next_id: 1,
        };
        for seed in &config.instances {
            world.put_instance(seed.clone())?;
        }
        for seed in &config.disks {
            world.put_disk(seed.clone())?;
        }
        Ok(world)
    }

    /// A fresh ECS-looking ID such as `s-sim00000000000007`; sequential so runs are repeatable.
    pub fn new_id(&mut self, prefix: &str) -> String {
        let id = format!("{prefix}-sim{:014}", self.next_id);
        self.next_id += 1;
        id
    }

    pub fn default_region(&self) -> &str {
        &self.settings.regions[0]
    }

    /// Checks a region ID against the configured regions.
    pub fn check_region(&self, region: &str) -> Result<(), ApiError> {
        if self.settings.regions.iter().any(|r| r == region) {
            Ok(())
        } else {
            Err(ApiError::region_not_found(region))
        }
    }

    /// Creates or replaces an instance (admin seeding).
    pub fn put_instance(&mut self, seed: InstanceSeed) -> Result<(), Error> {
        let region_id = self.seed_region(seed.region_id.as_deref(), "instance.region_id")?;
        if seed.id.is_empty() || seed.zone_id.is_empty() {
            return Err(Error::setting(
                "instance",
                "id and zone_id must be non-empty",
            ));
        }
        let instance = Instance {
            id: seed.id.clone(),
            region_id,
            zone_id: seed.zone_id,
            status: seed.status,
            tags: seed.tags,
        };
        self.instances.insert(seed.id, instance);
        Ok(())
    }

    pub fn set_instance_status(&mut self, id: &str, status: InstanceStatus) -> Result<(), Error> {
        let instance = self
            .instances
            .get_mut(id)
            .ok_or_else(|| Error::setting("instance", format!("no instance {id}")))?;
        instance.status = status;
        Ok(())
    }

    /// Creates or replaces a disk (admin seeding); keeps the policies of a replaced disk.
    pub fn put_disk(&mut self, seed: DiskSeed) -> Result<(), Error> {
        let region_id = self.seed_region(seed.region_id.as_deref(), "disk.region_id")?;
        let instance = match &seed.instance_id {
            Some(id) => Some(self.instances.get(id).ok_or_else(|| {
                Error::setting(
                    "disk.instance_id",
                    format!("no instance {id}; seed it first"),
                )
            })?),
            None => None,
        };
        let zone_id = seed
            .zone_id
            .clone()
            .or_else(|| instance.map(|i| i.zone_id.clone()))
            .ok_or_else(|| Error::setting("disk.zone_id", "required for a detached disk"))?;
        if seed.id.is_empty() || !matches!(seed.disk_type.as_str(), "system" | "data") {
            return Err(Error::setting(
                "disk",
                "id must be non-empty, disk_type system|data",
            ));
        }

        let policy_ids = self
            .disks
            .get(&seed.id)
            .map(|d| d.policy_ids.clone())
            .unwrap_or_default();
        let disk = Disk {
            id: seed.id.clone(),
            region_id,
            zone_id,
            name: seed.name,
            category: seed.category,
            size_gib: seed.size_gib,
            disk_type: seed.disk_type,
            attached_before: seed.attached_before || seed.instance_id.is_some(),
            instance_id: seed.instance_id,
            multi_attach: seed.multi_attach,
            policy_ids,
            tags: seed.tags,
            creation_time: self.now,
        };
        self.disks.insert(seed.id, disk);
        Ok(())
    }

    fn seed_region(&self, region: Option<&str>, field: &str) -> Result<String, Error> {
        let region = region.unwrap_or(self.default_region()).to_owned();
        if !self.settings.regions.contains(&region) {
            return Err(Error::setting(
                field,
                format!("{region} is not a configured region"),
            ));
        }
        Ok(region)
    }

    pub fn disk(&self, region: &str, id: &str) -> Result<&Disk, ApiError> {
        self.disks
            .get(id)
            .filter(|d| d.region_id == region)
            .ok_or_else(|| ApiError::disk_not_found(id))
    }

    /// Whether a snapshot of this disk is still being created.
    pub fn disk_busy(&self, disk_id: &str) -> bool {
        self.snapshots
            .values()
            .any(|s| s.source_disk_id == disk_id && s.is_progressing(self.now))
    }

    /// The ECS rules every snapshot of a disk must pass (manual, group and automatic).
    pub fn check_snapshottable(&self, disk: &Disk) -> Result<(), ApiError> {
        if !disk.supports_snapshots() {
            let message = format!(
                "The disk category {} does not support snapshots.",
                disk.category
            );
            return Err(ApiError::new(
                400,
                "DiskCategory.OperationNotSupported",
                message,
            ));
        }
        if disk.instance_id.is_none() && !disk.attached_before {
            let message = format!(
                "The disk {} has never been attached to an instance.",
                disk.id
            );
            return Err(ApiError::new(403, "IncorrectDiskStatus", message));
        }
        let instance = disk
            .instance_id
            .as_ref()
            .and_then(|i| self.instances.get(i));
        if let Some(instance) = instance
            && !matches!(
                instance.status,
                InstanceStatus::Running | InstanceStatus::Stopped
            )
        {
            let message = format!(
                "The instance {} is {:?}; snapshots need it Running or Stopped.",
                instance.id, instance.status
            );
            return Err(ApiError::new(403, "IncorrectInstanceStatus", message));
        }
        if self.disk_busy(&disk.id) {
            return Err(ApiError::creating_snapshot(&disk.id));
        }
        Ok(())
    }

    /// Adds a `progressing` snapshot of `disk_id` and returns its ID.
    pub fn take_snapshot(&mut self, disk_id: &str, spec: SnapshotSpec) -> String {
        let id = self.new_id("s");
        let disk = &self.disks[disk_id];
        let completion = SignedDuration::from_secs(
            self.settings
                .timing
                .snapshot_completion_seconds
                .min(i64::MAX as u64) as i64,
        );
        let snapshot = Snapshot {
            id: id.clone(),
            region_id: disk.region_id.clone(),
            name: spec.name,
            description: spec.description,
            source_disk_id: disk.id.clone(),
            source_disk_size_gib: disk.size_gib,
            source_disk_type: disk.disk_type.clone(),
            source_disk_category: disk.category.clone(),
            instance_id: disk.instance_id.clone(),
            kind: spec.kind,
            creation_time: self.now,
            completes_at: self.now.saturating_add(completion).unwrap_or(self.now),
            retention_days: spec.retention_days,
            tags: spec.tags,
            group_id: spec.group_id,
            resource_group_id: spec.resource_group_id,
        };
        self.snapshots.insert(id.clone(), snapshot);
        id
    }

    /// Removes a snapshot and its membership in a group; an emptied group goes too.
    pub fn release_snapshot(&mut self, id: &str) -> Option<Snapshot> {
        let snapshot = self.snapshots.remove(id)?;
        let group_id = snapshot.group_id.as_ref();
        if let Some(group) = group_id.and_then(|g| self.groups.get_mut(g)) {
            group.snapshot_ids.retain(|s| s != id);
            if group.snapshot_ids.is_empty() {
                let group_id = group.id.clone();
                self.groups.remove(&group_id);
            }
        }
        Some(snapshot)
    }

    /// Snapshots of one disk and kind, oldest first.
    pub fn disk_snapshots(&self, disk_id: &str, kind: SnapshotKind) -> Vec<&Snapshot> {
        let mut list: Vec<&Snapshot> = self
            .snapshots
            .values()
            .filter(|s| s.source_disk_id == disk_id && s.kind == kind)
            .collect();
        list.sort_by(|a, b| (a.creation_time, &a.id).cmp(&(b.creation_time, &b.id)));
        list
    }
}
