//! pvc-reconciler's own flags; the shared ones come from `service_runtime::args` and
//! `controller_support::args`. The chart passes none of these: operators set them through
//! `pvcReconciler.extraArgs`.

use std::time::Duration;

use clap::{Args, ValueEnum};
use service_runtime::args::parse_duration;

/// How the ECS account treats a second automatic snapshot policy on a disk.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum AccountMode {
    /// One policy per disk; applying another replaces it (the ECS default).
    Classic,
    /// Up to 10 policies per disk (allow-listed accounts); applying adds.
    Upgraded,
}

/// Behaviour and timing of the reconciler.
#[derive(Debug, Clone, Args)]
pub struct ReconcilerArgs {
    /// How this Alibaba Cloud account treats several automatic snapshot policies on one disk:
    /// `classic` (Apply replaces) or `upgraded` (Apply adds). Must match the account: it
    /// decides whether a replaced policy must also be cancelled.
    #[arg(long, env = "ECS_ACCOUNT_MODE", value_enum, default_value = "classic")]
    pub ecs_account_mode: AccountMode,

    /// Replace (classic) or cancel (upgraded) automatic snapshot policies that this cluster
    /// did not create on disks a VolumeSnapshotPolicy selects. Off: such disks are left
    /// alone and reported.
    #[arg(long, env = "TAKE_OVER_FOREIGN_POLICIES", default_value_t = false,
          action = clap::ArgAction::Set, num_args = 0..=1, default_missing_value = "true")]
    pub take_over_foreign_policies: bool,

    /// How often every managed disk is compared with ECS and drift is repaired, e.g. `10m`.
    /// Between resyncs, only disks whose desired policy changed are read from ECS.
    #[arg(long, env = "RESYNC_PERIOD", default_value = "10m", value_parser = parse_duration)]
    pub resync_period: Duration,

    /// How long to collect watch events before a pass, e.g. `200ms`, so that a burst of
    /// changes (1,000 PVCs created at once) costs one pass and full batches.
    #[arg(long, env = "BATCH_DELAY", default_value = "200ms", value_parser = parse_duration)]
    pub batch_delay: Duration,
}

impl Default for ReconcilerArgs {
    fn default() -> Self {
        Self {
            ecs_account_mode: AccountMode::Classic,
            take_over_foreign_policies: false,
            resync_period: Duration::from_secs(600),
            batch_delay: Duration::from_millis(200),
        }
    }
}

#[cfg(test)]
mod tests {
    use clap::Parser;

    use super::*;

    #[derive(Debug, Parser)]
    struct TestArgs {
        #[command(flatten)]
        args: ReconcilerArgs,
    }

    #[test]
    fn defaults_and_values_parse() {
        let args = TestArgs::try_parse_from(["x"]).unwrap().args;
        assert_eq!(args.ecs_account_mode, AccountMode::Classic);
        assert!(!args.take_over_foreign_policies);
        assert_eq!(args.resync_period, Duration::from_secs(600));

        let argv = [
            "x",
            "--ecs-account-mode=upgraded",
            "--take-over-foreign-policies",
            "--resync-period=90s",
        ];
        let args = TestArgs::try_parse_from(argv).unwrap().args;
        assert_eq!(args.ecs_account_mode, AccountMode::Upgraded);
        assert!(args.take_over_foreign_policies);
        assert_eq!(args.resync_period, Duration::from_secs(90));
    }

    #[test]
    fn bad_values_name_the_flag() {
        let err = TestArgs::try_parse_from(["x", "--ecs-account-mode=double"])
            .unwrap_err()
            .to_string();
        assert!(
            err.contains("--ecs-account-mode") && err.contains("double"),
            "{err}"
        );
        let err = TestArgs::try_parse_from(["x", "--resync-period=soon"])
            .unwrap_err()
            .to_string();
        assert!(err.contains("--resync-period"), "{err}");
    }
}
