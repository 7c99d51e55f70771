//! The production ECS client and gateway backend, pointed at the simulator.

use std::{sync::Arc, time::Duration};

use ecs_client::{
    ClientConfig, EcsClient, Endpoint,
    credentials::{Credentials, CredentialsProvider, StaticCredentials},
};
use ecs_gateway::{
    backend::{limited::LimitedEcs, retry::RetryConfig},
    limiter::{LimitsConfig, Scheduler},
    metrics::Metrics,
};
use ecs_sim::SimHandle;

/// An ECS client for the simulator, signing with its default AccessKey pair.
pub fn ecs_client(sim: &SimHandle) -> EcsClient {
    ecs_client_with(sim, None)
}

/// An ECS client for the simulator with `credentials`, or its default AccessKey pair when
/// `None`; requests time out after 5 s so a stuck simulator fails the test.
pub fn ecs_client_with(
    sim: &SimHandle,
    credentials: Option<Arc<dyn CredentialsProvider>>,
) -> EcsClient {
    ecs_client::install_crypto_provider();
    let credentials = credentials.unwrap_or_else(default_credentials);
    let endpoint = Endpoint::url(&sim.base_url())
        .unwrap_or_else(|e| panic!("simulator URL {}: {e}", sim.base_url()));
    let mut config = ClientConfig::new(endpoint);
    config.request_timeout = Duration::from_secs(5);
    config.read_timeout = Duration::from_secs(5);
    EcsClient::new(config, credentials).expect("ECS client builds")
}

/// The gateway's production backend (admission scheduler, retries) over `ecs`.
pub fn backend_over(
    ecs: EcsClient,
    limits: LimitsConfig,
    retry: RetryConfig,
    metrics: Metrics,
) -> LimitedEcs {
    let scheduler = Scheduler::start(limits, metrics.clone()).expect("limits are valid");
    LimitedEcs::new(ecs, Arc::new(scheduler), retry, metrics)
}

/// The gateway's production backend pointed at the simulator with its default key pair.
pub fn backend(
    sim: &SimHandle,
    limits: LimitsConfig,
    retry: RetryConfig,
    metrics: Metrics,
) -> LimitedEcs {
    backend_over(ecs_client(sim), limits, retry, metrics)
}

fn default_credentials() -> Arc<dyn CredentialsProvider> {
    let pair = Credentials::access_key(
        ecs_sim::DEFAULT_ACCESS_KEY_ID,
        ecs_sim::DEFAULT_ACCESS_KEY_SECRET,
    )
    .expect("the simulator's default key pair is valid");
    Arc::new(StaticCredentials::new(pair))
}
