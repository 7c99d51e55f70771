//! The product's walkthrough on the simulators, with every service as its own process.
//!
//! Owns: starting and stopping the simulated environment ([`Environment`]): kube-sim, ecs-sim,
//! ecs-gateway with mutual TLS, the controllers run with the chart's own flags (from
//! `scripts/chart.py export`), and [`standins`], the cluster pieces the product does not ship
//! (external-snapshotter's binding of pre-provisioned contents, the CSI provisioner's restore
//! from a `VolumeSnapshot`). Also the user's side of the walkthrough ([`kubectl`], [`steps`])
//! shared by the scenario tests and the `ssm-demo` binary.
//!
//! Must not touch: the services' own code or the chart. The stand-ins are part of the simulated
//! cluster and are never installed by the chart.

pub mod binaries;
pub mod certs;
pub mod chart;
pub mod control;
pub mod end_state;
pub mod environment;
mod error;
pub mod faults;
pub mod identities;
pub mod kubectl;
pub mod process;
pub mod rbac_audit;
pub mod standins;
pub mod steps;

pub use environment::{EnvOptions, Environment};
pub use error::WalkthroughError;
