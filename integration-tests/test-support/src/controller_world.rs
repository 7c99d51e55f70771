//! Both worlds a controller runs between, started together the way every controller suite
//! needs them.

use ecs_sim::SimHandle;
use kube::Client;

use crate::{
    cloud_world::{CloudOptions, CloudWorld, GatewayServer},
    kube_world::{self, KubeWorld},
};

/// kube-sim serving the `VolumeSnapshotPolicy` CRD on one side; ecs-sim behind a gateway on
/// the other. Plain public fields, so a suite keeps them under its own names.
pub struct ControllerWorld {
    pub kube_sim: kube_sim::SimHandle,
    pub client: Client,
    pub ecs_sim: SimHandle,
    pub gateway: GatewayServer,
}

impl ControllerWorld {
    /// Prepares the process ([`crate::init_process`]), starts the cloud as `options` say
    /// (usually [`CloudOptions::dev_mode`]) and a cluster with the VSP CRD installed.
    pub async fn start(options: CloudOptions) -> Self {
        crate::init_process();
        let CloudWorld { sim, gateway } = CloudWorld::start_with(options).await;
        let KubeWorld {
            sim: kube_sim,
            client,
        } = KubeWorld::start().await;
        kube_world::install_vsp_crd(&client).await;
        Self {
            kube_sim,
            client,
            ecs_sim: sim,
            gateway,
        }
    }
}
