//! Sending one signed ECS request and reading its answer.

use std::sync::Arc;
use std::time::Duration;

use reqwest::header::HeaderMap;
use tracing::debug;

use crate::credentials::{Credentials, CredentialsProvider};
use crate::error::ApiError;
use crate::signing::{RequestSigner, SignatureVersion};
use crate::{Action, EcsResponse, Endpoint, Error};

/// The header ECS (and the new SDK) use to ask for a pause, in milliseconds.
const RETRY_AFTER_HEADER: &str = "x-acs-retry-after";

/// How much of an unparseable body an error quotes.
const BODY_EXCERPT_CHARS: usize = 200;

/// How an [`EcsClient`] reaches ECS.
#[derive(Debug, Clone)]
pub struct ClientConfig {
    pub endpoint: Endpoint,
    pub signature_version: SignatureVersion,
    /// Time allowed to establish a connection (TCP + TLS).
    pub connect_timeout: Duration,
    /// Longest silence allowed while waiting for response bytes.
    pub read_timeout: Duration,
    /// Upper bound for one whole request, connect to last byte.
    pub request_timeout: Duration,
    pub user_agent: String,
}

impl ClientConfig {
    /// Defaults: RPC v1 signing, 5 s connect, 10 s read, 30 s total.
    pub fn new(endpoint: Endpoint) -> Self {
        Self {
            endpoint,
            signature_version: SignatureVersion::default(),
            connect_timeout: Duration::from_secs(5),
            read_timeout: Duration::from_secs(10),
            request_timeout: Duration::from_secs(30),
            user_agent: concat!(
                "storage-snapshot-manager-ecs-client/",
                env!("CARGO_PKG_VERSION")
            )
            .to_owned(),
        }
    }
}

/// A client for one ECS endpoint (one region). Cheap to clone; clones share connections.
///
/// Every [`EcsClient::execute`] is exactly one HTTP request with a fresh nonce and timestamp:
/// no retries, no rate limiting; those belong to the caller.
#[derive(Debug, Clone)]
pub struct EcsClient {
    http: reqwest::Client,
    signer: Arc<RequestSigner>,
    credentials: Arc<dyn CredentialsProvider>,
}

impl EcsClient {
    /// # Errors
    /// [`Error::Config`] when the endpoint is unusable or the HTTP client cannot be built.
    pub fn new(
        config: ClientConfig,
        credentials: Arc<dyn CredentialsProvider>,
    ) -> Result<Self, Error> {
        crate::install_crypto_provider();
        let http = reqwest::Client::builder()
            .connect_timeout(config.connect_timeout)
            .read_timeout(config.read_timeout)
            .timeout(config.request_timeout)
            .user_agent(config.user_agent)
            .build()
            .map_err(|e| Error::Config(format!("cannot build the HTTP client: {e}")))?;
        let signer = RequestSigner::new(&config.endpoint, config.signature_version)?;
        Ok(Self {
            http,
            signer: Arc::new(signer),
            credentials,
        })
    }

    /// The host this client sends to (for logs and metric labels).
    pub fn host(&self) -> &str {
        self.signer.host()
    }

    /// The credentials source this client signs with.
    pub fn credentials_provider(&self) -> &Arc<dyn CredentialsProvider> {
        &self.credentials
    }

    /// Validates, signs and sends `action` once, and parses the answer.
    ///
    /// # Errors
    /// - [`Error::InvalidRequest`] before anything is sent when the request breaks ECS limits;
    /// - [`Error::Credentials`] when no credentials are available;
    /// - [`Error::Transport`] when the exchange fails (see [`Error::is_transient`]);
    /// - [`Error::Api`] when ECS answers with an error body (when it refuses the credentials,
    ///   the provider is told through [`CredentialsProvider::invalidate`]), and
    ///   [`Error::UnexpectedResponse`] when the answer is not an ECS body at all.
    pub async fn execute<A: Action>(&self, action: &A) -> Result<A::Response, Error> {
        action.validate()?;
        let credentials = self.credentials.credentials().await?;

        let nonce = uuid::Uuid::new_v4().to_string();
        let signed = self.signer.sign(
            A::NAME,
            &action.params(),
            &credentials,
            &nonce,
            jiff::Timestamp::now(),
        );
        let mut request = self.http.post(signed.url.as_str());
        for (name, value) in &signed.headers {
            request = request.header(*name, value.as_str());
        }

        let started = std::time::Instant::now();
        let response = request
            .send()
            .await
            .map_err(|e| Error::transport(A::NAME, self.host(), e))?;
        let status = response.status().as_u16();
        let headers = response.headers().clone();
        let body = response
            .bytes()
            .await
            .map_err(|e| Error::transport(A::NAME, self.host(), e))?;

        let result = parse_answer::<A::Response>(A::NAME, status, &headers, &body, &credentials);
        log_outcome(A::NAME, status, started.elapsed(), &result);
        if result.as_ref().is_err_and(Error::is_credentials_rejected) {
            self.credentials.invalidate(credentials.access_key_id());
        }
        result
    }
}

fn log_outcome<R: EcsResponse>(
    action: &str,
    status: u16,
    elapsed: Duration,
    result: &Result<R, Error>,
) {
    let elapsed_ms = elapsed.as_millis() as u64;
    match result {
        Ok(response) => {
            debug!(
                action,
                status,
                elapsed_ms,
                ecs_request_id = response.request_id(),
                "ECS call succeeded"
            );
        }
        Err(error) => {
            let ecs_request_id = error.request_id().unwrap_or_default();
            debug!(action, status, elapsed_ms, ecs_request_id, error = %error, "ECS call failed");
        }
    }
}

/// The fields of an ECS error body; the new SDK also accepts lower-case names.
#[derive(serde::Deserialize, Default)]
#[serde(default)]
struct ErrorBody {
    #[serde(rename = "Code", alias = "code")]
    code: Option<String>,
    #[serde(rename = "Message", alias = "message")]
    message: Option<String>,
    #[serde(rename = "RequestId", alias = "requestId")]
    request_id: Option<String>,
}

fn parse_answer<R: serde::de::DeserializeOwned>(
    action: &'static str,
    status: u16,
    headers: &HeaderMap,
    body: &[u8],
    credentials: &Credentials,
) -> Result<R, Error> {
    let unexpected = |detail: String| Error::UnexpectedResponse {
        action,
        status,
        detail: credentials.scrub(&detail),
    };
    let value: serde_json::Value = serde_json::from_slice(body)
        .map_err(|e| unexpected(format!("{e}; body starts {:?}", excerpt(body))))?;

    let error_body: ErrorBody = serde_json::from_value(value.clone()).unwrap_or_default();
    let is_success = (200..300).contains(&status);
    if !is_success
        || error_body
            .code
            .as_deref()
            .is_some_and(|code| !code.is_empty())
    {
        return Err(api_error(
            action,
            status,
            headers,
            error_body,
            credentials,
            body,
        ));
    }

    serde_json::from_value(value)
        .map_err(|e| unexpected(format!("cannot read the {action} response: {e}")))
}

fn api_error(
    action: &'static str,
    status: u16,
    headers: &HeaderMap,
    body: ErrorBody,
    credentials: &Credentials,
    raw: &[u8],
) -> Error {
    let retry_after = headers
        .get(RETRY_AFTER_HEADER)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.trim().parse::<u64>().ok())
        .filter(|ms| *ms > 0)
        .map(Duration::from_millis);

    let Some(code) = body.code.filter(|c| !c.is_empty()) else {
        let detail = format!(
            "error status without an ECS Code; body starts {:?}",
            excerpt(raw)
        );
        return Error::UnexpectedResponse {
            action,
            status,
            detail: credentials.scrub(&detail),
        };
    };
    Error::Api(Box::new(ApiError {
        action,
        status,
        code,
        message: credentials.scrub(&body.message.unwrap_or_default()),
        request_id: body.request_id.unwrap_or_default(),
        retry_after,
    }))
}

fn excerpt(body: &[u8]) -> String {
    String::from_utf8_lossy(body)
        .chars()
        .take(BODY_EXCERPT_CHARS)
        .collect()
}
