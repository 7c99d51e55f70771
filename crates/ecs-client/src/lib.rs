//! Typed, signed client for the Alibaba Cloud ECS OpenAPI (version `2014-05-26`), used only by
//! the ecs-gateway, plus the credential providers that feed it.
//!
//! What this crate owns:
//! - one [`Action`] implementation per ECS action the product uses, with local validation that
//!   mirrors ECS's own limits and wire-exact parameters and responses ([`actions`]);
//! - endpoint selection ([`Endpoint`]), signing through `acs-signature`, timeouts, and parsing of
//!   ECS error bodies into a classified [`Error`] ([`EcsClient`]);
//! - credentials: AccessKey pairs, the instance RAM role, RRSA/OIDC, and a refreshing cache
//!   ([`credentials`]).
//!
//! What it must not do: retry, rate-limit, or decide policy. Every call is exactly one HTTP
//! request; the gateway decides what to repeat using [`RetrySafety`] and the classification
//! helpers on [`Error`]. Secrets never leave [`credentials`] in printable form.

pub mod action;
pub mod actions;
mod client;
pub mod credentials;
mod endpoint;
mod error;
pub mod signing;
mod tls;
mod wire;

pub use action::{Action, EcsResponse, RetrySafety};
pub use client::{ClientConfig, EcsClient};
pub use endpoint::{Endpoint, NetworkType};
pub use error::{ApiError, Error, ErrorKind, TransportKind};
pub use signing::SignatureVersion;
pub use tls::install_crypto_provider;

/// The ECS OpenAPI version every action of this crate speaks.
pub const API_VERSION: &str = "2014-05-26";
