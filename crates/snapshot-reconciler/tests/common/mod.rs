//! A cluster (kube-sim with the upstream snapshot CRDs and the chart's VolumeSnapshotPolicy CRD)
//! and an in-memory ECS region for the reconciler's end-to-end tests.
//!
//! The cluster, fixtures and cloud come from ssm-test-support; what stays here is the
//! reconciler's own wiring and the views of its objects its tests assert on.

#![allow(dead_code)]

pub mod catalog;
pub mod cloud;

use std::{sync::Arc, time::Duration};

use kube::{
    Api, Client,
    api::{DynamicObject, ListParams, Patch, PatchParams, PostParams},
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
use ssm_test_support::{
    fixtures::{self, BoundPvc},
    kube_world::{self, KubeWorld},
};

pub use catalog::MemCatalog;
pub use ssm_test_support::fixtures::DRIVER;

pub const CLASS: &str = "default-snapclass";

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
        let KubeWorld { sim, client } = KubeWorld::start().await;
        kube_world::install_snapshot_crds(&client).await;
        kube_world::install_chart_vsp_crd(&client).await;

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
        kube_world::create_namespace(&self.client, name).await;
    }

    /// A PVC `ns/name` labelled `app=<app>`, bound to a CSI volume `pv-<disk>` of `disk`.
    pub async fn bound_pvc(&self, ns: &str, name: &str, app: &str, disk: &str) {
        BoundPvc::new(ns, name, disk)
            .pv_name(&format!("pv-{disk}"))
            .labels(&[("app", app)])
            .create(&self.client)
            .await;
    }

    /// A scheduled policy selecting `app=<app>`, importing into `namespaces` (empty: default).
    pub async fn policy(&self, name: &str, app: &str, namespaces: &[&str]) -> DynamicObject {
        let mut spec = fixtures::weekly_spec(app);
        spec["retentionDays"] = json!(7);
        if !namespaces.is_empty() {
            spec["volumeSnapshotNamespaces"] = json!(namespaces);
        }
        let object: DynamicObject = fixtures::from_json(fixtures::vsp_json(name, spec));
        self.policies()
            .create(&PostParams::default(), &object)
            .await
            .expect("policy created")
    }

    /// A repeatOnce policy selecting `app=<app>` whose status records `taken` as
    /// `(snapshot ID, disk ID, "namespace/pvc")`, as the policy-listener writes it.
    pub async fn once_policy(
        &self,
        name: &str,
        app: &str,
        namespaces: &[&str],
        taken: &[(&str, &str, &str)],
    ) -> DynamicObject {
        let spec = json!({
            "pvcSelector": {"matchLabels": {"app": app}},
            "snapshotSchedule": {"repeatOnce": true},
            "volumeSnapshotNamespaces": namespaces,
        });
        let object: DynamicObject = fixtures::from_json(fixtures::vsp_json(name, spec));
        let api = self.policies();
        api.create(&PostParams::default(), &object)
            .await
            .expect("repeatOnce policy created");

        let snapshots: Vec<_> = taken
            .iter()
            .map(|(id, disk, pvc)| {
                json!({"diskId": disk, "pvc": pvc, "snapshotId": id, "state": "Accomplished"})
            })
            .collect();
        let status = json!({"status": {"repeatOnce": {
            "generation": 1, "snapshots": snapshots, "finished": true,
        }}});
        api.patch_status(name, &PatchParams::default(), &Patch::Merge(&status))
            .await
            .expect("repeatOnce status written")
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
        managed_names(&api, |o| {
            let ns = o.metadata.namespace.clone().unwrap();
            format!("{ns}/{}", o.metadata.name.clone().unwrap())
        })
        .await
    }

    /// Names of the managed contents, sorted.
    pub async fn managed_contents(&self) -> Vec<String> {
        managed_names(&self.contents(), |o| o.metadata.name.clone().unwrap()).await
    }
}

/// `name` of every object of `api` carrying the managed label, sorted.
async fn managed_names(
    api: &Api<DynamicObject>,
    name: impl Fn(&DynamicObject) -> String,
) -> Vec<String> {
    let list = api
        .list(&ListParams::default().labels(MANAGED_SELECTOR))
        .await
        .unwrap();
    let mut names: Vec<String> = list.items.iter().map(name).collect();
    names.sort();
    names
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
        default_deletion_policy: snapshot_k8s::upstream::DeletionPolicy::Delete,
        csi_drivers: vec![DRIVER.to_owned()],
        default_zone: snapshot_domain::schedule::ScheduleZone::named("Asia/Shanghai").unwrap(),
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
