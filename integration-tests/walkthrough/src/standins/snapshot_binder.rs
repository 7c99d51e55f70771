//! external-snapshotter's part for pre-provisioned contents: a content whose ECS snapshot is
//! `accomplished` gets `readyToUse`, `restoreSize` and `creationTime`, and its `VolumeSnapshot`
//! is bound to it (the content's `volumeSnapshotRef.uid` records the binding). A progressing
//! snapshot gets `readyToUse: false`; a missing one is left alone (the sidecar would report an
//! error and retry).
//!
//! Deletion, for contents with `deletionPolicy: Delete`: once the bound `VolumeSnapshot` is
//! gone the content is deleted (common controller), and a content being deleted gets its ECS
//! snapshot deleted through the ECS OpenAPI (sidecar + CSI `DeleteSnapshot`); a snapshot ECS no
//! longer has counts as deleted. The finalizers that hold the content are other controllers'.

use ecs_client::{EcsClient, actions::DeleteSnapshot};
use ecs_sim::{SnapshotState, StateDump};
use kube::api::{DeleteParams, DynamicObject, ListParams, Patch, PatchParams};
use serde_json::json;

use super::{DISK_DRIVER, all_vs, vs_resource, vsc_resource};
use crate::WalkthroughError;

const GIB: u64 = 1 << 30;

/// One pass over every content of the disk driver.
pub async fn bind_all(
    client: &kube::Client,
    ecs: &EcsClient,
    state: &StateDump,
) -> Result<(), WalkthroughError> {
    let contents: kube::Api<DynamicObject> = kube::Api::all_with(client.clone(), &vsc_resource());
    let snapshots = all_vs(client).list(&ListParams::default()).await?;
    for content in contents.list(&ListParams::default()).await? {
        if content.data["spec"]["driver"] != DISK_DRIVER {
            continue;
        }
        let Some(handle) = content.data["spec"]["source"]["snapshotHandle"].as_str() else {
            continue;
        };
        let snapshot = state.snapshots.iter().find(|s| s.snapshot.id == handle);
        if content.data["spec"]["deletionPolicy"] == "Delete" {
            if content.metadata.deletion_timestamp.is_some() {
                if snapshot.is_some() {
                    delete_cloud_snapshot(ecs, handle).await?;
                }
                continue;
            }
            if snapshot_deleted(&content, &snapshots.items) {
                delete_content(&contents, &content).await?;
                continue;
            }
        }
        let Some(snapshot) = snapshot else {
            continue;
        };
        bind_one(client, &contents, &content, snapshot, &snapshots.items).await?;
    }
    Ok(())
}

/// Whether the content was bound (its reference has a UID) to a `VolumeSnapshot` that no
/// longer exists.
fn snapshot_deleted(content: &DynamicObject, volume_snapshots: &[DynamicObject]) -> bool {
    let reference = &content.data["spec"]["volumeSnapshotRef"];
    let Some(uid) = reference["uid"].as_str() else {
        return false;
    };
    !volume_snapshots
        .iter()
        .any(|vs| vs.metadata.uid.as_deref() == Some(uid))
}

async fn delete_content(
    contents: &kube::Api<DynamicObject>,
    content: &DynamicObject,
) -> Result<(), WalkthroughError> {
    let name = content.metadata.name.clone().unwrap_or_default();
    match contents.delete(&name, &DeleteParams::default()).await {
        Ok(_) => {}
        Err(kube::Error::Api(status)) if status.code == 404 => {}
        Err(e) => return Err(e.into()),
    }
    tracing::info!(
        content = name,
        "content of a deleted VolumeSnapshot deleted"
    );
    Ok(())
}

/// The CSI driver's `DeleteSnapshot`: ECS's "not found" means it is already done.
async fn delete_cloud_snapshot(ecs: &EcsClient, id: &str) -> Result<(), WalkthroughError> {
    match ecs.execute(&DeleteSnapshot::new(id)).await {
        Ok(_) => {}
        Err(e) if e.code().is_some_and(|c| c.contains("NotFound")) => {}
        Err(e) => return Err(e.into()),
    }
    tracing::info!(snapshot = id, "ECS snapshot of a Delete content deleted");
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
    if reference["uid"].is_null() {
        let patch = Patch::Merge(json!({"spec": {"volumeSnapshotRef": {"uid": vs.metadata.uid}}}));
        contents
            .patch(&name, &PatchParams::default(), &patch)
            .await?;
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
