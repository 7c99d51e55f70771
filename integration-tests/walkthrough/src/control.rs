//! Process control for the fault scenarios: kill a service with SIGKILL, start it again with
//! the same flags and ports (as a container restart in the same pod would: same `POD_NAME`,
//! so the same leader-election identity), and check who is alive.
//!
//! Must not touch: how the environment is set up ([`crate::environment`]); this only acts on
//! the processes it started.

use std::time::Duration;

use crate::process::Service;
use crate::{Environment, WalkthroughError};

/// How long a restarted service gets to answer its readiness probe.
pub const RESTART_READY_TIMEOUT: Duration = Duration::from_secs(30);

impl Environment {
    /// The service called `name` (a component of the chart, `kube-sim`, `ecs-sim` or
    /// `ssm-cluster-standins`).
    ///
    /// # Errors
    /// [`WalkthroughError::UnknownService`] when no such process was started.
    pub fn service(&self, name: &str) -> Result<&Service, WalkthroughError> {
        self.services
            .iter()
            .find(|s| s.name == name)
            .ok_or_else(|| self.unknown(name))
    }

    fn service_mut(&mut self, name: &str) -> Result<&mut Service, WalkthroughError> {
        let index = self.services.iter().position(|s| s.name == name);
        match index {
            Some(index) => Ok(&mut self.services[index]),
            None => Err(self.unknown(name)),
        }
    }

    fn unknown(&self, name: &str) -> WalkthroughError {
        WalkthroughError::UnknownService {
            name: name.to_owned(),
            known: self.services.iter().map(|s| s.name.clone()).collect(),
        }
    }

    /// Kills `name` with SIGKILL and waits until it is gone. Its work in flight is lost, as
    /// when a node dies; nothing is drained or released.
    pub async fn kill(&mut self, name: &str) -> Result<(), WalkthroughError> {
        self.service_mut(name)?.stop().await;
        Ok(())
    }

    /// Starts a killed `name` again and waits until it is ready.
    ///
    /// # Errors
    /// When it is still running, or not ready within [`RESTART_READY_TIMEOUT`].
    pub async fn restart(&mut self, name: &str) -> Result<(), WalkthroughError> {
        self.service_mut(name)?.restart(RESTART_READY_TIMEOUT).await
    }

    /// Names of the services that have exited on their own (crashed) since they were started,
    /// with the reason; a service killed by [`Environment::kill`] and not yet restarted is not
    /// counted.
    pub fn crashed(&mut self) -> Vec<String> {
        self.services
            .iter_mut()
            .filter_map(|s| s.check_alive().err())
            .map(|e| e.to_string())
            .collect()
    }
}
