//! How a test's cloud is configured: what the simulator holds, and the gateway's credentials,
//! limits, retries, callers and TLS.

use std::{sync::Arc, time::Duration};

use ecs_client::credentials::CredentialsProvider;
use ecs_gateway::{
    auth::token_review::TokenReviewer, backend::retry::RetryConfig, limiter::LimitsConfig,
};
use ecs_sim::{SimConfig, SimHandle};

use super::seed;

/// A caller the default allow-list lets call every RPC.
pub const ADMIN: &str = "admin.test";
/// A caller the default allow-list lets call only DescribeDisks and DescribeSnapshots.
pub const READER: &str = "reader.test";

/// The allow-list of [`CloudOptions::default`]: [`ADMIN`], [`READER`], and two more
/// all-RPC callers (`flooder.test`, `quiet.test`) for fairness tests.
pub const DEFAULT_ALLOW_LIST: &str = "callers:\n\
    - identity: admin.test\n  rpcs: ['*']\n\
    - identity: reader.test\n  rpcs: [DescribeDisks, DescribeSnapshots]\n\
    - identity: flooder.test\n  rpcs: ['*']\n\
    - identity: quiet.test\n  rpcs: ['*']\n";

/// Builds the gateway's credential source once the simulator runs (its STS and metadata
/// endpoints live on the simulator's port).
pub type CredentialsFactory = Box<dyn FnOnce(&SimHandle) -> Arc<dyn CredentialsProvider> + Send>;

/// What a test can change about its simulator and gateway.
pub struct CloudOptions {
    /// The gateway's credential source; the simulator's default AccessKey pair when `None`.
    pub credentials: Option<CredentialsFactory>,
    pub limits: LimitsConfig,
    pub retry: RetryConfig,
    /// The allow-list YAML; ignored in `insecure_dev` mode.
    pub allow_list: String,
    /// Reviews bearer tokens; `None` accepts client certificates only.
    pub reviewer: Option<Arc<dyn TokenReviewer>>,
    /// Refuse TLS connections without a client certificate.
    pub require_client_cert: bool,
    /// Plain-text gRPC and no authentication (`--insecure-dev-mode`).
    pub insecure_dev: bool,
    /// What the simulator holds at start ([`super::CloudWorld`] spawns it; a
    /// [`super::GatewayServer`] started over a running simulator ignores it).
    pub sim: SimConfig,
}

/// The [`seed::standard`] world behind mutual TLS with [`DEFAULT_ALLOW_LIST`], limits far above
/// what a test sends, and retries short enough for tests (10 ms to 200 ms, the production
/// retry count).
impl Default for CloudOptions {
    fn default() -> Self {
        let retry = RetryConfig {
            min_delay: Duration::from_millis(10),
            max_delay: Duration::from_millis(200),
            throttled_min_delay: Duration::from_millis(20),
            ..RetryConfig::default()
        };
        Self {
            credentials: None,
            limits: roomy_limits(500.0, 50),
            retry,
            allow_list: DEFAULT_ALLOW_LIST.to_string(),
            reviewer: None,
            require_client_cert: true,
            insecure_dev: false,
            sim: seed::standard(),
        }
    }
}

impl CloudOptions {
    /// The gateway as a controller suite wants it: plain text without authentication (mutual
    /// TLS is the gateway suite's business), limits of 1000 calls/s, and at most two quick
    /// retries (10 ms to 50 ms) so injected ECS faults reach the controller fast.
    pub fn dev_mode() -> Self {
        let retry = RetryConfig {
            max_retries: 2,
            min_delay: Duration::from_millis(10),
            max_delay: Duration::from_millis(50),
            throttled_min_delay: Duration::from_millis(10),
        };
        Self {
            limits: roomy_limits(1000.0, 100),
            retry,
            insecure_dev: true,
            ..Self::default()
        }
    }
}

/// Limits of `rate` calls per second for the account and every action, with `burst`.
fn roomy_limits(rate: f64, burst: u32) -> LimitsConfig {
    LimitsConfig {
        account_rate: rate,
        account_burst: burst,
        default_action_rate: rate,
        action_rates: Default::default(),
        ..LimitsConfig::default()
    }
}
