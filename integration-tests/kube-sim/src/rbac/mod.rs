//! RBAC authorization, enforced when `Config::rbac` is set: every authenticated request is
//! checked against the stored Roles, ClusterRoles, RoleBindings and ClusterRoleBindings the
//! way kube-apiserver's RBAC authorizer checks them, plus the default discovery roles every
//! authenticated user holds. Members of `system:masters` (the admin token) may do anything.
//!
//! This module decides and records its decisions ([`DecisionLog`]); it never writes objects.
//! `server::dispatch` and the resource handlers call [`authorize`] after authentication.

mod bindings;
mod decisions;
mod review;
mod rules;

use serde_json::{Value, json};

use crate::auth::User;
use crate::error::{Error, Subject};
use crate::store::State;

pub use decisions::{AuthorizationDecision, DECISIONS_PATH, DecisionLog};
pub use review::self_subject_access_review;

/// What a resource request does, in RBAC's terms.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ResourceRequest {
    pub verb: String,
    pub group: String,
    pub resource: String,
    pub subresource: Option<String>,
    /// Empty for cluster-scoped requests and lists across all namespaces.
    pub namespace: String,
    pub name: Option<String>,
}

/// A request for a URL that is not a resource (discovery, OpenAPI, health).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NonResourceRequest {
    /// The lower-cased HTTP method.
    pub verb: String,
    pub path: String,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum RequestAttributes {
    Resource(ResourceRequest),
    NonResource(NonResourceRequest),
}

/// Rules of the default `system:discovery`, `system:public-info-viewer` and
/// `system:basic-user` ClusterRoles, which kube-apiserver binds to `system:authenticated`.
fn default_authenticated_rules() -> Vec<Value> {
    vec![
        json!({"verbs": ["get"], "nonResourceURLs": [
            "/api", "/api/*", "/apis", "/apis/*", "/openapi", "/openapi/*", "/version",
            "/version/", "/healthz", "/livez", "/readyz",
        ]}),
        json!({"verbs": ["create"], "apiGroups": ["authorization.k8s.io"],
            "resources": ["selfsubjectaccessreviews", "selfsubjectrulesreviews"]}),
    ]
}

/// Whether `user` may make the request.
pub fn allowed(state: &State, user: &User, request: &RequestAttributes) -> bool {
    if user.groups.iter().any(|g| g == "system:masters") {
        return true;
    }
    let authenticated = user.groups.iter().any(|g| g == "system:authenticated");
    if authenticated
        && default_authenticated_rules()
            .iter()
            .any(|rule| rules::allows(rule, request))
    {
        return true;
    }
    let namespace = match request {
        RequestAttributes::Resource(r) => r.namespace.as_str(),
        RequestAttributes::NonResource(_) => "",
    };
    bindings::rules_for(state, user, namespace)
        .iter()
        .any(|rule| rules::allows(rule, request))
}

/// `Ok` when allowed, else the 403 Status kube-apiserver sends. Either way the decision is
/// recorded in `log`.
pub fn authorize(
    state: &State,
    log: &DecisionLog,
    user: &User,
    request: &RequestAttributes,
) -> Result<(), Error> {
    let allowed = allowed(state, user, request);
    log.record(user, request, allowed);
    if allowed {
        return Ok(());
    }
    tracing::debug!(user = %user.name, ?request, "request refused by RBAC");
    Err(forbidden(user, request))
}

/// The message and details of kube-apiserver's authorization filter.
fn forbidden(user: &User, request: &RequestAttributes) -> Error {
    let r = match request {
        RequestAttributes::NonResource(r) => {
            let reason = format!("User {:?} cannot {} path {:?}", user.name, r.verb, r.path);
            return Error::Denied {
                subject: Subject::default(),
                reason,
            };
        }
        RequestAttributes::Resource(r) => r,
    };
    let resource = match &r.subresource {
        Some(sub) => format!("{}/{sub}", r.resource),
        None => r.resource.clone(),
    };
    let scope = if r.namespace.is_empty() {
        "at the cluster scope".to_string()
    } else {
        format!("in the namespace {:?}", r.namespace)
    };
    let reason = format!(
        "User {:?} cannot {} resource {:?} in API group {:?} {scope}",
        user.name, r.verb, resource, r.group
    );
    let subject = Subject {
        group: r.group.clone(),
        resource: r.resource.clone(),
        name: r.name.clone().unwrap_or_default(),
    };
    Error::Denied { subject, reason }
}

#[cfg(test)]
mod tests;
