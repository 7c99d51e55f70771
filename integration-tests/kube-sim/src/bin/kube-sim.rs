//! `kube-sim`: run the Kubernetes API simulator until interrupted.

use std::net::SocketAddr;
use std::path::PathBuf;
use std::time::Duration;

use clap::Parser;

/// A kube-apiserver stand-in that kubectl and kube-rs accept.
#[derive(Debug, Parser)]
#[command(name = "kube-sim", version)]
struct Args {
    /// Address to listen on; port 0 picks a free port.
    #[arg(long, env = "KUBE_SIM_LISTEN", default_value = "127.0.0.1:0")]
    listen: SocketAddr,
    /// Write a kubeconfig for the server to this file.
    #[arg(long, env = "KUBE_SIM_KUBECONFIG_OUT")]
    kubeconfig_out: Option<PathBuf>,
    /// Changes retained for watches and historical reads; older requests get 410 Gone.
    #[arg(long, env = "KUBE_SIM_HISTORY", default_value_t = 10_000)]
    history: usize,
    /// Keep objects in this file between runs (read at start, written on exit).
    #[arg(long, env = "KUBE_SIM_STATE_FILE")]
    state_file: Option<PathBuf>,
    /// Serve HTTPS with a generated CA (written into the kubeconfig).
    #[arg(long, env = "KUBE_SIM_TLS")]
    tls: bool,
    /// Require this bearer token on every request; the kubeconfig carries it.
    #[arg(long, env = "KUBE_SIM_TOKEN")]
    token: Option<String>,
    /// Authorize requests with RBAC (Roles, ClusterRoles and their bindings); the `--token`
    /// user keeps full access.
    #[arg(long, env = "KUBE_SIM_RBAC")]
    rbac: bool,
    /// Seconds between watch bookmarks.
    #[arg(long, env = "KUBE_SIM_BOOKMARK_SECONDS", default_value_t = 5)]
    bookmark_seconds: u64,
}

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    tracing_subscriber::fmt()
        .with_env_filter(
            tracing_subscriber::EnvFilter::try_from_default_env().unwrap_or_else(|_| "info".into()),
        )
        .init();
    let Args {
        listen,
        kubeconfig_out,
        history,
        state_file,
        tls,
        token,
        rbac,
        bookmark_seconds,
    } = Args::parse();
    let config = kube_sim::Config {
        listen,
        history_limit: history,
        bookmark_interval: Duration::from_secs(bookmark_seconds.max(1)),
        kubeconfig_out,
        state_file,
        tls,
        bearer_token: token,
        rbac,
        ..kube_sim::Config::default()
    };
    let handle = kube_sim::spawn(config).await?;
    println!("kube-sim listening on {}", handle.url);
    if let Some(path) = &handle.kubeconfig_path {
        println!("kubeconfig written to {}", path.display());
    }
    let mut terminate = tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate())?;
    tokio::select! {
        interrupted = tokio::signal::ctrl_c() => interrupted?,
        _ = terminate.recv() => {}
    }
    handle.shutdown().await;
    Ok(())
}
