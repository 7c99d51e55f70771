//! Who is calling, and may they call this RPC.
//!
//! # Flow
//! 1. In insecure development mode every call is the caller [`INSECURE_DEV_IDENTITY`] with
//!    every RPC allowed. Nothing else is checked.
//! 2. A bearer token (`authorization: Bearer …`), when token review is enabled, is reviewed;
//!    its user name is the identity. A token that fails review is UNAUTHENTICATED even if a
//!    client certificate is also present: a caller that sends a bad token is misconfigured.
//! 3. Otherwise the client certificate, already verified by the TLS layer, gives identity
//!    candidates ([`peer_cert::identities`]); the first one on the allow-list is the identity.
//! 4. The allow-list must grant the identity this RPC, or the call is PERMISSION_DENIED.
//!
//! Each refusal is logged at warn with the RPC, the identity (never a token) and the reason,
//! and counted in `ecs_gateway_auth_failures`.

pub mod allow_list;
pub mod peer_cert;
pub mod token_review;

use std::sync::{Arc, RwLock};

use ecs_gateway_api::{GatewayErrorDetails, GatewayReason};
use tonic::{Request, Status};

use crate::metrics::Metrics;
pub use allow_list::AllowList;
use token_review::{TokenReviewer, Verdict};

/// The identity every call gets in insecure development mode.
pub const INSECURE_DEV_IDENTITY: &str = "insecure-dev";

/// An authenticated, authorized caller.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Caller {
    /// Identity as named in the allow-list.
    pub identity: String,
    /// Fairness weight from the allow-list.
    pub weight: u32,
}

/// Authenticates and authorizes calls.
pub struct Authenticator {
    /// Swapped whole by [`Authenticator::replace_allow_list`]; each call reads one snapshot.
    allow_list: RwLock<Arc<AllowList>>,
    reviewer: Option<Arc<dyn TokenReviewer>>,
    insecure_dev: bool,
    metrics: Metrics,
}

impl Authenticator {
    /// Checks callers against `allow_list`, reviewing bearer tokens with `reviewer` if given.
    pub fn new(
        allow_list: AllowList,
        reviewer: Option<Arc<dyn TokenReviewer>>,
        metrics: Metrics,
    ) -> Self {
        Self {
            allow_list: RwLock::new(Arc::new(allow_list)),
            reviewer,
            insecure_dev: false,
            metrics,
        }
    }

    /// Lets everything in as [`INSECURE_DEV_IDENTITY`]. For local development only.
    pub fn insecure_dev(metrics: Metrics) -> Self {
        let allow_list = AllowList::allow_all(INSECURE_DEV_IDENTITY);
        Self {
            allow_list: RwLock::new(Arc::new(allow_list)),
            reviewer: None,
            insecure_dev: true,
            metrics,
        }
    }

    /// Puts `allow_list` in force for every call that starts from now on (a reloaded file).
    /// Ignored in insecure development mode, which allows everything by design.
    pub fn replace_allow_list(&self, allow_list: AllowList) {
        if self.insecure_dev {
            return;
        }
        let mut current = self.allow_list.write().unwrap_or_else(|e| e.into_inner());
        *current = Arc::new(allow_list);
    }

    /// The allow-list in force.
    pub fn allow_list(&self) -> Arc<AllowList> {
        let current = self.allow_list.read().unwrap_or_else(|e| e.into_inner());
        Arc::clone(&current)
    }

    /// Whether this is the insecure development mode.
    pub fn is_insecure_dev(&self) -> bool {
        self.insecure_dev
    }

    /// The caller of `request`, if it may call `rpc`.
    pub async fn authorize<T>(
        &self,
        request: &Request<T>,
        rpc: &'static str,
    ) -> Result<Caller, Status> {
        let identity = if self.insecure_dev {
            INSECURE_DEV_IDENTITY.to_string()
        } else {
            self.authenticate(request, rpc).await?
        };

        let allow_list = self.allow_list();
        let Some(grant) = allow_list.grant(&identity) else {
            return Err(self.deny(rpc, &identity, "identity is not on the allow-list"));
        };
        if !grant.rpcs.contains(rpc) {
            return Err(self.deny(rpc, &identity, "RPC is not granted to this identity"));
        }
        Ok(Caller {
            identity,
            weight: grant.weight,
        })
    }

    async fn authenticate<T>(
        &self,
        request: &Request<T>,
        rpc: &'static str,
    ) -> Result<String, Status> {
        if let (Some(reviewer), Some(token)) = (&self.reviewer, bearer_token(request)?) {
            return match reviewer.review(&token).await {
                Ok(Verdict::Authenticated(user)) => Ok(user),
                Ok(Verdict::Rejected(reason)) => Err(self.unauthenticated(rpc, &reason)),
                Err(reason) => {
                    tracing::error!(rpc, %reason, "cannot review a bearer token");
                    self.metrics.auth_failed("review_failed");
                    Err(Status::unavailable(
                        "the gateway cannot verify tokens right now",
                    ))
                }
            };
        }

        let Some(certs) = request.peer_certs() else {
            return Err(self.unauthenticated(rpc, "no client certificate and no bearer token"));
        };
        let Some(leaf) = certs.first() else {
            return Err(self.unauthenticated(rpc, "empty client certificate chain"));
        };
        let candidates = peer_cert::identities(leaf.as_ref())
            .map_err(|reason| self.unauthenticated(rpc, &reason))?;

        let allow_list = self.allow_list();
        let known = candidates
            .iter()
            .find(|name| allow_list.grant(name).is_some());
        Ok(known.or(candidates.first()).cloned().unwrap_or_default())
    }

    fn unauthenticated(&self, rpc: &'static str, reason: &str) -> Status {
        tracing::warn!(rpc, reason, "refused an unauthenticated call");
        self.metrics.auth_failed("unauthenticated");
        GatewayErrorDetails::new(GatewayReason::Unauthenticated)
            .with("rpc", rpc)
            .into_status(format!("unauthenticated: {reason}"))
    }

    fn deny(&self, rpc: &'static str, identity: &str, reason: &str) -> Status {
        tracing::warn!(rpc, identity, reason, "refused an unauthorized call");
        self.metrics.auth_failed("not_allowed");
        GatewayErrorDetails::new(GatewayReason::NotAllowed)
            .with("rpc", rpc)
            .with("identity", identity)
            .into_status(format!("{identity:?} may not call {rpc}: {reason}"))
    }
}

/// The bearer token of `request`, if it carries one; a malformed `authorization` header is an
/// error rather than being ignored.
fn bearer_token<T>(request: &Request<T>) -> Result<Option<String>, Status> {
    let Some(value) = request.metadata().get("authorization") else {
        return Ok(None);
    };
    let text = value
        .to_str()
        .map_err(|_| Status::unauthenticated("authorization header is not ASCII"))?;
    let token = text
        .strip_prefix("Bearer ")
        .or_else(|| text.strip_prefix("bearer "))
        .ok_or_else(|| Status::unauthenticated("authorization header is not `Bearer <token>`"))?;

    let token = token.trim();
    if token.is_empty() {
        return Err(Status::unauthenticated(
            "authorization header carries an empty token",
        ));
    }
    Ok(Some(token.to_string()))
}

#[cfg(test)]
mod tests;
