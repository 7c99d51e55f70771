//! The CSI external-provisioner with the disk driver, for restores only: a pending PVC whose
//! `dataSource` is a `VolumeSnapshot` gets a new disk in ECS and a PV bound to it, unless the
//! real provisioner would refuse. Refusals are Warning Events (`ProvisioningFailed`) on the PVC,
//! once per distinct message, and the PVC stays `Pending`.

use std::collections::BTreeMap;

use ecs_sim::{DiskSeed, StateDump};
use k8s_openapi::api::core::v1::{Event, ObjectReference, PersistentVolume, PersistentVolumeClaim};
use k8s_openapi::apimachinery::pkg::apis::meta::v1::ObjectMeta;
use kube::api::{DynamicObject, ListParams, Patch, PatchParams, PostParams};
use serde_json::json;

use super::{Cluster, DISK_DRIVER, vs_resource};
use crate::WalkthroughError;

const GIB: u64 = 1 << 30;

/// Remembers the last Event per PVC so a refusal is reported once, not every pass.
#[derive(Default)]
pub struct Provisioner {
    reported: BTreeMap<String, String>,
}

/// Why a restore cannot proceed (the Event message).
type Refusal = String;

impl Provisioner {
    /// One pass over every pending PVC restoring from a snapshot.
    pub async fn provision_all(
        &mut self,
        cluster: &Cluster,
        state: &StateDump,
    ) -> Result<(), WalkthroughError> {
        let pvcs: kube::Api<PersistentVolumeClaim> = kube::Api::all(cluster.kube.clone());
        for pvc in pvcs.list(&ListParams::default()).await? {
            let spec = pvc.spec.clone().unwrap_or_default();
            let restoring = spec
                .data_source
                .as_ref()
                .is_some_and(|s| s.kind == "VolumeSnapshot");
            if !restoring || spec.volume_name.is_some() {
                continue;
            }
            match check(cluster, &pvc).await? {
                Ok(size_gib) => provision(cluster, state, &pvc, size_gib).await?,
                Err(refusal) => self.refuse(cluster, &pvc, refusal).await?,
            }
        }
        Ok(())
    }

    async fn refuse(
        &mut self,
        cluster: &Cluster,
        pvc: &PersistentVolumeClaim,
        message: Refusal,
    ) -> Result<(), WalkthroughError> {
        let key = format!(
            "{}/{}",
            namespace(pvc),
            pvc.metadata.name.clone().unwrap_or_default()
        );
        if self.reported.get(&key) == Some(&message) {
            return Ok(());
        }
        tracing::warn!(pvc = key, message, "restore refused");
        record_event(cluster, pvc, "Warning", "ProvisioningFailed", &message).await?;
        self.reported.insert(key, message);
        Ok(())
    }
}

fn namespace(pvc: &PersistentVolumeClaim) -> String {
    pvc.metadata
        .namespace
        .clone()
        .unwrap_or_else(|| "default".to_owned())
}

/// The provisioner's checks; `Ok(Ok(size))` is the disk size to create, in GiB.
async fn check(
    cluster: &Cluster,
    pvc: &PersistentVolumeClaim,
) -> Result<Result<u64, Refusal>, WalkthroughError> {
    let ns = namespace(pvc);
    let source = pvc
        .spec
        .as_ref()
        .and_then(|s| s.data_source.clone())
        .unwrap_or_default();
    let api: kube::Api<DynamicObject> =
        kube::Api::namespaced_with(cluster.kube.clone(), &ns, &vs_resource());
    let Some(vs) = api.get_opt(&source.name).await? else {
        return Ok(Err(format!(
            "VolumeSnapshot {ns}/{} not found",
            source.name
        )));
    };
    if vs.data["status"]["readyToUse"] != true {
        return Ok(Err(format!(
            "VolumeSnapshot {ns}/{} is not ready to use",
            source.name
        )));
    }

    let content_name = vs.data["status"]["boundVolumeSnapshotContentName"].as_str();
    let contents: kube::Api<DynamicObject> =
        kube::Api::all_with(cluster.kube.clone(), &super::vsc_resource());
    let content = match content_name {
        Some(name) => contents.get_opt(name).await?,
        None => None,
    };
    let Some(content) = content else {
        return Ok(Err(format!(
            "VolumeSnapshot {ns}/{} is not bound",
            source.name
        )));
    };
    let driver = content.data["spec"]["driver"].as_str().unwrap_or_default();
    if driver != DISK_DRIVER {
        let msg = format!("snapshot's driver {driver} is not {DISK_DRIVER}, which provisions");
        return Ok(Err(msg));
    }

    let restore = content.data["status"]["restoreSize"].as_u64().unwrap_or(0);
    let requested = requested_bytes(pvc);
    if requested < restore {
        return Ok(Err(format!(
            "requested volume size {requested} is less than the size {restore} of the snapshot"
        )));
    }
    Ok(Ok(requested.div_ceil(GIB)))
}

/// The storage request in bytes (`Gi`, `Mi`, `G`, plain); unparseable counts as 0.
fn requested_bytes(pvc: &PersistentVolumeClaim) -> u64 {
    let requests = pvc
        .spec
        .as_ref()
        .and_then(|s| s.resources.as_ref()?.requests.clone());
    let text = requests
        .and_then(|r| r.get("storage").map(|q| q.0.clone()))
        .unwrap_or_default();
    let units = [
        ("Ti", 1u64 << 40),
        ("Gi", GIB),
        ("Mi", 1 << 20),
        ("G", 1_000_000_000),
    ];
    for (suffix, factor) in units {
        if let Some(number) = text.strip_suffix(suffix) {
            return number.parse::<u64>().map(|n| n * factor).unwrap_or(0);
        }
    }
    text.parse().unwrap_or(0)
}

async fn provision(
    cluster: &Cluster,
    state: &StateDump,
    pvc: &PersistentVolumeClaim,
    size_gib: u64,
) -> Result<(), WalkthroughError> {
    let uid = pvc.metadata.uid.clone().unwrap_or_default();
    let disk_id = format!("d-restore{}", &uid.replace('-', "")[..12.min(uid.len())]);
    let zone = state
        .disks
        .first()
        .map(|d| d.zone_id.clone())
        .unwrap_or_default();
    let seed = serde_json::from_value::<DiskSeed>(json!({
        "id": disk_id, "zone_id": zone, "size_gib": size_gib, "attached_before": false,
    }))
    .map_err(|err| WalkthroughError::Unexpected {
        from: "disk seed".into(),
        detail: err.to_string(),
    })?;
    cluster.ecs.put_disk(&seed).await?;

    let pv_name = format!("pvc-{uid}");
    create_pv(cluster, pvc, &pv_name, &disk_id, size_gib).await?;
    bind_pvc(cluster, pvc, &pv_name, size_gib).await?;
    let message = format!("Successfully provisioned volume {pv_name} (disk {disk_id})");
    tracing::info!(pvc = pvc.metadata.name.as_deref(), disk_id, "restored");
    record_event(cluster, pvc, "Normal", "ProvisioningSucceeded", &message).await
}

async fn create_pv(
    cluster: &Cluster,
    pvc: &PersistentVolumeClaim,
    pv_name: &str,
    disk_id: &str,
    size_gib: u64,
) -> Result<(), WalkthroughError> {
    let pv: PersistentVolume = serde_json::from_value(json!({
        "metadata": {"name": pv_name},
        "spec": {
            "capacity": {"storage": format!("{size_gib}Gi")},
            "accessModes": pvc.spec.as_ref().and_then(|s| s.access_modes.clone()),
            "persistentVolumeReclaimPolicy": "Delete",
            "csi": {"driver": DISK_DRIVER, "volumeHandle": disk_id},
            "claimRef": {
                "kind": "PersistentVolumeClaim", "namespace": namespace(pvc),
                "name": pvc.metadata.name, "uid": pvc.metadata.uid,
            },
        },
    }))
    .map_err(|err| WalkthroughError::Unexpected {
        from: "PV".into(),
        detail: err.to_string(),
    })?;
    let api: kube::Api<PersistentVolume> = kube::Api::all(cluster.kube.clone());
    if api.get_opt(pv_name).await?.is_none() {
        api.create(&PostParams::default(), &pv).await?;
    }
    let status = Patch::Merge(json!({"status": {"phase": "Bound"}}));
    api.patch_status(pv_name, &PatchParams::default(), &status)
        .await?;
    Ok(())
}

async fn bind_pvc(
    cluster: &Cluster,
    pvc: &PersistentVolumeClaim,
    pv_name: &str,
    size_gib: u64,
) -> Result<(), WalkthroughError> {
    let name = pvc.metadata.name.clone().unwrap_or_default();
    let api: kube::Api<PersistentVolumeClaim> =
        kube::Api::namespaced(cluster.kube.clone(), &namespace(pvc));
    let spec = Patch::Merge(json!({"spec": {"volumeName": pv_name}}));
    api.patch(&name, &PatchParams::default(), &spec).await?;
    let status = Patch::Merge(json!({"status": {
        "phase": "Bound",
        "capacity": {"storage": format!("{size_gib}Gi")},
        "accessModes": pvc.spec.as_ref().and_then(|s| s.access_modes.clone()),
    }}));
    api.patch_status(&name, &PatchParams::default(), &status)
        .await?;
    Ok(())
}

async fn record_event(
    cluster: &Cluster,
    pvc: &PersistentVolumeClaim,
    kind: &str,
    reason: &str,
    message: &str,
) -> Result<(), WalkthroughError> {
    let ns = namespace(pvc);
    let now = k8s_openapi::apimachinery::pkg::apis::meta::v1::Time(jiff::Timestamp::now());
    let event = Event {
        metadata: ObjectMeta {
            generate_name: Some(format!(
                "{}.",
                pvc.metadata.name.clone().unwrap_or_default()
            )),
            namespace: Some(ns.clone()),
            ..ObjectMeta::default()
        },
        involved_object: ObjectReference {
            kind: Some("PersistentVolumeClaim".into()),
            namespace: Some(ns.clone()),
            name: pvc.metadata.name.clone(),
            uid: pvc.metadata.uid.clone(),
            api_version: Some("v1".into()),
            ..ObjectReference::default()
        },
        reason: Some(reason.into()),
        message: Some(message.into()),
        type_: Some(kind.into()),
        count: Some(1),
        first_timestamp: Some(now.clone()),
        last_timestamp: Some(now),
        reporting_component: Some(DISK_DRIVER.into()),
        ..Event::default()
    };
    let api: kube::Api<Event> = kube::Api::namespaced(cluster.kube.clone(), &ns);
    api.create(&PostParams::default(), &event).await?;
    Ok(())
}
