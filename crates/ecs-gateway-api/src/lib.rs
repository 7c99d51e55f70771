//! The ecs-gateway gRPC contract (`proto/storage/ecsgateway/v1/ecs_gateway.proto`) as Rust.
//!
//! Owns: the generated tonic client and server for `storage.ecsgateway.v1`, the encoded file
//! descriptor set (for gRPC reflection), the vocabulary of structured error details and the
//! helpers that build and decode them, and [`connect`], the one way controllers and other tools
//! open a channel to the gateway (mutual TLS from PEM files, optional bearer token file).
//!
//! Must not touch: ECS, credentials, rate limiting or any server logic; those live in the
//! `ecs-gateway` crate. This crate is what callers link, so it stays small.

pub mod connect;
pub mod error_details;

/// Generated messages, client (`ecs_gateway_client`) and server (`ecs_gateway_server`).
pub mod v1 {
    tonic::include_proto!("storage.ecsgateway.v1");
}

/// Encoded `FileDescriptorSet` of the contract, for `tonic-reflection`.
pub const FILE_DESCRIPTOR_SET: &[u8] =
    tonic::include_file_descriptor_set!("ecs_gateway_descriptor");

/// Fully qualified gRPC service name, as used by health checks and reflection.
pub const SERVICE_NAME: &str = "storage.ecsgateway.v1.EcsGateway";

pub use connect::{ConnectConfig, ConnectError, GatewayClient};
pub use error_details::{EcsErrorDetails, GatewayErrorDetails, GatewayReason};
