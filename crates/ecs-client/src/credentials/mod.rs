//! Alibaba Cloud credentials: what they are, where they come from, and keeping them fresh.
//!
//! Sources ([`CredentialsProvider`] implementations):
//! - [`StaticCredentials`]: an AccessKey pair (optionally with an STS token) from the
//!   environment or given directly;
//! - [`SecretFileCredentials`]: an AccessKey pair in files mounted from a Kubernetes Secret,
//!   re-read whenever the files change;
//! - [`InstanceRoleCredentials`]: STS credentials of the ECS instance's RAM role from the
//!   metadata service, with the token handshake;
//! - [`OidcRoleCredentials`]: RRSA, STS `AssumeRoleWithOIDC` with the projected token file.
//!
//! [`CachingProvider`] wraps an expiring source, refreshes it in the background before expiry
//! and keeps serving valid credentials while a refresh fails.
//!
//! # Secrets
//! Secrets live in [`secrecy::SecretString`] and are only exposed to the signer inside this
//! crate. `Debug` never prints them; errors never contain them.

mod cache;
mod imds;
mod oidc;
mod secret_file;
mod static_keys;

pub use cache::{CacheOptions, CachingProvider, RefreshEvent, RefreshOutcome};
pub use imds::{InstanceRoleConfig, InstanceRoleCredentials};
pub use oidc::{OidcRoleConfig, OidcRoleCredentials};
pub use secret_file::{SecretFileCredentials, SecretFilePaths};
pub use static_keys::{
    ENV_ACCESS_KEY_ID, ENV_ACCESS_KEY_SECRET, ENV_SECURITY_TOKEN, StaticCredentials,
};

use std::fmt;
use std::time::Duration;

use futures::future::BoxFuture;
use jiff::Timestamp;
use secrecy::{ExposeSecret, SecretString};

use crate::Error;

/// A source of credentials. Implementations may do I/O on every call; wrap expiring sources
/// in [`CachingProvider`].
pub trait CredentialsProvider: Send + Sync + fmt::Debug {
    /// A short name for logs, metrics and errors, e.g. `instance-ram-role`.
    fn name(&self) -> &'static str;

    /// Current credentials.
    ///
    /// # Errors
    /// [`Error::Credentials`] (or [`Error::Config`]) saying which source failed and why,
    /// without any secret.
    fn credentials(&self) -> BoxFuture<'_, Result<Credentials, Error>>;

    /// ECS refused the credentials with this AccessKey ID (expired or unknown token or key):
    /// the next [`CredentialsProvider::credentials`] should fetch new ones instead of serving
    /// them again. [`crate::EcsClient`] calls this itself; sources without a cache have
    /// nothing to forget.
    fn invalidate(&self, access_key_id: &str) {
        let _ = access_key_id;
    }
}

/// An AccessKey pair, optionally with an STS security token and its expiry.
#[derive(Clone)]
pub struct Credentials {
    access_key_id: String,
    access_key_secret: SecretString,
    security_token: Option<SecretString>,
    expiration: Option<Timestamp>,
}

impl Credentials {
    /// A long-lived AccessKey pair.
    ///
    /// # Errors
    /// [`Error::Config`] when either part is empty.
    pub fn access_key(id: impl Into<String>, secret: impl Into<String>) -> Result<Self, Error> {
        let (access_key_id, secret) = (id.into(), secret.into());
        if access_key_id.trim().is_empty() || secret.trim().is_empty() {
            return Err(Error::Config(
                "AccessKey ID and secret must both be non-empty".into(),
            ));
        }
        Ok(Self {
            access_key_id: access_key_id.trim().to_owned(),
            access_key_secret: SecretString::from(secret.trim().to_owned()),
            security_token: None,
            expiration: None,
        })
    }

    /// STS credentials: the pair plus a security token, valid until `expiration` if known.
    ///
    /// # Errors
    /// [`Error::Config`] when any part is empty.
    pub fn sts(
        id: impl Into<String>,
        secret: impl Into<String>,
        token: impl Into<String>,
        expiration: Option<Timestamp>,
    ) -> Result<Self, Error> {
        let token = token.into();
        if token.trim().is_empty() {
            return Err(Error::Config("STS security token must be non-empty".into()));
        }
        let mut credentials = Self::access_key(id, secret)?;
        credentials.security_token = Some(SecretString::from(token.trim().to_owned()));
        credentials.expiration = expiration;
        Ok(credentials)
    }

    /// The AccessKey ID (an identifier, not a secret; STS IDs start with `STS.`).
    pub fn access_key_id(&self) -> &str {
        &self.access_key_id
    }

    /// When these credentials stop working; `None` for long-lived AccessKeys.
    pub fn expiration(&self) -> Option<Timestamp> {
        self.expiration
    }

    /// Whether these are STS credentials.
    pub fn has_security_token(&self) -> bool {
        self.security_token.is_some()
    }

    /// Whether they expire within `margin` from `now` (never, without an expiry).
    pub fn expires_within(&self, margin: Duration, now: Timestamp) -> bool {
        let Some(expiration) = self.expiration else {
            return false;
        };
        let margin = jiff::SignedDuration::try_from(margin).unwrap_or(jiff::SignedDuration::MAX);
        now.checked_add(margin)
            .map_or(true, |deadline| deadline >= expiration)
    }

    pub(crate) fn secret(&self) -> &str {
        self.access_key_secret.expose_secret()
    }

    pub(crate) fn security_token(&self) -> Option<&str> {
        self.security_token
            .as_ref()
            .map(|token| token.expose_secret())
    }

    /// Replaces every occurrence of this credential's secret parts (raw, percent-encoded once
    /// or twice, as ECS may echo them inside a string-to-sign) in `text`.
    pub(crate) fn scrub(&self, text: &str) -> String {
        let mut out = text.to_owned();
        let secrets = std::iter::once(self.secret()).chain(self.security_token());
        for secret in secrets.filter(|s| s.len() >= 4) {
            let once = acs_signature::percent_encode(secret);
            let twice = acs_signature::percent_encode(&once);
            for form in [twice.as_str(), once.as_str(), secret] {
                out = out.replace(form, "[REDACTED]");
            }
        }
        out
    }
}

impl fmt::Debug for Credentials {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Credentials")
            .field("access_key_id", &self.access_key_id)
            .field("access_key_secret", &"[REDACTED]")
            .field(
                "security_token",
                &self.security_token.as_ref().map(|_| "[REDACTED]"),
            )
            .field("expiration", &self.expiration)
            .finish()
    }
}

/// Reads the `Expiration` field of IMDS and STS answers (`yyyy-MM-ddTHH:mm:ssZ`).
pub(crate) fn parse_expiration(provider: &'static str, text: &str) -> Result<Timestamp, Error> {
    crate::actions::parse_ecs_time(text).ok_or_else(|| {
        refusal(
            provider,
            format!("Expiration {text:?} is not an ISO 8601 UTC time"),
        )
    })
}

/// Describes a failed credential HTTP call without its URL (which may carry a token). The
/// source was unreachable, slow or cut off, so the failure is transient.
pub(crate) fn http_failure(provider: &'static str, what: &str, error: reqwest::Error) -> Error {
    outage(provider, format!("{what}: {}", error.without_url()))
}

/// The source could not be reached or answered like an outage: a later attempt may succeed.
pub(crate) fn outage(provider: &'static str, reason: String) -> Error {
    Error::Credentials {
        provider,
        reason,
        transient: true,
    }
}

/// The source refused or handed out something unusable: repeating will not help.
pub(crate) fn refusal(provider: &'static str, reason: String) -> Error {
    Error::Credentials {
        provider,
        reason,
        transient: false,
    }
}

/// Whether an HTTP status from a credential source means "try again later" (5xx, 429).
pub(crate) fn is_outage_status(status: u16) -> bool {
    status >= 500 || status == 429
}
