//! kube-sim: a kube-apiserver stand-in for tests and the local demo, accepted by kubectl and
//! kube-rs over real HTTP.
//!
//! It owns an in-memory object store with one resourceVersion counter and a bounded change
//! history, discovery and OpenAPI documents, CRUD/patch/watch handlers for the built-in
//! resources of one descriptor table and for custom resources defined by stored CRDs. It
//! runs no controllers besides namespace termination, CRD establishment and ClusterRole
//! aggregation, and it must not
//! depend on any product crate: it is test infrastructure the product is checked against.
//!
//! Start it in-process with [`spawn`], or as the `kube-sim` binary.

mod aggregation;
mod auth;
mod config;
mod crd;
mod defaults;
mod discovery;
mod error;
mod events;
mod fieldmanager;
mod gc;
mod handlers;
mod jsonpath;
mod kubeconfig;
mod lifecycle;
mod meta;
mod openapi;
mod patch;
mod path;
mod query;
mod rbac;
mod registry;
mod resources;
mod sa_tokens;
mod selectors;
mod server;
mod store;
mod tables;
mod tls;
mod validation;
mod watch;

pub use config::Config;
pub use error::{Cause, Error, Result};
pub use rbac::{AuthorizationDecision, DECISIONS_PATH};
pub use server::{SimHandle, spawn};
