//! The flags every controller takes, as the chart passes them (see the deployment contract in
//! `charts/storage-snapshot-manager/README.md`). Each has an environment variable too.
//!
//! ```
//! #[derive(clap::Parser)]
//! struct Args {
//!     #[command(flatten)]
//!     controller: controller_support::args::ControllerArgs,
//! }
//! # use clap::Parser;
//! let args = Args::parse_from([
//!     "svc", "--cluster-id=c1", "--region=cn-hangzhou",
//!     "--gateway-endpoint=https://gw:8443", "--csi-driver=a", "--csi-driver=b",
//! ]);
//! assert_eq!(args.controller.cluster_id.as_str(), "c1");
//! assert_eq!(args.controller.csi_drivers, ["a", "b"]);
//! ```

use std::{path::PathBuf, time::Duration};

use clap::Args;
use service_runtime::args::parse_duration;
use snapshot_domain::{ecs_naming::ClusterId, schedule::ScheduleZone};

/// The Alibaba Cloud disk CSI driver, the default of `--csi-driver`.
pub const DEFAULT_CSI_DRIVER: &str = "diskplugin.csi.alibabacloud.com";

/// Cluster identity, region, defaults for policies, and the gateway connection.
#[derive(Debug, Clone, Args)]
pub struct ControllerArgs {
    /// ID of this cluster; part of every ECS name and tag, so installations sharing an
    /// account never touch each other's objects. Never change it on a running installation.
    #[arg(long, env = "CLUSTER_ID", value_parser = parse_cluster_id)]
    pub cluster_id: ClusterId,

    /// Alibaba Cloud region of the cluster's disks, e.g. `cn-hangzhou`; must be the region the
    /// gateway serves.
    #[arg(long, env = "REGION", value_parser = parse_region)]
    pub region: String,

    /// IANA time zone of a policy's hours when the policy names none.
    #[arg(long, env = "DEFAULT_TIME_ZONE", default_value = "Asia/Shanghai",
          value_parser = parse_zone)]
    pub default_time_zone: ScheduleZone,

    /// CSI driver whose PersistentVolumes count as managed cloud disks; repeat the flag for
    /// several (env: comma-separated).
    #[arg(long = "csi-driver", env = "CSI_DRIVERS", value_delimiter = ',',
          default_value = DEFAULT_CSI_DRIVER)]
    pub csi_drivers: Vec<String>,

    #[command(flatten)]
    pub gateway: GatewayArgs,
}

/// How to reach the ecs-gateway: endpoint, mutual-TLS files, optional bearer token file.
#[derive(Debug, Clone, Args)]
pub struct GatewayArgs {
    /// Gateway URL, `https://host:port` (or `http://` only against a development gateway).
    #[arg(long, env = "GATEWAY_ENDPOINT")]
    pub gateway_endpoint: String,

    /// PEM file of the CA that signed the gateway's certificate.
    #[arg(long, env = "GATEWAY_CA_FILE")]
    pub gateway_ca_file: Option<PathBuf>,

    /// PEM file of this controller's client certificate; re-read when it changes.
    #[arg(long, env = "GATEWAY_CERT_FILE", requires = "gateway_key_file")]
    pub gateway_cert_file: Option<PathBuf>,

    /// PEM file of this controller's client key; re-read when it changes.
    #[arg(long, env = "GATEWAY_KEY_FILE", requires = "gateway_cert_file")]
    pub gateway_key_file: Option<PathBuf>,

    /// File holding a bearer token (projected ServiceAccount token) sent with every call;
    /// re-read every minute, so kubelet rotation needs no restart.
    #[arg(long, env = "GATEWAY_TOKEN_FILE")]
    pub gateway_token_file: Option<PathBuf>,

    /// Name to verify the gateway's certificate against, when it differs from the endpoint's
    /// host.
    #[arg(long, env = "GATEWAY_TLS_SERVER_NAME")]
    pub gateway_tls_server_name: Option<String>,

    /// How long connecting to the gateway may take, e.g. `5s`.
    #[arg(long, env = "GATEWAY_CONNECT_TIMEOUT", default_value = "5s",
          value_parser = parse_duration)]
    pub gateway_connect_timeout: Duration,

    /// Deadline of each gateway call, e.g. `30s`; the gateway queues within it.
    #[arg(long, env = "GATEWAY_CALL_TIMEOUT", default_value = "30s",
          value_parser = parse_duration)]
    pub gateway_call_timeout: Duration,
}

fn parse_cluster_id(value: &str) -> Result<ClusterId, String> {
    ClusterId::new(value).map_err(|e| e.to_string())
}

fn parse_zone(value: &str) -> Result<ScheduleZone, String> {
    ScheduleZone::named(value).map_err(|e| e.to_string())
}

fn parse_region(value: &str) -> Result<String, String> {
    let ok = !value.is_empty()
        && value.len() <= 64
        && value
            .bytes()
            .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-');
    ok.then(|| value.to_owned())
        .ok_or_else(|| format!("{value:?} is not a region ID such as \"cn-hangzhou\""))
}

#[cfg(test)]
mod tests {
    use clap::Parser;

    use super::*;

    #[derive(Debug, Parser)]
    struct TestArgs {
        #[command(flatten)]
        controller: ControllerArgs,
    }

    const BASE: [&str; 4] = [
        "svc",
        "--cluster-id=c0123",
        "--region=cn-hangzhou",
        "--gateway-endpoint=https://gw.kube-system.svc:8443",
    ];

    #[test]
    fn chart_flags_parse_with_defaults() {
        let args = TestArgs::try_parse_from(BASE).unwrap().controller;
        assert_eq!(args.cluster_id.as_str(), "c0123");
        assert_eq!(args.default_time_zone.name(), "Asia/Shanghai");
        assert_eq!(args.csi_drivers, [DEFAULT_CSI_DRIVER]);
        assert_eq!(args.gateway.gateway_call_timeout, Duration::from_secs(30));

        let mut argv = BASE.to_vec();
        argv.extend([
            "--default-time-zone=Europe/Berlin",
            "--csi-driver=a.csi",
            "--csi-driver=b.csi",
            "--gateway-ca-file=/tls/ca.crt",
            "--gateway-cert-file=/tls/tls.crt",
            "--gateway-key-file=/tls/tls.key",
            "--gateway-token-file=/token",
        ]);
        let args = TestArgs::try_parse_from(argv).unwrap().controller;
        assert_eq!(args.default_time_zone.name(), "Europe/Berlin");
        assert_eq!(args.csi_drivers, ["a.csi", "b.csi"]);
        assert_eq!(
            args.gateway.gateway_key_file,
            Some(PathBuf::from("/tls/tls.key"))
        );
    }

    #[test]
    fn bad_values_name_the_flag_and_the_value() {
        let bad = |extra: &str| {
            let mut argv = BASE.to_vec();
            argv.push(extra);
            TestArgs::try_parse_from(argv).unwrap_err().to_string()
        };
        let err = bad("--default-time-zone=Mars/Olympus");
        assert!(
            err.contains("--default-time-zone") && err.contains("Mars/Olympus"),
            "{err}"
        );
        let argv = [
            "svc",
            "--cluster-id=Upper_Case",
            "--region=r",
            "--gateway-endpoint=x",
        ];
        let err = TestArgs::try_parse_from(argv).unwrap_err().to_string();
        assert!(
            err.contains("--cluster-id") && err.contains("Upper_Case"),
            "{err}"
        );
        let err = bad("--gateway-cert-file=/tls/tls.crt");
        assert!(err.contains("--gateway-key-file"), "{err}");
    }
}
