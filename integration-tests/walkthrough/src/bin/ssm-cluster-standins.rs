//! `ssm-cluster-standins`: the simulated cluster's stand-ins for external-snapshotter, the CSI
//! provisioner and the PV binder (see `walkthrough::standins`). Never part of the chart.

use std::path::PathBuf;
use std::time::Duration;

use clap::Parser;
use walkthrough::standins::{self, Cluster};

/// Runs the stand-ins against kube-sim and ecs-sim until interrupted.
#[derive(Debug, Parser)]
#[command(name = "ssm-cluster-standins", version)]
struct Args {
    /// kubeconfig of the Kubernetes API simulator.
    #[arg(long, env = "KUBECONFIG")]
    kubeconfig: PathBuf,
    /// Base URL of the ECS simulator (its admin API is under `/_sim/`).
    #[arg(long, env = "ECS_SIM_URL")]
    ecs_sim_url: String,
    /// Milliseconds between passes.
    #[arg(long, default_value_t = 300)]
    interval_ms: u64,
    /// Written once the clients are up.
    #[arg(long)]
    ready_file: Option<PathBuf>,
}

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    tracing_subscriber::fmt()
        .with_env_filter(
            tracing_subscriber::EnvFilter::try_from_default_env().unwrap_or_else(|_| "info".into()),
        )
        .init();
    let _ = rustls::crypto::ring::default_provider().install_default();
    let Args {
        kubeconfig,
        ecs_sim_url,
        interval_ms,
        ready_file,
    } = Args::parse();

    let kube = walkthrough::environment::kube_client(&kubeconfig).await?;
    let ecs_api = standins::ecs_api(&ecs_sim_url)?;
    let ecs = ecs_sim::AdminClient::new(ecs_sim_url);
    ecs.state().await?;
    if let Some(path) = ready_file {
        std::fs::write(&path, "ready\n")?;
    }
    tracing::info!("stand-ins running");

    let cluster = Cluster { kube, ecs, ecs_api };
    tokio::select! {
        () = standins::run(cluster, Duration::from_millis(interval_ms)) => {}
        _ = tokio::signal::ctrl_c() => {}
    }
    Ok(())
}
