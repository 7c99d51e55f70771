//! policy-listener's own flags; the shared ones come from `service_runtime::args` and
//! `controller_support::args`.

use std::time::Duration;

use clap::Args;
use service_runtime::args::parse_duration;

/// Timing of reconciles.
#[derive(Debug, Clone, Args)]
pub struct TimingArgs {
    /// Longest time between two reconciles of one policy, e.g. `10m`: drift in ECS (a policy
    /// changed or deleted by hand) is repaired at least this often.
    #[arg(long, env = "RESYNC_PERIOD", default_value = "10m", value_parser = parse_duration)]
    pub resync_period: Duration,

    /// How often the progress of one-off snapshots is polled while ECS takes them, e.g. `15s`.
    #[arg(long, env = "SNAPSHOT_POLL_INTERVAL", default_value = "15s",
          value_parser = parse_duration)]
    pub snapshot_poll_interval: Duration,
}

impl Default for TimingArgs {
    fn default() -> Self {
        Self {
            resync_period: Duration::from_secs(600),
            snapshot_poll_interval: Duration::from_secs(15),
        }
    }
}
