//! A fixed AccessKey pair, typically from the environment.

use futures::future::BoxFuture;

use super::{Credentials, CredentialsProvider};
use crate::Error;

pub const ENV_ACCESS_KEY_ID: &str = "ALIBABA_CLOUD_ACCESS_KEY_ID";
pub const ENV_ACCESS_KEY_SECRET: &str = "ALIBABA_CLOUD_ACCESS_KEY_SECRET";
/// Optional: turns the pair into STS credentials (without a known expiry).
pub const ENV_SECURITY_TOKEN: &str = "ALIBABA_CLOUD_SECURITY_TOKEN";

/// Always returns the same credentials. For a pair that can be rotated without a restart,
/// mount it from a Secret and use [`super::SecretFileCredentials`].
#[derive(Debug, Clone)]
pub struct StaticCredentials {
    credentials: Credentials,
}

impl StaticCredentials {
    pub fn new(credentials: Credentials) -> Self {
        Self { credentials }
    }

    /// Reads `ALIBABA_CLOUD_ACCESS_KEY_ID`, `ALIBABA_CLOUD_ACCESS_KEY_SECRET` and, if set and
    /// non-empty, `ALIBABA_CLOUD_SECURITY_TOKEN`.
    ///
    /// # Errors
    /// [`Error::Credentials`] naming the variable that is missing or empty.
    pub fn from_env() -> Result<Self, Error> {
        Self::from_lookup(|name| std::env::var(name).ok())
    }

    /// Like [`Self::from_env`] with a custom variable lookup (tests, layered config).
    pub fn from_lookup(lookup: impl Fn(&str) -> Option<String>) -> Result<Self, Error> {
        let required = |name: &str| {
            lookup(name)
                .filter(|v| !v.trim().is_empty())
                .ok_or_else(|| Error::Credentials {
                    provider: "environment",
                    reason: format!("{name} is not set or empty"),
                    transient: false,
                })
        };
        let id = required(ENV_ACCESS_KEY_ID)?;
        let secret = required(ENV_ACCESS_KEY_SECRET)?;

        let credentials = match lookup(ENV_SECURITY_TOKEN).filter(|v| !v.trim().is_empty()) {
            Some(token) => Credentials::sts(id, secret, token, None)?,
            None => Credentials::access_key(id, secret)?,
        };
        Ok(Self { credentials })
    }
}

impl CredentialsProvider for StaticCredentials {
    fn name(&self) -> &'static str {
        "static"
    }

    fn credentials(&self) -> BoxFuture<'_, Result<Credentials, Error>> {
        Box::pin(std::future::ready(Ok(self.credentials.clone())))
    }
}

#[cfg(test)]
mod tests {
    use std::collections::HashMap;

    use super::*;

    fn lookup(vars: &[(&str, &str)]) -> impl Fn(&str) -> Option<String> {
        let vars: HashMap<String, String> = vars
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect();
        move |name| vars.get(name).cloned()
    }

    #[tokio::test]
    async fn reads_pair_and_optional_token() {
        let provider = StaticCredentials::from_lookup(lookup(&[
            (ENV_ACCESS_KEY_ID, "LTAIid"),
            (ENV_ACCESS_KEY_SECRET, "s3cret"),
        ]))
        .unwrap();
        let credentials = provider.credentials().await.unwrap();
        assert_eq!(credentials.access_key_id(), "LTAIid");
        assert!(!credentials.has_security_token());

        let provider = StaticCredentials::from_lookup(lookup(&[
            (ENV_ACCESS_KEY_ID, "STS.id"),
            (ENV_ACCESS_KEY_SECRET, "s3cret"),
            (ENV_SECURITY_TOKEN, "tok"),
        ]))
        .unwrap();
        assert!(provider.credentials().await.unwrap().has_security_token());
    }

    #[test]
    fn names_the_missing_variable() {
        let err = StaticCredentials::from_lookup(lookup(&[(ENV_ACCESS_KEY_ID, "id")])).unwrap_err();
        assert!(err.to_string().contains(ENV_ACCESS_KEY_SECRET), "{err}");
        let err = StaticCredentials::from_lookup(lookup(&[
            (ENV_ACCESS_KEY_ID, " "),
            (ENV_ACCESS_KEY_SECRET, "x"),
        ]))
        .unwrap_err();
        assert!(err.to_string().contains(ENV_ACCESS_KEY_ID), "{err}");
    }
}
