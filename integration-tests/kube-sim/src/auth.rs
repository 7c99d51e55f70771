//! Authentication: bearer tokens, enforced when the simulator is started with any (so
//! clients' token code paths run), and TokenReviews answered from the same tokens.
//!
//! Requests are authenticated in `server::dispatch` before any handler runs; the RBAC
//! authorizer (`crate::rbac`, when `Config::rbac` is set) takes the returned [`User`].

use axum::http::HeaderMap;
use serde_json::{Value, json};

use crate::config::Config;
use crate::error::{Error, Result};
use crate::sa_tokens::IssuedTokens;

/// Username of the token written into the kubeconfig (`Config::bearer_token`).
pub const ADMIN_USER: &str = "kube-sim-admin";

/// Who made a request.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct User {
    pub name: String,
    pub groups: Vec<String>,
}

/// Whether requests must carry a known bearer token.
pub fn enabled(config: &Config) -> bool {
    config.bearer_token.is_some() || !config.tokens.is_empty()
}

fn user_for(config: &Config, token: &str) -> Option<User> {
    let name = if config.bearer_token.as_deref() == Some(token) {
        ADMIN_USER.to_string()
    } else {
        config.tokens.get(token)?.clone()
    };
    let mut groups = vec!["system:authenticated".to_string()];
    if name == ADMIN_USER {
        groups.push("system:masters".into());
    }
    Some(User { name, groups })
}

/// Who a request without valid credentials is, for the URLs that stay public.
pub fn anonymous() -> User {
    User {
        name: "system:anonymous".into(),
        groups: vec!["system:unauthenticated".into()],
    }
}

/// The requesting user. A ServiceAccount token this server issued is always that account,
/// even with authentication off. With authentication off everyone is the admin; with it on, a
/// missing or unknown token is 401 Unauthorized.
pub fn authenticate(config: &Config, issued: &IssuedTokens, headers: &HeaderMap) -> Result<User> {
    let header = headers
        .get("authorization")
        .and_then(|v| v.to_str().ok())
        .unwrap_or("");
    let token = header.strip_prefix("Bearer ").map(str::trim).unwrap_or("");
    if let Some(user) = issued.user(token) {
        return Ok(user);
    }
    if !enabled(config) {
        return Ok(User {
            name: ADMIN_USER.into(),
            groups: vec!["system:masters".into()],
        });
    }
    if token.is_empty() {
        return Err(Error::Unauthorized);
    }
    user_for(config, token).ok_or(Error::Unauthorized)
}

/// Fills in `status` of a TokenReview: authenticated when the token is one this server
/// accepts (configured, or an unexpired ServiceAccount token it issued).
pub fn review_token(config: &Config, issued: &IssuedTokens, mut review: Value) -> Value {
    let token = review
        .pointer("/spec/token")
        .and_then(Value::as_str)
        .unwrap_or("");
    let user = issued.user(token).or_else(|| user_for(config, token));
    let status = match user {
        Some(user) if !token.is_empty() => json!({
            "authenticated": true,
            "user": {"username": user.name, "groups": user.groups},
        }),
        _ => json!({"authenticated": false, "error": "invalid bearer token"}),
    };
    review["status"] = status;
    review
}

#[cfg(test)]
mod tests {
    use super::*;

    fn config() -> Config {
        let mut c = Config {
            bearer_token: Some("admin-token".into()),
            ..Config::default()
        };
        c.tokens
            .insert("sa-token".into(), "system:serviceaccount:ops:ctrl".into());
        c
    }

    fn headers(value: &str) -> HeaderMap {
        let mut h = HeaderMap::new();
        h.insert("authorization", value.parse().unwrap());
        h
    }

    #[test]
    fn bearer_tokens_identify_users() {
        let c = config();
        let none = IssuedTokens::default();
        assert_eq!(
            authenticate(&c, &none, &headers("Bearer admin-token"))
                .unwrap()
                .name,
            ADMIN_USER
        );
        let sa = authenticate(&c, &none, &headers("Bearer sa-token")).unwrap();
        assert_eq!(sa.name, "system:serviceaccount:ops:ctrl");
        assert!(authenticate(&c, &none, &headers("Bearer nope")).is_err());
        assert!(authenticate(&c, &none, &HeaderMap::new()).is_err());
        assert!(authenticate(&Config::default(), &none, &HeaderMap::new()).is_ok());
    }

    #[test]
    fn token_reviews_answer_from_the_same_tokens() {
        let review = review_token(
            &config(),
            &IssuedTokens::default(),
            json!({"spec": {"token": "sa-token"}}),
        );
        assert_eq!(review["status"]["authenticated"], true);
        let review = review_token(
            &config(),
            &IssuedTokens::default(),
            json!({"spec": {"token": "x"}}),
        );
        assert_eq!(review["status"]["authenticated"], false);
    }
}
