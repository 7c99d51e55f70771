//! The record of every authorization decision, per user, so a test can prove a role minimal:
//! each grant a service's role carries must show up as an allowed decision of that service.
//!
//! Decisions are counted by their full attributes (user, verb, group, resource, subresource,
//! namespace, name or URL, outcome), so the record grows with the distinct requests a run
//! makes, not with their number. It is only written while RBAC is enforced
//! (`Config::rbac`); SelfSubjectAccessReviews ask about a request without making it and are
//! not recorded. Served at [`DECISIONS_PATH`] and by `SimHandle::authorization_decisions`.

use std::collections::BTreeMap;
use std::sync::Mutex;

use serde::{Deserialize, Serialize};

use super::RequestAttributes;
use crate::auth::User;

/// The URL that lists the recorded decisions (a non-resource URL: with RBAC on, only
/// `system:masters` or a rule granting `get` on it may read it).
pub const DECISIONS_PATH: &str = "/kube-sim/authorization-decisions";

/// One distinct authorization decision and how often it was made.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct AuthorizationDecision {
    /// The requester's user name, e.g. `system:serviceaccount:kube-system:ctrl`.
    pub user: String,
    /// The Kubernetes verb (`get`, `list`, `watch`, `create`, ...) or, for a non-resource
    /// URL, the lower-cased HTTP method.
    pub verb: String,
    /// API group of a resource request (`""` for core); empty for non-resource URLs.
    #[serde(default)]
    pub api_group: String,
    /// Resource (plural) of a resource request; empty for non-resource URLs.
    #[serde(default)]
    pub resource: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub subresource: Option<String>,
    /// Empty for cluster-scoped requests and lists across namespaces.
    #[serde(default)]
    pub namespace: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub name: Option<String>,
    /// The path of a non-resource request (discovery, OpenAPI, this list).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub non_resource_url: Option<String>,
    pub allowed: bool,
    /// How many requests got this decision.
    #[serde(default)]
    pub count: u64,
}

/// Decisions recorded by one running simulator.
#[derive(Default)]
pub struct DecisionLog {
    counts: Mutex<BTreeMap<AuthorizationDecision, u64>>,
}

impl DecisionLog {
    /// Counts one decision about `request` made for `user`.
    pub fn record(&self, user: &User, request: &RequestAttributes, allowed: bool) {
        let key = decision(user, request, allowed);
        let mut counts = self.counts.lock().unwrap_or_else(|e| e.into_inner());
        *counts.entry(key).or_default() += 1;
    }

    /// Every distinct decision so far, sorted by user, then by the request's attributes.
    pub fn list(&self) -> Vec<AuthorizationDecision> {
        let counts = self.counts.lock().unwrap_or_else(|e| e.into_inner());
        counts
            .iter()
            .map(|(key, count)| AuthorizationDecision {
                count: *count,
                ..key.clone()
            })
            .collect()
    }
}

/// The counting key: every attribute, with `count` left at zero.
fn decision(user: &User, request: &RequestAttributes, allowed: bool) -> AuthorizationDecision {
    let mut d = AuthorizationDecision {
        user: user.name.clone(),
        verb: String::new(),
        api_group: String::new(),
        resource: String::new(),
        subresource: None,
        namespace: String::new(),
        name: None,
        non_resource_url: None,
        allowed,
        count: 0,
    };
    match request {
        RequestAttributes::Resource(r) => {
            d.verb = r.verb.clone();
            d.api_group = r.group.clone();
            d.resource = r.resource.clone();
            d.subresource = r.subresource.clone();
            d.namespace = r.namespace.clone();
            d.name = r.name.clone();
        }
        RequestAttributes::NonResource(r) => {
            d.verb = r.verb.clone();
            d.non_resource_url = Some(r.path.clone());
        }
    }
    d
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::rbac::{NonResourceRequest, ResourceRequest};

    fn patch_status(name: &str) -> RequestAttributes {
        RequestAttributes::Resource(ResourceRequest {
            verb: "patch".into(),
            group: "apps".into(),
            resource: "deployments".into(),
            subresource: Some("status".into()),
            namespace: "ns".into(),
            name: Some(name.into()),
        })
    }

    #[test]
    fn identical_decisions_are_counted_and_different_ones_kept_apart() {
        let log = DecisionLog::default();
        let alice = User {
            name: "alice".into(),
            groups: vec![],
        };
        log.record(&alice, &patch_status("a"), true);
        log.record(&alice, &patch_status("a"), true);
        log.record(&alice, &patch_status("a"), false);
        log.record(&alice, &patch_status("b"), true);
        let url = RequestAttributes::NonResource(NonResourceRequest {
            verb: "get".into(),
            path: "/apis".into(),
        });
        log.record(&alice, &url, true);

        let list = log.list();
        assert_eq!(list.len(), 4);
        let counts: Vec<(Option<&str>, bool, u64)> = list
            .iter()
            .map(|d| (d.name.as_deref(), d.allowed, d.count))
            .collect();
        assert!(counts.contains(&(Some("a"), true, 2)));
        assert!(counts.contains(&(Some("a"), false, 1)));
        assert!(counts.contains(&(Some("b"), true, 1)));
        let discovery = list.iter().find(|d| d.non_resource_url.is_some()).unwrap();
        assert_eq!(discovery.resource, "");
        assert_eq!(discovery.non_resource_url.as_deref(), Some("/apis"));
    }

    #[test]
    fn decisions_serialize_with_kubernetes_field_names() {
        let log = DecisionLog::default();
        let bob = User {
            name: "bob".into(),
            groups: vec![],
        };
        log.record(&bob, &patch_status("a"), true);
        let json = serde_json::to_value(log.list()).unwrap();
        assert_eq!(json[0]["apiGroup"], "apps");
        assert_eq!(json[0]["subresource"], "status");
        assert_eq!(json[0]["count"], 1);
        let back: Vec<AuthorizationDecision> = serde_json::from_value(json).unwrap();
        assert_eq!(back, log.list());
    }
}
