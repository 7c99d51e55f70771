//! Stand-ins for cluster pieces the product relies on but does not ship. They belong to the
//! simulated cluster, never to the chart, and do only what the real pieces do:
//!
//! - [`snapshot_binder`]: external-snapshotter's common controller and CSI snapshotter sidecar
//!   for pre-provisioned contents: reads the snapshot from ECS (through the ECS simulator's
//!   admin API, standing in for the CSI driver's `ListSnapshots`), sets the content's and the
//!   `VolumeSnapshot`'s status (bound, `readyToUse`, `restoreSize`, `creationTime`); for a
//!   `Delete` content whose `VolumeSnapshot` was deleted, deletes the content and then the ECS
//!   snapshot (the CSI driver's `DeleteSnapshot`, through the ECS OpenAPI).
//! - [`provisioner`]: the CSI external-provisioner with the disk driver, for a PVC whose
//!   `dataSource` is a `VolumeSnapshot`: refuses what the real one refuses (snapshot not ready,
//!   another driver's snapshot, a request smaller than the restore size) with a Warning Event
//!   on the PVC, else creates a disk in ECS and a PV bound to the PVC.
//!
//! - [`volume_binder`]: kube-controller-manager's binding of a PVC to a matching static PV.
//!
//! All run as one polling loop ([`run`]); the `ssm-cluster-standins` binary runs it.

use std::time::Duration;

use kube::api::{ApiResource, DynamicObject, GroupVersionKind};

use crate::WalkthroughError;

pub mod provisioner;
pub mod snapshot_binder;
pub mod volume_binder;

/// The CSI driver both stand-ins act for.
pub const DISK_DRIVER: &str = "diskplugin.csi.alibabacloud.com";

/// Shared clients.
pub struct Cluster {
    pub kube: kube::Client,
    pub ecs: ecs_sim::AdminClient,
    /// The ECS OpenAPI, for what the CSI driver does there (`DeleteSnapshot`).
    pub ecs_api: ecs_client::EcsClient,
}

/// A client of the ECS simulator's OpenAPI at `base_url`, signing with its default key.
pub fn ecs_api(base_url: &str) -> Result<ecs_client::EcsClient, WalkthroughError> {
    use ecs_client::credentials::{Credentials, StaticCredentials};

    let credentials = Credentials::access_key(
        ecs_sim::DEFAULT_ACCESS_KEY_ID,
        ecs_sim::DEFAULT_ACCESS_KEY_SECRET,
    )?;
    let config = ecs_client::ClientConfig::new(ecs_client::Endpoint::url(base_url)?);
    let provider = std::sync::Arc::new(StaticCredentials::new(credentials));
    Ok(ecs_client::EcsClient::new(config, provider)?)
}

pub(crate) fn resource(group: &str, version: &str, kind: &str, plural: &str) -> ApiResource {
    let gvk = GroupVersionKind::gvk(group, version, kind);
    ApiResource::from_gvk_with_plural(&gvk, plural)
}

/// `snapshot.storage.k8s.io/v1` VolumeSnapshot.
pub fn vs_resource() -> ApiResource {
    resource(
        "snapshot.storage.k8s.io",
        "v1",
        "VolumeSnapshot",
        "volumesnapshots",
    )
}

/// `snapshot.storage.k8s.io/v1` VolumeSnapshotContent (cluster-scoped).
pub fn vsc_resource() -> ApiResource {
    let kind = "VolumeSnapshotContent";
    resource(
        "snapshot.storage.k8s.io",
        "v1",
        kind,
        "volumesnapshotcontents",
    )
}

pub(crate) fn all_vs(client: &kube::Client) -> kube::Api<DynamicObject> {
    kube::Api::all_with(client.clone(), &vs_resource())
}

/// Runs both stand-ins every `interval` until the process ends; a failed pass is logged and
/// retried on the next tick.
pub async fn run(cluster: Cluster, interval: Duration) {
    let mut provisioner = provisioner::Provisioner::default();
    loop {
        if let Err(err) = pass(&cluster, &mut provisioner).await {
            tracing::warn!(error = %err, "stand-in pass failed; retrying");
        }
        tokio::time::sleep(interval).await;
    }
}

async fn pass(
    cluster: &Cluster,
    provisioner: &mut provisioner::Provisioner,
) -> Result<(), WalkthroughError> {
    let state = cluster.ecs.state().await?;
    volume_binder::bind_all(&cluster.kube).await?;
    snapshot_binder::bind_all(&cluster.kube, &cluster.ecs_api, &state).await?;
    provisioner.provision_all(cluster, &state).await
}
