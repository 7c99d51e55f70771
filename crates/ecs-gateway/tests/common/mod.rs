//! The gateway suite's harness: an in-process gateway in front of an in-process ECS simulator,
//! reached over mutual TLS by a real tonic client. Everything comes from ssm-test-support's
//! cloud world; these names are the ones the suite's tests use.

#![allow(dead_code, unused_imports)]

pub use ssm_test_support::cloud_world::{
    ADMIN, CredentialsFactory, DEFAULT_ALLOW_LIST, DISKS, INSTANCE, READER, REGION, ZONE,
    ecs::{backend, ecs_client, ecs_client_with},
    seed::standard as seeded_sim_config,
};
pub use ssm_test_support::pki;

/// What a test can change: credentials, limits, retries, allow-list, token reviewer, TLS and
/// the simulator's seed.
pub type Options = ssm_test_support::cloud_world::CloudOptions;

/// A running simulator and gateway: `sim`, and through deref `addr`, `pki`, `metrics`, `auth`,
/// `client(identity)`, `connect_config(identity)`, `metrics_text()`; `stop()` drains.
pub type Harness = ssm_test_support::cloud_world::CloudWorld;
