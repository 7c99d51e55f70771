//! A cluster (kube-sim with the upstream snapshot CRDs) and an in-memory ECS region for the
//! reconciler's end-to-end tests.

#![allow(dead_code)]

pub mod catalog;
pub mod cloud;

use std::{sync::Arc, time::Duration};

use k8s_openapi::{
    api::core::v1::{Namespace, PersistentVolume, PersistentVolumeClaim},
    apiextensions_apiserver::pkg::apis::apiextensions::v1::CustomResourceDefinition,
};
use kube::{
    Api, Client,
    api::{DynamicObject, ListParams, Patch, PatchParams, PostParams},
    config::{KubeConfigOptions, Kubeconfig},
};
use prometheus_client::registry::Registry;
use serde_json::json;
use snapshot_reconciler::{
    apply::Executor,
    controller::{PassReport, Reconciler, Settings},
    ecs::SnapshotCatalog,
    events::Events,
    metrics::Metrics,
    objects::{MANAGED_SELECTOR, content_resource, volume_snapshot_resource},
    policies,
};

pub use catalog::MemCatalog;

pub const DRIVER: &str = "diskplugin.csi.alibabacloud.com";
pub const CLASS: &str = "default-snapclass";

const CRD_DIR: &str = concat!(
    env!("CARGO_MANIFEST_DIR"),
    "/../../integration-tests/fixtures/crds"
);
const CRDS: [&str; 2] = [
    "snapshot.storage.k8s.io_volumesnapshots.yaml",
    "snapshot.storage.k8s.io_volumesnapshotcontents.yaml",
];

/// The test's cluster, ECS region and reconciler.
pub struct Harness<C = MemCatalog> {
    pub sim: kube_sim::SimHandle,
    pub client: Client,
    pub ecs: Arc<C>,
    pub metrics: Metrics,
    pub reconciler: Reconciler<C>,
}

impl Harness<MemCatalog> {
    /// A cluster and an in-memory ECS region.
    pub async fn start() -> Self {
        Self::start_with(Arc::new(MemCatalog::default())).await
    }
}

impl<C: SnapshotCatalog> Harness<C> {
    /// A cluster and the ECS region behind `ecs`.
    pub async fn start_with(ecs: Arc<C>) -> Self {
        let sim = kube_sim::spawn(kube_sim::Config::default())
            .await
            .expect("kube-sim starts");
        let kubeconfig = Kubeconfig::from_yaml(&sim.kubeconfig).expect("kubeconfig parses");
        let config =
            kube::Config::from_custom_kubeconfig(kubeconfig, &KubeConfigOptions::default())
                .await
                .expect("client config");
        let client = Client::try_from(config).expect("client builds");
        install_crds(&client).await;

        let (metrics, reconciler) = reconciler(&client, &ecs, Events::disabled());
        Self {
            sim,
            client,
            ecs,
            metrics,
            reconciler,
        }
    }

    /// A new reconciler that publishes Events.
    pub fn with_events(&mut self) {
        let events = Events::new(self.client.clone(), Some("test-replica".to_owned()));
        let (metrics, reconciler) = reconciler(&self.client, &self.ecs, events);
        self.metrics = metrics;
        self.reconciler = reconciler;
    }

    /// A new reconciler to run on its own (its metrics become `self.metrics`).
    pub fn detached_reconciler(&mut self) -> Reconciler<C> {
        let (metrics, reconciler) = reconciler(&self.client, &self.ecs, Events::disabled());
        self.metrics = metrics;
        reconciler
    }

    /// A new reconciler over the same cluster and region, as after a restart.
    pub fn restart(&mut self) {
        let (metrics, reconciler) = reconciler(&self.client, &self.ecs, Events::disabled());
        self.metrics = metrics;
        self.reconciler = reconciler;
    }

    pub async fn pass(&mut self, full: bool) -> PassReport {
        self.reconciler.pass(full).await.expect("pass succeeds")
    }

    pub async fn namespace(&self, name: &str) {
        let api: Api<Namespace> = Api::all(self.client.clone());
        let ns = serde_json::from_value(json!({"metadata": {"name": name}})).unwrap();
        api.create(&PostParams::default(), &ns)
            .await
            .expect("namespace created");
    }

    /// A PVC `ns/name` labelled `app=<app>`, bound to a CSI volume of `disk`.
    pub async fn bound_pvc(&self, ns: &str, name: &str, app: &str, disk: &str) {
        let pv_name = format!("pv-{disk}");
        let pv: PersistentVolume = serde_json::from_value(json!({
            "metadata": {"name": pv_name},
            "spec": {
                "capacity": {"storage": "20Gi"},
                "accessModes": ["ReadWriteOnce"],
                "csi": {"driver": DRIVER, "volumeHandle": disk},
            },
        }))
        .unwrap();
        let pvs: Api<PersistentVolume> = Api::all(self.client.clone());
        pvs.create(&PostParams::default(), &pv)
            .await
            .expect("PV created");

        let pvc: PersistentVolumeClaim = serde_json::from_value(json!({
            "metadata": {"name": name, "namespace": ns, "labels": {"app": app}},
            "spec": {
                "accessModes": ["ReadWriteOnce"],
                "resources": {"requests": {"storage": "20Gi"}},
                "volumeName": pv_name,
            },
        }))
        .unwrap();
        let pvcs: Api<PersistentVolumeClaim> = Api::namespaced(self.client.clone(), ns);
        pvcs.create(&PostParams::default(), &pvc)
            .await
            .expect("PVC created");
        let status = json!({"status": {"phase": "Bound"}});
        pvcs.patch_status(name, &PatchParams::default(), &Patch::Merge(&status))
            .await
            .expect("PVC bound");
    }

    /// A scheduled policy selecting `app=<app>`, importing into `namespaces` (empty: default).
    pub async fn policy(&self, name: &str, app: &str, namespaces: &[&str]) -> DynamicObject {
        let mut spec = json!({
            "pvcSelector": {"matchLabels": {"app": app}},
            "retentionDays": 7,
            "snapshotSchedule": {"repeatWeekdays": ["1"], "timePoints": ["2"]},
        });
        if !namespaces.is_empty() {
            spec["volumeSnapshotNamespaces"] = json!(namespaces);
        }
        let object = json!({
            "apiVersion": "storage.alibabacloud.com/v1beta1",
            "kind": "VolumeSnapshotPolicy",
            "metadata": {"name": name},
            "spec": spec,
        });
        let api = self.policies();
        let object: DynamicObject = serde_json::from_value(object).unwrap();
        api.create(&PostParams::default(), &object)
            .await
            .expect("policy created")
    }

    pub fn policies(&self) -> Api<DynamicObject> {
        Api::all_with(self.client.clone(), &policies::api_resource())
    }

    pub fn snapshots(&self, ns: &str) -> Api<DynamicObject> {
        Api::namespaced_with(self.client.clone(), ns, &volume_snapshot_resource())
    }

    pub fn contents(&self) -> Api<DynamicObject> {
        Api::all_with(self.client.clone(), &content_resource())
    }

    /// Names of the managed VolumeSnapshots, as `namespace/name`, sorted.
    pub async fn managed_snapshots(&self) -> Vec<String> {
        let api: Api<DynamicObject> =
            Api::all_with(self.client.clone(), &volume_snapshot_resource());
        let list = api
            .list(&ListParams::default().labels(MANAGED_SELECTOR))
            .await
            .unwrap();
        let mut names: Vec<String> = list
            .items
            .iter()
            .map(|o| {
                format!(
                    "{}/{}",
                    o.metadata.namespace.clone().unwrap(),
                    o.metadata.name.clone().unwrap()
                )
            })
            .collect();
        names.sort();
        names
    }

    /// Names of the managed contents, sorted.
    pub async fn managed_contents(&self) -> Vec<String> {
        let list = self
            .contents()
            .list(&ListParams::default().labels(MANAGED_SELECTOR))
            .await
            .unwrap();
        let mut names: Vec<String> = list
            .items
            .iter()
            .map(|o| o.metadata.name.clone().unwrap())
            .collect();
        names.sort();
        names
    }
}

fn reconciler<C: SnapshotCatalog>(
    client: &Client,
    ecs: &Arc<C>,
    events: Events,
) -> (Metrics, Reconciler<C>) {
    let metrics = Metrics::register(&mut Registry::default());
    let executor = Executor::new(client.clone(), metrics.clone(), events);
    let settings = Settings {
        snapshot_class: CLASS.to_owned(),
        csi_drivers: vec![DRIVER.to_owned()],
        poll_interval: Duration::from_millis(50),
        full_resync_interval: Duration::from_secs(3600),
    };
    let reconciler = Reconciler::new(
        client.clone(),
        ecs.clone(),
        settings,
        executor,
        metrics.clone(),
    );
    (metrics, reconciler)
}

async fn install_crds(client: &Client) {
    let api: Api<CustomResourceDefinition> = Api::all(client.clone());
    for file in CRDS {
        let text = std::fs::read_to_string(format!("{CRD_DIR}/{file}")).expect("CRD file");
        let crd: CustomResourceDefinition = serde_saphyr::from_str(&text).expect("CRD parses");
        api.create(&PostParams::default(), &crd)
            .await
            .expect("CRD installed");
    }
    let vsp: CustomResourceDefinition = serde_json::from_value(vsp_crd()).unwrap();
    api.create(&PostParams::default(), &vsp)
        .await
        .expect("VSP CRD installed");
}

/// A permissive stand-in for the VolumeSnapshotPolicy CRD: its own schema is tested in
/// snapshot-k8s; here only the reconciler's reading of policies matters.
fn vsp_crd() -> serde_json::Value {
    json!({
        "apiVersion": "apiextensions.k8s.io/v1",
        "kind": "CustomResourceDefinition",
        "metadata": {"name": "volumesnapshotpolicies.storage.alibabacloud.com"},
        "spec": {
            "group": "storage.alibabacloud.com",
            "scope": "Cluster",
            "names": {
                "kind": "VolumeSnapshotPolicy",
                "plural": "volumesnapshotpolicies",
                "singular": "volumesnapshotpolicy",
                "shortNames": ["vsp"],
            },
            "versions": [{
                "name": "v1beta1",
                "served": true,
                "storage": true,
                "subresources": {"status": {}},
                "schema": {"openAPIV3Schema": {
                    "type": "object",
                    "x-kubernetes-preserve-unknown-fields": true,
                }},
            }],
        },
    })
}
