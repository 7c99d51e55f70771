//! The cloud side of a test: ecs-sim and the real ecs-gateway in front of it.
//!
//! - [`seed`]: what the simulator holds at start;
//! - [`options`]: how the gateway is configured, with the callers the default allow-list knows;
//! - [`gateway_server`]: the running gateway and clients to reach it;
//! - [`ecs`]: the production ECS client and backend pointed at the simulator;
//! - [`policies`]: ECS automatic snapshot policies made through the gateway, standing in for
//!   the controller a suite does not run.

pub mod ecs;
pub mod gateway_server;
pub mod options;
pub mod policies;
pub mod seed;

use std::ops::{ControlFlow, Deref};

use ecs_sim::{SimHandle, StateDump};

use crate::waiting::{Poll, eventually};

pub use gateway_server::GatewayServer;
pub use options::{ADMIN, CloudOptions, CredentialsFactory, DEFAULT_ALLOW_LIST, READER};
pub use seed::{DISKS, INSTANCE, REGION, ZONE};

/// A simulator and a gateway serving it.
///
/// Derefs to its [`GatewayServer`], so a test reads `world.client(ADMIN)`. Destructure it
/// (`let CloudWorld { sim, gateway } = ...`) to keep the two apart.
pub struct CloudWorld {
    pub sim: SimHandle,
    pub gateway: GatewayServer,
}

impl CloudWorld {
    /// The [`seed::standard`] world behind a gateway with default (mutual TLS) options.
    pub async fn start() -> Self {
        Self::start_with(CloudOptions::default()).await
    }

    /// A simulator holding `options.sim` behind a gateway configured by `options`.
    pub async fn start_with(mut options: CloudOptions) -> Self {
        let seed = std::mem::take(&mut options.sim);
        let sim = ecs_sim::spawn(seed)
            .await
            .unwrap_or_else(|e| panic!("ecs-sim does not start: {e}"));
        let gateway = GatewayServer::start(&sim, options).await;
        Self { sim, gateway }
    }

    /// Stops the gateway, letting calls in flight finish; returns the server's result.
    pub async fn stop(self) -> Result<(), ecs_gateway::Error> {
        self.gateway.stop().await
    }
}

impl Deref for CloudWorld {
    type Target = GatewayServer;

    fn deref(&self) -> &GatewayServer {
        &self.gateway
    }
}

/// Waits until `check` holds for the simulator's state and returns that state; the failure
/// message names `what` and shows the state last read.
pub async fn wait_state(
    sim: &SimHandle,
    what: &str,
    poll: Poll,
    check: impl Fn(&StateDump) -> bool,
) -> StateDump {
    eventually(what, poll, async || {
        let state = sim.admin().state().await;
        let state = state.unwrap_or_else(|e| panic!("ecs-sim state cannot be read: {e}"));
        match check(&state) {
            true => ControlFlow::Break(state),
            false => ControlFlow::Continue(state),
        }
    })
    .await
}
