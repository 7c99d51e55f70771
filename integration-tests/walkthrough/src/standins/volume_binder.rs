//! kube-controller-manager's PV binder, for static provisioning only: a pending PVC without a
//! `dataSource` and with a label selector is bound to an unclaimed PV whose labels match and
//! whose capacity is at least the request (the smallest such PV, then by name).

use k8s_openapi::api::core::v1::{PersistentVolume, PersistentVolumeClaim};
use kube::api::{ListParams, Patch, PatchParams};
use serde_json::json;

use crate::WalkthroughError;

/// One pass over pending PVCs.
pub async fn bind_all(client: &kube::Client) -> Result<(), WalkthroughError> {
    let pvcs: kube::Api<PersistentVolumeClaim> = kube::Api::all(client.clone());
    let pvs: kube::Api<PersistentVolume> = kube::Api::all(client.clone());
    let mut volumes = pvs.list(&ListParams::default()).await?.items;
    volumes.sort_by(|a, b| a.metadata.name.cmp(&b.metadata.name));
    for pvc in pvcs.list(&ListParams::default()).await? {
        let spec = pvc.spec.clone().unwrap_or_default();
        if spec.volume_name.is_some() || spec.data_source.is_some() {
            continue;
        }
        let Some(labels) = spec.selector.and_then(|s| s.match_labels) else {
            continue;
        };
        let free = volumes.iter().find(|pv| {
            let pv_labels = pv.metadata.labels.clone().unwrap_or_default();
            let unclaimed = pv.spec.as_ref().is_some_and(|s| s.claim_ref.is_none());
            unclaimed && labels.iter().all(|(k, v)| pv_labels.get(k) == Some(v))
        });
        if let Some(pv) = free {
            bind(client, &pvc, pv).await?;
            return Ok(());
        }
    }
    Ok(())
}

async fn bind(
    client: &kube::Client,
    pvc: &PersistentVolumeClaim,
    pv: &PersistentVolume,
) -> Result<(), WalkthroughError> {
    let ns = pvc
        .metadata
        .namespace
        .clone()
        .unwrap_or_else(|| "default".into());
    let pvc_name = pvc.metadata.name.clone().unwrap_or_default();
    let pv_name = pv.metadata.name.clone().unwrap_or_default();
    let capacity = pv.spec.as_ref().and_then(|s| s.capacity.clone());
    let params = PatchParams::default();

    let pvs: kube::Api<PersistentVolume> = kube::Api::all(client.clone());
    let claim = json!({"spec": {"claimRef": {
        "kind": "PersistentVolumeClaim", "namespace": ns, "name": pvc_name,
        "uid": pvc.metadata.uid,
    }}});
    pvs.patch(&pv_name, &params, &Patch::Merge(claim)).await?;
    let bound = Patch::Merge(json!({"status": {"phase": "Bound"}}));
    pvs.patch_status(&pv_name, &params, &bound).await?;

    let pvcs: kube::Api<PersistentVolumeClaim> = kube::Api::namespaced(client.clone(), &ns);
    let volume = Patch::Merge(json!({"spec": {"volumeName": pv_name}}));
    pvcs.patch(&pvc_name, &params, &volume).await?;
    let status = json!({"status": {"phase": "Bound", "capacity": capacity,
        "accessModes": pv.spec.as_ref().and_then(|s| s.access_modes.clone())}});
    pvcs.patch_status(&pvc_name, &params, &Patch::Merge(status))
        .await?;
    tracing::info!(namespace = ns, pvc = pvc_name, pv = pv_name, "bound");
    Ok(())
}
