//! A typed client of the admin API, for Rust tests that run the simulator in-process or as a
//! separate process.

use serde::Serialize;
use serde::de::DeserializeOwned;

use super::types::*;
use crate::config::{
    AccessKey, AccountMode, AccountSettings, CredentialIssuing, Quotas, Throttling, Timing,
};
use crate::counters::CallCounters;
use crate::error::Error;
use crate::faults::FaultRule;
use crate::model::{DiskSeed, InstanceSeed, InstanceStatus};

/// Talks to `http://<addr>/_sim/...`. Cheap to clone.
#[derive(Debug, Clone)]
pub struct AdminClient {
    base: String,
    http: reqwest::Client,
}

impl AdminClient {
    /// A client for the simulator at `base_url` (e.g. `http://127.0.0.1:34567`).
    pub fn new(base_url: impl Into<String>) -> Self {
        // reqwest is built without a default TLS provider; plain HTTP needs none, but the
        // builder insists that one is installed. Installing twice is harmless.
        let _ = rustls::crypto::ring::default_provider().install_default();
        let http = reqwest::Client::builder()
            .no_proxy()
            .build()
            .unwrap_or_default();
        Self {
            base: base_url.into().trim_end_matches('/').to_owned(),
            http,
        }
    }

    /// The virtual time.
    pub async fn now(&self) -> Result<jiff::Timestamp, Error> {
        Ok(self.get::<ClockNow>("clock").await?.now)
    }

    /// Moves the virtual clock forward, running every firing and expiry on the way.
    pub async fn advance(&self, seconds: u64) -> Result<ClockMoved, Error> {
        self.send(
            reqwest::Method::POST,
            "clock/advance",
            &AdvanceClock { seconds },
        )
        .await
    }

    /// Moves the virtual clock to `now` (not backwards), running what lies between.
    pub async fn set_clock(&self, now: jiff::Timestamp) -> Result<ClockMoved, Error> {
        self.send(reqwest::Method::POST, "clock/set", &SetClock { now })
            .await
    }

    /// Everything the simulated account holds.
    pub async fn state(&self) -> Result<StateDump, Error> {
        self.get("state").await
    }

    pub async fn put_instance(&self, seed: &InstanceSeed) -> Result<(), Error> {
        self.send_unit(reqwest::Method::PUT, "instances", seed)
            .await
    }

    pub async fn set_instance_status(&self, id: &str, status: InstanceStatus) -> Result<(), Error> {
        let path = format!("instances/{id}/status");
        self.send_unit(
            reqwest::Method::POST,
            &path,
            &InstanceStatusChange { status },
        )
        .await
    }

    pub async fn put_disk(&self, seed: &DiskSeed) -> Result<(), Error> {
        self.send_unit(reqwest::Method::PUT, "disks", seed).await
    }

    pub async fn delete_disk(&self, id: &str) -> Result<(), Error> {
        self.send_unit(reqwest::Method::DELETE, &format!("disks/{id}"), &())
            .await
    }

    /// Calls per action and result code since start or the last reset.
    pub async fn counters(&self) -> Result<CallCounters, Error> {
        self.get("counters").await
    }

    pub async fn reset_counters(&self) -> Result<(), Error> {
        self.send_unit(reqwest::Method::DELETE, "counters", &())
            .await
    }

    pub async fn set_account_mode(&self, mode: AccountMode) -> Result<(), Error> {
        let mut account: AccountSettings = self.get("settings/account").await?;
        account.mode = mode;
        self.send_unit(reqwest::Method::PUT, "settings/account", &account)
            .await
    }

    pub async fn set_quotas(&self, quotas: &Quotas) -> Result<(), Error> {
        self.send_unit(reqwest::Method::PUT, "settings/quotas", quotas)
            .await
    }

    pub async fn set_timing(&self, timing: &Timing) -> Result<(), Error> {
        self.send_unit(reqwest::Method::PUT, "settings/timing", timing)
            .await
    }

    pub async fn set_throttling(&self, throttling: &Throttling) -> Result<(), Error> {
        self.send_unit(reqwest::Method::PUT, "settings/throttling", throttling)
            .await
    }

    /// Replaces all fault rules (an empty list clears them).
    pub async fn set_faults(&self, rules: &[FaultRule]) -> Result<(), Error> {
        self.send_unit(reqwest::Method::PUT, "settings/faults", &rules)
            .await
    }

    pub async fn set_access_keys(&self, keys: &[AccessKey]) -> Result<(), Error> {
        self.send_unit(reqwest::Method::PUT, "settings/access-keys", &keys)
            .await
    }

    pub async fn set_credentials(&self, issuing: &CredentialIssuing) -> Result<(), Error> {
        self.send_unit(reqwest::Method::PUT, "settings/credentials", issuing)
            .await
    }

    /// A token `AssumeRoleWithOIDC` accepts (unless the request asks for a wrong claim).
    pub async fn mint_oidc_token(&self, request: &OidcTokenRequest) -> Result<String, Error> {
        let token: OidcToken = self
            .send(reqwest::Method::POST, "oidc/token", request)
            .await?;
        Ok(token.token)
    }

    /// STS credentials valid for `duration_seconds` of virtual time.
    pub async fn issue_sts(
        &self,
        role_arn: &str,
        duration_seconds: u64,
    ) -> Result<StsCredentials, Error> {
        let request = StsRequest {
            role_arn: role_arn.to_owned(),
            duration_seconds,
        };
        self.send(reqwest::Method::POST, "sts/credentials", &request)
            .await
    }

    async fn get<T: DeserializeOwned>(&self, path: &str) -> Result<T, Error> {
        let response = self
            .request(reqwest::Method::GET, path, None::<&()>)
            .await?;
        decode(path, response).await
    }

    async fn send<B: Serialize + ?Sized, T: DeserializeOwned>(
        &self,
        method: reqwest::Method,
        path: &str,
        body: &B,
    ) -> Result<T, Error> {
        let response = self.request(method, path, Some(body)).await?;
        decode(path, response).await
    }

    async fn send_unit<B: Serialize + ?Sized>(
        &self,
        method: reqwest::Method,
        path: &str,
        body: &B,
    ) -> Result<(), Error> {
        self.request(method, path, Some(body)).await.map(drop)
    }

    /// Sends a request; a non-2xx answer becomes [`Error::AdminRefused`] with the server's text.
    async fn request<B: Serialize + ?Sized>(
        &self,
        method: reqwest::Method,
        path: &str,
        body: Option<&B>,
    ) -> Result<reqwest::Response, Error> {
        let what = format!("{method} /_sim/{path}");
        let mut builder = self
            .http
            .request(method, format!("{}/_sim/{path}", self.base));
        if let Some(body) = body {
            builder = builder.json(body);
        }
        let response = builder
            .send()
            .await
            .map_err(|source| Error::AdminTransport {
                what: what.clone(),
                source,
            })?;
        if response.status().is_success() {
            return Ok(response);
        }
        let status = response.status().as_u16();
        let text = response.text().await.unwrap_or_default();
        let message = serde_json::from_str::<AdminError>(&text)
            .map(|e| e.error)
            .unwrap_or(text);
        Err(Error::AdminRefused {
            what,
            status,
            message,
        })
    }
}

async fn decode<T: DeserializeOwned>(path: &str, response: reqwest::Response) -> Result<T, Error> {
    let what = format!("/_sim/{path}");
    response
        .json()
        .await
        .map_err(|source| Error::AdminTransport { what, source })
}
