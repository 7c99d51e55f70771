//! The Kubernetes side of a test: kube-sim, a kube-rs client, CRDs and Events.

use std::{ops::ControlFlow, path::Path, time::Duration};

use k8s_openapi::{
    api::{core::v1::Namespace, events::v1::Event},
    apiextensions_apiserver::pkg::apis::apiextensions::v1::CustomResourceDefinition,
};
use kube::{
    Api, Client, CustomResourceExt, Resource,
    api::{ApiResource, DynamicObject, ListParams, PostParams},
    config::{KubeConfigOptions, Kubeconfig},
};
use serde_json::json;
use snapshot_k8s::vsp::VolumeSnapshotPolicy;

use crate::waiting::{Poll, eventually};

/// The upstream `snapshot.storage.k8s.io/v1` CRDs (copies in `integration-tests/fixtures`).
pub const SNAPSHOT_CRD_FILES: [&str; 2] = [
    concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/../fixtures/crds/snapshot.storage.k8s.io_volumesnapshots.yaml"
    ),
    concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/../fixtures/crds/snapshot.storage.k8s.io_volumesnapshotcontents.yaml"
    ),
];

/// How long a new CRD may take to be served before the test fails.
const CRD_SERVED: Poll = Poll::new(Duration::from_millis(20), Duration::from_secs(2));

/// A kube-sim API server and a client for it.
///
/// Plain public fields, so a suite can keep the two under its own names.
pub struct KubeWorld {
    pub sim: kube_sim::SimHandle,
    pub client: Client,
}

impl KubeWorld {
    /// kube-sim with default settings (no authentication, no RBAC).
    pub async fn start() -> Self {
        Self::start_with(kube_sim::Config::default()).await
    }

    /// kube-sim started from `config`, and a client using the kubeconfig it writes.
    pub async fn start_with(config: kube_sim::Config) -> Self {
        let sim = kube_sim::spawn(config)
            .await
            .unwrap_or_else(|e| panic!("kube-sim does not start: {e}"));
        let client = client_for(&sim.kubeconfig).await;
        Self { sim, client }
    }
}

/// A kube-rs client from kubeconfig YAML.
pub async fn client_for(kubeconfig: &str) -> Client {
    let kubeconfig = Kubeconfig::from_yaml(kubeconfig).expect("the kubeconfig parses");
    let options = KubeConfigOptions::default();
    let config = kube::Config::from_custom_kubeconfig(kubeconfig, &options)
        .await
        .expect("the kubeconfig makes a client config");
    Client::try_from(config).expect("the kube client builds")
}

/// Creates `crd` and waits until its resources are served.
pub async fn install_crd(client: &Client, crd: &CustomResourceDefinition) {
    let name = crd.metadata.name.clone().unwrap_or_default();
    let crds: Api<CustomResourceDefinition> = Api::all(client.clone());
    crds.create(&PostParams::default(), crd)
        .await
        .unwrap_or_else(|e| panic!("CRD {name} is not installed: {e}"));

    let objects: Api<DynamicObject> = Api::all_with(client.clone(), &served_resource(crd));
    eventually(
        &format!("CRD {name} to be served"),
        CRD_SERVED,
        async || match objects.list(&ListParams::default()).await {
            Ok(_) => ControlFlow::Break(()),
            Err(e) => ControlFlow::Continue(e),
        },
    )
    .await;
}

/// Installs the CRD in the YAML file at `path`.
pub async fn install_crd_file(client: &Client, path: &Path) {
    let text = std::fs::read_to_string(path)
        .unwrap_or_else(|e| panic!("cannot read CRD file {}: {e}", path.display()));
    let crd: CustomResourceDefinition = serde_saphyr::from_str(&text)
        .unwrap_or_else(|e| panic!("CRD file {} does not parse: {e}", path.display()));
    install_crd(client, &crd).await;
}

/// Installs the `VolumeSnapshotPolicy` CRD generated from the Rust types, with its schema and
/// CEL rules (the chart's CRD file is generated from the same types by `snapshot-crdgen`).
pub async fn install_vsp_crd(client: &Client) {
    install_crd(client, &VolumeSnapshotPolicy::crd()).await;
}

/// Installs the `VolumeSnapshotPolicy` CRD file the Helm chart ships, so a suite tests against
/// exactly what a cluster gets.
pub async fn install_chart_vsp_crd(client: &Client) {
    let root = concat!(env!("CARGO_MANIFEST_DIR"), "/../..");
    let path = Path::new(root).join(snapshot_k8s::crd::CHART_CRD_PATH);
    install_crd_file(client, &path).await;
}

/// Installs the upstream VolumeSnapshot and VolumeSnapshotContent CRDs.
pub async fn install_snapshot_crds(client: &Client) {
    for file in SNAPSHOT_CRD_FILES {
        install_crd_file(client, Path::new(file)).await;
    }
}

/// Creates namespace `name`.
pub async fn create_namespace(client: &Client, name: &str) {
    let namespaces: Api<Namespace> = Api::all(client.clone());
    let namespace = serde_json::from_value(json!({"metadata": {"name": name}}))
        .expect("a namespace from its name");
    namespaces
        .create(&PostParams::default(), &namespace)
        .await
        .unwrap_or_else(|e| panic!("namespace {name} is not created: {e}"));
}

/// Reasons of the Events about objects named `name`, oldest first, from `namespace` or from
/// every namespace when `None`.
pub async fn event_reasons(client: &Client, namespace: Option<&str>, name: &str) -> Vec<String> {
    let events: Api<Event> = match namespace {
        Some(ns) => Api::namespaced(client.clone(), ns),
        None => Api::all(client.clone()),
    };
    let listed = events.list(&ListParams::default()).await;
    let mut about: Vec<Event> = listed
        .unwrap_or_else(|e| panic!("Events cannot be listed: {e}"))
        .items
        .into_iter()
        .filter(|e| e.regarding.as_ref().and_then(|r| r.name.as_deref()) == Some(name))
        .collect();
    about.sort_by_key(|e| e.event_time.as_ref().map(|t| t.0));
    about.into_iter().filter_map(|e| e.reason).collect()
}

/// Waits until an Event with `reason` about `name` exists (see [`event_reasons`]).
pub async fn wait_event(
    client: &Client,
    namespace: Option<&str>,
    name: &str,
    reason: &str,
    poll: Poll,
) {
    let what = format!("a {reason} event for {name}");
    eventually(&what, poll, async || {
        let reasons = event_reasons(client, namespace, name).await;
        match reasons.iter().any(|r| r == reason) {
            true => ControlFlow::Break(()),
            false => ControlFlow::Continue(reasons),
        }
    })
    .await;
}

/// Waits until object `name` exists and `check` holds for it; returns it. `what` names the
/// awaited state in the failure message, which also shows the object as last read.
pub async fn wait_object<K>(
    api: &Api<K>,
    name: &str,
    what: &str,
    poll: Poll,
    check: impl Fn(&K) -> bool,
) -> K
where
    K: Resource + Clone + std::fmt::Debug + serde::de::DeserializeOwned,
{
    eventually(what, poll, async || {
        let found = api.get_opt(name).await;
        match found.unwrap_or_else(|e| panic!("{name} cannot be read: {e}")) {
            Some(object) if check(&object) => ControlFlow::Break(object),
            other => ControlFlow::Continue(other),
        }
    })
    .await
}

/// Where the objects of `crd` are served: its group, first served version, kind and plural.
fn served_resource(crd: &CustomResourceDefinition) -> ApiResource {
    let spec = &crd.spec;
    let version = spec
        .versions
        .iter()
        .find(|v| v.served)
        .unwrap_or_else(|| panic!("CRD {:?} serves no version", crd.metadata.name));
    ApiResource {
        group: spec.group.clone(),
        version: version.name.clone(),
        api_version: format!("{}/{}", spec.group, version.name),
        kind: spec.names.kind.clone(),
        plural: spec.names.plural.clone(),
    }
}
