//! Opening a channel to the gateway the way every caller should: mutual TLS from PEM files and,
//! optionally, a Kubernetes ServiceAccount token read from a file and sent with every call.
//!
//! The token file is re-read at most every [`TOKEN_REREAD_INTERVAL`], so a token that kubelet
//! rotates in a projected volume is picked up without a restart.

use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use tonic::metadata::MetadataValue;
use tonic::service::Interceptor;
use tonic::service::interceptor::InterceptedService;
use tonic::transport::{Certificate, Channel, ClientTlsConfig, Endpoint, Identity};
use tonic::{Request, Status};

use crate::v1::ecs_gateway_client::EcsGatewayClient;

/// How long a token read from the token file is used before the file is read again.
pub const TOKEN_REREAD_INTERVAL: Duration = Duration::from_secs(60);

/// The client type callers get from [`ConnectConfig::connect`].
pub type GatewayClient = EcsGatewayClient<InterceptedService<Channel, CallCredentials>>;

/// Everything needed to reach the gateway.
#[derive(Debug, Clone, Default)]
pub struct ConnectConfig {
    /// `https://host:port` (TLS) or `http://host:port` (only against a gateway in
    /// insecure development mode).
    pub endpoint: String,
    /// PEM file with the CA that signed the gateway's server certificate.
    pub ca_file: Option<PathBuf>,
    /// PEM file with this caller's client certificate (chain).
    pub cert_file: Option<PathBuf>,
    /// PEM file with this caller's private key.
    pub key_file: Option<PathBuf>,
    /// Name to verify the server certificate against, when it differs from the endpoint host.
    pub tls_server_name: Option<String>,
    /// File holding a bearer token (e.g. a projected ServiceAccount token) sent with each call.
    pub token_file: Option<PathBuf>,
    /// Connect timeout; `None` uses tonic's default.
    pub connect_timeout: Option<Duration>,
}

/// Why a connection could not be set up.
#[derive(Debug, thiserror::Error)]
pub enum ConnectError {
    /// The endpoint is not a valid URI.
    #[error("invalid gateway endpoint {endpoint:?}: {source}")]
    Endpoint {
        endpoint: String,
        source: tonic::transport::Error,
    },
    /// A PEM or token file could not be read.
    #[error("cannot read {what} file {}: {source}", path.display())]
    ReadFile {
        what: &'static str,
        path: PathBuf,
        source: std::io::Error,
    },
    /// A client certificate was given without its key, or the other way round.
    #[error("client certificate and key must be given together (cert: {cert}, key: {key})")]
    HalfIdentity { cert: bool, key: bool },
    /// TLS material was given for a plain `http://` endpoint.
    #[error("TLS files are set but the endpoint {0:?} is not https://")]
    TlsOnPlainEndpoint(String),
    /// The TLS configuration was rejected.
    #[error("invalid TLS configuration for {endpoint:?}: {source}")]
    Tls {
        endpoint: String,
        source: tonic::transport::Error,
    },
    /// Connecting failed.
    #[error("cannot connect to the gateway at {endpoint:?}: {source}")]
    Connect {
        endpoint: String,
        source: tonic::transport::Error,
    },
}

impl ConnectConfig {
    /// Connects now; fails if the gateway cannot be reached.
    pub async fn connect(&self) -> Result<GatewayClient, ConnectError> {
        let endpoint = self.endpoint()?;
        let channel = endpoint
            .connect()
            .await
            .map_err(|source| ConnectError::Connect {
                endpoint: self.endpoint.clone(),
                source,
            })?;
        Ok(self.client(channel))
    }

    /// Returns at once; the channel connects on first use and reconnects as needed. Use this
    /// in controllers that must start even while the gateway is down.
    pub fn connect_lazy(&self) -> Result<GatewayClient, ConnectError> {
        let channel = self.endpoint()?.connect_lazy();
        Ok(self.client(channel))
    }

    fn client(&self, channel: Channel) -> GatewayClient {
        let credentials = CallCredentials::new(self.token_file.clone());
        EcsGatewayClient::with_interceptor(channel, credentials)
    }

    fn endpoint(&self) -> Result<Endpoint, ConnectError> {
        let mut endpoint = Endpoint::from_shared(self.endpoint.clone()).map_err(|source| {
            ConnectError::Endpoint {
                endpoint: self.endpoint.clone(),
                source,
            }
        })?;
        if let Some(timeout) = self.connect_timeout {
            endpoint = endpoint.connect_timeout(timeout);
        }

        let Some(tls) = self.tls_config()? else {
            return Ok(endpoint);
        };
        if !self.endpoint.starts_with("https://") {
            return Err(ConnectError::TlsOnPlainEndpoint(self.endpoint.clone()));
        }
        endpoint
            .tls_config(tls)
            .map_err(|source| ConnectError::Tls {
                endpoint: self.endpoint.clone(),
                source,
            })
    }

    fn tls_config(&self) -> Result<Option<ClientTlsConfig>, ConnectError> {
        let uses_tls = self.endpoint.starts_with("https://");
        if !uses_tls && self.ca_file.is_none() && self.cert_file.is_none() {
            return Ok(None);
        }

        let mut tls = ClientTlsConfig::new();
        if let Some(ca) = &self.ca_file {
            tls = tls.ca_certificate(Certificate::from_pem(read("CA certificate", ca)?));
        }
        match (&self.cert_file, &self.key_file) {
            (Some(cert), Some(key)) => {
                let cert = read("client certificate", cert)?;
                let key = read("client key", key)?;
                tls = tls.identity(Identity::from_pem(cert, key));
            }
            (None, None) => {}
            (cert, key) => {
                return Err(ConnectError::HalfIdentity {
                    cert: cert.is_some(),
                    key: key.is_some(),
                });
            }
        }
        if let Some(name) = &self.tls_server_name {
            tls = tls.domain_name(name.clone());
        }
        Ok(Some(tls))
    }
}

fn read(what: &'static str, path: &Path) -> Result<Vec<u8>, ConnectError> {
    std::fs::read(path).map_err(|source| ConnectError::ReadFile {
        what,
        path: path.to_path_buf(),
        source,
    })
}

/// Adds `authorization: Bearer <token>` from a token file to every call (or nothing when no
/// file is configured).
#[derive(Debug, Clone)]
pub struct CallCredentials {
    token_file: Option<PathBuf>,
    cached: Arc<Mutex<Option<CachedToken>>>,
}

#[derive(Debug)]
struct CachedToken {
    header: MetadataValue<tonic::metadata::Ascii>,
    read_at: Instant,
}

impl CallCredentials {
    /// Credentials from `token_file`; `None` sends no token.
    pub fn new(token_file: Option<PathBuf>) -> Self {
        Self {
            token_file,
            cached: Arc::new(Mutex::new(None)),
        }
    }

    fn header(&self, path: &Path) -> Result<MetadataValue<tonic::metadata::Ascii>, Status> {
        let mut cached = self
            .cached
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner());
        if let Some(token) = cached.as_ref()
            && token.read_at.elapsed() < TOKEN_REREAD_INTERVAL
        {
            return Ok(token.header.clone());
        }

        let header = read_token_header(path)?;
        *cached = Some(CachedToken {
            header: header.clone(),
            read_at: Instant::now(),
        });
        Ok(header)
    }
}

fn read_token_header(path: &Path) -> Result<MetadataValue<tonic::metadata::Ascii>, Status> {
    let token = std::fs::read_to_string(path).map_err(|err| {
        Status::unauthenticated(format!("cannot read token file {}: {err}", path.display()))
    })?;
    let token = token.trim();
    if token.is_empty() {
        return Err(Status::unauthenticated(format!(
            "token file {} is empty",
            path.display()
        )));
    }

    format!("Bearer {token}").parse().map_err(|_| {
        Status::unauthenticated(format!(
            "token file {} holds characters not allowed in a header",
            path.display()
        ))
    })
}

impl Interceptor for CallCredentials {
    fn call(&mut self, mut request: Request<()>) -> Result<Request<()>, Status> {
        if let Some(path) = self.token_file.clone() {
            let header = self.header(&path)?;
            request.metadata_mut().insert("authorization", header);
        }
        Ok(request)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn temp_file(name: &str, contents: &str) -> PathBuf {
        let dir = std::env::temp_dir().join(format!("ecs-gateway-api-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let path = dir.join(name);
        std::fs::write(&path, contents).unwrap();
        path
    }

    #[test]
    fn token_is_sent_as_bearer_header() {
        let path = temp_file("token-ok", "abc.def.ghi\n");
        let mut credentials = CallCredentials::new(Some(path));

        let request = credentials.call(Request::new(())).unwrap();

        let header = request.metadata().get("authorization").unwrap();
        assert_eq!(header.to_str().unwrap(), "Bearer abc.def.ghi");
    }

    #[test]
    fn no_token_file_sends_no_header() {
        let mut credentials = CallCredentials::new(None);

        let request = credentials.call(Request::new(())).unwrap();

        assert!(request.metadata().get("authorization").is_none());
    }

    #[test]
    fn missing_or_empty_token_file_is_refused_with_its_path() {
        let missing = std::env::temp_dir().join("ecs-gateway-api-no-such-token");
        let empty = temp_file("token-empty", "  \n");

        let err_missing = CallCredentials::new(Some(missing))
            .call(Request::new(()))
            .unwrap_err();
        let err_empty = CallCredentials::new(Some(empty))
            .call(Request::new(()))
            .unwrap_err();

        assert!(err_missing.message().contains("no-such-token"));
        assert!(err_empty.message().contains("is empty"));
    }

    #[test]
    fn half_an_identity_is_rejected() {
        let config = ConnectConfig {
            endpoint: "https://gateway:8443".into(),
            cert_file: Some(temp_file("cert.pem", "x")),
            ..ConnectConfig::default()
        };

        let err = config.connect_lazy().unwrap_err();

        assert!(
            matches!(
                err,
                ConnectError::HalfIdentity {
                    cert: true,
                    key: false
                }
            ),
            "{err}"
        );
    }

    #[test]
    fn tls_files_on_a_plain_endpoint_are_rejected() {
        let config = ConnectConfig {
            endpoint: "http://gateway:8080".into(),
            ca_file: Some(temp_file("ca.pem", "x")),
            ..ConnectConfig::default()
        };

        let err = config.connect_lazy().unwrap_err();

        assert!(matches!(err, ConnectError::TlsOnPlainEndpoint(_)), "{err}");
    }

    #[test]
    fn bad_endpoint_is_named_in_the_error() {
        let config = ConnectConfig {
            endpoint: "not a uri".into(),
            ..ConnectConfig::default()
        };

        let err = config.connect_lazy().unwrap_err();

        assert!(err.to_string().contains("not a uri"), "{err}");
    }
}
