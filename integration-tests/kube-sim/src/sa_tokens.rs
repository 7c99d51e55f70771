//! ServiceAccount tokens: the TokenRequest subresource
//! (`POST /api/v1/namespaces/NS/serviceaccounts/NAME/token`) and [`crate::SimHandle`]'s helper
//! issue opaque bearer tokens that authenticate as `system:serviceaccount:NS:NAME` until they
//! expire. Tokens live in memory only (they are not in the state file).

use std::collections::HashMap;
use std::sync::Mutex;
use std::time::Duration;

use serde_json::{Value, json};

use crate::auth::User;
use crate::error::{Error, Result};

/// Lifetime of a token whose request names none (kube-apiserver's default).
pub const DEFAULT_EXPIRATION_SECONDS: i64 = 3600;
/// Shortest lifetime kube-apiserver accepts.
const MIN_EXPIRATION_SECONDS: i64 = 600;
const DEFAULT_AUDIENCE: &str = "https://kubernetes.default.svc.cluster.local";

struct Issued {
    user: User,
    expires: jiff::Timestamp,
}

/// Tokens issued by this server.
#[derive(Default)]
pub struct IssuedTokens {
    tokens: Mutex<HashMap<String, Issued>>,
}

/// The user a ServiceAccount authenticates as.
pub fn service_account_user(namespace: &str, name: &str) -> User {
    User {
        name: format!("system:serviceaccount:{namespace}:{name}"),
        groups: vec![
            "system:serviceaccounts".into(),
            format!("system:serviceaccounts:{namespace}"),
            "system:authenticated".into(),
        ],
    }
}

impl IssuedTokens {
    /// A new token for the ServiceAccount, valid for `lifetime`; returns it with its expiry.
    pub fn issue(&self, namespace: &str, name: &str, lifetime: Duration) -> (String, String) {
        let token = format!("kube-sim-sa.{}", uuid::Uuid::new_v4().simple());
        let lifetime =
            jiff::SignedDuration::try_from(lifetime).unwrap_or(jiff::SignedDuration::MAX);
        let expires = jiff::Timestamp::now()
            .checked_add(lifetime)
            .unwrap_or(jiff::Timestamp::MAX);
        let user = service_account_user(namespace, name);
        let mut tokens = self.tokens.lock().unwrap_or_else(|e| e.into_inner());
        tokens.insert(token.clone(), Issued { user, expires });
        (token, expires.strftime("%Y-%m-%dT%H:%M:%SZ").to_string())
    }

    /// The ServiceAccount user of an unexpired token this server issued.
    pub fn user(&self, token: &str) -> Option<User> {
        let tokens = self.tokens.lock().unwrap_or_else(|e| e.into_inner());
        let issued = tokens.get(token)?;
        (issued.expires > jiff::Timestamp::now()).then(|| issued.user.clone())
    }
}

/// Answers a TokenRequest body for ServiceAccount `name` in `namespace` (which the caller
/// checked exists). Errors: `spec.expirationSeconds` below 600 or not an integer.
pub fn token_request(
    issued: &IssuedTokens,
    namespace: &str,
    name: &str,
    mut body: Value,
) -> Result<Value> {
    if !body.is_object() {
        body = json!({});
    }
    let seconds = match body.pointer("/spec/expirationSeconds") {
        None | Some(Value::Null) => DEFAULT_EXPIRATION_SECONDS,
        Some(v) => v.as_i64().ok_or_else(|| {
            Error::bad_request("spec.expirationSeconds of a TokenRequest must be an integer")
        })?,
    };
    if seconds < MIN_EXPIRATION_SECONDS {
        let message = "may not specify a duration less than 10 minutes";
        return Err(Error::bad_request(format!(
            "spec.expirationSeconds: {message} (got {seconds})"
        )));
    }
    let (token, expires) = issued.issue(namespace, name, Duration::from_secs(seconds as u64));
    let audiences = body
        .pointer("/spec/audiences")
        .filter(|a| a.as_array().is_some_and(|a| !a.is_empty()))
        .cloned()
        .unwrap_or_else(|| json!([DEFAULT_AUDIENCE]));
    body["apiVersion"] = json!("authentication.k8s.io/v1");
    body["kind"] = json!("TokenRequest");
    body["metadata"] = json!({"name": name, "namespace": namespace,
        "creationTimestamp": crate::meta::now_timestamp()});
    body["spec"]["audiences"] = audiences;
    body["spec"]["expirationSeconds"] = json!(seconds);
    body["status"] = json!({"token": token, "expirationTimestamp": expires});
    Ok(body)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn issued_tokens_identify_the_service_account_until_they_expire() {
        let issued = IssuedTokens::default();
        let (token, _) = issued.issue("ops", "ctrl", Duration::from_secs(60));
        let user = issued.user(&token).unwrap();
        assert_eq!(user.name, "system:serviceaccount:ops:ctrl");
        assert!(
            user.groups
                .contains(&"system:serviceaccounts:ops".to_string())
        );
        assert!(issued.user("other").is_none());
        let (expired, _) = issued.issue("ops", "ctrl", Duration::ZERO);
        assert!(issued.user(&expired).is_none());
    }

    #[test]
    fn token_requests_get_a_token_and_an_expiry() {
        let issued = IssuedTokens::default();
        let answer = token_request(&issued, "ops", "ctrl", json!({})).unwrap();
        let token = answer["status"]["token"].as_str().unwrap();
        assert!(issued.user(token).is_some());
        assert_eq!(answer["spec"]["expirationSeconds"], 3600);
        assert!(
            answer["status"]["expirationTimestamp"]
                .as_str()
                .unwrap()
                .ends_with('Z')
        );
        let short = json!({"spec": {"expirationSeconds": 5}});
        assert!(token_request(&issued, "ops", "ctrl", short).is_err());
    }
}
