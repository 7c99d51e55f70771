//! TLS for the API: a throwaway CA and a server certificate for `localhost` and
//! `127.0.0.1`, generated at start; the kubeconfig carries the CA so clients verify the
//! server for real.

use std::sync::Arc;

use rcgen::{BasicConstraints, CertificateParams, CertifiedIssuer, DnType, IsCa, KeyPair};
use rustls::ServerConfig;
use rustls::pki_types::{PrivateKeyDer, PrivatePkcs8KeyDer};
use tokio_rustls::TlsAcceptor;

use crate::error::{Error, Result};

pub struct TlsMaterial {
    pub acceptor: TlsAcceptor,
    /// PEM of the CA that signed the server certificate.
    pub ca_pem: String,
}

fn failed(what: &str, err: impl std::fmt::Display) -> Error {
    let source = std::io::Error::other(err.to_string());
    Error::Io {
        context: format!("cannot set up TLS: {what}"),
        source,
    }
}

pub fn generate() -> Result<TlsMaterial> {
    let ca_key = KeyPair::generate().map_err(|e| failed("CA key", e))?;
    let mut ca_params =
        CertificateParams::new(Vec::<String>::new()).map_err(|e| failed("CA", e))?;
    ca_params.is_ca = IsCa::Ca(BasicConstraints::Unconstrained);
    ca_params
        .distinguished_name
        .push(DnType::CommonName, "kube-sim CA");
    let ca =
        CertifiedIssuer::self_signed(ca_params, ca_key).map_err(|e| failed("CA certificate", e))?;

    let names = vec!["localhost".to_string(), "127.0.0.1".to_string()];
    let server_key = KeyPair::generate().map_err(|e| failed("server key", e))?;
    let server_params = CertificateParams::new(names).map_err(|e| failed("server names", e))?;
    let server_cert = server_params
        .signed_by(&server_key, &ca)
        .map_err(|e| failed("server certificate", e))?;

    let key = PrivateKeyDer::Pkcs8(PrivatePkcs8KeyDer::from(server_key.serialize_der()));
    let chain = vec![server_cert.der().clone(), ca.der().clone()];
    let provider = Arc::new(rustls::crypto::ring::default_provider());
    let mut config = ServerConfig::builder_with_provider(provider)
        .with_safe_default_protocol_versions()
        .map_err(|e| failed("protocol versions", e))?
        .with_no_client_auth()
        .with_single_cert(chain, key)
        .map_err(|e| failed("server certificate chain", e))?;
    config.alpn_protocols = vec![b"http/1.1".to_vec()];
    Ok(TlsMaterial {
        acceptor: TlsAcceptor::from(Arc::new(config)),
        ca_pem: ca.pem(),
    })
}

/// Serves `router` over TLS (HTTP/1.1) until `shutdown`; open connections finish their
/// current request, and watches end through the same token.
pub async fn serve(
    listener: tokio::net::TcpListener,
    acceptor: TlsAcceptor,
    router: axum::Router,
    shutdown: tokio_util::sync::CancellationToken,
) {
    loop {
        let accepted = tokio::select! {
            accepted = listener.accept() => accepted,
            _ = shutdown.cancelled() => return,
        };
        let stream = match accepted {
            Ok((stream, _)) => stream,
            Err(err) => {
                tracing::warn!(error = %err, "accepting a connection failed");
                continue;
            }
        };
        let connection =
            serve_connection(stream, acceptor.clone(), router.clone(), shutdown.clone());
        tokio::spawn(connection);
    }
}

async fn serve_connection(
    stream: tokio::net::TcpStream,
    acceptor: TlsAcceptor,
    router: axum::Router,
    shutdown: tokio_util::sync::CancellationToken,
) {
    let tls = match acceptor.accept(stream).await {
        Ok(tls) => tls,
        Err(err) => {
            tracing::warn!(error = %err, "TLS handshake failed");
            return;
        }
    };
    let io = hyper_util::rt::TokioIo::new(tls);
    let service = hyper_util::service::TowerToHyperService::new(router);
    let connection = hyper::server::conn::http1::Builder::new().serve_connection(io, service);
    tokio::pin!(connection);
    tokio::select! {
        _ = connection.as_mut() => {}
        _ = shutdown.cancelled() => {
            connection.as_mut().graceful_shutdown();
            let _ = connection.await;
        }
    }
}
