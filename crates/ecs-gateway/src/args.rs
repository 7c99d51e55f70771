//! Command-line flags and environment variables. `ecs-gateway --help` lists every one with its
//! environment variable and default.

use std::net::SocketAddr;
use std::path::PathBuf;
use std::time::Duration;

use clap::{ArgAction, Args as ClapArgs, Parser, ValueEnum};
use service_runtime::args::{AdminArgs, KubeArgs, LogArgs, parse_duration};

use crate::backend::retry::RetryConfig;
use crate::limiter::config::{self as limits, LimitsConfig, parse_action_rate};

/// The ecs-gateway: the only holder of Alibaba Cloud credentials; serves typed ECS operations
/// over gRPC to authenticated, allow-listed callers, with rate limiting and retries.
#[derive(Debug, Parser)]
#[command(name = "ecs-gateway", version)]
pub struct Args {
    /// Address the gRPC API listens on.
    #[arg(long, env = "GRPC_LISTEN_ADDR", default_value = "0.0.0.0:8443")]
    pub listen_addr: SocketAddr,

    #[command(flatten)]
    pub ecs: EcsArgs,

    #[command(flatten)]
    pub security: SecurityArgs,

    #[command(flatten)]
    pub limits: LimitArgs,

    #[command(flatten)]
    pub retry: RetryArgs,

    #[command(flatten)]
    pub log: LogArgs,

    #[command(flatten)]
    pub admin: AdminArgs,

    #[command(flatten)]
    pub kube: KubeArgs,
}

/// Where credentials come from.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum CredentialsSource {
    /// `ALIBABA_CLOUD_ACCESS_KEY_ID` / `ALIBABA_CLOUD_ACCESS_KEY_SECRET` (and optionally
    /// `ALIBABA_CLOUD_SECURITY_TOKEN`) from the environment.
    Env,
    /// `access-key-id` and `access-key-secret` files in `--credentials-dir` (a mounted
    /// Secret), re-read when they change.
    SecretFile,
    /// STS credentials of the node's RAM role from the instance metadata service.
    InstanceRole,
    /// RRSA: `AssumeRoleWithOIDC` with the projected token (`ALIBABA_CLOUD_ROLE_ARN`,
    /// `ALIBABA_CLOUD_OIDC_PROVIDER_ARN`, `ALIBABA_CLOUD_OIDC_TOKEN_FILE`).
    Oidc,
}

/// How the gateway reaches ECS.
#[derive(Debug, Clone, ClapArgs)]
pub struct EcsArgs {
    /// Region the gateway serves; requests for other regions are refused.
    #[arg(long, env = "ALIBABA_CLOUD_REGION_ID")]
    pub region: String,

    /// Use the VPC endpoint (`ecs-vpc.<region>.aliyuncs.com`) instead of the public one.
    #[arg(long, env = "ECS_USE_VPC_ENDPOINT", default_value_t = true, action = ArgAction::Set)]
    pub vpc_endpoint: bool,

    /// Full ECS endpoint URL overriding the regional one, e.g. a simulator
    /// `http://127.0.0.1:8080`.
    #[arg(long, env = "ECS_ENDPOINT")]
    pub ecs_endpoint: Option<String>,

    /// Where credentials come from.
    #[arg(
        long,
        env = "CREDENTIALS_SOURCE",
        value_enum,
        default_value_t = CredentialsSource::SecretFile
    )]
    pub credentials_source: CredentialsSource,

    /// Directory of the mounted credentials Secret (`--credentials-source secret-file`).
    #[arg(
        long,
        env = "CREDENTIALS_DIR",
        default_value = "/var/run/secrets/alibabacloud"
    )]
    pub credentials_dir: PathBuf,

    /// Longest time one ECS request may take, connect to last byte, e.g. `10s`.
    #[arg(long, env = "ECS_REQUEST_TIMEOUT", default_value = "10s", value_parser = parse_duration)]
    pub ecs_request_timeout: Duration,
}

/// Who may call.
#[derive(Debug, Clone, ClapArgs)]
pub struct SecurityArgs {
    /// PEM certificate chain of the gRPC server.
    #[arg(long, env = "TLS_CERT_FILE")]
    pub tls_cert_file: Option<PathBuf>,

    /// PEM private key of the gRPC server.
    #[arg(long, env = "TLS_KEY_FILE")]
    pub tls_key_file: Option<PathBuf>,

    /// PEM CA bundle that client certificates must chain to; enables mutual TLS.
    #[arg(long, env = "TLS_CLIENT_CA_FILE")]
    pub tls_client_ca_file: Option<PathBuf>,

    /// Refuse TLS connections without a client certificate. Set to false when some callers
    /// authenticate with ServiceAccount tokens only.
    #[arg(long, env = "TLS_REQUIRE_CLIENT_CERT", default_value_t = true, action = ArgAction::Set)]
    pub tls_require_client_cert: bool,

    /// Verify `authorization: Bearer` tokens with the Kubernetes TokenReview API.
    #[arg(long, env = "TOKEN_REVIEW", default_value_t = false, action = ArgAction::Set)]
    pub token_review: bool,

    /// Audiences a bearer token must be issued for (comma-separated); empty accepts the API
    /// server's default audiences.
    #[arg(long, env = "TOKEN_AUDIENCES", value_delimiter = ',')]
    pub token_audiences: Vec<String>,

    /// How long a token review verdict is reused, e.g. `60s`.
    #[arg(long, env = "TOKEN_CACHE_TTL", default_value = "60s", value_parser = parse_duration)]
    pub token_cache_ttl: Duration,

    /// YAML allow-list: per caller identity, the RPCs it may call and its fairness weight.
    #[arg(long, env = "ALLOW_LIST_FILE")]
    pub allow_list_file: Option<PathBuf>,

    /// How often the allow-list file is checked for changes (Kubernetes rotates mounted
    /// ConfigMaps in place), e.g. `10s`.
    #[arg(
        long,
        env = "CONFIG_RELOAD_INTERVAL",
        default_value = "10s",
        value_parser = parse_duration
    )]
    pub config_reload_interval: Duration,

    /// Serve plain-text gRPC to anyone, with every RPC allowed. Local development only: the
    /// gateway warns at start and on every health check.
    #[arg(long, env = "INSECURE_DEV_MODE", default_value_t = false)]
    pub insecure_dev_mode: bool,
}

/// Rate limits towards ECS.
#[derive(Debug, Clone, ClapArgs)]
pub struct LimitArgs {
    /// Account-wide ECS requests per second.
    #[arg(long, env = "ACCOUNT_RATE", default_value_t = limits::DEFAULT_ACCOUNT_RATE)]
    pub account_rate: f64,

    /// Account-wide burst after a quiet period.
    #[arg(long, env = "ACCOUNT_BURST", default_value_t = limits::DEFAULT_ACCOUNT_BURST)]
    pub account_burst: u32,

    /// Requests per second of an action without its own `--action-rate`.
    #[arg(long, env = "DEFAULT_ACTION_RATE", default_value_t = limits::DEFAULT_ACTION_RATE)]
    pub default_action_rate: f64,

    /// Per-action rate `Action=requests-per-second`, repeatable or comma-separated. Built-in:
    /// CreateSnapshot=5, CreateSnapshotGroup=2, CreateAutoSnapshotPolicy=2,
    /// DeleteAutoSnapshotPolicy=2; given values override those.
    #[arg(long, env = "ACTION_RATES", value_delimiter = ',', value_parser = parse_action_rate)]
    pub action_rate: Vec<(String, f64)>,

    /// Requests that may wait for admission at once; more are refused with
    /// RESOURCE_EXHAUSTED.
    #[arg(long, env = "QUEUE_CAPACITY", default_value_t = limits::DEFAULT_QUEUE_CAPACITY)]
    pub queue_capacity: usize,

    /// Requests one caller may have waiting at once, so that a flooding caller cannot fill the
    /// queue for everyone; more are refused with RESOURCE_EXHAUSTED.
    #[arg(
        long,
        env = "CALLER_QUEUE_CAPACITY",
        default_value_t = limits::DEFAULT_CALLER_QUEUE_CAPACITY
    )]
    pub caller_queue_capacity: usize,
}

impl LimitArgs {
    /// The limiter configuration.
    pub fn config(&self) -> LimitsConfig {
        let mut config = LimitsConfig {
            account_rate: self.account_rate,
            account_burst: self.account_burst,
            default_action_rate: self.default_action_rate,
            queue_capacity: self.queue_capacity,
            caller_queue_capacity: self.caller_queue_capacity,
            ..LimitsConfig::default()
        };
        config.action_rates.extend(self.action_rate.iter().cloned());
        config
    }
}

/// Retries of failed ECS requests.
#[derive(Debug, Clone, ClapArgs)]
pub struct RetryArgs {
    /// Repeats after a failed first attempt.
    #[arg(long, env = "RETRY_MAX", default_value_t = 4)]
    pub retry_max: usize,

    /// First backoff, e.g. `100ms`; doubles per repeat, with jitter.
    #[arg(long, env = "RETRY_MIN_DELAY", default_value = "100ms", value_parser = parse_duration)]
    pub retry_min_delay: Duration,

    /// Longest backoff, e.g. `5s`.
    #[arg(long, env = "RETRY_MAX_DELAY", default_value = "5s", value_parser = parse_duration)]
    pub retry_max_delay: Duration,

    /// Shortest backoff after ECS throttled, e.g. `500ms`.
    #[arg(
        long,
        env = "RETRY_THROTTLED_MIN_DELAY",
        default_value = "500ms",
        value_parser = parse_duration
    )]
    pub retry_throttled_min_delay: Duration,
}

impl RetryArgs {
    /// The retry configuration.
    pub fn config(&self) -> RetryConfig {
        RetryConfig {
            max_retries: self.retry_max,
            min_delay: self.retry_min_delay,
            max_delay: self.retry_max_delay,
            throttled_min_delay: self.retry_throttled_min_delay,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use clap::CommandFactory;

    #[test]
    fn the_flags_are_consistent() {
        Args::command().debug_assert();
    }

    #[test]
    fn action_rates_override_the_built_in_ones() {
        let args = Args::parse_from([
            "ecs-gateway",
            "--region",
            "cn-hangzhou",
            "--action-rate",
            "CreateSnapshot=1,DescribeDisks=3",
        ]);

        let config = args.limits.config();

        assert_eq!(config.action_rate("CreateSnapshot"), 1.0);
        assert_eq!(config.action_rate("DescribeDisks"), 3.0);
        assert_eq!(config.action_rate("CreateSnapshotGroup"), 2.0);
    }

    #[test]
    fn a_bad_action_rate_is_refused_with_the_flag_named() {
        let result = Args::try_parse_from([
            "ecs-gateway",
            "--region",
            "cn-hangzhou",
            "--action-rate",
            "CreateSnapshot",
        ]);

        let message = result.unwrap_err().to_string();
        assert!(message.contains("--action-rate"), "{message}");
    }
}
