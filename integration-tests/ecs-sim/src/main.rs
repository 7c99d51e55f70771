//! `ecs-sim`: run the ECS simulator as a process. Prints its settings and the bound address,
//! and writes the address to `--ready-file` once it accepts connections.

use std::path::PathBuf;

use anyhow::Context;
use clap::Parser;
use ecs_sim::{AccountMode, SimConfig};

#[derive(Debug, Parser)]
#[command(
    name = "ecs-sim",
    about = "Alibaba Cloud ECS OpenAPI simulator for tests and demos"
)]
struct Args {
    /// Address to listen on; port 0 picks a free port.
    #[arg(long, env = "ECS_SIM_LISTEN", default_value = "127.0.0.1:0")]
    listen: String,
    /// File that receives `host:port` once the simulator accepts connections.
    #[arg(long, env = "ECS_SIM_READY_FILE")]
    ready_file: Option<PathBuf>,
    /// YAML or JSON file with a full `SimConfig` (see the README); flags below override it.
    #[arg(long, env = "ECS_SIM_CONFIG")]
    config: Option<PathBuf>,
    /// Comma-separated region IDs; the first is the default.
    #[arg(long, env = "ECS_SIM_REGIONS", value_delimiter = ',')]
    regions: Option<Vec<String>>,
    /// AccessKey ID accepted for signed calls (replaces the configured keys with one pair).
    #[arg(long, env = "ECS_SIM_ACCESS_KEY_ID", requires = "access_key_secret")]
    access_key_id: Option<String>,
    #[arg(
        long,
        env = "ECS_SIM_ACCESS_KEY_SECRET",
        requires = "access_key_id",
        hide_env_values = true
    )]
    access_key_secret: Option<String>,
    /// classic (one policy per disk, Apply replaces) or upgraded (several, Apply adds).
    #[arg(long, env = "ECS_SIM_ACCOUNT_MODE", value_parser = parse_mode)]
    account_mode: Option<AccountMode>,
    /// Virtual seconds from snapshot creation to `accomplished`.
    #[arg(long, env = "ECS_SIM_SNAPSHOT_SECONDS")]
    snapshot_seconds: Option<u64>,
    /// Virtual clock start (RFC 3339); real time when absent.
    #[arg(long, env = "ECS_SIM_CLOCK_START")]
    clock_start: Option<jiff::Timestamp>,
    /// Virtual seconds per real second (0: only the admin API moves the clock; 60: an hourly
    /// policy fires every minute, for demos).
    #[arg(long, env = "ECS_SIM_CLOCK_RATE")]
    clock_rate: Option<f64>,
    /// Log filter (tracing-subscriber syntax).
    #[arg(long, env = "ECS_SIM_LOG", default_value = "info")]
    log: String,
}

fn parse_mode(text: &str) -> Result<AccountMode, String> {
    match text {
        "classic" => Ok(AccountMode::Classic),
        "upgraded" => Ok(AccountMode::Upgraded),
        other => Err(format!("{other:?} is not classic or upgraded")),
    }
}

impl Args {
    fn into_config(self) -> anyhow::Result<(SimConfig, String, Option<PathBuf>)> {
        let Self {
            listen,
            ready_file,
            config,
            regions,
            access_key_id,
            access_key_secret,
            account_mode,
            snapshot_seconds,
            clock_start,
            clock_rate,
            log: _,
        } = self;
        let mut sim = match &config {
            Some(path) => SimConfig::from_file(path)?,
            None => SimConfig::default(),
        };
        if let Some(regions) = regions {
            sim.regions = regions;
        }
        if let (Some(id), Some(secret)) = (access_key_id, access_key_secret) {
            sim.access_keys = vec![ecs_sim::AccessKey { id, secret }];
        }
        if let Some(mode) = account_mode {
            sim.account.mode = mode;
        }
        if let Some(seconds) = snapshot_seconds {
            sim.timing.snapshot_completion_seconds = seconds;
        }
        if let Some(rate) = clock_rate {
            sim.timing.clock_rate = rate;
        }
        if clock_start.is_some() {
            sim.timing.clock_start = clock_start;
        }
        sim.validate()?;
        Ok((sim, listen, ready_file))
    }
}

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    let args = Args::parse();
    tracing_subscriber::fmt()
        .with_env_filter(tracing_subscriber::EnvFilter::try_new(&args.log)?)
        .with_writer(std::io::stderr)
        .init();
    let (config, listen, ready_file) = args.into_config()?;

    let handle = ecs_sim::spawn_on(config.clone(), &listen).await?;
    print_banner(&config, &handle);
    if let Some(path) = ready_file {
        write_ready_file(&path, &handle.endpoint())?;
    }

    tokio::signal::ctrl_c()
        .await
        .context("waiting for Ctrl-C")?;
    handle.shutdown().await;
    Ok(())
}

fn print_banner(config: &SimConfig, handle: &ecs_sim::SimHandle) {
    let keys: Vec<&str> = config.access_keys.iter().map(|k| k.id.as_str()).collect();
    println!("ecs-sim listening on {}", handle.endpoint());
    println!(
        "  ECS/STS endpoint : {} (plain HTTP, path /)",
        handle.base_url()
    );
    println!("  admin API        : {}/_sim/", handle.base_url());
    println!(
        "  metadata service : {}/latest/meta-data/",
        handle.base_url()
    );
    println!("  regions          : {}", config.regions.join(","));
    println!("  access key ids   : {}", keys.join(","));
    if config
        .access_keys
        .iter()
        .any(|k| k.id == ecs_sim::DEFAULT_ACCESS_KEY_ID)
    {
        println!(
            "  default secret   : {}",
            ecs_sim::DEFAULT_ACCESS_KEY_SECRET
        );
    }
    println!("  account mode     : {:?}", config.account.mode);
    println!(
        "  snapshot seconds : {}",
        config.timing.snapshot_completion_seconds
    );
    println!(
        "  actions          : {}",
        ecs_sim::simulated_actions().join(",")
    );
}

/// Writes atomically (temp file + rename) so a watcher never reads a half-written address.
fn write_ready_file(path: &std::path::Path, endpoint: &str) -> anyhow::Result<()> {
    let temp = path.with_extension("tmp");
    std::fs::write(&temp, endpoint).with_context(|| format!("writing {}", temp.display()))?;
    std::fs::rename(&temp, path).with_context(|| format!("renaming to {}", path.display()))?;
    Ok(())
}
