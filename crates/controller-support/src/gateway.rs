//! The controllers' connection to the ecs-gateway, built from [`GatewayArgs`].
//!
//! # Guarantees
//! - Opening never waits for the gateway: a controller starts (and reports ready as a standby)
//!   while the gateway is down; calls fail with UNAVAILABLE until it is back.
//! - The TLS files are checked before every [`Gateway::client`]; when cert-manager has replaced
//!   one, the next call uses a new channel built from the new files. A half-written or broken
//!   replacement is reported and the previous channel is kept.
//! - Every request made with [`Gateway::request`] carries the configured call deadline, so the
//!   gateway's queue can refuse early instead of letting a reconcile hang.

use std::{
    path::PathBuf,
    sync::Mutex,
    time::{Duration, SystemTime},
};

use ecs_gateway_api::{ConnectConfig, GatewayClient};
use tracing::{info, warn};

use crate::{SupportError, args::GatewayArgs};

/// A gateway client factory that follows certificate rotation.
#[derive(Debug)]
pub struct Gateway {
    config: ConnectConfig,
    call_timeout: Duration,
    current: Mutex<Current>,
}

#[derive(Debug)]
struct Current {
    client: GatewayClient,
    stamps: Vec<Option<SystemTime>>,
}

impl Gateway {
    /// Prepares the connection (reading the TLS files) without connecting.
    ///
    /// # Errors
    /// [`SupportError::Gateway`] for an invalid endpoint, unreadable or inconsistent TLS files.
    pub fn open(args: &GatewayArgs) -> Result<Self, SupportError> {
        let config = ConnectConfig {
            endpoint: args.gateway_endpoint.clone(),
            ca_file: args.gateway_ca_file.clone(),
            cert_file: args.gateway_cert_file.clone(),
            key_file: args.gateway_key_file.clone(),
            tls_server_name: args.gateway_tls_server_name.clone(),
            token_file: args.gateway_token_file.clone(),
            connect_timeout: Some(args.gateway_connect_timeout),
        };
        Self::from_config(config, args.gateway_call_timeout)
    }

    /// As [`Gateway::open`], from a ready [`ConnectConfig`] (tests, other tools).
    pub fn from_config(
        config: ConnectConfig,
        call_timeout: Duration,
    ) -> Result<Self, SupportError> {
        let stamps = stamps(&config);
        let client = config.connect_lazy()?;
        info!(endpoint = %config.endpoint, "gateway connection prepared");
        Ok(Self {
            config,
            call_timeout,
            current: Mutex::new(Current { client, stamps }),
        })
    }

    /// A client for the next call(s); cheap (clones a channel handle).
    pub fn client(&self) -> GatewayClient {
        let mut current = self.current.lock().unwrap_or_else(|p| p.into_inner());
        let now = stamps(&self.config);
        if now != current.stamps {
            match self.config.connect_lazy() {
                Ok(client) => {
                    let endpoint = &self.config.endpoint;
                    info!(endpoint, "TLS files changed: new gateway channel");
                    *current = Current {
                        client,
                        stamps: now,
                    };
                }
                Err(e) => {
                    warn!(error = %e, "TLS files changed but cannot be used; keeping the old")
                }
            }
        }
        current.client.clone()
    }

    /// `message` as a request with the call deadline set.
    pub fn request<T>(&self, message: T) -> tonic::Request<T> {
        let mut request = tonic::Request::new(message);
        request.set_timeout(self.call_timeout);
        request
    }
}

fn stamps(config: &ConnectConfig) -> Vec<Option<SystemTime>> {
    let files: [&Option<PathBuf>; 3] = [&config.ca_file, &config.cert_file, &config.key_file];
    files
        .into_iter()
        .map(|f| {
            f.as_ref()
                .and_then(|p| std::fs::metadata(p).and_then(|m| m.modified()).ok())
        })
        .collect()
}
