//! `ecs-gateway`: see `ecs-gateway --help` and the crate documentation.

use clap::Parser;
use ecs_gateway::args::Args;

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    ecs_gateway::app::run(Args::parse()).await
}
