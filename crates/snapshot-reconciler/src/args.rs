//! `snapshot-reconciler` flags: the shared runtime and controller groups (chart contract in
//! `charts/storage-snapshot-manager/README.md`) plus the reconciler's own.

use std::time::Duration;

use clap::Parser;
use controller_support::args::ControllerArgs;
use service_runtime::args::{AdminArgs, KubeArgs, LeaderElectionArgs, LogArgs, parse_duration};
use snapshot_k8s::upstream::DeletionPolicy;

/// Imports finished ECS snapshots of the disks VolumeSnapshotPolicies select as pre-provisioned
/// VolumeSnapshots, and removes them when ECS no longer has the snapshot.
#[derive(Debug, Clone, Parser)]
#[command(name = "snapshot-reconciler", version)]
pub struct Args {
    /// VolumeSnapshotClass named by every imported VolumeSnapshot and content.
    #[arg(long, env = "SNAPSHOT_CLASS", default_value = "default-snapclass",
          value_parser = parse_class)]
    pub snapshot_class: String,

    /// Deletion policy of a snapshot imported into a single namespace when the class does not
    /// exist or names no known policy: `Delete` or `Retain`. Snapshots imported into several
    /// namespaces are always `Retain`.
    #[arg(long, env = "DEFAULT_DELETION_POLICY", default_value = "Delete",
          value_parser = parse_deletion_policy)]
    pub default_deletion_policy: DeletionPolicy,

    /// How often new snapshots are looked for (incremental pass), e.g. `30s`.
    #[arg(long, env = "POLL_INTERVAL", default_value = "30s", value_parser = parse_duration)]
    pub poll_interval: Duration,

    /// How often every snapshot of the region is listed (full pass: finds deleted snapshots and
    /// repairs interrupted imports), e.g. `10m`.
    #[arg(long, env = "FULL_RESYNC_INTERVAL", default_value = "10m",
          value_parser = parse_duration)]
    pub full_resync_interval: Duration,

    #[command(flatten)]
    pub controller: ControllerArgs,

    #[command(flatten)]
    pub kube: KubeArgs,

    #[command(flatten)]
    pub leader: LeaderElectionArgs,

    #[command(flatten)]
    pub log: LogArgs,

    #[command(flatten)]
    pub admin: AdminArgs,
}

fn parse_deletion_policy(value: &str) -> Result<DeletionPolicy, String> {
    crate::deletion::parse(value)
        .ok_or_else(|| format!("{value:?} is not a deletion policy (Delete or Retain)"))
}

fn parse_class(value: &str) -> Result<String, String> {
    let ok = !value.is_empty()
        && value.len() <= 253
        && value
            .bytes()
            .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-' || b == b'.')
        && value.starts_with(|c: char| c.is_ascii_alphanumeric())
        && value.ends_with(|c: char| c.is_ascii_alphanumeric());
    ok.then(|| value.to_owned())
        .ok_or_else(|| format!("{value:?} is not a VolumeSnapshotClass name (a DNS subdomain)"))
}

#[cfg(test)]
mod tests {
    use super::*;

    const BASE: [&str; 4] = [
        "snapshot-reconciler",
        "--cluster-id=c1",
        "--region=cn-hangzhou",
        "--gateway-endpoint=https://gw:8443",
    ];

    #[test]
    fn defaults_follow_the_chart_contract() {
        let args = Args::try_parse_from(BASE).unwrap();
        assert_eq!(args.snapshot_class, "default-snapclass");
        assert_eq!(args.default_deletion_policy, DeletionPolicy::Delete);
        assert_eq!(args.poll_interval, Duration::from_secs(30));
        assert_eq!(args.full_resync_interval, Duration::from_secs(600));
        assert_eq!(
            args.controller.csi_drivers,
            ["diskplugin.csi.alibabacloud.com"]
        );
    }

    #[test]
    fn accepts_every_flag_the_chart_passes() {
        let mut argv = BASE.to_vec();
        argv.extend([
            "--snapshot-class=alibabacloud-disk",
            "--default-deletion-policy=Retain",
            "--gateway-ca-file=/tls/ca.crt",
            "--gateway-cert-file=/tls/tls.crt",
            "--gateway-key-file=/tls/tls.key",
            "--gateway-token-file=/token",
            "--lease-name=rel-snapshot-reconciler",
            "--lease-namespace=kube-system",
            "--default-time-zone=Europe/Berlin",
            "--csi-driver=a.example.com",
            "--csi-driver=b.example.com",
            "--admin-addr=0.0.0.0:9090",
            "--log-format=text",
            "--log-level=debug",
        ]);
        let args = Args::try_parse_from(argv).unwrap();
        assert_eq!(args.snapshot_class, "alibabacloud-disk");
        assert_eq!(args.default_deletion_policy, DeletionPolicy::Retain);
        assert_eq!(
            args.controller.csi_drivers,
            ["a.example.com", "b.example.com"]
        );
    }

    #[test]
    fn an_unknown_deletion_policy_is_refused_with_its_value() {
        let mut argv = BASE.to_vec();
        argv.push("--default-deletion-policy=Recycle");
        let error = Args::try_parse_from(argv).unwrap_err().to_string();
        assert!(
            error.contains("Recycle") && error.contains("Delete or Retain"),
            "{error}"
        );
    }

    #[test]
    fn a_bad_class_is_refused_with_its_name() {
        let mut argv = BASE.to_vec();
        argv.push("--snapshot-class=Not_A_Name");
        let error = Args::try_parse_from(argv).unwrap_err().to_string();
        assert!(error.contains("Not_A_Name"), "{error}");
    }
}
