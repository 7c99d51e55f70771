//! Authentication seam. Today it answers TokenReviews from the tokens configured at start;
//! a request authenticator and an RBAC authorizer belong here, in front of the handlers.

use serde_json::{Value, json};

use crate::config::Config;

/// Fills in `status` of a TokenReview: authenticated when the token is one of the configured
/// bearer tokens.
pub fn review_token(config: &Config, mut review: Value) -> Value {
    let token = review
        .pointer("/spec/token")
        .and_then(Value::as_str)
        .unwrap_or("");
    let status = match config.tokens.get(token) {
        Some(user) if !token.is_empty() => json!({
            "authenticated": true,
            "user": {"username": user, "groups": ["system:authenticated"]},
        }),
        _ => json!({"authenticated": false, "error": "invalid bearer token"}),
    };
    review["status"] = status;
    review
}
