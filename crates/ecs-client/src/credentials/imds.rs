//! STS credentials of the ECS instance's RAM role, from the instance metadata service.
//!
//! # Flow
//! 1. `PUT /latest/api/token` with `X-aliyun-ecs-metadata-token-ttl-seconds` → a session token.
//! 2. `GET /latest/meta-data/ram/security-credentials/` → the role name (unless configured).
//! 3. `GET /latest/meta-data/ram/security-credentials/<role>` → `Code`, `AccessKeyId`,
//!    `AccessKeySecret`, `SecurityToken`, `Expiration`.
//!
//! Steps 2 and 3 present the token in `X-aliyun-ecs-metadata-token`. By default the token is
//! mandatory (hardened mode): if step 1 fails, the fetch fails instead of falling back to
//! token-less requests that any SSRF could make.

use std::time::Duration;

use futures::future::BoxFuture;
use reqwest::{StatusCode, Url};
use serde::Deserialize;

use super::{
    Credentials, CredentialsProvider, http_failure, is_outage_status, outage, parse_expiration,
};
use crate::Error;

const PROVIDER: &str = "instance-ram-role";
const TOKEN_PATH: &str = "latest/api/token";
const CREDENTIALS_PATH: &str = "latest/meta-data/ram/security-credentials/";
/// Request header asking for a session token of this many seconds.
pub const TOKEN_TTL_HEADER: &str = "X-aliyun-ecs-metadata-token-ttl-seconds";
/// Request header presenting the session token.
pub const TOKEN_HEADER: &str = "X-aliyun-ecs-metadata-token";

/// How to reach the metadata service.
#[derive(Debug, Clone)]
pub struct InstanceRoleConfig {
    /// `http://100.100.100.200` on ECS; a simulator's URL in tests.
    pub base_url: Url,
    /// The RAM role name; discovered from the metadata service when `None`.
    pub role_name: Option<String>,
    /// Lifetime requested for the session token, 1..=21600 s.
    pub token_ttl: Duration,
    /// Whether to continue without a session token when the token request fails (IMDSv1).
    pub allow_without_token: bool,
    /// Connect and read timeout of each metadata request.
    pub timeout: Duration,
}

impl Default for InstanceRoleConfig {
    fn default() -> Self {
        Self {
            base_url: Url::parse("http://100.100.100.200/").expect("constant URL is valid"),
            role_name: None,
            token_ttl: Duration::from_secs(21600),
            allow_without_token: false,
            timeout: Duration::from_secs(1),
        }
    }
}

/// The fields of the credentials document the service answers with.
#[derive(Deserialize)]
#[serde(rename_all = "PascalCase")]
struct RoleCredentials {
    code: String,
    #[serde(default)]
    access_key_id: String,
    #[serde(default)]
    access_key_secret: String,
    #[serde(default)]
    security_token: String,
    #[serde(default)]
    expiration: String,
}

/// Fetches the instance RAM role's credentials; wrap it in [`super::CachingProvider`].
#[derive(Debug)]
pub struct InstanceRoleCredentials {
    config: InstanceRoleConfig,
    http: reqwest::Client,
}

impl InstanceRoleCredentials {
    /// # Errors
    /// [`Error::Config`] for a token lifetime outside 1..=21600 s or an unbuildable client.
    pub fn new(config: InstanceRoleConfig) -> Result<Self, Error> {
        if !(1..=21600).contains(&config.token_ttl.as_secs()) {
            return Err(Error::Config(
                "metadata token TTL must be 1..=21600 seconds".into(),
            ));
        }
        crate::install_crypto_provider();
        let http = reqwest::Client::builder()
            .connect_timeout(config.timeout)
            .timeout(config.timeout * 2)
            .no_proxy()
            .build()
            .map_err(|e| Error::Config(format!("cannot build the metadata HTTP client: {e}")))?;
        Ok(Self { config, http })
    }

    async fn fetch(&self) -> Result<Credentials, Error> {
        let token = self.session_token().await?;
        let role = match &self.config.role_name {
            Some(role) => role.clone(),
            None => {
                self.get_text(CREDENTIALS_PATH, token.as_deref(), "role name")
                    .await?
            }
        };
        let role = role.trim();
        if role.is_empty() || role.contains('/') {
            return Err(failure(format!(
                "metadata service returned an unusable role name {role:?}"
            )));
        }

        let path = format!("{CREDENTIALS_PATH}{role}");
        let body = self
            .get_text(&path, token.as_deref(), "role credentials")
            .await?;
        let document: RoleCredentials = serde_json::from_str(&body).map_err(|e| {
            failure(format!(
                "credentials document of role {role} is not valid JSON: {e}"
            ))
        })?;
        if document.code != "Success" {
            return Err(failure(format!(
                "credentials document of role {role} has Code {:?}",
                document.code
            )));
        }
        let expiration = parse_expiration(PROVIDER, &document.expiration)?;
        Credentials::sts(
            document.access_key_id,
            document.access_key_secret,
            document.security_token,
            Some(expiration),
        )
        .map_err(|_| {
            failure(format!(
                "credentials document of role {role} lacks a key or token"
            ))
        })
    }

    async fn session_token(&self) -> Result<Option<String>, Error> {
        let result = self.request_token().await;
        match result {
            Ok(token) => Ok(Some(token)),
            Err(error) if self.config.allow_without_token => {
                let provider = PROVIDER;
                tracing::warn!(provider, %error, "metadata token unavailable; going on without");
                Ok(None)
            }
            Err(error) => Err(error),
        }
    }

    async fn request_token(&self) -> Result<String, Error> {
        let response = self
            .http
            .put(self.url(TOKEN_PATH)?)
            .header(
                TOKEN_TTL_HEADER,
                self.config.token_ttl.as_secs().to_string(),
            )
            .send()
            .await
            .map_err(|e| http_failure(PROVIDER, "metadata token request failed", e))?;
        let token = read_ok(response, "metadata token").await?;
        if token.trim().is_empty() {
            return Err(failure(
                "metadata service returned an empty session token".into(),
            ));
        }
        Ok(token.trim().to_owned())
    }

    async fn get_text(&self, path: &str, token: Option<&str>, what: &str) -> Result<String, Error> {
        let mut request = self.http.get(self.url(path)?);
        if let Some(token) = token {
            request = request.header(TOKEN_HEADER, token);
        }
        let response = request
            .send()
            .await
            .map_err(|e| http_failure(PROVIDER, &format!("{what} request failed"), e))?;
        read_ok(response, what).await
    }

    fn url(&self, path: &str) -> Result<Url, Error> {
        self.config
            .base_url
            .join(path)
            .map_err(|e| Error::Config(format!("metadata URL for {path}: {e}")))
    }
}

impl CredentialsProvider for InstanceRoleCredentials {
    fn name(&self) -> &'static str {
        PROVIDER
    }

    fn credentials(&self) -> BoxFuture<'_, Result<Credentials, Error>> {
        Box::pin(self.fetch())
    }
}

/// The body of a 200 answer; any other status becomes an error that quotes the status only,
/// since metadata bodies may carry credentials.
async fn read_ok(response: reqwest::Response, what: &str) -> Result<String, Error> {
    let status = response.status();
    if status != StatusCode::OK {
        let reason = format!("{what}: metadata service answered HTTP {status}");
        if is_outage_status(status.as_u16()) {
            return Err(outage(PROVIDER, reason));
        }
        return Err(failure(reason));
    }
    response
        .text()
        .await
        .map_err(|e| http_failure(PROVIDER, &format!("{what} body unreadable"), e))
}

/// A refusal or an unusable answer: permanent.
fn failure(reason: String) -> Error {
    super::refusal(PROVIDER, reason)
}
