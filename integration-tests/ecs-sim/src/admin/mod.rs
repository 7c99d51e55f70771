//! The admin API under `/_sim/`: seed resources, move the clock, change settings, read
//! counters. It is JSON over HTTP without authentication; it is test infrastructure and must
//! only listen on loopback. See the README for the endpoint list.

mod client;
mod routes;
pub mod types;

pub use client::AdminClient;
pub use routes::router;

/// Path prefix of every admin endpoint; no ECS path starts with it.
pub const PREFIX: &str = "/_sim/";
