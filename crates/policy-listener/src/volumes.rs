//! The volumes a VSP selects: PVCs in every namespace matching its selector, resolved to cloud
//! disks by `snapshot_k8s::managed` (the rule all controllers share).

use k8s_openapi::api::core::v1::{PersistentVolume, PersistentVolumeClaim};
use kube::{Api, Client, ResourceExt, api::ListParams};
use snapshot_k8s::{
    managed::{DiskDrivers, bound_pv_name, resolve},
    selector::PvcMatcher,
};
use tracing::debug;

use crate::Error;

/// One selected PVC bound to a managed disk.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SelectedVolume {
    /// `namespace/name` of the PVC.
    pub pvc: String,
    pub disk_id: String,
}

/// What a selector selects right now.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Selection {
    /// Managed volumes, sorted by disk ID, one per disk.
    pub managed: Vec<SelectedVolume>,
    /// Selected PVCs that are not managed (unbound, other drivers, …).
    pub unmanaged: usize,
}

/// Lists the PVCs `selector` selects and resolves each one.
pub async fn select(
    client: &Client,
    selector: &PvcMatcher,
    drivers: &DiskDrivers,
) -> Result<Selection, Error> {
    let pvcs: Api<PersistentVolumeClaim> = Api::all(client.clone());
    let pvs: Api<PersistentVolume> = Api::all(client.clone());
    let params = ListParams::default().labels_from(selector.selector());
    let list = pvcs
        .list(&params)
        .await
        .map_err(Error::kube("listing selected PVCs"))?;

    let mut selection = Selection::default();
    for pvc in list.items.iter().filter(|p| selector.matches(p.labels())) {
        let pv = match bound_pv_name(pvc) {
            Some(name) => pvs
                .get_opt(name)
                .await
                .map_err(Error::kube("reading a selected PVC's volume"))?,
            None => None,
        };
        let pvc_name = format!("{}/{}", pvc.namespace().unwrap_or_default(), pvc.name_any());
        match resolve(pvc, pv.as_ref(), drivers) {
            Ok(disk) => selection.managed.push(SelectedVolume {
                pvc: pvc_name,
                disk_id: disk.disk_id,
            }),
            Err(why) => {
                debug!(
                    pvc = pvc_name,
                    reason = why.reason(),
                    "selected PVC is not managed"
                );
                selection.unmanaged += 1;
            }
        }
    }
    selection
        .managed
        .sort_by(|a, b| a.disk_id.cmp(&b.disk_id).then(a.pvc.cmp(&b.pvc)));
    selection.managed.dedup_by(|a, b| a.disk_id == b.disk_id);
    Ok(selection)
}
