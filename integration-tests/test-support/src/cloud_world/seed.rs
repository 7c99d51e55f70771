//! What ecs-sim holds at start: the region, one instance and its disks.

use ecs_sim::{DiskSeed, InstanceSeed, InstanceStatus, SimConfig};
use serde_json::json;

/// The region every world runs in (ecs-sim's default region).
pub const REGION: &str = "cn-hangzhou";
/// The zone of every seeded instance and disk.
pub const ZONE: &str = "cn-hangzhou-h";
/// The running instance of [`standard`].
pub const INSTANCE: &str = "i-test1";
/// The ESSD data disks attached to [`INSTANCE`] in [`standard`].
pub const DISKS: [&str; 3] = ["d-test1", "d-test2", "d-test3"];

/// The standard world: [`INSTANCE`] running with the three [`DISKS`] attached.
pub fn standard() -> SimConfig {
    instance_with(INSTANCE, &DISKS)
}

/// One running instance `instance` in [`ZONE`] with `disks` attached (ESSD, 40 GiB, data).
pub fn instance_with(instance: &str, disks: &[&str]) -> SimConfig {
    let mut config = SimConfig::default();
    config.instances.push(InstanceSeed {
        id: instance.into(),
        region_id: None,
        zone_id: ZONE.into(),
        status: InstanceStatus::Running,
        tags: Default::default(),
    });
    for id in disks {
        config.disks.push(disk(
            json!({"id": id, "instance_id": instance, "zone_id": ZONE}),
        ));
    }
    config
}

/// No instance; `disks` exist detached (`Available`, ever attached) in [`ZONE`].
pub fn detached<S: AsRef<str>>(disks: &[S]) -> SimConfig {
    let mut config = SimConfig::default();
    for id in disks {
        let id = id.as_ref();
        config.disks.push(disk(json!({"id": id, "zone_id": ZONE})));
    }
    config
}

/// A disk seed from its JSON form, so ecs-sim's field defaults apply.
fn disk(seed: serde_json::Value) -> DiskSeed {
    serde_json::from_value(seed.clone()).unwrap_or_else(|e| panic!("disk seed {seed}: {e}"))
}
