//! RRSA: STS credentials for a RAM role, obtained with `AssumeRoleWithOIDC` from the pod's
//! projected ServiceAccount token.
//!
//! The token file is re-read at every fetch because the kubelet rotates it; the call is
//! unsigned (the OIDC token is the proof) and sent as a form body so the token never appears
//! in a URL.

use std::path::PathBuf;
use std::time::Duration;

use futures::future::BoxFuture;
use reqwest::Url;
use serde::Deserialize;

use super::{
    Credentials, CredentialsProvider, http_failure, is_outage_status, outage, parse_expiration,
};
use crate::Error;

const PROVIDER: &str = "rrsa-oidc";
const STS_VERSION: &str = "2015-04-01";

pub const ENV_ROLE_ARN: &str = "ALIBABA_CLOUD_ROLE_ARN";
pub const ENV_OIDC_PROVIDER_ARN: &str = "ALIBABA_CLOUD_OIDC_PROVIDER_ARN";
pub const ENV_OIDC_TOKEN_FILE: &str = "ALIBABA_CLOUD_OIDC_TOKEN_FILE";
pub const ENV_ROLE_SESSION_NAME: &str = "ALIBABA_CLOUD_ROLE_SESSION_NAME";
pub const ENV_STS_REGION: &str = "ALIBABA_CLOUD_STS_REGION";
pub const ENV_VPC_ENDPOINT_ENABLED: &str = "ALIBABA_CLOUD_VPC_ENDPOINT_ENABLED";

/// What to assume and where to ask.
#[derive(Debug, Clone)]
pub struct OidcRoleConfig {
    /// `https://sts.aliyuncs.com/`, a regional `https://sts[-vpc].<region>.aliyuncs.com/`, or a
    /// simulator's URL.
    pub sts_endpoint: Url,
    pub role_arn: String,
    pub oidc_provider_arn: String,
    /// The projected ServiceAccount token, e.g.
    /// `/var/run/secrets/ack.alibabacloud.com/rrsa-tokens/token`.
    pub token_file: PathBuf,
    pub role_session_name: String,
    /// Requested lifetime, at least 900 s (at most the role's maximum session duration).
    pub duration: Duration,
    /// An optional policy further restricting the session.
    pub policy: Option<String>,
    pub connect_timeout: Duration,
    pub request_timeout: Duration,
}

impl OidcRoleConfig {
    /// Defaults: global STS endpoint, 3600 s sessions, 5 s connect and 10 s request timeouts.
    pub fn new(
        role_arn: impl Into<String>,
        oidc_provider_arn: impl Into<String>,
        token_file: impl Into<PathBuf>,
    ) -> Self {
        Self {
            sts_endpoint: Url::parse("https://sts.aliyuncs.com/").expect("constant URL is valid"),
            role_arn: role_arn.into(),
            oidc_provider_arn: oidc_provider_arn.into(),
            token_file: token_file.into(),
            role_session_name: "storage-snapshot-manager".to_owned(),
            duration: Duration::from_secs(3600),
            policy: None,
            connect_timeout: Duration::from_secs(5),
            request_timeout: Duration::from_secs(10),
        }
    }

    /// Reads the variables ACK's pod identity webhook injects (`ALIBABA_CLOUD_ROLE_ARN`,
    /// `ALIBABA_CLOUD_OIDC_PROVIDER_ARN`, `ALIBABA_CLOUD_OIDC_TOKEN_FILE`), plus the optional
    /// session name, `ALIBABA_CLOUD_STS_REGION` and `ALIBABA_CLOUD_VPC_ENDPOINT_ENABLED`.
    ///
    /// # Errors
    /// [`Error::Config`] naming a missing variable or an unusable region.
    pub fn from_lookup(lookup: impl Fn(&str) -> Option<String>) -> Result<Self, Error> {
        let var = |name: &str| lookup(name).filter(|v| !v.trim().is_empty());
        let required = |name: &str| {
            var(name).ok_or_else(|| Error::Config(format!("{name} is not set or empty")))
        };
        let mut config = Self::new(
            required(ENV_ROLE_ARN)?,
            required(ENV_OIDC_PROVIDER_ARN)?,
            required(ENV_OIDC_TOKEN_FILE)?,
        );

        if let Some(session) = var(ENV_ROLE_SESSION_NAME) {
            config.role_session_name = session;
        }
        if let Some(region) = var(ENV_STS_REGION) {
            let vpc = var(ENV_VPC_ENDPOINT_ENABLED).is_some_and(|v| v.eq_ignore_ascii_case("true"));
            config.sts_endpoint = regional_sts(&region, vpc)?;
        }
        Ok(config)
    }

    /// [`Self::from_lookup`] over the process environment.
    pub fn from_env() -> Result<Self, Error> {
        Self::from_lookup(|name| std::env::var(name).ok())
    }
}

/// `https://sts.<region>.aliyuncs.com/` or its `sts-vpc` twin.
fn regional_sts(region: &str, vpc: bool) -> Result<Url, Error> {
    let valid = region
        .chars()
        .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '-');
    if !valid {
        return Err(Error::Config(format!(
            "{ENV_STS_REGION}={region:?} is not a region ID"
        )));
    }
    let host = if vpc { "sts-vpc" } else { "sts" };
    Url::parse(&format!("https://{host}.{region}.aliyuncs.com/"))
        .map_err(|e| Error::Config(e.to_string()))
}

#[derive(Deserialize)]
#[serde(rename_all = "PascalCase")]
struct StsAnswer {
    credentials: Option<StsCredentials>,
    code: Option<String>,
    message: Option<String>,
    request_id: Option<String>,
}

#[derive(Deserialize)]
#[serde(rename_all = "PascalCase")]
struct StsCredentials {
    access_key_id: String,
    access_key_secret: String,
    security_token: String,
    expiration: String,
}

/// Assumes a RAM role with the pod's OIDC token; wrap it in [`super::CachingProvider`].
#[derive(Debug)]
pub struct OidcRoleCredentials {
    config: OidcRoleConfig,
    http: reqwest::Client,
}

impl OidcRoleCredentials {
    /// # Errors
    /// [`Error::Config`] for a session shorter than 900 s, empty ARNs, or an unbuildable client.
    pub fn new(config: OidcRoleConfig) -> Result<Self, Error> {
        if config.duration < Duration::from_secs(900) {
            return Err(Error::Config(
                "RRSA session duration must be at least 900 seconds".into(),
            ));
        }
        if config.role_arn.trim().is_empty() || config.oidc_provider_arn.trim().is_empty() {
            return Err(Error::Config(
                "RRSA role ARN and OIDC provider ARN must be set".into(),
            ));
        }
        crate::install_crypto_provider();
        let http = reqwest::Client::builder()
            .connect_timeout(config.connect_timeout)
            .timeout(config.request_timeout)
            .build()
            .map_err(|e| Error::Config(format!("cannot build the STS HTTP client: {e}")))?;
        Ok(Self { config, http })
    }

    async fn assume_role(&self) -> Result<Credentials, Error> {
        let token = self.read_token().await?;
        let form = self.form(&token);
        let response = self
            .http
            .post(self.config.sts_endpoint.clone())
            .form(&form)
            .send()
            .await
            .map_err(|e| http_failure(PROVIDER, "AssumeRoleWithOIDC request failed", e))?;
        let status = response.status().as_u16();
        let body = response
            .bytes()
            .await
            .map_err(|e| http_failure(PROVIDER, "STS answer unreadable", e))?;

        let answer: StsAnswer = serde_json::from_slice(&body).map_err(|e| {
            let reason = format!("STS answered HTTP {status} with a body that is not JSON: {e}");
            if is_outage_status(status) {
                outage(PROVIDER, reason)
            } else {
                failure(reason)
            }
        })?;
        let credentials = match (answer.credentials, answer.code) {
            (Some(credentials), None) if status == 200 => credentials,
            (_, code) => {
                let message = answer
                    .message
                    .unwrap_or_default()
                    .replace(&token, "[REDACTED]");
                let code = code.unwrap_or_default();
                let reason = format!(
                    "STS AssumeRoleWithOIDC answered HTTP {status} {code}: {message} \
                     (RequestId {})",
                    answer.request_id.unwrap_or_default()
                );
                if is_outage_status(status) || code.starts_with("Throttling") {
                    return Err(outage(PROVIDER, reason));
                }
                return Err(failure(reason));
            }
        };
        let expiration = parse_expiration(PROVIDER, &credentials.expiration)?;
        Credentials::sts(
            credentials.access_key_id,
            credentials.access_key_secret,
            credentials.security_token,
            Some(expiration),
        )
        .map_err(|_| failure("STS answer lacks a key or token".into()))
    }

    /// Reads the projected token afresh: the kubelet replaces it well before it expires.
    async fn read_token(&self) -> Result<String, Error> {
        let path = &self.config.token_file;
        let text = tokio::fs::read_to_string(path).await.map_err(|e| {
            failure(format!(
                "cannot read OIDC token file {}: {e}",
                path.display()
            ))
        })?;
        let token = text.trim();
        if token.is_empty() {
            return Err(failure(format!(
                "OIDC token file {} is empty",
                path.display()
            )));
        }
        Ok(token.to_owned())
    }

    fn form(&self, token: &str) -> Vec<(&'static str, String)> {
        let timestamp = crate::signing::format_timestamp(jiff::Timestamp::now());
        let mut form = vec![
            ("Action", "AssumeRoleWithOIDC".to_owned()),
            ("Format", "JSON".to_owned()),
            ("Version", STS_VERSION.to_owned()),
            ("Timestamp", timestamp),
            (
                "DurationSeconds",
                self.config.duration.as_secs().to_string(),
            ),
            ("RoleArn", self.config.role_arn.clone()),
            ("OIDCProviderArn", self.config.oidc_provider_arn.clone()),
            ("OIDCToken", token.to_owned()),
            ("RoleSessionName", self.config.role_session_name.clone()),
        ];
        if let Some(policy) = &self.config.policy {
            form.push(("Policy", policy.clone()));
        }
        form
    }
}

impl CredentialsProvider for OidcRoleCredentials {
    fn name(&self) -> &'static str {
        PROVIDER
    }

    fn credentials(&self) -> BoxFuture<'_, Result<Credentials, Error>> {
        Box::pin(self.assume_role())
    }
}

/// A refusal (bad token, unknown role) or an unusable answer: permanent.
fn failure(reason: String) -> Error {
    super::refusal(PROVIDER, reason)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn env_config_picks_regional_and_vpc_sts() {
        let vars = [
            (ENV_ROLE_ARN, "acs:ram::1:role/r"),
            (ENV_OIDC_PROVIDER_ARN, "acs:ram::1:oidc-provider/p"),
            (ENV_OIDC_TOKEN_FILE, "/t"),
            (ENV_STS_REGION, "cn-beijing"),
            (ENV_VPC_ENDPOINT_ENABLED, "true"),
        ];
        let lookup = |name: &str| {
            vars.iter()
                .find(|(k, _)| *k == name)
                .map(|(_, v)| v.to_string())
        };
        let config = OidcRoleConfig::from_lookup(lookup).unwrap();
        assert_eq!(
            config.sts_endpoint.as_str(),
            "https://sts-vpc.cn-beijing.aliyuncs.com/"
        );
        assert_eq!(config.token_file, PathBuf::from("/t"));

        let err = OidcRoleConfig::from_lookup(|name| lookup(name).filter(|_| name != ENV_ROLE_ARN))
            .unwrap_err();
        assert!(err.to_string().contains(ENV_ROLE_ARN), "{err}");
    }

    #[test]
    fn short_sessions_are_refused() {
        let mut config =
            OidcRoleConfig::new("acs:ram::1:role/r", "acs:ram::1:oidc-provider/p", "/t");
        config.duration = Duration::from_secs(899);
        assert!(matches!(
            OidcRoleCredentials::new(config),
            Err(Error::Config(_))
        ));
    }
}
