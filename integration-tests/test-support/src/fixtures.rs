//! The Kubernetes objects tests create: bound PV/PVC pairs and VolumeSnapshotPolicies.

use std::collections::BTreeMap;

use k8s_openapi::api::core::v1::{PersistentVolume, PersistentVolumeClaim};
use kube::{
    Api, Client,
    api::{Patch, PatchParams, PostParams},
};
use serde_json::{Value, json};

/// The Alibaba Cloud disk CSI driver, whose volume handle is the ECS disk ID.
pub const DRIVER: &str = "diskplugin.csi.alibabacloud.com";

/// The API version of VolumeSnapshotPolicy.
pub const VSP_API_VERSION: &str = "storage.alibabacloud.com/v1beta1";

/// A PVC bound to a CSI volume of one ECS disk, as the external provisioner leaves them.
///
/// The PV (40 GiB, ReadWriteOnce, reclaim `Retain`) carries a `claimRef` naming the PVC; the
/// PVC names the PV and has phase `Bound`.
#[derive(Debug, Clone)]
pub struct BoundPvc {
    namespace: String,
    name: String,
    disk: String,
    pv_name: String,
    labels: BTreeMap<String, String>,
}

impl BoundPvc {
    /// PVC `namespace/name` on a PV `pv-<name>` of `disk`, without labels.
    pub fn new(namespace: &str, name: &str, disk: &str) -> Self {
        Self {
            namespace: namespace.into(),
            name: name.into(),
            disk: disk.into(),
            pv_name: format!("pv-{name}"),
            labels: BTreeMap::new(),
        }
    }

    /// Names the PV `pv_name` instead of `pv-<pvc name>`.
    pub fn pv_name(mut self, pv_name: &str) -> Self {
        self.pv_name = pv_name.into();
        self
    }

    /// Adds `labels` to the PVC.
    pub fn labels(mut self, labels: &[(&str, &str)]) -> Self {
        let pairs = labels.iter().map(|(k, v)| (k.to_string(), v.to_string()));
        self.labels.extend(pairs);
        self
    }

    /// The PV object.
    pub fn pv(&self) -> PersistentVolume {
        from_json(json!({
            "apiVersion": "v1", "kind": "PersistentVolume",
            "metadata": {"name": self.pv_name},
            "spec": {
                "capacity": {"storage": "40Gi"}, "accessModes": ["ReadWriteOnce"],
                "persistentVolumeReclaimPolicy": "Retain",
                "csi": {"driver": DRIVER, "volumeHandle": self.disk},
                "claimRef": {"namespace": self.namespace, "name": self.name},
            },
        }))
    }

    /// The PVC object, before the binding status is written.
    pub fn pvc(&self) -> PersistentVolumeClaim {
        from_json(json!({
            "apiVersion": "v1", "kind": "PersistentVolumeClaim",
            "metadata": {"name": self.name, "namespace": self.namespace, "labels": self.labels},
            "spec": {
                "accessModes": ["ReadWriteOnce"], "volumeName": self.pv_name,
                "resources": {"requests": {"storage": "40Gi"}},
            },
        }))
    }

    /// Creates the PV and the PVC, then marks the PVC `Bound`.
    pub async fn create(&self, client: &Client) {
        let (ns, name) = (&self.namespace, &self.name);
        let pvs: Api<PersistentVolume> = Api::all(client.clone());
        pvs.create(&PostParams::default(), &self.pv())
            .await
            .unwrap_or_else(|e| panic!("PV {} is not created: {e}", self.pv_name));

        let pvcs: Api<PersistentVolumeClaim> = Api::namespaced(client.clone(), ns);
        pvcs.create(&PostParams::default(), &self.pvc())
            .await
            .unwrap_or_else(|e| panic!("PVC {ns}/{name} is not created: {e}"));
        let bound = json!({"status": {"phase": "Bound"}});
        pvcs.patch_status(name, &PatchParams::default(), &Patch::Merge(&bound))
            .await
            .unwrap_or_else(|e| panic!("PVC {ns}/{name} is not marked Bound: {e}"));
    }
}

/// A VolumeSnapshotPolicy named `name` with `spec`, as JSON for any typed or dynamic API.
pub fn vsp_json(name: &str, spec: Value) -> Value {
    json!({
        "apiVersion": VSP_API_VERSION,
        "kind": "VolumeSnapshotPolicy",
        "metadata": {"name": name},
        "spec": spec,
    })
}

/// The spec of a policy selecting PVCs labelled `app=<app>`, snapshotting Mondays at 02:00.
pub fn weekly_spec(app: &str) -> Value {
    json!({
        "pvcSelector": {"matchLabels": {"app": app}},
        "snapshotSchedule": {"repeatWeekdays": ["1"], "timePoints": ["2"]},
    })
}

/// `value` as a `T`; panics naming the type when the fixture does not fit it.
pub fn from_json<T: serde::de::DeserializeOwned>(value: Value) -> T {
    serde_json::from_value(value)
        .unwrap_or_else(|e| panic!("fixture is not a {}: {e}", std::any::type_name::<T>()))
}
