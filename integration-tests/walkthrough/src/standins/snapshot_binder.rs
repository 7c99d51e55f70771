//! external-snapshotter's part for pre-provisioned contents: a content whose ECS snapshot is
//! `accomplished` gets `readyToUse`, `restoreSize` and `creationTime`, and its `VolumeSnapshot`
//! is bound to it. A progressing snapshot gets `readyToUse: false`; a missing one is left
//! alone (the sidecar would report an error and retry).

use ecs_sim::{SnapshotState, StateDump};
use kube::api::{DynamicObject, ListParams, Patch, PatchParams};
use serde_json::json;

use super::{DISK_DRIVER, all_vs, vs_resource, vsc_resource};
use crate::WalkthroughError;

const GIB: u64 = 1 << 30;

/// One pass over every content of the disk driver.
pub async fn bind_all(client: &kube::Client, state: &StateDump) -> Result<(), WalkthroughError> {
    let contents: kube::Api<DynamicObject> = kube::Api::all_with(client.clone(), &vsc_resource());
    let snapshots = all_vs(client).list(&ListParams::default()).await?;
    for content in contents.list(&ListParams::default()).await? {
        if content.data["spec"]["driver"] != DISK_DRIVER {
            continue;
        }
        let Some(handle) = content.data["spec"]["source"]["snapshotHandle"].as_str() else {
            continue;
        };
        let Some(snapshot) = state.snapshots.iter().find(|s| s.snapshot.id == handle) else {
            continue;
        };
        bind_one(client, &contents, &content, snapshot, &snapshots.items).await?;
    }
    Ok(())
}

async fn bind_one(
    client: &kube::Client,
    contents: &kube::Api<DynamicObject>,
    content: &DynamicObject,
    snapshot: &SnapshotState,
    volume_snapshots: &[DynamicObject],
) -> Result<(), WalkthroughError> {
    let name = content.metadata.name.clone().unwrap_or_default();
    let ready = snapshot.status == "accomplished";
    let size = snapshot.snapshot.source_disk_size_gib * GIB;
    let created = snapshot.snapshot.creation_time;
    let content_status = json!({
        "snapshotHandle": snapshot.snapshot.id,
        "readyToUse": ready,
        "restoreSize": size,
        "creationTime": created.as_nanosecond() as i64,
    });
    if content.data["status"] != content_status {
        let patch = Patch::Merge(json!({"status": content_status}));
        contents
            .patch_status(&name, &PatchParams::default(), &patch)
            .await?;
        tracing::info!(content = name, ready, "content status set");
    }

    let reference = &content.data["spec"]["volumeSnapshotRef"];
    let (Some(ns), Some(vs_name)) = (reference["namespace"].as_str(), reference["name"].as_str())
    else {
        return Ok(());
    };
    let Some(vs) = volume_snapshots.iter().find(|vs| {
        vs.metadata.namespace.as_deref() == Some(ns) && vs.metadata.name.as_deref() == Some(vs_name)
    }) else {
        return Ok(());
    };
    if vs.data["spec"]["source"]["volumeSnapshotContentName"].as_str() != Some(name.as_str()) {
        return Ok(());
    }
    let vs_status = json!({
        "boundVolumeSnapshotContentName": name,
        "readyToUse": ready,
        "restoreSize": format!("{}Gi", snapshot.snapshot.source_disk_size_gib),
        "creationTime": created.to_string(),
    });
    if vs.data["status"] != vs_status {
        let api: kube::Api<DynamicObject> =
            kube::Api::namespaced_with(client.clone(), ns, &vs_resource());
        let patch = Patch::Merge(json!({"status": vs_status}));
        api.patch_status(vs_name, &PatchParams::default(), &patch)
            .await?;
        tracing::info!(
            namespace = ns,
            name = vs_name,
            ready,
            "VolumeSnapshot status set"
        );
    }
    Ok(())
}
