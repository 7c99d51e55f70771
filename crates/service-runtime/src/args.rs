//! Argument groups every binary flattens into its own clap `Args`, each flag with an environment
//! variable so that a Helm chart can set it either way.
//!
//! ```
//! #[derive(clap::Parser)]
//! struct Args {
//!     #[command(flatten)]
//!     log: service_runtime::args::LogArgs,
//!     #[command(flatten)]
//!     admin: service_runtime::args::AdminArgs,
//! }
//! # use clap::Parser;
//! let args = Args::parse_from(["svc", "--log-format", "text"]);
//! assert_eq!(args.admin.admin_addr.port(), 9090);
//! ```

use std::{net::SocketAddr, path::PathBuf, time::Duration};

use clap::{Args, ValueEnum};

/// How log lines are written.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum LogFormat {
    /// One JSON object per line, for log collectors.
    Json,
    /// Human-readable lines, for terminals.
    Text,
}

/// `--log-level` / `LOG_LEVEL` and `--log-format` / `LOG_FORMAT`.
#[derive(Debug, Clone, Args)]
pub struct LogArgs {
    /// Log filter in tracing env-filter syntax, e.g. `info` or `info,kube=warn`.
    #[arg(long, env = "LOG_LEVEL", default_value = "info")]
    pub log_level: String,

    /// Log line format.
    #[arg(long, env = "LOG_FORMAT", value_enum, default_value_t = LogFormat::Json)]
    pub log_format: LogFormat,
}

impl Default for LogArgs {
    fn default() -> Self {
        Self {
            log_level: "info".to_owned(),
            log_format: LogFormat::Json,
        }
    }
}

/// `--admin-addr` / `ADMIN_ADDR` and `--drain-timeout` / `DRAIN_TIMEOUT`.
#[derive(Debug, Clone, Args)]
pub struct AdminArgs {
    /// Address of the admin server (`/metrics`, `/healthz`, `/readyz`, gRPC health).
    #[arg(long, env = "ADMIN_ADDR", default_value = "0.0.0.0:9090")]
    pub admin_addr: SocketAddr,

    /// How long in-flight work may take to finish after SIGTERM, e.g. `20s` or `1500ms`.
    #[arg(long, env = "DRAIN_TIMEOUT", default_value = "20s", value_parser = parse_duration)]
    pub drain_timeout: Duration,
}

impl Default for AdminArgs {
    fn default() -> Self {
        Self {
            admin_addr: SocketAddr::from(([0, 0, 0, 0], 9090)),
            drain_timeout: Duration::from_secs(20),
        }
    }
}

/// `--kubeconfig` / `KUBECONFIG` and `--kube-context` / `KUBE_CONTEXT`.
///
/// Without a kubeconfig the client uses the in-cluster service account, then the default
/// kubeconfig locations, as `kube::Config::infer` does.
#[derive(Debug, Clone, Default, Args)]
pub struct KubeArgs {
    /// Path of a kubeconfig file; unset inside a cluster.
    #[arg(long, env = "KUBECONFIG")]
    pub kubeconfig: Option<PathBuf>,

    /// Context of the kubeconfig to use (default: its current context).
    #[arg(long, env = "KUBE_CONTEXT")]
    pub kube_context: Option<String>,
}

/// Leader election on a `coordination.k8s.io/v1` Lease.
#[derive(Debug, Clone, Args)]
pub struct LeaderElectionArgs {
    /// Take part in leader election; with `false` this replica always acts as leader (one
    /// replica only, e.g. local runs).
    #[arg(long, env = "LEADER_ELECT", default_value_t = true, action = clap::ArgAction::Set)]
    pub leader_elect: bool,

    /// Name of the Lease (default: the service's name, chosen by the binary).
    #[arg(long, env = "LEASE_NAME")]
    pub lease_name: Option<String>,

    /// Namespace of the Lease; the Downward API's `metadata.namespace` fits.
    #[arg(long, env = "POD_NAMESPACE", default_value = "kube-system")]
    pub lease_namespace: String,

    /// This replica's identity in the Lease; the Downward API's `metadata.name` fits.
    #[arg(long, env = "POD_NAME")]
    pub leader_identity: Option<String>,

    /// How long a Lease stays held without renewal, e.g. `15s`.
    #[arg(long, env = "LEASE_DURATION", default_value = "15s", value_parser = parse_duration)]
    pub lease_duration: Duration,

    /// How long before expiry the holder renews, e.g. `5s`; must be shorter than the duration.
    #[arg(long, env = "LEASE_RENEW_GRACE", default_value = "5s", value_parser = parse_duration)]
    pub lease_renew_grace: Duration,
}

/// Parses `250ms`, `20s`, `5m` or `1h`; a bare number means seconds.
pub fn parse_duration(value: &str) -> Result<Duration, String> {
    let split = value
        .find(|c: char| !c.is_ascii_digit())
        .unwrap_or(value.len());
    let (digits, unit) = value.split_at(split);
    let amount: u64 = digits
        .parse()
        .map_err(|_| format!("{value:?} is not a duration such as 250ms, 20s, 5m or 1h"))?;
    let per_unit_ms = match unit {
        "ms" => 1,
        "" | "s" => 1_000,
        "m" => 60_000,
        "h" => 3_600_000,
        _ => return Err(format!("{value:?} has unit {unit:?}; use ms, s, m or h")),
    };
    amount
        .checked_mul(per_unit_ms)
        .map(Duration::from_millis)
        .ok_or_else(|| format!("{value:?} is too long"))
}

#[cfg(test)]
mod tests {
    use clap::Parser;

    use super::*;

    #[derive(Debug, Parser)]
    struct TestArgs {
        #[command(flatten)]
        log: LogArgs,
        #[command(flatten)]
        admin: AdminArgs,
        #[command(flatten)]
        kube: KubeArgs,
        #[command(flatten)]
        leader: LeaderElectionArgs,
    }

    #[test]
    fn defaults_parse_and_flags_override_them() {
        let args = TestArgs::try_parse_from(["svc"]).unwrap();
        assert_eq!(args.log.log_format, LogFormat::Json);
        assert_eq!(args.admin.drain_timeout, Duration::from_secs(20));
        assert!(args.leader.leader_elect);
        assert_eq!(args.leader.lease_duration, Duration::from_secs(15));

        let args = TestArgs::try_parse_from([
            "svc",
            "--log-format=text",
            "--admin-addr=127.0.0.1:0",
            "--leader-elect=false",
            "--lease-name=policy-listener",
            "--leader-identity=pod-a",
            "--drain-timeout=1500ms",
            "--kubeconfig=/tmp/kc",
        ])
        .unwrap();
        assert_eq!(args.log.log_format, LogFormat::Text);
        assert_eq!(args.admin.admin_addr.port(), 0);
        assert!(!args.leader.leader_elect);
        assert_eq!(args.leader.leader_identity.as_deref(), Some("pod-a"));
        assert_eq!(args.admin.drain_timeout, Duration::from_millis(1500));
        assert_eq!(args.kube.kubeconfig, Some(PathBuf::from("/tmp/kc")));
    }

    #[test]
    fn bad_values_name_the_flag() {
        let err = TestArgs::try_parse_from(["svc", "--drain-timeout=soon"]).unwrap_err();
        let text = err.to_string();
        assert!(
            text.contains("--drain-timeout") && text.contains("\"soon\""),
            "{text}"
        );
        let err = TestArgs::try_parse_from(["svc", "--log-format=xml"]).unwrap_err();
        assert!(err.to_string().contains("--log-format"), "{err}");
    }

    #[test]
    fn durations_accept_common_units_only() {
        assert_eq!(parse_duration("250ms"), Ok(Duration::from_millis(250)));
        assert_eq!(parse_duration("7"), Ok(Duration::from_secs(7)));
        assert_eq!(parse_duration("5m"), Ok(Duration::from_secs(300)));
        assert_eq!(parse_duration("1h"), Ok(Duration::from_secs(3600)));
        assert!(parse_duration("1d").unwrap_err().contains("unit \"d\""));
        assert!(parse_duration("").is_err());
        assert!(parse_duration(&format!("{}h", u64::MAX)).is_err());
    }
}
