//! SelfSubjectAccessReview (`authorization.k8s.io/v1`): answers "may I?" for the requesting
//! user with the same decision the authorizer makes (what `kubectl auth can-i` asks).

use serde_json::{Value, json};

use super::{NonResourceRequest, RequestAttributes, ResourceRequest, allowed};
use crate::auth::User;
use crate::error::{Cause, Error};
use crate::store::State;

fn text(value: &Value, field: &str) -> String {
    value
        .get(field)
        .and_then(Value::as_str)
        .unwrap_or("")
        .to_string()
}

fn non_empty(value: String) -> Option<String> {
    (!value.is_empty()).then_some(value)
}

/// The request a review's `spec` asks about. Errors: neither or both attribute sets given.
fn attributes(review: &Value) -> Result<RequestAttributes, Error> {
    let spec = review.get("spec").cloned().unwrap_or(Value::Null);
    match (
        spec.get("resourceAttributes"),
        spec.get("nonResourceAttributes"),
    ) {
        (Some(r), None) => Ok(RequestAttributes::Resource(ResourceRequest {
            verb: text(r, "verb"),
            group: text(r, "group"),
            resource: text(r, "resource"),
            subresource: non_empty(text(r, "subresource")),
            namespace: text(r, "namespace"),
            name: non_empty(text(r, "name")),
        })),
        (None, Some(n)) => Ok(RequestAttributes::NonResource(NonResourceRequest {
            verb: text(n, "verb"),
            path: text(n, "path"),
        })),
        _ => {
            let message = "exactly one of nonResourceAttributes or resourceAttributes must be \
                           specified";
            let cause = Cause::new("FieldValueInvalid", "spec.resourceAttributes", message);
            Err(Error::invalid(
                "SelfSubjectAccessReview",
                "authorization.k8s.io",
                "selfsubjectaccessreviews",
                "",
                vec![cause],
            ))
        }
    }
}

/// Fills in `status.allowed` (and `status.reason` when allowed) for `user`.
pub fn self_subject_access_review(
    state: &State,
    user: &User,
    mut review: Value,
) -> Result<Value, Error> {
    let request = attributes(&review)?;
    let status = if allowed(state, user, &request) {
        json!({"allowed": true, "reason": "allowed by kube-sim RBAC"})
    } else {
        json!({"allowed": false})
    };
    review["status"] = status;
    Ok(review)
}
