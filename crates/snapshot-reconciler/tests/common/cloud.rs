//! An ECS simulator behind an in-process ecs-gateway (plaintext, development authentication),
//! reached by the reconciler's production [`GatewayCatalog`]; both from ssm-test-support.

use std::{sync::Arc, time::Duration};

use controller_support::gateway::Gateway;
use ecs_gateway_api::GatewayClient;
use ecs_sim::SimHandle;
use snapshot_reconciler::ecs::GatewayCatalog;
use ssm_test_support::cloud_world::{
    CloudOptions, CloudWorld, GatewayServer, INSTANCE,
    policies::{self, PolicySchedule},
    seed,
};

pub use ssm_test_support::cloud_world::REGION;

/// The simulator, the gateway in front of it and a client for the test's own ECS calls.
pub struct Cloud {
    pub sim: SimHandle,
    pub catalog: Arc<GatewayCatalog>,
    pub gateway: Arc<Gateway>,
    /// Stops the gateway when the test drops the cloud.
    _server: GatewayServer,
}

impl Cloud {
    /// A region with one running instance carrying `disks`.
    pub async fn start(disks: &[&str]) -> Self {
        let options = CloudOptions {
            sim: seed::instance_with(INSTANCE, disks),
            ..CloudOptions::dev_mode()
        };
        let CloudWorld { sim, gateway } = CloudWorld::start_with(options).await;
        let config = gateway.connect_config(None);
        let client = Arc::new(Gateway::from_config(config, Duration::from_secs(10)).unwrap());
        let catalog = Arc::new(GatewayCatalog::new(client.clone(), REGION));
        Self {
            sim,
            catalog,
            gateway: client,
            _server: gateway,
        }
    }

    pub fn client(&self) -> GatewayClient {
        self.gateway.client()
    }

    /// An ECS automatic policy firing every hour of every day, keeping snapshots `days`, applied
    /// to `disk` (what policy-listener and pvc-reconciler do in production).
    pub async fn hourly_policy_on(&self, disk: &str, days: i32) -> String {
        let client = self.client();
        let schedule = PolicySchedule::hourly(days);
        let id = policies::create(&client, "e2e-hourly", schedule, vec![]).await;
        policies::apply(&client, &id, &[disk.to_owned()]).await;
        id
    }

    /// Takes the policy off `disk`, so no more snapshots come.
    pub async fn cancel_policy(&self, policy: &str, disk: &str) {
        policies::cancel(&self.client(), policy, &[disk.to_owned()]).await;
    }

    /// Moves the ECS clock forward.
    pub async fn advance(&self, seconds: u64) {
        self.sim
            .admin()
            .advance(seconds)
            .await
            .expect("clock moves");
    }

    /// How many DescribeSnapshots calls ECS has answered.
    pub async fn describe_calls(&self) -> u64 {
        let counters = self.sim.admin().counters().await.unwrap();
        counters.total("DescribeSnapshots")
    }
}
