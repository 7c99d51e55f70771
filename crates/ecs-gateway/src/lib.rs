//! The ecs-gateway service: the only holder of Alibaba Cloud credentials in the cluster.
//!
//! Owns: the gRPC server for `storage.ecsgateway.v1` (handlers, validation, mapping of ECS
//! errors to gRPC statuses), authentication and authorization of callers, admission control
//! (rate limits, fairness, adaptive slow-down, bounded queue), retries, and the gateway's
//! metrics. Must not touch: request signing and credential sources (the `ecs-client` crate) or
//! the wire contract (the `ecs-gateway-api` crate).

pub mod app;
pub mod args;
pub mod auth;
pub mod backend;
mod error;
pub mod lifecycle;
pub mod limiter;
pub mod metrics;
pub mod reload;
pub mod server;
pub mod service;

pub use error::Error;
