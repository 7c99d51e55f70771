//! The user's walkthrough as steps shared by the scenario tests and `ssm-demo`: kubectl for what
//! a user types, the ECS simulator's admin API for the cloud side and the clock.

use std::path::PathBuf;
use std::time::Duration;

use ecs_sim::{DiskSeed, InstanceSeed, SnapshotState, StateDump};
use kube::api::{DynamicObject, ListParams};
use serde_json::{Value, json};

use crate::process::wait_for;
use crate::{Environment, WalkthroughError, chart};

/// How long a step waits for the controllers to react.
pub const REACTION: Duration = Duration::from_secs(60);

/// The instance the walkthrough's disks are attached to.
pub const INSTANCE: &str = "i-walkthrough";
/// The zone of the instance and its disks.
pub const ZONE: &str = "cn-hangzhou-h";
/// The disk of `fixtures/walkthrough/pv-static-disk.yaml`.
pub const FIXTURE_DISK: &str = "d-uf6walkthrough0001";
/// The disk behind the PVC the scheduled policy selects (`app: nginx1`).
pub const SCHEDULED_DISK: &str = "d-uf6walkthrough0002";
/// Two more disks of `app: nginx` PVCs for the one-off policy.
pub const EXTRA_DISKS: [&str; 2] = ["d-uf6walkthrough0003", "d-uf6walkthrough0004"];

/// A file of `integration-tests/fixtures/walkthrough/`.
pub fn fixture(name: &str) -> PathBuf {
    chart::repo_root()
        .join("integration-tests/fixtures/walkthrough")
        .join(name)
}

/// The cloud side of the walkthrough: one running instance with the four disks.
pub async fn seed_ecs(env: &Environment) -> Result<(), WalkthroughError> {
    let instance = json!({"id": INSTANCE, "zone_id": ZONE});
    env.ecs
        .put_instance(&from_json::<InstanceSeed>(instance)?)
        .await?;
    let mut disks = vec![FIXTURE_DISK, SCHEDULED_DISK];
    disks.extend(EXTRA_DISKS);
    for id in disks {
        let disk = json!({"id": id, "instance_id": INSTANCE, "size_gib": 25});
        env.ecs.put_disk(&from_json::<DiskSeed>(disk)?).await?;
    }
    Ok(())
}

fn from_json<T: serde::de::DeserializeOwned>(value: Value) -> Result<T, WalkthroughError> {
    serde_json::from_value(value).map_err(|err| WalkthroughError::Unexpected {
        from: "seed".to_owned(),
        detail: err.to_string(),
    })
}

/// A static PV for `disk` and a PVC selecting it, labelled `app: APP` (the fixture's shape).
pub fn static_volume_yaml(name: &str, disk: &str, app: &str) -> String {
    format!(
        "apiVersion: v1\nkind: PersistentVolume\nmetadata:\n  name: pv-{name}\n  labels:\n    \
         alicloud-pvname: pv-{name}\nspec:\n  capacity: {{storage: 25Gi}}\n  accessModes: \
         [ReadWriteOnce]\n  persistentVolumeReclaimPolicy: Retain\n  csi:\n    driver: \
         diskplugin.csi.alibabacloud.com\n    volumeHandle: {disk}\n---\napiVersion: v1\nkind: \
         PersistentVolumeClaim\nmetadata:\n  name: {name}\n  namespace: default\n  labels:\n    \
         app: {app}\nspec:\n  accessModes: [ReadWriteOnce]\n  resources:\n    requests: \
         {{storage: 25Gi}}\n  selector:\n    matchLabels:\n      alicloud-pvname: pv-{name}\n"
    )
}

/// A PVC restoring from VolumeSnapshot `snapshot` with a request of `size`.
pub fn restore_pvc_yaml(name: &str, snapshot: &str, size: &str) -> String {
    format!(
        "apiVersion: v1\nkind: PersistentVolumeClaim\nmetadata:\n  name: {name}\n  namespace: \
         default\nspec:\n  accessModes: [ReadWriteOnce]\n  resources:\n    requests: {{storage: \
         {size}}}\n  dataSource:\n    apiGroup: snapshot.storage.k8s.io\n    kind: \
         VolumeSnapshot\n    name: {snapshot}\n"
    )
}

/// A pre-provisioned pair in `default` as a user writes one by hand: VolumeSnapshotContent
/// `NAME` of `driver` for snapshot `handle`, and VolumeSnapshot `NAME` bound to it.
pub fn pre_provisioned_yaml(name: &str, driver: &str, handle: &str) -> String {
    format!(
        "apiVersion: snapshot.storage.k8s.io/v1\nkind: VolumeSnapshotContent\nmetadata:\n  \
         name: {name}\nspec:\n  deletionPolicy: Retain\n  driver: {driver}\n  source:\n    \
         snapshotHandle: {handle}\n  volumeSnapshotRef:\n    name: {name}\n    namespace: \
         default\n---\napiVersion: snapshot.storage.k8s.io/v1\nkind: VolumeSnapshot\nmetadata:\n  \
         name: {name}\n  namespace: default\nspec:\n  source:\n    \
         volumeSnapshotContentName: {name}\n"
    )
}

/// Waits until PVC `default/name` is Bound and returns its PV's name.
pub async fn wait_pvc_bound(env: &Environment, name: &str) -> Result<String, WalkthroughError> {
    let kubectl = env.kubectl.clone();
    wait_for(&format!("PVC {name} Bound"), REACTION, || {
        let kubectl = kubectl.clone();
        async move {
            let pvc = kubectl.get_json(&["pvc", name, "-n", "default"]).ok()?;
            let bound = pvc["status"]["phase"] == "Bound";
            bound.then(|| pvc["spec"]["volumeName"].as_str().map(str::to_owned))?
        }
    })
    .await
}

/// Waits until `check` holds on the ECS state and returns that state.
pub async fn wait_ecs<F>(
    env: &Environment,
    what: &str,
    check: F,
) -> Result<StateDump, WalkthroughError>
where
    F: Fn(&StateDump) -> bool,
{
    let ecs = env.ecs.clone();
    let check = &check;
    wait_for(what, REACTION, || {
        let ecs = ecs.clone();
        async move { ecs.state().await.ok().filter(|s| check(s)) }
    })
    .await
}

/// Every VolumeSnapshot in the cluster.
pub async fn volume_snapshots(env: &Environment) -> Result<Vec<DynamicObject>, WalkthroughError> {
    let api = crate::standins::all_vs(&env.kube);
    Ok(api.list(&ListParams::default()).await?.items)
}

/// Waits until every snapshot ID in `ids` has a ready VolumeSnapshot.
pub async fn wait_ready_snapshots(
    env: &Environment,
    ids: &[String],
) -> Result<(), WalkthroughError> {
    wait_for("ready VolumeSnapshots", REACTION, || async {
        let all = volume_snapshots(env).await.ok()?;
        let ready = |id: &String| {
            all.iter().any(|vs| {
                vs.data["spec"]["source"]["volumeSnapshotContentName"]
                    .as_str()
                    .is_some_and(|c| c.starts_with(id.as_str()))
                    && vs.data["status"]["readyToUse"] == true
            })
        };
        ids.iter().all(ready).then_some(())
    })
    .await
}

/// The snapshots of `disk` in the ECS state.
pub fn snapshots_of<'a>(state: &'a StateDump, disk: &str) -> Vec<&'a SnapshotState> {
    state
        .snapshots
        .iter()
        .filter(|s| s.snapshot.source_disk_id == disk)
        .collect()
}

/// Moves the ECS clock two minutes past the policy's next firing; returns that firing.
pub async fn advance_past_next_firing(
    env: &Environment,
    policy: &ecs_sim::Policy,
) -> Result<jiff::Timestamp, WalkthroughError> {
    let now = env.ecs.now().await?;
    let next = ecs_sim::next_firing(&policy.time_points, &policy.repeat_weekdays, now).ok_or_else(
        || WalkthroughError::Unexpected {
            from: "ECS policy".to_owned(),
            detail: format!("{} never fires", policy.id),
        },
    )?;
    let seconds = (next.as_second() - now.as_second()).max(0) as u64 + 120;
    env.ecs.advance(seconds).await?;
    Ok(next)
}

/// Moves the ECS clock by `seconds` and returns how many events happened.
pub async fn advance(env: &Environment, seconds: u64) -> Result<usize, WalkthroughError> {
    Ok(env.ecs.advance(seconds).await?.events.len())
}

/// The final table: policies (cluster and ECS) and snapshots (ECS and cluster).
pub async fn summary_table(env: &Environment) -> Result<String, WalkthroughError> {
    let state = env.ecs.state().await?;
    let mut out = String::from("ECS automatic snapshot policies\n");
    // Policy names carry the cluster ID and the VSP's name, so the column fits the longest.
    let width = state
        .policies
        .iter()
        .map(|p| p.name.len())
        .max()
        .unwrap_or(0)
        .max(4);
    out += &format!(
        "  {:<26} {:<width$} {:<14} {:<12} {}\n",
        "ID", "NAME", "HOURS(UTC+8)", "WEEKDAYS", "KEEP"
    );
    for p in &state.policies {
        out += &format!(
            "  {:<26} {:<width$} {:<14} {:<12} {}\n",
            p.id,
            p.name,
            join(&p.time_points),
            join(&p.repeat_weekdays),
            p.retention_days
        );
    }
    out += "\nSnapshots (ECS) and their VolumeSnapshots (cluster)\n";
    let vss = volume_snapshots(env).await?;
    out += &format!(
        "  {:<24} {:<22} {:<13} {}\n",
        "SNAPSHOT", "DISK", "STATUS", "VOLUMESNAPSHOTS"
    );
    for s in &state.snapshots {
        let copies: Vec<String> = vss
            .iter()
            .filter(|vs| vs.metadata.name.as_deref() == Some(s.snapshot.id.as_str()))
            .map(|vs| {
                let ready = vs.data["status"]["readyToUse"] == true;
                let ns = vs.metadata.namespace.clone().unwrap_or_default();
                format!("{ns}/{} ready={ready}", s.snapshot.id)
            })
            .collect();
        out += &format!(
            "  {:<24} {:<22} {:<13} {}\n",
            s.snapshot.id,
            s.snapshot.source_disk_id,
            s.status,
            copies.join(", ")
        );
    }
    Ok(out)
}

fn join(values: &[u8]) -> String {
    values
        .iter()
        .map(u8::to_string)
        .collect::<Vec<_>>()
        .join(",")
}
